//! Unit ids. An ISBT 128 donation identification number (DIN) is 13
//! characters `αppppyynnnnnn` — a letter (A–N, P–Z), the facility's four
//! digits, a two-digit year and a six-digit serial — optionally followed by
//! its ISO 7064 Mod 37-2 check character. It is validated and stored without
//! the check character, upper-case. Any other id is a local id, kept as typed.

use std::fmt;
use std::str::FromStr;

/// The ISO 7064 Mod 37-2 alphabet: a character's value is its index.
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UnitId {
    /// An ISBT 128 DIN, 13 upper-case characters, without the check character.
    Din(String),
    /// A local id, as typed.
    Local(String),
}

impl UnitId {
    pub const MAX_LEN: usize = 64;

    /// The form the ledger stores and looks up.
    pub fn as_str(&self) -> &str {
        match self {
            UnitId::Din(s) | UnitId::Local(s) => s,
        }
    }

    /// The DIN's check character, for printing beside it.
    pub fn check_character(&self) -> Option<char> {
        match self {
            UnitId::Din(body) => check_character(body),
            UnitId::Local(_) => None,
        }
    }
}

/// The ISO 7064 Mod 37-2 check character of `body`, or None if `body` has a
/// character outside the alphabet.
pub fn check_character(body: &str) -> Option<char> {
    let mut sum = 0u32;
    for c in body.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())? as u32;
        sum = ((sum + value) * 2) % 37;
    }
    let check = (38 - sum) % 37;
    Some(ALPHABET[check as usize] as char)
}

/// How far `chars[..13]` is from the DIN shape: the positions that break it.
/// Only ids that start with a letter are candidates; others are local ids.
fn din_deviations(chars: &[char]) -> Option<Vec<usize>> {
    if chars.len() < 13 || !chars[0].is_ascii_alphabetic() {
        return None;
    }
    let mut wrong = Vec::new();
    if chars[0].eq_ignore_ascii_case(&'O') {
        wrong.push(0);
    }
    wrong.extend((1..13).filter(|&i| !chars[i].is_ascii_digit()));
    Some(wrong)
}

impl FromStr for UnitId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let typed = s.trim();
        if typed.is_empty() {
            return Err("a unit id cannot be empty".into());
        }
        if typed.chars().count() > Self::MAX_LEN {
            // Not the id itself in the message: it may be a megabyte long.
            let start: String = typed.chars().take(20).collect();
            return Err(format!(
                "`{start}…` is too long for a unit id ({} characters; at most {})",
                typed.chars().count(),
                Self::MAX_LEN
            ));
        }
        if let Some(bad) = typed
            .chars()
            .find(|&c| c.is_control() || c.is_whitespace() || super::text::is_invisible_format(c))
        {
            return Err(format!(
                "`{}` is not allowed in a unit id (found in `{}`); type the id without spaces",
                bad.escape_debug(),
                typed.escape_debug()
            ));
        }
        let chars: Vec<char> = typed.chars().collect();
        match (chars.len(), din_deviations(&chars)) {
            (13, Some(wrong)) if wrong.is_empty() => Ok(UnitId::Din(typed.to_ascii_uppercase())),
            (14, Some(wrong)) if wrong.is_empty() => {
                let body = typed[..13].to_ascii_uppercase();
                let given = chars[13].to_ascii_uppercase();
                let expected = check_character(&body).unwrap_or('?');
                if given == expected {
                    Ok(UnitId::Din(body))
                } else {
                    Err(format!(
                        "`{typed}` has the ISBT 128 check character `{given}`, but {body} needs `{expected}`; check the id against the label"
                    ))
                }
            }
            // One character away from a DIN with its check character: a typing
            // mistake, not a local id (so every single-character slip is caught).
            (14, Some(wrong)) if wrong.len() == 1 => Err(format!(
                "`{typed}` looks like an ISBT 128 id with a check character, but character {} (`{}`) should be {}; check the id against the label",
                wrong[0] + 1,
                chars[wrong[0]],
                if wrong[0] == 0 {
                    "a letter other than O"
                } else {
                    "a digit"
                }
            )),
            _ => Ok(UnitId::Local(typed.to_string())),
        }
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn published_check_characters() {
        for (body, check) in [
            ("G123417654321", 'A'),
            ("A999921123456", '3'),
            ("A999820123456", 'E'),
            ("A999917123654", 'Y'),
            ("A999917345628", '*'),
        ] {
            assert_eq!(check_character(body), Some(check), "{body}");
            let with_check = format!("{body}{check}");
            assert_eq!(with_check.parse::<UnitId>(), Ok(UnitId::Din(body.into())));
        }
    }

    #[test]
    fn din_without_check_lower_case_and_local_ids() {
        assert_eq!("G123417654321".parse(), Ok(UnitId::Din("G123417654321".into())));
        assert_eq!("g123417654321a".parse(), Ok(UnitId::Din("G123417654321".into())));
        assert_eq!("SL-2021-0042".parse(), Ok(UnitId::Local("SL-2021-0042".into())));
        // Fourteen digits: a numeric local id, not a mistyped DIN.
        assert_eq!("12345678901234".parse(), Ok(UnitId::Local("12345678901234".into())));
        assert!("G123417654321B".parse::<UnitId>().is_err());
        assert!("G123417654321#".parse::<UnitId>().is_err());
        assert!("O123417654321A".parse::<UnitId>().is_err());
        assert!("".parse::<UnitId>().is_err());
        assert!("a b".parse::<UnitId>().is_err());
        // Look-alikes: an override or a zero-width character inside an id.
        assert!("SL-\u{202E}1".parse::<UnitId>().is_err());
        assert!("SL-\u{200B}1".parse::<UnitId>().is_err());
        let long = "7".repeat(1 << 20).parse::<UnitId>().unwrap_err();
        assert!(long.len() < 200, "{long}");
    }

    const VALID: [&str; 5] = [
        "G123417654321A",
        "A9999211234563",
        "A999820123456E",
        "A999917123654Y",
        "A999917345628*",
    ];

    proptest! {
        /// Any one character of a valid id + check changed to another
        /// character of the check alphabet is refused.
        #[test]
        fn any_single_character_change_is_caught(
            which in 0..VALID.len(),
            position in 0usize..14,
            replacement in proptest::sample::select(ALPHABET.to_vec()),
        ) {
            let valid = VALID[which];
            let mut bytes = valid.as_bytes().to_vec();
            prop_assume!(bytes[position] != replacement);
            // An id that does not start with a letter is a local id by
            // definition (e.g. a numeric barcode), so the first place only
            // takes letters here.
            prop_assume!(position != 0 || replacement.is_ascii_alphabetic());
            bytes[position] = replacement;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(changed.parse::<UnitId>().is_err(), "{} accepted", changed);
        }

        #[test]
        fn every_din_gets_a_check_that_validates(
            letter in proptest::sample::select(b"ABCDEFGHIJKLMNPQRSTUVWXYZ".to_vec()),
            digits in "[0-9]{12}",
        ) {
            let body = format!("{}{digits}", letter as char);
            let check = check_character(&body).unwrap();
            prop_assert_eq!(format!("{body}{check}").parse::<UnitId>(), Ok(UnitId::Din(body)));
        }
    }
}
