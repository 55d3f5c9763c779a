//! The journal: one entry per write command, never changed.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::Txn;

pub struct NewEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub drive_uuid: Option<&'a str>,
    pub summary: String,
    pub payload: Value,
    pub voids: Option<i64>,
    pub reason: Option<&'a str>,
}

/// How an entry is named: `#number` for typing, `id` for merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRef {
    pub number: i64,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub number: i64,
    pub id: String,
    pub drive_uuid: Option<String>,
    pub summary: String,
    pub voids: Option<i64>,
    pub voided_by: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub number: i64,
    pub id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub drive: Option<String>,
    pub summary: String,
    pub voids: Option<i64>,
    pub reason: Option<String>,
    pub voided_by: Option<i64>,
}

/// What a void does to the caches, `?1` being the voided entry (it was live:
/// an entry is voided once). Its records come off the per-drive figures as a
/// difference, not a recount of the drives, so that no statement needs a
/// drive's units; its units leave stock, and the units its transfers and
/// discards took out come back unless something else still holds them; the
/// drives it touched are summarised again at commit. These were triggers on
/// `entries` until schema 7 (see migrations/0007_voids_off_entries.sql).
/// No alias on an UPDATE's table: Debian's sqlite3 shell (3.40) cannot read one.
const VOID_UPKEEP: [&str; 7] = [
    concat!(
        "UPDATE drive_unit_figures
     SET units = drive_unit_figures.units - x.units, volume_ml = drive_unit_figures.volume_ml - x.volume_ml
     FROM (SELECT drive, blood_group, product, count(*) AS units, sum(volume_ml) AS volume_ml
           FROM ",
        units_of_entry!(),
        " GROUP BY drive, blood_group, product) AS x
     WHERE drive_unit_figures.drive = x.drive AND drive_unit_figures.blood_group = x.blood_group
       AND drive_unit_figures.product = x.product"
    ),
    concat!(
        "DELETE FROM drive_unit_figures WHERE units = 0 AND drive IN (SELECT drive FROM ",
        units_of_entry!(),
        ")"
    ),
    concat!(
        "UPDATE drive_registration_figures
     SET registered = drive_registration_figures.registered - x.registered,
         deferred = drive_registration_figures.deferred - x.deferred,
         donated = drive_registration_figures.donated - x.donated
     FROM (SELECT drive, sum(registered) AS registered, sum(deferred) AS deferred, sum(donated) AS donated FROM (
               SELECT r.drive, 1 AS registered,
                      r.outcome = 'deferred' OR r.outcome = 'permanently-deferred' AS deferred,
                      r.outcome = 'donated' AS donated
               FROM registrations r WHERE r.entry = ?1
               UNION ALL
               SELECT u.drive, 1, 0, 1 FROM ",
        units_of_entry!(),
        " AS u WHERE u.registration IS NULL)
           GROUP BY drive) AS x
     WHERE drive_registration_figures.drive = x.drive"
    ),
    concat!(
        "DELETE FROM drive_registration_figures WHERE registered = 0
         AND drive IN (SELECT drive FROM registrations WHERE entry = ?1
                       UNION SELECT drive FROM ",
        units_of_entry!(),
        ")"
    ),
    concat!(
        "DELETE FROM units_in_stock WHERE unit IN (SELECT id FROM ",
        units_of_entry!(),
        ")"
    ),
    "INSERT OR IGNORE INTO units_in_stock (unit, expires_on)
     SELECT u.id, u.expires_on FROM units u
     WHERE u.id IN (SELECT tu.unit FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer WHERE t.entry = ?1
                    UNION SELECT du.unit FROM discard_units du JOIN discards x ON x.id = du.discard WHERE x.entry = ?1)
       AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = u.entry)
       AND NOT EXISTS (SELECT 1 FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer
                       WHERE tu.unit = u.id AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = t.entry))
       AND NOT EXISTS (SELECT 1 FROM discard_units du JOIN discards x ON x.id = du.discard
                       WHERE du.unit = u.id AND NOT EXISTS (SELECT 1 FROM entries y WHERE y.voids = x.entry))",
    concat!(
        "INSERT INTO drives_to_summarise (drive) SELECT drive FROM ",
        drives_counted_by_entry!(),
        " WHERE drive NOT IN (SELECT drive FROM drives_to_summarise)"
    ),
];

impl Txn<'_> {
    /// After appending an entry that voids `voided` (and only then): see [`VOID_UPKEEP`].
    pub(super) fn take_voided_off_caches(&self, voided: i64) -> Result<()> {
        for sql in VOID_UPKEEP {
            self.tx.execute(sql, params![voided])?;
        }
        Ok(())
    }

    pub fn append_entry(&self, entry: NewEntry<'_>) -> Result<EntryRef> {
        self.append_entry_as(None, entry)
    }

    /// The number the next entry will get. For a command that writes its
    /// records before it knows its summary (an import counts as it goes):
    /// foreign keys are checked at commit, when the entry exists.
    pub fn reserve_entry(&self) -> Result<i64> {
        self.tx.pragma_update(None, "defer_foreign_keys", true)?;
        let last: i64 = self
            .tx
            .query_row("SELECT coalesce(max(number), 0) FROM entries", [], |r| r.get(0))?;
        Ok(last + 1)
    }

    pub fn append_entry_as(&self, number: Option<i64>, entry: NewEntry<'_>) -> Result<EntryRef> {
        let id = uuid::Uuid::now_v7().to_string();
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.tx.execute(
            "INSERT INTO entries (number, id, site_id, at, actor, action, drive, summary, payload, voids, reason)
             VALUES (?11, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                self.site_id,
                at,
                entry.actor,
                entry.action,
                entry.drive_uuid,
                entry.summary,
                entry.payload.to_string(),
                entry.voids,
                entry.reason,
                number,
            ],
        )?;
        let number = self.tx.last_insert_rowid();
        if let Some(voided) = entry.voids {
            self.take_voided_off_caches(voided)?;
        }
        Ok(EntryRef { number, id })
    }

    /// An entry by its short number (`42`, `#42`) or its UUID.
    pub fn find_entry(&self, number: Option<i64>, id: Option<&str>) -> Result<Option<StoredEntry>> {
        Ok(self
            .tx
            .query_row(
                "SELECT e.number, e.id, e.drive, e.summary, e.voids,
                        (SELECT v.number FROM entries v WHERE v.voids = e.number)
                 FROM entries e WHERE e.number = ?1 OR e.id = ?2",
                params![number, id],
                |r| {
                    Ok(StoredEntry {
                        number: r.get(0)?,
                        id: r.get(1)?,
                        drive_uuid: r.get(2)?,
                        summary: r.get(3)?,
                        voids: r.get(4)?,
                        voided_by: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// The drives whose records entry `number` wrote.
    pub fn drives_of_entry(&self, number: i64) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare(concat!(
            "SELECT d.uuid FROM drives d WHERE d.id IN (
                 SELECT id FROM drives WHERE entry = ?1
                 UNION SELECT drive FROM drive_status WHERE entry = ?1
                 UNION SELECT drive FROM ",
            drives_counted_by_entry!(),
            ")"
        ))?;
        let uuids = stmt
            .query_map(params![number], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(uuids)
    }

    /// Live entries after `number` that touched the drive `drive_uuid`.
    pub fn later_live_entries_of_drive(&self, drive_uuid: &str, number: i64) -> Result<Vec<i64>> {
        let mut stmt = self.tx.prepare(
            "SELECT e.number FROM entries e
             WHERE e.drive = ?1 AND e.number > ?2 AND e.voids IS NULL
               AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = e.number)
             ORDER BY e.number",
        )?;
        let numbers = stmt
            .query_map(params![drive_uuid, number], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(numbers)
    }

    /// Every entry, voided ones too, oldest first; optionally only those
    /// touching drives whose slug folds to `drive_key`.
    pub fn history(&self, drive_key: Option<&str>) -> Result<Vec<HistoryEntry>> {
        let mut stmt = self.tx.prepare(
            "SELECT e.number, e.id, e.at, e.actor, e.action, d.slug, e.summary, e.voids, e.reason,
                    (SELECT v.number FROM entries v WHERE v.voids = e.number)
             FROM entries e
             LEFT JOIN drives d ON d.uuid = e.drive
             WHERE ?1 IS NULL OR d.slug_key = ?1
             ORDER BY e.number",
        )?;
        let rows = stmt
            .query_map(params![drive_key], |r| {
                Ok(HistoryEntry {
                    number: r.get(0)?,
                    id: r.get(1)?,
                    at: r.get(2)?,
                    actor: r.get(3)?,
                    action: r.get(4)?,
                    drive: r.get(5)?,
                    summary: r.get(6)?,
                    voids: r.get(7)?,
                    reason: r.get(8)?,
                    voided_by: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
