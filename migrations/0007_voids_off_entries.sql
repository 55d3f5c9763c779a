-- Schema 7: what a void does to the caches is done by the store, not by
-- triggers on `entries`.
--
-- SQLite compiles every trigger of a table into every INSERT on it, WHEN
-- clause or not, and parses every trigger of the schema when a process
-- opens the ledger. These two ran only for voids, yet they were two thirds
-- of the cost of appending any entry and a fifth of reading the schema: a
-- quarter of the work of one `drive log`. Their statements, unchanged, are
-- now run by the store right after it appends a void entry, whether a
-- command wrote it or a merge brought it (store/journal.rs, `VOID_UPKEEP`).
-- `check` recounts every cache from the records, so a void that missed them
-- would be reported.
DROP TRIGGER entries_void_cache;
DROP TRIGGER entries_void_summary;
