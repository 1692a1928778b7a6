//! `affinity` evaluated term by term.
//!
//! When `affinity` is a running score ([`Sum`]), each term is evaluated once per (class of the
//! customer fields it reads, manager) into a table, and a pair's affinity is the start plus
//! one table read per term, added in the rule's order with the same overflow checks. A term
//! reading only `c.language` costs #languages × #managers evaluations however many customers
//! there are. Whatever a table cannot answer (a term rhai must decide, an overflow, a score
//! that could come near the sandbox's limits) sends that pair to the whole rule, so results
//! and errors are exactly the rule's.

use rayon::prelude::*;

use super::cells::{PartCells, within_budget};
use super::{EligibleRow, Representative, Worker, job_size};
use crate::cancel::Cancel;
use crate::eval::native::Sum;
use crate::rules::Rulebook;
use crate::rules::keys::{CustomerFields, KeyMaker, Regions};

/// A table cell no evaluation filled, or whose term must be left to the whole rule.
const UNKNOWN: i64 = i64::MIN;

/// The terms' tables for one set of representatives.
pub(super) struct TermTables {
    start: i64,
    terms: Vec<Table>,
    /// The most steps any pair's tabled terms spent together: with the steps of the terms
    /// evaluated per pair, what the whole rule would have spent natively.
    steps: u64,
    budget: u64,
}

enum Table {
    /// Contributions by (term class, manager), row after row; each representative's class.
    /// Chosen when every class's row over all managers fits the limit.
    Dense {
        class_of: Vec<u32>,
        managers: usize,
        values: Vec<i64>,
        bounds: Vec<u64>,
    },
    /// Contributions of each term class for the managers some representative of the class
    /// finds eligible: class `c`'s managers and values are `managers[starts[c]..starts[c + 1]]`
    /// and the same range of `values`, in manager order. Each representative's class.
    Sparse {
        class_of: Vec<u32>,
        starts: Vec<usize>,
        managers: Vec<u32>,
        values: Vec<i64>,
        bounds: Vec<u64>,
    },
    /// A term whose cells would be too many for a table: evaluated for each pair.
    PerPair { function: usize },
}

/// What a pair's affinity needs beyond the tables: how to evaluate a term for it directly.
pub(super) trait PerPair {
    /// Term `function`'s contribution for the current representative and manager `m`, with
    /// the steps it spent; `None` where the whole rule must decide.
    fn term(&mut self, function: usize, m: u32) -> Option<(i64, u64)>;
}

impl TermTables {
    /// Evaluates each term of `sum` for every (term class, manager) that some representative
    /// of the class finds eligible.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn build(
        sum: &Sum,
        rulebook: &Rulebook,
        (schema, regions): (CustomerFields<'_>, &Regions),
        representatives: &[Representative<'_>],
        eligible_of: &[usize],
        eligible: &[EligibleRow],
        managers: usize,
        (budget, new_worker): (u64, &(dyn Fn() -> Worker + Sync)),
        cancel: Option<&Cancel>,
    ) -> TermTables {
        // A table holds a few cells per representative and manager at most: beyond that the
        // term tells nearly every customer apart, and a table would cost more than it saves.
        let limit = 8 * (representatives.len() + managers) + (1 << 22);
        let mut steps = 0;
        let terms = sum
            .terms
            .iter()
            .map(|term| {
                let per_pair = Table::PerPair {
                    function: term.function,
                };
                let Some(reads) = &term.reads else {
                    return per_pair;
                };
                let keys = KeyMaker::new(rulebook, schema, reads, regions);
                let (class_of, first) = keys.classes(
                    representatives
                        .iter()
                        .map(|r| (r.customer, r.derived, r.scores)),
                );
                let Some(wanted) = wanted(&class_of, first.len(), eligible_of, eligible, limit)
                else {
                    return per_pair;
                };
                let rows: Vec<(Vec<i64>, u64)> = first
                    .par_iter()
                    .zip(&wanted)
                    .with_min_len(job_size(first.len()))
                    .map_init(new_worker, |worker, (&r, wanted)| {
                        let mut row = vec![UNKNOWN; wanted.len()];
                        if cancel.is_some_and(Cancel::is_cancelled) {
                            return (row, 0);
                        }
                        worker.lend_record(&representatives[r]);
                        let mut most = 0;
                        for (cell, &m) in row.iter_mut().zip(wanted) {
                            if let Some((value, spent)) = worker.term(term.function, m) {
                                *cell = value;
                                most = most.max(spent);
                            }
                        }
                        (row, most)
                    })
                    .collect();
                steps += rows.iter().map(|(_, spent)| *spent).max().unwrap_or(0);
                let class_of = class_of.iter().map(|&c| c as u32).collect();
                let bounds = rows.iter().map(|(row, _)| bound(row)).collect();
                if first.len().saturating_mul(managers) <= limit {
                    let mut values = vec![UNKNOWN; first.len() * managers];
                    for ((row, _), (wanted, cells)) in rows
                        .iter()
                        .zip(wanted.iter().zip(values.chunks_mut(managers.max(1))))
                    {
                        for (&m, &value) in wanted.iter().zip(row) {
                            if let Some(cell) = cells.get_mut(m as usize) {
                                *cell = value;
                            }
                        }
                    }
                    return Table::Dense {
                        class_of,
                        managers,
                        values,
                        bounds,
                    };
                }
                let mut starts = Vec::with_capacity(wanted.len() + 1);
                starts.push(0);
                for managers in &wanted {
                    starts.push(starts.last().copied().unwrap_or(0) + managers.len());
                }
                Table::Sparse {
                    class_of,
                    starts,
                    managers: wanted.into_iter().flatten().collect(),
                    values: rows.into_iter().flat_map(|(row, _)| row).collect(),
                    bounds,
                }
            })
            .collect();
        TermTables {
            start: sum.start,
            terms,
            steps,
            budget,
        }
    }

    /// Whether some term is evaluated per pair (then the caller lends the representative's
    /// record before asking for its pairs).
    pub(super) fn has_per_pair_terms(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t, Table::PerPair { .. }))
    }

    /// Whether the tables alone give representative `r` a score with every manager it finds
    /// eligible, found without adding them up: no term is evaluated per pair or left to the
    /// whole rule in `r`'s rows, the parts together stay within the step budget, and the
    /// start plus the largest contribution of each row cannot overflow, so no partial sum
    /// can. Where this says no, the row may still be answerable; the caller then settles it.
    pub(super) fn answers(&self, r: usize) -> bool {
        self.answers_beside(r, (0, 0))
    }

    /// [`TermTables::answers`] for a rule with more terms than the tables hold, which spend
    /// at most `steps` and add at most `largest` in absolute value.
    pub(super) fn answers_beside(&self, r: usize, (steps, largest): (u64, u64)) -> bool {
        if self.steps.saturating_add(steps) > self.budget {
            return false;
        }
        let mut most = self.start.unsigned_abs().saturating_add(largest);
        for term in &self.terms {
            let row = match term {
                Table::Dense {
                    class_of, bounds, ..
                }
                | Table::Sparse {
                    class_of, bounds, ..
                } => class_of.get(r).and_then(|&c| bounds.get(c as usize)),
                Table::PerPair { .. } => None,
            };
            match row.and_then(|&bound| most.checked_add(bound)) {
                Some(sum) if sum <= i64::MAX as u64 => most = sum,
                _ => return false,
            }
        }
        true
    }

    /// The affinity of representative `r` and each of `managers` into `scores`, `None` where
    /// the whole rule must decide. Term by term over all the managers: each pair still adds
    /// its terms in the rule's order, and a table row is read front to back.
    pub(super) fn affinities(
        &self,
        r: usize,
        managers: &[u32],
        per_pair: &mut impl PerPair,
        scores: &mut Vec<Option<i64>>,
    ) {
        scores.clear();
        scores.resize(managers.len(), Some(self.start));
        let mut spent = vec![
            self.steps;
            if self.has_per_pair_terms() {
                managers.len()
            } else {
                0
            }
        ];
        for term in &self.terms {
            match term {
                Table::Dense {
                    class_of,
                    managers: width,
                    values,
                    ..
                } => {
                    let row = class_of
                        .get(r)
                        .and_then(|&class| values.get(class as usize * width..)?.get(..*width));
                    for (score, &m) in scores.iter_mut().zip(managers) {
                        let value = row.and_then(|row| row.get(m as usize)).copied();
                        *score = add(*score, value);
                    }
                }
                Table::Sparse {
                    class_of,
                    starts,
                    managers: listed,
                    values,
                    ..
                } => {
                    let range = class_of.get(r).and_then(|&c| {
                        let c = c as usize;
                        Some(*starts.get(c)?..*starts.get(c + 1)?)
                    });
                    let listed = range.clone().and_then(|range| listed.get(range));
                    let values = range.and_then(|range| values.get(range));
                    let (listed, values) = listed.zip(values).unwrap_or_default();
                    // Both in manager order, the class's a superset of the representative's.
                    let mut at = 0;
                    for (score, &m) in scores.iter_mut().zip(managers) {
                        while listed.get(at).is_some_and(|&l| l < m) {
                            at += 1;
                        }
                        let value = (listed.get(at) == Some(&m))
                            .then(|| values.get(at))
                            .flatten();
                        *score = add(*score, value.copied());
                    }
                }
                Table::PerPair { function } => {
                    for ((score, &m), spent) in scores.iter_mut().zip(managers).zip(&mut spent) {
                        if score.is_none() {
                            continue;
                        }
                        let value = per_pair.term(*function, m).map(|(value, steps)| {
                            *spent = spent.saturating_add(steps);
                            value
                        });
                        *score = add(*score, value);
                    }
                }
            }
        }
        // Where the parts together spent more than the whole may, rhai decides.
        if self.steps > self.budget {
            scores.iter_mut().for_each(|score| *score = None);
        }
        within_budget(scores, &spent, self.budget);
    }
}

/// The terms of a running score for one representative at a time, remembering every cell
/// evaluated.
pub(super) struct TermCache {
    start: i64,
    budget: u64,
    terms: Vec<PartCells<i64>>,
}

impl TermCache {
    /// A cache for `sum`'s terms, unless one hands the customer record on whole.
    pub(super) fn new(
        sum: &Sum,
        rulebook: &Rulebook,
        keyed: (CustomerFields<'_>, &Regions),
        managers: usize,
        budget: u64,
    ) -> Option<TermCache> {
        let parts = sum.terms.iter().map(|t| (t.function, t.reads.as_ref()));
        let terms = PartCells::all(parts, rulebook, keyed, managers, |v| v.as_int().ok())?;
        Some(TermCache {
            start: sum.start,
            budget,
            terms,
        })
    }

    /// The affinity of `representative` with each of `managers` (in order), `None` where the
    /// whole rule must decide; cells not met before are evaluated on `worker`.
    pub(super) fn affinities(
        &mut self,
        worker: &mut Worker,
        representative: &Representative<'_>,
        managers: &[u32],
    ) -> Vec<Option<i64>> {
        let mut scores = vec![Some(self.start); managers.len()];
        let mut spent = vec![0u64; managers.len()];
        let mut lent = false;
        for term in &mut self.terms {
            let mut row = term.row(representative);
            for ((score, spent), &m) in scores.iter_mut().zip(&mut spent).zip(managers) {
                let value = row.get(m, worker, (representative, &mut lent), spent);
                *score = add(*score, value);
            }
        }
        within_budget(&mut scores, &spent, self.budget);
        scores
    }
}

/// `score + value` with the rule's overflow check; `None` if either is unknown.
fn add(score: Option<i64>, value: Option<i64>) -> Option<i64> {
    match value? {
        UNKNOWN => None,
        value => score?.checked_add(value),
    }
}

/// The largest contribution of a table row in absolute value, `u64::MAX` (more than any
/// score may be) if a cell is unknown.
fn bound(row: &[i64]) -> u64 {
    row.iter()
        .map(|&value| match value {
            UNKNOWN => u64::MAX,
            value => value.unsigned_abs(),
        })
        .max()
        .unwrap_or(0)
}

/// Per term class, the managers its representatives find eligible, sorted; `None` if they
/// come to more than `limit` in all.
fn wanted(
    class_of: &[usize],
    classes: usize,
    eligible_of: &[usize],
    eligible: &[EligibleRow],
    limit: usize,
) -> Option<Vec<Vec<u32>>> {
    let mut seen = foldhash::HashSet::default();
    let mut wanted: Vec<Vec<u32>> = vec![Vec::new(); classes];
    let mut total = 0usize;
    for (&class, &e) in class_of.iter().zip(eligible_of) {
        if seen.insert((class, e)) {
            let managers = &eligible.get(e)?.managers;
            wanted.get_mut(class)?.extend_from_slice(managers);
            total += managers.len();
            // Lists hold repeats until sorted: past twice the limit, count without them.
            if total > 2 * limit {
                wanted.iter_mut().for_each(dedup);
                total = wanted.iter().map(Vec::len).sum();
                if total > limit {
                    return None;
                }
            }
        }
    }
    for managers in &mut wanted {
        dedup(managers);
    }
    (wanted.iter().map(Vec::len).sum::<usize>() <= limit).then_some(wanted)
}

fn dedup(managers: &mut Vec<u32>) {
    managers.sort_unstable();
    managers.dedup();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::super::{Representative, evaluate};
    use crate::eval::testing::{self, as_of};
    use crate::model::{Customers, Managers, Value};
    use crate::rules::Rulebook;

    use crate::eval::testing::pair_schema as schema;

    /// `n` now and then null or huge (for overflows), `k` small, `t` one of two texts or null.
    fn attributes() -> impl Strategy<Value = Vec<Value>> {
        (
            prop_oneof![
                1 => Just(Value::Null),
                1 => Just(Value::Int(i64::MAX - 5)),
                8 => (-3i64..9).prop_map(Value::Int),
            ],
            (0i64..3).prop_map(Value::Int),
            prop_oneof![
                1 => Just(Value::Null),
                4 => prop_oneof![Just("a"), Just("b")].prop_map(|t| Value::Str(Arc::from(t))),
            ],
        )
            .prop_map(|(n, k, t)| vec![n, k, t])
    }

    fn integer() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            (-4i64..50).prop_map(|n| n.to_string()),
            Just("c.n".to_owned()),
            Just("c.k".to_owned()),
            Just("m.n".to_owned()),
            Just("m.k".to_owned()),
            Just("9223372036854775000".to_owned()),
            // A helper rhai runs (a loop has no native steps), and one handed the record.
            Just("_bonus(c.k)".to_owned()),
            Just("_whole(c)".to_owned()),
        ];
        leaf.prop_recursive(2, 8, 2, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")],
                    inner
                )
                    .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            ]
        })
    }

    fn condition() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("c.manager == m.id".to_owned()),
            Just("c.t == m.t".to_owned()),
            Just("c.k > m.k".to_owned()),
            Just("c.n".to_owned()),
            (integer(), integer()).prop_map(|(a, b)| format!("{a} < {b}")),
        ]
    }

    /// A term of a running score `s`, in one of the ways analysts write them.
    fn term() -> impl Strategy<Value = String> {
        prop_oneof![
            integer().prop_map(|a| format!("s += {a};")),
            integer().prop_map(|a| format!("s -= {a};")),
            (condition(), integer()).prop_map(|(p, a)| format!("if {p} {{ s += {a}; }}")),
            (condition(), integer(), integer())
                .prop_map(|(p, a, b)| format!("if {p} {{ s -= {a}; }} else {{ s += {b}; }}")),
            (condition(), integer(), condition(), integer()).prop_map(|(p, a, q, b)| format!(
                "if {p} {{ s += {a}; }} else if {q} {{ s -= {b}; }}"
            )),
        ]
    }

    const ELIGIBLE: [&str; 3] = [
        "true",
        "c.k != m.k || c.t == m.t",
        // Fails for some pairs: the first failing manager stops the class.
        "10 / (m.k - c.k + 1) >= 0",
    ];

    fn book(rows: Vec<(Vec<Value>, Option<u8>)>, staff: Vec<Vec<Value>>) -> (Customers, Managers) {
        testing::book(&schema(), rows, staff)
    }

    /// An error's text with the customer it names left out.
    fn without_customer(error: &str) -> String {
        let Some(at) = error.find("customer: \"") else {
            return error.to_owned();
        };
        let rest = &error[at + "customer: \"".len()..];
        let end = rest.find('"').map_or(rest.len(), |end| end + 1);
        format!("{}{}", &error[..at], &rest[end..])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]
        /// Term by term, every pair gets the whole rule's result or error: in a batch on one
        /// thread and on two, and one class at a time with cells remembered.
        #[test]
        fn a_running_score_term_by_term_equals_the_whole_rule(
            start in -5i64..5,
            terms in proptest::collection::vec(term(), 2..6),
            eligible in 0..ELIGIBLE.len(),
            rows in proptest::collection::vec((attributes(), proptest::option::of(0u8..4)), 1..12),
            staff in proptest::collection::vec(attributes(), 1..5),
        ) {
            let rules = format!(
                "fn _bonus(k) {{ let b = 0; for i in 0..k {{ b -= 2; }} b }}\n\
                 fn _whole(c) {{ c.k * 2 }}\n\
                 fn eligible(c, m) {{ {} }}\n\
                 fn affinity(c, m) {{ let s = {start}; {} s }}",
                ELIGIBLE[eligible],
                terms.join(" "),
            );
            prop_assume!(Rulebook::compile(&rules).is_ok());
            let rulebook = Rulebook::compile(&rules).unwrap();
            let (customers, managers) = book(rows, staff);
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
            let exact = crate::rules::keys::Regions::none();
            let run = |factorise: bool, threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let results = pool.install(|| {
                    evaluate(
                        &rulebook,
                        (&customers.schema, &Arc::default()),
                        &managers,
                        &representatives,
                        (as_of(), factorise.then_some(&exact)),
                        None,
                    )
                });
                // Whole, a failing pair names the first customer with the same `affinity`
                // reads; term by term, the customer itself. Both fail alike.
                results
                    .into_rows()
                    .into_iter()
                    .map(|result| result.map_err(|e| without_customer(&format!("{e:?}"))))
                    .collect::<Vec<_>>()
            };
            let whole = run(false, 1);
            // One class at a time, as a router meets them, remembering cells between classes.
            let mut live = super::super::PairEvaluator::new(
                &rulebook,
                (&customers.schema, &Arc::default()),
                &managers,
                as_of(),
            );
            let one_by_one: Vec<_> = representatives
                .iter()
                .map(|r| live.class(&rulebook, r).map_err(|e| without_customer(&format!("{e:?}"))))
                .collect();
            prop_assert_eq!(&one_by_one, &whole, "{}", rules);
            prop_assert_eq!(&run(true, 1), &whole, "{}", rules);
            prop_assert_eq!(&run(true, 2), &whole, "{}", rules);
            prop_assert_eq!(&run(false, 2), &whole, "{}", rules);
        }
    }

    #[test]
    fn a_running_score_is_split_into_its_terms_with_their_own_reads() {
        let rules = "fn _h(c) { c.k }\n\
                     fn affinity(c, m) {\n\
                         let score = 1;\n\
                         if c.manager == m.id { score += 40; }\n\
                         if c.t == m.t && c.k > 1 { score -= 5; } else { score += c.n; }\n\
                         score += _h(c);\n\
                         score\n\
                     }";
        let rulebook = Rulebook::compile(rules).unwrap();
        let (mut native, slots) = testing::pair_natives(&rulebook);
        let affinity = native.function("affinity", 2).unwrap();
        let sum = native.sum(affinity, &slots).unwrap();
        assert_eq!(sum.start, 1);
        let reads: Vec<Option<Vec<String>>> = sum.terms.iter().map(|t| t.reads.clone()).collect();
        let names = |names: &[&str]| Some(names.iter().map(|&n| n.to_owned()).collect());
        assert_eq!(reads, [names(&["manager"]), names(&["k", "n", "t"]), None]);
    }
}
