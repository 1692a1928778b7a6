//! Results as Arrow tables: plans and profiles become record batches handed to pyarrow, which
//! the Python layer turns into the caller's flavour. Low-cardinality text (managers, reasons,
//! tiers) is dictionary-encoded, so it arrives as categoricals.

use std::sync::Arc;

use apportion::{Plan, Profile, Value};
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    StringDictionaryBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::errors;

/// A pyarrow table of `columns`, in order.
pub(crate) fn to_pyarrow<'py>(
    py: Python<'py>,
    columns: Vec<(&str, ArrayRef)>,
) -> PyResult<Bound<'py, PyAny>> {
    let batch = RecordBatch::try_from_iter(columns).map_err(|e| errors::internal(e.to_string()))?;
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}

fn text<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut builder = StringBuilder::new();
    values.for_each(|v| builder.append_option(v));
    Arc::new(builder.finish())
}

/// Text with few distinct values, dictionary-encoded.
fn categories<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut builder = StringDictionaryBuilder::<Int32Type>::new();
    values.for_each(|v| builder.append_option(v));
    Arc::new(builder.finish())
}

fn integers(values: impl Iterator<Item = i64>) -> ArrayRef {
    let mut builder = Int64Builder::new();
    values.for_each(|v| builder.append_value(v));
    Arc::new(builder.finish())
}

fn text_lists<'a>(rows: impl Iterator<Item = Vec<&'a str>>) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for items in rows {
        items
            .into_iter()
            .for_each(|item| builder.values().append_value(item));
        builder.append(true);
    }
    Arc::new(builder.finish())
}

/// The plan's tables: assignments, unassigned, loads and orphans.
pub(crate) fn plan_tables<'py>(py: Python<'py>, plan: &Plan) -> PyResult<[Bound<'py, PyAny>; 4]> {
    let a = &plan.assignments;
    let mut moved = BooleanBuilder::new();
    a.iter().for_each(|a| moved.append_value(a.moved));
    let assignments = to_pyarrow(
        py,
        vec![
            (
                "customer",
                text(a.iter().map(|a| Some(a.customer.as_str()))),
            ),
            (
                "manager",
                categories(a.iter().map(|a| Some(a.manager.as_str()))),
            ),
            (
                "previous_manager",
                categories(
                    a.iter()
                        .map(|a| a.previous_manager.as_ref().map(|m| m.as_str())),
                ),
            ),
            ("moved", Arc::new(moved.finish())),
            ("affinity", integers(a.iter().map(|a| a.affinity))),
            ("move_penalty", integers(a.iter().map(|a| a.move_penalty))),
        ],
    )?;

    let u = &plan.unassigned;
    let full_managers = |reason: &'_ apportion::UnassignedReason| -> Vec<String> {
        match reason {
            apportion::UnassignedReason::CapacityExhausted { managers, .. } => {
                managers.iter().map(|m| m.as_str().to_owned()).collect()
            }
            _ => Vec::new(),
        }
    };
    let full_segments = |reason: &apportion::UnassignedReason| -> Vec<String> {
        match reason {
            apportion::UnassignedReason::CapacityExhausted { segments, .. } => segments
                .iter()
                .map(|(m, s)| format!("{}:{s}", m.as_str()))
                .collect(),
            _ => Vec::new(),
        }
    };
    let managers: Vec<Vec<String>> = u.iter().map(|u| full_managers(&u.reason)).collect();
    let segments: Vec<Vec<String>> = u.iter().map(|u| full_segments(&u.reason)).collect();
    let message = |reason: &apportion::UnassignedReason| match reason {
        apportion::UnassignedReason::RuleError { message, .. } => Some(message.clone()),
        _ => None,
    };
    let messages: Vec<Option<String>> = u.iter().map(|u| message(&u.reason)).collect();
    let unassigned = to_pyarrow(
        py,
        vec![
            (
                "customer",
                text(u.iter().map(|u| Some(u.customer.as_str()))),
            ),
            (
                "previous_manager",
                categories(
                    u.iter()
                        .map(|u| u.previous_manager.as_ref().map(|m| m.as_str())),
                ),
            ),
            (
                "reason",
                categories(u.iter().map(|u| Some(u.reason.code()))),
            ),
            (
                "full_managers",
                text_lists(
                    managers
                        .iter()
                        .map(|m| m.iter().map(String::as_str).collect()),
                ),
            ),
            (
                "full_segments",
                text_lists(
                    segments
                        .iter()
                        .map(|s| s.iter().map(String::as_str).collect()),
                ),
            ),
            ("message", text(messages.iter().map(Option::as_deref))),
        ],
    )?;

    let l = &plan.loads;
    let mut utilisation = Float64Builder::new();
    l.iter()
        .for_each(|l| utilisation.append_value(l.utilisation));
    let segment_counts: Vec<String> = l
        .iter()
        .map(|l| {
            l.segments
                .iter()
                .map(|(s, n)| format!("{s}={n}"))
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect();
    let loads = to_pyarrow(
        py,
        vec![
            ("manager", text(l.iter().map(|l| Some(l.manager.as_str())))),
            ("load", integers(l.iter().map(|l| i64::from(l.load)))),
            (
                "capacity",
                integers(l.iter().map(|l| i64::from(l.capacity))),
            ),
            ("target", integers(l.iter().map(|l| i64::from(l.target)))),
            ("utilisation", Arc::new(utilisation.finish())),
            (
                "segments",
                text(segment_counts.iter().map(|s| Some(s.as_str()))),
            ),
        ],
    )?;

    let o = &plan.orphans;
    let orphans = to_pyarrow(
        py,
        vec![
            (
                "customer",
                text(o.iter().map(|o| Some(o.customer.as_str()))),
            ),
            (
                "former_manager",
                categories(o.iter().map(|o| Some(o.former_manager.as_str()))),
            ),
        ],
    )?;
    Ok([assignments, unassigned, loads, orphans])
}

/// The profile as a table: `id`, then one column per derived field, typed by its values.
pub(crate) fn profile_table<'py>(
    py: Python<'py>,
    profile: &Profile,
) -> PyResult<Bound<'py, PyAny>> {
    let rows = &profile.customers;
    let mut columns = vec![("id", text(rows.iter().map(|r| Some(r.id.as_str()))))];
    for (i, field) in profile.fields.iter().enumerate() {
        let values = rows.iter().map(|r| r.values.get(i).unwrap_or(&Value::Null));
        columns.push((field.as_str(), derived_column(field, values)?));
    }
    to_pyarrow(py, columns)
}

/// One derived field's values as a column of their one type; text is dictionary-encoded.
fn derived_column<'a>(
    field: &str,
    values: impl Iterator<Item = &'a Value> + Clone,
) -> PyResult<ArrayRef> {
    let mut kinds = values
        .clone()
        .filter_map(Value::value_type)
        .collect::<Vec<_>>();
    kinds.sort_by_key(|k| k.name());
    kinds.dedup();
    let kind = match kinds.as_slice() {
        [] => None,
        [kind] => Some(*kind),
        // Integers and floats together read as floats, as in every DataFrame library.
        numeric
            if numeric
                .iter()
                .all(|k| matches!(k, apportion::ValueType::Int | apportion::ValueType::Float)) =>
        {
            Some(apportion::ValueType::Float)
        }
        _ => {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            return Err(errors::input(
                "mixed_field_types",
                format!(
                    "rule `{field}` returns values of several types ({}): make it return one",
                    names.join(", ")
                ),
            ));
        }
    };
    use apportion::ValueType as T;
    Ok(match kind {
        None | Some(T::Str) => categories(values.map(|v| match v {
            Value::Str(s) => Some(&**s),
            _ => None,
        })),
        Some(T::Int) => {
            let mut builder = Int64Builder::new();
            values.for_each(|v| match v {
                Value::Int(i) => builder.append_value(*i),
                _ => builder.append_null(),
            });
            Arc::new(builder.finish())
        }
        Some(T::Float) => {
            let mut builder = Float64Builder::new();
            values.for_each(|v| match v {
                Value::Float(f) => builder.append_value(*f),
                Value::Int(i) => builder.append_value(*i as f64),
                _ => builder.append_null(),
            });
            Arc::new(builder.finish())
        }
        Some(T::Bool) => {
            let mut builder = BooleanBuilder::new();
            values.for_each(|v| match v {
                Value::Bool(b) => builder.append_value(*b),
                _ => builder.append_null(),
            });
            Arc::new(builder.finish())
        }
        Some(T::Date) => {
            let mut builder = Date32Builder::new();
            for v in values {
                match v {
                    Value::Date(d) => builder
                        .append_value(i32::try_from(d.days_since_epoch()).unwrap_or(i32::MAX)),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
        Some(T::List) => {
            let mut builder = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v {
                    Value::List(items) => {
                        items.iter().for_each(|i| builder.values().append_value(i));
                        builder.append(true);
                    }
                    _ => builder.append(false),
                }
            }
            Arc::new(builder.finish())
        }
    })
}
