//! `totals`: every `--by` adds up to the whole, and names match as people
//! type them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{Ledger, RED_JOURNEY};

const FIGURES: [&str; 8] = [
    "drives",
    "registered",
    "deferred",
    "units",
    "volume_ml",
    "transferred",
    "discarded",
    "in_stock",
];

/// The Red Journey ledger plus a drive in Điện Biên without a campaign, and
/// one in Sơn La typed without diacritics.
fn ledger() -> Ledger {
    let ledger = Ledger::new();
    ledger.with_red_journey().with_muong_la_plan();
    ledger.ok(&[
        "drive",
        "log",
        "db-2022",
        "--date",
        "2022-03-05",
        "--province",
        "Điện Biên",
        "--district",
        "Điện Biên Phủ",
        "--registered",
        "400",
        "--collected",
        "350",
        "--deferred",
        "50",
        "--volume-ml",
        "122500",
        "--group",
        "O+=200",
        "--group",
        "B-=150",
        "--transferred",
        "300",
        "--to",
        "bv-sonla",
    ]);
    ledger.ok(&[
        "drive",
        "log",
        "extra-2025",
        "--date",
        "2025-03-01",
        "--campaign",
        "RED-JOURNEY",
        "--province",
        "SON LA",
        "--district",
        "muong la",
        "--registered",
        "50",
        "--collected",
        "40",
    ]);
    ledger
}

fn u(value: &Value) -> u64 {
    value.as_u64().unwrap_or_else(|| panic!("not a count: {value}"))
}

fn rows(doc: &Value) -> &Vec<Value> {
    doc["rows"].as_array().unwrap_or_else(|| panic!("no rows: {doc}"))
}

#[test]
fn every_by_key_adds_up_to_the_overall_figures() {
    let ledger = ledger();
    let whole = ledger.json(&["totals"]);
    assert_eq!(u(&whole["drives"]), 10);
    assert_eq!(u(&whole["units"]), 40_544 + 350 + 40);
    for by in ["year", "month", "drive", "campaign", "province", "district"] {
        let doc = ledger.json(&["totals", "--by", by]);
        assert_eq!(doc["by"], by);
        for figure in FIGURES {
            assert_eq!(doc[figure], whole[figure], "--by {by}: the overall {figure} changed");
            let sum: u64 = rows(&doc).iter().map(|r| u(&r[figure])).sum();
            assert_eq!(sum, u(&whole[figure]), "--by {by}: rows' {figure}");
        }
        let mut groups: BTreeMap<String, u64> = BTreeMap::new();
        for row in rows(&doc) {
            for (group, units) in row["by_group"].as_object().expect("by_group") {
                *groups.entry(group.clone()).or_default() += u(units);
            }
        }
        let overall: BTreeMap<String, u64> = whole["by_group"]
            .as_object()
            .expect("by_group")
            .iter()
            .map(|(g, n)| (g.clone(), u(n)))
            .collect();
        assert_eq!(groups, overall, "--by {by}: rows' by_group");
        // Years are the calendar years with collections, per row too.
        let years: u64 = rows(&doc).iter().map(|r| u(&r["years"])).sum();
        assert!(years >= u(&whole["years"]), "--by {by}");
    }
    let keys = |by: &str| -> Vec<String> {
        rows(&ledger.json(&["totals", "--by", by]))
            .iter()
            .map(|r| r["key"].as_str().expect("key").to_string())
            .collect()
    };
    assert_eq!(
        keys("year"),
        ["2017", "2018", "2019", "2020", "2021", "2022", "2023", "2024", "2025"]
    );
    assert_eq!(keys("drive").len(), 10);
    assert!(
        !keys("drive").contains(&"rj-muongla-2027".to_string()),
        "planned drives count in no totals"
    );
    assert_eq!(keys("campaign"), ["red-journey", "(none)"]);
    assert_eq!(
        keys("province"),
        ["Điện Biên", "Sơn La"],
        "grouped by folded name, printed as typed"
    );
    assert!(keys("district").contains(&"Mường La".to_string()));
    assert!(!keys("district").contains(&"muong la".to_string()));
    let months = ledger.json(&["totals", "--by", "month"]);
    let july_2024 = rows(&months).iter().find(|r| r["key"] == "2024-07").expect("2024-07");
    assert_eq!(u(&july_2024["units"]), 6672);
}

#[test]
fn by_group_uses_the_breakdowns_and_calls_the_rest_unknown() {
    let ledger = ledger();
    let whole = ledger.json(&["totals"]);
    let doc = ledger.json(&["totals", "--by", "group"]);
    let by_key: BTreeMap<&str, &Value> = rows(&doc)
        .iter()
        .map(|r| (r["key"].as_str().expect("key"), r))
        .collect();
    assert_eq!(
        rows(&doc).iter().map(|r| u(&r["units"])).sum::<u64>(),
        u(&whole["units"])
    );
    assert_eq!(u(&by_key["O+"]["units"]), 3000 + 200);
    assert_eq!(u(&by_key["B-"]["units"]), 150);
    assert_eq!(u(&by_key["AB+"]["units"]), 372);
    let unknown: u64 = RED_JOURNEY
        .iter()
        .filter(|d| d.0 != "rj-sonla-2024")
        .map(|d| d.4)
        .sum::<u64>()
        + 40;
    assert_eq!(u(&by_key["unknown"]["units"]), unknown);
    assert_eq!(u(&by_key["O+"]["drives"]), 2);
    assert_eq!(u(&by_key["unknown"]["drives"]), 8);
    for (group, row) in &by_key {
        assert_eq!(row["units"], whole["by_group"][*group], "{group}");
        // Figures that cannot be attributed to a group are not guessed.
        assert!(row["registered"].is_null() && row["transferred"].is_null(), "{row}");
    }
}

#[test]
fn by_facility_splits_the_transfers() {
    let ledger = ledger();
    let whole = ledger.json(&["totals"]);
    let doc = ledger.json(&["totals", "--by", "facility"]);
    let sum: u64 = rows(&doc).iter().map(|r| u(&r["transferred"])).sum();
    assert_eq!(sum, u(&whole["transferred"]));
    let bv = rows(&doc).iter().find(|r| r["key"] == "bv-sonla").expect("bv-sonla");
    assert_eq!(u(&bv["transferred"]), 600 + 300);
    assert_eq!(u(&bv["drives"]), 2);
    let nihbt = rows(&doc).iter().find(|r| r["key"] == "nihbt").expect("nihbt");
    assert_eq!(u(&nihbt["drives"]), 8);
}

#[test]
fn by_year_as_csv_is_one_tidy_row_per_year() {
    let ledger = ledger();
    let csv = ledger.ok(&["totals", "--by", "year", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(&headers[0], "year");
    assert!(headers.iter().any(|h| h == "units"), "{csv}");
    let units = headers.iter().position(|h| h == "units").expect("units");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    assert_eq!(records.len(), 9);
    let sum: u64 = records.iter().map(|r| r[units].parse::<u64>().expect("integer")).sum();
    assert_eq!(sum, 40_544 + 350 + 40);
}

#[test]
fn places_and_slugs_match_without_case_or_diacritics() {
    let ledger = ledger();
    let sonla_units = 40_544 + 40;
    for typed in ["son la", "Sơn La", "SON LA", "son-la"] {
        let doc = ledger.json(&["totals", "--province", typed]);
        assert_eq!(u(&doc["units"]), sonla_units, "{typed}");
    }
    for typed in ["muong la", "MƯỜNG LA", "Muong La"] {
        let doc = ledger.json(&["totals", "--district", typed]);
        assert_eq!(u(&doc["units"]), 6672 + 40, "{typed}");
        assert_eq!(u(&doc["drives"]), 2, "{typed}");
    }
    let doc = ledger.json(&["totals", "--province", "dien bien"]);
    assert_eq!(u(&doc["units"]), 350);
    let doc = ledger.json(&["totals", "--campaign", "Red-Journey"]);
    assert_eq!(u(&doc["units"]), sonla_units);
    assert_eq!(
        ledger.json(&["drive", "list", "--province", "son la"])["drives"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );

    // Slugs: found in any case, printed as typed when the drive was made.
    let drive = ledger.json(&["drive", "show", "RJ-SONLA-2024"]);
    assert_eq!(drive["slug"], "rj-sonla-2024");
    ledger.ok(&["drive", "plan", "Sơn-La-Hè-2027", "--date", "2027-06-01"]);
    let drive = ledger.json(&["drive", "show", "son-la-he-2027"]);
    assert_eq!(drive["slug"], "Sơn-La-Hè-2027");
    assert!(ledger.ok(&["drive", "list"]).contains("Sơn-La-Hè-2027"));
    // Stored as typed: the drive typed "SON LA" keeps its spelling.
    assert_eq!(ledger.json(&["drive", "show", "extra-2025"])["province"], "SON LA");
    assert_eq!(ledger.json(&["drive", "show", "extra-2025"])["campaign"], "red-journey");
}

#[test]
fn dates_select_drives() {
    let ledger = ledger();
    let doc = ledger.json(&["totals", "--from", "2019-01-01", "--to", "2020-12-31"]);
    assert_eq!(u(&doc["drives"]), 2);
    assert_eq!(u(&doc["units"]), 5478 + 4890);
    assert_eq!(doc["first_year"], 2019);
    assert_eq!(doc["last_year"], 2020);
    let none = ledger.json(&["totals", "--from", "2030-01-01"]);
    assert_eq!(u(&none["units"]), 0);
    assert_eq!(none["summary"], "0 units");
    let stderr = ledger.refused(&["totals", "--from", "2021-01-01", "--to", "2020-01-01"], 1);
    assert!(
        stderr.contains("--from 2021-01-01 is after --to 2020-01-01"),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_filter_is_refused_with_a_suggestion() {
    let ledger = ledger();
    let stderr = ledger.refused(&["totals", "--campaign", "red-jorney"], 1);
    assert!(
        stderr.contains("no campaign `red-jorney`") && stderr.contains("did you mean `red-journey`?"),
        "{stderr}"
    );
    let stderr = ledger.refused(&["totals", "--province", "son lo"], 1);
    assert!(
        stderr.contains("`son lo`") && stderr.contains("did you mean"),
        "{stderr}"
    );
    let stderr = ledger.refused(&["totals", "--district", "muong lat"], 1);
    assert!(
        stderr.contains("`muong lat`") && stderr.contains("did you mean"),
        "{stderr}"
    );
    let stderr = ledger.refused(&["drive", "list", "--province", "ha noi"], 1);
    assert!(stderr.contains("`ha noi`"), "{stderr}");
    ledger.refused(&["totals", "--by", "week"], 2);
}

#[test]
fn the_sentence_counts_years_with_collections() {
    let ledger = Ledger::new();
    ledger.ok(&[
        "drive",
        "log",
        "one-2021",
        "--date",
        "2021-07-10",
        "--registered",
        "1",
        "--collected",
        "1",
    ]);
    assert!(ledger.ok(&["totals"]).ends_with("\n1 unit over one year\n"));
    // A year with a drive that collected nothing is not a year of collections.
    ledger.ok(&[
        "drive",
        "log",
        "none-2022",
        "--date",
        "2022-07-10",
        "--registered",
        "5",
        "--collected",
        "0",
    ]);
    let doc = ledger.json(&["totals"]);
    assert_eq!((u(&doc["years"]), u(&doc["drives"])), (1, 2));
    ledger.ok(&[
        "drive",
        "log",
        "two-2023",
        "--date",
        "2023-07-10",
        "--registered",
        "1000",
        "--collected",
        "999",
    ]);
    assert_eq!(ledger.json(&["totals"])["summary"], "1 000 units over two years");
    assert_eq!(
        ledger.json(&["totals", "--lang", "vi"])["summary"],
        "1.000 đơn vị máu qua hai năm"
    );
}

#[test]
fn a_drive_closed_without_results_counts_in_no_totals() {
    let ledger = Ledger::new();
    ledger.ok(&[
        "drive",
        "log",
        "one-2021",
        "--date",
        "2021-07-10",
        "--registered",
        "1",
        "--collected",
        "1",
    ]);
    ledger.ok(&["drive", "plan", "cancelled-2022", "--date", "2022-07-10"]);
    ledger.ok(&["drive", "close", "cancelled-2022"]);
    let doc = ledger.json(&["totals"]);
    assert_eq!(u(&doc["drives"]), 1, "{doc}");
    let by_year = ledger.json(&["totals", "--by", "year"]);
    assert_eq!(rows(&by_year).len(), 1, "{by_year}");
}
