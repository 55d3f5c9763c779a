//! Merging: entries with their records, keyed by UUID, read from one ledger
//! and written into another with their original ids; and the queries that
//! find what a merge must refuse.
//!
//! Every record table is described once in [`TABLES`]: how to read the rows
//! an entry wrote with references as UUIDs, and how to write them back with
//! the UUIDs turned into this ledger's local ids.

use std::path::Path;

use anyhow::{Context as _, Result};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde_json::Value;

use super::{Access, BUSY_TIMEOUT, Store, Txn, describe_open_error, live, migrations};
use crate::error::UserError;
use crate::ledger::merge::{EntryAt, Record, TravellingEntry};

struct Table {
    name: &'static str,
    /// The rows entry `?1` wrote, references as UUIDs, in a canonical order.
    select: &'static str,
    /// Named parameters: the columns of `select`, and `:entry`.
    insert: &'static str,
    /// Reference columns and the table they point to (by its [`identity`]).
    refs: &'static [(&'static str, &'static str)],
}

/// The `select` of `units` for a source ledger older than schema 8.
const UNITS_BEFORE_SCHEMA_8: &str =
    "SELECT u.unit_id, d.uuid AS drive, r.uuid AS registration, o.uuid AS donor, u.blood_group,
            u.volume_ml, u.product, u.collected_on, u.expires_on, u.override
     FROM units u JOIN drives d ON d.id = u.drive LEFT JOIN registrations r ON r.id = u.registration
     LEFT JOIN donors o ON o.id = u.donor
     WHERE u.entry = ?1 ORDER BY u.unit_id";

/// In an order that writes a row after the rows it refers to.
const TABLES: &[Table] = &[
    Table {
        name: "campaigns",
        select: "SELECT uuid, slug, slug_key, name, started FROM campaigns WHERE entry = ?1 ORDER BY uuid",
        insert: "INSERT INTO campaigns (uuid, entry, slug, slug_key, name, started)
                 VALUES (:uuid, :entry, :slug, :slug_key, :name, :started)",
        refs: &[],
    },
    Table {
        name: "facilities",
        select: "SELECT uuid, slug, slug_key, name, province, province_key FROM facilities WHERE entry = ?1 ORDER BY uuid",
        insert: "INSERT INTO facilities (uuid, entry, slug, slug_key, name, province, province_key)
                 VALUES (:uuid, :entry, :slug, :slug_key, :name, :province, :province_key)",
        refs: &[],
    },
    Table {
        name: "donors",
        select: "SELECT uuid, donor_id, donor_key, name, born, sex, blood_group, weight_kg, phone, national_id
                 FROM donors WHERE entry = ?1 ORDER BY uuid",
        insert: "INSERT INTO donors (uuid, entry, donor_id, donor_key, name, born, sex, blood_group, weight_kg, phone, national_id)
                 VALUES (:uuid, :entry, :donor_id, :donor_key, :name, :born, :sex, :blood_group, :weight_kg, :phone, :national_id)",
        refs: &[],
    },
    Table {
        name: "drives",
        select: "SELECT uuid, slug, slug_key FROM drives WHERE entry = ?1 ORDER BY uuid",
        insert: "INSERT INTO drives (uuid, entry, slug, slug_key) VALUES (:uuid, :entry, :slug, :slug_key)",
        refs: &[],
    },
    Table {
        name: "drive_versions",
        select: "SELECT d.uuid AS drive, v.date, v.name, c.uuid AS campaign, v.province, v.province_key,
                        v.district, v.district_key, v.venue, v.organiser, v.target
                 FROM drive_versions v JOIN drives d ON d.id = v.drive LEFT JOIN campaigns c ON c.id = v.campaign
                 WHERE v.entry = ?1 ORDER BY d.uuid, v.id",
        insert: "INSERT INTO drive_versions (drive, entry, date, name, campaign, province, province_key,
                                             district, district_key, venue, organiser, target)
                 VALUES ((SELECT id FROM drives WHERE uuid = :drive), :entry, :date, :name,
                         (SELECT id FROM campaigns WHERE uuid = :campaign), :province, :province_key,
                         :district, :district_key, :venue, :organiser, :target)",
        refs: &[("drive", "drives"), ("campaign", "campaigns")],
    },
    Table {
        name: "drive_status",
        select: "SELECT d.uuid AS drive, s.status FROM drive_status s JOIN drives d ON d.id = s.drive
                 WHERE s.entry = ?1 ORDER BY d.uuid, s.id",
        insert: "INSERT INTO drive_status (drive, entry, status)
                 VALUES ((SELECT id FROM drives WHERE uuid = :drive), :entry, :status)",
        refs: &[("drive", "drives")],
    },
    Table {
        name: "tallies",
        select: "SELECT t.uuid, d.uuid AS drive, t.registered, t.deferred, t.collected, t.volume_ml
                 FROM tallies t JOIN drives d ON d.id = t.drive WHERE t.entry = ?1 ORDER BY t.uuid",
        insert: "INSERT INTO tallies (uuid, drive, entry, registered, deferred, collected, volume_ml)
                 VALUES (:uuid, (SELECT id FROM drives WHERE uuid = :drive), :entry, :registered, :deferred,
                         :collected, :volume_ml)",
        refs: &[("drive", "drives")],
    },
    Table {
        name: "tally_groups",
        select: "SELECT t.uuid AS tally, g.blood_group, g.units FROM tally_groups g JOIN tallies t ON t.id = g.tally
                 WHERE t.entry = ?1 ORDER BY t.uuid, g.blood_group",
        insert: "INSERT INTO tally_groups (tally, blood_group, units)
                 VALUES ((SELECT id FROM tallies WHERE uuid = :tally), :blood_group, :units)",
        refs: &[("tally", "tallies")],
    },
    Table {
        name: "registrations",
        select: "SELECT r.uuid, d.uuid AS drive, o.uuid AS donor, r.outcome, r.reason, r.override
                 FROM registrations r JOIN drives d ON d.id = r.drive LEFT JOIN donors o ON o.id = r.donor
                 WHERE r.entry = ?1 ORDER BY r.uuid",
        insert: "INSERT INTO registrations (uuid, entry, drive, donor, outcome, reason, override)
                 VALUES (:uuid, :entry, (SELECT id FROM drives WHERE uuid = :drive),
                         (SELECT id FROM donors WHERE uuid = :donor), :outcome, :reason, :override)",
        refs: &[("drive", "drives"), ("donor", "donors")],
    },
    Table {
        name: "units",
        // A unit's identity is its unit_id (unique for all time); an
        // anonymous donation has no registration.
        select: concat!(
            "SELECT u.unit_id, d.uuid AS drive, r.uuid AS registration, o.uuid AS donor, u.blood_group,
                    u.volume_ml, u.product, u.collected_on, u.expires_on, u.override
             FROM ",
            units_of_entry!(),
            " AS u JOIN drives d ON d.id = u.drive LEFT JOIN registrations r ON r.id = u.registration
             LEFT JOIN donors o ON o.id = u.donor
             ORDER BY u.unit_id"
        ),
        insert: "INSERT INTO units (entry, unit_id, drive, registration, donor, blood_group, volume_ml, product,
                                   collected_on, expires_on, override)
                 VALUES (:entry, :unit_id, (SELECT id FROM drives WHERE uuid = :drive),
                         (SELECT id FROM registrations WHERE uuid = :registration),
                         (SELECT id FROM donors WHERE uuid = :donor), :blood_group, :volume_ml, :product,
                         :collected_on, :expires_on, :override)",
        refs: &[("drive", "drives"), ("registration", "registrations"), ("donor", "donors")],
    },
    Table {
        name: "transfers",
        select: "SELECT t.uuid, d.uuid AS drive, f.uuid AS facility, t.date, t.units
                 FROM transfers t JOIN drives d ON d.id = t.drive JOIN facilities f ON f.id = t.facility
                 WHERE t.entry = ?1 ORDER BY t.uuid",
        insert: "INSERT INTO transfers (uuid, drive, entry, facility, date, units)
                 VALUES (:uuid, (SELECT id FROM drives WHERE uuid = :drive), :entry,
                         (SELECT id FROM facilities WHERE uuid = :facility), :date, :units)",
        refs: &[("drive", "drives"), ("facility", "facilities")],
    },
    Table {
        name: "transfer_units",
        select: "SELECT t.uuid AS transfer, u.unit_id AS unit
                 FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer JOIN units u ON u.id = tu.unit
                 WHERE t.entry = ?1 ORDER BY t.uuid, u.unit_id",
        insert: "INSERT INTO transfer_units (transfer, unit)
                 VALUES ((SELECT id FROM transfers WHERE uuid = :transfer), (SELECT id FROM units WHERE unit_id = :unit))",
        refs: &[("transfer", "transfers"), ("unit", "units")],
    },
    Table {
        name: "discards",
        select: "SELECT x.uuid, d.uuid AS drive, x.date, x.units, x.reason
                 FROM discards x JOIN drives d ON d.id = x.drive WHERE x.entry = ?1 ORDER BY x.uuid",
        insert: "INSERT INTO discards (uuid, drive, entry, date, units, reason)
                 VALUES (:uuid, (SELECT id FROM drives WHERE uuid = :drive), :entry, :date, :units, :reason)",
        refs: &[("drive", "drives")],
    },
    Table {
        name: "discard_units",
        select: "SELECT x.uuid AS discard, u.unit_id AS unit
                 FROM discard_units du JOIN discards x ON x.id = du.discard JOIN units u ON u.id = du.unit
                 WHERE x.entry = ?1 ORDER BY x.uuid, u.unit_id",
        insert: "INSERT INTO discard_units (discard, unit)
                 VALUES ((SELECT id FROM discards WHERE uuid = :discard), (SELECT id FROM units WHERE unit_id = :unit))",
        refs: &[("discard", "discards"), ("unit", "units")],
    },
];

/// The column that names a row across ledgers: a unit's id is unique for
/// all time; every other record has a UUID.
fn identity(table: &str) -> &'static str {
    if table == "units" { "unit_id" } else { "uuid" }
}

/// What a reference names, for messages.
fn noun(table: &str) -> &'static str {
    match table {
        "campaigns" => "campaign",
        "facilities" => "facility",
        "donors" => "donor",
        "drives" => "drive",
        "registrations" => "registration",
        "units" => "unit",
        "tallies" => "tally",
        "transfers" => "transfer",
        "discards" => "discard",
        _ => "record",
    }
}

/// Which entries to read: all, those after an entry, or those on or after a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    All,
    AfterEntry(i64),
    /// `YYYY-MM-DD`: compared with the entries' UTC times.
    Day(String),
}

/// How writing one travelling entry went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Written as this local entry number.
    Entry(i64),
    /// It rests on a record this ledger lacks: "drive 0192…".
    Missing(String),
}

/// A site whose entries this ledger holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRow {
    pub site_id: String,
    pub entries: u64,
    pub last_entry_at: String,
    /// The last merge that brought new entries of this site, if any.
    pub last_merge_at: Option<String>,
    pub last_merge_via: Option<String>,
}

/// The oldest schema whose tables a merge reads (0002 added the items).
const OLDEST_SOURCE_VERSION: i64 = 2;

impl Store {
    /// Another ledger, to merge from: opened read-only, never migrated.
    pub fn open_source(path: &Path) -> Result<Store> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .with_context(|| format!("cannot open the ledger {}", path.display()))?;
        let read = || -> Result<(i64, String)> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if version > migrations::LATEST_VERSION {
                return Err(UserError::new(format!(
                    "the ledger {} was written by a newer bloodledger (schema {version}; this one knows up to {}); nothing was changed",
                    path.display(),
                    migrations::LATEST_VERSION
                ))
                .hint("merge it with the newer bloodledger, or have its site export a bundle with this version")
                .into());
            }
            if version < OLDEST_SOURCE_VERSION {
                return Err(UserError::new(format!(
                    "{} is not a bloodledger ledger this version can merge (schema {version}); nothing was changed",
                    path.display()
                ))
                .hint(format!(
                    "if it is an older ledger, upgrade a copy of it first: `bloodledger --db COPY check`, then merge COPY (not {})",
                    path.display()
                ))
                .into());
            }
            let site_id = conn.query_row("SELECT value FROM ledger_meta WHERE key = 'site_id'", [], |r| r.get(0))?;
            Ok((version, site_id))
        };
        let (_, site_id) = read().map_err(|e| describe_open_error(e, path))?;
        Ok(Store {
            conn,
            site_id,
            access: Access::Read,
            wal_frames: Default::default(),
            created: None,
            committed: std::cell::Cell::new(false),
        })
    }
}

fn json_of(value: ValueRef) -> Result<Value> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Text(t) => Value::from(std::str::from_utf8(t)?),
        other => anyhow::bail!("unexpected {:?} value in a record", other.data_type()),
    })
}

fn sql_of(value: &Value) -> Option<SqlValue> {
    match value {
        Value::Null => Some(SqlValue::Null),
        Value::Number(n) => n.as_i64().map(SqlValue::Integer),
        Value::String(s) => Some(SqlValue::Text(s.clone())),
        _ => None,
    }
}

/// A bundle's record that is not what this version writes: named, so that
/// the damaged file can be found.
fn damaged(entry: &TravellingEntry, table: &str, what: &str) -> anyhow::Error {
    UserError::new(format!(
        "the records of entry {} ({}) are damaged: {table}: {what}; nothing was changed",
        entry.id, entry.summary
    ))
    .hint("export the bundle again at its site, or merge its ledger file instead")
    .into()
}

impl Txn<'_> {
    /// Entries with their records, oldest first.
    pub fn travelling_entries(&self, since: &Since) -> Result<Vec<TravellingEntry>> {
        let (after, day) = match since {
            Since::All => (0, None),
            Since::AfterEntry(number) => (*number, None),
            Since::Day(day) => (0, Some(day.as_str())),
        };
        let numbers: Vec<i64> = {
            let mut stmt = self
                .tx
                .prepare("SELECT number FROM entries WHERE number > ?1 AND (?2 IS NULL OR at >= ?2) ORDER BY number")?;
            stmt.query_map(params![after, day], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        numbers.into_iter().map(|n| self.travelling_entry(n)).collect()
    }

    /// One entry with every record it wrote.
    pub fn travelling_entry(&self, number: i64) -> Result<TravellingEntry> {
        let mut entry = self.tx.query_row(
            "SELECT e.id, e.site_id, e.at, e.actor, e.action, e.drive, e.summary, e.payload,
                    (SELECT v.id FROM entries v WHERE v.number = e.voids), e.reason
             FROM entries e WHERE e.number = ?1",
            params![number],
            |r| {
                Ok(TravellingEntry {
                    id: r.get(0)?,
                    site_id: r.get(1)?,
                    at: r.get(2)?,
                    actor: r.get(3)?,
                    action: r.get(4)?,
                    drive: r.get(5)?,
                    summary: r.get(6)?,
                    payload: r.get(7)?,
                    voids: r.get(8)?,
                    reason: r.get(9)?,
                    records: Default::default(),
                })
            },
        )?;
        // A source ledger is never migrated: before schema 8 it has no
        // ranges of units by entry (and an index of units by entry instead).
        let ranges = self.tx.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'entry_units'",
            [],
            |r| r.get::<_, i64>(0),
        )? > 0;
        for table in TABLES {
            let select = match table.name {
                "units" if !ranges => UNITS_BEFORE_SCHEMA_8,
                _ => table.select,
            };
            let mut stmt = self.tx.prepare_cached(select)?;
            let columns: Vec<String> = stmt.column_names().map(String::from).collect();
            let mut rows = stmt.query(params![number])?;
            let mut records = Vec::new();
            while let Some(row) = rows.next()? {
                let mut record = Record::new();
                for (i, column) in columns.iter().enumerate() {
                    record.insert(column.clone(), json_of(row.get_ref(i)?)?);
                }
                records.push(record);
            }
            if !records.is_empty() {
                entry.records.insert(table.name.to_string(), records);
            }
        }
        Ok(entry)
    }

    /// The local number of the entry with this id.
    pub fn entry_number(&self, id: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .query_row("SELECT number FROM entries WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?)
    }

    /// The last entry's number, for `export bundle` to say where it ends.
    pub fn last_entry_number(&self) -> Result<i64> {
        Ok(self
            .tx
            .query_row("SELECT coalesce(max(number), 0) FROM entries", [], |r| r.get(0))?)
    }

    fn entry_at(&self, number: i64) -> Result<EntryAt> {
        Ok(self.tx.query_row(
            "SELECT id, site_id, summary FROM entries WHERE number = ?1",
            params![number],
            |r| {
                Ok(EntryAt {
                    id: r.get(0)?,
                    site_id: r.get(1)?,
                    summary: r.get(2)?,
                })
            },
        )?)
    }

    /// The entry that voids the entry with id `voided`, if any.
    pub fn void_of(&self, voided: &str) -> Result<Option<EntryAt>> {
        let number: Option<i64> = self
            .tx
            .query_row(
                "SELECT v.number FROM entries v JOIN entries e ON e.number = v.voids WHERE e.id = ?1",
                params![voided],
                |r| r.get(0),
            )
            .optional()?;
        number.map(|n| self.entry_at(n)).transpose()
    }

    /// The entry that collected the unit with this stored id, if this ledger
    /// has one: for an entry it does not hold yet, that is a conflict.
    pub fn unit_with_id(&self, unit_id: &str) -> Result<Option<EntryAt>> {
        let number: Option<i64> = self
            .tx
            .query_row("SELECT entry FROM units WHERE unit_id = ?1", params![unit_id], |r| {
                r.get(0)
            })
            .optional()?;
        number.map(|n| self.entry_at(n)).transpose()
    }

    /// Writes an entry from another ledger with its original id, site, time
    /// and actor, and its records. Nothing is checked here but that what it
    /// refers to exists; the caller rolls back on [`Placed::Missing`].
    pub fn place_entry(&self, entry: &TravellingEntry) -> Result<Placed> {
        let voided = match &entry.voids {
            None => None,
            Some(id) => match self.entry_number(id)? {
                Some(number) => Some(number),
                None => return Ok(Placed::Missing(format!("the entry it voids, {id}"))),
            },
        };
        if let Some(table) = entry.records.keys().find(|t| !TABLES.iter().any(|s| s.name == *t)) {
            return Err(damaged(entry, table, "not a table of this version"));
        }
        self.tx.execute(
            "INSERT INTO entries (id, site_id, at, actor, action, drive, summary, payload, voids, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, (SELECT number FROM entries WHERE id = ?9), ?10)",
            params![
                entry.id,
                entry.site_id,
                entry.at,
                entry.actor,
                entry.action,
                entry.drive,
                entry.summary,
                entry.payload,
                entry.voids,
                entry.reason
            ],
        )?;
        let number = self.tx.last_insert_rowid();
        if let Some(voided) = voided {
            self.take_voided_off_caches(voided)?;
        }
        for table in TABLES {
            let Some(records) = entry.records.get(table.name) else {
                continue;
            };
            let columns: Vec<String> = self
                .tx
                .prepare_cached(table.select)?
                .column_names()
                .map(String::from)
                .collect();
            let mut stmt = self.tx.prepare_cached(table.insert)?;
            for record in records {
                if record.len() != columns.len() || columns.iter().any(|c| !record.contains_key(c)) {
                    return Err(damaged(
                        entry,
                        table.name,
                        &format!("a row without the columns {}", columns.join(", ")),
                    ));
                }
                for (column, target) in table.refs {
                    let Some(key) = record.get(*column).and_then(Value::as_str) else {
                        continue;
                    };
                    let sql = format!("SELECT 1 FROM {target} WHERE {} = ?1", identity(target));
                    let found: Option<i64> = self.tx.query_row(&sql, params![key], |r| r.get(0)).optional()?;
                    if found.is_none() {
                        return Ok(Placed::Missing(format!("{} {key}", noun(target))));
                    }
                }
                stmt.clear_bindings();
                for (column, value) in record {
                    let Some(index) = stmt.parameter_index(&format!(":{column}"))? else {
                        continue;
                    };
                    let value = sql_of(value)
                        .ok_or_else(|| damaged(entry, table.name, &format!("`{column}` is not a number or text")))?;
                    stmt.raw_bind_parameter(index, value)?;
                }
                if let Some(index) = stmt.parameter_index(":entry")? {
                    stmt.raw_bind_parameter(index, number)?;
                }
                stmt.raw_execute()?;
                self.upkeep_after_merged(table.name, record.get("unit").and_then(Value::as_str))?;
            }
        }
        Ok(Placed::Entry(number))
    }

    /// The live drives whose slug folds as the drive `uuid`'s does, with the
    /// entries that created them: more than one is a conflict.
    pub fn live_drives_like(&self, uuid: &str) -> Result<Vec<(String, String, EntryAt)>> {
        let sql = format!(
            "SELECT d.uuid, d.slug, d.entry FROM drives d
             WHERE d.slug_key = (SELECT slug_key FROM drives WHERE uuid = ?1)
               AND EXISTS (SELECT 1 FROM drive_versions v WHERE v.drive = d.id AND {})
             ORDER BY d.uuid",
            live("v")
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let rows: Vec<(String, String, i64)> = stmt
            .query_map(params![uuid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(uuid, slug, entry)| Ok((uuid, slug, self.entry_at(entry)?)))
            .collect()
    }

    /// The entries of every live transfer or discard that took the unit out
    /// of stock: more than one is a conflict.
    pub fn live_movements_of_unit(&self, unit_id: &str) -> Result<Vec<EntryAt>> {
        let sql = format!(
            "SELECT t.entry FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer
               WHERE tu.unit = (SELECT id FROM units WHERE unit_id = ?1) AND {}
             UNION ALL
             SELECT x.entry FROM discard_units du JOIN discards x ON x.id = du.discard
               WHERE du.unit = (SELECT id FROM units WHERE unit_id = ?1) AND {}
             ORDER BY 1",
            live("t"),
            live("x")
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let numbers: Vec<i64> = stmt
            .query_map(params![unit_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        numbers.into_iter().map(|n| self.entry_at(n)).collect()
    }

    /// The drive's slug and the entries of its live tallies: more than one
    /// is a conflict.
    pub fn live_tallies_of_drive(&self, uuid: &str) -> Result<(String, Vec<EntryAt>)> {
        let slug: String = self
            .tx
            .query_row("SELECT slug FROM drives WHERE uuid = ?1", params![uuid], |r| r.get(0))?;
        let sql = format!(
            "SELECT t.entry FROM tallies t WHERE t.drive = (SELECT id FROM drives WHERE uuid = ?1) AND {}
             ORDER BY t.entry",
            live("t")
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let numbers: Vec<i64> = stmt
            .query_map(params![uuid], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let entries = numbers.into_iter().map(|n| self.entry_at(n)).collect::<Result<_>>()?;
        Ok((slug, entries))
    }

    /// The action of entry `number` ("merge", "void", …).
    pub fn entry_action(&self, number: i64) -> Result<Option<String>> {
        Ok(self
            .tx
            .query_row("SELECT action FROM entries WHERE number = ?1", params![number], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// One row per site a merge saw entries of.
    pub fn record_site_merge(&self, entry: i64, site_id: &str, via: &str, new: u64, present: u64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO site_merges (entry, site_id, via, new, present) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![entry, site_id, via, new, present],
        )?;
        Ok(())
    }

    /// Every site whose entries this ledger holds, with the last merge that
    /// brought new entries of it.
    pub fn sites(&self) -> Result<Vec<SiteRow>> {
        let mut stmt = self.tx.prepare(
            "SELECT e.site_id, count(*), max(e.at),
                    (SELECT m.at FROM site_merges s JOIN entries m ON m.number = s.entry
                     WHERE s.site_id = e.site_id AND s.new > 0 ORDER BY s.entry DESC LIMIT 1),
                    (SELECT s.via FROM site_merges s
                     WHERE s.site_id = e.site_id AND s.new > 0 ORDER BY s.entry DESC LIMIT 1)
             FROM entries e GROUP BY e.site_id ORDER BY min(e.number)",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SiteRow {
                    site_id: r.get(0)?,
                    entries: r.get(1)?,
                    last_entry_at: r.get(2)?,
                    last_merge_at: r.get(3)?,
                    last_merge_via: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
