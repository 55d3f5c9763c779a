-- National scale, round 2 (issue 5): `totals` and `stock` independent of
-- the number of drives.
--
-- Like those of 0004, these tables are CACHES, verified by `bloodledger
-- check`. A drive's figures as totals count them (itemised records win over
-- the tally, per figure: DESIGN §2) are a rule of the domain, kept in Rust;
-- so triggers only note which drives a write touched, and the writer
-- recomputes those drives' summaries just before it commits (Txn::commit),
-- in the same transaction. Triggers on the summaries keep the per-year
-- rollups, which is all an unfiltered `totals` or `totals --by year` reads.

-- Drives whose summary is stale: empty outside a writing transaction.
CREATE TABLE drives_to_summarise (drive INTEGER PRIMARY KEY) STRICT;

-- Each live drive that counts in totals, with its figures as totals count them.
CREATE TABLE drive_summaries (
    drive            INTEGER PRIMARY KEY,
    year             INTEGER NOT NULL,
    date             TEXT NOT NULL,
    slug_key         TEXT NOT NULL,
    registered       INTEGER NOT NULL,
    deferred         INTEGER NOT NULL,
    units            INTEGER NOT NULL,
    volume_ml        INTEGER NOT NULL,
    transferred      INTEGER NOT NULL,
    discarded        INTEGER NOT NULL,
    in_stock         INTEGER NOT NULL,
    -- What `stock` lists for a drive without itemised units: its tally's stock.
    tallied_in_stock INTEGER NOT NULL
) STRICT;
CREATE INDEX drive_summaries_tallied ON drive_summaries(date, slug_key) WHERE tallied_in_stock > 0;

CREATE TABLE drive_summary_groups (
    drive       INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    blood_group TEXT NOT NULL,
    units       INTEGER NOT NULL,
    PRIMARY KEY (drive, blood_group)
) STRICT, WITHOUT ROWID;

CREATE TABLE year_totals (
    year        INTEGER PRIMARY KEY,
    drives      INTEGER NOT NULL,
    registered  INTEGER NOT NULL,
    deferred    INTEGER NOT NULL,
    units       INTEGER NOT NULL,
    volume_ml   INTEGER NOT NULL,
    transferred INTEGER NOT NULL,
    discarded   INTEGER NOT NULL,
    in_stock    INTEGER NOT NULL
) STRICT;

CREATE TABLE year_group_totals (
    year        INTEGER NOT NULL,
    blood_group TEXT NOT NULL,
    units       INTEGER NOT NULL,
    PRIMARY KEY (year, blood_group)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER drive_summaries_i AFTER INSERT ON drive_summaries BEGIN
    INSERT INTO year_totals (year, drives, registered, deferred, units, volume_ml, transferred, discarded, in_stock)
    VALUES (NEW.year, 1, NEW.registered, NEW.deferred, NEW.units, NEW.volume_ml, NEW.transferred, NEW.discarded, NEW.in_stock)
    ON CONFLICT DO UPDATE SET drives = drives + 1, registered = registered + excluded.registered,
        deferred = deferred + excluded.deferred, units = units + excluded.units,
        volume_ml = volume_ml + excluded.volume_ml, transferred = transferred + excluded.transferred,
        discarded = discarded + excluded.discarded, in_stock = in_stock + excluded.in_stock;
END;

CREATE TRIGGER drive_summaries_d AFTER DELETE ON drive_summaries BEGIN
    UPDATE year_totals SET drives = drives - 1, registered = registered - OLD.registered,
        deferred = deferred - OLD.deferred, units = units - OLD.units, volume_ml = volume_ml - OLD.volume_ml,
        transferred = transferred - OLD.transferred, discarded = discarded - OLD.discarded,
        in_stock = in_stock - OLD.in_stock
    WHERE year = OLD.year;
END;

CREATE TRIGGER drive_summary_groups_i AFTER INSERT ON drive_summary_groups BEGIN
    INSERT INTO year_group_totals (year, blood_group, units) VALUES (NEW.year, NEW.blood_group, NEW.units)
    ON CONFLICT DO UPDATE SET units = units + excluded.units;
END;

CREATE TRIGGER drive_summary_groups_d AFTER DELETE ON drive_summary_groups BEGIN
    UPDATE year_group_totals SET units = units - OLD.units WHERE year = OLD.year AND blood_group = OLD.blood_group;
END;

-- Not INSERT OR IGNORE: inside the upserts of 0004's triggers the outer
-- statement's conflict policy (ABORT) would override the IGNORE.
-- What changes a drive's figures: a version (its date), a tally, a movement,
-- its units or registrations (through the caches of 0004), and a void.
CREATE TRIGGER drive_versions_summary_i AFTER INSERT ON drive_versions BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER tallies_summary_i AFTER INSERT ON tallies BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER transfers_summary_i AFTER INSERT ON transfers BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER discards_summary_i AFTER INSERT ON discards BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER drive_unit_figures_summary_i AFTER INSERT ON drive_unit_figures BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER drive_unit_figures_summary_u AFTER UPDATE ON drive_unit_figures BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER drive_unit_figures_summary_d AFTER DELETE ON drive_unit_figures BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT OLD.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = OLD.drive);
END;
CREATE TRIGGER drive_registration_figures_summary_i AFTER INSERT ON drive_registration_figures BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER drive_registration_figures_summary_u AFTER UPDATE ON drive_registration_figures BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
CREATE TRIGGER drive_registration_figures_summary_d AFTER DELETE ON drive_registration_figures BEGIN
    INSERT INTO drives_to_summarise (drive) SELECT OLD.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = OLD.drive);
END;
-- Voids are rare: scanning the per-drive record tables for the entry is fine.
CREATE TRIGGER entries_void_summary AFTER INSERT ON entries WHEN NEW.voids IS NOT NULL BEGIN
    INSERT INTO drives_to_summarise (drive)
    SELECT drive FROM (SELECT drive FROM drive_versions WHERE entry = NEW.voids
                       UNION SELECT drive FROM tallies WHERE entry = NEW.voids
                       UNION SELECT drive FROM transfers WHERE entry = NEW.voids
                       UNION SELECT drive FROM discards WHERE entry = NEW.voids)
    WHERE drive NOT IN (SELECT drive FROM drives_to_summarise);
END;

-- Upgrading: every drive is stale; the upgrade summarises them (migrations.rs).
INSERT INTO drives_to_summarise (drive) SELECT id FROM drives;
