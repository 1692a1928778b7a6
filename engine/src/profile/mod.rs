//! Profiling: every derived field for every customer, in parallel and deterministic — the
//! output is the same on one thread or many. This module is the public API (options, the
//! result, [`Rulebook::profile`]) and the run over chunks of customers; each customer is
//! evaluated by `eval::fields`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::cancel::Cancel;
use crate::date::Date;
use crate::error::{Error, Result, RuleError};
use crate::eval::fields::{Evaluator, Worker};
use crate::model::{Customer, CustomerId, Customers, Value};
use crate::rules::Rulebook;

/// What to do when a rule fails for a customer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnRuleError {
    /// Stop the run with the error of the first failing customer (in input order).
    #[default]
    Fail,
    /// Leave the customer out of the profile and report the error in [`Profile::skipped`].
    Skip,
}

/// Called with (customers done, customers in all) as a run progresses.
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// Options of a profiling run.
#[derive(Clone)]
pub struct ProfileOptions {
    /// The date rules compare against (`days_since`, `as_of()`): results never depend on the clock.
    pub as_of: Date,
    /// Fail the run on a rule error, or skip and report the customer.
    pub on_error: OnRuleError,
    /// Worker threads, 1 to [`MAX_THREADS`](crate::MAX_THREADS) (else
    /// [`InputError::InvalidThreads`](crate::InputError::InvalidThreads)); `None` uses rayon's
    /// global pool. The result never depends on it.
    pub threads: Option<usize>,
    /// Progress callback, called from worker threads.
    pub progress: Option<Progress>,
    /// Stops the run once raised, inside a rule's evaluation too ([`crate::Error::Cancelled`]).
    pub cancel: Option<Cancel>,
}

impl ProfileOptions {
    /// Options for a run as of `as_of`: fail on the first rule error, default threads.
    pub fn new(as_of: Date) -> ProfileOptions {
        ProfileOptions {
            as_of,
            on_error: OnRuleError::Fail,
            threads: None,
            progress: None,
            cancel: None,
        }
    }
}

impl fmt::Debug for ProfileOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileOptions")
            .field("as_of", &self.as_of)
            .field("on_error", &self.on_error)
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// One customer's derived fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfiledCustomer {
    /// The customer.
    pub id: CustomerId,
    /// One value per derived field, in [`Profile::fields`] order.
    pub values: Vec<Value>,
}

/// The derived fields of every customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Derived field names, in the rulebook's declaration order.
    pub fields: Vec<String>,
    /// Profiled customers, in input order.
    pub customers: Vec<ProfiledCustomer>,
    /// Customers left out because a rule failed (only with [`OnRuleError::Skip`]), in input order.
    pub skipped: Vec<RuleError>,
}

impl Profile {
    /// The position of derived field `name` in each customer's values.
    pub fn field_position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }
}

/// Customers evaluated per task: large enough to amortise scheduling, small enough to
/// balance two cores and report progress often.
const CHUNK: usize = 512;

/// The derived values of every customer in one flat table, for runs that use them inside the
/// engine: a million customers then cost their values alone, not a list and an id each.
pub(crate) struct Derived {
    width: usize,
    /// `width` values per customer, in input order (nulls for one skipped).
    values: Vec<Value>,
    profiled: Vec<bool>,
    /// Customers left out because a rule failed (only with [`OnRuleError::Skip`]), in input order.
    pub(crate) skipped: Vec<RuleError>,
}

impl Derived {
    /// Customer `row`'s derived values, in the rulebook's declaration order; `None` if skipped.
    pub(crate) fn get(&self, row: usize) -> Option<&[Value]> {
        if !*self.profiled.get(row)? {
            return None;
        }
        self.values.get(row * self.width..(row + 1) * self.width)
    }
}

/// The outcome of one chunk.
enum ChunkOutcome {
    /// The chunk's values are in its place; these customers (by index in the book) were
    /// skipped.
    Done {
        left_out: Vec<usize>,
        skipped: Vec<RuleError>,
    },
    Failed {
        index: usize,
        error: RuleError,
    },
    /// The run was cancelled before this chunk started.
    Cancelled,
}

impl Rulebook {
    /// Evaluates every derived field for every customer. Checks the rulebook against the
    /// customers' schema first, so a read of a missing field fails before any rule runs.
    pub fn profile(&self, customers: &Customers, options: &ProfileOptions) -> Result<Profile> {
        let records = &customers.records;
        let places = records.chunks(CHUNK).map(|_| Vec::new()).collect();
        let (places, _, skipped) = self.run_chunks(customers, options, places)?;
        let profiled = places.into_iter().enumerate().flat_map(|(chunk, rows)| {
            rows.into_iter()
                .map(move |(offset, values)| ProfiledCustomer {
                    id: records[chunk * CHUNK + offset].id.clone(),
                    values,
                })
        });
        Ok(Profile {
            fields: self.fields().iter().map(|f| f.name.clone()).collect(),
            customers: profiled.collect(),
            skipped,
        })
    }

    /// [`Rulebook::profile`] into one flat table.
    pub(crate) fn derive(
        &self,
        customers: &Customers,
        options: &ProfileOptions,
    ) -> Result<Derived> {
        let width = self.fields().len();
        let count = customers.records.len();
        let mut values = vec![Value::Null; count * width];
        // Without derived fields every chunk still runs, for its errors, and keeps nothing.
        let places = match width {
            0 => customers
                .records
                .chunks(CHUNK)
                .map(|_| TableRows {
                    rows: &mut [],
                    width,
                })
                .collect(),
            _ => values
                .chunks_mut(CHUNK * width)
                .map(|rows| TableRows { rows, width })
                .collect(),
        };
        let (_, left_out, skipped) = self.run_chunks(customers, options, places)?;
        let mut profiled = vec![true; count];
        for row in left_out {
            profiled[row] = false;
        }
        Ok(Derived {
            width,
            values,
            profiled,
            skipped,
        })
    }

    /// Evaluates every customer, chunk by chunk into `places` (one per chunk): the places
    /// back, the customers skipped, and their errors; or the first customer's failure.
    fn run_chunks<P: Place>(
        &self,
        customers: &Customers,
        options: &ProfileOptions,
        places: Vec<P>,
    ) -> Result<(Vec<P>, Vec<usize>, Vec<RuleError>)> {
        self.check(&customers.schema)?;
        let run = Run::new(self, customers, options);
        let outcomes = crate::threads::run(options.threads, || Ok(run.all(places)))?;
        let (mut places, mut left_out, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
        let mut first_failure: Option<(usize, RuleError)> = None;
        for (outcome, place) in outcomes {
            match outcome {
                ChunkOutcome::Cancelled => return Err(Error::Cancelled),
                ChunkOutcome::Done {
                    left_out: rows,
                    skipped: errors,
                } => {
                    left_out.extend(rows);
                    skipped.extend(errors);
                }
                ChunkOutcome::Failed { index, error } => {
                    if first_failure
                        .as_ref()
                        .is_none_or(|(first, _)| index < *first)
                    {
                        first_failure = Some((index, error));
                    }
                }
            }
            places.push(place);
        }
        match first_failure {
            Some((_, error)) => Err(error.into()),
            None => Ok((places, left_out, skipped)),
        }
    }
}

/// Where a chunk keeps its customers' values.
trait Place: Send {
    /// Keeps `values`, those of the chunk's customer at `offset`.
    fn put(&mut self, offset: usize, values: Vec<Value>);
}

/// A list per customer, with its offset in the chunk: what [`Profile`] hands out.
impl Place for Vec<(usize, Vec<Value>)> {
    fn put(&mut self, offset: usize, values: Vec<Value>) {
        self.push((offset, values));
    }
}

/// The chunk's rows of a [`Derived`] table.
struct TableRows<'t> {
    rows: &'t mut [Value],
    width: usize,
}

impl Place for TableRows<'_> {
    fn put(&mut self, offset: usize, values: Vec<Value>) {
        let row = self.rows[offset * self.width..].iter_mut();
        for (slot, value) in row.zip(values) {
            *slot = value;
        }
    }
}

/// Everything shared by the workers of one run.
struct Run<'a> {
    evaluator: Evaluator,
    customers: &'a Customers,
    options: &'a ProfileOptions,
    done: AtomicUsize,
    first_failure: AtomicUsize,
}

impl<'a> Run<'a> {
    fn new(
        rulebook: &'a Rulebook,
        customers: &'a Customers,
        options: &'a ProfileOptions,
    ) -> Run<'a> {
        Run {
            evaluator: Evaluator::new(rulebook, &customers.schema, options.as_of),
            customers,
            options,
            done: AtomicUsize::new(0),
            first_failure: AtomicUsize::new(usize::MAX),
        }
    }

    /// Runs every chunk, keeping its customers' values in its place.
    fn all<P: Place>(&self, places: Vec<P>) -> Vec<(ChunkOutcome, P)> {
        self.customers
            .records
            .par_chunks(CHUNK)
            .zip(places)
            .enumerate()
            .map_init(
                || self.evaluator.worker(self.options.cancel.as_ref()),
                |worker, (chunk, (records, mut place))| {
                    let outcome = self.chunk(worker, (chunk * CHUNK, records), &mut place);
                    (outcome, place)
                },
            )
            .collect()
    }

    /// Evaluates the customers `records` (the first at index `start`), keeping their values
    /// in `place`.
    fn chunk(
        &self,
        worker: &mut Worker,
        (start, records): (usize, &[Customer]),
        place: &mut impl Place,
    ) -> ChunkOutcome {
        if is_cancelled(self.options) {
            return ChunkOutcome::Cancelled;
        }
        let mut left_out = Vec::new();
        let mut skipped = Vec::new();
        let fail = self.options.on_error == OnRuleError::Fail;
        for (offset, customer) in records.iter().enumerate() {
            let index = start + offset;
            // Another worker already failed on an earlier customer: this chunk cannot matter.
            if fail && index > self.first_failure.load(Ordering::Relaxed) {
                break;
            }
            match self.evaluator.customer(worker, customer) {
                Ok(values) => place.put(offset, values),
                // A rule stopped by the cancel flag: the run is cancelled, not failed.
                Err(_) if is_cancelled(self.options) => return ChunkOutcome::Cancelled,
                Err(error) if fail => {
                    self.first_failure.fetch_min(index, Ordering::Relaxed);
                    return ChunkOutcome::Failed { index, error };
                }
                Err(error) => {
                    left_out.push(index);
                    skipped.push(error);
                }
            }
        }
        if let Some(progress) = &self.options.progress {
            let done = self.done.fetch_add(records.len(), Ordering::Relaxed) + records.len();
            progress(done, self.customers.records.len());
        }
        ChunkOutcome::Done { left_out, skipped }
    }
}

fn is_cancelled(options: &ProfileOptions) -> bool {
    options.cancel.as_ref().is_some_and(Cancel::is_cancelled)
}
