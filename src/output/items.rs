//! Donors, units and stock. Personal data (name, birth date, phone, national
//! id) is printed by `donor show` as a table, and in JSON or CSV only with
//! `--include-pii`.

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};

use super::number::grouped;
use super::table::Table;
use super::{Out, SCHEMA_VERSION, dash, opt};
use crate::cli::Format;
use crate::ledger::UnitId;
use crate::ledger::items::{Movement, UnitRecord};
use crate::ledger::stock::Stock;
use crate::store::{DonorEvent, DonorRecord};

/// A donor with the figures lists show.
pub struct DonorLine {
    pub donor: DonorRecord,
    pub donations: u64,
    pub deferrals: u64,
    pub last_donation: Option<NaiveDate>,
    pub next_eligible: Option<NaiveDate>,
    pub permanently_deferred: bool,
}

pub struct DonorView {
    pub line: DonorLine,
    pub events: Vec<DonorEvent>,
}

#[derive(Serialize)]
struct DonorJson<'a> {
    donor_id: &'a str,
    sex: &'a str,
    blood_group: Option<&'static str>,
    donations: u64,
    deferrals: u64,
    last_donation: Option<NaiveDate>,
    next_eligible: Option<NaiveDate>,
    permanently_deferred: bool,
}

fn donor_json(line: &DonorLine, include_pii: bool) -> Result<Value> {
    let d = &line.donor;
    let mut value = serde_json::to_value(DonorJson {
        donor_id: &d.donor_id,
        sex: &d.sex,
        blood_group: d.blood_group.map(|g| g.as_str()),
        donations: line.donations,
        deferrals: line.deferrals,
        last_donation: line.last_donation,
        next_eligible: line.next_eligible,
        permanently_deferred: line.permanently_deferred,
    })?;
    if include_pii {
        value["name"] = d.name.clone().into();
        value["born"] = d.born.to_string().into();
        value["weight_kg"] = d.weight_kg.into();
        value["phone"] = d.phone.clone().into();
        value["national_id"] = d.national_id.clone().into();
    }
    Ok(value)
}

fn event_json(e: &DonorEvent) -> Value {
    json!({
        "drive": e.drive, "date": e.date, "outcome": e.outcome, "reason": e.reason,
        "unit_id": e.unit_id, "product": e.product, "volume_ml": e.volume_ml, "entry": e.entry,
    })
}

pub fn donor_show(out: &mut Out, view: &DonorView, include_pii: bool) -> Result<()> {
    let line = &view.line;
    let d = &line.donor;
    match out.format {
        Format::Json => {
            let mut doc = donor_json(line, include_pii)?;
            doc["schema_version"] = SCHEMA_VERSION.into();
            doc["history"] = view.events.iter().map(event_json).collect();
            out.json(&doc)
        }
        Format::Csv => {
            let mut headers = vec![
                "donor_id",
                "drive",
                "date",
                "outcome",
                "reason",
                "unit_id",
                "product",
                "volume_ml",
            ];
            if include_pii {
                headers.insert(1, "name");
            }
            out.csv(
                &headers,
                view.events.iter().map(|e| {
                    let mut row = vec![
                        d.donor_id.clone(),
                        e.drive.clone(),
                        e.date.to_string(),
                        e.outcome.to_string(),
                        opt(&e.reason),
                        opt(&e.unit_id),
                        opt(&e.product),
                        opt(&e.volume_ml),
                    ];
                    if include_pii {
                        row.insert(1, d.name.clone());
                    }
                    row
                }),
            )
        }
        Format::Table => {
            let mut about = Table::new(&["donor", &d.donor_id]);
            about.row(vec!["name".into(), d.name.clone()]);
            about.row(vec!["born".into(), d.born.to_string()]);
            about.row(vec!["sex".into(), d.sex.clone()]);
            about.row(vec!["group".into(), dash(&d.blood_group)]);
            about.row(vec!["weight".into(), dash(&d.weight_kg.map(|kg| format!("{kg} kg")))]);
            about.row(vec!["phone".into(), dash(&d.phone)]);
            about.row(vec!["national id".into(), dash(&d.national_id)]);
            about.row(vec!["donations".into(), grouped(line.donations)]);
            about.row(vec!["deferrals".into(), grouped(line.deferrals)]);
            let next = if line.permanently_deferred {
                "never (permanently deferred)".to_string()
            } else {
                line.next_eligible
                    .map_or("now (no donation yet)".to_string(), |d| d.to_string())
            };
            about.row(vec!["next eligible".into(), next]);
            out.line(&about.render())?;
            if view.events.is_empty() {
                return out.line("No registrations yet.");
            }
            let mut table = Table::new(&["date", "drive", "outcome", "unit", "entry"]);
            for e in &view.events {
                let outcome = match (&e.reason, &e.product, e.volume_ml) {
                    (Some(reason), _, _) => format!("{} ({reason})", e.outcome),
                    (None, Some(product), Some(ml)) => format!("{} {ml} ml {product}", e.outcome),
                    _ => e.outcome.to_string(),
                };
                table.row(vec![
                    e.date.to_string(),
                    e.drive.clone(),
                    outcome,
                    dash(&e.unit_id),
                    format!("#{}", e.entry),
                ]);
            }
            out.line(&table.render())
        }
    }
}

/// `donor list` and `donor eligible --on` (which passes its date).
pub fn donor_list(out: &mut Out, donors: &[DonorLine], include_pii: bool, on: Option<NaiveDate>) -> Result<()> {
    match out.format {
        Format::Json => {
            let mut doc = json!({
                "schema_version": SCHEMA_VERSION,
                "donors": donors.iter().map(|l| donor_json(l, include_pii)).collect::<Result<Vec<_>>>()?,
            });
            if let Some(on) = on {
                doc["on"] = on.to_string().into();
            }
            out.json(&doc)
        }
        Format::Csv => {
            let mut headers = vec![
                "donor_id",
                "blood_group",
                "donations",
                "deferrals",
                "last_donation",
                "next_eligible",
            ];
            if include_pii {
                headers.extend(["name", "phone"]);
            }
            out.csv(
                &headers,
                donors.iter().map(|l| {
                    let mut row = vec![
                        l.donor.donor_id.clone(),
                        opt(&l.donor.blood_group),
                        l.donations.to_string(),
                        l.deferrals.to_string(),
                        opt(&l.last_donation),
                        opt(&l.next_eligible),
                    ];
                    if include_pii {
                        row.extend([l.donor.name.clone(), opt(&l.donor.phone)]);
                    }
                    row
                }),
            )
        }
        Format::Table => {
            if donors.is_empty() {
                return out.line(match on {
                    Some(_) => "No donor may be invited on that date.",
                    None => "No donors. Add one with `bloodledger donor add`.",
                });
            }
            let mut headers = vec!["donor", "group", "donations", "last donation", "next eligible"];
            if include_pii {
                headers.extend(["name", "phone"]);
            }
            let mut table = Table::new(&headers).numeric([2]);
            for l in donors {
                let next = if l.permanently_deferred {
                    "never".to_string()
                } else {
                    dash(&l.next_eligible)
                };
                let mut row = vec![
                    l.donor.donor_id.clone(),
                    dash(&l.donor.blood_group),
                    grouped(l.donations),
                    dash(&l.last_donation),
                    next,
                ];
                if include_pii {
                    row.extend([l.donor.name.clone(), dash(&l.donor.phone)]);
                }
                table.row(row);
            }
            out.line(&table.render())
        }
    }
}

fn status(unit: &UnitRecord) -> &'static str {
    match (&unit.movement, unit.live) {
        (_, false) => "voided",
        (None, true) => "in stock",
        (Some(Movement::Transferred { .. }), true) => "transferred",
        (Some(Movement::Discarded { .. }), true) => "discarded",
    }
}

fn movement_json(movement: &Option<Movement>) -> Value {
    match movement {
        None => Value::Null,
        Some(Movement::Transferred {
            facility,
            facility_name,
            date,
            entry,
        }) => {
            json!({"kind": "transfer", "facility": facility, "facility_name": facility_name, "date": date, "entry": entry})
        }
        Some(Movement::Discarded { reason, date, entry }) => {
            json!({"kind": "discard", "reason": reason, "date": date, "entry": entry})
        }
    }
}

pub fn unit_show(out: &mut Out, unit: &UnitRecord, id: &UnitId, today: NaiveDate) -> Result<()> {
    let check = id.check_character();
    match out.format {
        Format::Json => out.json(&json!({
            "schema_version": SCHEMA_VERSION,
            "unit_id": unit.unit_id,
            "check_character": check.map(String::from),
            "status": status(unit),
            "drive": unit.drive,
            "collected_on": unit.collected_on,
            "expires_on": unit.expires_on,
            "blood_group": unit.blood_group,
            "product": unit.product,
            "volume_ml": unit.volume_ml,
            "donor_id": unit.donor,
            "override": unit.override_reason,
            "entry": unit.entry,
            "movement": movement_json(&unit.movement),
        })),
        Format::Csv => out.csv(
            &[
                "unit_id",
                "status",
                "drive",
                "collected_on",
                "expires_on",
                "blood_group",
                "product",
                "volume_ml",
                "donor_id",
            ],
            [vec![
                unit.unit_id.clone(),
                status(unit).into(),
                unit.drive.clone(),
                unit.collected_on.to_string(),
                unit.expires_on.to_string(),
                unit.blood_group.to_string(),
                unit.product.to_string(),
                unit.volume_ml.to_string(),
                opt(&unit.donor),
            ]],
        ),
        Format::Table => {
            let shown = match check {
                Some(c) => format!("{} (check character {c})", unit.unit_id),
                None => unit.unit_id.clone(),
            };
            let mut table = Table::new(&["unit", &shown]);
            table.row(vec!["status".into(), status(unit).into()]);
            table.row(vec![
                "collected".into(),
                format!("{} at drive {} (entry #{})", unit.collected_on, unit.drive, unit.entry),
            ]);
            table.row(vec![
                "donor".into(),
                unit.donor.clone().unwrap_or_else(|| "anonymous".into()),
            ]);
            table.row(vec!["group".into(), unit.blood_group.to_string()]);
            table.row(vec![
                "product".into(),
                format!("{}, {} ml", unit.product, unit.volume_ml),
            ]);
            let expired = if unit.movement.is_none() && unit.live && unit.expires_on < today {
                " (expired)"
            } else {
                ""
            };
            table.row(vec!["expires".into(), format!("{}{expired}", unit.expires_on)]);
            if let Some(why) = &unit.override_reason {
                table.row(vec!["override".into(), why.clone()]);
            }
            let went = match &unit.movement {
                None => "–".to_string(),
                Some(Movement::Transferred {
                    facility,
                    facility_name,
                    date,
                    entry,
                }) => format!("to {facility} ({facility_name}) on {date} (entry #{entry})"),
                Some(Movement::Discarded { reason, date, entry }) => {
                    format!("discarded ({reason}) on {date} (entry #{entry})")
                }
            };
            table.row(vec!["went".into(), went]);
            out.line(&table.render())
        }
    }
}

fn unit_row_json(u: &UnitRecord) -> Value {
    json!({
        "unit_id": u.unit_id, "drive": u.drive, "blood_group": u.blood_group, "product": u.product,
        "volume_ml": u.volume_ml, "collected_on": u.collected_on, "expires_on": u.expires_on,
    })
}

pub fn stock(out: &mut Out, stock: &Stock, today: NaiveDate) -> Result<()> {
    let total = stock.itemised_units() + stock.tallied_units();
    match out.format {
        Format::Json => {
            let mut doc = json!({
                "schema_version": SCHEMA_VERSION,
                "units": total,
                "itemised_units": stock.itemised_units(),
                "tallied_units": stock.tallied_units(),
                "volume_ml": stock.volume_ml(),
                "stock": stock.units.iter().map(unit_row_json).collect::<Vec<_>>(),
                "tallied": stock.tallied.iter().map(|(d, n)| json!({"drive": d, "units": n})).collect::<Vec<_>>(),
            });
            if let Some(until) = stock.until {
                doc["expiring_by"] = until.to_string().into();
            }
            if let Some(by) = stock.by {
                doc["by"] = by.as_str().into();
                doc["rows"] = serde_json::to_value(&stock.rows)?;
            }
            out.json(&doc)
        }
        Format::Csv => match stock.by {
            Some(by) => out.csv(
                &[by.as_str(), "units", "volume_ml", "tallied_units", "first_expiry"],
                stock.rows.iter().map(|r| {
                    vec![
                        r.key.clone(),
                        r.units.to_string(),
                        r.volume_ml.to_string(),
                        r.tallied_units.to_string(),
                        opt(&r.first_expiry),
                    ]
                }),
            ),
            None => out.csv(
                &[
                    "unit_id",
                    "drive",
                    "blood_group",
                    "product",
                    "volume_ml",
                    "collected_on",
                    "expires_on",
                ],
                stock.units.iter().map(|u| {
                    vec![
                        u.unit_id.clone(),
                        u.drive.clone(),
                        u.blood_group.to_string(),
                        u.product.to_string(),
                        u.volume_ml.to_string(),
                        u.collected_on.to_string(),
                        u.expires_on.to_string(),
                    ]
                }),
            ),
        },
        Format::Table => {
            if total == 0 {
                return out.line(&match stock.until {
                    Some(until) => format!("No unit in stock expires by {until}."),
                    None => "Nothing in stock.".to_string(),
                });
            }
            match stock.by {
                Some(by) => {
                    let mut table = Table::new(&[by.as_str(), "units", "volume", "first expiry"]).numeric([1, 2]);
                    for r in &stock.rows {
                        table.row(vec![
                            r.key.clone(),
                            grouped(r.units),
                            if r.units == r.tallied_units {
                                "–".into()
                            } else {
                                format!("{} ml", grouped(r.volume_ml))
                            },
                            dash(&r.first_expiry),
                        ]);
                    }
                    out.line(&table.render())?;
                }
                None if !stock.units.is_empty() => {
                    let mut table =
                        Table::new(&["unit", "drive", "group", "product", "volume", "expires", "days left"])
                            .numeric([4, 6]);
                    for u in &stock.units {
                        let left = (u.expires_on - today).num_days();
                        table.row(vec![
                            u.unit_id.clone(),
                            u.drive.clone(),
                            u.blood_group.to_string(),
                            u.product.to_string(),
                            format!("{} ml", u.volume_ml),
                            u.expires_on.to_string(),
                            if left < 0 { "expired".into() } else { left.to_string() },
                        ]);
                    }
                    out.line(&table.render())?;
                }
                None => {}
            }
            let mut summary = format!("{} in stock", super::number::plural(total, "unit"));
            if stock.itemised_units() > 0 {
                summary.push_str(&format!(
                    ": {} itemised ({} ml)",
                    grouped(stock.itemised_units()),
                    grouped(stock.volume_ml())
                ));
            }
            if stock.tallied_units() > 0 {
                let drives = stock
                    .tallied
                    .iter()
                    .map(|(d, n)| format!("{d} {}", grouped(*n)))
                    .collect::<Vec<_>>()
                    .join(", ");
                summary.push_str(&format!(
                    "{}{} counted only in tallies ({drives})",
                    if stock.itemised_units() > 0 { ", " } else { ": " },
                    grouped(stock.tallied_units())
                ));
            }
            out.line(&summary)
        }
    }
}
