//! The live router and the churn-budget rebalance: leads go in as dicts (one at a time, the
//! live path) or tables, and decisions come out as native `Decision`s.

use std::collections::HashMap;
use std::sync::Arc;

use apportion::load;
use apportion::{
    AssignOptions, Customer, CustomerId, Decision, ManagerId, Policy, Schema, Value, ValueType,
};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateAccess, PyDict, PyFloat, PyList, PyString};

use crate::run::{Rulebook, load_options, parse_date, plan_parts};
use crate::tables_in::BookTables;
use crate::{errors, results, tables_in};

/// Routes leads into a live book; safe to call from several Python threads.
#[pyclass(frozen, module = "apportion._apportion")]
pub(crate) struct Router {
    inner: apportion::Router,
    /// The customers' columns, which leads are read in.
    schema: Schema,
    /// The managers' columns, which a manager joining is read in.
    manager_schema: Schema,
    as_of: apportion::Date,
}

#[pymethods]
impl Router {
    /// A router over the book: `customers` with their current managers, and `managers`.
    #[new]
    #[pyo3(signature = (customers, managers, rulebook, *, as_of, balance, types, groups, scores))]
    #[allow(
        clippy::too_many_arguments,
        reason = "keyword-only options mirrored from Python"
    )]
    fn new(
        py: Python<'_>,
        customers: &Bound<'_, PyAny>,
        managers: &Bound<'_, PyAny>,
        rulebook: &Bound<'_, Rulebook>,
        as_of: &str,
        balance: i64,
        types: Option<HashMap<String, String>>,
        groups: Option<&Bound<'_, PyAny>>,
        scores: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Router> {
        if balance < 0 {
            return Err(errors::to_py(
                apportion::SolveError::InvalidPolicy {
                    message: "the balance weight must be 0 or more".to_owned(),
                }
                .into(),
            ));
        }
        let as_of = parse_date(as_of)?;
        let options = load_options(types)?;
        let mut tables = BookTables::read(customers, managers, groups, scores)?;
        let columns = tables.columns();
        let rulebook = rulebook.get().inner();
        py.detach(|| {
            let book = columns.book(&options)?;
            let router_options = apportion::RouterOptions {
                policy: Policy {
                    balance,
                    ..Policy::default()
                },
                ..apportion::RouterOptions::new(as_of)
            };
            let schema = book.customers.schema.clone();
            let manager_schema = book.managers.schema.clone();
            apportion::Router::new(rulebook, &book, router_options).map(|inner| Router {
                inner,
                schema,
                manager_schema,
                as_of,
            })
        })
        .map_err(errors::to_py)
    }

    /// Routes one lead, a dict with `id` and the book's columns (missing ones are null), with
    /// the model's scores for it when given (manager id to score).
    #[pyo3(signature = (lead, scores = None))]
    fn route(
        &self,
        py: Python<'_>,
        lead: &Bound<'_, PyDict>,
        scores: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<results::Decision> {
        let lead = lead_from_dict(lead, &self.schema)?;
        let scores = scores.map(lead_scores).transpose()?.unwrap_or_default();
        let decision = py
            .detach(|| self.inner.route_scored(&lead, &scores))
            .map_err(errors::to_py)?;
        Ok(results::Decision::of(decision))
    }

    /// Routes every lead of `leads` (a table in the book's columns; its types are the book's),
    /// in order. The whole table is read first, so a bad value routes none; a lead that fails
    /// to route stops the run, and the leads before it stay routed.
    fn route_many(
        &self,
        py: Python<'_>,
        leads: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<results::Decision>> {
        let read = tables_in::read(leads, "leads")?;
        let columns = read.columns;
        let options = load::typed_like(&self.schema, &load_options(None)?);
        let decisions = py
            .detach(|| -> apportion::Result<Vec<Decision>> {
                let leads = load::customers_from_columns("leads", columns, &options)?;
                let leads = load::conform(leads, &self.schema, "leads")?;
                leads
                    .records
                    .iter()
                    .map(|lead| self.inner.route(lead))
                    .collect()
            })
            .map_err(errors::to_py)?;
        Ok(decisions.into_iter().map(results::Decision::of).collect())
    }

    /// A manager joins the book: a dict with `id`, `capacity` (optionally `target` and
    /// `segment_caps`) and the managers' columns, typed as the book's (missing ones are null).
    /// New leads may go to them at once.
    fn join(&self, py: Python<'_>, manager: &Bound<'_, PyDict>) -> PyResult<()> {
        let rows = PyList::new(py, [manager])?;
        let read = tables_in::read(rows.as_any(), "manager")?;
        let columns = read.columns;
        let options = load::typed_like(&self.manager_schema, &load_options(None)?);
        py.detach(|| -> apportion::Result<()> {
            let managers = load::managers_from_columns("manager", columns, &options)?;
            let managers = load::conform_managers(managers, &self.manager_schema, "manager")?;
            for manager in managers.records {
                self.inner.join(manager)?;
            }
            Ok(())
        })
        .map_err(errors::to_py)
    }

    /// (customers placed, managers in the book, as-of date) for the wrapper's `repr`.
    fn summary(&self) -> (usize, usize, String) {
        let snapshot = self.inner.snapshot();
        (
            snapshot.placed,
            snapshot.managers.len(),
            self.as_of.to_string(),
        )
    }

    /// Plans `forecast` (a table of expected leads) into the room the book leaves; leads like
    /// them take those places first. Returns the places held.
    fn follow_forecast(&self, py: Python<'_>, forecast: &Bound<'_, PyAny>) -> PyResult<usize> {
        let read = tables_in::read(forecast, "forecast")?;
        let columns = read.columns;
        let options = load::typed_like(&self.schema, &load_options(None)?);
        py.detach(|| {
            let forecast = load::customers_from_columns("forecast", columns, &options)?;
            let forecast = load::conform(forecast, &self.schema, "forecast")?;
            self.inner.follow_forecast(&forecast)
        })
        .map_err(errors::to_py)
    }

    /// A customer leaves the book; returns the manager they had.
    fn release(&self, customer: &str) -> PyResult<String> {
        self.inner
            .release(&CustomerId::from(customer))
            .map(|m| m.to_string())
            .map_err(errors::to_py)
    }

    /// A manager goes on leave: their customers are covered by peers.
    fn start_leave(&self, py: Python<'_>, manager: &str) -> PyResult<Vec<results::Decision>> {
        let decisions = py
            .detach(|| self.inner.start_leave(&ManagerId::from(manager)))
            .map_err(errors::to_py)?;
        Ok(decisions.into_iter().map(results::Decision::of).collect())
    }

    /// A manager is back: returns how many covered customers were handed back.
    fn end_leave(&self, manager: &str) -> PyResult<usize> {
        self.inner
            .end_leave(&ManagerId::from(manager))
            .map_err(errors::to_py)
    }

    /// A manager leaves for good: only their customers are placed again.
    fn depart(&self, py: Python<'_>, manager: &str) -> PyResult<Vec<results::Decision>> {
        let decisions = py
            .detach(|| self.inner.depart(&ManagerId::from(manager)))
            .map_err(errors::to_py)?;
        Ok(decisions.into_iter().map(results::Decision::of).collect())
    }

    /// Every manager still in the book, with their load now.
    fn loads(&self) -> Vec<results::ManagerLoad> {
        self.inner
            .snapshot()
            .managers
            .into_iter()
            .map(|(id, load, capacity, target, away)| results::ManagerLoad {
                manager: id.to_string(),
                load,
                capacity,
                target,
                away,
            })
            .collect()
    }

    /// Every placed customer and their manager.
    fn book(&self) -> HashMap<String, String> {
        self.inner
            .book()
            .into_iter()
            .map(|(c, m)| (c.to_string(), m.to_string()))
            .collect()
    }
}

/// Rebalances within `max_moves`: the plan's parts (as `assign` gives them), the move
/// penalty found, the moves made and every (penalty, moves) tried, by name.
#[pyfunction]
#[pyo3(signature = (customers, managers, rulebook, *, max_moves, as_of, types, balance, unassigned_penalty, threads, groups, scores))]
#[allow(
    clippy::too_many_arguments,
    reason = "keyword-only options mirrored from Python"
)]
pub(crate) fn rebalance<'py>(
    py: Python<'py>,
    customers: &Bound<'py, PyAny>,
    managers: &Bound<'py, PyAny>,
    rulebook: &Bound<'py, Rulebook>,
    max_moves: usize,
    as_of: &str,
    types: Option<HashMap<String, String>>,
    balance: i64,
    unassigned_penalty: Option<i64>,
    threads: Option<usize>,
    groups: Option<&Bound<'py, PyAny>>,
    scores: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let as_of = parse_date(as_of)?;
    let options = load_options(types)?;
    let mut tables = BookTables::read(customers, managers, groups, scores)?;
    let columns = tables.columns();
    let rulebook = rulebook.get().inner();
    let assign_options = AssignOptions {
        policy: Policy {
            balance,
            unassigned_penalty,
            ..Policy::default()
        },
        threads,
        ..AssignOptions::new(as_of)
    };
    let result = py
        .detach(|| {
            let book = columns.book(&options)?;
            apportion::rebalance(&book, rulebook, &assign_options, max_moves)
        })
        .map_err(errors::to_py)?;
    let parts = PyDict::new(py);
    parts.set_item("plan", plan_parts(py, &result.plan, None)?)?;
    parts.set_item("move_penalty", result.move_penalty)?;
    parts.set_item("moves", result.moves)?;
    parts.set_item("probes", result.probes)?;
    Ok(parts)
}

/// A lead from a dict in the book's columns and types.
fn lead_from_dict(lead: &Bound<'_, PyDict>, schema: &Schema) -> PyResult<Customer> {
    let id = match lead.get_item("id")? {
        Some(id) => id
            .extract::<String>()
            .or_else(|_| id.str().map(|s| s.to_string()))?,
        None => {
            return Err(errors::to_py(
                apportion::InputError::MissingColumn {
                    source_name: "lead".to_owned(),
                    column: "id".to_owned(),
                }
                .into(),
            ));
        }
    };
    if id.trim().is_empty() {
        return Err(errors::to_py(
            apportion::InputError::EmptyId {
                kind: apportion::RecordKind::Customer,
                at: apportion::Location::in_source("lead"),
            }
            .into(),
        ));
    }
    for key in lead.keys() {
        let key: String = key.extract()?;
        if key != "id" && key != "manager" && schema.position(&key).is_none() {
            return Err(unknown_column("lead", &key));
        }
    }
    let mut attributes = Vec::with_capacity(schema.len());
    for field in schema.fields() {
        let value = match lead.get_item(&field.name)? {
            None => Value::Null,
            Some(item) => value_of(&item, field.value_type)
                .ok_or_else(|| invalid(&id, &field.name, field.value_type, "lead"))??,
        };
        attributes.push(value);
    }
    Ok(Customer {
        id: CustomerId::from(id.as_str()),
        manager: None,
        attributes,
    })
}

/// `item` as a value of `value_type`: `None` if it is of another type. A row of the book's
/// own table routes as it is: text reads as a CSV cell of the column's type would (`a;b` in a
/// list column), and pandas' markers of a missing value (NaN, `NA`, `NaT`) are null.
fn value_of(item: &Bound<'_, PyAny>, value_type: ValueType) -> Option<PyResult<Value>> {
    if is_missing(item) {
        return Some(Ok(Value::Null));
    }
    if value_type != ValueType::Str
        && let Ok(text) = item.cast::<PyString>()
    {
        let text = text.to_str().ok()?;
        return load::value_from_text(text, value_type).map(Ok);
    }
    // A boolean (Python's or NumPy's) is no number, though it converts to one.
    let boolean = item.extract::<bool>().ok();
    let value = match value_type {
        // Integers of any kind (NumPy's too) convert through `__index__`, floats do not.
        ValueType::Int if boolean.is_none() => Value::Int(item.extract::<i64>().ok()?),
        ValueType::Float if boolean.is_none() => {
            let v = item.extract::<f64>().ok()?;
            if !v.is_finite() {
                return None;
            }
            Value::Float(v)
        }
        ValueType::Bool => Value::Bool(boolean?),
        ValueType::Str => Value::Str(Arc::from(item.extract::<String>().ok()?.as_str())),
        ValueType::Date => {
            if let Ok(date) = item.cast::<PyDate>() {
                let date = apportion::Date::from_ymd(
                    date.get_year(),
                    u32::from(date.get_month()),
                    u32::from(date.get_day()),
                )?;
                Value::Date(date)
            } else {
                Value::Date(item.extract::<String>().ok()?.parse().ok()?)
            }
        }
        ValueType::List => {
            let list = item.cast::<PyList>().ok()?;
            let items: Option<Vec<Arc<str>>> = list
                .iter()
                .map(|i| i.extract::<String>().ok().map(|s| Arc::from(s.as_str())))
                .collect();
            Value::List(items?.into())
        }
        _ => return None,
    };
    Some(Ok(value))
}

/// `None`, a float NaN (pandas' missing number) or pandas' `NA` and `NaT`.
fn is_missing(item: &Bound<'_, PyAny>) -> bool {
    if item.is_none() {
        return true;
    }
    if let Ok(float) = item.cast::<PyFloat>() {
        return float.value().is_nan();
    }
    item.get_type()
        .name()
        .is_ok_and(|name| name == "NAType" || name == "NaTType")
}

fn invalid(id: &str, column: &str, expected: ValueType, source: &str) -> PyErr {
    errors::to_py(
        apportion::InputError::InvalidValue {
            at: apportion::Location::in_source(source)
                .in_record(id)
                .in_column(column),
            expected,
        }
        .into(),
    )
}

fn unknown_column(source: &str, column: &str) -> PyErr {
    errors::to_py(
        apportion::InputError::UnknownColumn {
            source_name: source.to_owned(),
            column: column.to_owned(),
        }
        .into(),
    )
}

/// A lead's scores, manager id to score: each score an integer or a float (`True` is not one).
fn lead_scores(
    scores: &Bound<'_, PyDict>,
) -> PyResult<Vec<(apportion::ManagerId, apportion::Value)>> {
    scores
        .iter()
        .map(|(manager, score)| {
            let manager: String = manager.extract()?;
            let score = if score.is_instance_of::<pyo3::types::PyBool>() {
                None
            } else if score.is_instance_of::<pyo3::types::PyInt>() {
                score.extract::<i64>().ok().map(apportion::Value::Int)
            } else {
                score.extract::<f64>().ok().map(apportion::Value::Float)
            };
            let score = score.ok_or_else(|| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "the score for manager `{manager}` is not an integer or a float"
                ))
            })?;
            Ok((manager.as_str().into(), score))
        })
        .collect()
}
