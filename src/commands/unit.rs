//! `unit collect|show` and `stock`.

use anyhow::Result;
use serde_json::json;

use super::donor::{facts, refuse_unless_recordable, require_donor, unless_overridden};
use super::drive::ensure_consistent;
use super::{Context, actor, require_drive};
use crate::cli::{StockArgs, StockBy, UnitCollectArgs, UnitShowArgs};
use crate::error::UserError;
use crate::ledger::donor::add_days;
use crate::ledger::items::UnitRecord;
use crate::ledger::stock::{Stock, StockKey};
use crate::ledger::{Label, Outcome, UnitId, new_id};
use crate::output;
use crate::refuse;
use crate::store::{Access, NewEntry, NewRegistration, NewUnit, Txn};

/// The unit with this id, live; refusals say why not.
pub(super) fn require_unit(txn: &Txn, id: &UnitId) -> Result<UnitRecord> {
    match txn.unit(id.as_str())? {
        Some(unit) if unit.live => Ok(unit),
        Some(unit) => Err(UserError::new(format!(
            "unit {id} was voided (its collection, entry #{}, was taken back)",
            unit.entry
        ))
        .hint(format!("see `bloodledger history --drive {}`", unit.drive))
        .into()),
        None => Err(UserError::new(format!("no unit {id}"))
            .hint("check the id against the label; record a bag with `bloodledger unit collect`")
            .into()),
    }
}

pub fn collect(ctx: &mut Context, args: UnitCollectArgs) -> Result<()> {
    let args = super::ask::collect(ctx, args)?;
    let (Some(id), Some(slug), Some(group), Some(volume)) = (&args.id, &args.drive, args.group, args.volume) else {
        return Err(super::ask::collect_usage(&args));
    };
    let actor = actor(&args.actor);
    let (volume, product) = (volume.0, args.product);
    let override_reason = args.override_reason.as_ref().map(Label::as_str);
    let mut store = ctx.open(Access::Write)?;
    let txn = store.begin()?;
    let found = require_drive(&txn, slug)?;
    let drive = txn.drive(found.id)?;
    refuse_unless_recordable(ctx, &drive)?;
    if let Some(before) = txn.unit(id.as_str())? {
        refuse!(
            hint = "unit ids are unique for all time, voided ones too; check the id against the label",
            "unit {} was already collected at drive `{}` on {} (entry #{}{})",
            id,
            before.drive,
            before.collected_on,
            before.entry,
            if before.live { "" } else { ", since voided" }
        );
    }
    let donor = match &args.donor {
        Some(id) => Some(require_donor(&txn, id)?),
        None => None,
    };
    // The donation's registration: the donor's `register --donated` at this
    // drive if there is one, else a new one (anonymous without a donor).
    let mut registration = None;
    if let Some(donor) = &donor {
        if let Some(existing) = txn.registration_of(found.id, donor.id)? {
            if let Some(unit) = &existing.unit_id {
                refuse!(
                    hint = format!("see `bloodledger unit show {unit}`"),
                    "donor {} already gave unit {unit} at drive `{}`",
                    donor.donor_id,
                    drive.slug
                );
            }
            if existing.outcome != Outcome::Donated {
                refuse!(
                    hint = format!(
                        "if they did give, `bloodledger void {} --reason \"…\"` first",
                        existing.entry
                    ),
                    "donor {} is registered at drive `{}` as {} (entry #{})",
                    donor.donor_id,
                    drive.slug,
                    existing.outcome,
                    existing.entry
                );
            }
            registration = Some((existing.id, existing.uuid));
        }
        let events = txn.donor_events(Some(donor.id))?;
        unless_overridden(
            facts(donor, &events, Some(&drive.slug)).may_give(ctx.rules, drive.date, product),
            args.override_reason.as_ref(),
        )?;
    }
    unless_overridden(
        ctx.rules
            .allowed_volume(product, volume, donor.as_ref().and_then(|d| d.weight_kg)),
        args.override_reason.as_ref(),
    )?;

    let collected_on = drive.date;
    let expires_on = add_days(collected_on, ctx.rules.shelf_life_days(product));
    // A donor's donation gets a registration row when `register` made none;
    // an anonymous donation is its unit alone.
    let registration_uuid = donor.as_ref().filter(|_| registration.is_none()).map(|_| new_id());
    let from = donor
        .as_ref()
        .map_or("an anonymous donor".to_string(), |d| format!("donor {}", d.donor_id));
    let mut summary = format!(
        "Collected unit {} ({}, {volume} ml {product}) at {} from {from}",
        id, group, drive.slug
    );
    if let Some(why) = override_reason {
        summary.push_str(&format!(" [override: {why}]"));
    }
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "unit collect",
        drive_uuid: Some(&found.uuid),
        summary: summary.clone(),
        payload: json!({
            "unit": {
                "unit_id": id.as_str(), "drive": {"slug": drive.slug, "uuid": found.uuid},
                "blood_group": group.as_str(), "volume_ml": volume, "product": product.as_str(),
                "collected_on": collected_on.to_string(), "expires_on": expires_on.to_string(),
                "donor": donor.as_ref().map(|d| json!({"donor_id": d.donor_id, "uuid": d.uuid})),
            },
            "registration": match (&registration, &registration_uuid) {
                (Some((_, uuid)), _) => json!({"uuid": uuid, "recorded_by": "register"}),
                (None, Some(uuid)) => json!({"uuid": uuid, "outcome": "donated", "donor": donor.as_ref().map(|d| &d.uuid)}),
                (None, None) => json!({"anonymous": true, "outcome": "donated"}),
            },
            "override": override_reason,
        }),
        voids: None,
        reason: None,
    })?;
    let registration = match (registration, &registration_uuid) {
        (Some((id, _)), _) => Some(id),
        (None, Some(uuid)) => Some(txn.insert_registration(
            entry.number,
            &NewRegistration {
                uuid,
                drive: found.id,
                donor: donor.as_ref().map(|d| d.id),
                outcome: Outcome::Donated,
                reason: None,
                override_reason,
            },
        )?),
        (None, None) => None,
    };
    txn.insert_unit(
        entry.number,
        &NewUnit {
            unit_id: id.as_str(),
            drive: found.id,
            registration,
            donor: donor.as_ref().map(|d| d.id),
            blood_group: group,
            volume_ml: volume,
            product,
            collected_on,
            expires_on,
            override_reason,
        },
    )?;
    ensure_consistent(ctx, &txn.drive(found.id)?)?;
    txn.commit()?;
    output::written(&mut ctx.out, "unit collect", &entry, &summary)
}

pub fn show(ctx: &mut Context, args: UnitShowArgs) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let Some(unit) = txn.unit(args.id.as_str())? else {
        refuse!(
            hint = "check the id against the label; see `bloodledger stock`",
            "no unit {}",
            args.id
        );
    };
    output::items::unit_show(&mut ctx.out, &unit, &args.id, ctx.today)
}

pub fn stock(ctx: &mut Context, args: StockArgs) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let mut units = txn.stock_units()?;
    // Units counted only in tallies have no id, group or expiry: they show
    // only in the plain and by-drive views, never among the expiring.
    let tallied: Vec<(String, u64)> = match args.expiring_within {
        Some(days) => {
            let until = add_days(ctx.today, days.0);
            units.retain(|u| u.expires_on <= until);
            Vec::new()
        }
        None => txn.tallied_stock()?,
    };
    let by = args.by.map(|b| match b {
        StockBy::Drive => StockKey::Drive,
        StockBy::Group => StockKey::Group,
    });
    let mut stock = Stock::new(units, tallied, by);
    stock.until = args.expiring_within.map(|days| add_days(ctx.today, days.0));
    output::items::stock(&mut ctx.out, &stock, ctx.today)
}
