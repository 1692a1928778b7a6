//! Customers and managers from columns a caller already holds in memory with their types
//! (Arrow tables, DataFrames, lists of dicts), through the same checks as files: ids and their
//! duplicates, the structural columns, and strict conversion to each column's type.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::LoadOptions;
use super::infer::{self, Problem};
use super::intern::Interner;
use super::json::Json;
use super::records;
use super::table::{Cell, Rows, Table};
use crate::date::Date;
use crate::error::{InputError, Location};
use crate::model::{Customers, Field, Managers, Schema, Value, ValueType};
use crate::org::ManagerGroup;
use crate::scores::PairScore;
use crate::tickets::Tickets;

/// One cell of an in-memory column.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// A missing value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float; NaN and infinities are rejected like in files.
    Float(f64),
    /// Text.
    Str(Arc<str>),
    /// A date.
    Date(Date),
    /// A list of strings.
    List(Vec<Arc<str>>),
    /// Key-value pairs, such as a manager's segment caps.
    Map(Vec<(String, Datum)>),
}

/// How deeply mappings may nest in a cell. Only segment caps take a mapping (of counts), so a
/// deeper cell is always an error: it is reported, as an invalid value, before anything walks
/// the cell, and every walk over a cell (conversion, cloning, dropping) stays this shallow
/// whatever the input. (serde_json's own limit keeps a JSON file's cells shallower still.)
pub const MAX_NESTING: usize = 64;

impl Datum {
    /// Whether mappings nest more than `limit` deep in this cell, found without recursion.
    fn nests_deeper_than(&self, limit: usize) -> bool {
        let mut stack = vec![(self, 0)];
        while let Some((datum, depth)) = stack.pop() {
            if let Datum::Map(entries) = datum {
                if depth == limit {
                    return true;
                }
                stack.extend(entries.iter().map(|(_, value)| (value, depth + 1)));
            }
        }
        false
    }

    /// Drops this cell a level at a time: dropping a deeply nested cell as the compiler does
    /// would recurse once per level.
    fn dismantle(self) {
        let mut stack = vec![self];
        while let Some(datum) = stack.pop() {
            if let Datum::Map(entries) = datum {
                stack.extend(entries.into_iter().map(|(_, value)| value));
            }
        }
    }

    fn into_json(self) -> Json {
        match self {
            Datum::Null => Json::Null,
            Datum::Bool(v) => Json::Bool(v),
            Datum::Int(v) => Json::Int(v),
            Datum::Float(v) => Json::Float(v),
            Datum::Str(v) => Json::Str(v),
            Datum::Date(v) => Json::Str(Arc::from(v.to_string())),
            Datum::List(items) => Json::Array(items.into_iter().map(Json::Str).collect()),
            Datum::Map(entries) => Json::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.into_boxed_str(), value.into_json()))
                    .collect(),
            ),
        }
    }

    /// The value this cell holds as it stands, unchecked; a mapping holds none and is given
    /// back.
    #[inline]
    pub fn into_value(self) -> Result<Value, Datum> {
        Ok(match self {
            Datum::Null => Value::Null,
            Datum::Bool(v) => Value::Bool(v),
            Datum::Int(v) => Value::Int(v),
            Datum::Float(v) => Value::Float(v),
            Datum::Str(v) => Value::Str(v),
            Datum::Date(v) => Value::Date(v),
            Datum::List(items) => Value::List(items.into()),
            map @ Datum::Map(_) => return Err(map),
        })
    }
}

impl From<Value> for Datum {
    fn from(value: Value) -> Datum {
        match value {
            Value::Null => Datum::Null,
            Value::Int(v) => Datum::Int(v),
            Value::Float(v) => Datum::Float(v),
            Value::Bool(v) => Datum::Bool(v),
            Value::Date(v) => Datum::Date(v),
            Value::Str(v) => Datum::Str(v),
            Value::List(items) => Datum::List(items.to_vec()),
        }
    }
}

/// A named column: its cells, and the type its source declares (`None` to infer one: a column
/// of text alone as a CSV column is, see [`infer_text`](super::infer_text), any other as for
/// JSON). A type in [`LoadOptions::types`] wins over the declared one.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The declared type.
    pub value_type: Option<ValueType>,
    /// One cell per record, in record order.
    pub cells: Cells,
}

/// A column's cells, one per record.
#[derive(Debug, Clone)]
pub enum Cells {
    /// Cells as read, converted to the column's type while loading.
    Data(Vec<Datum>),
    /// Values a typed source (an Arrow array) already holds in the declared type. They are
    /// checked where they are, not copied; a column with a value that is not ready as it is
    /// (blank or untrimmed text, a non-finite float, another type given) is converted as data.
    Values(Vec<Value>),
    /// `len` values of the declared type that a source reads a block of rows at a time straight
    /// into the records being built, so that no column of values is made first. Checked as
    /// [`Cells::Values`] are, and converted from the source's cells when not ready.
    Blocks {
        /// How many rows the source has.
        len: usize,
        /// Where the values come from.
        source: Arc<dyn BlockSource>,
    },
}

/// A typed column read in blocks of rows (an Arrow array read in place).
pub trait BlockSource: Send + Sync + fmt::Debug {
    /// Pushes the value of each row of `rows`, in the column's declared type, onto the record
    /// of that row: `records` holds one record per row of `rows`, in order.
    fn push_rows(&self, rows: Range<usize>, records: &mut [Vec<Value>]);

    /// Every cell as it comes, for a column converted rather than taken as it stands.
    fn cells(&self) -> Vec<Datum>;
}

impl PartialEq for Cells {
    /// Cells are equal when they hold equal cells, or are the same source.
    fn eq(&self, other: &Cells) -> bool {
        match (self, other) {
            (Cells::Data(a), Cells::Data(b)) => a == b,
            (Cells::Values(a), Cells::Values(b)) => a == b,
            (Cells::Blocks { len, source }, Cells::Blocks { len: l, source: s }) => {
                len == l && Arc::ptr_eq(source, s)
            }
            _ => false,
        }
    }
}

impl Cells {
    /// How many cells.
    pub fn len(&self) -> usize {
        match self {
            Cells::Data(cells) => cells.len(),
            Cells::Values(values) => values.len(),
            Cells::Blocks { len, .. } => *len,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn into_data(self) -> Vec<Datum> {
        match self {
            Cells::Data(cells) => cells,
            Cells::Values(values) => values.into_iter().map(Datum::from).collect(),
            Cells::Blocks { source, .. } => source.cells(),
        }
    }
}

impl From<Vec<Datum>> for Cells {
    fn from(cells: Vec<Datum>) -> Cells {
        Cells::Data(cells)
    }
}

/// Customers from columns; `source` names the input in errors (e.g. `customers (DataFrame)`).
pub fn customers_from_columns(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Customers, InputError> {
    let structural = [options.id_column.as_str(), options.manager_column.as_str()];
    from_columns(source, columns, options, &structural, records::customers)
}

/// Managers from columns: `capacity` is required, `target` and `segment_caps` (text such as
/// `HNW=30;SME=20`, or a map of counts) optional.
pub fn managers_from_columns(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Managers, InputError> {
    let structural = [
        options.id_column.as_str(),
        records::CAPACITY,
        records::TARGET,
        records::SEGMENT_CAPS,
        records::SEGMENT_TARGETS,
    ];
    from_columns(source, columns, options, &structural, records::managers)
}

/// Tickets from columns, read as customers are; `customer` is an attribute like the others.
pub fn tickets_from_columns(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Tickets, InputError> {
    let options = &super::ticket_options(options);
    let structural = [options.id_column.as_str()];
    from_columns(source, columns, options, &structural, records::tickets)
}

/// Groups of managers from columns, as [`read_groups`](super::read_groups) reads a file.
pub fn groups_from_columns(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Vec<ManagerGroup>, InputError> {
    let columns = check_nesting(source, columns, options)?;
    check_shape(source, &columns)?;
    let declared = !columns.is_empty();
    let (table, _) = table(source, columns, options, declared)?;
    records::groups(&table, options.list_separator)
}

/// Model scores from columns, as [`read_scores`](super::read_scores) reads a file.
pub fn scores_from_columns(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Vec<PairScore>, InputError> {
    let columns = check_nesting(source, columns, options)?;
    check_shape(source, &columns)?;
    let declared = !columns.is_empty();
    let (table, _) = table(source, columns, options, declared)?;
    records::scores(&table, options.list_separator)
}

/// Customers, managers or tickets: records whose attributes come in a column at a time.
trait Records {
    fn ids(&self) -> Vec<&str>;
    fn attach(&mut self, schema: Schema, values: Vec<Vec<Value>>);
}

impl Records for Customers {
    fn ids(&self) -> Vec<&str> {
        self.records.iter().map(|c| c.id.as_str()).collect()
    }

    fn attach(&mut self, schema: Schema, values: Vec<Vec<Value>>) {
        for (record, values) in self.records.iter_mut().zip(values) {
            record.attributes = values;
        }
        self.schema = schema;
    }
}

impl Records for Managers {
    fn ids(&self) -> Vec<&str> {
        self.records.iter().map(|m| m.id.as_str()).collect()
    }

    fn attach(&mut self, schema: Schema, values: Vec<Vec<Value>>) {
        for (record, values) in self.records.iter_mut().zip(values) {
            record.attributes = values;
        }
        self.schema = schema;
    }
}

impl Records for Tickets {
    fn ids(&self) -> Vec<&str> {
        self.records.iter().map(|t| t.id.as_str()).collect()
    }

    fn attach(&mut self, schema: Schema, values: Vec<Vec<Value>>) {
        for (record, values) in self.records.iter_mut().zip(values) {
            record.attributes = values;
        }
        self.schema = schema;
    }
}

/// The structural columns go through the same path as a file's (ids, capacities, caps); the
/// attribute columns convert straight to values, each column on its own thread, while the
/// structural ones are read. A bad structural cell is reported before a bad attribute.
fn from_columns<R: Records + Send>(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
    structural: &[&str],
    read: fn(&Table<'_>, &LoadOptions) -> Result<R, InputError>,
) -> Result<R, InputError> {
    // First: any other error would drop the columns, deep cells and all, by recursion.
    let columns = check_nesting(source, columns, options)?;
    check_shape(source, &columns)?;
    let rows = columns.first().map_or(0, |c| c.cells.len());
    // No columns at all (an empty list of dicts) is no records, as an empty JSON array is;
    // columns without rows still have to be the right ones.
    let declared = !columns.is_empty();
    let (structural, attributes): (Vec<Column>, Vec<Column>) = columns
        .into_iter()
        .partition(|c| structural.contains(&c.name.as_str()));
    let (records, attributes) = rayon::join(
        || {
            let (table, table_options) = table(source, structural, options, declared)?;
            read(&table, &table_options)
        },
        || attribute_values(attributes, rows, options),
    );
    let mut records = records?;
    match attributes {
        Ok((schema, values)) => records.attach(schema, values),
        Err(BadCell {
            row,
            column,
            value_type,
            problem,
        }) => {
            let ids = records.ids();
            let at = Location::in_source(source)
                .in_record(ids.get(row).copied().unwrap_or_default())
                .in_column(column.as_str());
            return Err(problem.at(at, value_type));
        }
    }
    Ok(records)
}

/// Unique names and equal lengths.
fn check_shape(source: &str, columns: &[Column]) -> Result<(), InputError> {
    let rows = columns.first().map_or(0, |c| c.cells.len());
    let mut names = std::collections::HashSet::new();
    for column in columns {
        if !names.insert(column.name.as_str()) {
            return Err(InputError::DuplicateColumn {
                source_name: source.to_owned(),
                column: column.name.clone(),
            });
        }
        if column.cells.len() != rows {
            return Err(InputError::Malformed {
                at: Location::in_source(source).in_column(column.name.as_str()),
                message: format!(
                    "the column has {} values but the first column has {rows}",
                    column.cells.len()
                ),
            });
        }
    }
    Ok(())
}

/// No cell nests mappings more than [`MAX_NESTING`] deep; otherwise the error names the first
/// such cell (in row order, then column order) and the columns are dropped without recursion.
fn check_nesting(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Vec<Column>, InputError> {
    let too_deep = |cell: &Datum| cell.nests_deeper_than(MAX_NESTING);
    let first = columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| match &column.cells {
            Cells::Data(cells) => Some((cells.iter().position(too_deep)?, index)),
            Cells::Values(_) | Cells::Blocks { .. } => None,
        })
        .min();
    let Some((row, index)) = first else {
        return Ok(columns);
    };
    let mut at = Location::in_source(source);
    let id = columns
        .iter()
        .find(|c| c.name == options.id_column)
        .and_then(|c| match &c.cells {
            Cells::Data(cells) => match cells.get(row) {
                Some(Datum::Str(id)) => Some(Arc::clone(id)),
                _ => None,
            },
            Cells::Values(values) => match values.get(row) {
                Some(Value::Str(id)) => Some(Arc::clone(id)),
                _ => None,
            },
            Cells::Blocks { .. } => None,
        });
    at = match id.filter(|id| !id.trim().is_empty()) {
        Some(id) => at.in_record(id.trim()),
        None => at.in_record(format!("#{row}")),
    };
    at = at.in_column(columns[index].name.as_str());
    for column in columns {
        if let Cells::Data(cells) = column.cells {
            cells.into_iter().for_each(Datum::dismantle);
        }
    }
    Err(InputError::NestedTooDeep {
        at,
        limit: MAX_NESTING,
    })
}

/// A column's values, or the row of its first bad cell and what is wrong with it.
type ColumnValues = Result<Vec<Value>, (usize, Problem)>;

/// The first cell of an attribute column that is not of its type; the error names the record
/// once the ids are read.
struct BadCell {
    row: usize,
    column: String,
    value_type: ValueType,
    problem: Problem,
}

/// An attribute column on its way into the records.
enum Attribute {
    /// Converted as a whole first: its values, or the row of its first bad cell.
    Converted(ColumnValues),
    /// Read a block of rows at a time straight into the records; `not_ready` is set when a
    /// value read is not ready as it stands, and the column is then converted from its cells.
    Read {
        source: Arc<dyn BlockSource>,
        not_ready: AtomicBool,
    },
}

/// The attribute columns as values of their types, handed out per record (`values[row]`).
/// Columns convert in parallel, then blocks of rows are put together in parallel, reading the
/// columns that come in blocks as they go. Of several bad cells, the first in row order is
/// reported (then in column order), as when reading a file.
fn attribute_values(
    columns: Vec<Column>,
    rows: usize,
    options: &LoadOptions,
) -> Result<(Schema, Vec<Vec<Value>>), BadCell> {
    let (fields, mut attributes): (Vec<Field>, Vec<Attribute>) = columns
        .into_par_iter()
        .map(|column| attribute(column, options))
        .collect::<Vec<_>>()
        .into_iter()
        .unzip();
    // With a bad cell already found, no records are made, and every column read in blocks is
    // converted from its cells so that the first bad cell of all is the one reported.
    let failed = attributes
        .iter()
        .any(|attribute| matches!(attribute, Attribute::Converted(Err(_))));
    let mut values = if failed {
        Vec::new()
    } else {
        records_of(&mut attributes, &fields, rows)
    };
    let outcomes: Vec<Option<ColumnValues>> = attributes
        .into_par_iter()
        .zip(&fields)
        .map(|(attribute, field)| match attribute {
            Attribute::Converted(Ok(_)) => None,
            Attribute::Converted(Err(bad)) => Some(Err(bad)),
            Attribute::Read { source, not_ready } => {
                (failed || not_ready.into_inner()).then(|| {
                    let column = Column {
                        name: field.name.clone(),
                        value_type: Some(field.value_type),
                        cells: Cells::Data(source.cells()),
                    };
                    convert_column(column, options).1
                })
            }
        })
        .collect();
    let mut first_error: Option<BadCell> = None;
    let mut reread = Vec::new();
    for ((index, field), outcome) in fields.iter().enumerate().zip(outcomes) {
        match outcome {
            Some(Ok(column)) => reread.push((index, column)),
            Some(Err((row, problem)))
                if first_error.as_ref().is_none_or(|first| row < first.row) =>
            {
                first_error = Some(BadCell {
                    row,
                    column: field.name.clone(),
                    value_type: field.value_type,
                    problem,
                });
            }
            Some(Err(_)) | None => {}
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }
    // Columns read in blocks but then converted from their cells replace what was read.
    for (index, column) in reread {
        for (record, value) in values.iter_mut().zip(column) {
            if let Some(slot) = record.get_mut(index) {
                *slot = value;
            }
        }
    }
    // Names were checked to be unique.
    let schema = Schema::new(fields).unwrap_or_default();
    Ok((schema, values))
}

/// A column converted first, or read in blocks: a source whose declared type stands (no
/// other type given) is read in blocks.
fn attribute(column: Column, options: &LoadOptions) -> (Field, Attribute) {
    let given = options.types.get(&column.name).copied();
    match (column.cells, column.value_type) {
        (Cells::Blocks { source, .. }, Some(declared))
            if given.is_none_or(|given| given == declared) =>
        {
            let field = Field {
                name: column.name,
                value_type: declared,
            };
            let not_ready = AtomicBool::new(false);
            (field, Attribute::Read { source, not_ready })
        }
        (cells, value_type) => {
            let column = Column {
                name: column.name,
                value_type,
                cells,
            };
            let (field, values) = convert_column(column, options);
            (field, Attribute::Converted(values))
        }
    }
}

/// Rows put together into records per block of rows.
const RECORD_BLOCK: usize = 4096;

/// One column's share of a block of rows.
enum Part<'a> {
    /// Converted values, each moved into its record.
    Moved(&'a mut [Value]),
    /// A source to read the block's rows from, the column's type and its not-ready flag.
    Read(&'a dyn BlockSource, ValueType, &'a AtomicBool),
}

/// The records, one `Vec` per row in column order, made a block of rows at a time in
/// parallel: converted values are moved (not cloned), sources are read for the block's rows.
fn records_of(attributes: &mut [Attribute], fields: &[Field], rows: usize) -> Vec<Vec<Value>> {
    let blocks = rows.div_ceil(RECORD_BLOCK);
    let mut parts: Vec<Vec<Part<'_>>> = (0..blocks)
        .map(|_| Vec::with_capacity(attributes.len()))
        .collect();
    for (attribute, field) in attributes.iter_mut().zip(fields) {
        match attribute {
            Attribute::Converted(Ok(values)) => {
                let mut rest: &mut [Value] = values;
                for block in &mut parts {
                    let (part, after) = rest.split_at_mut(rest.len().min(RECORD_BLOCK));
                    block.push(Part::Moved(part));
                    rest = after;
                }
            }
            // Not reached: records are made only when no converted column has a bad cell.
            Attribute::Converted(Err(_)) => {
                for block in &mut parts {
                    block.push(Part::Moved(&mut []));
                }
            }
            Attribute::Read { source, not_ready } => {
                for block in &mut parts {
                    block.push(Part::Read(&**source, field.value_type, not_ready));
                }
            }
        }
    }
    let per_block: Vec<Vec<Vec<Value>>> = parts
        .into_par_iter()
        .enumerate()
        .map(|(block, parts)| {
            let start = block * RECORD_BLOCK;
            let len = (rows - start).min(RECORD_BLOCK);
            let mut records: Vec<Vec<Value>> =
                (0..len).map(|_| Vec::with_capacity(parts.len())).collect();
            for (index, part) in parts.into_iter().enumerate() {
                match part {
                    Part::Moved(values) => {
                        for (row, record) in records.iter_mut().enumerate() {
                            let value = values
                                .get_mut(row)
                                .map_or(Value::Null, |v| std::mem::replace(v, Value::Null));
                            record.push(value);
                        }
                    }
                    Part::Read(source, value_type, not_ready) => {
                        source.push_rows(start..start + len, &mut records);
                        // One value per record, ready as it stands; else the column is
                        // converted from its cells, and those values replace these.
                        let mut ready_here = true;
                        for record in &mut records {
                            if record.len() != index + 1 {
                                record.resize(index + 1, Value::Null);
                                ready_here = false;
                            } else if !record.last().is_some_and(|v| ready(v, value_type)) {
                                ready_here = false;
                            }
                        }
                        if !ready_here {
                            not_ready.store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
            records
        })
        .collect();
    per_block.into_iter().flatten().collect()
}

/// One column as values of its type: the type given in the options, else the declared one
/// (both read strictly), else one inferred as for JSON (a column of text alone as in a CSV
/// file).
fn convert_column(column: Column, options: &LoadOptions) -> (Field, ColumnValues) {
    let given = options
        .types
        .get(&column.name)
        .copied()
        .or(column.value_type);
    let field = |value_type| Field {
        name: column.name.clone(),
        value_type,
    };
    let cells = match (column.cells, given) {
        (Cells::Values(values), Some(value_type))
            if values.iter().all(|value| ready(value, value_type)) =>
        {
            return (field(value_type), Ok(values));
        }
        (cells, _) => cells.into_data(),
    };
    let (value_type, overridden) = match given {
        Some(value_type) => (value_type, true),
        None => {
            let json: Vec<Json> = cells.iter().cloned().map(Datum::into_json).collect();
            infer::infer_values(json.iter(), options.list_separator)
        }
    };
    let separator = options.list_separator;
    let mut values = Vec::with_capacity(cells.len());
    let mut failure = None;
    // Text converted to a list (`a;b`) repeats as often as the text does: each distinct text
    // is converted once and its list shared, as when reading a file. (Text kept as text is
    // already shared by the caller.)
    let mut shared = Interner::new(value_type);
    for (row, datum) in cells.into_iter().enumerate() {
        let outcome = match &datum {
            Datum::Str(text) if value_type != ValueType::Str => {
                let text = Arc::clone(text);
                shared.share(text, || value(datum, value_type, overridden, separator))
            }
            _ => value(datum, value_type, overridden, separator),
        };
        match outcome {
            Ok(value) => values.push(value),
            Err(problem) => {
                failure = Some((row, problem));
                break;
            }
        }
    }
    (field(value_type), failure.map_or(Ok(values), Err))
}

/// Whether `value` is already what [`value`] makes of its cell as `value_type`.
fn ready(value: &Value, value_type: ValueType) -> bool {
    use ValueType as T;
    match (value, value_type) {
        (Value::Null, _)
        | (Value::Int(_), T::Int)
        | (Value::Bool(_), T::Bool)
        | (Value::Date(_), T::Date) => true,
        // A list is kept as it is when not too large (else the conversion reports it).
        (Value::List(items), T::List) => {
            items.iter().map(|item| item.len()).sum::<usize>() <= infer::MAX_CELL_BYTES
        }
        (Value::Float(v), T::Float) => v.is_finite(),
        // Text is kept as it is when not blank, not too large and without surrounding spaces.
        (Value::Str(text), T::Str) => {
            !text.is_empty()
                && text.len() <= infer::MAX_CELL_BYTES
                && text.trim().len() == text.len()
        }
        _ => false,
    }
}

/// A cell as `value_type`: a value ready as it stands directly, the rest as a JSON cell would
/// be read.
fn value(
    datum: Datum,
    value_type: ValueType,
    overridden: bool,
    separator: char,
) -> Result<Value, Problem> {
    let datum = match datum.into_value() {
        Ok(value) if ready(&value, value_type) => return Ok(value),
        Ok(value) => Datum::from(value),
        Err(map) => map,
    };
    let json = datum.into_json();
    infer::convert(Cell::Json(&json), value_type, overridden, separator)
}

/// The structural columns as a table, and the options with their declared types added;
/// `declared`: the input had columns (so the structural ones are required).
fn table<'a>(
    source: &'a str,
    columns: Vec<Column>,
    options: &LoadOptions,
    declared: bool,
) -> Result<(Table<'a>, LoadOptions), InputError> {
    let mut options = options.clone();
    let mut names = Vec::with_capacity(columns.len());
    let mut cells = Vec::with_capacity(columns.len());
    for column in columns {
        if let Some(value_type) = column.value_type {
            options
                .types
                .entry(column.name.clone())
                .or_insert(value_type);
        }
        names.push(column.name);
        cells.push(
            column
                .cells
                .into_data()
                .into_iter()
                .map(Datum::into_json)
                .collect(),
        );
    }
    let table = Table {
        source,
        columns: names,
        rows: Rows::Columns(cells),
        declared,
        json_array: None,
        indexed: true,
    };
    Ok((table, options))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::error::RecordKind;
    use crate::model::Value;

    #[test]
    fn records_are_regrouped_in_row_order_across_blocks() {
        let rows = RECORD_BLOCK * 2 + 5;
        let ints: Vec<Value> = (0..rows as i64).map(Value::Int).collect();
        let texts: Vec<Value> = (0..rows)
            .map(|row| Value::Str(format!("t{row}").into()))
            .collect();
        let fields = [
            Field {
                name: "n".to_owned(),
                value_type: ValueType::Int,
            },
            Field {
                name: "t".to_owned(),
                value_type: ValueType::Str,
            },
        ];
        let mut attributes = [
            Attribute::Converted(Ok(ints)),
            Attribute::Converted(Ok(texts)),
        ];
        let records = records_of(&mut attributes, &fields, rows);
        assert_eq!(records.len(), rows);
        for (row, record) in records.iter().enumerate() {
            assert_eq!(
                record,
                &[Value::Int(row as i64), Value::Str(format!("t{row}").into())]
            );
        }
        // Without attribute columns every record is empty.
        assert_eq!(records_of(&mut [], &[], 3), vec![Vec::<Value>::new(); 3]);
    }

    fn column(name: &str, value_type: Option<ValueType>, cells: Vec<Datum>) -> Column {
        Column {
            name: name.to_owned(),
            value_type,
            cells: cells.into(),
        }
    }

    fn text(value: &str) -> Datum {
        Datum::Str(Arc::from(value))
    }

    /// Customers `C-1` and `C-2` with one attribute column `a`.
    fn customers_c1_c2(
        declared: Option<ValueType>,
        cells: Cells,
        options: &LoadOptions,
    ) -> Result<Customers, InputError> {
        let a = Column {
            name: "a".to_owned(),
            value_type: declared,
            cells,
        };
        let ids = column("id", None, vec![text("C-1"), text("C-2")]);
        customers_from_columns("customers", vec![ids, a], options)
    }

    #[test]
    fn typed_columns_become_customers() {
        let date = Date::from_ymd(2026, 6, 30).unwrap();
        let customers = customers_from_columns(
            "customers (DataFrame)",
            vec![
                column("id", Some(ValueType::Str), vec![text("C-1"), text("C-2")]),
                column(
                    "manager",
                    Some(ValueType::Str),
                    vec![text("M-1"), Datum::Null],
                ),
                column(
                    "assets",
                    Some(ValueType::Int),
                    vec![Datum::Int(5), Datum::Null],
                ),
                column(
                    "opened",
                    Some(ValueType::Date),
                    vec![Datum::Date(date), Datum::Null],
                ),
                column(
                    "products",
                    Some(ValueType::List),
                    vec![Datum::List(vec![Arc::from("loan")]), Datum::List(vec![])],
                ),
            ],
            &LoadOptions::default(),
        )
        .unwrap();
        let names: Vec<_> = customers.schema.fields().iter().map(|f| &f.name).collect();
        assert_eq!(names, ["assets", "opened", "products"]);
        assert_eq!(
            customers.records[0].manager.as_ref().unwrap().as_str(),
            "M-1"
        );
        assert_eq!(customers.records[1].manager, None);
        assert_eq!(customers.value(0, "opened"), Some(&Value::Date(date)));
        assert_eq!(customers.value(1, "assets"), Some(&Value::Null));
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_record_and_column() {
        let error = customers_from_columns(
            "customers",
            vec![
                column("id", None, vec![text("C-1"), text("C-2")]),
                column(
                    "assets",
                    Some(ValueType::Int),
                    vec![Datum::Int(1), text("lots")],
                ),
            ],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(error.code(), "invalid_value");
        let message = error.to_string();
        assert!(
            message.contains("`C-2`") && message.contains("`assets`"),
            "{message}"
        );
    }

    #[test]
    fn typed_values_load_as_their_cells_would() {
        // Ready values are kept; blank or padded text, a NaN, or another type given in the
        // options make the column go the way of cells: the outcome must be the same.
        let cases: Vec<(Option<ValueType>, Vec<Value>)> = vec![
            (Some(ValueType::Int), vec![Value::Int(5), Value::Null]),
            (
                Some(ValueType::Str),
                vec![Value::Str("a".into()), Value::Null],
            ),
            (
                Some(ValueType::Str),
                vec![Value::Str(" a ".into()), Value::Str("".into())],
            ),
            (
                Some(ValueType::Str),
                vec![Value::Str("x;y".into()), Value::Str("z".into())],
            ),
            (
                Some(ValueType::Float),
                vec![Value::Float(1.5), Value::Float(f64::NAN)],
            ),
            (
                Some(ValueType::List),
                vec![Value::List(vec![Arc::from("a")].into()), Value::Null],
            ),
            (
                Some(ValueType::Int),
                vec![Value::Str("lots".into()), Value::Int(1)],
            ),
            (None, vec![Value::Int(1), Value::Float(2.5)]),
        ];
        for given in [None, Some(ValueType::List)] {
            let mut options = LoadOptions::default();
            if let Some(value_type) = given {
                options.types.insert("a".to_owned(), value_type);
            }
            for (declared, values) in &cases {
                let load = |cells: Cells| {
                    customers_c1_c2(*declared, cells, &options).map_err(|e| e.to_string())
                };
                let data = values.iter().cloned().map(Datum::from).collect();
                let expected = load(Cells::Data(data));
                let case = format!("{declared:?} {values:?} given {given:?}");
                assert_eq!(load(Cells::Values(values.clone())), expected, "{case}");
                assert_eq!(load(in_blocks(values.clone(), None)), expected, "{case}");
            }
        }
    }

    /// A source of values read in blocks, which can be made to leave out one row; it counts
    /// how often it is read whole.
    #[derive(Debug)]
    struct Source {
        values: Vec<Value>,
        leave_out: Option<usize>,
        read_whole: AtomicUsize,
    }

    impl BlockSource for Source {
        fn push_rows(&self, rows: Range<usize>, records: &mut [Vec<Value>]) {
            let values = rows.filter(|row| Some(*row) != self.leave_out);
            for (value, record) in values.map(|row| self.values[row].clone()).zip(records) {
                record.push(value);
            }
        }

        fn cells(&self) -> Vec<Datum> {
            self.read_whole.fetch_add(1, Ordering::Relaxed);
            self.values.iter().cloned().map(Datum::from).collect()
        }
    }

    fn source(values: Vec<Value>, leave_out: Option<usize>) -> Arc<Source> {
        Arc::new(Source {
            values,
            leave_out,
            read_whole: Default::default(),
        })
    }

    fn in_blocks(values: Vec<Value>, leave_out: Option<usize>) -> Cells {
        let len = values.len();
        let source = source(values, leave_out);
        Cells::Blocks { len, source }
    }

    #[test]
    fn a_source_is_read_whole_only_when_a_block_falls_short() {
        // Reading whole is the fallback that keeps a short or unready block from losing or
        // shifting values; a source read as it should be never pays for it.
        let values = vec![Value::Int(5), Value::Null];
        for (leave_out, reads) in [(None, 0), (Some(1), 1)] {
            let ints = source(values.clone(), leave_out);
            let cells = Cells::Blocks {
                len: 2,
                source: Arc::clone(&ints) as Arc<dyn BlockSource>,
            };
            let customers =
                customers_c1_c2(Some(ValueType::Int), cells, &LoadOptions::default()).unwrap();
            assert_eq!(customers.value(0, "a"), Some(&Value::Int(5)));
            assert_eq!(customers.value(1, "a"), Some(&Value::Null));
            assert_eq!(
                ints.read_whole.load(Ordering::Relaxed),
                reads,
                "{leave_out:?}"
            );
        }
    }

    fn many(rows: usize, f: impl Fn(usize) -> String) -> Vec<Value> {
        (0..rows).map(|row| Value::Str(f(row).into())).collect()
    }

    #[test]
    fn columns_read_in_blocks_fill_records_in_order_between_converted_ones() {
        // Three blocks of rows; `products` is text made a list (converted first), between
        // columns read in blocks. One source leaves out a row: its column is then read again
        // from its cells, and no value is lost or shifted.
        let rows = RECORD_BLOCK * 2 + 5;
        let mut options = LoadOptions::default();
        options.types.insert("products".to_owned(), ValueType::List);
        for leave_out in [None, Some(3), Some(RECORD_BLOCK + 7)] {
            let ids = many(rows, |row| format!("C-{row}"));
            let kinds = many(rows, |row| ["retail", "sme"][row % 2].to_owned());
            let products = many(rows, |row| format!("p{row};q"));
            let amounts: Vec<Value> = (0..rows as i64).map(Value::Int).collect();
            let column = |name: &str, value_type, cells| Column {
                name: name.to_owned(),
                value_type: Some(value_type),
                cells,
            };
            let customers = customers_from_columns(
                "customers",
                vec![
                    column("id", ValueType::Str, in_blocks(ids, None)),
                    column("kind", ValueType::Str, in_blocks(kinds, leave_out)),
                    column("products", ValueType::Str, in_blocks(products, None)),
                    column("amount", ValueType::Int, in_blocks(amounts, None)),
                ],
                &options,
            )
            .unwrap();
            assert_eq!(customers.records.len(), rows);
            for (row, customer) in customers.records.iter().enumerate() {
                assert_eq!(customer.id.as_str(), format!("C-{row}"));
                let list: Arc<[Arc<str>]> = vec![Arc::from(format!("p{row}")), "q".into()].into();
                assert_eq!(
                    customer.attributes,
                    [
                        Value::Str(["retail", "sme"][row % 2].into()),
                        Value::List(list),
                        Value::Int(row as i64),
                    ],
                    "row {row}, leaving out {leave_out:?}"
                );
            }
        }
    }

    #[test]
    fn the_first_bad_cell_is_found_across_columns_read_in_blocks_and_converted() {
        // A NaN read in blocks at row 9000 and text that is no integer at row 9500 in a
        // converted column: the NaN, first in row order, is reported, and then the text alone.
        let rows = RECORD_BLOCK * 3;
        let ids = many(rows, |row| format!("C-{row}"));
        let mut floats: Vec<Value> = (0..rows).map(|row| Value::Float(row as f64)).collect();
        let mut ints: Vec<Datum> = (0..rows as i64).map(Datum::Int).collect();
        ints[9500] = text("lots");
        let load = |floats: Vec<Value>| {
            customers_from_columns(
                "customers",
                vec![
                    Column {
                        name: "id".to_owned(),
                        value_type: Some(ValueType::Str),
                        cells: in_blocks(ids.clone(), None),
                    },
                    column("n", Some(ValueType::Int), ints.clone()),
                    Column {
                        name: "x".to_owned(),
                        value_type: Some(ValueType::Float),
                        cells: in_blocks(floats, None),
                    },
                ],
                &LoadOptions::default(),
            )
            .unwrap_err()
        };
        floats[9000] = Value::Float(f64::NAN);
        let error = load(floats.clone());
        assert_eq!(error.code(), "non_finite_number");
        assert!(error.to_string().contains("C-9000"), "{error}");
        floats[9000] = Value::Float(1.0);
        let error = load(floats);
        assert_eq!(error.code(), "invalid_value");
        assert!(error.to_string().contains("C-9500"), "{error}");
    }

    #[test]
    fn text_and_floats_not_ready_as_they_stand_are_read_as_in_files() {
        // Padded text is trimmed, blank text is missing and a NaN is refused, whether the
        // column comes as values, as cells or read in blocks.
        let load = |declared, cells: Cells| {
            customers_c1_c2(Some(declared), cells, &LoadOptions::default())
        };
        let padded = vec![Value::Str(" a ".into()), Value::Str("".into())];
        let nan = vec![Value::Float(1.5), Value::Float(f64::NAN)];
        for cells in [
            Cells::Values(padded.clone()),
            Cells::Data(padded.iter().cloned().map(Datum::from).collect()),
            in_blocks(padded.clone(), None),
        ] {
            let customers = load(ValueType::Str, cells).unwrap();
            assert_eq!(customers.value(0, "a"), Some(&Value::Str("a".into())));
            assert_eq!(customers.value(1, "a"), Some(&Value::Null));
        }
        for cells in [
            Cells::Values(nan.clone()),
            Cells::Data(nan.iter().cloned().map(Datum::from).collect()),
            in_blocks(nan.clone(), None),
        ] {
            let error = load(ValueType::Float, cells).unwrap_err();
            assert_eq!(error.code(), "non_finite_number", "{error}");
            assert!(error.to_string().contains("`C-2`"), "{error}");
        }
    }

    #[test]
    fn every_cell_is_held_to_the_size_limit_structural_or_typed() {
        let huge = "x".repeat(infer::MAX_CELL_BYTES + 1);
        let half = "y".repeat(infer::MAX_CELL_BYTES / 2 + 1);
        let options = LoadOptions::default();
        let too_large = |error: InputError, column: &str| {
            assert_eq!(error.code(), "cell_too_large", "{error}");
            assert!(
                error.to_string().contains(&format!("column `{column}`")),
                "{error}"
            );
            assert!(!error.to_string().contains("xxxx"), "{error}");
        };
        let id = column("id", None, vec![text("C-1"), text(&huge)]);
        too_large(
            customers_from_columns("customers", vec![id], &options).unwrap_err(),
            "id",
        );
        let ids = column("id", None, vec![text("C-1"), text("C-2")]);
        let manager = column("manager", None, vec![text("M-1"), text(&huge)]);
        too_large(
            customers_from_columns("customers", vec![ids.clone(), manager], &options).unwrap_err(),
            "manager",
        );
        // A typed list is taken as it stands only within the limit, its items counted together.
        let list = Value::List(vec![Arc::from(half.as_str()), Arc::from(half.as_str())].into());
        let tags = Column {
            name: "tags".to_owned(),
            value_type: Some(ValueType::List),
            cells: Cells::Values(vec![Value::Null, list]),
        };
        too_large(
            customers_from_columns("customers", vec![ids, tags], &options).unwrap_err(),
            "tags",
        );
        for (name, cell) in [("capacity", text(&huge)), ("segment_caps", text(&huge))] {
            let mut columns = vec![
                column("id", None, vec![text("M-1")]),
                column("capacity", None, vec![Datum::Int(3)]),
            ];
            columns.retain(|c| c.name != name);
            columns.push(column(name, None, vec![cell]));
            too_large(
                managers_from_columns("managers", columns, &options).unwrap_err(),
                name,
            );
        }
    }

    #[test]
    fn a_bad_id_is_reported_before_a_bad_attribute_read_beside_it() {
        let error = customers_from_columns(
            "customers",
            vec![
                column("id", None, vec![text("C-1"), text("C-2"), Datum::Null]),
                column(
                    "assets",
                    Some(ValueType::Int),
                    vec![text("lots"), Datum::Int(2), Datum::Int(3)],
                ),
            ],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(error.code(), "empty_id", "{error}");
    }

    #[test]
    fn ids_and_managers_held_as_text_are_trimmed_and_shared() {
        // Trimmed text is kept as it is held (customers of one manager share its id); padded
        // text is trimmed (blank text is a missing id: see below).
        let manager: Arc<str> = Arc::from("M-1");
        let customers = customers_from_columns(
            "customers",
            vec![
                column("id", None, vec![text("C-1"), text(" C-2 ")]),
                column(
                    "manager",
                    None,
                    vec![Datum::Str(Arc::clone(&manager)), text(" M-1")],
                ),
            ],
            &LoadOptions::default(),
        )
        .unwrap();
        let ids: Vec<&str> = customers.records.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["C-1", "C-2"]);
        let managers: Vec<&Arc<str>> = customers
            .records
            .iter()
            .map(|c| &c.manager.as_ref().unwrap().0)
            .collect();
        assert!(Arc::ptr_eq(managers[0], &manager));
        assert_eq!(&**managers[1], "M-1");
    }

    #[test]
    fn missing_ids_name_the_row() {
        // A null id and blank text are both missing ids.
        for missing in [Datum::Null, text("  ")] {
            let error = customers_from_columns(
                "customers",
                vec![column("id", None, vec![text("C-1"), missing])],
                &LoadOptions::default(),
            )
            .unwrap_err();
            assert!(matches!(
                error,
                InputError::EmptyId {
                    kind: RecordKind::Customer,
                    ..
                }
            ));
            assert!(error.to_string().contains("#1"), "{error}");
        }
    }

    /// A cell of mappings `depth` deep, built without recursion.
    fn nested(depth: usize) -> Datum {
        let mut cell = Datum::Int(1);
        for _ in 0..depth {
            cell = Datum::Map(vec![("a".to_owned(), cell)]);
        }
        cell
    }

    #[test]
    fn cells_nested_deeper_than_the_limit_are_invalid_values_at_any_depth() {
        // Deep enough to overflow the stack were the cell converted, cloned or dropped by
        // recursion: the error comes from a walk that does not recurse.
        for depth in [MAX_NESTING + 1, 100_000] {
            let error = customers_from_columns(
                "customers",
                vec![
                    column("id", None, vec![text("C-1"), text("C-2")]),
                    column("x", None, vec![Datum::Int(1), nested(depth)]),
                ],
                &LoadOptions::default(),
            )
            .unwrap_err();
            assert_eq!(error.code(), "invalid_value");
            assert_eq!(
                error.to_string(),
                format!(
                    "invalid value at `customers`, record `C-2`, column `x`: mappings nested \
                     more than {MAX_NESTING} deep"
                )
            );
            let error = managers_from_columns(
                "managers",
                vec![
                    column("id", None, vec![Datum::Null]),
                    column("capacity", None, vec![Datum::Int(40)]),
                    column("segment_caps", None, vec![nested(depth)]),
                ],
                &LoadOptions::default(),
            )
            .unwrap_err();
            assert_eq!(error.code(), "invalid_value");
            assert!(
                error
                    .to_string()
                    .contains("record `#0`, column `segment_caps`")
            );
        }
        // At the limit, a cell is read as before: a mapping is no attribute value.
        let error = customers_from_columns(
            "customers",
            vec![
                column("id", None, vec![text("C-1")]),
                column("x", None, vec![nested(MAX_NESTING)]),
            ],
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(error, InputError::InvalidValue { .. }), "{error}");
    }

    #[test]
    fn managers_take_caps_as_maps() {
        let managers = managers_from_columns(
            "managers",
            vec![
                column("id", None, vec![text("M-1")]),
                column("capacity", None, vec![Datum::Int(40)]),
                column(
                    "segment_caps",
                    None,
                    vec![Datum::Map(vec![("HNW".to_owned(), Datum::Int(5))])],
                ),
            ],
            &LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(managers.records[0].capacity, 40);
        assert_eq!(managers.records[0].segment_caps.get("HNW"), Some(&5));
    }

    #[test]
    fn ragged_and_duplicate_columns_are_errors() {
        let ragged = customers_from_columns(
            "customers",
            vec![
                column("id", None, vec![text("C-1")]),
                column("assets", None, vec![]),
            ],
            &LoadOptions::default(),
        );
        assert_eq!(ragged.unwrap_err().code(), "malformed_input");
        let duplicate = customers_from_columns(
            "customers",
            vec![
                column("id", None, vec![text("C-1")]),
                column("id", None, vec![text("C-2")]),
            ],
            &LoadOptions::default(),
        );
        assert_eq!(duplicate.unwrap_err().code(), "duplicate_column");
    }
}
