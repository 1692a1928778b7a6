//! Customers and managers from columns a caller already holds in memory with their types
//! (Arrow tables, DataFrames, lists of dicts), through the same checks as files: ids and their
//! duplicates, the structural columns, and strict conversion to each column's type.

use std::sync::Arc;

use rayon::prelude::*;

use super::LoadOptions;
use super::json::Json;
use super::records;
use super::table::{Rows, Table};
use crate::date::Date;
use crate::error::{InputError, Location};
use crate::model::{Customers, Managers, ValueType};

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

impl Datum {
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
}

/// A named column: its cells, and the type its source declares (`None` to infer one, as for
/// JSON). A type in [`LoadOptions::types`] wins over the declared one.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The declared type.
    pub value_type: Option<ValueType>,
    /// One cell per record, in record order.
    pub cells: Vec<Datum>,
}

/// Customers from columns; `source` names the input in errors (e.g. `customers (DataFrame)`).
pub fn customers_from_columns(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Customers, InputError> {
    let (table, options) = table(source, columns, options)?;
    records::customers(&table, &options)
}

/// Managers from columns: `capacity` is required, `target` and `segment_caps` (text such as
/// `HNW=30;SME=20`, or a map of counts) optional.
pub fn managers_from_columns(
    source: &str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<Managers, InputError> {
    let (table, options) = table(source, columns, options)?;
    records::managers(&table, &options)
}

/// The columns as a table of rows, and the options with the declared types added.
fn table<'a>(
    source: &'a str,
    columns: Vec<Column>,
    options: &LoadOptions,
) -> Result<(Table<'a>, LoadOptions), InputError> {
    let mut options = options.clone();
    let rows = columns.first().map_or(0, |c| c.cells.len());
    let mut names = Vec::with_capacity(columns.len());
    for column in &columns {
        if names.contains(&column.name) {
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
        if let Some(value_type) = column.value_type {
            options
                .types
                .entry(column.name.clone())
                .or_insert(value_type);
        }
        names.push(column.name.clone());
    }
    // Each column converts on its own, so in parallel; rows are never assembled.
    let cells = columns
        .into_par_iter()
        .map(|column| column.cells.into_iter().map(Datum::into_json).collect())
        .collect();
    let table = Table {
        source,
        columns: names,
        rows: Rows::Columns(cells),
        declared: true,
        json_array: None,
        indexed: true,
    };
    Ok((table, options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RecordKind;
    use crate::model::Value;

    fn column(name: &str, value_type: Option<ValueType>, cells: Vec<Datum>) -> Column {
        Column {
            name: name.to_owned(),
            value_type,
            cells,
        }
    }

    fn text(value: &str) -> Datum {
        Datum::Str(Arc::from(value))
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
    fn missing_ids_name_the_row() {
        let error = customers_from_columns(
            "customers",
            vec![column("id", None, vec![text("C-1"), Datum::Null])],
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
