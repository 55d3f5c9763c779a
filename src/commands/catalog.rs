//! `campaign add|list`, `facility add|list`.

use anyhow::Result;
use serde_json::json;

use super::{Context, actor};
use crate::cli::{CampaignAddArgs, FacilityAddArgs};
use crate::output;
use crate::refuse;
use crate::store::{Access, NewEntry};

pub fn campaign_add(ctx: &mut Context, args: CampaignAddArgs) -> Result<()> {
    let actor = actor(&args.actor);
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    if let Some(existing) = txn.campaigns(Some(&args.slug.key()))?.pop() {
        refuse!(
            hint = "choose another slug, or see `bloodledger campaign list`",
            "campaign `{}` already exists ({}, entry #{})",
            existing.slug,
            existing.name,
            existing.entry
        );
    }
    let summary = format!("Added campaign {} ({})", args.slug, args.name);
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "campaign add",
        drive_uuid: None,
        summary: summary.clone(),
        payload: json!({"campaign": {"slug": args.slug.as_str(), "name": args.name.as_str(), "started": args.started}}),
        voids: None,
        reason: None,
    })?;
    txn.insert_campaign(
        entry.number,
        args.slug.as_str(),
        &args.slug.key(),
        args.name.as_str(),
        args.started,
    )?;
    txn.commit()?;
    output::written(&mut ctx.out, "campaign add", &entry, &summary)
}

pub fn campaign_list(ctx: &mut Context) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let campaigns = store.begin()?.campaigns(None)?;
    output::campaigns(&mut ctx.out, &campaigns)
}

pub fn facility_add(ctx: &mut Context, args: FacilityAddArgs) -> Result<()> {
    let actor = actor(&args.actor);
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    if let Some(existing) = txn.facilities(Some(&args.slug.key()))?.pop() {
        refuse!(
            hint = "choose another slug, or see `bloodledger facility list`",
            "facility `{}` already exists ({}, entry #{})",
            existing.slug,
            existing.name,
            existing.entry
        );
    }
    let province = args.province.as_ref().map(|p| p.as_str());
    let summary = format!("Added facility {} ({})", args.slug, args.name);
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "facility add",
        drive_uuid: None,
        summary: summary.clone(),
        payload: json!({"facility": {"slug": args.slug.as_str(), "name": args.name.as_str(), "province": province}}),
        voids: None,
        reason: None,
    })?;
    txn.insert_facility(
        entry.number,
        args.slug.as_str(),
        &args.slug.key(),
        args.name.as_str(),
        province,
    )?;
    txn.commit()?;
    output::written(&mut ctx.out, "facility add", &entry, &summary)
}

pub fn facility_list(ctx: &mut Context) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let facilities = store.begin()?.facilities(None)?;
    output::facilities(&mut ctx.out, &facilities)
}
