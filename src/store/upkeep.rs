//! The caches' upkeep that the store runs after its own inserts (schema 9:
//! before, SQLite triggers did it; every process parsed them, and most
//! commands never fired them). What a void takes off the caches is
//! `VOID_UPKEEP` (journal.rs); what bulk imports do at once is in items.rs.
//!
//! Every writer of units, of the units a transfer or discard lists, and of
//! discards goes through [`Txn::insert_unit`], [`Txn::insert_transfer_units`],
//! [`Txn::insert_discard_units`], [`Txn::insert_discard`], a bulk load, or a
//! merge's [`Txn::upkeep_after_merged`]; `check` recomputes every cache from
//! the records and reports any difference.

use anyhow::Result;
use rusqlite::params;

use super::Txn;

/// After a unit row (`?1`, its row id) is written: its drive's figures, an
/// anonymous donation's registration figures, stock, its entry's range of
/// units, and its drive marked for the summary. (The triggers' bodies,
/// migrations 0004 and 0008, read from the row itself.)
const UNIT_UPKEEP: [&str; 5] = [
    "INSERT INTO drive_unit_figures (drive, blood_group, product, units, volume_ml)
     SELECT drive, blood_group, product, 1, volume_ml FROM units WHERE id = ?1
     ON CONFLICT DO UPDATE SET units = units + 1, volume_ml = volume_ml + excluded.volume_ml",
    "INSERT INTO drive_registration_figures (drive, registered, deferred, donated)
     SELECT drive, 1, 0, 1 FROM units WHERE id = ?1 AND registration IS NULL
     ON CONFLICT DO UPDATE SET registered = registered + 1, donated = donated + 1",
    "INSERT INTO units_in_stock (unit, expires_on) SELECT id, expires_on FROM units WHERE id = ?1",
    "INSERT INTO entry_units (entry, first_id, last_id) SELECT entry, id, id FROM units WHERE id = ?1
     ON CONFLICT DO UPDATE SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id)",
    "INSERT INTO drives_to_summarise (drive) SELECT drive FROM units WHERE id = ?1
     AND drive NOT IN (SELECT drive FROM drives_to_summarise)",
];

impl Txn<'_> {
    /// The upkeep of one unit row just written (row id `unit`).
    pub(super) fn upkeep_unit(&self, unit: i64) -> Result<()> {
        for sql in UNIT_UPKEEP {
            self.tx.prepare_cached(sql)?.execute(params![unit])?;
        }
        Ok(())
    }

    /// Units a transfer or discard just listed leave stock.
    pub(super) fn take_out_of_stock(&self, units: &[i64]) -> Result<()> {
        let mut stmt = self.tx.prepare_cached("DELETE FROM units_in_stock WHERE unit = ?1")?;
        for unit in units {
            stmt.execute(params![unit])?;
        }
        Ok(())
    }

    /// `drive` is to be summarised at commit (see `summarise_touched_drives`).
    pub(super) fn mark_for_summary(&self, drive: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO drives_to_summarise (drive) SELECT ?1
                 WHERE NOT EXISTS (SELECT 1 FROM drives_to_summarise WHERE drive = ?1)",
            )?
            .execute(params![drive])?;
        Ok(())
    }

    /// After a merge wrote a row of `table` (the last insert): the same
    /// upkeep as when this ledger writes one. `unit` is the unit id a
    /// transfer's or discard's list row names.
    pub(super) fn upkeep_after_merged(&self, table: &str, unit: Option<&str>) -> Result<()> {
        match table {
            "units" => self.upkeep_unit(self.tx.last_insert_rowid()),
            "transfer_units" | "discard_units" => {
                let unit: i64 = self
                    .tx
                    .query_row("SELECT id FROM units WHERE unit_id = ?1", params![unit], |r| r.get(0))?;
                self.take_out_of_stock(&[unit])
            }
            "discards" => {
                let drive: i64 = self.tx.query_row(
                    "SELECT drive FROM discards WHERE id = ?1",
                    params![self.tx.last_insert_rowid()],
                    |r| r.get(0),
                )?;
                self.mark_for_summary(drive)
            }
            _ => Ok(()),
        }
    }
}
