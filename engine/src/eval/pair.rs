//! Running the pair rules `eligible(c, m)` and `affinity(c, m)`. Customers that agree on every
//! field the pair rules read form a class, and the rules run once per (class, manager). What
//! the rules read was found when the rulebook was compiled ([`PairRules`]).
//!
//! [`PairRules`]: crate::rules::PairRules

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rhai::{AST, CallFnOptions, Dynamic, Engine, Scope};

use super::convert::Converter;
use super::fuel;
use super::native::{Clauses, NativeRules, Sum};
use super::sandbox::{self, ManagerData, ManagerRecord, Record, Slots};
use crate::cancel::Cancel;
use crate::date::Date;
use crate::error::{Position, Result, RuleError};
use crate::model::{Customer, Managers, Schema, Value};
use crate::rules::keys::{CustomerFields, KeyMaker, KeyPart, Regions};
use crate::rules::{AFFINITY, ELIGIBLE, Rulebook};
use crate::scores::CustomerScores;

mod cells;
mod clauses;
mod stay;
mod terms;
use clauses::{ClauseCache, ClauseTables};
pub(crate) use stay::{Current, StayBonus, stay_bonus, stay_terms};
use terms::{TermCache, TermTables};

/// The eligible managers of one class, by index in the managers, with their affinity.
pub(crate) type Eligible = Vec<(u32, i64)>;

/// One class to evaluate: a representative customer, its derived values, and the scores it
/// brings of its own (a lead's; the book's customers have theirs from the book's table).
pub(crate) struct Representative<'a> {
    pub(crate) customer: &'a Customer,
    pub(crate) derived: &'a [Value],
    pub(crate) scores: Option<&'a CustomerScores>,
}

/// Runs the pair rules for each representative against every manager. Each class gets its
/// eligible managers, or the error of its first failing pair (in manager order).
///
/// Each rule runs once per (class of its own reads, manager): `eligible` reading region and
/// tier sees a few dozen classes where the pair classes, which also split by what `affinity`
/// reads, are thousands. `affinity` runs only for pairs some class finds eligible. With
/// `regions` (aggregation on), classes key fields by those regions and a running-score
/// `affinity` runs term by term ([`terms`]); without, every value stands for itself and
/// `affinity` runs whole.
pub(crate) fn evaluate(
    rulebook: &Rulebook,
    (customer_schema, scores): CustomerFields<'_>,
    managers: &Managers,
    representatives: &[Representative<'_>],
    (as_of, regions): (Date, Option<&Regions>),
    cancel: Option<&Cancel>,
) -> Verdicts {
    let (factorise, exact) = (regions.is_some(), Regions::none());
    let regions = regions.unwrap_or(&exact);
    let slots = Slots::for_customers(customer_schema, rulebook).with_scores(scores);
    let pair = rulebook.pair_rules();
    let manager_count = managers.records.len();
    if pair.is_empty() {
        return Verdicts::everyone(representatives.len(), manager_count);
    }
    // Representatives by the values of `reads`: each one's class, and each class's first.
    let classes_by = |reads: &[String]| {
        if pair.reads_customer_dynamically {
            return (
                (0..representatives.len()).collect(),
                (0..representatives.len()).collect(),
            );
        }
        let keys = KeyMaker::new(rulebook, (customer_schema, scores), reads, regions);
        keys.classes(
            representatives
                .iter()
                .map(|r| (r.customer, r.derived, r.scores)),
        )
    };
    let (eligible_of, eligible_first) = classes_by(&pair.eligible_reads);
    let records = manager_records(managers, rulebook);
    let new_worker = || Worker::new(rulebook, &slots, (managers, &records), as_of, cancel);
    let stopped = || cancel.is_some_and(Cancel::is_cancelled);

    // eligible[e][m] for each class of eligible's reads: clause by clause where eligible is
    // a run of guards and aggregation is on.
    let clause_tables = factorise
        .then(|| {
            let mut first = new_worker();
            let clauses = first.clauses.take()?;
            let firsts: Vec<&Representative<'_>> = eligible_first
                .iter()
                .map(|&r| &representatives[r])
                .collect();
            ClauseTables::build(
                &clauses,
                rulebook,
                ((customer_schema, scores), regions),
                &firsts,
                manager_count,
                (first.native.step_budget(), &new_worker),
                cancel,
            )
        })
        .flatten();
    let eligible: Vec<EligibleRow> = eligible_first
        .par_iter()
        .enumerate()
        .with_min_len(job_size(eligible_first.len()))
        .map_init(new_worker, |worker, (e, &r)| {
            // Once cancelled, the remaining classes are skipped; the caller checks the flag
            // and discards this result.
            if stopped() {
                return EligibleRow::default();
            }
            let known = |m| clause_tables.as_ref()?.verdict(e, m);
            worker.eligible_knowing(rulebook, &representatives[r], known)
        })
        .collect();
    if let (true, Some(_)) = (factorise, pair.affinity) {
        let mut first = new_worker();
        if let Some(sum) = first.sum.take() {
            let tables = TermTables::build(
                &sum,
                rulebook,
                ((customer_schema, scores), regions),
                representatives,
                &eligible_of,
                &eligible,
                manager_count,
                (first.native.step_budget(), &new_worker),
                cancel,
            );
            // Only representatives the tables cannot answer alone are settled now; every
            // other row is rebuilt from the tables when asked for.
            let settled: Vec<(u32, Result<Eligible, RuleError>)> = representatives
                .par_iter()
                .zip(&eligible_of)
                .enumerate()
                .with_min_len(job_size(representatives.len()))
                .map_init(new_worker, |worker, (r, (representative, &e))| {
                    let row = &eligible[e];
                    if stopped() || (row.errors.is_empty() && tables.answers(r)) {
                        return None;
                    }
                    Some((
                        r as u32,
                        worker.summed(rulebook, representative, r, row, &tables),
                    ))
                })
                .flatten()
                .collect();
            return Verdicts {
                eligible_of: eligible_of.iter().map(|&e| e as u32).collect(),
                eligible,
                tables: Some(tables),
                settled: settled.into_iter().collect(),
                max_affinity: OnceLock::new(),
            };
        }
    }
    // affinity for each class of affinity's reads, only against the managers some class with
    // those reads finds eligible.
    let (affinity_of, affinity_first) = classes_by(&pair.affinity_reads);
    let mut wanted: Vec<Vec<u32>> = vec![Vec::new(); affinity_first.len()];
    for (&e, &a) in eligible_of.iter().zip(&affinity_of) {
        wanted[a].extend_from_slice(&eligible[e].managers);
    }
    for managers in &mut wanted {
        managers.sort_unstable();
        managers.dedup();
    }
    let affinity: Vec<AffinityRow> = affinity_first
        .par_iter()
        .zip(&wanted)
        .with_min_len(job_size(affinity_first.len()))
        .map_init(new_worker, |worker, (&r, wanted)| {
            if stopped() {
                return AffinityRow::default();
            }
            worker.affinity(rulebook, &representatives[r], wanted)
        })
        .collect();

    let rows: Vec<Result<Eligible, RuleError>> = eligible_of
        .iter()
        .zip(&affinity_of)
        .map(|(&e, &a)| combine(&eligible[e], &affinity[a]))
        .collect();
    Verdicts {
        eligible_of: vec![0; rows.len()],
        eligible: Vec::new(),
        tables: None,
        max_affinity: rows.iter().map(largest).max().unwrap_or(0).into(),
        settled: rows
            .into_iter()
            .enumerate()
            .map(|(r, row)| (r as u32, row))
            .collect(),
    }
}

/// `affinity` for each of `pairs` (a representative and a manager) as it would be were the
/// model silent on them: the rules run with no scores at all. What a plan subtracts from a
/// pair's affinity to find the scores' contribution; `None` where the rule fails without its
/// score.
pub(crate) fn affinities_unscored(
    rulebook: &Rulebook,
    (customer_schema, managers): (&Schema, &Managers),
    pairs: &[(Representative<'_>, u32)],
    as_of: Date,
) -> Vec<Option<i64>> {
    let slots = Slots::for_customers(customer_schema, rulebook);
    let records = manager_records(managers, rulebook);
    let new_worker = || Worker::new(rulebook, &slots, (managers, &records), as_of, None);
    pairs
        .par_iter()
        .with_min_len(job_size(pairs.len()))
        .map_init(new_worker, |worker, (representative, m)| {
            let row = worker.affinity(rulebook, representative, &[*m]);
            row.values.first().map(|&(_, affinity)| affinity)
        })
        .collect()
}

/// The [`Regions`] pair classes key customers by: the integer fields the pair rules only
/// compare with constants, found in their native steps. None when a pair rule runs through
/// rhai (its uses cannot be seen) or rule errors may quote values (customers of one region
/// would then be told apart by their messages).
pub(crate) fn regions(
    rulebook: &Rulebook,
    customer_schema: &Schema,
    manager_schema: &Schema,
    as_of: Date,
) -> Regions {
    let pair = rulebook.pair_rules();
    if pair.is_empty() || pair.reads_customer_dynamically || rulebook.reveals_values() {
        return Regions::none();
    }
    let slots = Slots::for_customers(customer_schema, rulebook);
    let manager_slots = sandbox::manager_slots(manager_schema, rulebook);
    let native = NativeRules::with_managers(
        rulebook.ir(),
        &[],
        &slots,
        Some(&manager_slots),
        &rulebook.limits(),
        as_of,
    );
    let rules: Vec<Option<usize>> = [(ELIGIBLE, pair.eligible), (AFFINITY, pair.affinity)]
        .into_iter()
        .filter(|(_, defined)| defined.is_some())
        .map(|(name, _)| native.function(name, 2))
        .collect();
    native.regions(&rules, &slots)
}

/// What the pair rules decided for each representative: its eligible managers with their
/// affinity, or the error of its first failing pair. Term by term, only the rows of
/// `eligible`'s classes and the term tables are kept, and a representative's row is rebuilt
/// when asked for: memory follows classes and managers, not pairs.
pub(crate) struct Verdicts {
    /// Each representative's class of `eligible`'s reads, and each class's row.
    eligible_of: Vec<u32>,
    eligible: Vec<EligibleRow>,
    tables: Option<TermTables>,
    /// Rows decided whole: the representatives the tables cannot answer (a pair rhai
    /// decides, a failure), or every one when `affinity` is not evaluated term by term.
    settled: foldhash::HashMap<u32, Result<Eligible, RuleError>>,
    /// Found on first use: it takes a pass over every pair, which only the solver needs.
    max_affinity: OnceLock<u64>,
}

impl Verdicts {
    /// Every manager eligible for each of `representatives`, with affinity 0.
    fn everyone(representatives: usize, managers: usize) -> Verdicts {
        Verdicts {
            eligible_of: vec![0; representatives],
            eligible: vec![EligibleRow {
                managers: (0..managers as u32).collect(),
                errors: Vec::new(),
            }],
            tables: None,
            settled: foldhash::HashMap::default(),
            max_affinity: 0.into(),
        }
    }

    /// How many representatives it holds a verdict for.
    pub(crate) fn len(&self) -> usize {
        self.eligible_of.len()
    }

    /// Representative `r`'s eligible managers with their affinity, in manager order, or the
    /// error of its first failing pair.
    pub(crate) fn get(&self, r: usize) -> Result<Cow<'_, [(u32, i64)]>, &RuleError> {
        if let Some(row) = self.settled.get(&(r as u32)) {
            return row.as_deref().map(Cow::Borrowed);
        }
        let Some(row) = self
            .eligible_of
            .get(r)
            .and_then(|&e| self.eligible.get(e as usize))
        else {
            return Ok(Cow::Borrowed(&[]));
        };
        let Some(tables) = &self.tables else {
            return Ok(Cow::Owned(row.managers.iter().map(|&m| (m, 0)).collect()));
        };
        let mut scores = Vec::new();
        tables.affinities(r, &row.managers, &mut NoPerPair, &mut scores);
        // The evaluation settled every representative with a score the tables cannot give,
        // so each one here is known.
        Ok(Cow::Owned(
            row.managers
                .iter()
                .zip(scores)
                .filter_map(|(&m, score)| Some((m, score?)))
                .collect(),
        ))
    }

    /// Whether representative `r` has an eligible manager, or the error of its first failing
    /// pair: [`Verdicts::get`] without rebuilding the row.
    pub(crate) fn any_eligible(&self, r: usize) -> Result<bool, &RuleError> {
        match self.settled.get(&(r as u32)) {
            Some(row) => row.as_ref().map(|row| !row.is_empty()),
            None => Ok(self
                .eligible_of
                .get(r)
                .and_then(|&e| self.eligible.get(e as usize))
                .is_some_and(|row| !row.managers.is_empty())),
        }
    }

    /// How many managers representative `r` finds eligible (0 for a failure):
    /// [`Verdicts::get`]'s length without rebuilding the row.
    pub(crate) fn eligible_count(&self, r: usize) -> usize {
        match self.settled.get(&(r as u32)) {
            Some(row) => row.as_ref().map_or(0, Vec::len),
            None => self
                .eligible_of
                .get(r)
                .and_then(|&e| self.eligible.get(e as usize))
                .map_or(0, |row| row.managers.len()),
        }
    }

    /// The class of `eligible`'s reads of representative `r`, whose managers
    /// [`Verdicts::class_managers`] lists; `None` where rows were decided whole.
    pub(crate) fn eligible_class(&self, r: usize) -> Option<u32> {
        self.tables.as_ref()?;
        self.eligible_of.get(r).copied()
    }

    /// The managers class `e` of `eligible`'s reads finds eligible, in order.
    pub(crate) fn class_managers(&self, e: u32) -> &[u32] {
        self.eligible
            .get(e as usize)
            .map_or(&[], |row| row.before_first_error())
    }

    /// Whether `bonus`, split off `affinity` before these verdicts were reached, leaves them
    /// exactly the rule's for customers with a manager too: every row with a score came from
    /// the tables, which would answer it with the bonus terms' steps and values added.
    pub(crate) fn admit(&self, bonus: &StayBonus) -> bool {
        let Some(tables) = &self.tables else {
            return false;
        };
        !tables.has_per_pair_terms()
            && (0..self.len()).all(|r| {
                let errors = self
                    .eligible_of
                    .get(r)
                    .and_then(|&e| self.eligible.get(e as usize))
                    .is_some_and(|row| !row.errors.is_empty());
                errors || tables.answers_beside(r, (bonus.steps, bonus.largest))
            })
    }

    /// The error of the first representative whose pair rules failed, if any.
    pub(crate) fn first_error(&self) -> Option<&RuleError> {
        self.settled
            .iter()
            .filter_map(|(&r, row)| Some((r, row.as_ref().err()?)))
            .min_by_key(|&(r, _)| r)
            .map(|(_, error)| error)
    }

    /// The largest affinity in absolute value over every eligible pair.
    pub(crate) fn max_abs_affinity(&self) -> u64 {
        *self.max_affinity.get_or_init(|| {
            (0..self.len())
                .into_par_iter()
                .with_min_len(job_size(self.len()))
                .map_init(Vec::new, |scores, r| self.largest_of(r, scores))
                .max()
                .unwrap_or(0)
        })
    }

    /// The largest affinity of representative `r`'s row in absolute value, rebuilding it in
    /// `scores` rather than in a new row.
    fn largest_of(&self, r: usize, scores: &mut Vec<Option<i64>>) -> u64 {
        if let Some(row) = self.settled.get(&(r as u32)) {
            return largest(row);
        }
        let row = self
            .eligible_of
            .get(r)
            .and_then(|&e| self.eligible.get(e as usize));
        let (Some(row), Some(tables)) = (row, &self.tables) else {
            return 0;
        };
        tables.affinities(r, &row.managers, &mut NoPerPair, scores);
        scores
            .iter()
            .flatten()
            .map(|a| a.unsigned_abs())
            .max()
            .unwrap_or(0)
    }

    /// Every representative's row, in order.
    pub(crate) fn into_rows(self) -> Vec<Result<Eligible, RuleError>> {
        (0..self.len())
            .map(|r| match self.get(r) {
                Ok(row) => Ok(row.into_owned()),
                Err(error) => Err(error.clone()),
            })
            .collect()
    }
}

/// The largest affinity of a row in absolute value (0 for a failure).
fn largest(row: &Result<Eligible, RuleError>) -> u64 {
    row.iter()
        .flatten()
        .map(|&(_, a)| a.unsigned_abs())
        .max()
        .unwrap_or(0)
}

/// For rows rebuilt after the evaluation: no term is evaluated per pair then.
struct NoPerPair;

impl terms::PerPair for NoPerPair {
    fn term(&mut self, _: usize, _: u32) -> Option<(i64, u64)> {
        None
    }
}

/// `eligible` for one class: the managers it holds for and the errors it raised, each in
/// manager order. Kept as lists, not a row per manager: classes times managers would be the
/// largest thing in memory.
#[derive(Default, Clone)]
struct EligibleRow {
    managers: Vec<u32>,
    errors: Vec<(u32, RuleError)>,
}

impl EligibleRow {
    /// The managers before the first failing pair: the row's verdict stops there.
    fn before_first_error(&self) -> &[u32] {
        match self.errors.first() {
            Some(&(at, _)) => &self.managers[..self.managers.partition_point(|&m| m < at)],
            None => &self.managers,
        }
    }
}

/// `affinity` for one class against the managers wanted: values and errors, in manager order.
#[derive(Default)]
struct AffinityRow {
    values: Vec<(u32, i64)>,
    errors: Vec<(u32, RuleError)>,
}

/// One class's eligible managers with their affinity, or the error of its first failing pair
/// (in manager order).
fn combine(eligible: &EligibleRow, affinity: &AffinityRow) -> Result<Eligible, RuleError> {
    let stop = eligible.errors.first();
    let mut chosen = Vec::with_capacity(eligible.managers.len());
    for &m in &eligible.managers {
        if stop.is_some_and(|&(at, _)| at < m) {
            break;
        }
        if let Ok(i) = affinity.errors.binary_search_by_key(&m, |(at, _)| *at) {
            return Err(affinity.errors[i].1.clone());
        }
        if let Ok(i) = affinity.values.binary_search_by_key(&m, |&(at, _)| at) {
            chosen.push((m, affinity.values[i].1));
        }
    }
    match stop {
        Some((_, error)) => Err(error.clone()),
        None => Ok(chosen),
    }
}

/// The pair rules for one class at a time on one kept engine, as a router meets new classes:
/// it pays for the rule calls, not for building an engine, and remembers `eligible`'s rows
/// per class of its reads and, for a running-score `affinity`, each term's cells per class of
/// the term's reads. A new lead then mostly costs a few lookups per eligible manager.
pub(crate) struct PairEvaluator {
    worker: Worker,
    managers: usize,
    /// `eligible`'s rows met so far, by the values of its reads (unless it reads the customer
    /// in a way not followed).
    eligible: Option<(KeyMaker, HashMap<Vec<KeyPart>, EligibleRow>)>,
    /// For `eligible` written as guards, each clause's cells met so far.
    clauses: Option<ClauseCache>,
    terms: Option<TermCache>,
}

impl PairEvaluator {
    pub(crate) fn new(
        rulebook: &Rulebook,
        (customer_schema, scores): CustomerFields<'_>,
        managers: &Managers,
        as_of: Date,
    ) -> PairEvaluator {
        let slots = Slots::for_customers(customer_schema, rulebook).with_scores(scores);
        let regions = regions(rulebook, customer_schema, &managers.schema, as_of);
        let mut worker = Worker::new(
            rulebook,
            &slots,
            (managers, &manager_records(managers, rulebook)),
            as_of,
            None,
        );
        let pair = rulebook.pair_rules();
        let terms = worker.sum.take().and_then(|sum| {
            let budget = worker.native.step_budget();
            TermCache::new(
                &sum,
                rulebook,
                ((customer_schema, scores), &regions),
                managers.records.len(),
                budget,
            )
        });
        let clauses = worker.clauses.take().and_then(|clauses| {
            let budget = worker.native.step_budget();
            ClauseCache::new(
                &clauses,
                rulebook,
                ((customer_schema, scores), &regions),
                managers.records.len(),
                budget,
            )
        });
        PairEvaluator {
            worker,
            managers: managers.records.len(),
            clauses,
            eligible: (!pair.reads_customer_dynamically).then(|| {
                let keys = KeyMaker::new(
                    rulebook,
                    (customer_schema, scores),
                    &pair.eligible_reads,
                    &regions,
                );
                (keys, HashMap::new())
            }),
            terms,
        }
    }

    /// How many managers it evaluates against.
    pub(crate) fn managers(&self) -> usize {
        self.managers
    }

    /// The eligible managers of `representative`'s class.
    pub(crate) fn class(
        &mut self,
        rulebook: &Rulebook,
        representative: &Representative<'_>,
    ) -> Result<Eligible, RuleError> {
        if rulebook.pair_rules().is_empty() {
            return Ok((0..self.managers as u32).map(|j| (j, 0)).collect());
        }
        let eligible = match &mut self.eligible {
            Some((keys, rows)) => {
                let key = keys.key(
                    representative.customer,
                    representative.derived,
                    representative.scores,
                );
                match rows.get(&key) {
                    Some(row) => row.clone(),
                    None => {
                        let row = match &mut self.clauses {
                            Some(clauses) => {
                                let known = clauses.verdicts(&mut self.worker, representative);
                                self.worker.eligible_knowing(rulebook, representative, |m| {
                                    known.get(m as usize).copied().flatten()
                                })
                            }
                            None => self.worker.eligible(rulebook, representative),
                        };
                        rows.insert(key, row.clone());
                        row
                    }
                }
            }
            None => self.worker.eligible(rulebook, representative),
        };
        match &mut self.terms {
            Some(terms) if rulebook.pair_rules().affinity.is_some() => {
                let scores = terms.affinities(
                    &mut self.worker,
                    representative,
                    eligible.before_first_error(),
                );
                self.worker
                    .completed(rulebook, representative, &eligible, &scores)
            }
            _ => {
                let affinity = self
                    .worker
                    .affinity(rulebook, representative, &eligible.managers);
                combine(&eligible, &affinity)
            }
        }
    }
}

/// The managers as pair rules see them, built once and shared by every worker.
pub(crate) fn manager_records(managers: &Managers, rulebook: &Rulebook) -> Vec<ManagerRecord> {
    let mut convert = Converter::default();
    managers
        .records
        .iter()
        .map(|m| {
            ManagerRecord(Arc::new(ManagerData {
                id: m.id.as_str().into(),
                capacity: i64::from(m.capacity),
                target: i64::from(m.target_load()),
                values: sandbox::visible_values(
                    &managers.schema,
                    &m.attributes,
                    rulebook,
                    &mut convert,
                ),
            }))
        })
        .collect()
}

/// Few enough items per parallel job that each thread builds only a handful of workers (an
/// engine and every manager's record each), many enough to balance the threads.
fn job_size(items: usize) -> usize {
    items.div_ceil(4 * rayon::current_num_threads()).max(1)
}

/// One thread's engine, AST and manager records.
struct Worker {
    slots: Slots,
    engine: Engine,
    ast: AST,
    managers: Vec<ManagerRecord>,
    convert: Converter,
    scope: Scope<'static>,
    /// The pair rules compiled to native steps where they can be; rhai decides the rest.
    native: NativeRules,
    /// `eligible` and `affinity` among `native`'s functions, if they compiled.
    native_rules: (Option<usize>, Option<usize>),
    /// `affinity` as a running score, if it is one.
    sum: Option<Sum>,
    /// `eligible` as guards and the rest, if it is written so.
    clauses: Option<Clauses>,
    /// Scratch space for one representative's affinities.
    scores: Vec<Option<i64>>,
    stack: Vec<Dynamic>,
    /// The current class's record and every manager, boxed once for the native calls.
    record_arg: Dynamic,
    manager_args: Vec<Dynamic>,
}

impl Worker {
    fn new(
        rulebook: &Rulebook,
        slots: &Slots,
        (managers, records): (&Managers, &[ManagerRecord]),
        as_of: Date,
        cancel: Option<&Cancel>,
    ) -> Worker {
        let mut engine = sandbox::run_engine(&rulebook.limits(), slots, as_of, cancel);
        sandbox::register_managers(&mut engine, &managers.schema, rulebook);
        let manager_slots = sandbox::manager_slots(&managers.schema, rulebook);
        let ast = sandbox::worker_ast(rulebook);
        let convert = Converter::default();
        let managers = records.to_vec();
        let mut native = NativeRules::with_managers(
            rulebook.ir(),
            &[],
            slots,
            Some(&manager_slots),
            &rulebook.limits(),
            as_of,
        );
        let native_rules = (native.function(ELIGIBLE, 2), native.function(AFFINITY, 2));
        let sum = native_rules.1.and_then(|f| native.sum(f, slots));
        let clauses = native_rules.0.and_then(|f| native.clauses(f, slots));
        let manager_args: Vec<Dynamic> = managers.iter().cloned().map(Dynamic::from).collect();
        Worker {
            slots: slots.clone(),
            engine,
            ast,
            managers,
            convert,
            scope: Scope::new(),
            native,
            native_rules,
            sum,
            clauses,
            scores: Vec::new(),
            stack: Vec::new(),
            record_arg: Dynamic::UNIT,
            manager_args,
        }
    }

    /// `eligible` for `representative` against every manager (true without the rule).
    fn eligible(
        &mut self,
        rulebook: &Rulebook,
        representative: &Representative<'_>,
    ) -> EligibleRow {
        self.eligible_knowing(rulebook, representative, |_| None)
    }

    /// [`Worker::eligible`], taking the verdicts `known` gives (from clause tables) and
    /// running the whole rule for the managers it does not know.
    fn eligible_knowing(
        &mut self,
        rulebook: &Rulebook,
        representative: &Representative<'_>,
        known: impl Fn(u32) -> Option<bool>,
    ) -> EligibleRow {
        let mut row = EligibleRow::default();
        let Some(at) = rulebook.pair_rules().eligible else {
            row.managers = (0..self.managers.len() as u32).collect();
            return row;
        };
        let customer = representative.customer;
        let record = self.record_of(representative);
        for m in 0..self.managers.len() as u32 {
            if let Some(verdict) = known(m) {
                if verdict {
                    row.managers.push(m);
                }
                continue;
            }
            let outcome = self
                .call(rulebook, (ELIGIBLE, at), &record, m, customer)
                .and_then(|result| {
                    result
                        .as_bool()
                        .map_err(|_| invalid(ELIGIBLE, customer, &result, "bool"))
                });
            match outcome {
                Ok(true) => row.managers.push(m),
                Ok(false) => {}
                Err(error) => row.errors.push((m, error)),
            }
        }
        row
    }

    /// `affinity` for `representative` against the `wanted` managers, in order (0 without the
    /// rule).
    fn affinity(
        &mut self,
        rulebook: &Rulebook,
        representative: &Representative<'_>,
        wanted: &[u32],
    ) -> AffinityRow {
        let mut row = AffinityRow::default();
        let Some(at) = rulebook.pair_rules().affinity else {
            row.values = wanted.iter().map(|&m| (m, 0)).collect();
            return row;
        };
        let customer = representative.customer;
        let record = self.record_of(representative);
        row.values.reserve(wanted.len());
        for &m in wanted {
            let outcome = self
                .call(rulebook, (AFFINITY, at), &record, m, customer)
                .and_then(|result| {
                    result
                        .as_int()
                        .map_err(|_| invalid(AFFINITY, customer, &result, "int"))
                });
            match outcome {
                Ok(value) => row.values.push((m, value)),
                Err(error) => row.errors.push((m, error)),
            }
        }
        row
    }

    /// `representative`'s eligible managers with their affinity from the term `tables`, or
    /// the error of its first failing pair: what [`combine`] gives from whole-rule rows.
    fn summed(
        &mut self,
        rulebook: &Rulebook,
        representative: &Representative<'_>,
        r: usize,
        eligible: &EligibleRow,
        tables: &TermTables,
    ) -> Result<Eligible, RuleError> {
        let managers = eligible.before_first_error();
        if tables.has_per_pair_terms() {
            self.record_of(representative);
        }
        let mut scores = std::mem::take(&mut self.scores);
        tables.affinities(r, managers, self, &mut scores);
        let row = self.completed(rulebook, representative, eligible, &scores);
        self.scores = scores;
        row
    }

    /// `eligible`'s managers with the affinities `scores` gives them, each `None` filled in
    /// by the whole rule; or the error of the first failing pair, in manager order.
    fn completed(
        &mut self,
        rulebook: &Rulebook,
        representative: &Representative<'_>,
        eligible: &EligibleRow,
        scores: &[Option<i64>],
    ) -> Result<Eligible, RuleError> {
        let managers = eligible.before_first_error();
        let mut chosen = Vec::with_capacity(managers.len());
        let mut record = None;
        for (&m, &score) in managers.iter().zip(scores) {
            if let Some(value) = score {
                chosen.push((m, value));
                continue;
            }
            let record = record
                .get_or_insert_with(|| self.record_of(representative))
                .clone();
            let at = rulebook
                .pair_rules()
                .affinity
                .unwrap_or(Position { line: 1, column: 1 });
            let customer = representative.customer;
            let value = self
                .call(rulebook, (AFFINITY, at), &record, m, customer)
                .and_then(|result| {
                    result
                        .as_int()
                        .map_err(|_| invalid(AFFINITY, customer, &result, "int"))
                })?;
            chosen.push((m, value));
        }
        match eligible.errors.first() {
            Some((_, error)) => Err(error.clone()),
            None => Ok(chosen),
        }
    }

    /// Lends `representative`'s record to the native calls that follow.
    fn lend_record(&mut self, representative: &Representative<'_>) {
        self.record_of(representative);
    }

    /// The record pair rules see for `representative`, also kept boxed for native calls.
    fn record_of(&mut self, representative: &Representative<'_>) -> Record {
        let record = Record::scored(
            representative.customer,
            representative.derived,
            &self.slots,
            &mut self.convert,
            representative.scores,
        );
        self.record_arg = Dynamic::from(record.clone());
        record
    }

    /// `rule` for `record` and manager `m`: natively where the rule compiled, else by rhai.
    fn call(
        &mut self,
        rulebook: &Rulebook,
        (rule, at): (&str, Position),
        record: &Record,
        m: u32,
        customer: &Customer,
    ) -> Result<Dynamic, RuleError> {
        let native = if rule == ELIGIBLE {
            self.native_rules.0
        } else {
            self.native_rules.1
        };
        if let Some(function) = native
            && let Some((value, _)) = self.native_call(function, m)
        {
            return Ok(value);
        }
        // Only reached for managers of this worker, so the record is always there.
        let manager = self.managers.get(m as usize).cloned();
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        self.engine
            .call_fn_with_options(
                options,
                &mut self.scope,
                &self.ast,
                rule,
                (record.clone(), manager.map_or(Dynamic::UNIT, Dynamic::from)),
            )
            .map_err(|e| {
                sandbox::runtime_error(*e, (rule, Some(at)), customer.id.as_str(), rulebook)
            })
    }
}

impl terms::PerPair for Worker {
    fn term(&mut self, function: usize, m: u32) -> Option<(i64, u64)> {
        let (value, spent) = self.native_call(function, m)?;
        Some((value.as_int().ok()?, spent))
    }
}

impl Worker {
    /// Native `function` for the lent record and manager `m`, with the steps it spent, or
    /// `None` where rhai must decide.
    pub(super) fn native_call(&mut self, function: usize, m: u32) -> Option<(Dynamic, u64)> {
        let manager_arg = self.manager_args.get_mut(m as usize)?;
        let mut args = [
            std::mem::take(&mut self.record_arg),
            std::mem::take(manager_arg),
        ];
        // A helper with no native steps (a `switch`, say) runs through rhai on its own.
        let (engine, ast, scope) = (&self.engine, &self.ast, &mut self.scope);
        let mut helper = |name: &str, args: Vec<Dynamic>| {
            let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
            let value = engine
                .call_fn_with_options::<Dynamic>(options, scope, ast, name, args)
                .ok()?;
            Some((value, fuel::spent_by_last_evaluation()))
        };
        let outcome =
            self.native
                .call_lent(function, &mut args, &mut self.stack, Some(&mut helper));
        let [record_arg, manager_arg_back] = args;
        self.record_arg = record_arg;
        *manager_arg = manager_arg_back;
        outcome
    }
}

fn invalid(rule: &str, customer: &Customer, result: &Dynamic, expected: &str) -> RuleError {
    RuleError::InvalidResult {
        rule: rule.to_owned(),
        customer: customer.id.to_string(),
        found: format!(
            "a value of type `{}` where {expected} is expected",
            result.type_name()
        ),
    }
}
