//! `drive log`, `drive plan` and `unit collect` in a terminal: what was not given is asked
//! for, one value at a time, checked by the same types as the options, with
//! defaults from the ledger (today; the campaign, province and facility of
//! the latest drive); then a summary and a confirmation. Without a terminal
//! nothing is asked and the command fails naming what is missing.

use anyhow::Result;
use chrono::NaiveDate;

use super::Context;
use crate::cli::{DriveDetails, DriveLogArgs, DrivePlanArgs, UnitCollectArgs};
use crate::error::UserError;
use crate::ledger::{BloodGroup, Count, DateArg, Drive, DriveStatus, Label, Slug, UnitId, Volume, fold};
use crate::output::number::grouped;
use crate::output::prompt::Prompter;
use crate::store::Access;

/// What the questions need to know, read in one short transaction before
/// any question, so that nothing is held open while someone types.
struct Known {
    drives: Vec<Drive>,
    campaigns: Vec<String>,
    facilities: Vec<String>,
}

impl Known {
    fn read(ctx: &Context) -> Result<Known> {
        let mut store = ctx.open(Access::Read)?;
        let txn = store.begin()?;
        Ok(Known {
            drives: txn.drives(None)?,
            campaigns: txn.campaigns(None)?.into_iter().map(|c| c.slug).collect(),
            facilities: txn.facilities(None)?.into_iter().map(|f| f.slug).collect(),
        })
    }

    fn drive(&self, slug: &Slug) -> Option<&Drive> {
        self.drives.iter().find(|d| fold(&d.slug) == slug.key())
    }

    /// The latest drive by date: where the defaults come from.
    fn latest(&self) -> Option<&Drive> {
        self.drives.last()
    }

    fn latest_facility(&self) -> Option<String> {
        self.drives
            .iter()
            .rev()
            .find_map(|d| d.transfers.last().map(|t| t.facility.clone()))
    }
}

/// "SLUG, --registered and --collected".
fn listed(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn missing_of_log(args: &DriveLogArgs) -> Vec<&'static str> {
    [
        ("SLUG", args.slug.is_none()),
        ("--registered", args.registered.is_none()),
        ("--collected", args.collected.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect()
}

fn missing_of_plan(args: &DrivePlanArgs) -> Vec<&'static str> {
    [("SLUG", args.slug.is_none()), ("--date", args.date.is_none())]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect()
}

/// The usage error for a `drive log` that lacks required values.
pub(super) fn log_usage(args: &DriveLogArgs) -> anyhow::Error {
    let slug = args.slug.as_ref().map_or("rj-sonla-2021".to_string(), Slug::to_string);
    UserError::usage(format!("drive log needs {}", listed(&missing_of_log(args))))
        .hint(format!(
            "e.g. `bloodledger drive log {slug} --registered 978 --collected 838`; run it in a terminal to be asked"
        ))
        .into()
}

pub(super) fn plan_usage(args: &DrivePlanArgs) -> anyhow::Error {
    let slug = args
        .slug
        .as_ref()
        .map_or("rj-muongla-2027".to_string(), Slug::to_string);
    UserError::usage(format!("drive plan needs {}", listed(&missing_of_plan(args))))
        .hint(format!(
            "e.g. `bloodledger drive plan {slug} --date 2027-07-16`; run it in a terminal to be asked"
        ))
        .into()
}

fn declined() -> anyhow::Error {
    UserError::new("not confirmed; nothing was recorded")
        .hint("run the command again, or give every value as an option")
        .into()
}

/// `drive log` with its required values, asked for in a terminal when some
/// are missing. Without a terminal the args come back as they were.
pub(super) fn log(ctx: &Context, mut args: DriveLogArgs) -> Result<DriveLogArgs> {
    if missing_of_log(&args).is_empty() || !crate::config::can_prompt() {
        return Ok(args);
    }
    let known = Known::read(ctx)?;
    let p = Prompter::new(ctx.stderr_color);
    let today = ctx.today;

    let slug = match args.slug.take() {
        Some(slug) => slug,
        None => p.ask("Drive (its slug, e.g. rj-sonla-2021)", None, |s| {
            let slug: Slug = s.parse()?;
            match known.drive(&slug).map(cannot_log) {
                Some(Some(refusal)) => Err(refusal),
                _ => Ok(slug),
            }
        })?,
    };
    let existing = known.drive(&slug);
    // Asking for figures that will be refused would waste the typing.
    if let Some(refusal) = existing.and_then(cannot_log) {
        return Err(UserError::new(refusal)
            .hint(format!("see `bloodledger drive show {slug}`"))
            .into());
    }
    match existing {
        Some(d) => p.say(&format!(
            "Logging the results of {} ({}, {})",
            d.slug,
            d.status.as_str(),
            d.date
        ))?,
        None => {
            p.say(&format!("{slug} is a new drive."))?;
            if args.date.is_none() {
                args.date = Some(DateArg::On(ask_date(&p, "Date it was held", today, Some(today))?));
            }
            ask_details(&p, &known, &mut args.details)?;
        }
    }
    let registered = match args.registered {
        Some(n) => n,
        None => p.ask("Registered (people who came)", None, |s| s.parse::<Count>())?,
    };
    let collected = match args.collected {
        Some(n) => n,
        None => p.ask("Units collected", None, |s| {
            let n: Count = s.parse()?;
            if n > registered {
                return Err(format!("{n} collected is more than {registered} registered"));
            }
            Ok(n)
        })?,
    };
    let did_not_give = registered.0 - collected.0.min(registered.0);
    let deferred = match args.deferred {
        Some(n) => n,
        None => p.ask("Deferred at screening", Some(did_not_give.to_string()), |s| {
            let n: Count = s.parse()?;
            if n.0 > did_not_give {
                return Err(format!(
                    "{n} deferred is more than the {did_not_give} registered who did not give"
                ));
            }
            Ok(n)
        })?,
    };
    if args.transferred.is_none() && !known.facilities.is_empty() && collected.0 > 0 {
        let count = p.ask(
            "Units transferred to a facility on the day",
            Some(collected.to_string()),
            |s| {
                let n: Count = s.parse()?;
                if n > collected {
                    return Err(format!("{n} is more than the {collected} collected"));
                }
                Ok(n)
            },
        )?;
        if count.0 > 0 {
            let to = p.ask("Transferred to (a facility slug)", known.latest_facility(), |s| {
                known_slug(s, &known.facilities, "facility")
            })?;
            args.transferred = Some(count);
            args.to = Some(to);
        }
    }

    let date = args.date.map(|d| d.resolve(today)).or(existing.map(|d| d.date));
    let mut fields = drive_fields(date, &args.details, existing);
    fields.extend([
        ("registered", grouped(registered.0)),
        ("collected", grouped(collected.0)),
        ("deferred", grouped(deferred.0)),
    ]);
    if let (Some(n), Some(to)) = (&args.transferred, &args.to) {
        fields.push(("transferred", format!("{} to {to}", grouped(n.0))));
    }
    p.summary(&format!("About to log {slug}:"), &fields)?;
    if !p.confirm("Record this?")? {
        return Err(declined());
    }
    args.slug = Some(slug);
    args.registered = Some(registered);
    args.collected = Some(collected);
    args.deferred = Some(deferred);
    Ok(args)
}

/// Why results cannot be logged for this drive, if they cannot.
fn cannot_log(drive: &Drive) -> Option<String> {
    match (drive.status, drive.tally_entry) {
        (DriveStatus::Closed, _) => Some(format!(
            "drive `{0}` is closed; reopen it first with `bloodledger drive reopen {0}`",
            drive.slug
        )),
        (_, Some(entry)) => Some(format!(
            "drive `{}` already has results (entry #{entry}); give another slug",
            drive.slug
        )),
        _ => None,
    }
}

/// `drive plan` with its slug and date, asked for in a terminal when missing.
pub(super) fn plan(ctx: &Context, mut args: DrivePlanArgs) -> Result<DrivePlanArgs> {
    if missing_of_plan(&args).is_empty() || !crate::config::can_prompt() {
        return Ok(args);
    }
    let known = Known::read(ctx)?;
    let p = Prompter::new(ctx.stderr_color);
    let slug = match args.slug.take() {
        Some(slug) => slug,
        None => p.ask("Drive (a new slug, e.g. rj-muongla-2027)", None, |s| {
            let slug: Slug = s.parse()?;
            match known.drive(&slug) {
                Some(d) => Err(format!(
                    "drive `{}` already exists ({}, {}); choose another slug",
                    d.slug,
                    d.status.as_str(),
                    d.date
                )),
                None => Ok(slug),
            }
        })?,
    };
    if args.date.is_none() {
        args.date = Some(DateArg::On(ask_date(&p, "Date of the drive", ctx.today, None)?));
    }
    ask_details(&p, &known, &mut args.details)?;
    let date = args.date.map(|d| d.resolve(ctx.today));
    let mut fields = drive_fields(date, &args.details, None);
    if let Some(target) = args.target {
        fields.push(("target", grouped(target.0)));
    }
    p.summary(&format!("About to plan {slug}:"), &fields)?;
    if !p.confirm("Record this?")? {
        return Err(declined());
    }
    args.slug = Some(slug);
    Ok(args)
}

/// A date, today by default; `latest` refuses days after it.
fn ask_date(p: &Prompter, question: &str, today: NaiveDate, latest: Option<NaiveDate>) -> Result<NaiveDate> {
    p.ask(question, Some(today.to_string()), |s| {
        let date = s.parse::<DateArg>()?.resolve(today);
        match latest {
            Some(latest) if date > latest => Err(format!(
                "{date} is after today ({latest}); results are logged once a drive is held"
            )),
            _ => Ok(date),
        }
    })
}

/// Campaign, province and district of a new drive, those not given. The
/// latest drive's are the defaults; `-` answers "none".
fn ask_details(p: &Prompter, known: &Known, details: &mut DriveDetails) -> Result<()> {
    let latest = known.latest();
    if details.campaign.is_none() && !known.campaigns.is_empty() {
        let default = latest.and_then(|d| d.attrs.campaign.clone());
        details.campaign = p.ask("Campaign (- for none)", default, |s| match s {
            "" | "-" => Ok(None),
            _ => known_slug(s, &known.campaigns, "campaign").map(Some),
        })?;
    }
    if details.province.is_none() {
        let default = latest.and_then(|d| d.attrs.province.clone());
        details.province = p.ask("Province (- for none)", default, optional_label)?;
    }
    if details.district.is_none() {
        details.district = p.ask("District (Enter for none)", None, optional_label)?;
    }
    Ok(())
}

fn optional_label(s: &str) -> Result<Option<Label>, String> {
    match s {
        "" | "-" => Ok(None),
        _ => s.parse().map(Some),
    }
}

/// A slug the ledger knows (matched as `son la` matches `Sơn La`), spelled as
/// the ledger has it.
fn known_slug(s: &str, known: &[String], kind: &str) -> Result<Slug, String> {
    let slug: Slug = s.parse()?;
    match known.iter().find(|k| fold(k) == slug.key()) {
        Some(found) => found.parse(),
        None => Err(format!("no {kind} `{slug}`; known: {}", known.join(", "))),
    }
}

fn drive_fields(
    date: Option<NaiveDate>,
    details: &DriveDetails,
    existing: Option<&Drive>,
) -> Vec<(&'static str, String)> {
    let or_existing =
        |given: &Option<Label>, have: Option<&String>| given.as_ref().map(|l| l.to_string()).or_else(|| have.cloned());
    let attrs = existing.map(|d| &d.attrs);
    [
        ("date", date.map(|d| d.to_string())),
        (
            "campaign",
            details
                .campaign
                .as_ref()
                .map(|c| c.to_string())
                .or_else(|| attrs.and_then(|a| a.campaign.clone())),
        ),
        (
            "province",
            or_existing(&details.province, attrs.and_then(|a| a.province.as_ref())),
        ),
        (
            "district",
            or_existing(&details.district, attrs.and_then(|a| a.district.as_ref())),
        ),
        (
            "venue",
            or_existing(&details.venue, attrs.and_then(|a| a.venue.as_ref())),
        ),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, v)))
    .collect()
}

fn missing_of_collect(args: &UnitCollectArgs) -> Vec<&'static str> {
    [
        ("ID", args.id.is_none()),
        ("--drive", args.drive.is_none()),
        ("--group", args.group.is_none()),
        ("--volume", args.volume.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect()
}

pub(super) fn collect_usage(args: &UnitCollectArgs) -> anyhow::Error {
    UserError::usage(format!("unit collect needs {}", listed(&missing_of_collect(args))))
        .hint("e.g. `bloodledger unit collect SL-0042 --drive rj-muongla-2026 --group O+ --volume 350`; run it in a terminal to be asked")
        .into()
}

/// `unit collect` with its required values, asked for in a terminal when
/// some are missing: the bag's id, the drive (the latest open one by
/// default), the group and the volume (350 ml by default).
pub(super) fn collect(ctx: &Context, mut args: UnitCollectArgs) -> Result<UnitCollectArgs> {
    if missing_of_collect(&args).is_empty() || !crate::config::can_prompt() {
        return Ok(args);
    }
    let known = Known::read(ctx)?;
    let p = Prompter::new(ctx.stderr_color);
    if args.id.is_none() {
        args.id = Some(p.ask("Unit id (from the bag's label)", None, |s| s.parse::<UnitId>())?);
    }
    if args.drive.is_none() {
        // Drives that can take a bag: held or planned for a day gone by, not closed.
        let open: Vec<String> = known
            .drives
            .iter()
            .filter(|d| d.status != DriveStatus::Closed && d.date <= ctx.today)
            .map(|d| d.slug.clone())
            .collect();
        args.drive = Some(p.ask("Drive", open.last().cloned(), |s| known_slug(s, &open, "open drive"))?);
    }
    if args.group.is_none() {
        args.group = Some(p.ask("Blood group (O+, A neg, … or unknown)", None, |s| {
            s.parse::<BloodGroup>()
        })?);
    }
    if args.volume.is_none() {
        args.volume = Some(p.ask("Volume in ml", Some("350".into()), |s| s.parse::<Volume>())?);
    }
    let fields = vec![
        ("unit", args.id.as_ref().map(ToString::to_string).unwrap_or_default()),
        (
            "drive",
            args.drive.as_ref().map(ToString::to_string).unwrap_or_default(),
        ),
        ("group", args.group.map(|g| g.to_string()).unwrap_or_default()),
        (
            "volume",
            args.volume
                .map(|v| format!("{} ml {}", v.0, args.product))
                .unwrap_or_default(),
        ),
        (
            "donor",
            args.donor.as_ref().map_or("anonymous".to_string(), ToString::to_string),
        ),
    ];
    p.summary("About to record the bag:", &fields)?;
    if !p.confirm("Record this?")? {
        return Err(declined());
    }
    Ok(args)
}
