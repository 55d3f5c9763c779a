use anyhow::Result;
use serde::Serialize;

use super::number::{Language, grouped_in, totals_sentence};
use super::table::Table;
use super::{Out, SCHEMA_VERSION, opt};
use crate::cli::Format;
use crate::ledger::totals::{Figures, Row, Totals};

#[derive(Serialize)]
struct TotalsJson<'a> {
    schema_version: u32,
    #[serde(flatten)]
    figures: &'a Figures,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<&'a [Row]>,
}

/// The figures of a totals row, in CSV column order.
pub(super) const FIELDS: [&str; 11] = [
    "drives",
    "registered",
    "deferred",
    "units",
    "volume_ml",
    "transferred",
    "discarded",
    "in_stock",
    "years",
    "first_year",
    "last_year",
];

pub(super) fn figure_cells(f: &Figures) -> Vec<String> {
    vec![
        f.drives.to_string(),
        f.registered.to_string(),
        f.deferred.to_string(),
        f.units.to_string(),
        f.volume_ml.to_string(),
        f.transferred.to_string(),
        f.discarded.to_string(),
        f.in_stock.to_string(),
        f.years.to_string(),
        opt(&f.first_year),
        opt(&f.last_year),
    ]
}

pub(super) fn row_cells(r: &Row) -> Vec<String> {
    vec![
        r.key.clone(),
        r.drives.to_string(),
        opt(&r.registered),
        opt(&r.deferred),
        opt(&r.units),
        opt(&r.volume_ml),
        opt(&r.transferred),
        opt(&r.discarded),
        opt(&r.in_stock),
        opt(&r.years),
        opt(&r.first_year),
        opt(&r.last_year),
    ]
}

pub fn totals(out: &mut Out, totals: &Totals, lang: &Language) -> Result<()> {
    let f = &totals.figures;
    let summary = totals_sentence(f.units, f.years, lang);
    match out.format {
        Format::Json => out.json(&TotalsJson {
            schema_version: SCHEMA_VERSION,
            figures: f,
            summary,
            by: totals.by.map(|b| b.as_str()),
            rows: totals.by.map(|_| totals.rows.as_slice()),
        }),
        Format::Csv => match totals.by {
            None => out.csv(&FIELDS, [figure_cells(f)]),
            Some(by) => {
                let mut headers = vec![by.as_str()];
                headers.extend(FIELDS);
                out.csv(&headers, totals.rows.iter().map(row_cells))
            }
        },
        Format::Table => {
            // The table groups thousands as the sentence under it does.
            let grouped = |n: u64| grouped_in(n, lang.thousands_separator);
            let figure = |n: &Option<u64>| n.map(grouped).unwrap_or_else(|| "–".into());
            // 0 ml means no volume was logged (a logged volume is ≥ 100 ml a unit).
            let ml = |n: &Option<u64>| {
                n.filter(|ml| *ml > 0)
                    .map(|ml| format!("{} ml", grouped(ml)))
                    .unwrap_or_else(|| "–".into())
            };
            let mut table = Table::new(&[
                totals.by.map_or("", |b| b.as_str()),
                "drives",
                "registered",
                "deferred",
                "units",
                "volume",
                "transferred",
                "discarded",
                "in stock",
            ])
            .numeric(1..9);
            for r in &totals.rows {
                table.row(vec![
                    r.key.clone(),
                    grouped(r.drives),
                    figure(&r.registered),
                    figure(&r.deferred),
                    figure(&r.units),
                    ml(&r.volume_ml),
                    figure(&r.transferred),
                    figure(&r.discarded),
                    figure(&r.in_stock),
                ]);
            }
            table.row(vec![
                "total".into(),
                grouped(f.drives),
                grouped(f.registered),
                grouped(f.deferred),
                grouped(f.units),
                ml(&Some(f.volume_ml)),
                grouped(f.transferred),
                grouped(f.discarded),
                grouped(f.in_stock),
            ]);
            out.line(&table.render())?;
            out.line(&summary)
        }
    }
}
