//! Numbers as people read them: `40 544`, and the totals sentence
//! `40 544 units over eight years` in each language.

/// A language of the totals sentence. Adding one is a row in [`LANGUAGES`].
pub struct Language {
    pub code: &'static str,
    pub thousands_separator: char,
    /// The words for one to twenty; after twenty, digits.
    pub numbers: [&'static str; 20],
    pub unit: (&'static str, &'static str),
    pub year: (&'static str, &'static str),
    /// `{units} {unit} {over} {years} {year}`
    pub over: &'static str,
}

pub const LANGUAGES: &[Language] = &[
    Language {
        code: "en",
        thousands_separator: ' ',
        numbers: [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ],
        unit: ("unit", "units"),
        year: ("year", "years"),
        over: "over",
    },
    Language {
        code: "vi",
        thousands_separator: '.',
        numbers: [
            "một",
            "hai",
            "ba",
            "bốn",
            "năm",
            "sáu",
            "bảy",
            "tám",
            "chín",
            "mười",
            "mười một",
            "mười hai",
            "mười ba",
            "mười bốn",
            "mười lăm",
            "mười sáu",
            "mười bảy",
            "mười tám",
            "mười chín",
            "hai mươi",
        ],
        unit: ("đơn vị máu", "đơn vị máu"),
        year: ("năm", "năm"),
        over: "qua",
    },
    Language {
        code: "nb",
        thousands_separator: ' ',
        // "ett": år is neuter.
        numbers: [
            "ett", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv", "tretten",
            "fjorten", "femten", "seksten", "sytten", "atten", "nitten", "tjue",
        ],
        unit: ("enhet blod", "enheter blod"),
        year: ("år", "år"),
        over: "over",
    },
];

pub fn language(code: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.code == code)
}

pub fn english() -> &'static Language {
    &LANGUAGES[0]
}

/// `40544` → `40 544` (or `40.544` in Vietnamese).
pub fn grouped_in(n: u64, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

pub fn grouped(n: u64) -> String {
    grouped_in(n, ' ')
}

/// `838 units`, `1 unit`: for confirmation lines.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", grouped(n))
    }
}

/// `40 544 units over eight years`; `1 unit over one year`; `0 units`.
pub fn totals_sentence(units: u64, years: u64, lang: &Language) -> String {
    let pick = |n: u64, forms: (&'static str, &'static str)| if n == 1 { forms.0 } else { forms.1 };
    let units_text = format!(
        "{} {}",
        grouped_in(units, lang.thousands_separator),
        pick(units, lang.unit)
    );
    if years == 0 {
        return units_text;
    }
    let years_text = match years {
        1..=20 => lang.numbers[years as usize - 1].to_string(),
        _ => years.to_string(),
    };
    format!("{units_text} {} {years_text} {}", lang.over, pick(years, lang.year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_with_a_space() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(838), "838");
        assert_eq!(grouped(1000), "1 000");
        assert_eq!(grouped(40544), "40 544");
        assert_eq!(grouped(20_000_000), "20 000 000");
    }

    #[test]
    fn the_sentence_in_three_languages() {
        let lang = |c| language(c).unwrap();
        assert_eq!(totals_sentence(40544, 8, lang("en")), "40 544 units over eight years");
        assert_eq!(totals_sentence(40544, 8, lang("vi")), "40.544 đơn vị máu qua tám năm");
        assert_eq!(
            totals_sentence(40544, 8, lang("nb")),
            "40 544 enheter blod over åtte år"
        );
        assert_eq!(totals_sentence(1, 1, lang("en")), "1 unit over one year");
        assert_eq!(totals_sentence(1, 1, lang("nb")), "1 enhet blod over ett år");
        assert_eq!(totals_sentence(5, 20, lang("en")), "5 units over twenty years");
        assert_eq!(totals_sentence(5, 21, lang("en")), "5 units over 21 years");
        assert_eq!(totals_sentence(0, 0, lang("en")), "0 units");
    }
}
