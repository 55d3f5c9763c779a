//! Every refusal of the rules, through the binary: the exit code, a
//! message that names the offending value, and a ledger left unchanged.

use crate::common::{CITY, Ledger, TODAY};

/// The Sơn La ledger plus `rj-stock-2022`: 100 collected, 30 transferred,
/// 10 discarded, so 60 in stock.
fn with_stock() -> Ledger {
    let ledger = Ledger::new();
    ledger.with_son_la();
    ledger.ok(&[
        "drive",
        "log",
        "rj-stock-2022",
        "--date",
        "2022-07-01",
        "--registered",
        "120",
        "--collected",
        "100",
        "--transferred",
        "30",
        "--to",
        "nihbt",
    ]);
    ledger.ok(&[
        "discard",
        "--drive",
        "rj-stock-2022",
        "--count",
        "10",
        "--reason",
        "damaged",
        "--date",
        "2022-07-02",
    ]);
    assert_eq!(ledger.json(&["drive", "show", "rj-stock-2022"])["in_stock"], 60);
    ledger
}

/// `drive log new-2022 --date 2022-07-01` followed by `extra`.
fn log_new(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec!["drive", "log", "new-2022", "--date", "2022-07-01"];
    args.extend(extra);
    args
}

fn assert_names(stderr: &str, needles: &[&str]) {
    assert!(stderr.starts_with("error: "), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` missing from: {stderr}");
    }
}

#[test]
fn collected_more_than_registered() {
    let ledger = with_stock();
    let stderr = ledger.refused(&log_new(&["--registered", "838", "--collected", "839"]), 1);
    assert_names(&stderr, &["839 collected", "838 registered", "hint: "]);
}

#[test]
fn deferred_more_than_registered_minus_collected() {
    let ledger = with_stock();
    let args = log_new(&["--registered", "978", "--collected", "838", "--deferred", "141"]);
    let stderr = ledger.refused(&args, 1);
    assert_names(
        &stderr,
        &["141 deferred", "140 registered who did not give", "--deferred"],
    );
    // The boundary itself is fine: everyone who did not give was deferred.
    ledger.ok(&log_new(&[
        "--registered",
        "978",
        "--collected",
        "838",
        "--deferred",
        "140",
    ]));
}

#[test]
fn groups_that_do_not_add_up_to_collected() {
    let ledger = with_stock();
    let args = log_new(&[
        "--registered",
        "10",
        "--collected",
        "8",
        "--group",
        "O+=5",
        "--group",
        "A+=2",
    ]);
    let stderr = ledger.refused(&args, 1);
    assert_names(
        &stderr,
        &["add up to 7", "O+=5", "A+=2", "8 collected", "--group unknown=N"],
    );
    // Too many is as wrong as too few.
    let args = log_new(&["--registered", "10", "--collected", "8", "--group", "O+=9"]);
    assert_names(&ledger.refused(&args, 1), &["add up to 9", "8 collected"]);
    // The same group twice.
    let args = log_new(&[
        "--registered",
        "10",
        "--collected",
        "8",
        "--group",
        "O+=4",
        "--group",
        "o pos=4",
    ]);
    assert_names(&ledger.refused(&args, 1), &["O+", "twice"]);
}

#[test]
fn an_unknown_blood_group() {
    let ledger = with_stock();
    let args = log_new(&["--registered", "10", "--collected", "8", "--group", "C+=8"]);
    assert_names(&ledger.refused(&args, 2), &["C+", "A+ A- B+ B- AB+ AB- O+ O-"]);
    let args = log_new(&["--registered", "10", "--collected", "8", "--group", "O+8"]);
    assert_names(&ledger.refused(&args, 2), &["O+8", "GROUP=N"]);
}

#[test]
fn a_volume_outside_100_to_650_ml_per_unit() {
    let ledger = with_stock();
    let low = log_new(&["--registered", "10", "--collected", "8", "--volume-ml", "799"]);
    assert_names(
        &ledger.refused(&low, 1),
        &["799 ml", "8 units", "99 ml per unit", "100–650"],
    );
    let high = log_new(&["--registered", "10", "--collected", "8", "--volume-ml", "5201"]);
    assert_names(&ledger.refused(&high, 1), &["5201 ml", "650 ml per unit", "100–650"]);
    let none = log_new(&["--registered", "10", "--collected", "0", "--volume-ml", "350"]);
    assert_names(&ledger.refused(&none, 1), &["350 ml", "0 units"]);
    // Both ends of the range are accepted.
    ledger.ok(&[
        "drive",
        "log",
        "low-2022",
        "--date",
        "2022-07-01",
        "--registered",
        "8",
        "--collected",
        "8",
        "--volume-ml",
        "800",
    ]);
    ledger.ok(&[
        "drive",
        "log",
        "high-2022",
        "--date",
        "2022-07-01",
        "--registered",
        "8",
        "--collected",
        "8",
        "--volume-ml",
        "5200",
    ]);
}

#[test]
fn results_for_a_date_after_today() {
    let ledger = with_stock();
    let args = [
        "drive",
        "log",
        "new-2026",
        "--date",
        "2026-11-26",
        "--registered",
        "10",
        "--collected",
        "8",
    ];
    assert_names(&ledger.refused(&args, 1), &["2026-11-26", "after today", "2026-11-25"]);
    // A planned future drive cannot be logged before its day either.
    ledger.ok(&["drive", "plan", "rj-muongla-2027", "--date", "2027-07-16"]);
    let args = [
        "drive",
        "log",
        "rj-muongla-2027",
        "--registered",
        "10",
        "--collected",
        "8",
    ];
    assert_names(&ledger.refused(&args, 1), &["2027-07-16", "after today"]);
    // Today itself is fine.
    ledger.ok(&[
        "drive",
        "log",
        "today-2026",
        "--date",
        "today",
        "--registered",
        "10",
        "--collected",
        "8",
    ]);
    // Movements cannot be dated in the future either.
    let args = [
        "transfer",
        "--drive",
        "rj-stock-2022",
        "--count",
        "1",
        "--to",
        "nihbt",
        "--date",
        "2026-11-26",
    ];
    assert_names(&ledger.refused(&args, 1), &["2026-11-26", "after today"]);
}

#[test]
fn an_impossible_date() {
    let ledger = with_stock();
    for args in [
        log_new(&["--registered", "10", "--collected", "8"])
            .into_iter()
            .map(|a| if a == "2022-07-01" { "2021-02-30" } else { a })
            .collect::<Vec<_>>(),
        vec!["drive", "plan", "feb-2021", "--date", "2021-02-30"],
        vec![
            "transfer",
            "--drive",
            "rj-stock-2022",
            "--count",
            "1",
            "--to",
            "nihbt",
            "--date",
            "2021-02-30",
        ],
        vec!["totals", "--from", "2021-02-30"],
    ] {
        assert_names(&ledger.refused(&args, 2), &["2021-02-30", "not a day in the calendar"]);
    }
    assert_names(
        &ledger.refused(&["drive", "plan", "x", "--date", "16/07/2027"], 2),
        &["16/07/2027", "YYYY-MM-DD"],
    );
}

#[test]
fn negative_or_non_numeric_counts() {
    let ledger = with_stock();
    for (args, value) in [
        // clap reads `-10` as the flags `-1 -0` and names `-1`.
        (log_new(&["--registered", "-10", "--collected", "8"]), "-1"),
        (log_new(&["--registered=-10", "--collected", "8"]), "-10"),
        (log_new(&["--registered", "ten", "--collected", "8"]), "ten"),
        (log_new(&["--registered", "10", "--collected", "1.5"]), "1.5"),
        (
            log_new(&["--registered", "10", "--collected", "8", "--deferred", "-1"]),
            "-1",
        ),
        (
            log_new(&["--registered", "10", "--collected", "8", "--group", "O+=-8"]),
            "-8",
        ),
        (
            vec!["transfer", "--drive", "rj-stock-2022", "--count", "-5", "--to", "nihbt"],
            "-5",
        ),
        (
            vec![
                "discard",
                "--drive",
                "rj-stock-2022",
                "--count",
                "many",
                "--reason",
                "expired",
            ],
            "many",
        ),
    ] {
        assert_names(&ledger.refused(&args, 2), &[value]);
    }
}

#[test]
fn missing_counts_are_a_usage_error_naming_the_options() {
    let ledger = with_stock();
    let stderr = ledger.refused(&log_new(&[]), 2);
    assert_names(&stderr, &["--registered", "--collected"]);
}

#[test]
fn transfer_or_discard_beyond_stock() {
    let ledger = with_stock();
    let args = [
        "transfer",
        "--drive",
        "rj-stock-2022",
        "--count",
        "61",
        "--to",
        "nihbt",
        "--date",
        "2022-07-03",
    ];
    assert_names(
        &ledger.refused(&args, 1),
        &[
            "61 units",
            "rj-stock-2022",
            "60 units in stock",
            "100 collected",
            "30 transferred",
            "10 discarded",
        ],
    );
    let args = [
        "discard",
        "--drive",
        "rj-stock-2022",
        "--count",
        "61",
        "--reason",
        "expired",
    ];
    assert_names(&ledger.refused(&args, 1), &["61 units", "60 units in stock"]);
    // A drive whose units all left has none to give.
    let args = ["transfer", "--drive", CITY, "--count", "1", "--to", "nihbt"];
    assert_names(&ledger.refused(&args, 1), &["1 unit:", "0 units in stock"]);
    // `drive log` cannot transfer more than it collected.
    let args = log_new(&[
        "--registered",
        "10",
        "--collected",
        "8",
        "--transferred",
        "9",
        "--to",
        "nihbt",
    ]);
    assert_names(&ledger.refused(&args, 1), &["9 units", "collected 8"]);
    // Zero units is no movement.
    let args = [
        "discard",
        "--drive",
        "rj-stock-2022",
        "--count",
        "0",
        "--reason",
        "expired",
    ];
    assert_names(&ledger.refused(&args, 1), &["0 units"]);
    // Exactly the stock is fine, and then there is none left.
    ledger.ok(&["transfer", "--drive", "rj-stock-2022", "--count", "59", "--to", "nihbt"]);
    ledger.ok(&[
        "discard",
        "--drive",
        "rj-stock-2022",
        "--count",
        "1",
        "--reason",
        "expired",
    ]);
    let drive = ledger.json(&["drive", "show", "rj-stock-2022"]);
    assert_eq!(drive["in_stock"], 0);
    assert_eq!(
        drive["transfers"][1]["date"], TODAY,
        "a transfer without --date is dated today"
    );
    let args = [
        "discard",
        "--drive",
        "rj-stock-2022",
        "--count",
        "1",
        "--reason",
        "expired",
    ];
    ledger.refused(&args, 1);
}

#[test]
fn a_transfer_dated_before_its_drive() {
    let ledger = with_stock();
    let args = [
        "transfer",
        "--drive",
        "rj-stock-2022",
        "--count",
        "1",
        "--to",
        "nihbt",
        "--date",
        "2022-06-30",
    ];
    assert_names(&ledger.refused(&args, 1), &["2022-06-30", "before", "2022-07-01"]);
}

#[test]
fn transfer_to_an_unknown_facility_suggests_the_nearest() {
    let ledger = with_stock();
    let args = ["transfer", "--drive", "rj-stock-2022", "--count", "1", "--to", "nihtb"];
    assert_names(
        &ledger.refused(&args, 1),
        &["no facility `nihtb`", "did you mean `nihbt`?", "facility add nihtb"],
    );
    let args = log_new(&[
        "--registered",
        "10",
        "--collected",
        "8",
        "--transferred",
        "8",
        "--to",
        "nihtb",
    ]);
    assert_names(
        &ledger.refused(&args, 1),
        &["no facility `nihtb`", "did you mean `nihbt`?"],
    );
    // Even a transfer of none names a facility that must exist.
    let args = log_new(&[
        "--registered",
        "10",
        "--collected",
        "8",
        "--transferred",
        "0",
        "--to",
        "nihtb",
    ]);
    assert_names(&ledger.refused(&args, 1), &["no facility `nihtb`"]);
    // No suggestion when nothing is close.
    let args = [
        "transfer",
        "--drive",
        "rj-stock-2022",
        "--count",
        "1",
        "--to",
        "cho-ray",
    ];
    let stderr = ledger.refused(&args, 1);
    assert!(!stderr.contains("did you mean"), "{stderr}");
}

#[test]
fn a_closed_drive_takes_no_records_until_reopened() {
    let ledger = with_stock();
    ledger.ok(&["drive", "plan", "rj-planned-2022", "--date", "2022-08-01"]);
    ledger.ok(&["drive", "close", "rj-stock-2022"]);
    ledger.ok(&["drive", "close", "rj-planned-2022"]);
    assert_eq!(ledger.json(&["drive", "show", "rj-stock-2022"])["status"], "closed");
    for args in [
        vec!["transfer", "--drive", "rj-stock-2022", "--count", "1", "--to", "nihbt"],
        vec![
            "discard",
            "--drive",
            "rj-stock-2022",
            "--count",
            "1",
            "--reason",
            "expired",
        ],
        vec![
            "drive",
            "log",
            "rj-planned-2022",
            "--registered",
            "10",
            "--collected",
            "8",
        ],
    ] {
        let slug = if args.contains(&"rj-planned-2022") {
            "rj-planned-2022"
        } else {
            "rj-stock-2022"
        };
        let stderr = ledger.refused(&args, 1);
        assert_names(
            &stderr,
            &[&format!("drive `{slug}` is closed"), &format!("drive reopen {slug}")],
        );
    }
    assert_names(
        &ledger.refused(&["drive", "close", "rj-stock-2022"], 1),
        &["already closed"],
    );
    ledger.ok(&["drive", "reopen", "rj-stock-2022"]);
    assert_names(
        &ledger.refused(&["drive", "reopen", "rj-stock-2022"], 1),
        &["not closed"],
    );
    assert_eq!(ledger.json(&["drive", "show", "rj-stock-2022"])["status"], "held");
    ledger.ok(&["transfer", "--drive", "rj-stock-2022", "--count", "1", "--to", "nihbt"]);
}

#[test]
fn planning_a_slug_that_exists() {
    let ledger = with_stock();
    ledger.ok(&["drive", "plan", "rj-muongla-2027", "--date", "2027-07-16"]);
    for typed in [CITY, "RJ-SONLA-CITY-2021", "rj-muongla-2027"] {
        let args = ["drive", "plan", typed, "--date", "2027-08-01"];
        let existing = if typed == "rj-muongla-2027" {
            "rj-muongla-2027"
        } else {
            CITY
        };
        assert_names(
            &ledger.refused(&args, 1),
            &[&format!("drive `{existing}` already exists")],
        );
    }
    let args = ["campaign", "add", "Red-Journey", "--name", "again"];
    assert_names(&ledger.refused(&args, 1), &["campaign `red-journey` already exists"]);
    let args = ["facility", "add", "NIHBT", "--name", "again"];
    assert_names(&ledger.refused(&args, 1), &["facility `nihbt` already exists"]);
}

#[test]
fn logging_an_unknown_slug_without_a_date_suggests_the_nearest() {
    let ledger = with_stock();
    let args = [
        "drive",
        "log",
        "rj-sonla-cty-2021",
        "--registered",
        "10",
        "--collected",
        "8",
    ];
    assert_names(
        &ledger.refused(&args, 1),
        &[
            "no drive `rj-sonla-cty-2021`",
            "--date",
            "did you mean `rj-sonla-city-2021`?",
        ],
    );
    // Other commands suggest the nearest slug too.
    let args = ["drive", "show", "rj-stok-2022"];
    assert_names(
        &ledger.refused(&args, 1),
        &["no drive `rj-stok-2022`", "did you mean `rj-stock-2022`?"],
    );
    let args = ["transfer", "--drive", "rj-stok-2022", "--count", "1", "--to", "nihbt"];
    assert_names(&ledger.refused(&args, 1), &["did you mean `rj-stock-2022`?"]);
}

#[test]
fn a_second_log_points_at_void() {
    let ledger = with_stock();
    let number = ledger
        .history()
        .iter()
        .find(|e| e["action"] == "drive log" && e["drive"] == CITY)
        .and_then(|e| e["number"].as_i64())
        .expect("the city log");
    let args = ["drive", "log", CITY, "--registered", "978", "--collected", "883"];
    assert_names(
        &ledger.refused(&args, 1),
        &[
            &format!("already has results (entry #{number})"),
            &format!("bloodledger void {number}"),
        ],
    );
}

#[test]
fn an_unknown_campaign_on_a_drive() {
    let ledger = with_stock();
    let args = log_new(&["--registered", "10", "--collected", "8", "--campaign", "red-jouney"]);
    assert_names(
        &ledger.refused(&args, 1),
        &["no campaign `red-jouney`", "did you mean `red-journey`?"],
    );
}

#[test]
fn refusals_on_a_new_ledger_leave_no_file() {
    let ledger = Ledger::new();
    ledger.refused(&log_new(&["--registered", "10", "--collected", "11"]), 1);
    ledger.refused(&log_new(&["--registered", "x"]), 2);
    assert!(!ledger.path().exists());
}
