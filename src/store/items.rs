//! Itemised records: donors, registrations, units and the units each
//! transfer or discard moved.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, Row, params};

use super::unit_insert::UnitInsert;
use super::{Txn, UNITS_PER_INSERT, live, only_drive};
use crate::ledger::items::{Movement, UnitRecord};
use crate::ledger::{BloodGroup, Drive, Outcome, Product};

/// A donor as the registry has them. Personal data: only `donor show` prints
/// `name`, `born`, `phone` and `national_id`.
#[derive(Debug, Clone)]
pub struct DonorRecord {
    pub id: i64,
    pub uuid: String,
    pub entry: i64,
    pub donor_id: String,
    pub name: String,
    pub born: NaiveDate,
    pub sex: String,
    pub blood_group: Option<BloodGroup>,
    pub weight_kg: Option<u64>,
    pub phone: Option<String>,
    pub national_id: Option<String>,
}

pub struct NewDonor<'a> {
    pub uuid: &'a str,
    pub donor_id: &'a str,
    pub donor_key: &'a str,
    pub name: &'a str,
    pub born: NaiveDate,
    pub sex: &'a str,
    pub blood_group: Option<BloodGroup>,
    pub weight_kg: Option<u64>,
    pub phone: Option<&'a str>,
    pub national_id: Option<&'a str>,
}

/// One live registration of a donor, with its unit if one was collected.
#[derive(Debug, Clone)]
pub struct DonorEvent {
    pub donor: i64,
    pub drive: String,
    pub date: NaiveDate,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub unit_id: Option<String>,
    pub product: Option<Product>,
    pub volume_ml: Option<u64>,
    pub entry: i64,
}

/// A registration of one donor at one drive.
#[derive(Debug, Clone)]
pub struct RegistrationRef {
    pub id: i64,
    pub uuid: String,
    pub outcome: Outcome,
    pub entry: i64,
    /// The live unit collected on it, if any.
    pub unit_id: Option<String>,
}

pub struct NewRegistration<'a> {
    pub uuid: &'a str,
    pub drive: i64,
    pub donor: Option<i64>,
    pub outcome: Outcome,
    pub reason: Option<&'a str>,
    pub override_reason: Option<&'a str>,
}

pub struct NewUnit<'a> {
    pub unit_id: &'a str,
    pub drive: i64,
    /// `None` for an anonymous donation: the unit is its own registration.
    pub registration: Option<i64>,
    pub donor: Option<i64>,
    pub blood_group: BloodGroup,
    pub volume_ml: u64,
    pub product: Product,
    pub collected_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub override_reason: Option<&'a str>,
}

pub(super) const INSERT_UNIT: &str =
    "INSERT INTO units (entry, unit_id, drive, registration, donor, blood_group, volume_ml,
                                               product, collected_on, expires_on, override)
                           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// One unit row, through a statement of [`INSERT_UNIT`].
fn write_unit(stmt: &mut rusqlite::Statement<'_>, entry: i64, unit: &NewUnit) -> rusqlite::Result<usize> {
    stmt.execute(params![
        entry,
        unit.unit_id,
        unit.drive,
        unit.registration,
        unit.donor,
        unit.blood_group.as_str(),
        unit.volume_ml,
        unit.product.as_str(),
        iso_date(unit.collected_on).as_str(),
        iso_date(unit.expires_on).as_str(),
        unit.override_reason,
    ])
}

/// A bulk load of units in progress: see [`Txn::begin_bulk_units`].
pub struct BulkUnits<'t> {
    insert: UnitInsert<'t>,
    /// The first row id the load writes: the new units are those from it on.
    first_id: i64,
    /// The new units from `first_id` up to here are in stock already.
    stocked_to: i64,
    /// New units written since `stocked_to`.
    unstocked: usize,
    /// (drive, group, product) → (units, volume_ml), not yet in the cache.
    figures: foldhash::HashMap<(i64, BloodGroup, Product), (u64, u64)>,
    /// drive → anonymous donations, not yet in the cache.
    anonymous: foldhash::HashMap<i64, u64>,
    /// The entry the units belong to, once one is written.
    entry: Option<i64>,
}

impl BulkUnits<'_> {
    const FLUSH_AT: usize = 50_000;
    /// New units go into stock a few thousand at a time, while their pages
    /// are still in SQLite's cache: put in stock all at the end, a million
    /// units were read back from the WAL, page by page.
    const STOCK_AT: usize = 2_048;
}

/// `YYYY-MM-DD`, as the ledger stores dates, without chrono's formatter
/// (a tenth of a bulk load's own time went there).
pub(super) struct IsoDate([u8; 10]);

impl IsoDate {
    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00")
    }
}

pub(super) fn iso_date(day: NaiveDate) -> IsoDate {
    use chrono::Datelike;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let year = day.year().clamp(0, 9999) as u32;
    let (month, dom) = (day.month(), day.day());
    IsoDate([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(dom / 10),
        digit(dom),
    ])
}

fn date(text: String) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn parsed<T: std::str::FromStr<Err = String>>(text: String) -> rusqlite::Result<T> {
    text.parse()
        .map_err(|e: String| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

fn donor_record(r: &Row) -> rusqlite::Result<DonorRecord> {
    Ok(DonorRecord {
        id: r.get(0)?,
        uuid: r.get(1)?,
        entry: r.get(2)?,
        donor_id: r.get(3)?,
        name: r.get(4)?,
        born: date(r.get(5)?)?,
        sex: r.get(6)?,
        blood_group: r.get::<_, Option<String>>(7)?.map(parsed).transpose()?,
        weight_kg: r.get(8)?,
        phone: r.get(9)?,
        national_id: r.get(10)?,
    })
}

/// The current date of drive `d` (its latest live version).
fn drive_date_sql(alias: &str) -> String {
    format!(
        "(SELECT v.date FROM drive_versions v WHERE v.drive = {alias}.id AND {} ORDER BY v.entry DESC LIMIT 1)",
        live("v")
    )
}

const UNIT_COLUMNS: &str = "u.id, u.entry, u.unit_id, u.drive, d.uuid, d.slug, o.donor_id, u.blood_group,
     u.volume_ml, u.product, u.collected_on, u.expires_on, u.override";

fn unit_record(r: &Row, live: bool) -> rusqlite::Result<UnitRecord> {
    Ok(UnitRecord {
        id: r.get(0)?,
        entry: r.get(1)?,
        live,
        unit_id: r.get(2)?,
        drive_id: r.get(3)?,
        drive_uuid: r.get(4)?,
        drive: r.get(5)?,
        donor: r.get(6)?,
        blood_group: parsed(r.get(7)?)?,
        volume_ml: r.get(8)?,
        product: parsed(r.get(9)?)?,
        collected_on: date(r.get(10)?)?,
        expires_on: date(r.get(11)?)?,
        override_reason: r.get(12)?,
        movement: None,
    })
}

impl Txn<'_> {
    /// The live donor whose id folds to `key`.
    pub fn find_donor(&self, key: &str) -> Result<Option<DonorRecord>> {
        let sql = format!(
            "SELECT id, uuid, entry, donor_id, name, born, sex, blood_group, weight_kg, phone, national_id
             FROM donors o WHERE o.donor_key = ?1 AND {} ORDER BY o.id DESC LIMIT 1",
            live("o")
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![key], donor_record)
            .optional()?)
    }

    /// Every live donor, by id.
    pub fn donors(&self) -> Result<Vec<DonorRecord>> {
        let sql = format!(
            "SELECT id, uuid, entry, donor_id, name, born, sex, blood_group, weight_kg, phone, national_id
             FROM donors o WHERE {} ORDER BY o.donor_key",
            live("o")
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt.query_map([], donor_record)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn donor_ids(&self) -> Result<Vec<String>> {
        Ok(self.donors()?.into_iter().map(|d| d.donor_id).collect())
    }

    pub fn insert_donor(&self, entry: i64, donor: &NewDonor) -> Result<i64> {
        self.tx.prepare_cached(
            "INSERT INTO donors (uuid, entry, donor_id, donor_key, name, born, sex, blood_group, weight_kg, phone, national_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
)?.execute(
            params![
                donor.uuid,
                entry,
                donor.donor_id,
                donor.donor_key,
                donor.name,
                donor.born.to_string(),
                donor.sex,
                donor.blood_group.map(|g| g.as_str()),
                donor.weight_kg,
                donor.phone,
                donor.national_id,
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Live registrations of one donor (or of every donor), oldest first.
    pub fn donor_events(&self, donor: Option<i64>) -> Result<Vec<DonorEvent>> {
        let sql = format!(
            "SELECT r.donor, d.slug, {drive_date}, r.outcome, r.reason, u.unit_id, u.product, u.volume_ml, r.entry
             FROM registrations r
             JOIN drives d ON d.id = r.drive
             LEFT JOIN units u ON u.registration = r.id AND {live_u}
             WHERE {live_r} AND {filter}
             ORDER BY 3, r.entry",
            drive_date = drive_date_sql("d"),
            live_u = live("u"),
            live_r = live("r"),
            // Two statements rather than `?1 IS NULL OR …`, so one donor uses the index.
            filter = if donor.is_some() {
                "r.donor = ?1"
            } else {
                "r.donor IS NOT NULL AND ?1 IS NULL"
            },
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![donor], |r| {
                Ok(DonorEvent {
                    donor: r.get(0)?,
                    drive: r.get(1)?,
                    date: date(r.get(2)?)?,
                    outcome: parsed(r.get(3)?)?,
                    reason: r.get(4)?,
                    unit_id: r.get(5)?,
                    product: r.get::<_, Option<String>>(6)?.map(parsed).transpose()?,
                    volume_ml: r.get(7)?,
                    entry: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The donor's live registration at the drive, if any.
    pub fn registration_of(&self, drive: i64, donor: i64) -> Result<Option<RegistrationRef>> {
        let sql = format!(
            "SELECT r.id, r.outcome, r.entry,
                    (SELECT u.unit_id FROM units u WHERE u.registration = r.id AND {live_u}), r.uuid
             FROM registrations r WHERE r.donor = ?2 AND r.drive = ?1 AND {live_r}",
            live_u = live("u"),
            live_r = live("r")
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![drive, donor], |r| {
                Ok(RegistrationRef {
                    id: r.get(0)?,
                    outcome: parsed(r.get(1)?)?,
                    entry: r.get(2)?,
                    unit_id: r.get(3)?,
                    uuid: r.get(4)?,
                })
            })
            .optional()?)
    }

    pub fn insert_registration(&self, entry: i64, reg: &NewRegistration) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO registrations (uuid, entry, drive, donor, outcome, reason, override)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                reg.uuid,
                entry,
                reg.drive,
                reg.donor,
                reg.outcome.as_str(),
                reg.reason,
                reg.override_reason
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn insert_unit(&self, entry: i64, unit: &NewUnit) -> Result<i64> {
        let mut stmt = self.tx.prepare_cached(INSERT_UNIT)?;
        write_unit(&mut stmt, entry, unit)?;
        let id = self.tx.last_insert_rowid();
        self.upkeep_unit(id)?;
        Ok(id)
    }

    /// A bulk load of units (`import units`): [`Txn::insert_bulk_unit`]
    /// writes bare rows, and [`Txn::finish_bulk_units`] does their upkeep
    /// (what [`Txn::insert_unit`] does for each unit) once, set-based.
    pub fn begin_bulk_units(&self) -> Result<BulkUnits<'_>> {
        let first_id: i64 = self
            .tx
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM units", [], |r| r.get(0))?;
        Ok(BulkUnits {
            insert: UnitInsert::new(&self.tx)?,
            first_id,
            stocked_to: first_id - 1,
            unstocked: 0,
            figures: foldhash::HashMap::default(),
            anonymous: foldhash::HashMap::default(),
            entry: None,
        })
    }

    /// One unit of a bulk load: the row, with its figures kept in memory.
    /// `false` when the unit id is taken (nothing written).
    pub fn insert_bulk_unit(&self, bulk: &mut BulkUnits<'_>, entry: i64, unit: &NewUnit) -> Result<bool> {
        if !bulk.insert.insert(entry, unit)? {
            return Ok(false);
        }
        self.count_bulk_unit(bulk, entry, unit)?;
        Ok(true)
    }

    /// Units of a bulk load, in order: whether each was written (`false`:
    /// its unit id is taken, nothing written). A full batch of
    /// [`UNITS_PER_INSERT`] is written by one statement; should one of its
    /// ids be taken, the statement writes nothing and the batch goes in
    /// one unit at a time.
    pub fn insert_bulk_units(&self, bulk: &mut BulkUnits<'_>, entry: i64, units: &[NewUnit]) -> Result<Vec<bool>> {
        if units.len() == UNITS_PER_INSERT && bulk.insert.insert_many(entry, units)? {
            for unit in units {
                self.count_bulk_unit(bulk, entry, unit)?;
            }
            return Ok(vec![true; units.len()]);
        }
        units
            .iter()
            .map(|unit| self.insert_bulk_unit(bulk, entry, unit))
            .collect()
    }

    /// A written unit's share of the figures and stock, kept for later.
    fn count_bulk_unit(&self, bulk: &mut BulkUnits<'_>, entry: i64, unit: &NewUnit) -> Result<()> {
        bulk.entry = Some(entry);
        bulk.unstocked += 1;
        if bulk.unstocked >= BulkUnits::STOCK_AT {
            self.stock_bulk_units(bulk)?;
        }
        let figure = bulk
            .figures
            .entry((unit.drive, unit.blood_group, unit.product))
            .or_default();
        figure.0 += 1;
        figure.1 += unit.volume_ml;
        if unit.registration.is_none() {
            *bulk.anonymous.entry(unit.drive).or_default() += 1;
        }
        if bulk.figures.len() + bulk.anonymous.len() >= BulkUnits::FLUSH_AT {
            self.flush_bulk_figures(bulk)?;
        }
        Ok(())
    }

    /// Puts the units written since the last call in stock (what
    /// [`Txn::insert_unit`]'s upkeep does for one unit).
    fn stock_bulk_units(&self, bulk: &mut BulkUnits<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO units_in_stock (unit, expires_on) SELECT id, expires_on FROM units WHERE id > ?1",
            )?
            .execute(params![bulk.stocked_to])?;
        bulk.stocked_to = self.tx.query_row("SELECT max(id) FROM units", [], |r| r.get(0))?;
        bulk.unstocked = 0;
        Ok(())
    }

    /// Adds the figures gathered so far to the per-drive caches (additive,
    /// so memory stays bounded however long the file).
    fn flush_bulk_figures(&self, bulk: &mut BulkUnits<'_>) -> Result<()> {
        let mut units = self.tx.prepare_cached(
            "INSERT INTO drive_unit_figures (drive, blood_group, product, units, volume_ml) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET units = units + excluded.units, volume_ml = volume_ml + excluded.volume_ml",
        )?;
        // Every unit counts here, anonymous or not: these are the drives that changed.
        let mut changed = Vec::new();
        for ((drive, group, product), (count, volume)) in bulk.figures.drain() {
            units.execute(params![drive, group.as_str(), product.as_str(), count, volume])?;
            changed.push(drive);
        }
        changed.sort_unstable();
        changed.dedup();
        for drive in changed {
            self.mark_for_summary(drive)?;
        }
        let mut registrations = self.tx.prepare_cached(
            "INSERT INTO drive_registration_figures (drive, registered, deferred, donated) VALUES (?1, ?2, 0, ?2)
             ON CONFLICT DO UPDATE SET registered = registered + excluded.registered,
                                       donated = donated + excluded.donated",
        )?;
        for (drive, count) in bulk.anonymous.drain() {
            registrations.execute(params![drive, count])?;
        }
        Ok(())
    }

    /// The end of a bulk load: the figures, the new units into stock, and
    /// the entry's range of units.
    pub fn finish_bulk_units(&self, mut bulk: BulkUnits<'_>) -> Result<()> {
        self.flush_bulk_figures(&mut bulk)?;
        if bulk.unstocked > 0 {
            self.stock_bulk_units(&mut bulk)?;
        }
        let BulkUnits {
            insert,
            first_id,
            entry,
            ..
        } = bulk;
        drop(insert);
        if let Some(entry) = entry {
            // One entry writes all the units of a load, from `first_id` on.
            self.tx.execute(
                "INSERT INTO entry_units (entry, first_id, last_id) SELECT ?1, ?2, max(id) FROM units",
                params![entry, first_id],
            )?;
        }
        Ok(())
    }

    /// The unit with this stored id if it is in stock (so live and not
    /// moved): one lookup, where [`Txn::unit`] takes three. `None` says
    /// nothing: ask [`Txn::unit`].
    pub fn unit_in_stock(&self, unit_id: &str) -> Result<Option<UnitRecord>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units u JOIN units_in_stock s ON s.unit = u.id JOIN drives d ON d.id = u.drive
             LEFT JOIN donors o ON o.id = u.donor WHERE u.unit_id = ?1"
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![unit_id], |r| unit_record(r, true))
            .optional()?)
    }

    /// The unit with this stored id, voided or not, with where it went.
    pub fn unit(&self, unit_id: &str) -> Result<Option<UnitRecord>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS}, {live_u} FROM units u JOIN drives d ON d.id = u.drive
             LEFT JOIN donors o ON o.id = u.donor WHERE u.unit_id = ?1",
            live_u = live("u")
        );
        let found = self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![unit_id], |r| unit_record(r, r.get(13)?))
            .optional()?;
        let Some(mut unit) = found else { return Ok(None) };
        unit.movement = self.movement_of(unit.id)?;
        Ok(Some(unit))
    }

    /// The live transfer or discard that took the unit out of stock.
    fn movement_of(&self, unit: i64) -> Result<Option<Movement>> {
        let sql = format!(
            "SELECT f.slug, f.name, t.date, t.entry FROM transfer_units tu
             JOIN transfers t ON t.id = tu.transfer JOIN facilities f ON f.id = t.facility
             WHERE tu.unit = ?1 AND {}",
            live("t")
        );
        let transferred = self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![unit], |r| {
                Ok(Movement::Transferred {
                    facility: r.get(0)?,
                    facility_name: r.get(1)?,
                    date: date(r.get(2)?)?,
                    entry: r.get(3)?,
                })
            })
            .optional()?;
        if transferred.is_some() {
            return Ok(transferred);
        }
        let sql = format!(
            "SELECT x.reason, x.date, x.entry FROM discard_units du JOIN discards x ON x.id = du.discard
             WHERE du.unit = ?1 AND {}",
            live("x")
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![unit], |r| {
                Ok(Movement::Discarded {
                    reason: r.get(0)?,
                    date: date(r.get(1)?)?,
                    entry: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Live units that have not left stock, soonest expiry first: read
    /// through the `units_in_stock` cache, never a scan of all units.
    pub fn stock_units(&self) -> Result<Vec<UnitRecord>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units_in_stock s JOIN units u ON u.id = s.unit JOIN drives d ON d.id = u.drive
             LEFT JOIN donors o ON o.id = u.donor
             ORDER BY s.expires_on, u.unit_id"
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| unit_record(r, true))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The units a transfer lists; they leave stock.
    pub fn insert_transfer_units(&self, transfer: i64, units: &[i64]) -> Result<()> {
        self.list_units_moved(
            "INSERT INTO transfer_units (transfer, unit) VALUES (?1, ?2)",
            transfer,
            units,
        )
    }

    /// The units a discard lists; they leave stock.
    pub fn insert_discard_units(&self, discard: i64, units: &[i64]) -> Result<()> {
        self.list_units_moved(
            "INSERT INTO discard_units (discard, unit) VALUES (?1, ?2)",
            discard,
            units,
        )
    }

    /// One row of `insert` per unit of a movement (`?1` the movement), then
    /// the units out of stock.
    fn list_units_moved(&self, insert: &str, movement: i64, units: &[i64]) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(insert)?;
        for unit in units {
            stmt.execute(params![movement, unit])?;
        }
        self.take_out_of_stock(units)
    }

    /// Live entries that rest on a record written by `entry`: movements of
    /// its units, units on its registration, records of its donor. Voiding
    /// `entry` first would orphan them. (CROSS JOIN: from the donors, never
    /// from every registration — the planner's choice without statistics,
    /// two seconds at 20 M units.)
    pub fn users_of_item_entry(&self, entry: i64) -> Result<Vec<i64>> {
        // The entry's units first (its range of row ids), then what moved them.
        let sql = format!(
            concat!(
                "SELECT t.entry FROM ",
                units_of_entry!(),
                " AS u CROSS JOIN transfer_units tu ON tu.unit = u.id JOIN transfers t ON t.id = tu.transfer
                 WHERE {live_t}
                 UNION
                 SELECT x.entry FROM ",
                units_of_entry!(),
                " AS u CROSS JOIN discard_units du ON du.unit = u.id JOIN discards x ON x.id = du.discard
                 WHERE {live_x}
                 UNION
                 SELECT u.entry FROM units u JOIN registrations r ON r.id = u.registration
                 WHERE r.entry = ?1 AND u.entry <> ?1 AND {live_u}
                 UNION
                 SELECT r.entry FROM donors o CROSS JOIN registrations r ON r.donor = o.id
                 WHERE o.entry = ?1 AND {live_r}
                 ORDER BY 1"
            ),
            live_t = live("t"),
            live_x = live("x"),
            live_u = live("u"),
            live_r = live("r"),
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt
            .query_map(params![entry], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Fills each drive's itemised figures from the per-drive caches
    /// (migration 0004), so no report scans units or registrations.
    pub(super) fn attach_items(
        &self,
        only: Option<i64>,
        index: &HashMap<i64, usize>,
        drives: &mut [Drive],
    ) -> Result<()> {
        let sql = format!(
            "SELECT drive, registered, deferred, donated FROM drive_registration_figures WHERE {}",
            only_drive(only, "drive")
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = index.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let items = &mut drives[i].items;
            items.registered = r.get(1)?;
            items.deferred = r.get(2)?;
            items.donated = r.get(3)?;
        }
        let sql = format!(
            "SELECT drive, blood_group, product, units, volume_ml FROM drive_unit_figures
             WHERE {} AND units > 0",
            only_drive(only, "drive")
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = index.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let group: BloodGroup = parsed(r.get(1)?)?;
            let product: Product = parsed(r.get(2)?)?;
            let (units, volume): (u64, u64) = (r.get(3)?, r.get(4)?);
            let items = &mut drives[i].items;
            items.units += units;
            items.volume_ml += volume;
            *items.by_group.entry(group).or_default() += units;
            *items.by_product.entry(product).or_default() += units;
        }
        Ok(())
    }

    /// Where the caches of migrations 0004 and 0008 disagree with the records they are
    /// computed from: (drive slug, what differs). Empty when all is well.
    pub fn cache_differences(&self) -> Result<Vec<(String, String)>> {
        let sql = format!(
            "WITH fresh_u AS (
                 SELECT u.drive, u.blood_group, u.product, count(*), sum(u.volume_ml)
                 FROM units u WHERE {live_u} GROUP BY u.drive, u.blood_group, u.product),
             cached_u AS (SELECT drive, blood_group, product, units, volume_ml FROM drive_unit_figures WHERE units > 0),
             diff_u (drive) AS (SELECT drive FROM (SELECT * FROM fresh_u EXCEPT SELECT * FROM cached_u)
                                UNION SELECT drive FROM (SELECT * FROM cached_u EXCEPT SELECT * FROM fresh_u)),
             fresh_r AS (
                 SELECT drive, count(*), sum(deferred), sum(donated) FROM (
                     SELECT r.drive, r.outcome = 'deferred' OR r.outcome = 'permanently-deferred' AS deferred,
                            r.outcome = 'donated' AS donated
                     FROM registrations r WHERE {live_r}
                     UNION ALL
                     SELECT u.drive, 0, 1 FROM units u WHERE u.registration IS NULL AND {live_u})
                 GROUP BY drive),
             cached_r AS (SELECT drive, registered, deferred, donated FROM drive_registration_figures WHERE registered > 0),
             diff_r (drive) AS (SELECT drive FROM (SELECT * FROM fresh_r EXCEPT SELECT * FROM cached_r)
                                UNION SELECT drive FROM (SELECT * FROM cached_r EXCEPT SELECT * FROM fresh_r)),
             fresh_s AS (
                 SELECT u.id, u.expires_on FROM units u
                 WHERE {live_u}
                   AND NOT EXISTS (SELECT 1 FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer
                                   WHERE tu.unit = u.id AND {live_t})
                   AND NOT EXISTS (SELECT 1 FROM discard_units du JOIN discards x ON x.id = du.discard
                                   WHERE du.unit = u.id AND {live_x})),
             cached_s AS (SELECT unit, expires_on FROM units_in_stock),
             diff_s (unit) AS (SELECT id FROM (SELECT * FROM fresh_s EXCEPT SELECT * FROM cached_s)
                               UNION SELECT unit FROM (SELECT * FROM cached_s EXCEPT SELECT * FROM fresh_s))
             ,fresh_e AS (SELECT entry, min(id), max(id) FROM units GROUP BY entry),
             cached_e AS (SELECT entry, first_id, last_id FROM entry_units),
             diff_e (entry) AS (SELECT entry FROM (SELECT * FROM fresh_e EXCEPT SELECT * FROM cached_e)
                                UNION SELECT entry FROM (SELECT * FROM cached_e EXCEPT SELECT * FROM fresh_e))
             SELECT d.slug, 'its cached unit figures differ from its units' FROM diff_u JOIN drives d ON d.id = diff_u.drive
             UNION ALL
             SELECT d.slug, 'its cached registration figures differ from its registrations'
             FROM diff_r JOIN drives d ON d.id = diff_r.drive
             UNION ALL
             SELECT d.slug, 'unit ' || coalesce(u.unit_id, '#' || diff_s.unit)
                            || ': its cached stock status differs from its movements'
             FROM diff_s LEFT JOIN units u ON u.id = diff_s.unit LEFT JOIN drives d ON d.id = u.drive
             UNION ALL
             SELECT NULL, 'entry #' || entry || ': its cached range of units differs from its units' FROM diff_e
             ORDER BY 1",
            live_u = live("u"),
            live_r = live("r"),
            live_t = live("t"),
            live_x = live("x"),
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_else(|| "(none)".into()),
                    r.get(1)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Live registrations at `drive` with no donor, this outcome and reason.
    pub fn anonymous_registrations(&self, drive: i64, outcome: Outcome, reason: Option<&str>) -> Result<u64> {
        let sql = format!(
            "SELECT count(*) FROM registrations r
             WHERE r.drive = ?1 AND r.donor IS NULL AND r.outcome = ?2 AND r.reason IS ?3 AND {}",
            live("r")
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![drive, outcome.as_str(), reason], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_are_what_chrono_writes() {
        let mut day = NaiveDate::from_ymd_opt(1899, 12, 25).expect("date");
        while day.to_string().as_str() < "2101-01-10" {
            assert_eq!(iso_date(day).as_str(), day.to_string());
            day = day + chrono::Days::new(13);
        }
        let far = NaiveDate::from_ymd_opt(9999, 12, 31).expect("date");
        assert_eq!(iso_date(far).as_str(), "9999-12-31");
    }
}
