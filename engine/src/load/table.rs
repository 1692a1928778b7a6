//! The raw table between parsing and records: column names and unconverted cells, so CSV and
//! JSON share one path for ids, inference and conversion.

use ::csv::StringRecord;

use super::json::{self, Json};

/// Stands in for a key a JSON record does not have.
pub(crate) static NULL: Json = Json::Null;

/// Column names and unconverted cells, in input order.
#[derive(Debug)]
pub(crate) struct Table<'a> {
    /// The file name or description, for error locations.
    pub(crate) source: &'a str,
    /// Column names: the CSV header, or JSON keys in order of first appearance.
    pub(crate) columns: Vec<String>,
    /// The records.
    pub(crate) rows: Rows,
    /// Whether the columns were declared (CSV header) rather than seen in records (JSON).
    pub(crate) declared: bool,
    /// The text of a JSON array, to find an element's line only when an error needs it.
    pub(crate) json_array: Option<&'a [u8]>,
    /// Whether records are named by their index when they have no id (in-memory columns and
    /// JSON arrays have no lines to name them by).
    pub(crate) indexed: bool,
}

/// The records of a table, as their parser left them.
#[derive(Debug)]
pub(crate) enum Rows {
    /// CSV records.
    Text(TextRows),
    /// JSON records.
    Json(Vec<JsonRow>),
    /// Cells held by column (in-memory tables): no row is ever assembled.
    Columns(Vec<Vec<Json>>),
}

/// CSV records stored flat: one string of all cells and where each cell ends, which takes far
/// less memory and time than a record object per row.
#[derive(Debug, Default)]
pub(crate) struct TextRows {
    text: String,
    ends: Vec<usize>,
    width: usize,
    lines: Vec<u64>,
}

impl TextRows {
    /// No records yet, of `width` fields each.
    pub(crate) fn new(width: usize) -> TextRows {
        TextRows {
            width,
            ..TextRows::default()
        }
    }

    /// Adds a record that starts on `line`; csv has checked it has `width` fields.
    pub(crate) fn push(&mut self, line: u64, record: &StringRecord) {
        for field in record.iter().chain(std::iter::repeat("")).take(self.width) {
            self.text.push_str(field);
            self.ends.push(self.text.len());
        }
        self.lines.push(line);
    }

    /// The number of records.
    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// The cell of `row` in `column`.
    pub(crate) fn get(&self, row: usize, column: usize) -> Option<&str> {
        if column >= self.width {
            return None;
        }
        let index = row.checked_mul(self.width)?.checked_add(column)?;
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// The line `row` starts on.
    pub(crate) fn line(&self, row: usize) -> Option<u64> {
        self.lines.get(row).copied()
    }
}

/// One JSON record: cells indexed by column; a record may be shorter than the table.
#[derive(Debug)]
pub(crate) struct JsonRow {
    /// The line, known for JSON Lines.
    pub(crate) line: Option<u64>,
    /// One cell per column seen so far; absent keys are `Json::Null`.
    pub(crate) cells: Vec<Json>,
}

/// One unconverted cell.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'t> {
    /// CSV text, untrimmed.
    Text(&'t str),
    /// A JSON value.
    Json(&'t Json),
}

impl Table<'_> {
    /// The number of records.
    pub(crate) fn len(&self) -> usize {
        match &self.rows {
            Rows::Text(rows) => rows.len(),
            Rows::Json(rows) => rows.len(),
            Rows::Columns(columns) => columns.first().map_or(0, Vec::len),
        }
    }

    /// The position of the column called `name`.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The cell of `row` in `column` (empty or null if absent).
    pub(crate) fn cell(&self, row: usize, column: usize) -> Cell<'_> {
        match &self.rows {
            Rows::Text(rows) => Cell::Text(rows.get(row, column).unwrap_or("")),
            Rows::Json(rows) => Cell::Json(
                rows.get(row)
                    .and_then(|r| r.cells.get(column))
                    .unwrap_or(&NULL),
            ),
            Rows::Columns(columns) => Cell::Json(
                columns
                    .get(column)
                    .and_then(|c| c.get(row))
                    .unwrap_or(&NULL),
            ),
        }
    }

    /// The 1-based line `row` starts on, if known.
    pub(crate) fn line(&self, row: usize) -> Option<u64> {
        match &self.rows {
            Rows::Text(rows) => rows.line(row),
            Rows::Json(rows) => rows.get(row).and_then(|r| r.line).or_else(|| {
                self.json_array
                    .and_then(|text| json::element_line(text, row))
            }),
            Rows::Columns(_) => None,
        }
    }

    /// `#<index>` for a record without a line of its own to name it by.
    pub(crate) fn label(&self, row: usize) -> Option<String> {
        self.indexed.then(|| format!("#{row}"))
    }
}
