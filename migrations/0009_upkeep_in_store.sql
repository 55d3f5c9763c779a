-- Schema 9: the caches' upkeep for units, for the units a transfer or a
-- discard lists, and the marks that send a discard's drive or a changed
-- figure's drive to be summarised, move from triggers into the store
-- (src/store/upkeep.rs), as 0007 did for voids.
--
-- Every process parses every trigger of the schema when it opens the
-- ledger: these ten cost each command about 0.2 ms and none fires in
-- most commands. The store runs the same statements after the inserts it
-- makes (`unit collect`, `transfer`, `discard`, merges; `import units` and
-- `import transfers` did this work themselves already). `check`
-- recomputes every cache from the records and reports any difference.
DROP TRIGGER units_cache_i;
DROP TRIGGER transfer_units_cache_i;
DROP TRIGGER discard_units_cache_i;
DROP TRIGGER discards_summary_i;
DROP TRIGGER drive_unit_figures_summary_i;
DROP TRIGGER drive_unit_figures_summary_u;
DROP TRIGGER drive_unit_figures_summary_d;
DROP TRIGGER drive_registration_figures_summary_i;
DROP TRIGGER drive_registration_figures_summary_u;
DROP TRIGGER drive_registration_figures_summary_d;

-- Registrations keep their trigger (an import of registrations runs it
-- inside each INSERT), now marking the drive itself.
DROP TRIGGER registrations_cache_i;
CREATE TRIGGER registrations_cache_i AFTER INSERT ON registrations BEGIN
    INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
    VALUES (NEW.drive, 1, NEW.outcome = 'deferred' OR NEW.outcome = 'permanently-deferred', NEW.outcome = 'donated')
    ON CONFLICT DO UPDATE SET registered = registered + 1, deferred = deferred + excluded.deferred,
                              donated = donated + excluded.donated;
    INSERT INTO drives_to_summarise (drive) SELECT NEW.drive
    WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = NEW.drive);
END;
