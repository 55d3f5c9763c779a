//! `transfer` and `discard`: units leaving a drive's stock.

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::json;

use super::drive::{ensure_consistent, refuse_if_closed};
use super::unit::require_unit;
use super::{Context, actor, require_drive, require_facility};
use crate::cli::{DiscardArgs, TransferArgs};
use crate::ledger::items::{Movement, UnitRecord};
use crate::ledger::{Count, DateArg, Drive, UnitId};
use crate::output;
use crate::output::number::plural;
use crate::refuse;
use crate::store::{Access, DriveRef, NewEntry, Txn};

/// The rules every movement obeys: a date between the drive and today, a
/// positive count, and no more units than the drive has in stock.
fn check_movement(ctx: &Context, drive: &Drive, count: Count, date: NaiveDate, verb: &str) -> Result<()> {
    refuse_if_closed(drive)?;
    if count.0 == 0 {
        refuse!(hint = "give --count 1 or more", "cannot {verb} 0 units");
    }
    if date > ctx.today {
        refuse!(
            hint = "record a movement once it has happened",
            "{date} is after today ({})",
            ctx.today
        );
    }
    if date < drive.date {
        refuse!(
            hint = "check --date",
            "{date} is before drive `{}` was held ({})",
            drive.slug,
            drive.date
        );
    }
    let in_stock = drive.in_stock();
    if count.0 > in_stock {
        refuse!(
            hint = format!("see `bloodledger drive show {}`", drive.slug),
            "cannot {verb} {}: drive `{}` has {} in stock ({} collected, {} transferred, {} discarded)",
            plural(count.0, "unit"),
            drive.slug,
            plural(in_stock, "unit"),
            drive.units(),
            drive.transferred(),
            drive.discarded()
        );
    }
    Ok(())
}

pub fn transfer(ctx: &mut Context, args: TransferArgs) -> Result<()> {
    let actor = actor(&args.actor);
    let date = args.date.unwrap_or(DateArg::Today).resolve(ctx.today);
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    let facility = require_facility(&txn, &args.to)?;
    let (found, drive, count, units) = match (&args.drive, args.count) {
        (Some(slug), Some(count)) => {
            let found = require_drive(&txn, slug)?;
            let drive = txn.drive(found.id)?;
            refuse_if_itemised(&drive, "transfer")?;
            (found, drive, count, Vec::new())
        }
        _ => {
            let units = leaving_units(&txn, &args.ids, "transfer")?;
            for unit in &units {
                unit.may_transfer_on(date)
                    .map_err(|r| crate::error::UserError::new(r.message).hint(r.hint))?;
            }
            let (found, drive) = one_drive(&txn, &units)?;
            (found, drive, Count(units.len() as u64), units)
        }
    };
    check_movement(ctx, &drive, count, date, "transfer")?;
    let ids: Vec<&str> = units.iter().map(|u| u.unit_id.as_str()).collect();
    let mut summary = format!(
        "Transferred {} from {} to {} on {date}",
        plural(count.0, "unit"),
        drive.slug,
        facility.slug
    );
    if !ids.is_empty() {
        summary.push_str(&format!(": {}", ids.join(" ")));
    }
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "transfer",
        drive_uuid: Some(&found.uuid),
        summary: summary.clone(),
        payload: json!({"transfer": {
            "drive": drive.slug, "facility": facility.slug, "units": count.0, "date": date.to_string(),
            "unit_ids": (!units.is_empty()).then(|| units.iter().map(|u| u.unit_id.as_str()).collect::<Vec<_>>()),
        }}),
        voids: None,
        reason: None,
    })?;
    let transfer = txn.insert_transfer(found.id, entry.number, facility.id, date, count.0)?;
    txn.insert_transfer_units(transfer, &units.iter().map(|u| u.id).collect::<Vec<_>>())?;
    ensure_consistent(ctx, &txn.drive(found.id)?)?;
    txn.commit()?;
    output::written(&mut ctx.out, "transfer", &entry, &summary)
}

pub fn discard(ctx: &mut Context, args: DiscardArgs) -> Result<()> {
    let actor = actor(&args.actor);
    let date = args.date.unwrap_or(DateArg::Today).resolve(ctx.today);
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    let (found, drive, count, units) = match (&args.drive, args.count) {
        (Some(slug), Some(count)) => {
            let found = require_drive(&txn, slug)?;
            let drive = txn.drive(found.id)?;
            refuse_if_itemised(&drive, "discard")?;
            (found, drive, count, Vec::new())
        }
        _ => {
            let units = leaving_units(&txn, &args.ids, "discard")?;
            let (found, drive) = one_drive(&txn, &units)?;
            (found, drive, Count(units.len() as u64), units)
        }
    };
    check_movement(ctx, &drive, count, date, "discard")?;
    let ids: Vec<&str> = units.iter().map(|u| u.unit_id.as_str()).collect();
    let mut summary = format!(
        "Discarded {} of {} ({}) on {date}",
        plural(count.0, "unit"),
        drive.slug,
        args.reason
    );
    if !ids.is_empty() {
        summary.push_str(&format!(": {}", ids.join(" ")));
    }
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "discard",
        drive_uuid: Some(&found.uuid),
        summary: summary.clone(),
        payload: json!({"discard": {
            "drive": drive.slug, "units": count.0, "reason": args.reason.as_str(), "date": date.to_string(),
            "unit_ids": (!units.is_empty()).then(|| units.iter().map(|u| u.unit_id.as_str()).collect::<Vec<_>>()),
        }}),
        voids: None,
        reason: None,
    })?;
    let discard = txn.insert_discard(found.id, entry.number, date, count.0, args.reason.as_str())?;
    txn.insert_discard_units(discard, &units.iter().map(|u| u.id).collect::<Vec<_>>())?;
    ensure_consistent(ctx, &txn.drive(found.id)?)?;
    txn.commit()?;
    output::written(&mut ctx.out, "discard", &entry, &summary)
}

/// A drive with itemised units moves them by id: a count could not say
/// which units left, and the units' own stock would no longer add up.
fn refuse_if_itemised(drive: &Drive, verb: &str) -> Result<()> {
    if drive.has_itemised_units() {
        refuse!(
            hint = format!("give the unit ids, e.g. `bloodledger {verb} ID…`; see `bloodledger stock --by drive`"),
            "drive `{}` has itemised units; {verb} them by id rather than by --count",
            drive.slug
        );
    }
    Ok(())
}

/// The live units named, each still in stock and named once.
fn leaving_units(txn: &Txn, ids: &[UnitId], verb: &str) -> Result<Vec<UnitRecord>> {
    let mut units: Vec<UnitRecord> = Vec::with_capacity(ids.len());
    for id in ids {
        let unit = require_unit(txn, id)?;
        if units.iter().any(|u| u.id == unit.id) {
            refuse!(hint = "give each unit id once", "unit {id} is given twice");
        }
        match &unit.movement {
            None => {}
            Some(Movement::Transferred {
                facility,
                facility_name,
                date,
                entry,
            }) => refuse!(
                hint = format!(
                    "see `bloodledger unit show {id}`; if that transfer was a mistake, void entry #{entry} first"
                ),
                "cannot {verb} unit {id}: it already went to {facility} ({facility_name}) on {date} (entry #{entry})"
            ),
            Some(Movement::Discarded { reason, date, entry }) => refuse!(
                hint = format!(
                    "see `bloodledger unit show {id}`; if that discard was a mistake, void entry #{entry} first"
                ),
                "cannot {verb} unit {id}: it was discarded ({reason}) on {date} (entry #{entry})"
            ),
        }
        units.push(unit);
    }
    Ok(units)
}

/// One entry moves units of one drive, so that `history --drive` and `void`
/// see every movement of a drive.
fn one_drive(txn: &Txn, units: &[UnitRecord]) -> Result<(DriveRef, Drive)> {
    let Some(first) = units.first() else {
        refuse!(hint = "give unit ids, or --drive SLUG --count N", "no units given");
    };
    if let Some(other) = units.iter().find(|u| u.drive_id != first.drive_id) {
        refuse!(
            hint = "record one movement per drive",
            "units {} (drive `{}`) and {} (drive `{}`) come from different drives",
            first.unit_id,
            first.drive,
            other.unit_id,
            other.drive
        );
    }
    let drive = txn.drive(first.drive_id)?;
    let found = DriveRef {
        id: first.drive_id,
        uuid: first.drive_uuid.clone(),
        slug: drive.slug.clone(),
    };
    Ok((found, drive))
}
