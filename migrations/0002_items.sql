-- Itemised records: donors, registrations, units, and which units each
-- transfer or discard moved.
--
-- Append-only like 0001: a correction voids the entry that wrote a row.
-- Checks use `x = 'a' OR x = 'b'` rather than `IN (...)`: measured faster on
-- these tables, which grow to tens of millions of rows.

-- Personal data lives only here (and in the donor's journal payload).
CREATE TABLE donors (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL UNIQUE,
    entry       INTEGER NOT NULL REFERENCES entries(number),
    donor_id    TEXT NOT NULL,            -- as typed
    donor_key   TEXT NOT NULL,            -- folded for lookup
    name        TEXT NOT NULL,
    born        TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex = 'M' OR sex = 'F'),
    blood_group TEXT,
    weight_kg   INTEGER CHECK (weight_kg > 0),
    phone       TEXT,
    national_id TEXT
) STRICT;
CREATE INDEX donors_by_key ON donors(donor_key);

-- A person presenting at a drive; donor NULL for an anonymous donation.
CREATE TABLE registrations (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT NOT NULL UNIQUE,
    entry      INTEGER NOT NULL REFERENCES entries(number),
    drive      INTEGER NOT NULL REFERENCES drives(id),
    donor      INTEGER REFERENCES donors(id),
    outcome    TEXT NOT NULL CHECK (outcome = 'donated' OR outcome = 'deferred'
                                    OR outcome = 'permanently-deferred' OR outcome = 'did-not-bleed'),
    reason     TEXT,
    override   TEXT                       -- a physician's reason to let a refusal through
) STRICT;
CREATE INDEX registrations_by_drive ON registrations(drive);
CREATE INDEX registrations_by_donor ON registrations(donor) WHERE donor IS NOT NULL;

-- One bag. unit_id is unique for all time, voided units too: a plain UNIQUE.
-- ISBT 128 ids are stored without their check character.
CREATE TABLE units (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT NOT NULL UNIQUE,
    entry        INTEGER NOT NULL REFERENCES entries(number),
    unit_id      TEXT NOT NULL UNIQUE,
    drive        INTEGER NOT NULL REFERENCES drives(id),
    registration INTEGER NOT NULL REFERENCES registrations(id),
    donor        INTEGER REFERENCES donors(id),
    blood_group  TEXT NOT NULL,
    volume_ml    INTEGER NOT NULL CHECK (volume_ml > 0),
    product      TEXT NOT NULL CHECK (product = 'whole-blood' OR product = 'red-cells'
                                      OR product = 'platelets-apheresis' OR product = 'plasma-apheresis'),
    collected_on TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    override     TEXT
) STRICT;
CREATE INDEX units_by_drive ON units(drive);
CREATE INDEX units_by_donor ON units(donor) WHERE donor IS NOT NULL;
CREATE INDEX units_by_registration ON units(registration);

-- The units an itemised transfer or discard moved; the transfer's `units`
-- count equals its rows here. A unit leaves stock once among live movements:
-- voids make "live" dynamic, so the code guards that, not an index.
CREATE TABLE transfer_units (
    transfer INTEGER NOT NULL REFERENCES transfers(id),
    unit     INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (transfer, unit)
) STRICT, WITHOUT ROWID;
CREATE INDEX transfer_units_by_unit ON transfer_units(unit);

CREATE TABLE discard_units (
    discard INTEGER NOT NULL REFERENCES discards(id),
    unit    INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (discard, unit)
) STRICT, WITHOUT ROWID;
CREATE INDEX discard_units_by_unit ON discard_units(unit);

CREATE TRIGGER donors_append_only_u BEFORE UPDATE ON donors BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER donors_append_only_d BEFORE DELETE ON donors BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER registrations_append_only_u BEFORE UPDATE ON registrations BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER registrations_append_only_d BEFORE DELETE ON registrations BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER units_append_only_u BEFORE UPDATE ON units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER units_append_only_d BEFORE DELETE ON units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER transfer_units_append_only_u BEFORE UPDATE ON transfer_units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER transfer_units_append_only_d BEFORE DELETE ON transfer_units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER discard_units_append_only_u BEFORE UPDATE ON discard_units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
CREATE TRIGGER discard_units_append_only_d BEFORE DELETE ON discard_units BEGIN SELECT RAISE(ABORT, 'bloodledger: records are append-only'); END;
