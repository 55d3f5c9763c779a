//! Help: every command says what it is for and shows a real example, and
//! `bloodledger` alone gives an overview.

use crate::common::Ledger;

/// The subcommands listed under `Commands:` in a `--help` text.
fn listed_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path, walked from the top-level help: `["drive", "log"]`, …
fn command_paths(ledger: &Ledger) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut pending = vec![Vec::<String>::new()];
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        for name in listed_commands(&ledger.ok(&args)) {
            let mut sub = path.clone();
            sub.push(name);
            pending.push(sub.clone());
            paths.push(sub);
        }
    }
    paths.sort();
    paths
}

/// The example command lines of a help text, continuation lines joined.
fn examples(help: &str) -> Vec<String> {
    let mut examples: Vec<String> = Vec::new();
    let mut continued = false;
    for line in help
        .lines()
        .skip_while(|l| *l != "Example:" && *l != "Examples:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
    {
        let text = line.trim();
        match examples.last_mut() {
            Some(last) if continued => {
                last.push(' ');
                last.push_str(text);
            }
            _ => examples.push(text.to_string()),
        }
        continued = text.ends_with('\\');
        if let Some(last) = examples.last_mut() {
            *last = last.trim_end_matches('\\').trim_end().to_string();
        }
    }
    examples
}

/// Splits a shell line into words (double and single quotes), up to the
/// first `|`, `&&`, `>` or `#`: enough for our examples.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '|' | '&' | '>' | '#') => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn every_command_has_a_purpose_and_an_example() {
    let ledger = Ledger::new();
    let paths = command_paths(&ledger);
    // The walk found the whole tree, not just the first level.
    for expected in [
        vec!["drive", "log"],
        vec!["campaign", "add"],
        vec!["completions"],
        vec!["man"],
    ] {
        assert!(paths.iter().any(|p| p == &expected), "{expected:?} not in {paths:?}");
    }
    for path in &paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = ledger.ok(&args);
        let purpose = help.lines().next().unwrap_or_default();
        assert!(
            purpose.len() > 10 && !purpose.starts_with("Usage"),
            "`{}` has no one-line purpose:\n{help}",
            path.join(" ")
        );
        assert!(
            help.contains("\nExample:\n  ") || help.contains("\nExamples:\n  "),
            "`{}` has no example:\n{help}",
            path.join(" ")
        );
        assert!(!examples(&help).is_empty(), "`{}`: no example lines", path.join(" "));
    }
}

/// An example that clap would refuse is worse than none: each one must get
/// past the command line (it may still be refused for want of data).
#[test]
fn every_example_parses() {
    let ledger = Ledger::new();
    let mut checked = 0;
    let mut helps = vec![ledger.ok(&["--help"])];
    for path in command_paths(&ledger) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        helps.push(ledger.ok(&args));
    }
    for help in helps {
        for example in examples(&help) {
            let words = words(&example);
            // Interactive examples wait for a person; `echo …` installs.
            if words.first().map(String::as_str) != Some("bloodledger") || example.contains("in a terminal") {
                continue;
            }
            let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
            let output = ledger.cmd(&args).output().expect("run");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_ne!(
                output.status.code(),
                Some(2),
                "`{example}` is not a valid command line:\n{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            checked += 1;
        }
    }
    assert!(checked > 25, "only {checked} examples found");
}

#[test]
fn bloodledger_alone_prints_an_overview_of_the_everyday_commands() {
    let ledger = Ledger::new();
    let overview = ledger.ok(&[]);
    insta::assert_snapshot!(overview);
    // Every command it names is a real one.
    for line in overview.lines().filter(|l| l.starts_with("  bloodledger ")) {
        // The command, then two spaces or more, then what it does.
        let command = line.trim().split("  ").next().unwrap_or_default();
        let words = words(command);
        let mut args: Vec<&str> = words[1..]
            .iter()
            .map(String::as_str)
            .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase()))
            .collect();
        args.push("--help");
        ledger.ok(&args);
    }
    assert_eq!(ledger.dump(), "<no ledger>", "the overview wrote a ledger");
}

#[test]
fn the_everyday_overview_is_not_printed_for_a_command() {
    let ledger = Ledger::new();
    let list = ledger.ok(&["drive", "list"]);
    assert!(!list.contains("Everyday commands"), "{list}");
}
