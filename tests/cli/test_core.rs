//! The ledger core, end to end: the README's walk-through and its rules.

use crate::common::Ledger;

#[test]
fn son_la_city_drive_shows_its_figures_and_facility() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let drive = ledger.json(&["drive", "show", "rj-sonla-city-2021"]);
    assert_eq!(drive["schema_version"], 1);
    assert_eq!(drive["registered"], 978);
    assert_eq!(drive["units"], 838);
    assert_eq!(drive["transferred"], 838);
    assert_eq!(drive["in_stock"], 0);
    assert_eq!(drive["status"], "held");
    assert_eq!(drive["transfers"][0]["facility"], "nihbt");
    assert_eq!(drive["transfers"][0]["units"], 838);
}

#[test]
fn collected_more_than_registered_is_refused_and_changes_nothing() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let stderr = ledger.refused(
        &[
            "drive",
            "log",
            "x-2022",
            "--date",
            "2022-07-01",
            "--registered",
            "10",
            "--collected",
            "11",
        ],
        1,
    );
    assert!(stderr.contains("11 collected is more than 10 registered"), "{stderr}");
}
