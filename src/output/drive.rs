use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use super::number::grouped;
use super::table::Table;
use super::{Out, SCHEMA_VERSION, dash, opt};
use crate::cli::Format;
use crate::ledger::drive::Items;
use crate::ledger::{BloodGroup, DiscardLine, Drive, DriveStatus, Tally, TransferLine};

/// The JSON shape of a drive (`drive show`, and each of `drive list`).
#[derive(Serialize)]
pub(super) struct DriveJson<'a> {
    slug: &'a str,
    name: Option<&'a str>,
    date: NaiveDate,
    status: DriveStatus,
    campaign: Option<&'a str>,
    province: Option<&'a str>,
    district: Option<&'a str>,
    venue: Option<&'a str>,
    organiser: Option<&'a str>,
    target: Option<u64>,
    registered: u64,
    deferred: u64,
    units: u64,
    volume_ml: u64,
    transferred: u64,
    discarded: u64,
    in_stock: u64,
    by_group: BTreeMap<BloodGroup, u64>,
    transfers: &'a [TransferLine],
    discards: &'a [DiscardLine],
    /// Both levels of detail, where the drive has them (DESIGN §2): the
    /// figures above take the items where there are any of a kind.
    tally: Option<&'a Tally>,
    items: Option<&'a Items>,
}

impl<'a> DriveJson<'a> {
    pub(super) fn of(d: &'a Drive) -> DriveJson<'a> {
        DriveJson {
            slug: &d.slug,
            name: d.attrs.name.as_deref(),
            date: d.date,
            status: d.status,
            campaign: d.attrs.campaign.as_deref(),
            province: d.attrs.province.as_deref(),
            district: d.attrs.district.as_deref(),
            venue: d.attrs.venue.as_deref(),
            organiser: d.attrs.organiser.as_deref(),
            target: d.attrs.target,
            registered: d.registered(),
            deferred: d.deferred(),
            units: d.units(),
            volume_ml: d.volume_ml(),
            transferred: d.transferred(),
            discarded: d.discarded(),
            in_stock: d.in_stock(),
            by_group: d.units_by_group(),
            transfers: &d.transfers,
            discards: &d.discards,
            tally: d.tally.as_ref(),
            items: (d.items != Items::default()).then_some(&d.items),
        }
    }
}

const LIST_COLUMNS: [&str; 11] = [
    "slug",
    "date",
    "status",
    "campaign",
    "province",
    "district",
    "registered",
    "units",
    "transferred",
    "discarded",
    "in_stock",
];

/// A drive as one CSV row of [`LIST_COLUMNS`].
fn list_cells(d: &Drive) -> Vec<String> {
    vec![
        d.slug.clone(),
        d.date.to_string(),
        d.status.as_str().into(),
        opt(&d.attrs.campaign),
        opt(&d.attrs.province),
        opt(&d.attrs.district),
        d.registered().to_string(),
        d.units().to_string(),
        d.transferred().to_string(),
        d.discarded().to_string(),
        d.in_stock().to_string(),
    ]
}

pub fn drive_list(out: &mut Out, drives: &[Drive]) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "drives": drives.iter().map(DriveJson::of).collect::<Vec<_>>(),
        })),
        Format::Csv => out.csv(&LIST_COLUMNS, drives.iter().map(list_cells)),
        Format::Table => {
            if drives.is_empty() {
                return out.line(
                    "No drives. Plan one with `bloodledger drive plan` or log one with `bloodledger drive log`.",
                );
            }
            let mut table = Table::new(&[
                "drive",
                "date",
                "status",
                "campaign",
                "province",
                "district",
                "registered",
                "units",
                "transferred",
                "in stock",
            ])
            .numeric(6..10);
            for d in drives {
                let planned = d.status == DriveStatus::Planned;
                let figure = |n: u64| if planned { "–".to_string() } else { grouped(n) };
                table.row(vec![
                    d.slug.clone(),
                    d.date.to_string(),
                    d.status.as_str().into(),
                    dash(&d.attrs.campaign),
                    dash(&d.attrs.province),
                    dash(&d.attrs.district),
                    figure(d.registered()),
                    figure(d.units()),
                    figure(d.transferred()),
                    figure(d.in_stock()),
                ]);
            }
            out.line(&table.render())
        }
    }
}

pub fn drive_show(out: &mut Out, d: &Drive) -> Result<()> {
    match out.format {
        Format::Json => {
            let mut doc = serde_json::to_value(DriveJson::of(d))?;
            doc["schema_version"] = SCHEMA_VERSION.into();
            out.json(&doc)
        }
        Format::Csv => out.csv(&LIST_COLUMNS, [list_cells(d)]),
        Format::Table => {
            let mut about = Table::new(&["drive", &d.slug]);
            let place = [&d.attrs.venue, &d.attrs.district, &d.attrs.province]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            about.row(vec!["name".into(), dash(&d.attrs.name)]);
            about.row(vec!["date".into(), d.date.to_string()]);
            about.row(vec!["status".into(), d.status.as_str().into()]);
            about.row(vec![
                "campaign".into(),
                match (&d.attrs.campaign, &d.campaign_name) {
                    (Some(slug), Some(name)) => format!("{slug} ({name})"),
                    (slug, _) => dash(slug),
                },
            ]);
            about.row(vec!["place".into(), if place.is_empty() { "–".into() } else { place }]);
            if let Some(organiser) = &d.attrs.organiser {
                about.row(vec!["organiser".into(), organiser.clone()]);
            }
            if let Some(target) = d.attrs.target {
                about.row(vec!["target".into(), grouped(target)]);
            }
            out.line(&about.render())?;
            if d.status == DriveStatus::Planned {
                return out.line(&format!(
                    "Planned: no results yet. Log them with `bloodledger drive log {}`.",
                    d.slug
                ));
            }
            let ml = |v: Option<u64>| dash(&v.map(|ml| format!("{} ml", grouped(ml))));
            let volume = ml(d.known_volume_ml());
            // With a tally and items side by side, a third column shows the
            // tally's figure wherever the items took its place.
            let beside = d
                .tally
                .as_ref()
                .filter(|_| d.has_itemised_registrations() || d.has_itemised_units());
            let tallied = |itemised: bool, figure: String| if itemised { figure } else { String::new() };
            let mut figures = match beside {
                Some(_) => Table::new(&["figure", "count", "tally"]).numeric([1, 2]),
                None => Table::new(&["figure", "count"]).numeric([1]),
            };
            for (label, value, tally) in [
                (
                    "registered",
                    grouped(d.registered()),
                    beside.map(|t| tallied(d.has_itemised_registrations(), grouped(t.registered))),
                ),
                (
                    "deferred",
                    grouped(d.deferred()),
                    beside.map(|t| tallied(d.has_itemised_registrations(), grouped(t.deferred))),
                ),
                (
                    "units",
                    grouped(d.units()),
                    beside.map(|t| tallied(d.has_itemised_units(), grouped(t.collected))),
                ),
                (
                    "volume",
                    volume,
                    beside.map(|t| tallied(d.has_itemised_units(), ml(t.volume_ml))),
                ),
                ("transferred", grouped(d.transferred()), beside.map(|_| String::new())),
                ("discarded", grouped(d.discarded()), beside.map(|_| String::new())),
                ("in stock", grouped(d.in_stock()), beside.map(|_| String::new())),
            ] {
                let mut row = vec![label.into(), value];
                row.extend(tally);
                figures.row(row);
            }
            out.line(&figures.render())?;
            if beside.is_some() {
                out.line("Counts come from the itemised records; the tally column is the paper form's. `bloodledger check` reports where they differ.")?;
            }
            // Never fold apheresis into whole-blood units without saying so.
            if d.has_itemised_units() && d.items.by_product.keys().any(|p| p.is_apheresis()) {
                let mut table = Table::new(&["product", "units"]).numeric([1]);
                for (product, units) in &d.items.by_product {
                    table.row(vec![product.to_string(), grouped(*units)]);
                }
                out.line(&table.render())?;
            }
            let groups = d.units_by_group();
            if groups.keys().any(|g| *g != BloodGroup::Unknown) {
                let mut table = Table::new(&["group", "units"]).numeric([1]);
                for (group, units) in groups {
                    table.row(vec![group.to_string(), grouped(units)]);
                }
                out.line(&table.render())?;
            }
            if !d.transfers.is_empty() || !d.discards.is_empty() {
                let mut table = Table::new(&["date", "movement", "units", "entry"]).numeric([2]);
                let transfers = d.transfers.iter().map(|t| {
                    let what = format!("to {} ({})", t.facility, t.facility_name);
                    (t.date, t.entry, what, t.units)
                });
                let discards = d
                    .discards
                    .iter()
                    .map(|x| (x.date, x.entry, format!("discarded: {}", x.reason), x.units));
                // One story in date order, transfers and discards mixed.
                let mut movements: Vec<_> = transfers.chain(discards).collect();
                movements.sort_by_key(|(date, entry, ..)| (*date, *entry));
                for (date, entry, what, units) in movements {
                    table.row(vec![date.to_string(), what, grouped(units), format!("#{entry}")]);
                }
                out.line(&table.render())?;
            }
            Ok(())
        }
    }
}
