//! CSV input: a header row, then records of exactly as many fields. Lines are counted here from
//! byte offsets, because csv's own line numbers lag behind on CRLF files and after blank lines.

use std::collections::HashSet;

use ::csv::{ErrorKind, ReaderBuilder, StringRecord};

use super::table::{Rows, Table, TextRows};
use crate::error::{InputError, Location};

/// Reads CSV text into a table of untrimmed cells; header names are trimmed.
pub(crate) fn read<'a>(bytes: &'a [u8], source: &'a str) -> Result<Table<'a>, InputError> {
    let mut reader = ReaderBuilder::new().has_headers(false).from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let mut record = StringRecord::new();
    let mut last_start = 0;
    let has_header = read_record(
        &mut reader,
        &mut record,
        &mut lines,
        &mut last_start,
        source,
    )?;
    let header_line = lines.line;
    let columns: Vec<String> = record.iter().map(|name| name.trim().to_owned()).collect();
    check_header(&columns, source, header_line)?;
    let mut rows = TextRows::new(columns.len());
    if has_header {
        while read_record(
            &mut reader,
            &mut record,
            &mut lines,
            &mut last_start,
            source,
        )? {
            rows.push(lines.line, &record);
        }
    }
    // csv ends a quoted field at the end of input without complaint; that would swallow every
    // line after a stray quote into one field, so it is an error here.
    if bytes.get(last_start..).is_some_and(ends_inside_quotes) {
        return Err(unterminated(source, lines.line));
    }
    Ok(Table {
        source,
        columns,
        rows: Rows::Text(rows),
        declared: true,
        json_array: None,
        indexed: false,
    })
}

/// Reads the next record, noting the line it starts on; `false` at the end.
fn read_record(
    reader: &mut ::csv::Reader<&[u8]>,
    record: &mut StringRecord,
    lines: &mut Lines<'_>,
    last_start: &mut usize,
    source: &str,
) -> Result<bool, InputError> {
    match reader.read_record(record) {
        Ok(more) => {
            if more {
                *last_start = lines.advance(record.position().map_or(0, ::csv::Position::byte));
            }
            Ok(more)
        }
        Err(error) => {
            let start = lines.advance(error.position().map_or(0, ::csv::Position::byte));
            let message = match error.kind() {
                _ if lines.bytes.get(start..).is_some_and(ends_inside_quotes) => {
                    return Err(unterminated(source, lines.line));
                }
                ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => {
                    format!("record has {len} fields, the header has {expected_len}")
                }
                ErrorKind::Utf8 { err, .. } => {
                    format!("field {} is not valid UTF-8", err.field() + 1)
                }
                _ => "cannot read CSV".to_owned(),
            };
            Err(InputError::Malformed {
                at: Location::in_source(source).at_line(lines.line),
                message,
            })
        }
    }
}

fn unterminated(source: &str, line: u64) -> InputError {
    InputError::Malformed {
        at: Location::in_source(source).at_line(line),
        message: "a quoted field is never closed".to_owned(),
    }
}

/// Header names must be present and distinct.
fn check_header(columns: &[String], source: &str, line: u64) -> Result<(), InputError> {
    let mut seen = HashSet::with_capacity(columns.len());
    for (index, name) in columns.iter().enumerate() {
        if name.is_empty() {
            return Err(InputError::Malformed {
                at: Location::in_source(source).at_line(line),
                message: format!("header column {} has no name", index + 1),
            });
        }
        if !seen.insert(name.as_str()) {
            return Err(InputError::DuplicateColumn {
                source_name: source.to_owned(),
                column: name.clone(),
            });
        }
    }
    Ok(())
}

/// Physical line numbers from byte offsets, counted once over the input.
struct Lines<'a> {
    bytes: &'a [u8],
    /// The byte offset `line` was counted up to.
    offset: usize,
    /// The line at `offset`.
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// Moves to the record csv began reading at `byte` (past any line ends it had left) and
    /// returns the offset where the record starts; `self.line` is its line.
    fn advance(&mut self, byte: u64) -> usize {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if start < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let skipped = &self.bytes[self.offset..start];
        let breaks = skipped
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && skipped.get(i + 1) != Some(&b'\n')))
            .count();
        self.line += breaks as u64;
        self.offset = start;
        start
    }
}

/// Whether a record starting at the beginning of `text` runs to the end inside a quoted field,
/// following csv's default dialect (`"` quotes, doubled to escape, `,` between fields).
fn ends_inside_quotes(text: &[u8]) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    for &b in text {
        state = match (state, b) {
            (State::FieldStart, b'"') | (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (_, b',' | b'\n' | b'\r') => State::FieldStart,
            _ => State::Unquoted,
        };
    }
    state == State::Quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::table::Cell;

    fn text(table: &Table<'_>, row: usize, column: usize) -> String {
        match table.cell(row, column) {
            Cell::Text(text) => text.to_owned(),
            Cell::Json(json) => panic!("json cell {json:?}"),
        }
    }

    fn malformed_line(bytes: &[u8]) -> (u64, String) {
        match read(bytes, "t.csv") {
            Err(InputError::Malformed { at, message }) => (at.line.unwrap(), message),
            other => panic!("expected malformed input, got {other:?}"),
        }
    }

    #[test]
    fn reads_header_and_cells() {
        let table = read(b" id , name\nC-1, Ann \n", "t.csv").unwrap();
        assert_eq!(table.columns, ["id", "name"]);
        assert_eq!(text(&table, 0, 1), " Ann ");
        assert_eq!(table.line(0), Some(2));
        assert!(table.declared);
    }

    #[test]
    fn lines_are_physical_lines_with_crlf_blank_lines_and_quoted_newlines() {
        let table = read(b"\r\nid,a\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n4,5", "t.csv").unwrap();
        let lines: Vec<u64> = (0..table.len())
            .map(|row| table.line(row).unwrap())
            .collect();
        assert_eq!(lines, [3, 5, 7]);
        let table = read(b"id,a\r1,2\r3,4", "t.csv").unwrap();
        assert_eq!(table.line(1), Some(3));
    }

    #[test]
    fn wrong_field_counts_name_their_line() {
        let (line, message) = malformed_line(b"id,a\n1,2\n\n2,3,secret\n");
        assert_eq!(line, 4);
        assert!(!message.contains("secret"));
        assert_eq!(malformed_line(b"id,a\n1,2\n3\n").0, 3);
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        assert_eq!(malformed_line(b"id,a\n1,2\n2,\xff\n").0, 3);
        assert_eq!(malformed_line(b"id,\xff\n1,2\n").0, 1);
    }

    #[test]
    fn an_unclosed_quote_is_malformed_at_its_record() {
        assert_eq!(malformed_line(b"id,a\n1,2\n3,\"x\n4,5\n").0, 3);
        assert_eq!(malformed_line(b"id,a,b\n1,\"x\n4,5\n").0, 2);
        assert_eq!(malformed_line(b"id,\"a\n1,2\n").0, 1);
        // Quotes inside an unquoted field and doubled quotes are fine.
        let table = read(b"id,a\n1,5'11\"\n2,\"say \"\"hi\"\"\"\n", "t.csv").unwrap();
        assert_eq!(text(&table, 0, 1), "5'11\"");
        assert_eq!(text(&table, 1, 1), "say \"hi\"");
    }

    #[test]
    fn header_names_must_be_distinct_and_present() {
        assert!(matches!(
            read(b"id,a, a\n", "t.csv"),
            Err(InputError::DuplicateColumn { column, .. }) if column == "a"
        ));
        assert_eq!(malformed_line(b"id,,a\n").0, 1);
    }

    #[test]
    fn a_header_only_file_has_no_rows() {
        let table = read(b"id,a\n", "t.csv").unwrap();
        assert_eq!(table.len(), 0);
        assert_eq!(table.columns, ["id", "a"]);
        let table = read(b"", "t.csv").unwrap();
        assert!(table.columns.is_empty());
    }
}
