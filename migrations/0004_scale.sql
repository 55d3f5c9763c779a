-- National scale (issue 5): derived caches, so that reports never scan units.
--
-- These three tables are CACHES, not records: they hold nothing that the
-- record tables do not, they are updated in place, and `bloodledger check`
-- recomputes them from the records and reports any difference. Triggers on
-- the record tables and on the journal keep them up to date in the same
-- transaction as the write, whichever writer it is (a command, an import, a
-- void or a merge), so no code path can forget them.
--
-- Records of an entry are always written before any void of that entry
-- (a void names an entry that exists), so an inserted record is live.
--
-- Upgrading a ledger fills them from its records (at the end of this file).

-- Live units per drive, blood group and product.
CREATE TABLE drive_unit_figures (
    drive       INTEGER NOT NULL,
    blood_group TEXT NOT NULL,
    product     TEXT NOT NULL,
    units       INTEGER NOT NULL,
    volume_ml   INTEGER NOT NULL,
    PRIMARY KEY (drive, blood_group, product)
) STRICT, WITHOUT ROWID;

-- Live registrations per drive (anonymous donations included).
CREATE TABLE drive_registration_figures (
    drive      INTEGER PRIMARY KEY,
    registered INTEGER NOT NULL,
    deferred   INTEGER NOT NULL,
    donated    INTEGER NOT NULL
) STRICT;

-- Each unit's status, kept only while it is in stock: live, neither
-- transferred nor discarded by a live movement. `stock` reads this index.
CREATE TABLE units_in_stock (
    unit       INTEGER PRIMARY KEY,
    expires_on TEXT NOT NULL
) STRICT;
CREATE INDEX units_in_stock_by_expiry ON units_in_stock(expires_on);

CREATE TRIGGER units_cache_i AFTER INSERT ON units BEGIN
    INSERT INTO drive_unit_figures (drive, blood_group, product, units, volume_ml)
    VALUES (NEW.drive, NEW.blood_group, NEW.product, 1, NEW.volume_ml)
    ON CONFLICT DO UPDATE SET units = units + 1, volume_ml = volume_ml + excluded.volume_ml;
    INSERT INTO units_in_stock (unit, expires_on) VALUES (NEW.id, NEW.expires_on);
END;

CREATE TRIGGER registrations_cache_i AFTER INSERT ON registrations BEGIN
    INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
    VALUES (NEW.drive, 1, NEW.outcome = 'deferred' OR NEW.outcome = 'permanently-deferred', NEW.outcome = 'donated')
    ON CONFLICT DO UPDATE SET registered = registered + 1, deferred = deferred + excluded.deferred,
                              donated = donated + excluded.donated;
END;

CREATE TRIGGER transfer_units_cache_i AFTER INSERT ON transfer_units BEGIN
    DELETE FROM units_in_stock WHERE unit = NEW.unit;
END;

CREATE TRIGGER discard_units_cache_i AFTER INSERT ON discard_units BEGIN
    DELETE FROM units_in_stock WHERE unit = NEW.unit;
END;

-- A void: the drives whose units or registrations the voided entry wrote
-- are recomputed from their live records; its units leave stock; the units
-- its movements took out come back unless another live movement holds them.
-- (The void entry exists when this runs, so its target is no longer live.)
CREATE TRIGGER entries_void_cache AFTER INSERT ON entries WHEN NEW.voids IS NOT NULL BEGIN
    DELETE FROM drive_unit_figures WHERE drive IN (SELECT drive FROM units WHERE entry = NEW.voids);
    INSERT INTO drive_unit_figures (drive, blood_group, product, units, volume_ml)
    SELECT u.drive, u.blood_group, u.product, count(*), sum(u.volume_ml) FROM units u
    WHERE u.drive IN (SELECT drive FROM units WHERE entry = NEW.voids)
      AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = u.entry)
    GROUP BY u.drive, u.blood_group, u.product;

    DELETE FROM drive_registration_figures WHERE drive IN (SELECT drive FROM registrations WHERE entry = NEW.voids);
    INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
    SELECT r.drive, count(*), sum(r.outcome = 'deferred' OR r.outcome = 'permanently-deferred'), sum(r.outcome = 'donated')
    FROM registrations r
    WHERE r.drive IN (SELECT drive FROM registrations WHERE entry = NEW.voids)
      AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = r.entry)
    GROUP BY r.drive;

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

-- Upgrading: fill the caches from the records.
INSERT INTO drive_unit_figures (drive, blood_group, product, units, volume_ml)
SELECT u.drive, u.blood_group, u.product, count(*), sum(u.volume_ml) FROM units u
WHERE NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = u.entry)
GROUP BY u.drive, u.blood_group, u.product;

INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
SELECT r.drive, count(*), sum(r.outcome = 'deferred' OR r.outcome = 'permanently-deferred'), sum(r.outcome = 'donated')
FROM registrations r
WHERE NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = r.entry)
GROUP BY r.drive;

INSERT INTO units_in_stock (unit, expires_on)
SELECT u.id, u.expires_on FROM units u
WHERE NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = u.entry)
  AND NOT EXISTS (SELECT 1 FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer
                  WHERE tu.unit = u.id AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = t.entry))
  AND NOT EXISTS (SELECT 1 FROM discard_units du JOIN discards x ON x.id = du.discard
                  WHERE du.unit = u.id AND NOT EXISTS (SELECT 1 FROM entries y WHERE y.voids = x.entry));
