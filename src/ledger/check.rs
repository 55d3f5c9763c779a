//! The ledger's invariants, as `check` reports them.

use super::drive::Drive;
use super::rules::Rules;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub drive: String,
    pub message: String,
}

/// Every way a drive's figures can disagree with the rules. Commands refuse
/// to write such a state, so a problem here means the ledger was changed
/// behind bloodledger's back or by an older version.
pub fn drive_problems(drive: &Drive, rules: &Rules) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut report = |message: String| {
        problems.push(Problem {
            drive: drive.slug.clone(),
            message,
        })
    };
    if let Some(t) = &drive.tally {
        if t.collected > t.registered {
            report(format!(
                "{} units collected but only {} registered",
                t.collected, t.registered
            ));
        } else if t.deferred > t.registered - t.collected {
            report(format!(
                "{} deferred but only {} registered did not give",
                t.deferred,
                t.registered - t.collected
            ));
        }
        let listed: u64 = t.by_group.values().sum();
        if !t.by_group.is_empty() && listed != t.collected {
            report(format!(
                "blood groups add up to {listed}, not the {} collected",
                t.collected
            ));
        }
        if let Some(volume) = t.volume_ml {
            let range = &rules.tally_ml_per_unit;
            if t.collected > 0 && !(range.start() * t.collected..=range.end() * t.collected).contains(&volume) {
                report(format!(
                    "{volume} ml for {} units is outside {}–{} ml per unit",
                    t.collected,
                    range.start(),
                    range.end()
                ));
            }
        }
    }
    let items = &drive.items;
    if items.units > items.donated {
        report(format!(
            "{} itemised units but only {} donations registered",
            items.units, items.donated
        ));
    }
    if drive.stock() < 0 {
        report(format!(
            "{} transferred + {} discarded is more than the {} units collected (stock {})",
            drive.transferred(),
            drive.discarded(),
            drive.units(),
            drive.stock()
        ));
    }
    for transfer in &drive.transfers {
        if transfer.date < drive.date {
            report(format!(
                "transfer of {} units to {} dated {}, before the drive on {} (entry #{})",
                transfer.units, transfer.facility, transfer.date, drive.date, transfer.entry
            ));
        }
    }
    problems
}

/// Where a drive has both a tally and itemised records of a kind, every
/// figure on which they disagree. The tally acts like a balance assertion:
/// `check` reports these, but they do not stop a write (a coordinator enters
/// units one by one towards the tally).
pub fn tally_differences(drive: &Drive) -> Vec<Problem> {
    let Some(tally) = &drive.tally else { return Vec::new() };
    let items = &drive.items;
    let mut differences = Vec::new();
    let mut compare = |what: &str, itemised: u64, tallied: u64| {
        if itemised != tallied {
            differences.push(Problem {
                drive: drive.slug.clone(),
                message: format!("itemised records give {itemised} {what}, the tally {tallied}"),
            });
        }
    };
    if drive.has_itemised_registrations() {
        compare("registered", items.registered, tally.registered);
        compare("deferred", items.deferred, tally.deferred);
    }
    if drive.has_itemised_units() {
        compare("units", items.units, tally.collected);
        if let Some(volume) = tally.volume_ml {
            compare("ml", items.volume_ml, volume);
        }
        if !tally.by_group.is_empty() {
            let groups: std::collections::BTreeSet<_> = tally.by_group.keys().chain(items.by_group.keys()).collect();
            for group in groups {
                compare(
                    &format!("units of {group}"),
                    items.by_group.get(group).copied().unwrap_or(0),
                    tally.by_group.get(group).copied().unwrap_or(0),
                );
            }
        }
    }
    differences
}
