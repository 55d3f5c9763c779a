//! Matching of names as people type them: `son la` finds `Sơn La`.
//!
//! Values are stored exactly as typed; a folded key sits beside them for
//! comparison and lookup.

use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-case, strip diacritics (Vietnamese `đ` becomes `d`), and treat runs
/// of spaces, hyphens and underscores as one space.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() || c == '-' || c == '_' {
            pending_space = !folded.is_empty();
            continue;
        }
        if pending_space {
            folded.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => folded.push('d'),
            _ => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

/// The candidate nearest to `wanted` (by folded edit distance), if it is
/// close enough to be a plausible typo.
pub fn nearest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = fold(wanted);
    let limit = (wanted.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&wanted, &fold(c)), c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// A short name for typing: a drive, campaign or facility slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        fold(&self.0)
    }
}

impl FromStr for Slug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("a slug cannot be empty; use letters, digits and `-`, e.g. `sonla-2021`".into());
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(format!(
                "a slug has at most {} characters; this one has {}",
                Self::MAX_LEN,
                s.chars().count()
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(format!(
                "`{}` is not allowed in a slug; use letters, digits, `-`, `_` or `.`, e.g. `sonla-2021`",
                bad.escape_debug()
            ));
        }
        Ok(Slug(s.to_string()))
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text typed by a person (a name, a place, a reason): one line,
/// no control or bidirectional-override characters, not absurdly long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(String);

impl Label {
    pub const MAX_LEN: usize = 200;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Label {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err("this cannot be empty".into());
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(format!(
                "at most {} characters, this has {}",
                Self::MAX_LEN,
                trimmed.chars().count()
            ));
        }
        if let Some(bad) = trimmed.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
            return Err(format!(
                "contains the control character U+{:04X}; type plain text",
                bad as u32
            ));
        }
        Ok(Label(trimmed.to_string()))
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that change how text around them is shown, or are not shown
/// at all: bidirectional controls, zero-width spaces and joiners, the BOM.
/// An id holding one would look like another id.
pub fn is_invisible_format(c: char) -> bool {
    is_bidi_control(c) || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_place_names() {
        assert_eq!(fold("Sơn La"), "son la");
        assert_eq!(fold("son la"), "son la");
        assert_eq!(fold("Mường La"), "muong la");
        assert_eq!(fold("ĐIỆN BIÊN"), "dien bien");
        assert_eq!(fold("  Hà--Nội "), "ha noi");
        assert_ne!(fold("Sơn La"), fold("Sơn Lá Xa"));
    }

    #[test]
    fn suggests_the_nearest_slug_only_when_close() {
        let slugs = ["sonla-2022", "dienbien-2022", "hanoi-2023"];
        assert_eq!(nearest("son-la-2022", slugs), Some("sonla-2022"));
        assert_eq!(nearest("xyz", slugs), None);
    }

    #[test]
    fn slugs_refuse_spaces_and_controls() {
        assert!("sonla-2021".parse::<Slug>().is_ok());
        assert!("sơn-la".parse::<Slug>().is_ok());
        assert!("son la".parse::<Slug>().is_err());
        assert!("".parse::<Slug>().is_err());
        assert!("a;DROP".parse::<Slug>().is_err());
        assert!("x".repeat(65).parse::<Slug>().is_err());
    }

    #[test]
    fn labels_refuse_control_and_bidi_characters() {
        assert!("Sơn La".parse::<Label>().is_ok());
        assert!("a\nb".parse::<Label>().is_err());
        assert!("evil\u{202E}txt".parse::<Label>().is_err());
        assert!("   ".parse::<Label>().is_err());
    }
}
