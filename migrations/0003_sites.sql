-- Multi-site ledgers: which merges brought entries from which sites.
--
-- A merge copies other sites' journal entries with their records, keeping
-- their ids, and writes one journal entry of its own (action 'merge'). Its
-- rows here say, per site whose entries the merge saw, how many were new and
-- how many already present; `bloodledger sites` reads the time of the last
-- merge from them. These rows are local: they never travel in a bundle.
--
-- Append-only like 0001 and 0002; never edited once landed.

CREATE TABLE site_merges (
    entry   INTEGER NOT NULL REFERENCES entries(number),  -- the merge's own entry
    site_id TEXT NOT NULL,                                -- the site that wrote the entries
    via     TEXT NOT NULL,                                -- the site of the ledger or bundle merged
    new     INTEGER NOT NULL CHECK (new >= 0),
    present INTEGER NOT NULL CHECK (present >= 0),
    PRIMARY KEY (entry, site_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX site_merges_by_site ON site_merges(site_id);

CREATE INDEX entries_by_site ON entries(site_id);

CREATE TRIGGER site_merges_append_only_u BEFORE UPDATE ON site_merges BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER site_merges_append_only_d BEFORE DELETE ON site_merges BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
