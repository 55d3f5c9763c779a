//! `transfer` and `discard`: units leaving a drive's stock.

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::json;

use super::drive::{ensure_consistent, refuse_if_closed};
use super::{Context, actor, require_drive, require_facility};
use crate::cli::{DiscardArgs, TransferArgs};
use crate::ledger::{Count, DateArg, Drive};
use crate::output;
use crate::output::number::plural;
use crate::refuse;
use crate::store::{Access, NewEntry};

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
    let found = require_drive(&txn, &args.drive)?;
    let drive = txn.drive(found.id)?;
    let facility = require_facility(&txn, &args.to)?;
    check_movement(ctx, &drive, args.count, date, "transfer")?;
    let summary = format!(
        "Transferred {} from {} to {} on {date}",
        plural(args.count.0, "unit"),
        drive.slug,
        facility.slug
    );
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "transfer",
        drive_uuid: Some(&found.uuid),
        summary: summary.clone(),
        payload: json!({"transfer": {"drive": drive.slug, "facility": facility.slug, "units": args.count.0, "date": date.to_string()}}),
        voids: None,
        reason: None,
    })?;
    txn.insert_transfer(found.id, entry.number, facility.id, date, args.count.0)?;
    ensure_consistent(ctx, &txn.drive(found.id)?)?;
    txn.commit()?;
    output::written(&mut ctx.out, "transfer", &entry, &summary)
}

pub fn discard(ctx: &mut Context, args: DiscardArgs) -> Result<()> {
    let actor = actor(&args.actor);
    let date = args.date.unwrap_or(DateArg::Today).resolve(ctx.today);
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    let found = require_drive(&txn, &args.drive)?;
    let drive = txn.drive(found.id)?;
    check_movement(ctx, &drive, args.count, date, "discard")?;
    let summary = format!(
        "Discarded {} of {} ({}) on {date}",
        plural(args.count.0, "unit"),
        drive.slug,
        args.reason
    );
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "discard",
        drive_uuid: Some(&found.uuid),
        summary: summary.clone(),
        payload: json!({"discard": {"drive": drive.slug, "units": args.count.0, "reason": args.reason.as_str(), "date": date.to_string()}}),
        voids: None,
        reason: None,
    })?;
    txn.insert_discard(found.id, entry.number, date, args.count.0, args.reason.as_str())?;
    ensure_consistent(ctx, &txn.drive(found.id)?)?;
    txn.commit()?;
    output::written(&mut ctx.out, "discard", &entry, &summary)
}
