//! Hostile input (issue 6): SQL fragments, control and bidirectional
//! characters, megabyte strings, invalid UTF-8, huge numbers, impossible
//! dates, byte-order marks, CRLF and quoted newlines, across commands.
//! Each case either works, checked by what it must have done, or is
//! refused with exit 1 or 2 and a message, the ledger unchanged; nothing
//! panics.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::common::Ledger;

enum Expect {
    /// Refused with this exit code and a message containing this text.
    Refused(i32, &'static str),
    /// Works; the check says what it must have done.
    Works(fn(&Ledger)),
}

use Expect::{Refused, Works};

/// An argument that is plain text, or `@csv` for the case's CSV file.
struct Case {
    name: &'static str,
    args: Vec<OsString>,
    csv: Option<Vec<u8>>,
    env: Option<(&'static str, &'static str)>,
    expect: Expect,
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn case(name: &'static str, list: &[&str], expect: Expect) -> Case {
    Case {
        name,
        args: args(list),
        csv: None,
        env: None,
        expect,
    }
}

/// `import drives @csv` of these bytes.
fn import(name: &'static str, csv: impl Into<Vec<u8>>, expect: Expect) -> Case {
    Case {
        name,
        args: args(&["import", "drives", "@csv"]),
        csv: Some(csv.into()),
        env: None,
        expect,
    }
}

/// `import units` of one bad line, refused with its line number.
fn units(name: &'static str, line: &str) -> Case {
    Case {
        name,
        args: args(&["import", "units", "@csv"]),
        csv: Some(format!("unit_id,drive,collected_on,blood_group,volume_ml\n{line}").into_bytes()),
        env: None,
        expect: Refused(1, "line 2"),
    }
}

fn log(slug: &str, more: &[&str]) -> Vec<OsString> {
    let mut all = vec![
        "drive",
        "log",
        slug,
        "--date",
        "2025-07-16",
        "--registered",
        "10",
        "--collected",
        "8",
    ];
    all.extend(more);
    args(&all)
}

const HEADER: &str = "slug,name,date,campaign,province,registered,deferred,collected\n";

fn megabyte(c: char) -> String {
    std::iter::repeat_n(c, 1 << 20).collect()
}

fn cases() -> Vec<Case> {
    let big = "x".repeat(100_000); // Linux caps one argument at 128 KiB
    let cases = vec![
        // SQL fragments: refused as names where names have a shape, stored
        // as typed where free text is allowed, and never run.
        case(
            "sql in a slug",
            &["drive", "show", "x'; DROP TABLE entries; --"],
            Refused(2, "slug"),
        ),
        case(
            "sql in a void",
            &["void", "1 OR 1=1", "--reason", "x"],
            Refused(1, "no entry `1 OR 1=1`"),
        ),
        case(
            "sql in a name is text",
            &["campaign", "add", "rj2", "--name", "Robert'); DROP TABLE campaigns;--"],
            Works(|l| {
                let list = l.json(&["campaign", "list"]);
                let names: Vec<_> = list["campaigns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].clone())
                    .collect();
                assert!(names.contains(&"Robert'); DROP TABLE campaigns;--".into()), "{names:?}");
                assert!(names.contains(&"Hành trình Đỏ".into()), "{names:?}");
            }),
        ),
        case(
            "sql in a province filter matches nothing",
            &["totals", "--province", "' OR 1=1 --"],
            Refused(1, "no drive in province `' OR 1=1 --`"),
        ),
        case(
            "a LIKE wildcard is not a wildcard",
            &["totals", "--province", "%"],
            Refused(1, "no drive in province `%`"),
        ),
        case(
            "another LIKE wildcard",
            &["totals", "--district", "_%"],
            Refused(1, "no drive in district `_%`"),
        ),
        case(
            "sql in history --drive",
            &["history", "--drive", "%"],
            Refused(2, "not allowed in a slug"),
        ),
        // Control and bidirectional characters.
        case(
            "bidi override in a name",
            &["campaign", "add", "x", "--name", "evil\u{202E}gpj.exe"],
            Refused(2, "U+202E"),
        ),
        Case {
            args: log("rj-nl", &["--venue", "Nhà văn hoá\nrm -rf /"]),
            ..case("newline in a venue", &[], Refused(2, "U+000A"))
        },
        case(
            "bell in a name",
            &["facility", "add", "f", "--name", "ding\u{7}"],
            Refused(2, "U+0007"),
        ),
        Case {
            args: log("rj-tab", &["--by", "tab\tname"]),
            ..case("tab in --by", &[], Refused(2, "U+0009"))
        },
        case(
            "right-to-left mark in a slug",
            &["drive", "plan", "rj\u{200F}x", "--date", "2026-12-01"],
            Refused(2, "slug"),
        ),
        case(
            "zero-width joiner in a slug",
            &["drive", "plan", "rj\u{200D}x", "--date", "2026-12-01"],
            Refused(2, "slug"),
        ),
        case(
            "escape sequence in a reason",
            &["void", "1", "--reason", "\u{1b}[2Jgone"],
            Refused(2, "U+001B"),
        ),
        import(
            "NUL in a CSV cell",
            format!("{HEADER}rj-nul,na\0me,2021-07-10,,,1,0,1\n"),
            Refused(1, "U+0000"),
        ),
        // Long strings.
        case(
            "100 kB name",
            &["campaign", "add", "x", "--name", &big],
            Refused(2, "at most 200"),
        ),
        case("100 kB slug", &["drive", "show", &big], Refused(2, "at most 64")),
        case(
            "100 kB --by",
            &["campaign", "add", "x", "--name", "X", "--by", &big],
            Refused(2, "at most 200"),
        ),
        import(
            "1 MB name in CSV",
            format!("{HEADER}rj-big,{},2021-07-10,,,1,0,1\n", megabyte('é')),
            Refused(1, "at most 200"),
        ),
        import(
            "1 MB slug in CSV",
            format!("{HEADER}{},,2021-07-10,,,1,0,1\n", megabyte('a')),
            Refused(1, "at most 64"),
        ),
        import(
            "1 MB of commas",
            format!("{HEADER}{}\n", ",".repeat(1 << 20)),
            Refused(1, "fields where the header has 8"),
        ),
        import("1 MB line without a newline", megabyte('z'), Refused(1, "column")),
        // Invalid UTF-8.
        import(
            "invalid UTF-8 in a CSV cell",
            [HEADER.as_bytes(), b"rj-bad,S\xe1n La,2021-07-10,,,1,0,1\n"].concat(),
            Refused(1, "not valid UTF-8"),
        ),
        import(
            "invalid UTF-8 in the header",
            b"slug,d\xffte\nx,y\n".to_vec(),
            Refused(1, "not a column"),
        ),
        import(
            "UTF-16 CSV",
            utf16("slug,date\nrj-u,2021-07-10\n"),
            Refused(1, "line 1"),
        ),
        Case {
            args: vec![
                "campaign".into(),
                "add".into(),
                "x".into(),
                "--name".into(),
                OsString::from_vec(b"S\xe1n".to_vec()),
            ],
            ..case("invalid UTF-8 argument", &[], Refused(2, "UTF-8"))
        },
        // Huge and negative numbers.
        Case {
            args: args(&[
                "drive",
                "log",
                "rj-n",
                "--date",
                "2025-07-16",
                "--registered",
                "18446744073709551616",
                "--collected",
                "1",
            ]),
            ..case("2^64 registered", &[], Refused(2, "too large"))
        },
        Case {
            args: args(&[
                "drive",
                "log",
                "rj-n",
                "--date",
                "2025-07-16",
                "--registered",
                "1000000001",
                "--collected",
                "1",
            ]),
            ..case("a billion and one", &[], Refused(2, "at most 1000000000"))
        },
        Case {
            args: args(&[
                "drive",
                "log",
                "rj-n",
                "--date",
                "2025-07-16",
                "--registered",
                "10",
                "--collected=-1",
            ]),
            ..case("negative collected", &[], Refused(2, "not a count"))
        },
        Case {
            args: log("rj-n", &["--volume-ml", "99999999999999999999"]),
            ..case("huge volume", &[], Refused(2, "too large"))
        },
        Case {
            args: log("rj-n", &["--group", "O+=99999999999"]),
            ..case("huge group count", &[], Refused(2, "too large"))
        },
        case(
            "entry 2^63",
            &["void", "9223372036854775808", "--reason", "x"],
            Refused(1, "no entry `9223372036854775808`"),
        ),
        case("entry 0", &["void", "0", "--reason", "x"], Refused(1, "no entry `0`")),
        case(
            "transfer a billion",
            &[
                "transfer",
                "--drive",
                "rj-sonla-city-2021",
                "--count",
                "1000000000",
                "--to",
                "nihbt",
            ],
            Refused(1, "stock"),
        ),
        import(
            "1 MB of digits in CSV",
            format!("{HEADER}rj-e,,2021-07-10,,,{},0,1\n", megabyte('9')),
            Refused(1, "line 2, column registered"),
        ),
        import(
            "1 MB date in CSV",
            format!("{HEADER}rj-e,,{},,,1,0,1\n", megabyte('2')),
            Refused(1, "line 2, column date"),
        ),
        import(
            "1e9 in CSV",
            format!("{HEADER}rj-e,,2021-07-10,,,1e9,0,1\n"),
            Refused(1, "not a count"),
        ),
        case(
            "weight 1e400",
            &[
                "donor",
                "add",
                "D-9",
                "--name",
                "A",
                "--born",
                "1990-01-01",
                "--sex",
                "F",
                "--weight",
                "1e400",
            ],
            Refused(2, "1e400"),
        ),
        // Dates.
        Case {
            args: args(&["drive", "plan", "rj-d", "--date", "0000-00-00"]),
            ..case("0000-00-00", &[], Refused(2, "0000-00-00"))
        },
        case(
            "29 February 2026",
            &["drive", "plan", "rj-d", "--date", "2026-02-29"],
            Refused(2, "calendar"),
        ),
        case(
            "9999-12-31 results",
            &[
                "drive",
                "log",
                "rj-d",
                "--date",
                "9999-12-31",
                "--registered",
                "1",
                "--collected",
                "1",
            ],
            Refused(1, "after today"),
        ),
        case(
            "full-width digits",
            &["drive", "plan", "rj-d", "--date", "２０２６-12-01"],
            Refused(2, "not a date"),
        ),
        case(
            "year 99999",
            &["totals", "--from", "99999-01-01"],
            Refused(2, "not a date"),
        ),
        Case {
            env: Some(("BLOODLEDGER_TODAY", "0000-00-00")),
            ..case("a bad BLOODLEDGER_TODAY", &["totals"], Refused(1, "BLOODLEDGER_TODAY"))
        },
        import(
            "0000-00-00 in CSV",
            format!("{HEADER}rj-z,,0000-00-00,,,1,0,1\n"),
            Refused(1, "line 2, column date"),
        ),
        // Byte-order marks, CRLF, quoted newlines and commas.
        import(
            "BOM and CRLF",
            "\u{feff}slug,name,date,province,registered,collected\r\nrj-crlf,Sơn La,2021-07-11,Sơn La,10,8\r\n",
            Works(|l| {
                let drive = l.json(&["drive", "show", "rj-crlf"]);
                assert_eq!(
                    (drive["name"].as_str(), drive["units"].as_u64()),
                    (Some("Sơn La"), Some(8))
                );
                assert_eq!(drive["province"], "Sơn La");
            }),
        ),
        import(
            "BOM inside a cell",
            format!("{HEADER}\u{feff}rj-b,,2021-07-10,,,1,0,1\n"),
            Refused(1, "slug"),
        ),
        import(
            "quoted newline in a name",
            format!("{HEADER}rj-q,\"Sơn\nLa\",2021-07-10,,,1,0,1\n"),
            Refused(1, "U+000A"),
        ),
        import(
            "quoted comma and quotes in a name",
            format!("{HEADER}rj-c,\"Sơn La, \"\"Việt Nam\"\"\",2021-07-10,,,1,0,1\n"),
            Works(|l| assert_eq!(l.json(&["drive", "show", "rj-c"])["name"], "Sơn La, \"Việt Nam\"")),
        ),
        import(
            "an unterminated quote",
            format!("{HEADER}rj-u,\"Sơn La,2021-07-10,,,1,0,1\n"),
            Refused(1, "fields where the header has"),
        ),
        import("an empty file", "", Refused(1, "no `slug` column")),
        import(
            "a header only",
            HEADER,
            Works(|l| assert_eq!(l.json(&["totals"])["drives"], 1)),
        ),
        import(
            "the same line twice",
            format!("{HEADER}rj-2,,2021-07-10,,,1,0,1\nrj-2,,2021-07-10,,,1,0,1\n"),
            Works(|l| assert_eq!(l.json(&["totals"])["drives"], 2)),
        ),
        import(
            "the same slug twice, differently",
            format!("{HEADER}rj-2,,2021-07-10,,,1,0,1\nrj-2,,2021-07-10,,,2,0,1\n"),
            Refused(1, "line 3"),
        ),
        import(
            "header in capitals with spaces",
            " SLUG , Date \nrj-h,2021-07-10\n",
            Works(|l| assert_eq!(l.json(&["drive", "show", "rj-h"])["date"], "2021-07-10")),
        ),
        // Itemised units.
        units(
            "bidi in a unit id",
            "SL-\u{202E}1,rj-sonla-city-2021,2021-07-10,O+,350\n",
        ),
        units(
            "sql in a blood group",
            "SL-1,rj-sonla-city-2021,2021-07-10,O+'; DROP TABLE units;--,350\n",
        ),
        units(
            "a huge volume",
            "SL-1,rj-sonla-city-2021,2021-07-10,O+,99999999999999999999\n",
        ),
        units("0000-00-00 collected", "SL-1,rj-sonla-city-2021,0000-00-00,O+,350\n"),
        units(
            "a wrong ISBT check character",
            "G123417654321B,rj-sonla-city-2021,2021-07-10,O+,350\n",
        ),
        units(
            "a 1 MB unit id",
            &format!("{},rj-sonla-city-2021,2021-07-10,O+,350\n", megabyte('7')),
        ),
        // Paths that are not what they should be.
        case(
            "import a directory",
            &["import", "drives", "/tmp"],
            Refused(1, "/tmp is a directory"),
        ),
        case(
            "export over a directory",
            &["export", "drives", "--out", "/tmp"],
            Refused(1, "/tmp"),
        ),
        case("--db a directory", &["--db", "/tmp", "totals"], Refused(1, "/tmp")),
        case("an unknown format", &["totals", "--format", "xml"], Refused(2, "xml")),
    ];
    cases
}

fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

#[test]
fn hostile_input_works_or_is_refused_and_changes_nothing() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let ledger = Ledger::new();
        ledger.with_son_la();
        let csv_path = ledger.dir.path().join("input.csv");
        if let Some(csv) = &case.csv {
            std::fs::write(&csv_path, csv).expect("csv");
        }
        let args: Vec<OsString> = case
            .args
            .iter()
            .map(|a| {
                if a == "@csv" {
                    csv_path.clone().into()
                } else {
                    a.clone()
                }
            })
            .collect();
        let before = ledger.dump();
        let mut cmd = ledger.cmd(&[]);
        cmd.args(&args);
        if let Some((key, value)) = case.env {
            cmd.env(key, value);
        }
        let output = cmd.output().expect("run");
        let code = output.status.code();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let mut fail = |what: String| failures.push(format!("{}: {what}", case.name));
        if stderr.contains("panicked") || code.is_none() {
            fail(format!("crashed: {code:?} {stderr}"));
            continue;
        }
        match case.expect {
            Refused(want, text) => {
                if code != Some(want) {
                    fail(format!("exit {code:?}, want {want}: {stderr}"));
                }
                if !stderr.starts_with("error") || !stderr.contains(text) {
                    fail(format!("the message does not say `{text}`: {stderr}"));
                }
                if ledger.dump() != before {
                    fail("changed the ledger".into());
                }
                // A megabyte cell is named, not printed back whole.
                if case.csv.is_some() && stderr.len() > 8 << 10 {
                    fail(format!("a {} byte message", stderr.len()));
                }
            }
            Works(check) => {
                if code != Some(0) {
                    fail(format!("exit {code:?}: {stderr}"));
                } else {
                    check(&ledger);
                    let (code, out, err) = ledger.run(&["check"]);
                    if code != 0 {
                        fail(format!("check: {out}{err}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
