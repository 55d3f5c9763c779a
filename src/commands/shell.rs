//! `completions SHELL` and `man`: made from the clap definition itself, so
//! they never drift from the real options.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::env::Shells;
use roff::{Roff, bold, roman};

use super::Context;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::UserError;

pub fn completions(ctx: &mut Context, args: CompletionsArgs) -> Result<()> {
    let mut script = Vec::new();
    if args.fixed {
        clap_complete::generate(args.shell, &mut Cli::command(), "bloodledger", &mut script);
    } else {
        // The dynamic script calls `BLOODLEDGER_COMPLETE=SHELL bloodledger -- …` at Tab, so
        // slugs come from the ledger and options from this very binary.
        let name = args.shell.to_string();
        let shells = Shells::builtins();
        let shell = shells
            .completer(&name)
            .ok_or_else(|| UserError::usage(format!("no dynamic completions for {name}")).hint("add --static"))?;
        shell.write_registration(
            super::COMPLETE_VAR,
            "bloodledger",
            "bloodledger",
            &crate::config::completer_program(),
            &mut script,
        )?;
    }
    ctx.out.bytes(&script)
}

pub fn man(ctx: &mut Context) -> Result<()> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let page = clap_mangen::Man::new(cmd.clone());
    let mut text = Vec::new();
    page.render_title(&mut text)?;
    page.render_name_section(&mut text)?;
    page.render_synopsis_section(&mut text)?;
    page.render_description_section(&mut text)?;
    page.render_options_section(&mut text)?;
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for (path, sub) in leaves(&cmd, "bloodledger") {
        command_section(&mut roff, &path, sub);
    }
    extra_sections(&mut roff);
    roff.to_writer(&mut text)?;
    page.render_version_section(&mut text)?;
    ctx.out.bytes(&text)
}

/// Every command that runs something, with its full path: `bloodledger drive log`.
fn leaves<'a>(cmd: &'a clap::Command, path: &str) -> Vec<(String, &'a clap::Command)> {
    cmd.get_subcommands()
        .flat_map(|sub| {
            let path = format!("{path} {}", sub.get_name());
            if sub.has_subcommands() {
                leaves(sub, &path)
            } else {
                vec![(path, sub)]
            }
        })
        .collect()
}

/// `.SS bloodledger drive log`, its purpose, its options in brief and its examples.
fn command_section(roff: &mut Roff, path: &str, cmd: &clap::Command) {
    roff.control("SS", [path]);
    if let Some(about) = cmd.get_about() {
        roff.text([roman(about.to_string())]);
    }
    let usage = cmd
        .get_arguments()
        .filter(|a| !a.is_global_set() && !a.is_hide_set() && a.get_id() != "help")
        .map(|a| {
            let value = match a.get_value_names() {
                Some(names) => names.join(" "),
                None => a.get_id().as_str().to_uppercase(),
            };
            let takes_value = a.get_num_args().is_some_and(|n| n.takes_values());
            let text = match a.get_long() {
                Some(long) if takes_value => format!("--{long} {value}"),
                Some(long) => format!("--{long}"),
                None => value,
            };
            if a.is_required_set() { text } else { format!("[{text}]") }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if !usage.is_empty() {
        roff.control("PP", []).text([bold(path), roman(format!(" {usage}"))]);
    }
    let after = cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let examples: Vec<&str> = after
        .lines()
        .skip_while(|l| !l.starts_with("Example"))
        .skip(1)
        .collect();
    if !examples.is_empty() {
        roff.control("PP", []).control("nf", []);
        for line in examples {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
    }
}

fn extra_sections(roff: &mut Roff) {
    let tagged = |roff: &mut Roff, tag: &str, text: &str| {
        roff.control("TP", []).text([bold(tag)]).text([roman(text)]);
    };
    roff.control("SH", ["EXIT STATUS"]);
    tagged(roff, "0", "success (and `check` found nothing)");
    tagged(
        roff,
        "1",
        "a refusal: unknown drive, stock would go negative, `check` found problems; nothing was changed",
    );
    tagged(roff, "2", "the command line is wrong (an unknown or missing option)");
    roff.control("SH", ["ENVIRONMENT"]);
    tagged(roff, "BLOODLEDGER_DB", "the ledger file, as --db");
    tagged(roff, "BLOODLEDGER_BY", "who records entries, as --by");
    tagged(
        roff,
        "BLOODLEDGER_TODAY",
        "a YYYY-MM-DD date taken as today (for tests)",
    );
    tagged(
        roff,
        "LC_ALL, LC_MESSAGES, LANG",
        "the language of the totals sentence (vi, nb, else en)",
    );
    tagged(roff, "NO_COLOR", "no colour unless --color always");
    tagged(roff, "TERM", "dumb: no colour");
    tagged(roff, "COLUMNS", "the width of totals --chart");
    tagged(
        roff,
        super::COMPLETE_VAR,
        "set by the shell completion scripts; not for people",
    );
    roff.control("SH", ["FILES"]);
    tagged(
        roff,
        "$XDG_DATA_HOME/bloodledger/ledger.db",
        "the ledger when neither --db nor BLOODLEDGER_DB is given (~/.local/share on Linux)",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command people run says what it is for and shows how.
    #[test]
    fn every_command_has_a_purpose_and_an_example() {
        let cmd = Cli::command();
        let mut missing = Vec::new();
        fn walk(cmd: &clap::Command, path: String, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                let after = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
                if sub.get_about().is_none() || !after.contains("Example") {
                    missing.push(path.clone());
                }
                // clap would wrap a longer line and break the example apart.
                if let Some(long) = after.lines().find(|l| l.chars().count() > 80) {
                    missing.push(format!("{path}: longer than 80 columns: {long}"));
                }
                walk(sub, path, missing);
            }
        }
        walk(&cmd, "bloodledger".into(), &mut missing);
        assert!(missing.is_empty(), "no purpose, no example, or too wide: {missing:#?}");
    }
}
