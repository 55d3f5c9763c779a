//! `export units|registrations|transfers`: records streamed as JSON, NDJSON
//! or CSV, at the speed the ledger can be read. Their shapes are a contract,
//! written down in README.md.

use anyhow::{Result, anyhow};

use super::{Out, SCHEMA_VERSION};
use crate::cli::Format;
use crate::store::Cell;

/// How much output is gathered before it is handed on: large enough that
/// writes are few, small enough that memory stays flat.
const CHUNK: usize = 1 << 16;

/// Streams records: JSON as one document written record by record, NDJSON
/// one record a line, or CSV.
pub struct RecordWriter<'a> {
    out: &'a mut Out,
    ndjson: bool,
    written: u64,
    csv: Option<csv::Writer<Vec<u8>>>,
    /// Each column's `"name":`, escaped once, after the `{` or `,` before it.
    keys: Vec<Vec<u8>>,
    /// Records are written here and handed on in large pieces: a million
    /// small writes cost more than the query that feeds them.
    buffer: Vec<u8>,
}

impl<'a> RecordWriter<'a> {
    pub fn start(out: &'a mut Out, kind: &str, columns: Vec<&'static str>, ndjson: bool) -> Result<RecordWriter<'a>> {
        let keys = columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut key = vec![if i == 0 { b'{' } else { b',' }];
                serde_json::to_writer(&mut key, name)?;
                key.push(b':');
                Ok(key)
            })
            .collect::<Result<_>>()?;
        let mut writer = RecordWriter {
            csv: None,
            keys,
            buffer: Vec::with_capacity(CHUNK + (1 << 12)),
            ndjson,
            written: 0,
            out,
        };
        match writer.out.format {
            Format::Json if ndjson => {}
            Format::Json => write!(writer.out.raw(), "{{\"schema_version\":{SCHEMA_VERSION},\"{kind}\":[")?,
            Format::Csv | Format::Table => {
                let mut csv = csv::Writer::from_writer(Vec::with_capacity(CHUNK + (1 << 12)));
                csv.write_record(&columns)?;
                writer.csv = Some(csv);
                writer.drain_csv()?;
            }
        }
        Ok(writer)
    }

    pub fn write(&mut self, cells: &[Cell]) -> Result<()> {
        self.written += 1;
        if let Some(csv) = &mut self.csv {
            let mut number = itoa::Buffer::new();
            for cell in cells {
                match *cell {
                    Cell::Null => csv.write_field(b"")?,
                    Cell::Int(n) => csv.write_field(number.format(n))?,
                    // Text may hold a formula typed by anyone; numbers cannot.
                    Cell::Text(text) => {
                        csv.write_field(super::spreadsheet_safe(&String::from_utf8_lossy(text)).as_bytes())?
                    }
                    Cell::Real(x) => csv.write_field(super::spreadsheet_safe(&x.to_string()).as_bytes())?,
                }
            }
            csv.write_record(None::<&[u8]>)?;
            // The csv writer hands its own buffer to ours every 8 KiB.
            if csv.get_ref().len() >= CHUNK {
                self.drain_csv()?;
            }
            return Ok(());
        }
        let w = &mut self.buffer;
        if !self.ndjson {
            w.extend_from_slice(if self.written > 1 { b",\n" } else { b"\n" });
        }
        // Written by hand so the keys keep the documented column order.
        for (key, cell) in self.keys.iter().zip(cells) {
            w.extend_from_slice(key);
            match *cell {
                Cell::Null => w.extend_from_slice(b"null"),
                Cell::Int(n) => w.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                Cell::Text(text) => json_string(w, text)?,
                Cell::Real(x) => json_string(w, x.to_string().as_bytes())?,
            }
        }
        w.push(b'}');
        if self.ndjson {
            w.push(b'\n');
        }
        if w.len() >= CHUNK {
            self.out.raw().write_all(w)?;
            w.clear();
        }
        Ok(())
    }

    fn drain_csv(&mut self) -> Result<()> {
        if let Some(csv) = self.csv.take() {
            let mut buffer = csv.into_inner().map_err(|e| anyhow!("{}", e.error()))?;
            self.out.raw().write_all(&buffer)?;
            buffer.clear();
            self.csv = Some(csv::Writer::from_writer(buffer));
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<u64> {
        self.drain_csv()?;
        self.out.raw().write_all(&self.buffer)?;
        match self.out.format {
            Format::Json if self.ndjson => {}
            Format::Json => self.out.raw().write_all(b"\n]}\n")?,
            _ => {}
        }
        Ok(self.written)
    }
}

/// The bytes that send a string down the careful path: those JSON escapes
/// (`"`, `\` and the control characters) and those that are not ASCII, so
/// that text SQLite holds as invalid UTF-8 is caught in the same pass.
const CAREFUL: [bool; 256] = {
    let mut careful = [false; 256];
    let mut b = 0;
    while b < 256 {
        careful[b] = b < 0x20 || b >= 0x80 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    careful
};

/// `text` as a JSON string, exactly as serde_json writes it (invalid UTF-8
/// as U+FFFD): most text is plain ASCII and is copied as it is.
#[inline]
fn json_string(w: &mut Vec<u8>, text: &[u8]) -> Result<()> {
    if text.iter().any(|&b| CAREFUL[usize::from(b)]) {
        serde_json::to_writer(&mut *w, &*String::from_utf8_lossy(text))?;
    } else {
        w.push(b'"');
        w.extend_from_slice(text);
        w.push(b'"');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for text in [
            "",
            "O+",
            "Sơn La 😀",
            "quote \" and backslash \\",
            "tab\tnewline\n\r\u{1}\u{1f}",
            "\u{7f} delete is left as it is",
            "/slash",
        ] {
            let mut ours = Vec::new();
            json_string(&mut ours, text.as_bytes()).expect("into a Vec");
            assert_eq!(
                String::from_utf8(ours).expect("utf-8"),
                serde_json::to_string(text).expect("json")
            );
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_written_with_replacement_characters() {
        let mut ours = Vec::new();
        json_string(&mut ours, b"a\xC3(\xFFb").expect("into a Vec");
        assert_eq!(String::from_utf8(ours).expect("utf-8"), "\"a\u{FFFD}(\u{FFFD}b\"");
    }
}
