//! `totals --by KEY --chart`: one horizontal bar per row, in block
//! characters with eighth-block partials, scaled to the width given.

use anyhow::Result;
use unicode_width::UnicodeWidthStr;

use super::Out;
use super::number::{Language, grouped_in, totals_sentence};
use crate::ledger::totals::{By, Row, Totals};

/// The narrowest bar area, whatever the width: a chart still reads in 40 columns.
const MIN_BAR: usize = 10;
const PARTIALS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

pub fn totals_chart(out: &mut Out, totals: &Totals, lang: &Language, width: usize) -> Result<()> {
    let Some(by) = totals.by else {
        return out.line(&totals_sentence(totals.figures.units, totals.figures.years, lang));
    };
    // By facility the figure is what each received; otherwise units collected.
    let (what, value): (&str, fn(&Row) -> u64) = match by {
        By::Facility => ("units transferred", |r| r.transferred.unwrap_or(0)),
        _ => ("units", |r| r.units.unwrap_or(0)),
    };
    let bars: Vec<(String, u64)> = with_gaps_filled(by, totals.rows.iter().map(|r| (r.key.clone(), value(r))));
    out.line(&format!("{what} by {}", by.as_str()))?;
    for line in chart_lines(&bars, width, lang.thousands_separator) {
        out.line(&line)?;
    }
    out.line(&totals_sentence(totals.figures.units, totals.figures.years, lang))
}

/// Years and months with no drive get an empty bar, so that time reads evenly.
fn with_gaps_filled(by: By, rows: impl Iterator<Item = (String, u64)>) -> Vec<(String, u64)> {
    let rows: Vec<(String, u64)> = rows.collect();
    let as_month = |key: &str| -> Option<i64> {
        match by {
            By::Year => key.parse::<i64>().ok().map(|y| y * 12),
            By::Month => {
                let (y, m) = key.split_once('-')?;
                Some(y.parse::<i64>().ok()? * 12 + m.parse::<i64>().ok()? - 1)
            }
            _ => None,
        }
    };
    let step = if by == By::Year { 12 } else { 1 };
    let months: Option<Vec<i64>> = rows.iter().map(|(k, _)| as_month(k)).collect();
    let (Some(months), Some(first), Some(last)) = (
        months.as_ref(),
        months.as_ref().and_then(|m| m.first().copied()),
        months.as_ref().and_then(|m| m.last().copied()),
    ) else {
        return rows;
    };
    let label = |m: i64| match by {
        By::Year => (m / 12).to_string(),
        _ => format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1),
    };
    (first..=last)
        .step_by(step)
        .map(|m| match months.iter().position(|&have| have == m) {
            Some(i) => rows[i].clone(),
            None => (label(m), 0),
        })
        .collect()
}

/// `label  ████▍      figure`, each line `width` columns (or wider when the
/// labels and figures leave less than [`MIN_BAR`] for the bars).
fn chart_lines(bars: &[(String, u64)], width: usize, separator: char) -> Vec<String> {
    let figures: Vec<String> = bars.iter().map(|(_, v)| grouped_in(*v, separator)).collect();
    let label_width = bars.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
    let figure_width = figures.iter().map(|f| f.width()).max().unwrap_or(0);
    let bar_width = width.saturating_sub(label_width + figure_width + 2).max(MIN_BAR);
    let max = bars.iter().map(|(_, v)| *v).max().unwrap_or(0);
    bars.iter()
        .zip(&figures)
        .map(|((label, value), figure)| {
            let bar = bar(*value, max, bar_width);
            format!(
                "{label}{} {bar}{} {}{figure}",
                " ".repeat(label_width - label.width()),
                " ".repeat(bar_width - bar.width()),
                " ".repeat(figure_width - figure.width()),
            )
        })
        .collect()
}

/// `value` of `max` as a bar of up to `width` cells, to the nearest eighth;
/// anything above zero shows at least a sliver.
fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 || value == 0 {
        return String::new();
    }
    let eighths = (u128::from(value) * width as u128 * 8 + u128::from(max) / 2) / u128::from(max);
    let eighths = usize::try_from(eighths).unwrap_or(width * 8).max(1);
    format!("{}{}", "█".repeat(eighths / 8), PARTIALS[eighths % 8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_round_to_the_nearest_eighth() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 16, 2), "▏");
        assert_eq!(bar(3, 16, 2), "▍"); // 1.5 eighths rounds to 2
        assert_eq!(bar(1, 1000, 4), "▏"); // a sliver, never nothing
        assert_eq!(bar(0, 1000, 4), "");
        assert_eq!(bar(0, 0, 4), "");
        assert_eq!(bar(u64::MAX, u64::MAX, 3), "███");
    }

    #[test]
    fn lines_fill_the_width_and_align_the_figures() {
        let bars = vec![("Sơn La".to_string(), 40544), ("Điện Biên".to_string(), 838)];
        let lines = chart_lines(&bars, 40, ' ');
        assert_eq!(lines[0].width(), 40);
        assert_eq!(lines[1].width(), 40);
        assert!(lines[0].ends_with("40 544"), "{}", lines[0]);
        assert!(lines[1].ends_with("   838"), "{}", lines[1]);
    }

    #[test]
    fn years_without_drives_get_an_empty_bar() {
        let rows = [("2019".to_string(), 5), ("2021".to_string(), 7)];
        let filled = with_gaps_filled(By::Year, rows.into_iter());
        assert_eq!(filled, vec![("2019".into(), 5), ("2020".into(), 0), ("2021".into(), 7)]);
        let rows = [("2021-11".to_string(), 5), ("2022-01".to_string(), 7)];
        let filled = with_gaps_filled(By::Month, rows.into_iter());
        let keys: Vec<&str> = filled.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["2021-11", "2021-12", "2022-01"]);
    }
}
