//! `drive plan|log|list|show|close|reopen`.

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::json;

use super::{Context, actor, require_campaign, require_drive, require_facility};
use crate::cli::{
    DriveDetails, DriveListArgs, DriveLogArgs, DrivePlanArgs, DriveSlugActorArgs, DriveSlugArgs, StatusFilter,
};
use crate::error::UserError;
use crate::ledger::check::drive_problems;
use crate::ledger::{Drive, DriveAttrs, DriveStatus, Tally, new_id};
use crate::output;
use crate::output::number::{grouped, plural};
use crate::refuse;
use crate::store::{Access, NewEntry, Txn};

fn given_attrs(details: &DriveDetails, date: Option<NaiveDate>, target: Option<u64>) -> DriveAttrs {
    let text = |label: &Option<crate::ledger::Label>| label.as_ref().map(|l| l.as_str().to_string());
    DriveAttrs {
        date,
        name: text(&details.name),
        campaign: details.campaign.as_ref().map(|c| c.as_str().to_string()),
        province: text(&details.province),
        district: text(&details.district),
        venue: text(&details.venue),
        organiser: text(&details.organiser),
        target,
    }
}

/// The campaign's id, with the slug spelled as the campaign has it.
fn resolve_campaign(txn: &Txn, attrs: &mut DriveAttrs) -> Result<Option<i64>> {
    let Some(slug) = &attrs.campaign else { return Ok(None) };
    let campaign = require_campaign(txn, slug)?;
    attrs.campaign = Some(campaign.slug);
    Ok(Some(campaign.id))
}

fn payload_attrs(attrs: &DriveAttrs) -> serde_json::Value {
    json!({
        "date": attrs.date.map(|d| d.to_string()),
        "name": attrs.name, "campaign": attrs.campaign, "province": attrs.province,
        "district": attrs.district, "venue": attrs.venue, "organiser": attrs.organiser, "target": attrs.target,
    })
}

pub fn plan(ctx: &mut Context, args: DrivePlanArgs) -> Result<()> {
    let args = super::ask::plan(ctx, args)?;
    let (Some(slug), Some(date)) = (args.slug.clone(), args.date) else {
        return Err(super::ask::plan_usage(&args));
    };
    let actor = actor(&args.actor);
    let date = date.resolve(ctx.today);
    let mut attrs = given_attrs(&args.details, Some(date), args.target.map(|t| t.0));
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    if let Some(existing) = txn.find_drive(&slug.key())? {
        let drive = txn.drive(existing.id)?;
        refuse!(
            hint = format!("choose another slug, or see `bloodledger drive show {}`", drive.slug),
            "drive `{}` already exists ({}, {})",
            drive.slug,
            drive.status.as_str(),
            drive.date
        );
    }
    let campaign_id = resolve_campaign(&txn, &mut attrs)?;
    // Say where and for which campaign: the confirmation shows what resolved.
    let mut summary = match &attrs.campaign {
        Some(campaign) => format!("Planned {slug} ({campaign}) for {date}"),
        None => format!("Planned {slug} for {date}"),
    };
    let place: Vec<&str> = [attrs.district.as_deref(), attrs.province.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !place.is_empty() {
        summary.push_str(&format!(" in {}", place.join(", ")));
    }
    if date < ctx.today {
        summary.push_str(" (a past date: back-entry; log its results with `drive log`)");
    }
    let drive_uuid = new_id();
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "drive plan",
        drive_uuid: Some(&drive_uuid),
        summary: summary.clone(),
        payload: json!({"drive": {"slug": slug.as_str(), "uuid": drive_uuid}, "version": payload_attrs(&attrs)}),
        voids: None,
        reason: None,
    })?;
    let drive = txn.insert_drive(entry.number, slug.as_str(), &drive_uuid)?;
    txn.insert_drive_version(drive.id, entry.number, &attrs, date, campaign_id)?;
    txn.commit()?;
    output::written(&mut ctx.out, "drive plan", &entry, &summary)
}

pub fn log(ctx: &mut Context, args: DriveLogArgs) -> Result<()> {
    // In a terminal, what is missing is asked for; elsewhere nothing waits.
    let args = super::ask::log(ctx, args)?;
    let (Some(given_slug), Some(registered), Some(collected)) = (args.slug.clone(), args.registered, args.collected)
    else {
        return Err(super::ask::log_usage(&args));
    };
    let actor = actor(&args.actor);
    let tally = Tally::new(
        registered,
        collected,
        args.deferred.unwrap_or_default(),
        args.volume_ml,
        &args.groups,
        ctx.rules,
    )
    .map_err(|r| UserError::new(r.message).hint(r.hint))?;
    let given = given_attrs(&args.details, args.date.map(|d| d.resolve(ctx.today)), None);

    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    let existing = txn.find_drive(&given_slug.key())?;
    let previous = match &existing {
        None => {
            if given.date.is_none() {
                let suggestion = super::did_you_mean(given_slug.as_str(), &txn.drive_slugs()?);
                refuse!(
                    hint = format!("{suggestion}to create a new drive give its day with --date YYYY-MM-DD"),
                    "no drive `{given_slug}` yet, and no --date to create it with"
                );
            }
            None
        }
        Some(found) => Some(txn.drive(found.id)?),
    };
    if let Some(drive) = &previous {
        refuse_if_closed(drive)?;
        if let Some(number) = drive.tally_entry {
            refuse!(
                hint = format!(
                    "to correct it, `bloodledger void {number} --reason \"…\"` and log again; see `bloodledger drive show {}`",
                    drive.slug
                ),
                "drive `{}` already has results (entry #{number})",
                drive.slug
            );
        }
    }
    let mut attrs = previous
        .as_ref()
        .map(|d| d.attrs.clone())
        .unwrap_or_default()
        .overlaid_with(&given);
    let date = attrs.date.unwrap_or(ctx.today);
    if date > ctx.today {
        refuse!(
            hint = "results are logged after a drive is held; give --date with the day it was held",
            "cannot log results for {date}, after today ({})",
            ctx.today
        );
    }
    // Units carry their collection date and expiry: the drive's date is fixed
    // once it has itemised records.
    if let Some(drive) = &previous
        && (drive.has_itemised_units() || drive.has_itemised_registrations())
        && date != drive.date
    {
        refuse!(
            hint = format!("leave out --date; see `bloodledger drive show {}`", drive.slug),
            "drive `{}` has itemised records dated {}; its date cannot change to {date}",
            drive.slug,
            drive.date
        );
    }
    let campaign_id = resolve_campaign(&txn, &mut attrs)?;
    // The facility is checked even for `--transferred 0`: a typo is a typo.
    let transfer = match (&args.transferred, &args.to) {
        (Some(count), Some(to)) => Some((require_facility(&txn, to)?, count.0)).filter(|(_, n)| *n > 0),
        _ => None,
    };
    if let Some((_, count)) = &transfer
        && *count > tally.collected
    {
        refuse!(
            hint = "--transferred counts units of this drive's collection; check --transferred and --collected",
            "cannot transfer {count} units: the drive collected {}",
            tally.collected
        );
    }

    let slug = previous
        .as_ref()
        .map_or(given_slug.as_str().to_string(), |d| d.slug.clone());
    let drive_uuid = existing.as_ref().map_or_else(new_id, |d| d.uuid.clone());
    let mut summary = format!(
        "Logged {slug}: {} ({} registered, {} deferred)",
        plural(tally.collected, "unit"),
        grouped(tally.registered),
        grouped(tally.deferred)
    );
    if let Some((facility, count)) = &transfer {
        summary.push_str(&format!(", {} transferred to {}", grouped(*count), facility.slug));
    }
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "drive log",
        drive_uuid: Some(&drive_uuid),
        summary: summary.clone(),
        payload: json!({
            "drive": {"slug": slug, "uuid": drive_uuid},
            "version": payload_attrs(&attrs),
            "tally": &tally,
            "transfer": transfer.as_ref().map(|(f, n)| json!({"facility": f.slug, "units": n, "date": date.to_string()})),
        }),
        voids: None,
        reason: None,
    })?;
    let drive = match existing {
        Some(drive) => drive,
        None => txn.insert_drive(entry.number, &slug, &drive_uuid)?,
    };
    txn.insert_drive_version(drive.id, entry.number, &attrs, date, campaign_id)?;
    txn.insert_tally(drive.id, entry.number, &tally)?;
    if let Some((facility, count)) = &transfer {
        txn.insert_transfer(drive.id, entry.number, facility.id, date, *count)?;
    }
    ensure_consistent(ctx, &txn.drive(drive.id)?)?;
    txn.commit()?;
    output::written(&mut ctx.out, "drive log", &entry, &summary)
}

pub fn list(ctx: &mut Context, args: DriveListArgs) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let selection = super::totals::selection(ctx, &txn, &args.selection)?;
    let drives: Vec<Drive> = txn
        .drives(None)?
        .into_iter()
        .filter(|d| selection.matches(d))
        .filter(|d| match args.status {
            None => true,
            Some(StatusFilter::Planned) => d.status == DriveStatus::Planned,
            Some(StatusFilter::Held) => d.status == DriveStatus::Held,
            Some(StatusFilter::Closed) => d.status == DriveStatus::Closed,
        })
        .collect();
    output::drive_list(&mut ctx.out, &drives)
}

pub fn show(ctx: &mut Context, args: DriveSlugArgs) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let drive = require_drive(&txn, &args.slug)?;
    let drive = txn.drive(drive.id)?;
    output::drive_show(&mut ctx.out, &drive)
}

pub fn set_closed(ctx: &mut Context, args: DriveSlugActorArgs, close: bool) -> Result<()> {
    let actor = actor(&args.actor);
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    let found = require_drive(&txn, &args.slug)?;
    let drive = txn.drive(found.id)?;
    let is_closed = drive.status == DriveStatus::Closed;
    if close && is_closed {
        refuse!(
            hint = format!("reopen it with `bloodledger drive reopen {}`", drive.slug),
            "drive `{}` is already closed",
            drive.slug
        );
    }
    if !close && !is_closed {
        refuse!(
            hint = "only a closed drive can be reopened",
            "drive `{}` is not closed (it is {})",
            drive.slug,
            drive.status.as_str()
        );
    }
    let (action, summary) = if close {
        ("drive close", format!("Closed {}", drive.slug))
    } else {
        ("drive reopen", format!("Reopened {}", drive.slug))
    };
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action,
        drive_uuid: Some(&found.uuid),
        summary: summary.clone(),
        payload: json!({"drive": {"slug": drive.slug}, "status": if close { "closed" } else { "open" }}),
        voids: None,
        reason: None,
    })?;
    txn.insert_status(found.id, entry.number, close)?;
    txn.commit()?;
    output::written(&mut ctx.out, action, &entry, &summary)
}

pub(super) fn refuse_if_closed(drive: &Drive) -> Result<()> {
    if drive.status == DriveStatus::Closed {
        refuse!(
            hint = format!("reopen it first with `bloodledger drive reopen {}`", drive.slug),
            "drive `{}` is closed and takes no new records",
            drive.slug
        );
    }
    Ok(())
}

/// A safety net after every write: the drive as it will be committed must
/// pass `check`. The rules above should make this unreachable.
pub(super) fn ensure_consistent(ctx: &Context, drive: &Drive) -> Result<()> {
    if let Some(problem) = drive_problems(drive, ctx.rules).into_iter().next() {
        refuse!(
            hint = format!("nothing was written; see `bloodledger drive show {}`", drive.slug),
            "this would leave drive `{}` inconsistent: {}",
            drive.slug,
            problem.message
        );
    }
    Ok(())
}
