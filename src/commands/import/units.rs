//! `import units`: unit_id,drive,collected_on,blood_group,volume_ml,product,donor_id
//! (`product` and `donor_id` may be empty). The same rules as `unit collect`.

use std::collections::HashMap;
use std::io::Read;

use anyhow::Result;

use chrono::NaiveDate;

use super::{DriveInfo, Drives, Rows, Tally};
use crate::commands::Context;
use crate::commands::donor::facts;
use crate::ledger::donor::add_days;
use crate::ledger::items::UnitRecord;
use crate::ledger::{BloodGroup, DateArg, DonorId, Outcome, Product, Slug, UnitId, Volume, new_id};
use crate::store::{DonorRecord, NewRegistration, NewUnit, Txn};

pub const REQUIRED: &[&str] = &["unit_id", "drive", "collected_on", "blood_group", "volume_ml"];
pub const OPTIONAL: &[&str] = &["product", "donor_id"];

pub fn import<R: Read>(ctx: &Context, txn: &Txn, rows: &mut Rows<R>, entry: i64) -> Result<Tally> {
    let columns = rows.columns(REQUIRED, OPTIONAL)?;
    let mut drives = Drives::default();
    let mut donors: HashMap<String, Option<crate::store::DonorRecord>> = HashMap::new();
    let mut tally = Tally::default();
    let mut bulk = txn.begin_bulk_units()?;
    while let Some(line) = rows.next_line()? {
        let problems = &mut rows.problems;
        let before = problems.count;
        let unit_id = line.parse::<UnitId>(&columns, "unit_id", problems).ok().flatten();
        let drive_cell = line.get(&columns, "drive");
        let same_drive = drives.same_as_last(drive_cell);
        let slug = match same_drive {
            Some(_) => None,
            None => line.parse::<Slug>(&columns, "drive", problems).ok().flatten(),
        };
        let collected_on = line.parse::<DateArg>(&columns, "collected_on", problems).ok().flatten();
        let group = line
            .parse::<BloodGroup>(&columns, "blood_group", problems)
            .ok()
            .flatten();
        let volume = line.parse::<Volume>(&columns, "volume_ml", problems).ok().flatten();
        let product = line
            .parse::<Product>(&columns, "product", problems)
            .ok()
            .flatten()
            .unwrap_or(Product::WholeBlood);
        let donor_id = line.parse::<DonorId>(&columns, "donor_id", problems).ok().flatten();
        line.require(&columns, REQUIRED, problems);
        let (Some(unit_id), true, Some(collected_on), Some(group), Some(volume)) = (
            unit_id,
            same_drive.is_some() || slug.is_some(),
            collected_on,
            group,
            volume,
        ) else {
            continue;
        };
        let collected_on = collected_on.resolve(ctx.today);
        let drive = match (same_drive, &slug) {
            (Some(drive), _) => drive,
            (None, Some(slug)) => match drives.recordable(ctx, txn, slug, line.number, problems)? {
                Some(drive) => {
                    drives.remember(drive_cell, &drive);
                    drive
                }
                None => continue,
            },
            (None, None) => continue,
        };
        if collected_on < drive.date || collected_on > ctx.today {
            problems.add(
                line.number,
                "collected_on",
                &collected_on.to_string(),
                format!(
                    "must be from the drive's date ({}) to today ({})",
                    drive.date, ctx.today
                ),
            );
        }
        let donor = match &donor_id {
            None => None,
            Some(id) => {
                let found = match donors.get(&id.key()) {
                    Some(found) => found.clone(),
                    None => {
                        let found = txn.find_donor(&id.key())?;
                        // Only a bounded number is remembered: memory stays flat on huge files.
                        if donors.len() < 100_000 {
                            donors.insert(id.key(), found.clone());
                        }
                        found
                    }
                };
                if found.is_none() {
                    problems.add(
                        line.number,
                        "donor_id",
                        id.as_str(),
                        "no such donor; add them with `bloodledger donor add` first, or leave donor_id empty",
                    );
                }
                found
            }
        };
        if let Err(refusal) = ctx
            .rules
            .allowed_volume(product, volume.0, donor.as_ref().and_then(|d| d.weight_kg))
        {
            problems.add(line.number, "volume_ml", &volume.0.to_string(), refusal.message);
        }

        // A clean anonymous line goes straight to the insert, which finds a
        // taken id itself; the others are judged against it first (a
        // donor's own unit must not count against their eligibility).
        let straight_in = donor.is_none() && problems.count == before;
        if !straight_in && let Some(existing) = txn.unit(unit_id.as_str())? {
            match already_there(
                &existing,
                &drive,
                group,
                volume.0,
                product,
                collected_on,
                donor.as_ref(),
            ) {
                None => tally.present += 1,
                Some(reason) => problems.add(line.number, "unit_id", unit_id.as_str(), reason),
            }
            continue;
        }
        if let Some(donor) = &donor {
            let events = txn.donor_events(Some(donor.id))?;
            if let Err(refusal) = facts(donor, &events, Some(&drive.slug)).may_give(ctx.rules, collected_on, product) {
                problems.add(line.number, "donor_id", &donor.donor_id, refusal.message);
            }
        }
        if problems.count > before {
            continue;
        }
        // The donation's registration: the donor's own at this drive when
        // one waits for its bag, else a new one; an anonymous donation is
        // its unit alone.
        let waiting = match &donor {
            Some(d) => txn
                .registration_of(drive.id, d.id)?
                .filter(|r| r.unit_id.is_none() && r.outcome == Outcome::Donated),
            None => None,
        };
        let registration = match (waiting, &donor) {
            (Some(r), _) => Some(r.id),
            (None, Some(d)) => Some(txn.insert_registration(
                entry,
                &NewRegistration {
                    uuid: &new_id(),
                    drive: drive.id,
                    donor: Some(d.id),
                    outcome: Outcome::Donated,
                    reason: None,
                    override_reason: None,
                },
            )?),
            (None, None) => None,
        };
        let inserted = txn.insert_bulk_unit(
            &mut bulk,
            entry,
            &NewUnit {
                unit_id: unit_id.as_str(),
                drive: drive.id,
                registration,
                donor: donor.as_ref().map(|d| d.id),
                blood_group: group,
                volume_ml: volume.0,
                product,
                collected_on,
                expires_on: add_days(collected_on, ctx.rules.shelf_life_days(product)),
                override_reason: None,
            },
        )?;
        if inserted {
            tally.new += 1;
            continue;
        }
        let existing = txn
            .unit(unit_id.as_str())?
            .ok_or_else(|| anyhow::anyhow!("unit {unit_id} is taken but cannot be read"))?;
        match already_there(&existing, &drive, group, volume.0, product, collected_on, None) {
            None => tally.present += 1,
            Some(reason) => problems.add(line.number, "unit_id", unit_id.as_str(), reason),
        }
    }
    txn.finish_bulk_units(bulk)?;
    Ok(tally)
}

/// A line whose unit id the ledger already holds: `None` when it is the same
/// unit (already present), else why the line is refused.
fn already_there(
    existing: &UnitRecord,
    drive: &DriveInfo,
    group: BloodGroup,
    volume_ml: u64,
    product: Product,
    collected_on: NaiveDate,
    donor: Option<&DonorRecord>,
) -> Option<String> {
    let same = existing.live
        && existing.drive_id == drive.id
        && existing.blood_group == group
        && existing.volume_ml == volume_ml
        && existing.product == product
        && existing.collected_on == collected_on
        && existing.donor.as_deref().map(crate::ledger::fold) == donor.map(|d| crate::ledger::fold(&d.donor_id));
    (!same).then(|| {
        format!(
            "unit already collected at drive `{}` on {} (entry #{}{}) with other details; unit ids are unique for all time",
            existing.drive,
            existing.collected_on,
            existing.entry,
            if existing.live { "" } else { ", since voided" }
        )
    })
}
