//! Results as Arrow tables: plans and profiles become record batches handed to pyarrow, which
//! the Python layer turns into the caller's flavour. Ids (customers, managers) are plain text
//! in every flavour, so a plan joins on them; other low-cardinality text (reasons, derived
//! tiers) is dictionary-encoded, so it arrives as categoricals.

use std::collections::{BTreeMap, BTreeSet};
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
use rayon::prelude::*;

use crate::errors;

/// A pyarrow table of `columns`, in order.
pub(crate) fn to_pyarrow<'py>(
    py: Python<'py>,
    columns: Vec<(&str, ArrayRef)>,
) -> PyResult<Bound<'py, PyAny>> {
    batch_to_pyarrow(py, batch(columns).map_err(errors::internal)?)
}

/// A pyarrow table of one record batch.
fn batch_to_pyarrow(py: Python<'_>, batch: RecordBatch) -> PyResult<Bound<'_, PyAny>> {
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}

/// A record batch of `columns`, in order; columns of unequal lengths are apportion's bug.
fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch, String> {
    RecordBatch::try_from_iter(columns).map_err(|e| e.to_string())
}

fn text<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut builder = StringBuilder::with_capacity(values.size_hint().0, 0);
    values.for_each(|v| builder.append_option(v));
    Arc::new(builder.finish())
}

/// Text with few distinct values, dictionary-encoded.
fn categories<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut builder =
        StringDictionaryBuilder::<Int32Type>::with_capacity(values.size_hint().0, 0, 0);
    values.for_each(|v| builder.append_option(v));
    Arc::new(builder.finish())
}

fn integers(values: impl Iterator<Item = i64>) -> ArrayRef {
    let mut builder = Int64Builder::with_capacity(values.size_hint().0);
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

/// The plan's tables: assignments, unassigned, loads, orphans and the groups' loads. They are
/// built in parallel with the GIL released, then handed to pyarrow.
pub(crate) fn plan_tables<'py>(py: Python<'py>, plan: &Plan) -> PyResult<[Bound<'py, PyAny>; 5]> {
    let ((first, second), groups) = py.detach(|| {
        rayon::join(
            || {
                rayon::join(
                    || rayon::join(|| assignments(plan), || unassigned(plan)),
                    || rayon::join(|| loads(plan), || orphans(plan)),
                )
            },
            || group_loads(plan),
        )
    });
    let [assignments, unassigned, loads, orphans, groups] =
        [first.0, first.1, second.0, second.1, groups].map(|batch| batch.map_err(errors::internal));
    Ok([
        batch_to_pyarrow(py, assignments?)?,
        batch_to_pyarrow(py, unassigned?)?,
        batch_to_pyarrow(py, loads?)?,
        batch_to_pyarrow(py, orphans?)?,
        batch_to_pyarrow(py, groups?)?,
    ])
}

/// Each group of managers' load, room, moves and spread (no rows without groups); then per
/// segment a column `load_<segment>`, and per segment limited somewhere `cap_<segment>` and
/// `minimum_<segment>` (null where the group has none), segments in name order.
fn group_loads(plan: &Plan) -> Result<RecordBatch, String> {
    let g = &plan.groups;
    let floats = |value: fn(&apportion::GroupLoad) -> f64| -> ArrayRef {
        let mut builder = Float64Builder::new();
        g.iter().for_each(|g| builder.append_value(value(g)));
        Arc::new(builder.finish())
    };
    let optional = |value: &dyn Fn(&apportion::GroupLoad) -> Option<u32>| -> ArrayRef {
        let mut builder = Int64Builder::new();
        g.iter()
            .for_each(|g| builder.append_option(value(g).map(i64::from)));
        Arc::new(builder.finish())
    };
    let names = |of: fn(&apportion::GroupLoad) -> &BTreeMap<String, u32>| -> BTreeSet<&str> {
        g.iter()
            .flat_map(|g| of(g).keys().map(String::as_str))
            .collect()
    };
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut columns: Vec<(String, ArrayRef)> = vec![
        (
            "group".into(),
            text(g.iter().map(|g| Some(g.group.as_str()))),
        ),
        (
            "parent".into(),
            text(g.iter().map(|g| g.parent.as_ref().map(|p| p.as_str()))),
        ),
        (
            "managers".into(),
            integers(g.iter().map(|g| count(g.managers))),
        ),
        ("load".into(), integers(g.iter().map(|g| i64::from(g.load)))),
        ("capacity".into(), optional(&|g| g.capacity)),
        ("target".into(), optional(&|g| g.target)),
        ("utilisation".into(), floats(|g| g.utilisation)),
        (
            "moved_in".into(),
            integers(g.iter().map(|g| count(g.moved_in))),
        ),
        (
            "moved_out".into(),
            integers(g.iter().map(|g| count(g.moved_out))),
        ),
        ("min_utilisation".into(), floats(|g| g.min_utilisation)),
        ("max_utilisation".into(), floats(|g| g.max_utilisation)),
        (
            "utilisation_std_dev".into(),
            floats(|g| g.utilisation_std_dev),
        ),
    ];
    for segment in names(|g| &g.segments) {
        let counts = g
            .iter()
            .map(|g| i64::from(g.segments.get(segment).copied().unwrap_or(0)));
        columns.push((format!("load_{segment}"), integers(counts)));
    }
    let limited = names(|g| &g.segment_caps);
    for segment in limited.union(&names(|g| &g.segment_minimums)) {
        let cap = optional(&|g| g.segment_caps.get(*segment).copied());
        let minimum = optional(&|g| g.segment_minimums.get(*segment).copied());
        columns.push((format!("cap_{segment}"), cap));
        columns.push((format!("minimum_{segment}"), minimum));
    }
    batch(
        columns
            .iter()
            .map(|(name, array)| (name.as_str(), Arc::clone(array)))
            .collect(),
    )
}

/// Who serves whom; the columns are built in parallel (a plan has a row per customer).
fn assignments(plan: &Plan) -> Result<RecordBatch, String> {
    let a = &plan.assignments;
    let ((customer, manager), (previous_manager, (moved, affinity, move_penalty))) = rayon::join(
        || {
            rayon::join(
                || text(a.iter().map(|a| Some(a.customer.as_str()))),
                || text(a.iter().map(|a| Some(a.manager.as_str()))),
            )
        },
        || {
            rayon::join(
                || {
                    text(
                        a.iter()
                            .map(|a| a.previous_manager.as_ref().map(|m| m.as_str())),
                    )
                },
                || {
                    let mut moved = BooleanBuilder::with_capacity(a.len());
                    a.iter().for_each(|a| moved.append_value(a.moved));
                    let moved: ArrayRef = Arc::new(moved.finish());
                    (
                        moved,
                        integers(a.iter().map(|a| a.affinity)),
                        integers(a.iter().map(|a| a.move_penalty)),
                    )
                },
            )
        },
    );
    let mut columns = vec![
        ("customer", customer),
        ("manager", manager),
        ("previous_manager", previous_manager),
        ("moved", moved),
        ("affinity", affinity),
        ("move_penalty", move_penalty),
    ];
    // A book with model scores adds what they contributed to each affinity.
    if plan.objective.model_scores.is_some() {
        columns.push((
            "model_score",
            integers(a.iter().map(|a| a.model_score.unwrap_or(0))),
        ));
    }
    batch(columns)
}

/// Who is left out, and why.
fn unassigned(plan: &Plan) -> Result<RecordBatch, String> {
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
    batch(vec![
        (
            "customer",
            text(u.iter().map(|u| Some(u.customer.as_str()))),
        ),
        (
            "previous_manager",
            text(
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
    ])
}

/// Each manager's load after the plan and its shadow price; per segment a column
/// `load_<segment>` of its customers of that segment (0 where it has none), the segments in
/// name order; and per segment capped somewhere a column `shadow_price_<segment>` (0 where
/// the cap does not bind).
fn loads(plan: &Plan) -> Result<RecordBatch, String> {
    let l = &plan.loads;
    let mut utilisation = Float64Builder::new();
    l.iter()
        .for_each(|l| utilisation.append_value(l.utilisation));
    let segments: BTreeSet<&str> = l
        .iter()
        .flat_map(|l| l.segments.keys().map(String::as_str))
        .collect();
    let per_segment: Vec<(String, ArrayRef)> = segments
        .into_iter()
        .map(|segment| {
            let counts = l
                .iter()
                .map(|l| l.segments.get(segment).map_or(0, |n| i64::from(*n)));
            (format!("load_{segment}"), integers(counts))
        })
        .collect();
    let capped: BTreeSet<&str> = l
        .iter()
        .flat_map(|l| l.segment_shadow_prices.keys().map(String::as_str))
        .collect();
    let per_cap: Vec<(String, ArrayRef)> = capped
        .into_iter()
        .map(|segment| {
            let prices = l
                .iter()
                .map(|l| l.segment_shadow_prices.get(segment).copied().unwrap_or(0));
            (format!("shadow_price_{segment}"), integers(prices))
        })
        .collect();
    let mut columns = vec![
        ("manager", text(l.iter().map(|l| Some(l.manager.as_str())))),
        ("load", integers(l.iter().map(|l| i64::from(l.load)))),
        (
            "capacity",
            integers(l.iter().map(|l| i64::from(l.capacity))),
        ),
        ("target", integers(l.iter().map(|l| i64::from(l.target)))),
        ("utilisation", Arc::new(utilisation.finish()) as ArrayRef),
        ("shadow_price", integers(l.iter().map(|l| l.shadow_price))),
    ];
    columns.extend(
        (per_segment.iter().chain(&per_cap))
            .map(|(name, column)| (name.as_str(), Arc::clone(column))),
    );
    batch(columns)
}

/// Customers whose current manager is not in the book.
fn orphans(plan: &Plan) -> Result<RecordBatch, String> {
    let o = &plan.orphans;
    batch(vec![
        (
            "customer",
            text(o.iter().map(|o| Some(o.customer.as_str()))),
        ),
        (
            "former_manager",
            text(o.iter().map(|o| Some(o.former_manager.as_str()))),
        ),
    ])
}

/// The profile as a table: `id`, then one column per derived field, typed by its values. The
/// columns are built in parallel with the GIL released, then handed to pyarrow.
pub(crate) fn profile_table<'py>(
    py: Python<'py>,
    profile: &Profile,
) -> PyResult<Bound<'py, PyAny>> {
    let rows = &profile.customers;
    let (ids, derived) = py.detach(|| {
        rayon::join(
            || text(rows.iter().map(|r| Some(r.id.as_str()))),
            || {
                profile
                    .fields
                    .par_iter()
                    .enumerate()
                    .map(|(i, field)| {
                        let values = rows
                            .iter()
                            .map(move |r| r.values.get(i).unwrap_or(&Value::Null));
                        derived_column(field, values)
                    })
                    .collect::<Vec<_>>()
            },
        )
    });
    let mut columns = vec![("id", ids)];
    for (field, column) in profile.fields.iter().zip(derived) {
        let column = column.map_err(|message| errors::input("mixed_field_types", message))?;
        columns.push((field.as_str(), column));
    }
    to_pyarrow(py, columns)
}

/// One derived field's values as a column of their one type; text is dictionary-encoded.
fn derived_column<'a>(
    field: &str,
    values: impl Iterator<Item = &'a Value> + Clone,
) -> Result<ArrayRef, String> {
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
            return Err(format!(
                "rule `{field}` returns values of several types ({}): make it return one",
                names.join(", ")
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
