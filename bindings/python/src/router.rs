//! The live router and the churn-budget rebalance: leads go in as dicts (one at a time, the
//! live path) and decisions come out as tuples the Python wrapper turns into `Decision`s.

use std::collections::HashMap;
use std::sync::Arc;

use apportion::load;
use apportion::{
    AssignOptions, Book, Customer, CustomerId, Decision, ManagerId, Policy, Schema, Skip, Value,
    ValueType,
};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateAccess, PyDict, PyList, PyTuple};

use crate::run::{Rulebook, load_options, parse_date, plan_tuple};
use crate::{errors, tables_in};

/// A decision as a tuple: (customer, manager, runner_up, basis, cost, affinity, ineligible,
/// managers passed over as full, as full for the segment (manager, segment), as away,
/// reason code). Grouped by why, so a decision passing over many managers costs one Python
/// string each.
type DecisionTuple = (
    String,
    Option<String>,
    Option<String>,
    &'static str,
    Option<i64>,
    Option<i64>,
    usize,
    Vec<String>,
    Vec<(String, String)>,
    Vec<String>,
    Option<&'static str>,
);

/// A rebalance as (plan tuple, move penalty, moves, (penalty, moves) tried).
type RebalanceTuple<'py> = (Bound<'py, PyTuple>, i64, usize, Vec<(i64, usize)>);

/// Routes leads into a live book; safe to call from several Python threads.
#[pyclass(frozen, module = "apportion._apportion")]
pub(crate) struct Router {
    inner: apportion::Router,
    schema: Schema,
}

#[pymethods]
impl Router {
    /// A router over the book: `customers` with their current managers, and `managers`.
    #[new]
    #[pyo3(signature = (customers, managers, rulebook, *, as_of, balance, types))]
    fn new(
        py: Python<'_>,
        customers: &Bound<'_, PyAny>,
        managers: &Bound<'_, PyAny>,
        rulebook: &Bound<'_, Rulebook>,
        as_of: &str,
        balance: i64,
        types: Option<HashMap<String, String>>,
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
        let customer_columns = tables_in::read(customers, "customers")?;
        let manager_columns = tables_in::read(managers, "managers")?;
        let rulebook = rulebook.get().inner();
        py.detach(|| {
            let book = Book {
                customers: load::customers_from_columns("customers", customer_columns, &options)?,
                managers: load::managers_from_columns("managers", manager_columns, &options)?,
            };
            let router_options = apportion::RouterOptions {
                policy: Policy {
                    balance,
                    ..Policy::default()
                },
                ..apportion::RouterOptions::new(as_of)
            };
            let schema = book.customers.schema.clone();
            apportion::Router::new(rulebook, &book, router_options)
                .map(|inner| Router { inner, schema })
        })
        .map_err(errors::to_py)
    }

    /// Routes one lead, a dict with `id` and the book's columns (missing ones are null).
    fn route(&self, py: Python<'_>, lead: &Bound<'_, PyDict>) -> PyResult<DecisionTuple> {
        let lead = lead_from_dict(lead, &self.schema)?;
        let decision = py
            .detach(|| self.inner.route(&lead))
            .map_err(errors::to_py)?;
        Ok(decision_tuple(decision))
    }

    /// Plans `forecast` (a table of expected leads) into the room the book leaves; leads like
    /// them take those places first. Returns the places held.
    fn follow_forecast(&self, py: Python<'_>, forecast: &Bound<'_, PyAny>) -> PyResult<usize> {
        let columns = tables_in::read(forecast, "forecast")?;
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
    fn start_leave(&self, py: Python<'_>, manager: &str) -> PyResult<Vec<DecisionTuple>> {
        let decisions = py
            .detach(|| self.inner.start_leave(&ManagerId::from(manager)))
            .map_err(errors::to_py)?;
        Ok(decisions.into_iter().map(decision_tuple).collect())
    }

    /// A manager is back: returns how many covered customers were handed back.
    fn end_leave(&self, manager: &str) -> PyResult<usize> {
        self.inner
            .end_leave(&ManagerId::from(manager))
            .map_err(errors::to_py)
    }

    /// A manager leaves for good: only their customers are placed again.
    fn depart(&self, py: Python<'_>, manager: &str) -> PyResult<Vec<DecisionTuple>> {
        let decisions = py
            .detach(|| self.inner.depart(&ManagerId::from(manager)))
            .map_err(errors::to_py)?;
        Ok(decisions.into_iter().map(decision_tuple).collect())
    }

    /// Per manager (id, load, capacity, target, away).
    fn loads(&self) -> Vec<(String, u32, u32, u32, bool)> {
        self.inner
            .snapshot()
            .managers
            .into_iter()
            .map(|(id, load, capacity, target, away)| {
                (id.to_string(), load, capacity, target, away)
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

/// Rebalances within `max_moves`: the plan tuple of `assign`, then (move penalty, moves,
/// probes).
#[pyfunction]
#[pyo3(signature = (customers, managers, rulebook, *, max_moves, as_of, types, balance, unassigned_penalty, threads))]
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
) -> PyResult<RebalanceTuple<'py>> {
    let as_of = parse_date(as_of)?;
    let options = load_options(types)?;
    let customer_columns = tables_in::read(customers, "customers")?;
    let manager_columns = tables_in::read(managers, "managers")?;
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
            let book = Book {
                customers: load::customers_from_columns("customers", customer_columns, &options)?,
                managers: load::managers_from_columns("managers", manager_columns, &options)?,
            };
            apportion::rebalance(&book, rulebook, &assign_options, max_moves)
        })
        .map_err(errors::to_py)?;
    Ok((
        plan_tuple(py, &result.plan)?,
        result.move_penalty,
        result.moves,
        result.probes,
    ))
}

fn decision_tuple(decision: Decision) -> DecisionTuple {
    let basis = match decision.basis {
        apportion::Basis::Quota => "quota",
        apportion::Basis::Marginal => "marginal",
        apportion::Basis::Unplaced => "unplaced",
    };
    let (mut full, mut segment_full, mut away) = (Vec::new(), Vec::new(), Vec::new());
    for skipped in decision.skipped.iter() {
        let manager = skipped.manager.to_string();
        match &skipped.why {
            Skip::Full => full.push(manager),
            Skip::Away => away.push(manager),
            Skip::SegmentFull { segment } => segment_full.push((manager, segment.clone())),
        }
    }
    (
        decision.customer.to_string(),
        decision.manager.map(|m| m.to_string()),
        decision.runner_up.map(|m| m.to_string()),
        basis,
        decision.cost,
        decision.affinity,
        decision.ineligible,
        full,
        segment_full,
        away,
        decision.reason.as_ref().map(|r| r.code()),
    )
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
                kind: apportion::error::RecordKind::Customer,
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

/// `item` as a value of `value_type`: `None` if it is of another type.
fn value_of(item: &Bound<'_, PyAny>, value_type: ValueType) -> Option<PyResult<Value>> {
    if item.is_none() {
        return Some(Ok(Value::Null));
    }
    let value = match value_type {
        ValueType::Int if !item.is_instance_of::<pyo3::types::PyBool>() => {
            Value::Int(item.extract::<i64>().ok()?)
        }
        ValueType::Float if !item.is_instance_of::<pyo3::types::PyBool>() => {
            let v = item.extract::<f64>().ok()?;
            if !v.is_finite() {
                return None;
            }
            Value::Float(v)
        }
        ValueType::Bool => Value::Bool(item.cast::<pyo3::types::PyBool>().ok()?.is_true()),
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
