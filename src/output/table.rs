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
        table.to_string()
    }
}
