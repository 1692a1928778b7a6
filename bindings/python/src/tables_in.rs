//! Tables from Python: anything speaking the Arrow PyCapsule stream interface (pyarrow,
//! polars, pandas, Spark), read straight from its buffers, or a list of dicts. Each column
//! keeps its declared type; a value that cannot be read is an error naming the column and row.

use std::sync::Arc;

use apportion::load::{Cells, Column, Datum, MAX_NESTING};
use apportion::{Date, Value, ValueType};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray, RecordBatch};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDict, PyList, PyTuple};
use pyo3_arrow::input::AnyRecordBatch;
use rayon::prelude::*;

use crate::errors;
use crate::in_place;
use crate::text_types;

/// A table's columns, and the producer's Arrow data that columns read in place point into.
///
/// That memory may only be released with the GIL held (pyarrow's release callbacks take it),
/// while the columns are loaded and dropped on threads without it. So `_arrow` is kept by the
/// caller, on its own thread, until the columns are loaded: the columns then never hold the
/// last reference, and dropping them never waits for the GIL.
pub(crate) struct Read {
    pub(crate) columns: Vec<Column>,
    pub(crate) _arrow: Vec<RecordBatch>,
}

/// A book's tables read from Python (customers, managers and, when given, groups and model
/// scores), with the
/// Arrow data their columns point into, kept as [`Read`] keeps it.
pub(crate) struct BookTables {
    columns: Option<BookColumns>,
    _arrow: Vec<Vec<RecordBatch>>,
}

/// The columns of a book's tables, to load on a thread without the GIL.
pub(crate) struct BookColumns {
    customers: Vec<Column>,
    managers: Vec<Column>,
    groups: Option<Vec<Column>>,
    scores: Option<Vec<Column>>,
}

impl BookTables {
    /// The tables' columns, each checked as [`read`] checks it.
    pub(crate) fn read(
        customers: &Bound<'_, PyAny>,
        managers: &Bound<'_, PyAny>,
        groups: Option<&Bound<'_, PyAny>>,
        scores: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<BookTables> {
        let (customers, managers) = (read(customers, "customers")?, read(managers, "managers")?);
        let groups = groups.map(|groups| read(groups, "groups")).transpose()?;
        let scores = scores.map(|scores| read(scores, "scores")).transpose()?;
        let mut arrow = vec![customers._arrow, managers._arrow];
        let mut keep = |table: Option<Read>| {
            table.map(|table| {
                arrow.push(table._arrow);
                table.columns
            })
        };
        let (groups, scores) = (keep(groups), keep(scores));
        Ok(BookTables {
            columns: Some(BookColumns {
                customers: customers.columns,
                managers: managers.columns,
                groups,
                scores,
            }),
            _arrow: arrow,
        })
    }

    /// The columns, taken once; these tables keep the Arrow data alive meanwhile.
    pub(crate) fn columns(&mut self) -> BookColumns {
        self.columns.take().unwrap_or(BookColumns {
            customers: Vec::new(),
            managers: Vec::new(),
            groups: None,
            scores: None,
        })
    }
}

impl BookColumns {
    /// The book of these columns, typed by `options` (whose types must each name a column of
    /// the customers or managers), its managers in their groups when groups were given, with
    /// the model's scores when they were.
    pub(crate) fn book(
        self,
        options: &apportion::load::LoadOptions,
    ) -> apportion::Result<apportion::Book> {
        let book = apportion::Book::new(
            apportion::load::customers_from_columns("customers", self.customers, options)?,
            apportion::load::managers_from_columns("managers", self.managers, options)?,
        );
        book.check_types(options)?;
        let book = match self.groups {
            None => book,
            Some(groups) => {
                let groups = apportion::load::groups_from_columns("groups", groups, options)?;
                book.with_groups(groups, "groups")?
            }
        };
        match self.scores {
            None => Ok(book),
            Some(scores) => {
                let scores = apportion::load::scores_from_columns("scores", scores, options)?;
                Ok(book.with_scores(scores, "scores")?)
            }
        }
    }
}

/// How many levels of nested types (structs, maps, lists, dictionaries) a column's type may
/// have: room for [`MAX_NESTING`] mappings, a map being a list of structs of two levels.
const MAX_TYPE_NESTING: usize = 2 * MAX_NESTING + 1;

/// The columns of `table`; `what` names it in errors ("customers", "managers").
pub(crate) fn read(table: &Bound<'_, PyAny>, what: &str) -> PyResult<Read> {
    if let Ok(rows) = table.cast::<PyList>() {
        return Ok(Read {
            columns: from_dicts(rows, what)?,
            _arrow: Vec::new(),
        });
    }
    let arrow = table.hasattr("__arrow_c_stream__")? || table.hasattr("__arrow_c_array__")?;
    if !arrow {
        return Err(errors::input(
            "unsupported_input",
            format!(
                "{what} must be a table speaking the Arrow PyCapsule interface (pyarrow, polars, \
                 pandas, Spark) or a list of dicts, not `{}`",
                table.get_type().name()?
            ),
        ));
    }
    // Importing a schema recurses once per level of nesting, and so does pyarrow inferring
    // the type of a pandas column of Python objects: a column nested thousands deep would
    // overflow the stack there, so it is turned down from the table's own schema (or those
    // objects) first.
    let too_deep = table
        .py()
        .import(pyo3::intern!(table.py(), "apportion._tables"))?
        .getattr(pyo3::intern!(table.py(), "too_deep"))?
        .call1((table, MAX_TYPE_NESTING))?;
    if let Ok(column) = too_deep.extract::<String>() {
        return Err(errors::input(
            "invalid_value",
            format!("{what}: column `{column}`: nested more than {MAX_TYPE_NESTING} levels deep"),
        ));
    }
    let (schema, batches) = arrow_batches(table, what)?;
    let declared: Vec<(String, Option<ValueType>)> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(index, field)| {
            if nests_deeper_than(field.data_type(), MAX_NESTING) {
                return Err(errors::input(
                    "invalid_value",
                    format!(
                        "{what}: column `{}`: mappings nested more than {MAX_NESTING} deep",
                        field.name()
                    ),
                ));
            }
            let mut value_type = value_type(field.data_type(), field.name(), what)?;
            if text_types::is_text(field.data_type()) {
                value_type = text_types::of_column(&batches, index).or(value_type);
            }
            Ok((field.name().clone(), value_type))
        })
        .collect::<PyResult<_>>()?;
    // Columns convert independently: in parallel, without the GIL. Of several bad columns,
    // the first in column order is reported, whatever the threads. A column whose every value
    // reads as it is (booleans, integers, floats, text) is left for the loader to read in
    // place; another of a type apportion has (dates, lists, dictionaries) is read straight
    // into values of it; the rest (all null, mappings) into cells for the loader to make out.
    let cells: Vec<PyResult<Cells>> = table.py().detach(|| {
        declared
            .par_iter()
            .enumerate()
            .map(|(index, (name, value_type))| {
                Ok(match value_type {
                    Some(_) => match in_place::cells(&batches, index) {
                        Some(cells) => cells,
                        None => Cells::Values(column_cells(&batches, index, what, name)?),
                    },
                    None => Cells::Data(column_cells(&batches, index, what, name)?),
                })
            })
            .collect()
    });
    let columns = declared
        .into_iter()
        .zip(cells)
        .map(|((name, value_type), cells)| {
            Ok(Column {
                name,
                value_type,
                cells: cells?,
            })
        })
        .collect::<PyResult<_>>()?;
    Ok(Read {
        columns,
        _arrow: batches,
    })
}

/// The cells of column `index` (named `column`), batch after batch.
fn column_cells<C: Cell>(
    batches: &[RecordBatch],
    index: usize,
    what: &str,
    column: &str,
) -> PyResult<Vec<C>> {
    let mut cells = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    let mut first_row = 0;
    for batch in batches {
        let at = Place {
            what,
            column,
            first_row,
        };
        let array = batch.columns().get(index).ok_or_else(|| at.mismatch())?;
        append(array.as_ref(), &at, &mut cells)?;
        first_row += batch.num_rows();
    }
    Ok(cells)
}

/// What a column is read into: cells as they come, or values of the column's type.
trait Cell: Clone {
    fn of(datum: Datum, at: &Place<'_>) -> PyResult<Self>;
}

impl Cell for Datum {
    #[inline]
    fn of(datum: Datum, _: &Place<'_>) -> PyResult<Datum> {
        Ok(datum)
    }
}

impl Cell for Value {
    /// Only mappings hold no value, and their columns are read as cells.
    #[inline]
    fn of(datum: Datum, at: &Place<'_>) -> PyResult<Value> {
        datum.into_value().map_err(|_| at.mismatch())
    }
}

/// The schema and record batches of an Arrow table, as its producer exports them through the
/// C stream interface: the batches point into the producer's own buffers.
fn arrow_batches(table: &Bound<'_, PyAny>, what: &str) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let reader = table
        .extract::<AnyRecordBatch>()
        .and_then(AnyRecordBatch::into_reader)
        .map_err(|error| export_failed(table, what, error))?;
    let schema = reader.schema();
    // The producer's message may quote a value: it is not repeated.
    let batches = reader
        .collect::<Result<Vec<RecordBatch>, _>>()
        .map_err(|_| {
            errors::input(
                "malformed_input",
                format!("{what}: the table's Arrow stream failed while it was read"),
            )
        })?;
    Ok((schema, batches))
}

/// The error for a table its producer could not export as Arrow data (pandas converting an
/// object column of mixed types, or an integer beyond 64 bits, through pyarrow): an input error
/// naming the column where it can be told, never the producer's own exception, whose message
/// may quote a value. An interrupt, an exit or running out of memory goes on as it is.
fn export_failed(table: &Bound<'_, PyAny>, what: &str, error: PyErr) -> PyErr {
    let py = table.py();
    if error.is_instance_of::<errors::ApportionError>(py)
        || !error.is_instance_of::<pyo3::exceptions::PyException>(py)
        || error.is_instance_of::<pyo3::exceptions::PyMemoryError>(py)
    {
        return error;
    }
    let column = py
        .import(pyo3::intern!(py, "apportion._tables"))
        .and_then(|module| module.getattr(pyo3::intern!(py, "unconvertible_column")))
        .and_then(|find| find.call1((table,)))
        .and_then(|column| column.extract::<Option<String>>())
        .ok()
        .flatten();
    let kind = error
        .get_type(py)
        .name()
        .map_or_else(|_| "an exception".to_owned(), |name| format!("`{name}`"));
    match column {
        Some(column) => errors::input(
            "invalid_value",
            format!(
                "{what}: column `{column}`: its values cannot be converted to one Arrow type \
                 (mixed types, or an integer beyond 64 bits?): the conversion raised {kind}"
            ),
        ),
        None => errors::input(
            "malformed_input",
            format!("{what}: the table could not be exported as Arrow data: it raised {kind}"),
        ),
    }
}

/// A probe for the tests: per column, the address of every Arrow buffer the reader receives
/// (all batches), so a test can check they are the producer's own memory, not copies.
#[pyfunction]
pub(crate) fn _buffer_addresses(table: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<usize>>> {
    let (schema, batches) = arrow_batches(table, "table")?;
    Ok((0..schema.fields().len())
        .map(|column| {
            batches
                .iter()
                .flat_map(|batch| batch.column(column).to_data().buffers().to_vec())
                .map(|buffer| buffer.as_ptr() as usize)
                .collect()
        })
        .collect())
}

/// A probe for the tests: the columns read in place, each with whether reading its rows
/// `block` at a time gives exactly one value per row, equal to its cell read whole. A read
/// that miscounted would not show in results: the loader would fall back to the cells.
#[pyfunction]
pub(crate) fn _read_in_blocks(
    table: &Bound<'_, PyAny>,
    block: usize,
) -> PyResult<Vec<(String, bool)>> {
    let (schema, batches) = arrow_batches(table, "table")?;
    let block = block.max(1);
    Ok(schema
        .fields()
        .iter()
        .enumerate()
        .filter_map(|(index, field)| match in_place::cells(&batches, index)? {
            Cells::Blocks { len, source } => {
                let cells = source.cells();
                let mut records = vec![Vec::new(); len];
                for start in (0..len).step_by(block) {
                    let end = (start + block).min(len);
                    source.push_rows(start..end, &mut records[start..end]);
                }
                let one_equal = |(record, cell): (Vec<Value>, &Datum)| {
                    <[Value; 1]>::try_from(record).is_ok_and(|[value]| same(&value.into(), cell))
                };
                let agrees = cells.len() == len && records.into_iter().zip(&cells).all(one_equal);
                Some((field.name().clone(), agrees))
            }
            Cells::Data(_) | Cells::Values(_) => None,
        })
        .collect())
}

/// Equal cells, a float equal to itself even when NaN.
fn same(a: &Datum, b: &Datum) -> bool {
    match (a, b) {
        (Datum::Float(a), Datum::Float(b)) => a.to_bits() == b.to_bits(),
        _ => a == b,
    }
}

/// Where values come from, for errors.
struct Place<'a> {
    what: &'a str,
    column: &'a str,
    /// The table row of the batch's first row.
    first_row: usize,
}

impl Place<'_> {
    /// The column's Arrow data is not laid out as its type says (a broken producer).
    fn mismatch(&self) -> PyErr {
        errors::input(
            "malformed_input",
            format!(
                "{}: column `{}`: the Arrow data does not match its declared type",
                self.what, self.column
            ),
        )
    }

    fn error(&self, row: usize, problem: &str) -> PyErr {
        errors::input(
            "invalid_value",
            format!(
                "{}: row {}, column `{}`: {problem}",
                self.what,
                self.first_row + row,
                self.column
            ),
        )
    }
}

/// Whether structs, maps (or dictionaries) nest more than `limit` deep in `data_type`, found
/// without recursion. Reading a column recurses once per level of them; it reads no other
/// nested type, so those are not walked.
fn nests_deeper_than(data_type: &DataType, limit: usize) -> bool {
    use DataType as D;
    let mut stack = vec![(data_type, 0)];
    while let Some((data_type, depth)) = stack.pop() {
        match data_type {
            D::Struct(_) | D::Map(..) | D::Dictionary(..) if depth == limit => return true,
            D::Dictionary(_, values) => stack.push((values, depth + 1)),
            D::Struct(fields) => {
                stack.extend(fields.iter().map(|f| (f.data_type(), depth + 1)));
            }
            D::Map(entries, _) => match entries.data_type() {
                D::Struct(fields) => {
                    stack.extend(fields.iter().map(|f| (f.data_type(), depth + 1)));
                }
                other => stack.push((other, depth + 1)),
            },
            _ => {}
        }
    }
    false
}

/// The apportion type of an Arrow type; `None` for an all-null column, an error for a type
/// apportion cannot read.
fn value_type(data_type: &DataType, column: &str, what: &str) -> PyResult<Option<ValueType>> {
    use DataType as D;
    Ok(Some(match data_type {
        D::Null => return Ok(None),
        D::Boolean => ValueType::Bool,
        D::Int8 | D::Int16 | D::Int32 | D::Int64 => ValueType::Int,
        D::UInt8 | D::UInt16 | D::UInt32 | D::UInt64 => ValueType::Int,
        D::Float32 | D::Float64 => ValueType::Float,
        D::Utf8 | D::LargeUtf8 | D::Utf8View => ValueType::Str,
        D::Date32 | D::Date64 => ValueType::Date,
        // pandas reads dates as timestamps; those at midnight are dates.
        D::Timestamp(_, None) => ValueType::Date,
        D::Dictionary(_, values) => return value_type(values, column, what),
        D::List(item) | D::LargeList(item) | D::ListView(item) | D::LargeListView(item)
            if matches!(item.data_type(), D::Utf8 | D::LargeUtf8 | D::Utf8View) =>
        {
            ValueType::List
        }
        // Mappings (segment caps) are read as they come; only structural columns take them.
        D::Struct(_) | D::Map(..) => return Ok(None),
        other => {
            return Err(errors::input(
                "unsupported_column_type",
                format!(
                    "{what}: column `{column}` has Arrow type {other}, which apportion cannot \
                     read; use integers, floats, booleans, text, dates or lists of text"
                ),
            ));
        }
    }))
}

/// Appends the cells of `array` to `cells`.
fn append<C: Cell>(array: &dyn Array, at: &Place<'_>, cells: &mut Vec<C>) -> PyResult<()> {
    use DataType as D;
    let mismatch = || at.mismatch();
    match array.data_type() {
        D::Null => {
            for _ in 0..array.len() {
                cells.push(C::of(Datum::Null, at)?);
            }
        }
        D::Boolean => {
            let values = array.as_boolean_opt().ok_or_else(mismatch)?;
            for value in values.iter() {
                cells.push(C::of(value.map_or(Datum::Null, Datum::Bool), at)?);
            }
        }
        D::Int8 => integers::<Int8Type, C>(array, at, cells)?,
        D::Int16 => integers::<Int16Type, C>(array, at, cells)?,
        D::Int32 => integers::<Int32Type, C>(array, at, cells)?,
        D::Int64 => integers::<Int64Type, C>(array, at, cells)?,
        D::UInt8 => integers::<UInt8Type, C>(array, at, cells)?,
        D::UInt16 => integers::<UInt16Type, C>(array, at, cells)?,
        D::UInt32 => integers::<UInt32Type, C>(array, at, cells)?,
        D::UInt64 => integers::<UInt64Type, C>(array, at, cells)?,
        D::Float32 => {
            let values = array
                .as_primitive_opt::<Float32Type>()
                .ok_or_else(mismatch)?;
            for value in values.iter() {
                let datum = value.map_or(Datum::Null, |v| Datum::Float(f64::from(v)));
                cells.push(C::of(datum, at)?);
            }
        }
        D::Float64 => {
            let values = array
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(mismatch)?;
            for value in values.iter() {
                cells.push(C::of(value.map_or(Datum::Null, Datum::Float), at)?);
            }
        }
        D::Utf8 | D::LargeUtf8 | D::Utf8View => {
            // Text here is a dictionary's distinct values or the fields of mappings: text
            // columns are read in place (see `in_place`), where repeated text is shared.
            for text in strings(array).ok_or_else(mismatch)? {
                cells.push(C::of(
                    text.map_or(Datum::Null, |t| Datum::Str(Arc::from(t))),
                    at,
                )?);
            }
        }
        D::Date32 => {
            let values = array
                .as_primitive_opt::<Date32Type>()
                .ok_or_else(mismatch)?;
            for (row, days) in values.iter().enumerate() {
                cells.push(C::of(date(days.map(i64::from), row, at)?, at)?);
            }
        }
        D::Date64 => {
            let values = array
                .as_primitive_opt::<Date64Type>()
                .ok_or_else(mismatch)?;
            for (row, millis) in values.iter().enumerate() {
                cells.push(C::of(
                    date(millis.map(|ms| ms.div_euclid(86_400_000)), row, at)?,
                    at,
                )?);
            }
        }
        D::Timestamp(unit, None) => {
            let (ticks, per_day) = timestamps(array, *unit).ok_or_else(mismatch)?;
            for (row, tick) in ticks.enumerate() {
                let days = match tick {
                    Some(t) if t.rem_euclid(per_day) != 0 => {
                        return Err(at.error(row, "the timestamp has a time of day: not a date"));
                    }
                    tick => tick.map(|t| t.div_euclid(per_day)),
                };
                cells.push(C::of(date(days, row, at)?, at)?);
            }
        }
        D::Dictionary(..) => {
            let dictionary = array.as_any_dictionary_opt().ok_or_else(mismatch)?;
            // Each distinct value is read once and shared by every row that has it.
            let mut values: Vec<C> = Vec::with_capacity(dictionary.values().len());
            append(dictionary.values().as_ref(), at, &mut values)?;
            for (row, key) in dictionary.normalized_keys().into_iter().enumerate() {
                cells.push(if dictionary.is_null(row) {
                    C::of(Datum::Null, at)?
                } else {
                    values.get(key).cloned().ok_or_else(mismatch)?
                });
            }
        }
        D::List(_) | D::LargeList(_) | D::ListView(_) | D::LargeListView(_) => {
            lists(array, at, cells)?
        }
        D::Struct(_) => {
            let structs = array.as_struct_opt().ok_or_else(mismatch)?;
            let mut fields = Vec::new();
            for (name, column) in structs.column_names().into_iter().zip(structs.columns()) {
                let mut values: Vec<Datum> = Vec::with_capacity(column.len());
                append(column.as_ref(), at, &mut values)?;
                fields.push((name.to_owned(), values));
            }
            for row in 0..structs.len() {
                let datum = if structs.is_null(row) {
                    Datum::Null
                } else {
                    Datum::Map(
                        fields
                            .iter()
                            .filter(|(_, values)| values[row] != Datum::Null)
                            .map(|(name, values)| (name.clone(), values[row].clone()))
                            .collect(),
                    )
                };
                cells.push(C::of(datum, at)?);
            }
        }
        D::Map(..) => {
            let maps = array.as_map_opt().ok_or_else(mismatch)?;
            let (mut keys, mut values): (Vec<Datum>, Vec<Datum>) = (Vec::new(), Vec::new());
            append(maps.keys().as_ref(), at, &mut keys)?;
            append(maps.values().as_ref(), at, &mut values)?;
            let offsets = maps.value_offsets();
            for row in 0..maps.len() {
                if maps.is_null(row) {
                    cells.push(C::of(Datum::Null, at)?);
                    continue;
                }
                let range = offsets[row] as usize..offsets[row + 1] as usize;
                let entries = range
                    .map(|i| match (&keys[i], &values[i]) {
                        (Datum::Str(key), value) => Ok((key.to_string(), value.clone())),
                        _ => Err(at.error(row, "map keys must be text")),
                    })
                    .collect::<PyResult<_>>()?;
                cells.push(C::of(Datum::Map(entries), at)?);
            }
        }
        other => {
            return Err(errors::input(
                "unsupported_column_type",
                format!(
                    "{}: column `{}` holds Arrow type {other}, which apportion cannot read",
                    at.what, at.column
                ),
            ));
        }
    }
    Ok(())
}

fn integers<T: ArrowPrimitiveType, C: Cell>(
    array: &dyn Array,
    at: &Place<'_>,
    cells: &mut Vec<C>,
) -> PyResult<()>
where
    T::Native: TryInto<i64>,
{
    let values: &PrimitiveArray<T> = array.as_primitive_opt::<T>().ok_or_else(|| at.mismatch())?;
    for (row, value) in values.iter().enumerate() {
        let datum = match value {
            None => Datum::Null,
            Some(v) => Datum::Int(
                v.try_into()
                    .map_err(|_| at.error(row, "the integer is too large for 64 bits"))?,
            ),
        };
        cells.push(C::of(datum, at)?);
    }
    Ok(())
}

/// A timestamp array's raw values, row by row.
type Ticks<'a> = Box<dyn Iterator<Item = Option<i64>> + 'a>;

/// A timestamp array's raw values, row by row, and how many of its units make a day.
fn timestamps(array: &dyn Array, unit: TimeUnit) -> Option<(Ticks<'_>, i64)> {
    Some(match unit {
        TimeUnit::Second => (
            Box::new(array.as_primitive_opt::<TimestampSecondType>()?.iter()),
            86_400,
        ),
        TimeUnit::Millisecond => (
            Box::new(array.as_primitive_opt::<TimestampMillisecondType>()?.iter()),
            86_400_000,
        ),
        TimeUnit::Microsecond => (
            Box::new(array.as_primitive_opt::<TimestampMicrosecondType>()?.iter()),
            86_400_000_000,
        ),
        TimeUnit::Nanosecond => (
            Box::new(array.as_primitive_opt::<TimestampNanosecondType>()?.iter()),
            86_400_000_000_000,
        ),
    })
}

/// The texts of a string array of any layout, row by row.
fn strings(array: &dyn Array) -> Option<Box<dyn Iterator<Item = Option<&str>> + '_>> {
    if let Some(values) = array.as_string_opt::<i32>() {
        return Some(Box::new(values.iter()));
    }
    if let Some(values) = array.as_string_opt::<i64>() {
        return Some(Box::new(values.iter()));
    }
    array
        .as_string_view_opt()
        .map(|values| Box::new(values.iter()) as Box<dyn Iterator<Item = Option<&str>>>)
}

fn date(days: Option<i64>, row: usize, at: &Place<'_>) -> PyResult<Datum> {
    match days {
        None => Ok(Datum::Null),
        Some(days) => Date::from_days_since_epoch(days)
            .map(Datum::Date)
            .ok_or_else(|| at.error(row, "the date is out of range")),
    }
}

/// Lists of text; a null item inside a list is an error, a null list is a missing value.
fn lists<C: Cell>(array: &dyn Array, at: &Place<'_>, cells: &mut Vec<C>) -> PyResult<()> {
    let rows: Vec<Option<arrow_array::ArrayRef>> = if let Some(lists) = array.as_list_opt::<i32>() {
        lists.iter().collect()
    } else if let Some(lists) = array.as_list_opt::<i64>() {
        lists.iter().collect()
    } else if let Some(lists) = array.as_list_view_opt::<i32>() {
        lists.iter().collect()
    } else if let Some(lists) = array.as_list_view_opt::<i64>() {
        lists.iter().collect()
    } else {
        return Err(at.mismatch());
    };
    for (row, list) in rows.into_iter().enumerate() {
        let Some(list) = list else {
            cells.push(C::of(Datum::Null, at)?);
            continue;
        };
        let items = strings(list.as_ref())
            .ok_or_else(|| at.error(row, "list items must be text"))?
            .map(|item| {
                item.map(Arc::from)
                    .ok_or_else(|| at.error(row, "a list item is missing (null)"))
            })
            .collect::<PyResult<_>>()?;
        cells.push(C::of(Datum::List(items), at)?);
    }
    Ok(())
}

/// Columns from a list of dicts, in order of first appearance; a key a record lacks is a
/// missing value. Types are inferred as for JSON.
fn from_dicts(rows: &Bound<'_, PyList>, what: &str) -> PyResult<Vec<Column>> {
    let mut columns: Vec<(String, Vec<Datum>)> = Vec::new();
    for (row, record) in rows.iter().enumerate() {
        let record = record.cast::<PyDict>().map_err(|_| {
            errors::input("invalid_record", format!("{what}: row {row} is not a dict"))
        })?;
        for (key, value) in record.iter() {
            let name: String = key.extract().map_err(|_| {
                errors::input(
                    "invalid_record",
                    format!("{what}: row {row} has a key that is not text"),
                )
            })?;
            let at = Place {
                what,
                column: &name,
                first_row: 0,
            };
            let datum = python_value(&value, row, &at, 0)?;
            let index = match columns.iter().position(|(known, _)| *known == name) {
                Some(index) => index,
                None => {
                    columns.push((name.clone(), Vec::with_capacity(rows.len())));
                    columns.len() - 1
                }
            };
            let cells = &mut columns[index].1;
            cells.resize(row, Datum::Null);
            cells.push(datum);
        }
    }
    Ok(columns
        .into_iter()
        .map(|(name, mut cells)| {
            cells.resize(rows.len(), Datum::Null);
            Column {
                name,
                value_type: None,
                cells: Cells::Data(cells),
            }
        })
        .collect())
}

/// A Python value as a cell; `depth` is how many mappings it is inside. Mappings nested more
/// than [`MAX_NESTING`] deep are an error, found before the recursion goes deeper.
fn python_value(
    value: &Bound<'_, PyAny>,
    row: usize,
    at: &Place<'_>,
    depth: usize,
) -> PyResult<Datum> {
    if value.is_none() {
        return Ok(Datum::Null);
    }
    // `bool` before `int`: Python's booleans are integers too.
    if let Ok(v) = value.extract::<bool>() {
        return Ok(Datum::Bool(v));
    }
    // An integer of any kind (NumPy's too: they are not `int`s) has `__index__`; no float has.
    if value.is_instance_of::<pyo3::types::PyInt>()
        || (!value.is_instance_of::<pyo3::types::PyFloat>()
            && value
                .get_type()
                .hasattr(pyo3::intern!(value.py(), "__index__"))?)
    {
        return value
            .extract::<i64>()
            .map(Datum::Int)
            .map_err(|_| at.error(row, "the integer is too large for 64 bits"));
    }
    if let Ok(v) = value.extract::<f64>() {
        return Ok(Datum::Float(v));
    }
    if let Ok(v) = value.extract::<String>() {
        return Ok(Datum::Str(Arc::from(v)));
    }
    if value.is_instance_of::<PyDateTime>() {
        return Err(at.error(row, "a datetime is not a date: pass `.date()`"));
    }
    if let Ok(date) = value.cast::<PyDate>() {
        let text: String = date.call_method0("isoformat")?.extract()?;
        return text
            .parse::<Date>()
            .map(Datum::Date)
            .map_err(|_| at.error(row, "the date is out of range"));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()?
            .map(|item| {
                item?
                    .extract::<String>()
                    .map(Arc::from)
                    .map_err(|_| at.error(row, "list items must be text"))
            })
            .collect::<PyResult<_>>()?;
        return Ok(Datum::List(items));
    }
    if let Ok(map) = value.cast::<PyDict>() {
        if depth == MAX_NESTING {
            return Err(at.error(
                row,
                &format!("mappings nested more than {MAX_NESTING} deep"),
            ));
        }
        let entries = map
            .iter()
            .map(|(key, value)| {
                let key: String = key
                    .extract()
                    .map_err(|_| at.error(row, "mapping keys must be text"))?;
                Ok((key, python_value(&value, row, at, depth + 1)?))
            })
            .collect::<PyResult<_>>()?;
        return Ok(Datum::Map(entries));
    }
    Err(at.error(
        row,
        &format!(
            "a value of type `{}` cannot be read",
            value.get_type().name()?
        ),
    ))
}
