//! The totals sentence in each language, end to end: a Red Journey drive set
//! in Sơn La that collected 40 544 units over eight years.

use crate::common::Ledger;

/// Nine drives in eight years (two in 2021), 40 544 units in all.
pub(crate) fn eight_years_in_son_la() -> Ledger {
    let ledger = Ledger::new();
    ledger.with_son_la(); // rj-sonla-city-2021: 838 units
    for (slug, date, units) in [
        ("rj-sonla-2014", "2014-07-12", "4210"),
        ("rj-sonla-2015", "2015-07-11", "4630"),
        ("rj-sonla-2016", "2016-07-09", "4985"),
        ("rj-sonla-2017", "2017-07-15", "5120"),
        ("rj-sonla-2018", "2018-07-14", "5404"),
        ("rj-sonla-2019", "2019-07-13", "5867"),
        ("rj-sonla-2020", "2020-07-11", "4590"),
        ("rj-moc-chau-2021", "2021-07-17", "4900"),
    ] {
        let registered = (units.parse::<u64>().unwrap() * 6 / 5).to_string();
        ledger.ok(&[
            "drive",
            "log",
            slug,
            "--date",
            date,
            "--campaign",
            "red-journey",
            "--province",
            "Sơn La",
            "--registered",
            &registered,
            "--collected",
            units,
        ]);
    }
    // Elsewhere: must not count in Sơn La's totals.
    ledger.ok(&[
        "drive",
        "log",
        "rj-dienbien-2021",
        "--date",
        "2021-07-20",
        "--campaign",
        "red-journey",
        "--province",
        "Điện Biên",
        "--registered",
        "700",
        "--collected",
        "600",
    ]);
    ledger
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or_default()
}

const SON_LA: [&str; 5] = ["totals", "--campaign", "red-journey", "--province", "son la"];

#[test]
fn the_sentence_in_english_vietnamese_and_norwegian() {
    let ledger = eight_years_in_son_la();
    for (lang, sentence) in [
        ("en", "40 544 units over eight years"),
        ("vi", "40.544 đơn vị máu qua tám năm"),
        ("nb", "40 544 enheter blod over åtte år"),
    ] {
        let mut args = SON_LA.to_vec();
        args.extend(["--lang", lang]);
        assert_eq!(last_line(&ledger.ok(&args)), sentence);
        let json = ledger.json(&args);
        assert_eq!(json["summary"], sentence);
        assert_eq!(json["units"], 40544);
        assert_eq!(json["years"], 8);
    }
}

#[test]
fn the_language_comes_from_the_locale_when_not_given() {
    let ledger = eight_years_in_son_la();
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = SON_LA.to_vec();
        args.extend(extra);
        let mut cmd = ledger.cmd(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.output().expect("run");
        assert!(output.status.success());
        last_line(&String::from_utf8_lossy(&output.stdout)).to_string()
    };
    assert_eq!(run(&[("LANG", "vi_VN.UTF-8")], &[]), "40.544 đơn vị máu qua tám năm");
    assert_eq!(run(&[("LANG", "nb_NO.UTF-8")], &[]), "40 544 enheter blod over åtte år");
    // LC_ALL outranks LANG, as it does for every program.
    assert_eq!(
        run(&[("LANG", "en_GB.UTF-8"), ("LC_ALL", "vi_VN.UTF-8")], &[]),
        "40.544 đơn vị máu qua tám năm"
    );
    // --lang outranks the locale.
    assert_eq!(
        run(&[("LANG", "vi_VN.UTF-8")], &["--lang", "en"]),
        "40 544 units over eight years"
    );
    assert_eq!(run(&[("LANG", "fr_FR.UTF-8")], &[]), "40 544 units over eight years");
}

#[test]
fn tables_group_thousands_as_the_language_does() {
    let ledger = eight_years_in_son_la();
    let mut en = SON_LA.to_vec();
    en.extend(["--by", "year", "--lang", "en"]);
    let mut vi = SON_LA.to_vec();
    vi.extend(["--by", "year", "--lang", "vi"]);
    insta::assert_snapshot!("totals_by_year_en", ledger.ok(&en));
    insta::assert_snapshot!("totals_by_year_vi", ledger.ok(&vi));
}

#[test]
fn an_unknown_language_is_a_usage_error() {
    let ledger = eight_years_in_son_la();
    let stderr = ledger.refused(&["totals", "--lang", "fr"], 2);
    assert!(stderr.contains("[possible values: en, vi, nb]"), "{stderr}");
}
