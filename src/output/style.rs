//! Colour, used sparingly: table headers on stdout, `error:` and `hint:` on
//! stderr, and the prompts. Whether to colour is decided once, in `main`,
//! from `--color`, `NO_COLOR`, `TERM` and whether the stream is a terminal.

use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};

pub const HEADER: Style = Style::new().bold();
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const HINT: Style = AnsiColor::Cyan.on_default().bold();

/// Set once by [`super::Out::with_color`]. A process-wide flag rather than a
/// parameter so that every `Table::render()` call site stays as it is.
static TABLE_HEADERS: AtomicBool = AtomicBool::new(false);

pub(super) fn set_table_headers(on: bool) {
    TABLE_HEADERS.store(on, Ordering::Relaxed);
}

pub(super) fn table_headers() -> bool {
    TABLE_HEADERS.load(Ordering::Relaxed)
}

/// `text` in `style`, or as it is when colour is off.
pub fn paint(text: &str, style: Style, on: bool) -> String {
    if on {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// The lines `main` prints for a refusal: `error: …` and maybe `hint: …`.
pub fn error_lines(message: &str, hint: Option<&str>, on: bool) -> String {
    let mut text = format!("{} {message}\n", paint("error:", ERROR, on));
    if let Some(hint) = hint {
        text.push_str(&format!("{} {hint}\n", paint("hint:", HINT, on)));
    }
    text
}
