//! Drives: identities, versions, tallies, status, transfers and discards.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::{Txn, live, only_drive};
use crate::ledger::{BloodGroup, DiscardLine, Drive, DriveAttrs, DriveStatus, Tally, TransferLine, fold};

/// A live drive as commands name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveRef {
    pub id: i64,
    pub uuid: String,
    pub slug: String,
}

impl Txn<'_> {
    /// The live drive whose slug folds to `slug_key`.
    pub fn find_drive(&self, slug_key: &str) -> Result<Option<DriveRef>> {
        let sql = format!(
            "SELECT d.id, d.uuid, d.slug FROM drives d
             WHERE d.slug_key = ?1
               AND EXISTS (SELECT 1 FROM drive_versions v WHERE v.drive = d.id AND {})
             ORDER BY d.id DESC LIMIT 1",
            live("v")
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![slug_key], |r| {
                Ok(DriveRef {
                    id: r.get(0)?,
                    uuid: r.get(1)?,
                    slug: r.get(2)?,
                })
            })
            .optional()?)
    }

    pub fn drive_slugs(&self) -> Result<Vec<String>> {
        Ok(self.drives(None)?.into_iter().map(|d| d.slug).collect())
    }

    pub fn insert_drive(&self, entry: i64, slug: &str, uuid: &str) -> Result<DriveRef> {
        self.tx
            .prepare_cached("INSERT INTO drives (uuid, entry, slug, slug_key) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![uuid, entry, slug, fold(slug)])?;
        Ok(DriveRef {
            id: self.tx.last_insert_rowid(),
            uuid: uuid.to_string(),
            slug: slug.to_string(),
        })
    }

    /// Records a whole version of the drive's attributes. `campaign_id` is the
    /// resolved `attrs.campaign`.
    pub fn insert_drive_version(
        &self,
        drive: i64,
        entry: i64,
        attrs: &DriveAttrs,
        date: NaiveDate,
        campaign_id: Option<i64>,
    ) -> Result<()> {
        self.tx.prepare_cached(
            "INSERT INTO drive_versions
               (drive, entry, date, name, campaign, province, province_key, district, district_key, venue, organiser, target)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
)?.execute(
            params![
                drive,
                entry,
                date.to_string(),
                attrs.name,
                campaign_id,
                attrs.province,
                attrs.province.as_deref().map(fold),
                attrs.district,
                attrs.district.as_deref().map(fold),
                attrs.venue,
                attrs.organiser,
                attrs.target,
            ],
        )?;
        Ok(())
    }

    pub fn insert_tally(&self, drive: i64, entry: i64, tally: &Tally) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO tallies (uuid, drive, entry, registered, deferred, collected, volume_ml)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                uuid::Uuid::now_v7().to_string(),
                drive,
                entry,
                tally.registered,
                tally.deferred,
                tally.collected,
                tally.volume_ml
            ])?;
        let tally_id = self.tx.last_insert_rowid();
        let mut stmt = self
            .tx
            .prepare_cached("INSERT INTO tally_groups (tally, blood_group, units) VALUES (?1, ?2, ?3)")?;
        for (group, units) in &tally.by_group {
            stmt.execute(params![tally_id, group.as_str(), units])?;
        }
        Ok(())
    }

    pub fn insert_status(&self, drive: i64, entry: i64, closed: bool) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO drive_status (drive, entry, status) VALUES (?1, ?2, ?3)")?
            .execute(params![drive, entry, if closed { "closed" } else { "open" }])?;
        Ok(())
    }

    pub fn insert_transfer(&self, drive: i64, entry: i64, facility: i64, date: NaiveDate, units: u64) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO transfers (uuid, drive, entry, facility, date, units) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                uuid::Uuid::now_v7().to_string(),
                drive,
                entry,
                facility,
                date.to_string(),
                units
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn insert_discard(&self, drive: i64, entry: i64, date: NaiveDate, units: u64, reason: &str) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO discards (uuid, drive, entry, date, units, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                uuid::Uuid::now_v7().to_string(),
                drive,
                entry,
                date.to_string(),
                units,
                reason
            ])?;
        let id = self.tx.last_insert_rowid();
        self.mark_for_summary(drive)?;
        Ok(id)
    }

    pub fn drive(&self, id: i64) -> Result<Drive> {
        self.drives(Some(id))?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("drive {id} vanished inside a transaction"))
    }

    /// Live drives (or the one with `only`), with their current attributes,
    /// live tally, transfers and discards, in date order.
    pub fn drives(&self, only: Option<i64>) -> Result<Vec<Drive>> {
        Ok(self.drives_with_ids(only)?.into_iter().map(|(_, d)| d).collect())
    }

    /// [`Txn::drives`] with each drive's row id.
    pub(super) fn drives_with_ids(&self, only: Option<i64>) -> Result<Vec<(i64, Drive)>> {
        let sql = format!(
            "SELECT d.id, d.slug, v.date, v.name, c.slug, c.name, v.province, v.district, v.venue, v.organiser, v.target,
                    (SELECT s.status FROM drive_status s WHERE s.drive = d.id AND {live_s} ORDER BY s.entry DESC LIMIT 1),
                    -- A drive written earlier in this very transaction (an import
                    -- line seen twice) has no entry yet: it is this site's.
                    coalesce((SELECT e.site_id FROM entries e WHERE e.number = d.entry), ?2)
             FROM drives d
             JOIN drive_versions v ON v.id = (
                 SELECT v2.id FROM drive_versions v2 WHERE v2.drive = d.id AND {live_v2} ORDER BY v2.entry DESC LIMIT 1)
             LEFT JOIN campaigns c ON c.id = v.campaign
             WHERE {only}
             ORDER BY v.date, d.slug_key",
            live_s = live("s"),
            live_v2 = live("v2"),
            only = only_drive(only, "d.id"),
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![only, self.site_id])?;
        let mut drives = Vec::new();
        let mut closed = Vec::new();
        let mut ids = Vec::new();
        let mut index = HashMap::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let date = parse_date(&r.get::<_, String>(2)?)?;
            let attrs = DriveAttrs {
                date: Some(date),
                name: r.get(3)?,
                campaign: r.get(4)?,
                province: r.get(6)?,
                district: r.get(7)?,
                venue: r.get(8)?,
                organiser: r.get(9)?,
                target: r.get(10)?,
            };
            index.insert(id, drives.len());
            ids.push(id);
            closed.push(r.get::<_, Option<String>>(11)?.as_deref() == Some("closed"));
            drives.push(Drive {
                slug: r.get(1)?,
                date,
                campaign_name: r.get(5)?,
                attrs,
                status: DriveStatus::Planned,
                tally: None,
                tally_entry: None,
                transfers: Vec::new(),
                discards: Vec::new(),
                items: Default::default(),
                site_id: r.get(12)?,
            });
        }
        drop(rows);
        self.attach_tallies(only, &index, &mut drives)?;
        self.attach_movements(only, &index, &mut drives)?;
        self.attach_items(only, &index, &mut drives)?;
        for (drive, closed) in drives.iter_mut().zip(closed) {
            drive.status = if closed {
                DriveStatus::Closed
            } else if drive.tally.is_some() || drive.items != Default::default() {
                DriveStatus::Held
            } else {
                DriveStatus::Planned
            };
        }
        Ok(ids.into_iter().zip(drives).collect())
    }

    fn attach_tallies(&self, only: Option<i64>, index: &HashMap<i64, usize>, drives: &mut [Drive]) -> Result<()> {
        let sql = format!(
            "SELECT t.drive, t.entry, t.registered, t.deferred, t.collected, t.volume_ml,
                    (SELECT group_concat(g.blood_group || '=' || g.units, ' ') FROM tally_groups g WHERE g.tally = t.id)
             FROM tallies t WHERE {} AND {}",
            live("t"),
            only_drive(only, "t.drive")
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = index.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let mut by_group = std::collections::BTreeMap::new();
            for pair in r.get::<_, Option<String>>(6)?.unwrap_or_default().split_whitespace() {
                if let Some((group, units)) = pair.split_once('=') {
                    let group: BloodGroup = group.parse().map_err(anyhow::Error::msg)?;
                    by_group.insert(group, units.parse()?);
                }
            }
            drives[i].tally_entry = Some(r.get(1)?);
            drives[i].tally = Some(Tally {
                registered: r.get(2)?,
                deferred: r.get(3)?,
                collected: r.get(4)?,
                volume_ml: r.get(5)?,
                by_group,
            });
        }
        Ok(())
    }

    fn attach_movements(&self, only: Option<i64>, index: &HashMap<i64, usize>, drives: &mut [Drive]) -> Result<()> {
        let sql = format!(
            "SELECT t.drive, f.slug, f.name, t.date, t.units, t.entry FROM transfers t JOIN facilities f ON f.id = t.facility
             WHERE {} AND {} ORDER BY t.date, t.entry",
            live("t"),
            only_drive(only, "t.drive")
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = index.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            drives[i].transfers.push(TransferLine {
                facility: r.get(1)?,
                facility_name: r.get(2)?,
                date: parse_date(&r.get::<_, String>(3)?)?,
                units: r.get(4)?,
                entry: r.get(5)?,
            });
        }
        let sql = format!(
            "SELECT d.drive, d.reason, d.date, d.units, d.entry FROM discards d
             WHERE {} AND {} ORDER BY d.date, d.entry",
            live("d"),
            only_drive(only, "d.drive")
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = index.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            drives[i].discards.push(DiscardLine {
                reason: r.get(1)?,
                date: parse_date(&r.get::<_, String>(2)?)?,
                units: r.get(3)?,
                entry: r.get(4)?,
            });
        }
        Ok(())
    }
}

fn parse_date(text: &str) -> Result<NaiveDate> {
    Ok(NaiveDate::parse_from_str(text, "%Y-%m-%d")?)
}

impl Txn<'_> {
    /// The drive with this uuid, live or not.
    pub fn drive_id_by_uuid(&self, uuid: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .query_row("SELECT id FROM drives WHERE uuid = ?1", params![uuid], |r| r.get(0))
            .optional()?)
    }
}
