-- National scale, round 3 (issue 5): a smaller, faster units table.
--
-- 1. Units lose their TEXT uuid: `unit_id` is already unique for all time
--    (voided units too), so it is the unit's identity everywhere, merges
--    and bundles included. The uuid and its index were a quarter of a
--    ledger's size.
-- 2. An anonymous donation is its unit alone: `units.registration` is NULL
--    for it, and the registration figures count such units as registered
--    and donated. Units collected before this migration keep the
--    registration rows they were written with; both forms count the same.
-- 3. Units lose their index by drive (see the void trigger below) and gain
--    one by entry, as registrations do.
-- 4. `units_in_stock` loses its index by expiry: in a national ledger the
--    stock is the last days' units, a few thousand rows that `stock` sorts
--    itself; the index cost a bulk load as much as the units' own.
--
-- The rebuild runs with foreign keys off (migrations.rs) and is checked
-- with `PRAGMA foreign_key_check` before it commits.

-- The cache trigger of 0004 that reads units goes first (a trigger naming
-- a table that is being replaced would stop the rename); it is made again
-- below, counting anonymous donations from their units.
DROP TRIGGER entries_void_cache;

CREATE TABLE units_compact (
    id           INTEGER PRIMARY KEY,
    entry        INTEGER NOT NULL REFERENCES entries(number),
    unit_id      TEXT NOT NULL UNIQUE,
    drive        INTEGER NOT NULL REFERENCES drives(id),
    registration INTEGER REFERENCES registrations(id),   -- NULL: an anonymous donation
    donor        INTEGER REFERENCES donors(id),
    blood_group  TEXT NOT NULL,
    volume_ml    INTEGER NOT NULL CHECK (volume_ml > 0),
    product      TEXT NOT NULL CHECK (product = 'whole-blood' OR product = 'red-cells'
                                      OR product = 'platelets-apheresis' OR product = 'plasma-apheresis'),
    collected_on TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    override     TEXT
) STRICT;

INSERT INTO units_compact (id, entry, unit_id, drive, registration, donor, blood_group, volume_ml, product,
                           collected_on, expires_on, override)
SELECT id, entry, unit_id, drive, registration, donor, blood_group, volume_ml, product,
       collected_on, expires_on, override
FROM units ORDER BY id;

DROP TABLE units;
ALTER TABLE units_compact RENAME TO units;

CREATE INDEX units_by_donor ON units(donor) WHERE donor IS NOT NULL;
-- A void reads the records of one entry: without these, voiding one unit's
-- collection read every unit, registration and transfer (15 s at 20 M
-- units; 0.17 s with them). Entries grow with the rows, so these indexes
-- are appended to, never split.
CREATE INDEX units_by_entry ON units(entry);
CREATE INDEX registrations_by_entry ON registrations(entry);
CREATE INDEX transfers_by_entry ON transfers(entry);
CREATE INDEX discards_by_entry ON discards(entry);
CREATE INDEX units_by_registration ON units(registration) WHERE registration IS NOT NULL;

CREATE TRIGGER units_append_only_u BEFORE UPDATE ON units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER units_append_only_d BEFORE DELETE ON units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;

DROP INDEX units_in_stock_by_expiry;

-- `import units` drops this trigger for the length of its transaction and
-- does the same work once, set-based, before it commits (store/items.rs,
-- `BulkUnits`): any change here must be made there too.
CREATE TRIGGER units_cache_i AFTER INSERT ON units BEGIN
    INSERT INTO drive_unit_figures (drive, blood_group, product, units, volume_ml)
    VALUES (NEW.drive, NEW.blood_group, NEW.product, 1, NEW.volume_ml)
    ON CONFLICT DO UPDATE SET units = units + 1, volume_ml = volume_ml + excluded.volume_ml;
    INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
    SELECT NEW.drive, 1, 0, 1 WHERE NEW.registration IS NULL
    ON CONFLICT DO UPDATE SET registered = registered + 1, donated = donated + 1;
    INSERT INTO units_in_stock (unit, expires_on) VALUES (NEW.id, NEW.expires_on);
END;

-- A void takes the voided entry's records off the figures (they were all
-- live: an entry is voided once). As a difference, not a recount of the
-- drives it touched, so that no query needs a drive's units: the units
-- have no index by drive, which cost a bulk load a tenth of its time.
-- (No alias on the UPDATE's table: Debian's sqlite3 shell, 3.40, would
-- call the whole schema malformed.)
CREATE TRIGGER entries_void_cache AFTER INSERT ON entries WHEN NEW.voids IS NOT NULL BEGIN
    UPDATE drive_unit_figures
    SET units = drive_unit_figures.units - x.units, volume_ml = drive_unit_figures.volume_ml - x.volume_ml
    FROM (SELECT drive, blood_group, product, count(*) AS units, sum(volume_ml) AS volume_ml
          FROM units WHERE entry = NEW.voids GROUP BY drive, blood_group, product) AS x
    WHERE drive_unit_figures.drive = x.drive AND drive_unit_figures.blood_group = x.blood_group
      AND drive_unit_figures.product = x.product;
    DELETE FROM drive_unit_figures WHERE units = 0 AND drive IN (SELECT drive FROM units WHERE entry = NEW.voids);

    UPDATE drive_registration_figures
    SET registered = drive_registration_figures.registered - x.registered,
        deferred = drive_registration_figures.deferred - x.deferred,
        donated = drive_registration_figures.donated - x.donated
    FROM (SELECT drive, sum(registered) AS registered, sum(deferred) AS deferred, sum(donated) AS donated FROM (
              SELECT r.drive, 1 AS registered,
                     r.outcome = 'deferred' OR r.outcome = 'permanently-deferred' AS deferred,
                     r.outcome = 'donated' AS donated
              FROM registrations r WHERE r.entry = NEW.voids
              UNION ALL
              SELECT u.drive, 1, 0, 1 FROM units u WHERE u.entry = NEW.voids AND u.registration IS NULL)
          GROUP BY drive) AS x
    WHERE drive_registration_figures.drive = x.drive;
    DELETE FROM drive_registration_figures WHERE registered = 0
        AND drive IN (SELECT drive FROM registrations WHERE entry = NEW.voids
                      UNION SELECT drive FROM units WHERE entry = NEW.voids);

    DELETE FROM units_in_stock WHERE unit IN (SELECT id FROM units WHERE entry = NEW.voids);
    INSERT OR IGNORE INTO units_in_stock (unit, expires_on)
    SELECT u.id, u.expires_on FROM units u
    WHERE u.id IN (SELECT tu.unit FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer WHERE t.entry = NEW.voids
                   UNION SELECT du.unit FROM discard_units du JOIN discards x ON x.id = du.discard WHERE x.entry = NEW.voids)
      AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = u.entry)
      AND NOT EXISTS (SELECT 1 FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer
                      WHERE tu.unit = u.id AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = t.entry))
      AND NOT EXISTS (SELECT 1 FROM discard_units du JOIN discards x ON x.id = du.discard
                      WHERE du.unit = u.id AND NOT EXISTS (SELECT 1 FROM entries y WHERE y.voids = x.entry));
END;

-- The registration figures, recounted in the new way (the same numbers for
-- a ledger written before this migration; it keeps them honest whatever
-- the ledger held).
DELETE FROM drive_registration_figures;
INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
SELECT drive, sum(registered), sum(deferred), sum(donated) FROM (
    SELECT r.drive, 1 AS registered, r.outcome = 'deferred' OR r.outcome = 'permanently-deferred' AS deferred,
           r.outcome = 'donated' AS donated
    FROM registrations r
    WHERE NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = r.entry)
    UNION ALL
    SELECT u.drive, 1, 0, 1 FROM units u
    WHERE u.registration IS NULL AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = u.entry)
)
GROUP BY drive;
