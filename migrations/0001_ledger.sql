-- The ledger core: the journal, campaigns, facilities, drives, tallies,
-- transfers and discards.
--
-- Every table is append-only. A correction is a new journal entry that voids
-- an old one (entries.voids), followed by the right record; reports leave out
-- records whose entry has been voided. Triggers below make SQLite itself
-- refuse UPDATE and DELETE, so no code path can rewrite history.
--
-- Rows carry a UUID (`uuid`, or `id` on entries) made where they were written,
-- so ledgers from different sites can be merged; the integer keys are local.
--
-- Once this file has landed it is never edited or reordered: changes go in a
-- new numbered migration.

CREATE TABLE ledger_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE entries (
    number  INTEGER PRIMARY KEY,          -- "#42": local, for typing
    id      TEXT NOT NULL UNIQUE,         -- UUIDv7: global, for merging
    site_id TEXT NOT NULL,
    at      TEXT NOT NULL,                -- UTC, RFC 3339
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,                -- "drive log", "transfer", "void", ...
    drive   TEXT,                         -- uuid of the drive it touched, if any
    summary TEXT NOT NULL,                -- one human line
    payload TEXT NOT NULL,                -- JSON: what it recorded
    voids   INTEGER UNIQUE REFERENCES entries(number),
    reason  TEXT
) STRICT;
CREATE INDEX entries_by_drive ON entries(drive) WHERE drive IS NOT NULL;

CREATE TABLE campaigns (
    id       INTEGER PRIMARY KEY,
    uuid     TEXT NOT NULL UNIQUE,
    entry    INTEGER NOT NULL REFERENCES entries(number),
    slug     TEXT NOT NULL,
    slug_key TEXT NOT NULL,               -- folded for matching
    name     TEXT NOT NULL,
    started  INTEGER
) STRICT;
CREATE INDEX campaigns_by_slug ON campaigns(slug_key);

CREATE TABLE facilities (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT NOT NULL UNIQUE,
    entry        INTEGER NOT NULL REFERENCES entries(number),
    slug         TEXT NOT NULL,
    slug_key     TEXT NOT NULL,
    name         TEXT NOT NULL,
    province     TEXT,
    province_key TEXT
) STRICT;
CREATE INDEX facilities_by_slug ON facilities(slug_key);

-- A drive's identity. Its attributes live in drive_versions, so that a
-- `drive log` can complete a planned drive and voiding the log restores
-- the plan. A drive is live while it has a live version.
CREATE TABLE drives (
    id       INTEGER PRIMARY KEY,
    uuid     TEXT NOT NULL UNIQUE,
    entry    INTEGER NOT NULL REFERENCES entries(number),
    slug     TEXT NOT NULL,
    slug_key TEXT NOT NULL
) STRICT;
CREATE INDEX drives_by_slug ON drives(slug_key);

CREATE TABLE drive_versions (
    id           INTEGER PRIMARY KEY,
    drive        INTEGER NOT NULL REFERENCES drives(id),
    entry        INTEGER NOT NULL REFERENCES entries(number),
    date         TEXT NOT NULL,
    name         TEXT,
    campaign     INTEGER REFERENCES campaigns(id),
    province     TEXT,
    province_key TEXT,
    district     TEXT,
    district_key TEXT,
    venue        TEXT,
    organiser    TEXT,
    target       INTEGER
) STRICT;
CREATE INDEX drive_versions_by_drive ON drive_versions(drive, entry);

-- closed / open events; the latest live one decides.
CREATE TABLE drive_status (
    id     INTEGER PRIMARY KEY,
    drive  INTEGER NOT NULL REFERENCES drives(id),
    entry  INTEGER NOT NULL REFERENCES entries(number),
    status TEXT NOT NULL CHECK (status = 'closed' OR status = 'open')
) STRICT;
CREATE INDEX drive_status_by_drive ON drive_status(drive, entry);

-- The counts from the paper forms. At most one live tally per drive.
CREATE TABLE tallies (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT NOT NULL UNIQUE,
    drive      INTEGER NOT NULL REFERENCES drives(id),
    entry      INTEGER NOT NULL REFERENCES entries(number),
    registered INTEGER NOT NULL CHECK (registered >= 0),
    deferred   INTEGER NOT NULL CHECK (deferred >= 0),
    collected  INTEGER NOT NULL CHECK (collected >= 0),
    volume_ml  INTEGER CHECK (volume_ml >= 0)
) STRICT;
CREATE INDEX tallies_by_drive ON tallies(drive);

CREATE TABLE tally_groups (
    tally       INTEGER NOT NULL REFERENCES tallies(id),
    blood_group TEXT NOT NULL,
    units       INTEGER NOT NULL CHECK (units >= 0),
    PRIMARY KEY (tally, blood_group)
) STRICT, WITHOUT ROWID;

CREATE TABLE transfers (
    id       INTEGER PRIMARY KEY,
    uuid     TEXT NOT NULL UNIQUE,
    drive    INTEGER NOT NULL REFERENCES drives(id),
    entry    INTEGER NOT NULL REFERENCES entries(number),
    facility INTEGER NOT NULL REFERENCES facilities(id),
    date     TEXT NOT NULL,
    units    INTEGER NOT NULL CHECK (units > 0)
) STRICT;
CREATE INDEX transfers_by_drive ON transfers(drive);

CREATE TABLE discards (
    id     INTEGER PRIMARY KEY,
    uuid   TEXT NOT NULL UNIQUE,
    drive  INTEGER NOT NULL REFERENCES drives(id),
    entry  INTEGER NOT NULL REFERENCES entries(number),
    date   TEXT NOT NULL,
    units  INTEGER NOT NULL CHECK (units > 0),
    reason TEXT NOT NULL
) STRICT;
CREATE INDEX discards_by_drive ON discards(drive);

-- Append-only, enforced by SQLite itself.
CREATE TRIGGER ledger_meta_append_only_u BEFORE UPDATE ON ledger_meta BEGIN SELECT RAISE(ABORT, 'bloodledger: ledger_meta is append-only'); END;
CREATE TRIGGER ledger_meta_append_only_d BEFORE DELETE ON ledger_meta BEGIN SELECT RAISE(ABORT, 'bloodledger: ledger_meta is append-only'); END;
CREATE TRIGGER entries_append_only_u BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'bloodledger: journal entries are append-only; void the entry instead'); END;
CREATE TRIGGER entries_append_only_d BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'bloodledger: journal entries are append-only; void the entry instead'); END;
CREATE TRIGGER campaigns_append_only_u BEFORE UPDATE ON campaigns BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER campaigns_append_only_d BEFORE DELETE ON campaigns BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER facilities_append_only_u BEFORE UPDATE ON facilities BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER facilities_append_only_d BEFORE DELETE ON facilities BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER drives_append_only_u BEFORE UPDATE ON drives BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER drives_append_only_d BEFORE DELETE ON drives BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER drive_versions_append_only_u BEFORE UPDATE ON drive_versions BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER drive_versions_append_only_d BEFORE DELETE ON drive_versions BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER drive_status_append_only_u BEFORE UPDATE ON drive_status BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER drive_status_append_only_d BEFORE DELETE ON drive_status BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER tallies_append_only_u BEFORE UPDATE ON tallies BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER tallies_append_only_d BEFORE DELETE ON tallies BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER tally_groups_append_only_u BEFORE UPDATE ON tally_groups BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER tally_groups_append_only_d BEFORE DELETE ON tally_groups BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER transfers_append_only_u BEFORE UPDATE ON transfers BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER transfers_append_only_d BEFORE DELETE ON transfers BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER discards_append_only_u BEFORE UPDATE ON discards BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER discards_append_only_d BEFORE DELETE ON discards BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
