//! `import drives`: slug,name,date,campaign,province,district,venue and the
//! optional tally columns registered,deferred,collected.

use std::collections::HashMap;
use std::io::Read;

use anyhow::Result;

use super::{Rows, Tally};
use crate::commands::Context;
use crate::ledger::{Count, DateArg, Drive, DriveAttrs, Label, Slug, fold, new_id};
use crate::store::Txn;

pub const REQUIRED: &[&str] = &["slug", "date"];
pub const OPTIONAL: &[&str] = &[
    "name",
    "campaign",
    "province",
    "district",
    "venue",
    "registered",
    "deferred",
    "collected",
];

pub fn import<R: Read>(ctx: &Context, txn: &Txn, rows: &mut Rows<R>, entry: i64) -> Result<Tally> {
    let columns = rows.columns(REQUIRED, OPTIONAL)?;
    let mut campaigns: HashMap<String, Option<(i64, String)>> = HashMap::new();
    let mut tally = Tally::default();
    while let Some(line) = rows.next_line()? {
        let problems = &mut rows.problems;
        let before = problems.count;
        let text = |column: &str, problems: &mut super::Problems| {
            line.parse::<Label>(&columns, column, problems)
                .ok()
                .flatten()
                .map(|l| l.as_str().to_string())
        };
        let slug = line.parse::<Slug>(&columns, "slug", problems).ok().flatten();
        let date = line.parse::<DateArg>(&columns, "date", problems).ok().flatten();
        line.require(&columns, REQUIRED, problems);
        let attrs = DriveAttrs {
            date: date.map(|d| d.resolve(ctx.today)),
            name: text("name", problems),
            campaign: line
                .parse::<Slug>(&columns, "campaign", problems)
                .ok()
                .flatten()
                .map(|s| s.to_string()),
            province: text("province", problems),
            district: text("district", problems),
            venue: text("venue", problems),
            organiser: None,
            target: None,
        };
        let registered = line.parse::<Count>(&columns, "registered", problems).ok().flatten();
        let deferred = line.parse::<Count>(&columns, "deferred", problems).ok().flatten();
        let collected = line.parse::<Count>(&columns, "collected", problems).ok().flatten();

        let campaign = match &attrs.campaign {
            None => None,
            Some(slug) => {
                let found = match campaigns.get(&fold(slug)) {
                    Some(found) => found.clone(),
                    None => {
                        let found = txn.campaigns(Some(&fold(slug)))?.pop().map(|c| (c.id, c.slug));
                        campaigns.insert(fold(slug), found.clone());
                        found
                    }
                };
                if found.is_none() {
                    problems.add(
                        line.number,
                        "campaign",
                        slug,
                        format!("no such campaign; add it first with `bloodledger campaign add {slug} --name …`"),
                    );
                }
                found
            }
        };
        let has_tally = line.get(&columns, "registered").is_some()
            || line.get(&columns, "deferred").is_some()
            || line.get(&columns, "collected").is_some();
        let drive_tally = match (has_tally, registered, collected) {
            (false, ..) => None,
            (true, Some(registered), Some(collected)) => {
                match crate::ledger::Tally::new(
                    registered,
                    collected,
                    deferred.unwrap_or_default(),
                    None,
                    &[],
                    ctx.rules,
                ) {
                    Ok(t) => Some(t),
                    Err(refusal) => {
                        problems.add(line.number, "collected", &collected.to_string(), refusal.message);
                        None
                    }
                }
            }
            (true, ..) => {
                problems.add(
                    line.number,
                    "registered",
                    "",
                    "a tally needs both registered and collected",
                );
                None
            }
        };
        if let (Some(date), true) = (attrs.date, has_tally)
            && date > ctx.today
        {
            problems.add(
                line.number,
                "date",
                &date.to_string(),
                format!("results cannot be dated after today ({})", ctx.today),
            );
        }
        let (Some(slug), Some(date)) = (slug, attrs.date) else {
            continue;
        };
        if problems.count > before {
            continue;
        }
        let mut attrs = attrs;
        if let Some((_, spelled)) = &campaign {
            attrs.campaign = Some(spelled.clone());
        }
        match txn.find_drive(&slug.key())? {
            Some(existing) => {
                let drive = txn.drive(existing.id)?;
                match difference(&drive, &attrs, drive_tally.as_ref()) {
                    None => tally.present += 1,
                    Some(what) => problems.add(
                        line.number,
                        "slug",
                        slug.as_str(),
                        format!("drive already in the ledger with a different {what}; to change it, void its entry and import again"),
                    ),
                }
            }
            None => {
                let uuid = new_id();
                let drive = txn.insert_drive(entry, slug.as_str(), &uuid)?;
                txn.insert_drive_version(drive.id, entry, &attrs, date, campaign.map(|(id, _)| id))?;
                if let Some(t) = &drive_tally {
                    txn.insert_tally(drive.id, entry, t)?;
                }
                tally.new += 1;
            }
        }
    }
    Ok(tally)
}

/// What differs between a drive in the ledger and an imported line, if anything.
fn difference(drive: &Drive, line: &DriveAttrs, tally: Option<&crate::ledger::Tally>) -> Option<String> {
    let same_text = |a: &Option<String>, b: &Option<String>| a.as_deref().map(fold) == b.as_deref().map(fold);
    let figures = |t: Option<&crate::ledger::Tally>| t.map(|t| (t.registered, t.deferred, t.collected));
    let checks = [
        ("date", drive.attrs.date == line.date, format!("{}", drive.date)),
        (
            "name",
            same_text(&drive.attrs.name, &line.name),
            drive.attrs.name.clone().unwrap_or_default(),
        ),
        (
            "campaign",
            same_text(&drive.attrs.campaign, &line.campaign),
            drive.attrs.campaign.clone().unwrap_or_default(),
        ),
        (
            "province",
            same_text(&drive.attrs.province, &line.province),
            drive.attrs.province.clone().unwrap_or_default(),
        ),
        (
            "district",
            same_text(&drive.attrs.district, &line.district),
            drive.attrs.district.clone().unwrap_or_default(),
        ),
        (
            "venue",
            same_text(&drive.attrs.venue, &line.venue),
            drive.attrs.venue.clone().unwrap_or_default(),
        ),
        (
            "tally",
            figures(drive.tally.as_ref()) == figures(tally),
            figures(drive.tally.as_ref()).map_or("none".into(), |(r, d, c)| {
                format!("{r} registered, {d} deferred, {c} collected")
            }),
        ),
    ];
    checks
        .into_iter()
        .find(|(_, same, _)| !same)
        .map(|(what, _, ledger)| format!("{what} (the ledger has `{ledger}`)"))
}
