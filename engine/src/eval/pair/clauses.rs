//! `eligible` evaluated clause by clause.
//!
//! When `eligible` starts with guards ([`Clauses`]), each clause is evaluated once per (class
//! of the customer fields it reads, manager) into a table, and a representative's verdict for
//! a manager is read off the tables in the rule's order: the first clause that fails makes the
//! pair ineligible. A province check then costs #provinces × #managers evaluations, however
//! many classes the other clauses make. Whatever a table cannot answer (a clause rhai must
//! decide, or clauses that together could come near the sandbox's budget) is left to the whole
//! rule, pair by pair.

use rayon::prelude::*;

use super::cells::{PartCells, within_budget};
use super::{Representative, Worker, job_size};
use crate::cancel::Cancel;
use crate::eval::native::Clauses;
use crate::rules::Rulebook;
use crate::rules::keys::{CustomerFields, KeyMaker, Regions};

/// A cell's verdicts: the pair passes the clause, fails it, or the whole rule must decide.
const PASSES: i8 = 1;
const FAILS: i8 = 0;
const UNKNOWN: i8 = -1;

/// The clauses' tables for one set of representatives.
pub(super) struct ClauseTables {
    tables: Vec<Table>,
    managers: usize,
}

/// One clause's verdicts by (clause class, manager), row after row, and each
/// representative's class.
struct Table {
    class_of: Vec<u32>,
    cells: Vec<i8>,
}

impl ClauseTables {
    /// Evaluates every clause for every (class of its reads, manager) over `representatives`;
    /// `None` when a clause hands the record on whole, its table would be too large, or the
    /// clauses together could spend more steps than the whole rule may.
    pub(super) fn build(
        clauses: &Clauses,
        rulebook: &Rulebook,
        (schema, regions): (CustomerFields<'_>, &Regions),
        representatives: &[&Representative<'_>],
        managers: usize,
        (budget, new_worker): (u64, &(dyn Fn() -> Worker + Sync)),
        cancel: Option<&Cancel>,
    ) -> Option<ClauseTables> {
        let limit = 8 * (representatives.len() + managers) + (1 << 22);
        let mut steps = 0u64;
        let mut tables = Vec::with_capacity(clauses.clauses.len());
        for clause in &clauses.clauses {
            let keys = KeyMaker::new(rulebook, schema, clause.reads.as_ref()?, regions);
            let (class_of, first) = keys.classes(
                representatives
                    .iter()
                    .map(|r| (r.customer, r.derived, r.scores)),
            );
            if first.len().saturating_mul(managers) > limit {
                return None;
            }
            let rows: Vec<(Vec<i8>, u64)> = first
                .par_iter()
                .with_min_len(job_size(first.len()))
                .map_init(new_worker, |worker, &r| {
                    let mut row = vec![UNKNOWN; managers];
                    if cancel.is_some_and(Cancel::is_cancelled) {
                        return (row, 0);
                    }
                    worker.lend_record(representatives[r]);
                    let mut most = 0;
                    for (m, cell) in (0..managers as u32).zip(&mut row) {
                        if let Some((value, spent)) = worker.native_call(clause.function, m)
                            && let Ok(passes) = value.as_bool()
                        {
                            *cell = if passes { PASSES } else { FAILS };
                            most = most.max(spent);
                        }
                    }
                    (row, most)
                })
                .collect();
            steps = steps.saturating_add(rows.iter().map(|(_, spent)| *spent).max().unwrap_or(0));
            tables.push(Table {
                class_of: class_of.iter().map(|&c| c as u32).collect(),
                cells: rows.into_iter().flat_map(|(row, _)| row).collect(),
            });
        }
        // Every pair's clauses together stay within what the whole rule may spend natively.
        (steps <= budget).then_some(ClauseTables { tables, managers })
    }

    /// Representative `r`'s verdict with manager `m`, or `None` where the whole rule decides.
    pub(super) fn verdict(&self, r: usize, m: u32) -> Option<bool> {
        for table in &self.tables {
            let class = *table.class_of.get(r)? as usize;
            match *table.cells.get(class * self.managers + m as usize)? {
                PASSES => {}
                FAILS => return Some(false),
                _ => return None,
            }
        }
        Some(true)
    }
}

/// The clauses for one representative at a time, remembering every cell evaluated.
pub(super) struct ClauseCache {
    budget: u64,
    managers: usize,
    clauses: Vec<PartCells<bool>>,
}

impl ClauseCache {
    /// A cache for `clauses`, unless one hands the customer record on whole.
    pub(super) fn new(
        clauses: &Clauses,
        rulebook: &Rulebook,
        keyed: (CustomerFields<'_>, &Regions),
        managers: usize,
        budget: u64,
    ) -> Option<ClauseCache> {
        let parts = clauses
            .clauses
            .iter()
            .map(|c| (c.function, c.reads.as_ref()));
        let clauses = PartCells::all(parts, rulebook, keyed, managers, |v| v.as_bool().ok())?;
        Some(ClauseCache {
            budget,
            managers,
            clauses,
        })
    }

    /// `representative`'s verdict with every manager, `None` where the whole rule decides.
    /// A clause is evaluated only for the managers every earlier clause let through, as the
    /// whole rule would; cells not met before are evaluated on `worker`.
    pub(super) fn verdicts(
        &mut self,
        worker: &mut Worker,
        representative: &Representative<'_>,
    ) -> Vec<Option<bool>> {
        let mut verdicts = vec![Some(true); self.managers];
        let mut spent = vec![0u64; self.managers];
        let mut lent = false;
        for clause in &mut self.clauses {
            let mut row = clause.row(representative);
            for (m, (verdict, spent)) in (0u32..).zip(verdicts.iter_mut().zip(&mut spent)) {
                if *verdict != Some(true) {
                    continue;
                }
                *verdict = row.get(m, worker, (representative, &mut lent), spent);
            }
        }
        within_budget(&mut verdicts, &spent, self.budget);
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::super::{PairEvaluator, Representative, evaluate};
    use crate::eval::testing::{self, as_of};
    use crate::model::Value;
    use crate::rules::Rulebook;
    use crate::rules::keys::Regions;

    use crate::eval::testing::pair_schema as schema;

    fn attributes() -> impl Strategy<Value = Vec<Value>> {
        (
            prop_oneof![1 => Just(Value::Null), 8 => (-2i64..4).prop_map(Value::Int)],
            (0i64..3).prop_map(Value::Int),
            prop_oneof![Just("a"), Just("b")].prop_map(|t| Value::Str(Arc::from(t))),
        )
            .prop_map(|(n, k, t)| vec![n, k, t])
    }

    /// Conditions as eligibility rules write them, some failing for some pairs (a division by
    /// zero, a null in a comparison, an integer where a boolean is due).
    fn condition() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("c.t != m.t".to_owned()),
            Just("c.k > m.k".to_owned()),
            (0i64..3).prop_map(|k| format!("c.n == {k}")),
            Just("10 / c.n > 3".to_owned()),
            Just("m.n".to_owned()),
            Just("c.k + m.k >= 3".to_owned()),
        ]
    }

    fn rest() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("true".to_owned()),
            condition(),
            (condition(), condition(), condition())
                .prop_map(|(p, q, r)| format!("if {p} {{ return {q}; }} {r}")),
            condition().prop_map(|p| format!("let x = {p}; !x")),
            // One conjunction, as analysts also write `eligible`: a clause per operand.
            proptest::collection::vec(condition(), 2..4).prop_map(|c| c.join(" && ")),
            (condition(), condition()).prop_map(|(p, q)| format!("return {p} && {q};")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]
        /// Clause by clause, every representative gets the whole rule's eligible managers or
        /// error: in a batch on one and two threads, and one class at a time.
        #[test]
        fn guards_and_conjunctions_clause_by_clause_equal_the_whole_rule(
            guards in proptest::collection::vec(condition(), 0..4),
            rest in rest(),
            rows in proptest::collection::vec((attributes(), Just(None)), 1..12),
            staff in proptest::collection::vec(attributes(), 1..5),
        ) {
            let guards: String =
                guards.iter().map(|g| format!("if {g} {{ return false; }} ")).collect();
            let rules = format!(
                "fn eligible(c, m) {{ {guards}{rest} }}\nfn affinity(c, m) {{ c.k * 10 + m.k }}"
            );
            prop_assume!(Rulebook::compile(&rules).is_ok());
            let rulebook = Rulebook::compile(&rules).unwrap();
            let (customers, managers) = testing::book(&schema(), rows, staff);
            let no_fields: Vec<Value> = Vec::new();
            let representatives: Vec<Representative<'_>> = customers
                .records
                .iter()
                .map(|customer| Representative {
                    customer,
                    derived: &no_fields,
                    scores: None,
                })
                .collect();
            let exact = Regions::none();
            let codes = |rows: Vec<Result<Vec<(u32, i64)>, crate::error::RuleError>>| {
                rows.into_iter().map(|row| row.map_err(|e| e.code())).collect::<Vec<_>>()
            };
            let run = |regions: Option<&Regions>, threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                codes(pool.install(|| {
                    evaluate(
                        &rulebook,
                        (&customers.schema, &Arc::default()),
                        &managers,
                        &representatives,
                        (as_of(), regions),
                        None,
                    )
                    .into_rows()
                }))
            };
            let whole = run(None, 1);
            prop_assert_eq!(&run(Some(&exact), 1), &whole, "{}", rules);
            prop_assert_eq!(&run(Some(&exact), 2), &whole, "{}", rules);
            let mut live = PairEvaluator::new(
                &rulebook,
                (&customers.schema, &Arc::default()),
                &managers,
                as_of(),
            );
            let one_by_one =
                codes(representatives.iter().map(|r| live.class(&rulebook, r)).collect());
            prop_assert_eq!(&one_by_one, &whole, "{}", rules);
        }
    }
}
