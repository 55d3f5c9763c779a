//! Human tables (tabled): a header and rows, numbers right-aligned.

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Style};

pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    numeric: Vec<usize>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            numeric: Vec::new(),
        }
    }

    /// Columns (by index) to right-align.
    pub fn numeric(mut self, columns: impl IntoIterator<Item = usize>) -> Table {
        self.numeric.extend(columns);
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(self) -> String {
        let mut builder = Builder::default();
        builder.push_record(self.headers);
        for row in self.rows {
            builder.push_record(row);
        }
        let mut table = builder.build();
        table.with(Style::sharp());
        for column in self.numeric {
            table.modify(Columns::one(column), Alignment::right());
        }
        let text = table.to_string();
        if super::style::table_headers() {
            bold_header(&text)
        } else {
            text
        }
    }
}

/// Bolds the header cells: the second line of a `Style::sharp()` table, its
/// text between the `│` borders (so widths, counted by tabled, stay right).
fn bold_header(text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(header) = lines.get_mut(1) {
        *header = header
            .split('│')
            .map(|cell| {
                if cell.trim().is_empty() {
                    cell.to_string()
                } else {
                    super::style::paint(cell, super::style::HEADER, true)
                }
            })
            .collect::<Vec<_>>()
            .join("│");
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_header_styles_only_the_header_cells() {
        let mut table = Table::new(&["drive", "units"]);
        table.row(vec!["rj-2021".into(), "838".into()]);
        let bold = bold_header(&table.render());
        let lines: Vec<&str> = bold.lines().collect();
        assert_eq!(lines[1], "│\u{1b}[1m drive   \u{1b}[0m│\u{1b}[1m units \u{1b}[0m│");
        assert!(!lines[3].contains('\u{1b}'), "{}", lines[3]);
    }
}
