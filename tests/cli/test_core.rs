//! The ledger core, end to end: the README's walk-through and its rules.

use crate::common::{CITY, Ledger, RED_JOURNEY, RJ_2024_DISCARDED, RJ_2024_IN_STOCK, RJ_2024_VOLUME_ML};

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

/// The units of the eight drives, as the news report has them.
const RJ_UNITS: u64 = 40_544;

#[test]
fn the_eight_red_journey_years_add_up_to_40_544() {
    assert_eq!(RED_JOURNEY.iter().map(|d| d.4).sum::<u64>(), RJ_UNITS);
    let ledger = Ledger::new();
    ledger.with_red_journey();
    let table = ledger.ok(&["totals", "--campaign", "red-journey", "--province", "son la"]);
    assert!(table.contains("│ total │"), "{table}");
    assert!(table.contains("40 544"), "{table}");
    assert_eq!(table.lines().last(), Some("40 544 units over eight years"), "{table}");

    let json = ledger.json(&["totals", "--campaign", "red-journey", "--province", "son la"]);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["units"], 40544);
    assert!(json["units"].is_u64(), "counts are integers: {json}");
    assert_eq!(json["years"], 8);
    assert_eq!(json["first_year"], 2017);
    assert_eq!(json["last_year"], 2024);
    assert_eq!(json["drives"], 8);
    assert_eq!(json["registered"], RED_JOURNEY.iter().map(|d| d.3).sum::<u64>());
    assert_eq!(json["deferred"], RED_JOURNEY.iter().map(|d| d.5).sum::<u64>());
    assert_eq!(json["transferred"], RJ_UNITS - RJ_2024_DISCARDED - RJ_2024_IN_STOCK);
    assert_eq!(json["discarded"], RJ_2024_DISCARDED);
    assert_eq!(json["in_stock"], RJ_2024_IN_STOCK);
    assert_eq!(json["volume_ml"], RJ_2024_VOLUME_ML);
    assert_eq!(json["summary"], "40 544 units over eight years");
    let groups: u64 = json["by_group"]
        .as_object()
        .expect("by_group")
        .values()
        .map(|v| v.as_u64().expect("int"))
        .sum();
    assert_eq!(groups, RJ_UNITS);
    assert_eq!(json["by_group"]["unknown"], RJ_UNITS - 6672);

    let csv = ledger.ok(&[
        "totals",
        "--campaign",
        "red-journey",
        "--province",
        "son la",
        "--format",
        "csv",
    ]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    let field = |name: &str| {
        let i = headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} in {csv}"));
        rows[0][i].to_string()
    };
    assert_eq!(field("units"), "40544");
    assert_eq!(field("years"), "8");
    assert_eq!(field("first_year"), "2017");
    assert_eq!(field("last_year"), "2024");
}

#[test]
fn the_city_drive_shows_978_registered_838_transferred_and_its_facility() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    let table = ledger.ok(&["drive", "show", CITY]);
    for expected in [
        "│ registered  │   978 │",
        "│ units       │   838 │",
        "│ transferred │   838 │",
        "│ in stock    │     0 │",
        "to nihbt (National Institute of Hematology and Blood Transfusion)",
    ] {
        assert!(table.contains(expected), "{expected} missing from\n{table}");
    }
    let drive = ledger.json(&["drive", "show", CITY]);
    for key in [
        "slug",
        "name",
        "date",
        "status",
        "campaign",
        "province",
        "district",
        "registered",
        "deferred",
        "units",
        "volume_ml",
        "transferred",
        "discarded",
        "in_stock",
        "by_group",
        "transfers",
    ] {
        assert!(drive.get(key).is_some(), "drive show --json lacks {key}: {drive}");
    }
    assert_eq!(drive["province"], "Sơn La", "stored as typed");
    assert_eq!(drive["campaign"], "red-journey");
    assert_eq!(drive["transfers"].as_array().map(Vec::len), Some(1));
    assert_eq!(drive["transfers"][0]["date"], "2021-07-10", "dated the drive's day");
}

#[test]
fn a_planned_drive_is_listed_and_counts_in_no_totals_until_logged() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    let before = ledger.json(&["totals"]);
    ledger.with_muong_la_plan();
    let list = ledger.json(&["drive", "list"]);
    let drives = list["drives"].as_array().expect("drives");
    assert_eq!(drives.len(), 9);
    let planned = drives.iter().find(|d| d["slug"] == "rj-muongla-2027").expect("listed");
    assert_eq!(planned["status"], "planned");
    assert_eq!(planned["date"], "2027-07-16");
    assert_eq!(planned["district"], "Mường La");
    let table = ledger.ok(&["drive", "list", "--status", "planned"]);
    assert!(
        table.contains("rj-muongla-2027") && table.contains("planned"),
        "{table}"
    );
    assert!(!table.contains(CITY), "{table}");

    for by in [None, Some("district"), Some("drive"), Some("year")] {
        let mut args = vec!["totals"];
        args.extend(by.map(|b| ["--by", b]).into_iter().flatten());
        let after = ledger.json(&args);
        assert_eq!(after["drives"], before["drives"], "{args:?}");
        assert_eq!(after["units"], before["units"], "{args:?}");
        assert_eq!(after["years"], 8, "{args:?}");
        if let Some(rows) = after["rows"].as_array() {
            assert!(
                !rows.iter().any(|r| r["key"] == "rj-muongla-2027" || r["key"] == "2027"),
                "{after}"
            );
        }
    }
    // `muong la` also finds the 2024 drive, which was held there.
    let district = ledger.json(&["totals", "--district", "muong la"]);
    assert_eq!(district["drives"], 1);
    assert_eq!(district["units"], 6672);

    // Once held (back in 2026, as today is 2026-11-25) and logged, it counts.
    ledger.ok(&[
        "drive",
        "log",
        "rj-muongla-2027",
        "--date",
        "2026-07-16",
        "--registered",
        "310",
        "--collected",
        "265",
    ]);
    let logged = ledger.json(&["totals", "--district", "Mường La"]);
    assert_eq!(logged["drives"], 2);
    assert_eq!(logged["units"], 6672 + 265);
    assert_eq!(ledger.json(&["drive", "show", "rj-muongla-2027"])["status"], "held");
}
