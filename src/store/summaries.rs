//! The drive summaries and per-year rollups of migration 0005: what an
//! unfiltered `totals` and `stock` read instead of building every drive.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use chrono::Datelike;
use rusqlite::params;

use super::Txn;
use crate::ledger::totals::Figures;
use crate::ledger::{BloodGroup, Drive, fold};

/// One drive's row of `drive_summaries`, with its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Summary {
    year: i64,
    date: String,
    slug_key: String,
    figures: [u64; 8],
    groups: BTreeMap<String, u64>,
}

impl Summary {
    /// The drive as totals count it; `None` for a drive that counts in none.
    fn of(drive: &Drive) -> Option<Summary> {
        if !drive.counts_in_totals() {
            return None;
        }
        let tallied_in_stock = if drive.has_itemised_units() {
            0
        } else {
            drive.in_stock()
        };
        Some(Summary {
            year: i64::from(drive.date.year()),
            date: drive.date.to_string(),
            slug_key: fold(&drive.slug),
            figures: [
                drive.registered(),
                drive.deferred(),
                drive.units(),
                drive.volume_ml(),
                drive.transferred(),
                drive.discarded(),
                drive.in_stock(),
                tallied_in_stock,
            ],
            groups: drive
                .units_by_group()
                .into_iter()
                .map(|(group, units)| (group.as_str().to_string(), units))
                .collect(),
        })
    }
}

impl Txn<'_> {
    /// Recomputes the summaries of the drives this transaction touched (the
    /// triggers of 0005 and the store's upkeep noted them); their rollups
    /// follow by trigger.
    pub(super) fn summarise_touched_drives(&self) -> Result<()> {
        let stale: Vec<i64> = self
            .tx
            .prepare_cached("SELECT drive FROM drives_to_summarise")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if stale.is_empty() {
            return Ok(());
        }
        let mut delete_groups = self
            .tx
            .prepare_cached("DELETE FROM drive_summary_groups WHERE drive = ?1")?;
        let mut delete = self.tx.prepare_cached("DELETE FROM drive_summaries WHERE drive = ?1")?;
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO drive_summaries (drive, year, date, slug_key, registered, deferred, units, volume_ml,
                                          transferred, discarded, in_stock, tallied_in_stock)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut insert_group = self.tx.prepare_cached(
            "INSERT INTO drive_summary_groups (drive, year, blood_group, units) VALUES (?1, ?2, ?3, ?4)",
        )?;
        // One drive at a time, so memory stays flat however many drives an
        // import touched (a one-pass read of all drives held them all).
        for id in stale {
            delete_groups.execute(params![id])?;
            delete.execute(params![id])?;
            let drive = self.drives_with_ids(Some(id))?.pop();
            let Some(s) = drive.and_then(|(_, d)| Summary::of(&d)) else {
                continue;
            };
            let f = s.figures.map(|n| n as i64);
            insert.execute(params![
                id, s.year, s.date, s.slug_key, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
            ])?;
            for (group, units) in &s.groups {
                insert_group.execute(params![id, s.year, group, *units as i64])?;
            }
        }
        self.tx.execute("DELETE FROM drives_to_summarise", [])?;
        Ok(())
    }

    /// Whether a drive's summary is stale: only when the ledger was written
    /// by hand (every writer summarises before it commits).
    fn summaries_stale(&self) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM drives_to_summarise")?
            .exists([])?)
    }

    /// The figures of each year with drives that count, from the rollups:
    /// as many rows as years, whatever the number of drives. `None` when a
    /// summary is stale: the caller counts from the drives instead.
    pub fn year_figures(&self) -> Result<Option<Vec<(i32, Figures)>>> {
        if self.summaries_stale()? {
            return Ok(None);
        }
        let mut groups: BTreeMap<i32, BTreeMap<BloodGroup, u64>> = BTreeMap::new();
        let mut stmt = self
            .tx
            .prepare_cached("SELECT year, blood_group, units FROM year_group_totals WHERE units > 0")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let group: BloodGroup = r.get::<_, String>(1)?.parse().map_err(anyhow::Error::msg)?;
            groups.entry(r.get(0)?).or_default().insert(group, r.get(2)?);
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT year, drives, registered, deferred, units, volume_ml, transferred, discarded, in_stock
             FROM year_totals WHERE drives > 0 ORDER BY year",
        )?;
        let mut rows = stmt.query([])?;
        let mut years = Vec::new();
        while let Some(r) = rows.next()? {
            let year: i32 = r.get(0)?;
            let units: u64 = r.get(4)?;
            let with_units = (units > 0).then_some(year);
            years.push((
                year,
                Figures {
                    drives: r.get(1)?,
                    registered: r.get(2)?,
                    deferred: r.get(3)?,
                    units,
                    volume_ml: r.get(5)?,
                    transferred: r.get(6)?,
                    discarded: r.get(7)?,
                    in_stock: r.get(8)?,
                    years: u64::from(units > 0),
                    first_year: with_units,
                    last_year: with_units,
                    by_group: groups.remove(&year).unwrap_or_default(),
                },
            ));
        }
        Ok(Some(years))
    }

    /// Drives without itemised units whose tally leaves units in stock, with
    /// those units, in date order: read through a partial index (from the
    /// drives when a summary is stale).
    pub fn tallied_stock(&self) -> Result<Vec<(String, u64)>> {
        if self.summaries_stale()? {
            return Ok(self
                .drives(None)?
                .into_iter()
                .filter_map(|d| Some((d.slug.clone(), Summary::of(&d)?.figures[7])))
                .filter(|(_, units)| *units > 0)
                .collect());
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT d.slug, s.tallied_in_stock FROM drive_summaries s JOIN drives d ON d.id = s.drive
             WHERE s.tallied_in_stock > 0 ORDER BY s.date, s.slug_key",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Where the summaries or their rollups disagree with the records:
    /// (drive slug, what differs). Empty when all is well. A stale summary
    /// is no difference: no report reads it, the next write recomputes it.
    pub fn summary_differences(&self) -> Result<Vec<(String, String)>> {
        let stale: std::collections::HashSet<i64> = self
            .tx
            .prepare("SELECT drive FROM drives_to_summarise")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut fresh: HashMap<i64, (String, Summary)> = HashMap::new();
        for (id, drive) in self.drives_with_ids(None)? {
            if let Some(summary) = Summary::of(&drive) {
                fresh.insert(id, (drive.slug.clone(), summary));
            }
        }
        let mut cached: HashMap<i64, Summary> = HashMap::new();
        let mut stmt = self.tx.prepare(
            "SELECT drive, year, date, slug_key, registered, deferred, units, volume_ml, transferred, discarded,
                    in_stock, tallied_in_stock FROM drive_summaries",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut figures = [0u64; 8];
            for (i, figure) in figures.iter_mut().enumerate() {
                *figure = r.get(4 + i)?;
            }
            cached.insert(
                r.get(0)?,
                Summary {
                    year: r.get(1)?,
                    date: r.get(2)?,
                    slug_key: r.get(3)?,
                    figures,
                    groups: BTreeMap::new(),
                },
            );
        }
        drop(rows);
        let mut stmt = self
            .tx
            .prepare("SELECT drive, blood_group, units FROM drive_summary_groups")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let drive: i64 = r.get(0)?;
            let units: u64 = r.get(2)?;
            match cached.get_mut(&drive) {
                Some(summary) => {
                    summary.groups.insert(r.get(1)?, units);
                }
                // Groups without a summary: make the drive differ below.
                None => {
                    cached.insert(
                        drive,
                        Summary {
                            year: -1,
                            date: String::new(),
                            slug_key: String::new(),
                            figures: [0; 8],
                            groups: BTreeMap::new(),
                        },
                    );
                }
            }
        }
        drop(rows);
        let mut differences = Vec::new();
        let slug = |id: i64| -> Result<String> {
            Ok(self
                .tx
                .query_row("SELECT slug FROM drives WHERE id = ?1", params![id], |r| r.get(0))
                .unwrap_or_else(|_| format!("#{id}")))
        };
        cached.retain(|id, _| !stale.contains(id));
        fresh.retain(|id, _| !stale.contains(id));
        for (id, (slug, summary)) in &fresh {
            if cached.get(id) != Some(summary) {
                differences.push((slug.clone(), "its cached summary differs from its records".to_string()));
            }
        }
        for id in cached.keys().filter(|id| !fresh.contains_key(id)) {
            differences.push((
                slug(*id)?,
                "it has a cached summary but counts in no totals".to_string(),
            ));
        }
        // The rollups must be the sums of the summaries.
        let rollups_differ: bool = self.tx.query_row(
            "SELECT EXISTS (
                 SELECT * FROM (SELECT year, count(*), sum(registered), sum(deferred), sum(units), sum(volume_ml),
                                       sum(transferred), sum(discarded), sum(in_stock)
                                FROM drive_summaries GROUP BY year
                                EXCEPT SELECT * FROM year_totals WHERE drives > 0)
                 UNION ALL
                 SELECT * FROM (SELECT * FROM year_totals WHERE drives > 0
                                EXCEPT SELECT year, count(*), sum(registered), sum(deferred), sum(units),
                                              sum(volume_ml), sum(transferred), sum(discarded), sum(in_stock)
                                FROM drive_summaries GROUP BY year)
                 UNION ALL
                 SELECT year, blood_group, units, 0, 0, 0, 0, 0, 0 FROM (
                     SELECT year, blood_group, sum(units) AS units FROM drive_summary_groups GROUP BY year, blood_group
                     EXCEPT SELECT * FROM year_group_totals WHERE units > 0)
                 UNION ALL
                 SELECT year, blood_group, units, 0, 0, 0, 0, 0, 0 FROM (
                     SELECT * FROM year_group_totals WHERE units > 0
                     EXCEPT SELECT year, blood_group, sum(units) FROM drive_summary_groups GROUP BY year, blood_group))",
            [],
            |r| r.get(0),
        )?;
        if rollups_differ {
            differences.push((
                "(all)".to_string(),
                "the cached yearly totals differ from the drive summaries".to_string(),
            ));
        }
        differences.sort();
        Ok(differences)
    }
}
