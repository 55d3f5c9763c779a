use anyhow::Result;
use serde::Serialize;

use super::table::Table;
use super::{Out, SCHEMA_VERSION, dash, opt};
use crate::cli::Format;
use crate::store::{Campaign, Facility};

#[derive(Serialize)]
struct CampaignJson<'a> {
    slug: &'a str,
    name: &'a str,
    started: Option<i64>,
}

#[derive(Serialize)]
struct FacilityJson<'a> {
    slug: &'a str,
    name: &'a str,
    province: Option<&'a str>,
}

pub fn campaigns(out: &mut Out, campaigns: &[Campaign]) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "campaigns": campaigns.iter().map(|c| CampaignJson { slug: &c.slug, name: &c.name, started: c.started }).collect::<Vec<_>>(),
        })),
        Format::Csv => out.csv(
            &["slug", "name", "started"],
            campaigns.iter().map(|c| vec![c.slug.clone(), c.name.clone(), opt(&c.started)]),
        ),
        Format::Table => {
            if campaigns.is_empty() {
                return out.line("No campaigns yet; add one with `bloodledger campaign add SLUG --name TEXT`.");
            }
            let mut table = Table::new(&["campaign", "name", "started"]);
            for c in campaigns {
                table.row(vec![c.slug.clone(), c.name.clone(), dash(&c.started)]);
            }
            out.line(&table.render())
        }
    }
}

pub fn facilities(out: &mut Out, facilities: &[Facility]) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "facilities": facilities.iter().map(|f| FacilityJson { slug: &f.slug, name: &f.name, province: f.province.as_deref() }).collect::<Vec<_>>(),
        })),
        Format::Csv => out.csv(
            &["slug", "name", "province"],
            facilities.iter().map(|f| vec![f.slug.clone(), f.name.clone(), opt(&f.province)]),
        ),
        Format::Table => {
            if facilities.is_empty() {
                return out.line("No facilities yet; add one with `bloodledger facility add SLUG --name TEXT`.");
            }
            let mut table = Table::new(&["facility", "name", "province"]);
            for f in facilities {
                table.row(vec![f.slug.clone(), f.name.clone(), dash(&f.province)]);
            }
            out.line(&table.render())
        }
    }
}
