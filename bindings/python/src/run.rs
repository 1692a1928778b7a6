//! The rulebook class and the assignment function: read the tables with the GIL held, then
//! run the engine with it released, so other Python threads go on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apportion::load::{self, Column, LoadOptions};
use apportion::{
    AssignOptions, Cancel, Date, InputError, OnRuleError, Policy, ProfileOptions, Progress, Schema,
    ValueType,
};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyDict, PyTuple, PyType};

use crate::tables_in::BookTables;
use crate::{errors, results, tables_in, tables_out};

/// A compiled rulebook. Immutable, so one rulebook serves any number of threads; pickles as
/// its source and compiles again on load.
#[pyclass(frozen, subclass, module = "apportion._apportion")]
pub(crate) struct Rulebook {
    inner: apportion::Rulebook,
}

impl Rulebook {
    /// The compiled rulebook.
    pub(crate) fn inner(&self) -> &apportion::Rulebook {
        &self.inner
    }
}

#[pymethods]
impl Rulebook {
    /// Compiles `source` (Rhai); raises `RuleError` naming the line and column of a problem.
    /// `private` names input fields no rule may read; `reveal_values` lets rule errors quote
    /// the customer values involved (withheld by default).
    #[new]
    #[pyo3(signature = (source, *, private = Vec::new(), reveal_values = false))]
    fn new(source: &str, private: Vec<String>, reveal_values: bool) -> PyResult<Rulebook> {
        apportion::Rulebook::compile(source)
            .and_then(|rules| rules.with_private_fields(private))
            .map(|rules| Rulebook {
                inner: rules.reveal_values_in_errors(reveal_values),
            })
            .map_err(errors::to_py)
    }

    /// The input fields no rule may read.
    #[getter]
    fn private(&self) -> Vec<String> {
        self.inner.private_fields().map(str::to_owned).collect()
    }

    /// Reads and compiles the rulebook file at `path`.
    ///
    /// Parameters
    /// ----------
    /// path : str or PathLike
    ///     The rulebook file (Rhai source, UTF-8).
    /// private : list of str, optional
    ///     Input fields no rule may read.
    /// reveal_values : bool, default False
    ///     Let rule errors quote the customer values involved.
    ///
    /// Returns
    /// -------
    /// Rulebook
    ///
    /// Raises
    /// ------
    /// InputError
    ///     The file cannot be read (``io_error``).
    /// RuleError
    ///     The rulebook is invalid, with the line and column of the problem.
    #[classmethod]
    #[pyo3(signature = (path, *, private = Vec::new(), reveal_values = false))]
    fn from_file<'py>(
        cls: &Bound<'py, PyType>,
        path: PathBuf,
        private: Vec<String>,
        reveal_values: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bytes = std::fs::read(&path)
            .map_err(|e| errors::input("io_error", format!("`{}`: {e}", path.display())))?;
        let source = apportion::source_text(&bytes)
            .map_err(|e| errors::to_py(e.into()))?
            .to_owned();
        let options = PyDict::new(cls.py());
        options.set_item("private", private)?;
        options.set_item("reveal_values", reveal_values)?;
        cls.call((source,), Some(&options))
    }

    /// The rulebook's source text.
    #[getter]
    fn source(&self) -> &str {
        self.inner.source()
    }

    /// The derived fields the rulebook defines, in declaration order.
    #[getter]
    fn fields(&self) -> Vec<String> {
        self.inner.fields().iter().map(|f| f.name.clone()).collect()
    }

    /// Checks the rulebook against the columns of the inputs, before anything runs.
    ///
    /// Parameters
    /// ----------
    /// customers : TableLike
    ///     Customers (their columns and types are what is checked).
    /// managers : TableLike, optional
    ///     Managers, for the fields the pair rules read of them.
    /// types : dict of str to str, optional
    ///     Column types instead of inferred ones.
    ///
    /// Returns
    /// -------
    /// None
    ///
    /// Raises
    /// ------
    /// RuleError
    ///     A rule reads a field the inputs do not have (``unknown_field``, with the nearest
    ///     name), or calls a date helper on a field that is not a date (``not_a_date``).
    /// InputError
    ///     A key of ``types`` names no column (``unknown_type_column``).
    #[pyo3(signature = (customers, managers = None, *, types = None))]
    fn check(
        &self,
        customers: &Bound<'_, PyAny>,
        managers: Option<&Bound<'_, PyAny>>,
        types: Option<HashMap<String, String>>,
    ) -> PyResult<()> {
        let options = load_options(types)?;
        let schema = loaded_schema(customers, "customers", |columns| {
            load::customers_from_columns("customers", columns, &options).map(|c| c.schema)
        })?;
        self.inner.check(&schema).map_err(errors::to_py)?;
        let mut inputs = vec![("customers", schema)];
        if let Some(managers) = managers {
            let schema = loaded_schema(managers, "managers", |columns| {
                load::managers_from_columns("managers", columns, &options).map(|m| m.schema)
            })?;
            self.inner.check_managers(&schema).map_err(errors::to_py)?;
            inputs.push(("managers", schema));
        }
        let inputs: Vec<(&str, &Schema)> = inputs.iter().map(|(name, s)| (*name, s)).collect();
        options
            .check_types(&inputs)
            .map_err(|e| errors::to_py(e.into()))
    }

    /// Profiles `customers`: returns (pyarrow table of `id` and the derived fields, list of
    /// skipped customers as dicts). The Python wrapper converts the table.
    #[pyo3(signature = (customers, *, as_of, types, skip_errors, threads, progress))]
    #[allow(
        clippy::too_many_arguments,
        reason = "keyword-only options mirrored from Python"
    )]
    fn _profile<'py>(
        &self,
        py: Python<'py>,
        customers: &Bound<'py, PyAny>,
        as_of: &str,
        types: Option<HashMap<String, String>>,
        skip_errors: bool,
        threads: Option<usize>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(Bound<'py, PyAny>, Vec<Bound<'py, PyDict>>)> {
        let as_of = parse_date(as_of)?;
        let load_options = load_options(types)?;
        let threads = check_threads(threads)?;
        let read = tables_in::read(customers, "customers")?;
        let columns = read.columns;
        let callback = Callback::new(progress);
        let cancel = Cancel::new();
        let options = ProfileOptions {
            on_error: on_error(skip_errors),
            threads,
            progress: callback.progress(),
            cancel: Some(cancel.clone()),
            ..ProfileOptions::new(as_of)
        };
        let rulebook = &self.inner;
        let profile = interruptible(py, &cancel, || {
            let customers = load::customers_from_columns("customers", columns, &load_options)?;
            load_options.check_types(&[("customers", &customers.schema)])?;
            let profile = rulebook.profile(&customers, &options);
            let records = customers.records.len();
            free_later(customers, records);
            profile
        })?;
        callback.raise_if_failed()?;
        let profile = profile.map_err(errors::to_py)?;
        let skipped = profile
            .skipped
            .iter()
            .map(|error| {
                let row = PyDict::new(py);
                row.set_item("customer", error.customer())?;
                row.set_item("code", error.code())?;
                row.set_item("message", error.to_string())?;
                Ok(row)
            })
            .collect::<PyResult<_>>()?;
        let table = tables_out::profile_table(py, &profile)?;
        let records = profile.customers.len();
        free_later(profile, records);
        Ok((table, skipped))
    }

    /// Pickles as (class, (source,), options): the rulebook compiles again on load.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let rules = &slf.get().inner;
        let options = [
            (
                "private",
                rules
                    .private_fields()
                    .collect::<Vec<_>>()
                    .into_pyobject(py)?
                    .into_any(),
            ),
            (
                "reveal_values",
                rules
                    .reveals_values()
                    .into_pyobject(py)?
                    .to_owned()
                    .into_any(),
            ),
        ]
        .into_py_dict(py)?;
        let restore = py.import("apportion._run")?.getattr("_restore_rulebook")?;
        PyTuple::new(
            py,
            [
                restore,
                PyTuple::new(
                    py,
                    [
                        slf.get_type().into_any(),
                        rules.source().into_pyobject(py)?.into_any(),
                        options.into_any(),
                    ],
                )?
                .into_any(),
            ],
        )
    }

    fn __repr__(&self) -> String {
        format!("Rulebook(fields={:?})", self.fields())
    }
}

/// Assigns customers to managers optimally. Returns (assignments, unassigned, loads, orphans,
/// objective, stats, network); the Python wrapper builds the `Plan`.
#[pyfunction]
#[pyo3(signature = (
    customers, managers, rulebook, *, as_of, types, move_penalty, balance, unassigned_penalty,
    skip_errors, threads, progress, groups, scores
))]
#[allow(
    clippy::too_many_arguments,
    reason = "keyword-only options mirrored from Python"
)]
pub(crate) fn assign<'py>(
    py: Python<'py>,
    customers: &Bound<'py, PyAny>,
    managers: &Bound<'py, PyAny>,
    rulebook: &Bound<'py, Rulebook>,
    as_of: &str,
    types: Option<HashMap<String, String>>,
    move_penalty: i64,
    balance: i64,
    unassigned_penalty: Option<i64>,
    skip_errors: bool,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
    groups: Option<&Bound<'py, PyAny>>,
    scores: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let as_of = parse_date(as_of)?;
    let load_options = load_options(types)?;
    let threads = check_threads(threads)?;
    if scores.is_some() && !rulebook.get().inner().pair_rules().reads_scores() {
        let warning = py.get_type::<pyo3::exceptions::PyUserWarning>();
        PyErr::warn(
            py,
            &warning,
            c"model scores were given, but no pair rule calls `pair_score(c, m)`: they change nothing",
            2,
        )?;
    }
    let mut tables = BookTables::read(customers, managers, groups, scores)?;
    let columns = tables.columns();
    let callback = Callback::new(progress);
    let cancel = Cancel::new();
    let options = AssignOptions {
        policy: Policy {
            move_penalty,
            balance,
            unassigned_penalty,
        },
        on_error: on_error(skip_errors),
        threads,
        progress: callback.progress(),
        cancel: Some(cancel.clone()),
        ..AssignOptions::new(as_of)
    };
    let rulebook = &rulebook.get().inner;
    let plan = interruptible(py, &cancel, || {
        let book = columns.book(&load_options)?;
        let plan = apportion::assign_timed(&book, rulebook, &options);
        Ok::<_, apportion::Error>((plan?, book))
    })?;
    callback.raise_if_failed()?;
    let ((plan, timings), book) = plan.map_err(errors::to_py)?;
    let parts = plan_parts(py, &plan, Some(&timings))?;
    // The plan keeps its inputs, to explain a customer's place in it.
    let explainer = results::Explainer::new(plan, Arc::new(book), rulebook.clone());
    parts.set_item("explainer", explainer)?;
    Ok(parts)
}

/// The weights of one policy, as Python passes them: (move penalty, balance, unassigned).
type Weights = (i64, i64, Option<i64>);

/// Plans the book under two rulebooks or policies and compares them: the two plans' parts
/// (each with what explains it) and the comparison's other parts as plain values.
#[pyfunction]
#[pyo3(signature = (customers, managers, rulebook, after_rulebook, as_of, types, before, after, threads, groups, scores))]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per option, as Python passes them"
)]
pub(crate) fn compare<'py>(
    py: Python<'py>,
    customers: &Bound<'py, PyAny>,
    managers: &Bound<'py, PyAny>,
    rulebook: &Bound<'py, Rulebook>,
    after_rulebook: &Bound<'py, Rulebook>,
    as_of: &str,
    types: Option<HashMap<String, String>>,
    before: Weights,
    after: Weights,
    threads: Option<usize>,
    groups: Option<&Bound<'py, PyAny>>,
    scores: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let as_of = parse_date(as_of)?;
    let load_options = load_options(types)?;
    let threads = check_threads(threads)?;
    let mut tables = BookTables::read(customers, managers, groups, scores)?;
    let columns = tables.columns();
    let side = |(move_penalty, balance, unassigned_penalty): Weights| AssignOptions {
        policy: Policy {
            move_penalty,
            balance,
            unassigned_penalty,
        },
        threads,
        ..AssignOptions::new(as_of)
    };
    let (first, second) = (side(before), side(after));
    let rules = (&rulebook.get().inner, &after_rulebook.get().inner);
    let cancel = Cancel::new();
    let compared = interruptible(py, &cancel, || {
        let book = columns.book(&load_options)?;
        let comparison = apportion::compare(&book, (rules.0, &first), (rules.1, &second))?;
        Ok::<_, apportion::Error>((comparison, book))
    })?;
    let (comparison, book) = compared.map_err(errors::to_py)?;
    let book = Arc::new(book);
    let result = PyDict::new(py);
    let apportion::Comparison {
        before,
        after,
        diff,
        tiers,
        segments,
        eligibility,
        ..
    } = comparison;
    for (name, plan, rulebook) in [("before", before, rules.0), ("after", after, rules.1)] {
        let parts = plan_parts(py, &plan, None)?;
        let explainer = results::Explainer::new(plan, Arc::clone(&book), rulebook.clone());
        parts.set_item("explainer", explainer)?;
        result.set_item(name, parts)?;
    }
    result.set_item("diff", results::plain(py, &diff)?)?;
    result.set_item("tiers", results::plain(py, &tiers)?)?;
    result.set_item("segments", results::plain(py, &segments)?)?;
    result.set_item("eligibility", results::plain(py, &eligibility)?)?;
    Ok(result)
}

/// Records from which freeing is worth a thread: dropping 100,000 customers (a `Vec` of
/// values each) takes 15–30 ms the caller need not wait for; below this, starting a thread
/// would cost a noticeable part of the call.
/// Inputs, profiles and plans are freed this way.
const FREE_LATER_FROM: usize = 10_000;

/// Drops `value` on a thread of its own when it holds at least [`FREE_LATER_FROM`] records,
/// so a call returns while its inputs are freed. (Should no thread start, it drops here.)
fn free_later<T: Send + 'static>(value: T, records: usize) {
    if records >= FREE_LATER_FROM {
        let _freeing = std::thread::Builder::new()
            .name("apportion-free".to_owned())
            .spawn(move || drop(value));
    }
}

/// A plan's parts for the Python wrapper's `Plan`, by name: the five tables (pyarrow, turned
/// into the caller's flavour there) and the native `Objective`, `Stats`, `Network`,
/// `Provenance` and `Timings` (`None` where the run was not timed).
pub(crate) fn plan_parts<'py>(
    py: Python<'py>,
    plan: &apportion::Plan,
    timings: Option<&apportion::Timings>,
) -> PyResult<Bound<'py, PyDict>> {
    let [assignments, unassigned, loads, orphans, groups] = tables_out::plan_tables(py, plan)?;
    let parts = PyDict::new(py);
    parts.set_item("assignments", assignments)?;
    parts.set_item("unassigned", unassigned)?;
    parts.set_item("loads", loads)?;
    parts.set_item("orphans", orphans)?;
    parts.set_item("groups", groups)?;
    parts.set_item("objective", results::Objective::of(&plan.objective))?;
    parts.set_item("stats", results::Stats::of(&plan.stats))?;
    parts.set_item("network", results::Network::of(&plan.network))?;
    parts.set_item("provenance", results::Provenance::of(&plan.provenance))?;
    parts.set_item("timings", timings.map(results::Timings::of))?;
    Ok(parts)
}

/// Runs `work` on a worker of rayon's pool with the GIL released, and looks at Python's signal
/// handlers every 50 ms meanwhile: on Ctrl-C it raises `cancel`, waits for the run to stop
/// (it checks the flag at every operation of a rule and every few thousand pivots) and raises
/// the KeyboardInterrupt. A pool worker lives from call to call and keeps its allocator's
/// memory warm; a thread started per call began with none, and a 100,000-customer assignment
/// took 4–9% longer on it.
///
/// A call made on a worker of the pool itself (from a progress callback, which the run calls
/// on its workers) runs `work` right there instead: were it to wait for another worker, it
/// could wait forever, every worker being in a callback that waits likewise. The worker then
/// works for the pool while `work` waits on it. Such calls nest at most [`MAX_NESTED_RUNS`]
/// deep on a thread, so that a callback calling apportion from its own callback cannot
/// overflow the worker's stack.
fn interruptible<T: Send>(
    py: Python<'_>,
    cancel: &Cancel,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    if rayon::current_thread_index().is_some() {
        let _nested = Nested::enter()?;
        return Ok(py.detach(work));
    }
    rayon::in_place_scope(|scope| {
        let (sender, mut receiver) = mpsc::channel();
        scope.spawn(move |_| {
            // The receiver outlives the job: a send cannot fail.
            let _ = sender.send(work());
        });
        let mut interrupted = None;
        loop {
            let (back, received) = py.detach(move || {
                let received = receiver.recv_timeout(Duration::from_millis(50));
                (receiver, received)
            });
            receiver = back;
            match received {
                Ok(value) => return interrupted.map_or(Ok(value), Err),
                Err(RecvTimeoutError::Timeout) => {
                    if interrupted.is_none()
                        && let Err(signal) = py.check_signals()
                    {
                        cancel.cancel();
                        interrupted = Some(signal);
                    }
                }
                // The worker ended without sending: it panicked, which is a bug.
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(interrupted.unwrap_or_else(|| {
                        errors::internal("the run stopped unexpectedly".to_owned())
                    }));
                }
            }
        }
    })
}

/// How many runs may nest on one worker thread: a call from a progress callback, made from
/// the progress callback of a call from a progress callback, and so on.
const MAX_NESTED_RUNS: usize = 4;

thread_local! {
    /// How many runs are under way on this worker thread.
    static NESTED_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A run under way on a worker thread, counted while it lasts (even should it panic).
struct Nested;

impl Nested {
    fn enter() -> PyResult<Nested> {
        let runs = NESTED_RUNS.get();
        if runs >= MAX_NESTED_RUNS {
            return Err(errors::usage(
                "nested_call_limit",
                format!(
                    "apportion was called from a progress callback more than {MAX_NESTED_RUNS} \
                     calls deep"
                ),
            ));
        }
        NESTED_RUNS.set(runs + 1);
        Ok(Nested)
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        NESTED_RUNS.set(NESTED_RUNS.get().saturating_sub(1));
    }
}

/// The schema of `table` (`what` names it in errors) as `load` makes it from the table's
/// columns. Loading and freeing the records run with the GIL released: a large table takes tens
/// of milliseconds, which other Python threads need not wait for.
fn loaded_schema(
    table: &Bound<'_, PyAny>,
    what: &str,
    load: impl FnOnce(Vec<Column>) -> Result<Schema, InputError> + Send,
) -> PyResult<Schema> {
    let read = tables_in::read(table, what)?;
    let columns = read.columns;
    table
        .py()
        .detach(|| load(columns))
        .map_err(|e| errors::to_py(e.into()))
}

/// Load options with column type overrides (`{"postcode": "string"}`), which win over the
/// types the tables declare.
pub(crate) fn load_options(types: Option<HashMap<String, String>>) -> PyResult<LoadOptions> {
    let mut options = LoadOptions::default();
    for (column, type_name) in types.unwrap_or_default() {
        let value_type = ValueType::from_name(&type_name).ok_or_else(|| {
            errors::to_py(
                apportion::InputError::UnknownType {
                    column: column.clone(),
                    type_name: type_name.clone(),
                }
                .into(),
            )
        })?;
        options.types.insert(column, value_type);
    }
    Ok(options)
}

pub(crate) fn parse_date(text: &str) -> PyResult<Date> {
    text.parse().map_err(|_| {
        errors::input(
            "invalid_date",
            format!("as_of `{text}` is not a date (YYYY-MM-DD)"),
        )
    })
}

/// `threads` within 1 to [`apportion::MAX_THREADS`], checked before the call starts; `None`
/// is one per core. The error is the engine's own (code `invalid_threads`).
fn check_threads(threads: Option<usize>) -> PyResult<Option<usize>> {
    match threads {
        Some(n) if n == 0 || n > apportion::MAX_THREADS => Err(errors::to_py(
            apportion::InputError::InvalidThreads { threads: n }.into(),
        )),
        threads => Ok(threads),
    }
}

fn on_error(skip: bool) -> OnRuleError {
    if skip {
        OnRuleError::Skip
    } else {
        OnRuleError::Fail
    }
}

/// A Python progress callable, called from worker threads with (done, total); the first
/// exception it raises (a tqdm bar closed, a KeyboardInterrupt) is raised after the run.
struct Callback {
    function: Option<Arc<Py<PyAny>>>,
    failure: Arc<Mutex<Option<PyErr>>>,
}

impl Callback {
    fn new(function: Option<Py<PyAny>>) -> Callback {
        Callback {
            function: function.map(Arc::new),
            failure: Arc::new(Mutex::new(None)),
        }
    }

    fn progress(&self) -> Option<Progress> {
        let function = self.function.clone()?;
        let failure = Arc::clone(&self.failure);
        Some(Arc::new(move |done: usize, total: usize| {
            Python::attach(|py| {
                if let Err(error) = function.call1(py, (done, total))
                    && let Ok(mut slot) = failure.lock()
                {
                    slot.get_or_insert(error);
                }
            });
        }))
    }

    fn raise_if_failed(&self) -> PyResult<()> {
        match self.failure.lock().ok().and_then(|mut slot| slot.take()) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
