//! Loading customers and managers from CSV, JSON or JSON Lines (or from typed columns already
//! in memory, see [`customers_from_columns`]) into typed tables.
//!
//! Every input row becomes a record or an error: nothing is dropped or silently turned into
//! text. Column types are inferred from all of a column's values unless overridden, so a stray
//! `nan` in a numeric column is an error rather than a string column. One rule types text
//! wherever it comes from (a CSV file, JSON strings, a DataFrame's text columns), so the same
//! values mean the same thing on every path: [`infer_text`]. Errors name the source,
//! line, record id and column, never an attribute value.

mod capacity;
mod columns;
mod csv;
mod infer;
mod intern;
mod json;
mod plan;
mod records;
mod table;

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::InputError;
use crate::model::{Book, Customers, Managers, Schema, Value, ValueType};
use crate::org::ManagerGroup;
use crate::scores::PairScore;
use crate::suggest;
use crate::tickets::Tickets;

use table::Table;

pub use infer::{MAX_CELL_BYTES, infer_text};
pub use plan::{parse_plan, read_plan};

pub use columns::{
    BlockSource, Cells, Column, Datum, MAX_NESTING, customers_from_columns, groups_from_columns,
    managers_from_columns, scores_from_columns, tickets_from_columns,
};

/// `text` read as a value of `value_type` exactly as a cell of a CSV column of that type
/// (`a;b` as a list, `2024-01-31` as a date; blank as `Null`); `None` when it is not one. For
/// single values arriving outside a table, such as a lead's fields typed like its book.
pub fn value_from_text(text: &str, value_type: ValueType) -> Option<Value> {
    let separator = LoadOptions::default().list_separator;
    infer::from_text(text, value_type, separator).ok()
}

/// An input format; files are told apart by extension so a CLI user never has to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects (or, if the file starts with `{`, JSON Lines).
    Json,
    /// One JSON object per line; blank lines are allowed.
    JsonLines,
}

impl Format {
    /// The format of `path` by extension (`.csv`, `.json`, `.jsonl`/`.ndjson`, any case), so
    /// loading needs nothing but the file name.
    pub fn from_path(path: &Path) -> Result<Format, InputError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            _ => Err(InputError::UnknownFormat {
                source_name: path.display().to_string(),
            }),
        }
    }
}

/// How to read an input: which columns are structural, and types to use instead of inferring.
///
/// Cells are trimmed; a blank cell (or JSON `null`, empty string or missing key) is `Null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// The column holding each record's id (default `id`); it is not an attribute.
    pub id_column: String,
    /// The customers' column naming their current manager (default `manager`); blank means
    /// none. Not an attribute, and a manager id that does not exist is not an error here
    /// ([`crate::Book::orphans`] reports it).
    pub manager_column: String,
    /// Column types that win over inference, for columns whose values mislead it (postcodes
    /// that look like integers). An entry applies to whichever input has the column, so one
    /// set of options serves both customers and managers; [`LoadOptions::check_types`] finds
    /// an entry that names no column at all.
    pub types: BTreeMap<String, ValueType>,
    /// What separates list items and segment caps in CSV text (default `;`).
    pub list_separator: char,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            id_column: "id".to_owned(),
            manager_column: "manager".to_owned(),
            types: BTreeMap::new(),
            list_separator: ';',
        }
    }
}

impl LoadOptions {
    /// Fails on a type given for a column none of `inputs` (each named, as `customers`) has,
    /// attribute or structural: a misspelt name would otherwise be ignored, and its column
    /// read with the type inferred. The error suggests the nearest column there is.
    pub fn check_types(&self, inputs: &[(&str, &Schema)]) -> Result<(), InputError> {
        let structural = [
            self.id_column.as_str(),
            self.manager_column.as_str(),
            records::CAPACITY,
            records::TARGET,
            records::SEGMENT_CAPS,
        ];
        let columns = || {
            let attributes = inputs.iter().flat_map(|(_, schema)| schema.fields());
            attributes
                .map(|field| field.name.as_str())
                .chain(structural)
        };
        let Some(column) = self
            .types
            .keys()
            .find(|name| !columns().any(|c| c == *name))
        else {
            return Ok(());
        };
        let names: Vec<&str> = inputs.iter().map(|(name, _)| *name).collect();
        Err(InputError::UnknownTypeColumn {
            column: column.clone(),
            inputs: format!("the {}", names.join(" and the ")),
            suggestion: suggest::nearest(column, columns()),
        })
    }
}

impl Book {
    /// Reads a book from its customers' and managers' files (CSV, JSON or JSON Lines, told by
    /// extension) with one set of options, and checks that every type they give names a
    /// column of one of the two ([`LoadOptions::check_types`]).
    ///
    /// ```
    /// # fn main() -> apportion::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("apportion-book-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("customers.csv"), "id,manager,products\nC-1,M-1,savings;card\n")?;
    /// std::fs::write(dir.join("managers.csv"), "id,capacity\nM-1,10\n")?;
    /// let options = apportion::load::LoadOptions::default();
    /// let book = apportion::Book::read(dir.join("customers.csv"), dir.join("managers.csv"), &options)?;
    /// assert_eq!((book.customers.records.len(), book.managers.records.len()), (1, 1));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn read(
        customers: impl AsRef<Path>,
        managers: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<Book, InputError> {
        let book = Book::new(
            read_customers(customers.as_ref(), options)?,
            read_managers(managers.as_ref(), options)?,
        );
        book.check_types(options)?;
        Ok(book)
    }
}

/// Reads customers from a file, its format told by extension; errors name the path as given.
pub fn read_customers(path: &Path, options: &LoadOptions) -> Result<Customers, InputError> {
    let (bytes, format, source) = read_file(path)?;
    parse_customers(&bytes, format, &source, options)
}

/// Reads managers from a file, its format told by extension; errors name the path as given.
pub fn read_managers(path: &Path, options: &LoadOptions) -> Result<Managers, InputError> {
    let (bytes, format, source) = read_file(path)?;
    parse_managers(&bytes, format, &source, options)
}

/// Reads tickets from a file as customers are read (an `id` column; the rest are attributes,
/// a `customer` column naming each ticket's customer); errors name the path as given.
pub fn read_tickets(path: &Path, options: &LoadOptions) -> Result<Tickets, InputError> {
    let (bytes, format, source) = read_file(path)?;
    parse_tickets(&bytes, format, &source, options)
}

/// Parses tickets from bytes already in memory, as [`read_tickets`] reads a file.
pub fn parse_tickets(
    bytes: &[u8],
    format: Format,
    source_name: &str,
    options: &LoadOptions,
) -> Result<Tickets, InputError> {
    let options = ticket_options(options);
    records::tickets(&read_table(bytes, format, source_name, &options)?, &options)
}

/// `options` for tickets: the `customer` column holds customer ids, which are text even when
/// they look like numbers (`007`), unless a type is given for it.
pub(crate) fn ticket_options(options: &LoadOptions) -> LoadOptions {
    let mut options = options.clone();
    options
        .types
        .entry(crate::tickets::CUSTOMER.to_owned())
        .or_insert(ValueType::Str);
    options
}

/// Reads groups of managers from a file, its format told by extension: the columns `id`,
/// `parent` (blank for a root), and optionally `capacity` and `target`. Place managers in
/// them with [`Book::with_groups`](crate::Book::with_groups).
pub fn read_groups(path: &Path, options: &LoadOptions) -> Result<Vec<ManagerGroup>, InputError> {
    let (bytes, format, source) = read_file(path)?;
    parse_groups(&bytes, format, &source, options)
}

/// Parses groups of managers from bytes already in memory, as [`read_groups`] reads a file.
pub fn parse_groups(
    bytes: &[u8],
    format: Format,
    source_name: &str,
    options: &LoadOptions,
) -> Result<Vec<ManagerGroup>, InputError> {
    records::groups(
        &read_table(bytes, format, source_name, options)?,
        options.list_separator,
    )
}

/// Reads model scores from a file, its format told by extension: the columns `customer`,
/// `manager` and `score`, one row per scored pair. Join them to a book with
/// [`Book::with_scores`](crate::Book::with_scores).
pub fn read_scores(path: &Path, options: &LoadOptions) -> Result<Vec<PairScore>, InputError> {
    let (bytes, format, source) = read_file(path)?;
    parse_scores(&bytes, format, &source, options)
}

/// Parses model scores from bytes already in memory, as [`read_scores`] reads a file.
pub fn parse_scores(
    bytes: &[u8],
    format: Format,
    source_name: &str,
    options: &LoadOptions,
) -> Result<Vec<PairScore>, InputError> {
    records::scores(
        &read_table(bytes, format, source_name, options)?,
        options.list_separator,
    )
}

/// Parses customers from bytes already in memory (tests, bindings); `source_name` is what
/// errors call the input.
pub fn parse_customers(
    bytes: &[u8],
    format: Format,
    source_name: &str,
    options: &LoadOptions,
) -> Result<Customers, InputError> {
    records::customers(&read_table(bytes, format, source_name, options)?, options)
}

/// Parses managers from bytes already in memory: `capacity` is required, `target`,
/// `segment_caps` and `segment_targets` optional; none of them are attributes.
pub fn parse_managers(
    bytes: &[u8],
    format: Format,
    source_name: &str,
    options: &LoadOptions,
) -> Result<Managers, InputError> {
    records::managers(&read_table(bytes, format, source_name, options)?, options)
}

/// Parses customers in the columns and types of `schema` (leads arriving for an existing
/// book): each value is read as its book column's type, then the records are
/// [`conform`]ed to the book.
pub fn parse_customers_like(
    bytes: &[u8],
    format: Format,
    source_name: &str,
    schema: &Schema,
    options: &LoadOptions,
) -> Result<Customers, InputError> {
    let parsed = parse_customers(bytes, format, source_name, &typed_like(schema, options))?;
    conform(parsed, schema, source_name)
}

/// `options` with every column of `schema` read as its type there.
pub fn typed_like(schema: &Schema, options: &LoadOptions) -> LoadOptions {
    let mut options = options.clone();
    options.types.extend(
        schema
            .fields()
            .iter()
            .map(|f| (f.name.clone(), f.value_type)),
    );
    options
}

/// Customers rearranged into the columns of `schema`: a column they lack is null, and a
/// column the book does not have is an error (nothing is silently dropped). Read them with
/// [`typed_like`] so their values already have the book's types.
pub fn conform(
    customers: Customers,
    schema: &Schema,
    source_name: &str,
) -> Result<Customers, InputError> {
    let records = rearranged(
        customers.records,
        &customers.schema,
        schema,
        source_name,
        |c| &mut c.attributes,
    )?;
    Ok(Customers {
        schema: schema.clone(),
        records,
    })
}

/// Managers rearranged into the columns of `schema`, as [`conform`] does for customers (a
/// manager joining a live book).
pub fn conform_managers(
    managers: Managers,
    schema: &Schema,
    source_name: &str,
) -> Result<Managers, InputError> {
    let records = rearranged(
        managers.records,
        &managers.schema,
        schema,
        source_name,
        |m| &mut m.attributes,
    )?;
    Ok(Managers {
        schema: schema.clone(),
        records,
    })
}

/// `records`, read in the columns of `read`, with their attributes rearranged into the
/// columns of `schema`: a column they lack is null, one `schema` lacks is an error.
fn rearranged<R>(
    mut records: Vec<R>,
    read: &Schema,
    schema: &Schema,
    source_name: &str,
    attributes: impl Fn(&mut R) -> &mut Vec<Value>,
) -> Result<Vec<R>, InputError> {
    let positions = positions_in(read, schema, source_name)?;
    for record in &mut records {
        let values = attributes(record);
        let mut taken: Vec<Option<Value>> = std::mem::take(values).into_iter().map(Some).collect();
        *values = positions
            .iter()
            .map(|p| {
                p.and_then(|p| taken.get_mut(p)?.take())
                    .unwrap_or(Value::Null)
            })
            .collect();
    }
    Ok(records)
}

/// Where each column of `schema` is in `read`, failing on a column of `read` that `schema`
/// does not have.
fn positions_in(
    read: &Schema,
    schema: &Schema,
    source_name: &str,
) -> Result<Vec<Option<usize>>, InputError> {
    if let Some(extra) = read
        .fields()
        .iter()
        .find(|f| schema.position(&f.name).is_none())
    {
        return Err(InputError::UnknownColumn {
            source_name: source_name.to_owned(),
            column: extra.name.clone(),
        });
    }
    Ok(schema
        .fields()
        .iter()
        .map(|f| read.position(&f.name))
        .collect())
}

fn read_file(path: &Path) -> Result<(Vec<u8>, Format, String), InputError> {
    let format = Format::from_path(path)?;
    let source = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((bytes, format, source)),
        Err(error) => Err(InputError::Io {
            source_name: source,
            message: error.to_string(),
        }),
    }
}

fn read_table<'a>(
    bytes: &'a [u8],
    format: Format,
    source: &'a str,
    options: &LoadOptions,
) -> Result<Table<'a>, InputError> {
    // An empty file has no header, so not even the id column.
    let content = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if content.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::MissingColumn {
            source_name: source.to_owned(),
            column: options.id_column.clone(),
        });
    }
    match format {
        Format::Csv => csv::read(bytes, source),
        Format::Json => json::read(bytes, source),
        Format::JsonLines => json::read_lines(bytes, source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_extensions() {
        let format = |name: &str| Format::from_path(Path::new(name));
        assert_eq!(format("a/b.csv"), Ok(Format::Csv));
        assert_eq!(format("B.CSV"), Ok(Format::Csv));
        assert_eq!(format("b.json"), Ok(Format::Json));
        assert_eq!(format("b.jsonl"), Ok(Format::JsonLines));
        assert_eq!(format("b.ndjson"), Ok(Format::JsonLines));
        for name in ["b.txt", "b", "csv", "b.csv.gz"] {
            let error = format(name).unwrap_err();
            assert_eq!(error.code(), "unknown_format");
            assert!(
                matches!(error, InputError::UnknownFormat { source_name } if source_name == name)
            );
        }
    }

    #[test]
    fn default_options() {
        let options = LoadOptions::default();
        assert_eq!(
            (options.id_column.as_str(), options.manager_column.as_str()),
            ("id", "manager")
        );
        assert_eq!(options.list_separator, ';');
        assert!(options.types.is_empty());
    }

    #[test]
    fn blank_input_is_missing_its_id_column() {
        for format in [Format::Csv, Format::Json, Format::JsonLines] {
            for bytes in [&b""[..], b"  \n\r\n", b"\xEF\xBB\xBF"] {
                let error =
                    parse_customers(bytes, format, "in", &LoadOptions::default()).unwrap_err();
                assert!(
                    matches!(&error, InputError::MissingColumn { column, source_name } if column == "id" && source_name == "in"),
                    "{format:?} {error:?}"
                );
            }
        }
    }

    #[test]
    fn missing_files_are_io_errors_naming_the_path() {
        let error =
            read_customers(Path::new("/nonexistent/c.csv"), &LoadOptions::default()).unwrap_err();
        assert_eq!(error.code(), "io_error");
        assert!(
            matches!(error, InputError::Io { source_name, .. } if source_name == "/nonexistent/c.csv")
        );
        let error =
            read_managers(Path::new("/nonexistent/m.xlsx"), &LoadOptions::default()).unwrap_err();
        assert_eq!(error.code(), "unknown_format");
    }
}
