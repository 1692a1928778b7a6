//! Column types and cell conversion. A column's type comes from all its values (or an override),
//! then every cell is converted to it; a cell that does not fit is an error, never a silent
//! string, so `nan` in a numeric column is caught rather than turned into text.

use std::sync::Arc;

use super::json::Json;
use super::table::{Cell, NULL, Rows, Table};
use crate::date::Date;
use crate::error::{InputError, Location};
use crate::model::{Value, ValueType};

/// Why a cell could not be converted to its column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The value does not have the column's type (or overflows it).
    Invalid,
    /// The value is NaN or infinite.
    NonFinite,
    /// The cell holds more than [`MAX_CELL_BYTES`].
    TooLarge,
}

/// Bytes one cell may hold. A customer attribute is a tier, an amount or a note, never a
/// document; a larger cell is a broken export, and refusing it keeps memory per record bounded.
pub const MAX_CELL_BYTES: usize = 1 << 20;

impl Problem {
    /// The input error for this problem with a cell at `at` of a column of `value_type`.
    pub(crate) fn at(self, at: Location, value_type: ValueType) -> InputError {
        match self {
            Problem::Invalid => InputError::InvalidValue {
                at,
                expected: value_type,
            },
            Problem::NonFinite => InputError::NonFinite { at },
            Problem::TooLarge => InputError::CellTooLarge {
                at,
                limit: MAX_CELL_BYTES,
            },
        }
    }
}

/// A cell checked to hold at most [`MAX_CELL_BYTES`]: every cell read, structural (ids,
/// managers, capacities) or not, goes through here.
pub(crate) fn check_size(cell: Cell<'_>) -> Result<Cell<'_>, Problem> {
    if size(cell) > MAX_CELL_BYTES {
        return Err(Problem::TooLarge);
    }
    Ok(cell)
}

/// The bytes of text a cell holds.
fn size(cell: Cell<'_>) -> usize {
    fn json_size(json: &Json) -> usize {
        match json {
            Json::Str(text) => text.len(),
            Json::Array(items) => items.iter().map(json_size).sum(),
            _ => 0,
        }
    }
    match cell {
        Cell::Text(text) => text.len(),
        Cell::Json(json) => json_size(json),
    }
}

/// The type of `column`, from all its non-empty values, and whether its JSON strings are to
/// be read as text of that type (see [`infer_values`]).
pub(crate) fn infer(table: &Table<'_>, column: usize, separator: char) -> (ValueType, bool) {
    match &table.rows {
        Rows::Text(rows) => (
            infer_text(
                (0..rows.len()).map(|row| rows.get(row, column).unwrap_or("")),
                separator,
            ),
            false,
        ),
        Rows::Json(rows) => infer_values(
            rows.iter()
                .map(|row| row.cells.get(column).unwrap_or(&NULL)),
            separator,
        ),
        Rows::Columns(columns) => {
            infer_values(columns.get(column).into_iter().flatten(), separator)
        }
    }
}

/// The type of a column of typed values (JSON, a DataFrame's cells): a column of text alone
/// is typed by its text as a CSV column is ([`infer_text`]), and its strings are then read as
/// text of that type (the `bool`); any other column by its values' kinds ([`infer_json`]).
pub(crate) fn infer_values<'a>(
    cells: impl Iterator<Item = &'a Json> + Clone,
    separator: char,
) -> (ValueType, bool) {
    if cells
        .clone()
        .all(|cell| matches!(cell, Json::Null | Json::Str(_)))
    {
        let texts = cells.filter_map(|cell| match cell {
            Json::Str(text) => Some(&**text),
            _ => None,
        });
        return (infer_text(texts, separator), true);
    }
    (infer_json(cells), false)
}

const INT: u8 = 1;
const FLOAT: u8 = 2;
const BOOL: u8 = 4;
const DATE: u8 = 8;

/// The type of a column of text, whatever it came from (a CSV file, text columns of a
/// DataFrame, strings in a list of dicts): the narrowest of int, float, bool and date that
/// every non-blank value has the shape of; else a list if any value holds the separator; else
/// a string. One rule for every input path, so the same values always mean the same thing.
pub fn infer_text<'a>(cells: impl Iterator<Item = &'a str>, separator: char) -> ValueType {
    let mut shapes = INT | FLOAT | BOOL | DATE;
    let mut any = false;
    let mut list = false;
    for cell in cells {
        let text = cell.trim();
        if text.is_empty() {
            continue;
        }
        any = true;
        if shapes & INT != 0 && !is_int_shaped(text) {
            shapes &= !INT;
        }
        if shapes & (INT | FLOAT) == FLOAT && text.parse::<f64>().is_err() {
            shapes &= !FLOAT;
        }
        if shapes & BOOL != 0 && parse_bool(text).is_none() {
            shapes &= !BOOL;
        }
        if shapes & DATE != 0 && !is_date_shaped(text) {
            shapes &= !DATE;
        }
        list = list || text.contains(separator);
        if shapes == 0 && list {
            break;
        }
    }
    let narrowest = [
        (INT, ValueType::Int),
        (FLOAT, ValueType::Float),
        (BOOL, ValueType::Bool),
        (DATE, ValueType::Date),
    ]
    .into_iter()
    .find(|&(shape, _)| any && shapes & shape != 0);
    match narrowest {
        Some((_, value_type)) => value_type,
        None if any && list => ValueType::List,
        None => ValueType::Str,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Bool,
    Str,
    List,
}

/// Typed values: the kind of the first non-null value decides (numbers: int unless any is fractional;
/// strings: date if all are dates). Values of another kind fail later, in conversion.
pub(crate) fn infer_json<'a>(cells: impl Iterator<Item = &'a Json>) -> ValueType {
    let mut column_kind = None;
    let mut all_int = true;
    let mut all_dates = true;
    for cell in cells {
        let (kind, int, date) = match cell {
            Json::Bool(_) => (Kind::Bool, true, true),
            Json::Int(_) | Json::BigInt(_) => (Kind::Number, true, true),
            Json::Float(_) => (Kind::Number, false, true),
            Json::Str(text) if !text.trim().is_empty() => {
                (Kind::Str, true, is_date_shaped(text.trim()))
            }
            Json::Array(items) if items.iter().all(|item| matches!(item, Json::Str(_))) => {
                (Kind::List, true, true)
            }
            _ => continue,
        };
        if *column_kind.get_or_insert(kind) == kind {
            all_int &= int;
            all_dates &= date;
        }
    }
    match column_kind {
        None => ValueType::Str,
        Some(Kind::Number) if all_int => ValueType::Int,
        Some(Kind::Number) => ValueType::Float,
        Some(Kind::Bool) => ValueType::Bool,
        Some(Kind::Str) if all_dates => ValueType::Date,
        Some(Kind::Str) => ValueType::Str,
        Some(Kind::List) => ValueType::List,
    }
}

/// Converts a cell to `value_type`. `overridden`: the type was given, not inferred, so JSON
/// strings are read as text of that type (`"42"` in an int column).
pub(crate) fn convert(
    cell: Cell<'_>,
    value_type: ValueType,
    overridden: bool,
    separator: char,
) -> Result<Value, Problem> {
    match check_size(cell)? {
        Cell::Text(text) => from_text(text, value_type, separator),
        Cell::Json(json) => from_json(json, value_type, overridden, separator),
    }
}

/// Text (trimmed; blank is `Null`) as `value_type`.
pub(crate) fn from_text(
    text: &str,
    value_type: ValueType,
    separator: char,
) -> Result<Value, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Value::Null);
    }
    match value_type {
        ValueType::Int => text
            .parse()
            .map(Value::Int)
            .map_err(|_| match text.parse::<f64>() {
                Ok(v) if !v.is_finite() => Problem::NonFinite,
                _ => Problem::Invalid,
            }),
        ValueType::Float => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Value::Float(v)),
            Ok(_) => Err(Problem::NonFinite),
            Err(_) => Err(Problem::Invalid),
        },
        ValueType::Bool => parse_bool(text).map(Value::Bool).ok_or(Problem::Invalid),
        ValueType::Date => text
            .parse::<Date>()
            .map(Value::Date)
            .map_err(|_| Problem::Invalid),
        ValueType::Str => Ok(Value::Str(Arc::from(text))),
        ValueType::List => Ok(Value::List(
            text.split(separator)
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(Arc::from)
                .collect(),
        )),
    }
}

fn from_json(
    json: &Json,
    value_type: ValueType,
    overridden: bool,
    separator: char,
) -> Result<Value, Problem> {
    use ValueType as T;
    match (json, value_type) {
        (Json::Null, _) => Ok(Value::Null),
        (Json::Float(v), _) if !v.is_finite() => Err(Problem::NonFinite),
        // Untrimmed text keeps its allocation.
        (Json::Str(text), T::Str) if !text.is_empty() && text.trim().len() == text.len() => {
            Ok(Value::Str(Arc::clone(text)))
        }
        (Json::Str(text), T::Str | T::Date) => from_text(text, value_type, separator),
        (Json::Str(text), _) if overridden => from_text(text, value_type, separator),
        (Json::Int(v), T::Int) => Ok(Value::Int(*v)),
        (Json::Int(v), T::Float) => Ok(Value::Float(*v as f64)),
        // As CSV text would be: a float column takes a large integer as a float.
        (Json::BigInt(digits), T::Float) => from_text(digits, value_type, separator),
        (Json::Float(v), T::Float) => Ok(Value::Float(*v)),
        (Json::Bool(v), T::Bool) => Ok(Value::Bool(*v)),
        (Json::Array(items), T::List) => items
            .iter()
            .map(|item| match item {
                Json::Str(text) => Ok(Arc::clone(text)),
                _ => Err(Problem::Invalid),
            })
            .collect::<Result<_, _>>()
            .map(Value::List),
        // An explicit string column takes numbers and booleans as their text.
        (Json::Int(_) | Json::BigInt(_) | Json::Float(_) | Json::Bool(_), T::Str) if overridden => {
            Ok(Value::Str(Arc::from(scalar_text(json).as_str())))
        }
        _ => Err(Problem::Invalid),
    }
}

/// The text of a JSON number or boolean.
pub(crate) fn scalar_text(json: &Json) -> String {
    match json {
        Json::Bool(v) => v.to_string(),
        Json::Int(v) => v.to_string(),
        Json::BigInt(digits) => digits.to_string(),
        Json::Float(v) => v.to_string(),
        Json::Null | Json::Str(_) | Json::Array(_) | Json::Object(_) => String::new(),
    }
}

/// An optional sign and at least one ASCII digit.
pub(crate) fn is_int_shaped(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD` digits and dashes (whether the day exists is checked on conversion).
fn is_date_shaped(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_type(cells: &[&str]) -> ValueType {
        infer_text(cells.iter().copied(), ';')
    }

    fn json_type(cells: &[Json]) -> ValueType {
        infer_json(cells.iter())
    }

    fn s(text: &str) -> Json {
        Json::Str(text.into())
    }

    #[test]
    fn text_columns_take_the_narrowest_type() {
        assert_eq!(text_type(&["1", "-2", "+3", "", " 4 "]), ValueType::Int);
        assert_eq!(text_type(&["1", "2.5", "1e3", ".5"]), ValueType::Float);
        assert_eq!(text_type(&["TRUE", "false", ""]), ValueType::Bool);
        assert_eq!(text_type(&["2024-01-31", "2023-02-29"]), ValueType::Date);
        assert_eq!(text_type(&["a", "b;c"]), ValueType::List);
        assert_eq!(text_type(&["a", "1"]), ValueType::Str);
        assert_eq!(text_type(&["", "  "]), ValueType::Str);
        assert_eq!(text_type(&[]), ValueType::Str);
        assert_eq!(text_type(&["1", "true"]), ValueType::Str);
    }

    #[test]
    fn nan_and_infinity_make_a_float_column_not_a_string_one() {
        for word in ["nan", "NaN", "inf", "-Infinity", "+INF"] {
            assert_eq!(text_type(&["1.5", word]), ValueType::Float, "{word}");
            assert_eq!(text_type(&[word]), ValueType::Float, "{word}");
        }
        assert_eq!(
            from_text("NaN", ValueType::Float, ';'),
            Err(Problem::NonFinite)
        );
        assert_eq!(
            from_text("-inf", ValueType::Float, ';'),
            Err(Problem::NonFinite)
        );
        assert_eq!(
            from_text("1e400", ValueType::Float, ';'),
            Err(Problem::NonFinite)
        );
        assert_eq!(
            from_text("inf", ValueType::Int, ';'),
            Err(Problem::NonFinite)
        );
    }

    #[test]
    fn text_converts_or_fails() {
        assert_eq!(from_text(" 42 ", ValueType::Int, ';'), Ok(Value::Int(42)));
        assert_eq!(from_text("", ValueType::Int, ';'), Ok(Value::Null));
        assert_eq!(from_text("   ", ValueType::Str, ';'), Ok(Value::Null));
        assert_eq!(
            from_text("9223372036854775808", ValueType::Int, ';'),
            Err(Problem::Invalid)
        );
        assert_eq!(from_text("1.5", ValueType::Int, ';'), Err(Problem::Invalid));
        assert_eq!(from_text("7", ValueType::Float, ';'), Ok(Value::Float(7.0)));
        assert_eq!(
            from_text("True", ValueType::Bool, ';'),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            from_text("yes", ValueType::Bool, ';'),
            Err(Problem::Invalid)
        );
        assert_eq!(
            from_text("2023-02-29", ValueType::Date, ';'),
            Err(Problem::Invalid)
        );
        assert_eq!(
            from_text("2024-02-29", ValueType::Date, ';'),
            Ok(Value::Date(Date::from_ymd(2024, 2, 29).unwrap()))
        );
        assert_eq!(
            from_text(" Ann ", ValueType::Str, ';'),
            Ok(Value::Str("Ann".into()))
        );
        assert_eq!(
            from_text(" a ;; b;", ValueType::List, ';'),
            Ok(Value::List(vec![Arc::from("a"), Arc::from("b")].into()))
        );
        assert_eq!(
            from_text("a|b", ValueType::List, '|'),
            Ok(Value::List(vec![Arc::from("a"), Arc::from("b")].into()))
        );
    }

    #[test]
    fn json_columns_follow_their_first_kind() {
        assert_eq!(
            json_type(&[
                Json::Null,
                Json::Int(1),
                Json::BigInt("18446744073709551616".into())
            ]),
            ValueType::Int
        );
        assert_eq!(
            json_type(&[Json::Int(1), Json::Float(1.5)]),
            ValueType::Float
        );
        assert_eq!(json_type(&[Json::Bool(true)]), ValueType::Bool);
        assert_eq!(
            json_type(&[s("2024-01-01"), s(""), Json::Null]),
            ValueType::Date
        );
        assert_eq!(json_type(&[s("2024-01-01"), s("x")]), ValueType::Str);
        assert_eq!(
            json_type(&[Json::Array(Box::new([s("a")])), Json::Array(Box::new([]))]),
            ValueType::List
        );
        assert_eq!(json_type(&[Json::Null]), ValueType::Str);
        assert_eq!(json_type(&[s("12")]), ValueType::Str);
        assert_eq!(json_type(&[Json::Int(1), s("x")]), ValueType::Int);
    }

    #[test]
    fn json_values_of_another_kind_are_invalid() {
        let no = Err(Problem::Invalid);
        assert_eq!(from_json(&s("5"), ValueType::Int, false, ';'), no);
        assert_eq!(from_json(&Json::Int(5), ValueType::Str, false, ';'), no);
        assert_eq!(
            from_json(&Json::Object(Box::new([])), ValueType::Str, true, ';'),
            no
        );
        assert_eq!(
            from_json(
                &Json::Array(Box::new([Json::Int(1)])),
                ValueType::List,
                false,
                ';'
            ),
            no
        );
        assert_eq!(
            from_json(
                &Json::BigInt("-9223372036854775809".into()),
                ValueType::Int,
                false,
                ';'
            ),
            no
        );
        assert_eq!(from_json(&Json::Float(1.0), ValueType::Int, false, ';'), no);
        assert_eq!(
            from_json(&Json::Int(3), ValueType::Float, false, ';'),
            Ok(Value::Float(3.0))
        );
        assert_eq!(
            from_json(&Json::Float(f64::NAN), ValueType::Float, false, ';'),
            Err(Problem::NonFinite)
        );
    }

    #[test]
    fn json_strings_in_overridden_columns_read_as_text() {
        assert_eq!(
            from_json(&s(" 5 "), ValueType::Int, true, ';'),
            Ok(Value::Int(5))
        );
        assert_eq!(
            from_json(&s("NaN"), ValueType::Float, true, ';'),
            Err(Problem::NonFinite)
        );
        assert_eq!(
            from_json(&s("a;b"), ValueType::List, true, ';'),
            Ok(Value::List(vec![Arc::from("a"), Arc::from("b")].into()))
        );
        assert_eq!(
            from_json(&Json::Int(7), ValueType::Str, true, ';'),
            Ok(Value::Str("7".into()))
        );
        assert_eq!(
            from_json(&Json::Bool(false), ValueType::Str, true, ';'),
            Ok(Value::Str("false".into()))
        );
        assert_eq!(
            from_json(
                &Json::Array(Box::new([s(" a "), s("")])),
                ValueType::List,
                true,
                ';'
            ),
            Ok(Value::List(vec![Arc::from(" a "), Arc::from("")].into()))
        );
    }
}
