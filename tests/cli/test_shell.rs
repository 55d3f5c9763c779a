//! `completions SHELL` (drive slugs complete from the ledger) and `man`.

use std::process::Command;

use crate::common::Ledger;

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

#[test]
fn every_shell_gets_a_script_dynamic_or_static() {
    let ledger = Ledger::new();
    for shell in SHELLS {
        let dynamic = ledger.ok(&["completions", shell]);
        assert!(
            dynamic.contains("BLOODLEDGER_COMPLETE"),
            "{shell}: not the dynamic script:\n{dynamic}"
        );
        assert!(
            dynamic.contains(env!("CARGO_BIN_EXE_bloodledger")),
            "{shell}: calls the wrong program"
        );
        let fixed = ledger.ok(&["completions", shell, "--static"]);
        assert!(
            !fixed.contains("BLOODLEDGER_COMPLETE"),
            "{shell}: --static calls the binary"
        );
        for word in ["drive", "totals", "registered"] {
            assert!(fixed.contains(word), "{shell} --static lacks {word}");
        }
    }
    let stderr = ledger.refused(&["completions", "tcsh"], 2);
    assert!(
        stderr.contains("possible values: bash, elvish, fish, powershell, zsh"),
        "{stderr}"
    );
    assert_eq!(ledger.dump(), "<no ledger>", "completions wrote a ledger");
}

/// Runs bash as it completes `line` (ending where the cursor is) with the
/// script `bloodledger completions bash` prints, and returns the candidates.
fn bash_completes(ledger: &Ledger, line: &str) -> Vec<String> {
    let script = format!(
        r#"source <("$BIN" completions bash)
COMP_LINE="{line}"
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_POINT=${{#COMP_LINE}}
COMP_TYPE=9
_clap_complete_bloodledger bloodledger "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .env("BIN", env!("CARGO_BIN_EXE_bloodledger"))
        .env("BLOODLEDGER_DB", ledger.path())
        .env_remove("BLOODLEDGER_COMPLETE")
        .output()
        .expect("bash");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_commands_options_and_the_ledgers_slugs() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    ledger.ok(&["drive", "plan", "rj-muongla-2027", "--date", "2027-07-16"]);
    ledger.ok(&["facility", "add", "bvbm", "--name", "Bạch Mai"]);

    assert_eq!(bash_completes(&ledger, "bloodledger dr"), ["drive"]);
    assert!(bash_completes(&ledger, "bloodledger drive l").contains(&"log".to_string()));
    assert!(bash_completes(&ledger, "bloodledger drive log x --reg").contains(&"--registered".to_string()));
    // An empty word offers the options too; the slugs are among them.
    let mut drives: Vec<String> = bash_completes(&ledger, "bloodledger drive show ")
        .into_iter()
        .filter(|c| !c.starts_with('-'))
        .collect();
    drives.sort();
    assert_eq!(drives, ["rj-muongla-2027", "rj-sonla-city-2021"]);
    assert_eq!(
        bash_completes(&ledger, "bloodledger drive show rj-s"),
        ["rj-sonla-city-2021"]
    );
    assert_eq!(
        bash_completes(&ledger, "bloodledger history --drive rj-m"),
        ["rj-muongla-2027"]
    );
    assert_eq!(bash_completes(&ledger, "bloodledger transfer --to b"), ["bvbm"]);
    assert_eq!(
        bash_completes(&ledger, "bloodledger totals --campaign r"),
        ["red-journey"]
    );
    // A ledger that does not exist completes no slugs, and is not created.
    let empty = Ledger::new();
    assert!(bash_completes(&empty, "bloodledger drive show rj").is_empty());
    assert_eq!(empty.dump(), "<no ledger>");
}

#[test]
fn slugs_come_with_their_date_and_place_for_shells_that_show_it() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let output = ledger
        .cmd(&["--", "bloodledger", "drive", "show", ""])
        .env("BLOODLEDGER_COMPLETE", "fish")
        .output()
        .expect("run");
    let candidates = String::from_utf8_lossy(&output.stdout);
    assert!(
        candidates.contains("rj-sonla-city-2021\t2021-07-10 held Thành phố Sơn La, Sơn La"),
        "{candidates:?}"
    );
}

#[test]
fn man_prints_a_roff_page_with_every_command_and_its_examples() {
    let ledger = Ledger::new();
    let page = ledger.ok(&["man"]);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq \\(aq") || page.contains(".TH bloodledger 1"),
        "{page}"
    );
    assert!(page.contains(".TH bloodledger 1"));
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "COMMANDS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
    ] {
        assert!(
            page.contains(&format!(".SH {section}")) || page.contains(&format!(".SH \"{section}\"")),
            "no {section}"
        );
    }
    for command in [
        "drive log",
        "drive plan",
        "totals",
        "completions",
        "man",
        "campaign add",
    ] {
        assert!(
            page.contains(&format!(".SS \"bloodledger {command}\"")),
            "no section for {command}"
        );
    }
    // Required options stand bare, optional ones in brackets; hyphens are
    // escaped so that man shows (and copies) ASCII hyphens.
    assert!(
        page.contains("\\fBbloodledger campaign add\\fR SLUG \\-\\-name NAME [\\-\\-started STARTED]"),
        "{page}"
    );
    // The example's line continuation survives as a backslash.
    assert!(page.contains("\\-\\-campaign red\\-journey \\\\\n"), "{page}");
    assert!(page.contains("BLOODLEDGER_DB"));
}

#[test]
fn a_stray_complete_variable_does_not_hijack_a_command() {
    let ledger = Ledger::new();
    let out = ledger.cmd(&["totals"]).env("COMPLETE", "bash").output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 units"));
}
