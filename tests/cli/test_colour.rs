//! Colour, sparingly: bold table headers, red `error:`, cyan `hint:`; only on
//! a terminal, never with NO_COLOR, TERM=dumb or --color never; always with
//! --color always.

use super::test_prompts::{command, exit_code};
use crate::common::Ledger;

const ESC: char = '\u{1b}';
const BOLD: &str = "\u{1b}[1m";

/// Everything a command writes to a pseudo-terminal (stdout and stderr),
/// and its exit code.
fn in_terminal(ledger: &Ledger, args: &[&str], env: &[(&str, Option<&str>)]) -> (String, i32) {
    let mut cmd = command(ledger, args);
    cmd.env_remove("NO_COLOR");
    for (key, value) in env {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).expect("pty");
    let text = session.exp_eof().expect("eof");
    let code = exit_code(&mut session);
    // One char per byte, as rexpect reads: back to UTF-8.
    let bytes: Vec<u8> = text.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect();
    (String::from_utf8_lossy(&bytes).into_owned(), code)
}

#[test]
fn a_terminal_gets_bold_headers_and_a_red_error() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let (list, _) = in_terminal(&ledger, &["drive", "list"], &[("TERM", Some("xterm"))]);
    let header = list.lines().nth(1).unwrap_or_default();
    assert!(header.contains(&format!("{BOLD} drive")), "{list:?}");
    // Only the header: the rows stay plain.
    assert!(!list.lines().nth(3).unwrap_or_default().contains(ESC), "{list:?}");
    let (error, code) = in_terminal(&ledger, &["drive", "show", "nope"], &[("TERM", Some("xterm"))]);
    assert_eq!(code, 1);
    assert!(
        error.contains("\u{1b}[1m\u{1b}[31merror:\u{1b}[0m no drive `nope`"),
        "{error:?}"
    );
    assert!(error.contains("\u{1b}[1m\u{1b}[36mhint:\u{1b}[0m"), "{error:?}");
}

#[test]
fn no_color_term_dumb_and_never_turn_it_off_in_a_terminal() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    for (args, env) in [
        (
            &["drive", "list"][..],
            &[("TERM", Some("xterm")), ("NO_COLOR", Some("1"))][..],
        ),
        (&["drive", "list"][..], &[("TERM", Some("dumb"))][..]),
        (
            &["drive", "list", "--color", "never"][..],
            &[("TERM", Some("xterm"))][..],
        ),
        (
            &["drive", "show", "nope", "--color=never"][..],
            &[("TERM", Some("xterm"))][..],
        ),
        (
            &["--color", "never", "drive", "--help"][..],
            &[("TERM", Some("xterm"))][..],
        ),
        (
            &["--color", "never", "drive", "lgo"][..],
            &[("TERM", Some("xterm"))][..],
        ),
    ] {
        let (text, _) = in_terminal(&ledger, args, env);
        assert!(
            !text.contains(ESC),
            "`{}` with {env:?} coloured:\n{text:?}",
            args.join(" ")
        );
    }
}

#[test]
fn no_colour_when_not_a_terminal_unless_always() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let plain = ledger.cmd(&["drive", "list"]).env_remove("NO_COLOR").output().unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains(ESC));
    let refused = ledger
        .cmd(&["drive", "show", "nope"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&refused.stderr).contains(ESC));

    // --color always wins over a pipe and over NO_COLOR (which cmd() sets).
    let list = ledger.ok(&["drive", "list", "--color", "always"]);
    assert!(list.lines().nth(1).unwrap_or_default().contains(BOLD), "{list:?}");
    let refused = ledger
        .cmd(&["drive", "show", "nope", "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&refused.stderr).starts_with("\u{1b}[1m\u{1b}[31merror:"));
    let help = ledger.ok(&["--color", "always", "drive", "--help"]);
    assert!(help.contains(ESC), "clap's help ignored --color always");
}

#[test]
fn machine_output_is_never_coloured() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    for format in ["json", "csv"] {
        let out = ledger.ok(&["drive", "list", "--color", "always", "--format", format]);
        assert!(!out.contains(ESC), "{format}: {out:?}");
    }
}
