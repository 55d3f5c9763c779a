//! `donor add|show|list|eligible` and `register`.

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::json;

use super::drive::{ensure_consistent, refuse_if_closed};
use super::{Context, actor, did_you_mean, require_drive};
use crate::cli::{DonorAddArgs, DonorEligibleArgs, DonorListArgs, DonorShowArgs, RegisterArgs};
use crate::error::UserError;
use crate::ledger::donor::{Donation, DonorFacts};
use crate::ledger::{DonorId, Drive, Label, Outcome, Product, Refusal, new_id};
use crate::output;
use crate::output::items::{DonorLine, DonorView};
use crate::refuse;
use crate::store::{Access, DonorEvent, DonorRecord, NewDonor, NewEntry, NewRegistration, Txn};

pub(super) fn require_donor(txn: &Txn, id: &DonorId) -> Result<DonorRecord> {
    if let Some(donor) = txn.find_donor(&id.key())? {
        return Ok(donor);
    }
    Err(UserError::new(format!("no donor `{id}`"))
        .hint(format!(
            "{}add them with `bloodledger donor add {id} --name \"…\" --born YYYY-MM-DD --sex M|F`, or see `bloodledger donor list`",
            did_you_mean(id.as_str(), &txn.donor_ids()?)
        ))
        .into())
}

/// What the rules need to know about `donor`, leaving out the drive being
/// recorded (its own registration is not a previous donation).
pub(super) fn facts(donor: &DonorRecord, events: &[DonorEvent], except_drive: Option<&str>) -> DonorFacts {
    let elsewhere = || events.iter().filter(|e| Some(e.drive.as_str()) != except_drive);
    DonorFacts {
        id: donor.donor_id.clone(),
        born: Some(donor.born),
        donations: elsewhere()
            .filter(|e| e.outcome == Outcome::Donated)
            .map(|e| Donation {
                date: e.date,
                // A donation recorded without its bag counts as whole blood:
                // the longer interval is the safe guess.
                product: e.product.unwrap_or(Product::WholeBlood),
                drive: e.drive.clone(),
            })
            .collect(),
        permanent_deferral: events
            .iter()
            .find(|e| e.outcome == Outcome::PermanentlyDeferred)
            .map(|e| (e.drive.clone(), e.reason.clone().unwrap_or_default())),
    }
}

/// A drive takes records once it has been held: not for a future date, not
/// when closed.
pub(super) fn refuse_unless_recordable(ctx: &Context, drive: &Drive) -> Result<()> {
    refuse_if_closed(drive)?;
    if drive.date > ctx.today {
        refuse!(
            hint = "record registrations and units once the drive has been held",
            "drive `{}` is on {}, after today ({})",
            drive.slug,
            drive.date,
            ctx.today
        );
    }
    Ok(())
}

/// A rule's refusal, unless a physician's `--override` lets it through.
pub(super) fn unless_overridden(result: Result<(), Refusal>, override_reason: Option<&Label>) -> Result<()> {
    match (result, override_reason) {
        (Err(refusal), None) => Err(UserError::new(refusal.message).hint(refusal.hint).into()),
        _ => Ok(()),
    }
}

pub fn add(ctx: &mut Context, args: DonorAddArgs) -> Result<()> {
    let actor = actor(&args.actor);
    let born = args.born.resolve(ctx.today);
    if born >= ctx.today {
        refuse!(
            hint = "--born is the birth date, YYYY-MM-DD",
            "born {born} is not before today ({})",
            ctx.today
        );
    }
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    if let Some(existing) = txn.find_donor(&args.id.key())? {
        refuse!(
            hint = format!(
                "choose another id, or see `bloodledger donor show {}`; to correct the record, void entry #{} and add it again",
                existing.donor_id, existing.entry
            ),
            "donor `{}` already exists (entry #{})",
            existing.donor_id,
            existing.entry
        );
    }
    let uuid = new_id();
    let label = |l: &Option<Label>| l.as_ref().map(|l| l.as_str().to_string());
    let (phone, national_id) = (label(&args.phone), label(&args.national_id));
    // The summary is shown by `history`: the donor id only, never the name.
    let summary = format!("Added donor {}", args.id);
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "donor add",
        drive_uuid: None,
        summary: summary.clone(),
        payload: json!({"donor": {
            "uuid": uuid, "donor_id": args.id.as_str(), "name": args.name.as_str(), "born": born.to_string(),
            "sex": args.sex.as_str(), "blood_group": args.group.map(|g| g.as_str()),
            "weight_kg": args.weight.map(|w| w.0), "phone": phone, "national_id": national_id,
        }}),
        voids: None,
        reason: None,
    })?;
    txn.insert_donor(
        entry.number,
        &NewDonor {
            uuid: &uuid,
            donor_id: args.id.as_str(),
            donor_key: &args.id.key(),
            name: args.name.as_str(),
            born,
            sex: args.sex.as_str(),
            blood_group: args.group,
            weight_kg: args.weight.map(|w| w.0),
            phone: phone.as_deref(),
            national_id: national_id.as_deref(),
        },
    )?;
    txn.commit()?;
    output::written(&mut ctx.out, "donor add", &entry, &summary)
}

fn line(ctx: &Context, donor: DonorRecord, events: &[DonorEvent], on: NaiveDate) -> DonorLine {
    let facts = facts(&donor, events, None);
    let donations = facts.donations.len() as u64;
    let last = facts.last_donation(on).cloned();
    let next_eligible = facts.next_eligible(ctx.rules, on);
    DonorLine {
        donations,
        deferrals: events.iter().filter(|e| e.outcome.is_deferral()).count() as u64,
        last_donation: last.map(|d| d.date),
        next_eligible,
        permanently_deferred: facts.permanent_deferral.is_some(),
        donor,
    }
}

pub fn show(ctx: &mut Context, args: DonorShowArgs) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let donor = require_donor(&txn, &args.id)?;
    let events = txn.donor_events(Some(donor.id))?;
    let view = DonorView {
        line: line(ctx, donor, &events, NaiveDate::MAX),
        events,
    };
    output::items::donor_show(&mut ctx.out, &view, args.include_pii)
}

/// Every live donor with their events, grouped.
fn lines(ctx: &Context, txn: &Txn, on: NaiveDate) -> Result<Vec<DonorLine>> {
    let mut events: std::collections::HashMap<i64, Vec<DonorEvent>> = std::collections::HashMap::new();
    for event in txn.donor_events(None)? {
        events.entry(event.donor).or_default().push(event);
    }
    Ok(txn
        .donors()?
        .into_iter()
        .map(|donor| {
            let mine = events.remove(&donor.id).unwrap_or_default();
            line(ctx, donor, &mine, on)
        })
        .collect())
}

pub fn list(ctx: &mut Context, args: DonorListArgs) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let min = args.min_donations.map_or(0, |c| c.0);
    let mut donors = lines(ctx, &txn, NaiveDate::MAX)?;
    donors.retain(|d| d.donations >= min);
    output::items::donor_list(&mut ctx.out, &donors, args.include_pii, None)
}

pub fn eligible(ctx: &mut Context, args: DonorEligibleArgs) -> Result<()> {
    let on = args.on.resolve(ctx.today);
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let mut events: std::collections::HashMap<i64, Vec<DonorEvent>> = std::collections::HashMap::new();
    for event in txn.donor_events(None)? {
        events.entry(event.donor).or_default().push(event);
    }
    let mut donors = Vec::new();
    for donor in txn.donors()? {
        let mine = events.remove(&donor.id).unwrap_or_default();
        // Whole blood asks the most of a donor: whoever may give it may be invited.
        if facts(&donor, &mine, None)
            .may_give(ctx.rules, on, Product::WholeBlood)
            .is_ok()
        {
            donors.push(line(ctx, donor, &mine, on));
        }
    }
    output::items::donor_list(&mut ctx.out, &donors, args.include_pii, Some(on))
}

pub fn register(ctx: &mut Context, args: RegisterArgs) -> Result<()> {
    let actor = actor(&args.actor);
    let (outcome, reason) = match (&args.deferred, args.permanent, args.did_not_bleed) {
        (Some(reason), true, _) => (Outcome::PermanentlyDeferred, Some(reason.as_str())),
        (Some(reason), false, _) => (Outcome::Deferred, Some(reason.as_str())),
        (None, _, true) => (Outcome::DidNotBleed, None),
        _ => (Outcome::Donated, None),
    };
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    let found = require_drive(&txn, &args.drive)?;
    let drive = txn.drive(found.id)?;
    refuse_unless_recordable(ctx, &drive)?;
    let donor = require_donor(&txn, &args.donor)?;
    if let Some(existing) = txn.registration_of(found.id, donor.id)? {
        refuse!(
            hint = format!(
                "to correct it, `bloodledger void {} --reason \"…\"` and register again",
                existing.entry
            ),
            "donor {} is already registered at drive `{}` ({}, entry #{})",
            donor.donor_id,
            drive.slug,
            existing.outcome,
            existing.entry
        );
    }
    if outcome == Outcome::Donated {
        let events = txn.donor_events(Some(donor.id))?;
        let facts = facts(&donor, &events, Some(&drive.slug));
        unless_overridden(
            facts.may_give(ctx.rules, drive.date, Product::WholeBlood),
            args.override_reason.as_ref(),
        )?;
    }
    let override_reason = args.override_reason.as_ref().map(Label::as_str);
    let uuid = new_id();
    let mut summary = format!("Registered donor {} at {}: {outcome}", donor.donor_id, drive.slug);
    if let Some(reason) = reason {
        summary.push_str(&format!(" ({reason})"));
    }
    if let Some(why) = override_reason {
        summary.push_str(&format!(" [override: {why}]"));
    }
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "register",
        drive_uuid: Some(&found.uuid),
        summary: summary.clone(),
        payload: json!({"registration": {
            "uuid": uuid, "drive": {"slug": drive.slug, "uuid": found.uuid},
            "donor": {"donor_id": donor.donor_id, "uuid": donor.uuid},
            "outcome": outcome.as_str(), "reason": reason, "override": override_reason,
        }}),
        voids: None,
        reason: None,
    })?;
    txn.insert_registration(
        entry.number,
        &NewRegistration {
            uuid: &uuid,
            drive: found.id,
            donor: Some(donor.id),
            outcome,
            reason,
            override_reason,
        },
    )?;
    ensure_consistent(ctx, &txn.drive(found.id)?)?;
    txn.commit()?;
    output::written(&mut ctx.out, "register", &entry, &summary)
}
