//! Questions in a terminal (on stderr, so stdout stays the command's result):
//! one value at a time, checked when Enter is pressed by the same `FromStr`
//! types the options use, re-asked until it is right.

use anyhow::Result;
use dialoguer::console::{self, Term};
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input};

pub struct Prompter {
    term: Term,
    theme: Box<dyn Theme>,
}

impl Prompter {
    pub fn new(color: bool) -> Prompter {
        // console decides colour by itself; make it follow ours.
        console::set_colors_enabled_stderr(color);
        let theme: Box<dyn Theme> = if color {
            Box::new(ColorfulTheme::default())
        } else {
            Box::new(SimpleTheme)
        };
        Prompter {
            term: Term::stderr(),
            theme,
        }
    }

    /// Asks until `check` accepts the answer. Enter alone takes `default`
    /// (checked too), or, with no default, gives `check` an empty answer.
    pub fn ask<T>(
        &self,
        question: &str,
        default: Option<String>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T> {
        let mut input = Input::<String>::with_theme(self.theme.as_ref())
            .with_prompt(question)
            .allow_empty(true)
            .validate_with(|answer: &String| check(answer.trim()).map(|_| ()));
        if let Some(default) = default {
            input = input.default(default);
        }
        let answer = input.interact_text_on(&self.term)?;
        // Accepted by the validator just now; a second refusal cannot happen.
        check(answer.trim()).map_err(anyhow::Error::msg)
    }

    pub fn confirm(&self, question: &str) -> Result<bool> {
        Ok(Confirm::with_theme(self.theme.as_ref())
            .with_prompt(question)
            .default(true)
            .wait_for_newline(true)
            .interact_on(&self.term)?)
    }

    /// A line for the person at the terminal: a note, the summary.
    pub fn say(&self, text: &str) -> Result<()> {
        self.term.write_line(text)?;
        Ok(())
    }

    /// What is about to be recorded, aligned: `  registered   978`.
    pub fn summary(&self, title: &str, fields: &[(&str, String)]) -> Result<()> {
        let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        self.say(title)?;
        for (name, value) in fields {
            self.say(&format!("  {name:<width$}  {value}"))?;
        }
        Ok(())
    }
}
