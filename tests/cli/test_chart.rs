//! `totals --by KEY --chart`: bars in block characters, scaled to the width.

use super::test_languages::eight_years_in_son_la;
use crate::common::Ledger;

fn chart(ledger: &Ledger, args: &[&str], columns: Option<&str>) -> String {
    let mut cmd = ledger.cmd(args);
    match columns {
        Some(c) => cmd.env("COLUMNS", c),
        None => cmd.env_remove("COLUMNS"),
    };
    let output = cmd.output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The bar lines: those between the title and the sentence.
fn bar_lines(chart: &str) -> Vec<&str> {
    let lines: Vec<&str> = chart.lines().collect();
    lines[1..lines.len() - 1].to_vec()
}

#[test]
fn units_by_year_fill_the_given_width() {
    let ledger = eight_years_in_son_la();
    let text = chart(
        &ledger,
        &["totals", "--province", "son la", "--by", "year", "--chart"],
        Some("60"),
    );
    insta::assert_snapshot!(text);
    let bars = bar_lines(&text);
    assert_eq!(bars.len(), 8);
    for line in &bars {
        assert_eq!(line.chars().count(), 60, "{line:?}");
    }
    // 2019 has the most units: its bar is the longest, all full blocks.
    let longest = bars.iter().max_by_key(|l| l.matches('█').count()).unwrap();
    assert!(longest.starts_with("2019 "), "{longest}");
    assert!(text.ends_with("40 544 units over eight years\n"), "{text}");
}

#[test]
fn a_wider_terminal_draws_longer_bars() {
    let ledger = eight_years_in_son_la();
    let args = ["totals", "--province", "son la", "--by", "year", "--chart"];
    let blocks = |text: &str| text.matches('█').count();
    let narrow = chart(&ledger, &args, Some("60"));
    let wide = chart(&ledger, &args, Some("120"));
    assert!(blocks(&wide) > blocks(&narrow) * 2, "{narrow}\n{wide}");
    // Not a terminal and no COLUMNS: 80 columns.
    let default = chart(&ledger, &args, None);
    assert!(bar_lines(&default).iter().all(|l| l.chars().count() == 80), "{default}");
}

#[test]
fn by_province_and_month_with_eighth_blocks_and_empty_months() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    for (slug, date, province, units) in [
        ("a", "2021-07-10", "Sơn La", "838"),
        ("b", "2021-09-04", "Điện Biên", "411"),
        ("c", "2021-09-25", "Sơn La", "97"),
        ("d", "2021-10-02", "Lai Châu", "1"),
    ] {
        ledger.ok(&[
            "drive",
            "log",
            slug,
            "--date",
            date,
            "--province",
            province,
            "--registered",
            units,
            "--collected",
            units,
        ]);
    }
    let by_province = chart(&ledger, &["totals", "--by", "province", "--chart"], Some("50"));
    let by_month = chart(
        &ledger,
        &["totals", "--by", "month", "--chart", "--lang", "vi"],
        Some("50"),
    );
    insta::assert_snapshot!("by_province", by_province);
    insta::assert_snapshot!("by_month_vi", by_month);
    // August has no drive and still has its line; 1 unit still shows a sliver.
    assert!(by_month.contains("2021-08 "), "{by_month}");
    assert!(
        by_province
            .lines()
            .any(|l| l.starts_with("Lai Châu") && l.contains('▏')),
        "{by_province}"
    );
}

#[test]
fn a_chart_needs_a_key_and_a_table() {
    let ledger = eight_years_in_son_la();
    let stderr = ledger.refused(&["totals", "--chart"], 2);
    assert!(stderr.contains("--by"), "{stderr}");
    let stderr = ledger.refused(&["totals", "--by", "year", "--chart", "--format", "csv"], 2);
    assert!(stderr.contains("--chart draws for people"), "{stderr}");
}
