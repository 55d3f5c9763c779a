-- Schema 8: a unit's entry is found through the range of unit row ids each
-- entry wrote, not through an index of every unit by entry.
--
-- Only voids, merges and `void`'s list of drives ask for the units of one
-- entry; the index answering them cost every imported unit a B-tree insert,
-- a seventh of `import units`. An entry writes its units in one go, in its
-- own transaction, and row ids only grow, so its units are the rows from
-- `first_id` to `last_id`; queries still filter on `units.entry` within the
-- range, so a range that held other rows would cost time, never a wrong
-- answer. Kept by the units' cache trigger (by `import units` itself while
-- it has the trigger aside) and compared with the units by `check`.
CREATE TABLE entry_units (
    entry    INTEGER PRIMARY KEY REFERENCES entries(number),
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL
) STRICT;

INSERT INTO entry_units (entry, first_id, last_id)
SELECT entry, min(id), max(id) FROM units GROUP BY entry;

DROP INDEX units_by_entry;

-- `import units` drops this trigger for the length of its transaction and
-- does the same work once, set-based, before it commits (store/items.rs,
-- `BulkUnits`): any change here must be made there too.
DROP TRIGGER units_cache_i;
CREATE TRIGGER units_cache_i AFTER INSERT ON units BEGIN
    INSERT INTO drive_unit_figures (drive, blood_group, product, units, volume_ml)
    VALUES (NEW.drive, NEW.blood_group, NEW.product, 1, NEW.volume_ml)
    ON CONFLICT DO UPDATE SET units = units + 1, volume_ml = volume_ml + excluded.volume_ml;
    INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
    SELECT NEW.drive, 1, 0, 1 WHERE NEW.registration IS NULL
    ON CONFLICT DO UPDATE SET registered = registered + 1, donated = donated + 1;
    INSERT INTO units_in_stock (unit, expires_on) VALUES (NEW.id, NEW.expires_on);
    INSERT INTO entry_units (entry, first_id, last_id) VALUES (NEW.entry, NEW.id, NEW.id)
    ON CONFLICT DO UPDATE SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id);
END;
