//! Explaining one customer's place in a plan: the derived fields the pair rules read (a
//! running score term by term), and for every manager why not there — the clause of
//! `eligible` that failed, a full manager or segment cap — or what placing the customer there
//! instead would change in the objective, part by part.
//!
//! Only that customer's rules run again, so an explanation costs milliseconds on any book.
//! The extra cost of an alternative is that of moving this customer alone, everyone else
//! staying: exact, and at least 0 because the plan is optimal (a re-solve with the customer
//! pinned there may do better by moving others too; that is never more than this).

mod cost;
mod probe;
mod source;

use serde::Serialize;

use crate::error::{BookError, Error, Result};
use crate::eval::convert::Converter;
use crate::eval::pair::{self, Representative};
use crate::eval::sandbox::{Record, Slots};
use crate::model::{Book, CustomerId, Customers, ManagerId, Value};
use crate::plan::Plan;
use crate::profile::ProfileOptions;
use crate::provenance::Provenance;
use crate::rules::Rulebook;
use crate::solve::TextField;
use cost::Pricing;
use probe::{Probe, clause_name, contributions};
use source::{ClauseStep, EligibleParts, Part, ScoreParts};

/// Why a customer is where the plan puts them, and what every other manager would mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The customer.
    pub customer: CustomerId,
    /// The manager the plan gives them, if any.
    pub manager: Option<ManagerId>,
    /// Their manager before the plan, if any.
    pub previous_manager: Option<ManagerId>,
    /// Why the plan leaves them out, when it does (the reason's code).
    pub unassigned_reason: Option<String>,
    /// The segment they count in for segment caps, if any.
    pub segment: Option<String>,
    /// The derived fields the pair rules read, with their values (a running score with
    /// what each of its terms added).
    pub fields: Vec<FieldValue>,
    /// Every manager, in input order, with the verdict for this customer.
    pub managers: Vec<ManagerOption>,
}

/// A derived field's value for the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldValue {
    /// The field.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// When the field is a running score (`let s = 0; ...; s`): each term and what it added.
    pub terms: Vec<Term>,
}

/// One term of a running score and what it added for this customer (and manager).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    /// Where the term starts: 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The term's source text.
    pub text: String,
    /// What it added to the score (`None` if it could not be evaluated on its own).
    pub value: Option<i64>,
}

/// A manager and the verdict for this customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagerOption {
    /// The manager.
    pub manager: ManagerId,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The model's score for the pair, which the pair rules read as `pair_score(c, m)`;
    /// `None` where the model gave none (or the book has no scores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_score: Option<Value>,
}

/// What one manager means for the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The plan's choice.
    Assigned {
        /// `affinity(c, m)`.
        affinity: i64,
        /// Its terms, when `affinity` is a running score.
        terms: Vec<Term>,
    },
    /// `eligible(c, m)` is false.
    Ineligible {
        /// The first clause that failed, all before it having held; `None` when the rule is
        /// not written as clauses or a clause could not be evaluated on its own.
        clause: Option<FailedClause>,
    },
    /// Eligible, with room: what moving the customer alone here would change.
    Eligible {
        /// `affinity(c, m)`.
        affinity: i64,
        /// Its terms, when `affinity` is a running score.
        terms: Vec<Term>,
        /// The objective's change, part by part.
        extra_cost: ExtraCost,
    },
    /// Eligible, but at capacity.
    Full {
        /// `affinity(c, m)`.
        affinity: i64,
        /// Its terms, when `affinity` is a running score.
        terms: Vec<Term>,
    },
    /// Eligible, but at its cap for the customer's segment.
    AtSegmentCap {
        /// The segment.
        segment: String,
        /// `affinity(c, m)`.
        affinity: i64,
        /// Its terms, when `affinity` is a running score.
        terms: Vec<Term>,
    },
    /// Eligible, with room, but in a group of managers at its capacity.
    InFullGroup {
        /// The group: the manager's own, or one it is within.
        group: String,
        /// `affinity(c, m)`.
        affinity: i64,
        /// Its terms, when `affinity` is a running score.
        terms: Vec<Term>,
    },
    /// Eligible, with room, but in a group of managers at its cap for the customer's segment.
    InGroupAtSegmentCap {
        /// The group: the manager's own, or one it is within.
        group: String,
        /// The segment.
        segment: String,
        /// `affinity(c, m)`.
        affinity: i64,
        /// Its terms, when `affinity` is a running score.
        terms: Vec<Term>,
    },
    /// Eligible, with room, but moving the customer there takes them out of a group of
    /// managers at its minimum for their segment.
    LeavesGroupAtSegmentMinimum {
        /// The group the customer's manager is in (or within) and this one is not.
        group: String,
        /// The segment.
        segment: String,
        /// `affinity(c, m)`.
        affinity: i64,
        /// Its terms, when `affinity` is a running score.
        terms: Vec<Term>,
    },
}

/// The clause of `eligible` that made a pair ineligible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedClause {
    /// 1-based line where the clause starts.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The clause's source text.
    pub text: String,
    /// Whether it is a guard (`if <text> { return false; }`) that held, rather than an
    /// operand of what the rule returns that was false.
    pub guard: bool,
    /// For an operand of `if p { return ...; }`, the condition `p` that led to it.
    pub under: Option<String>,
}

/// How the objective would change, part by part, with the customer moved alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExtraCost {
    /// The sum of the parts.
    pub total: i64,
    /// The affinity given up (the affinity part's change).
    pub affinity: i64,
    /// The move penalty's change.
    pub moves: i64,
    /// The balance term's change at both managers.
    pub balance: i64,
    /// The unassigned penalty's change (below 0 for a customer the plan leaves out).
    pub unassigned: i64,
}

impl Plan {
    /// Explains `customer`'s place in this plan, made from `book` and `rulebook` (checked
    /// against the plan's provenance: another rulebook or other managers are an error,
    /// `plan_inputs_differ`). Only this customer's rules run again.
    pub fn explain(&self, book: &Book, rulebook: &Rulebook, customer: &str) -> Result<Explanation> {
        check_inputs(&self.provenance, book, rulebook)?;
        let as_of = self.provenance.as_of;
        let subject = Subject::profiled(book, rulebook, customer, as_of)?;
        let record = subject.record();
        let verdicts = pair::evaluate(
            rulebook,
            (&book.customers.schema, &book.scores),
            &book.managers,
            &[Representative {
                customer: record,
                derived: &subject.derived,
                scores: None,
            }],
            (as_of, None),
            None,
        );
        let eligible = verdicts
            .get(0)
            .map_err(|e| Error::from(e.clone()))?
            .into_owned();

        // The rule's parts, compiled beside it, and the arguments they take.
        let slots =
            Slots::for_customers(&book.customers.schema, rulebook).with_scores(&book.scores);
        let mut probe = Probe::new(rulebook, &slots, &book.managers.schema, as_of);
        let record_arg = rhai::Dynamic::from(Record::of(
            record,
            &subject.derived,
            &slots,
            &mut Converter::default(),
        ));
        let manager_args: Vec<rhai::Dynamic> = pair::manager_records(&book.managers, rulebook)
            .into_iter()
            .map(rhai::Dynamic::from)
            .collect();
        let clauses = Clauses::compile(rulebook, &mut probe);
        let affinity_score = source::function(rulebook, crate::rules::AFFINITY, 2)
            .and_then(|f| source::score(rulebook, f))
            .map(|score| (probe.add_score(AFFINITY_PARTS, &score), score));

        let pricing = Pricing::of(self, book, record, subject.segment.as_deref());
        let options = eligible_by_manager(book.managers.records.len(), &eligible)
            .into_iter()
            .enumerate()
            .map(|(j, affinity)| {
                let args = || vec![record_arg.clone(), manager_args[j].clone()];
                let verdict = match affinity {
                    None => Verdict::Ineligible {
                        clause: clauses.as_ref().and_then(|c| c.failed(&mut probe, args)),
                    },
                    Some(affinity) => {
                        let terms = affinity_score.as_ref().map(|(compiled, score)| {
                            let parts = (compiled.as_slice(), score);
                            score_terms(&mut probe, AFFINITY_PARTS, parts, args(), Some(affinity))
                        });
                        pricing.verdict(j, affinity, terms.unwrap_or_default())
                    }
                };
                let manager = &book.managers.records[j].id;
                ManagerOption {
                    model_score: book
                        .scores
                        .get(record.id.as_str(), manager.as_str())
                        .cloned(),
                    manager: manager.clone(),
                    verdict,
                }
            })
            .collect();
        Ok(Explanation {
            customer: record.id.clone(),
            manager: pricing.at.map(|(j, _)| book.managers.records[j].id.clone()),
            previous_manager: record.manager.clone(),
            unassigned_reason: (self.unassigned.iter())
                .find(|u| u.customer.as_str() == customer)
                .map(|u| u.reason.code().to_owned()),
            fields: fields(rulebook, &subject.derived, &mut probe, &record_arg),
            segment: subject.segment.map(|s| s.to_string()),
            managers: options,
        })
    }
}

/// The names `affinity`'s running score is compiled under, term by term.
const AFFINITY_PARTS: &str = "apportion_explain_affinity";

/// The customer explained: their record alone, its derived values and segment.
struct Subject {
    one: Customers,
    derived: Vec<Value>,
    segment: Option<std::sync::Arc<str>>,
}

impl Subject {
    /// Finds `customer` in `book` and runs the rules for them alone.
    fn profiled(
        book: &Book,
        rulebook: &Rulebook,
        customer: &str,
        as_of: crate::Date,
    ) -> Result<Subject> {
        let customers = &book.customers;
        let Some(record) = customers.records.iter().find(|c| c.id.as_str() == customer) else {
            return Err(BookError::UnknownCustomer {
                customer: customer.to_owned(),
            }
            .into());
        };
        let one = Customers {
            schema: customers.schema.clone(),
            records: vec![record.clone()],
        };
        let derived = rulebook.derive(&one, &ProfileOptions::new(as_of))?;
        let derived: Vec<Value> = derived.get(0).map(<[Value]>::to_vec).unwrap_or_default();
        let segment =
            TextField::new(rulebook, &customers.schema, "segment").get(record, Some(&derived));
        Ok(Subject {
            one,
            derived,
            segment,
        })
    }

    fn record(&self) -> &crate::model::Customer {
        &self.one.records[0]
    }
}

/// The rulebook and managers against the plan's provenance (the customers' digest would cost
/// a pass over the whole book, so the customer is found by id instead).
fn check_inputs(provenance: &Provenance, book: &Book, rulebook: &Rulebook) -> Result<()> {
    let actual = Provenance::of_rules_and_managers(book, rulebook);
    for (what, recorded, actual) in [
        ("rulebook", &provenance.rulebook_sha256, &actual.0),
        ("managers", &provenance.managers_blake3, &actual.1),
    ] {
        if recorded != actual {
            return Err(BookError::PlanInputsDiffer {
                what: what.to_owned(),
            }
            .into());
        }
    }
    if provenance.groups_blake3 != crate::provenance::groups_digest(&book.organisation) {
        return Err(BookError::PlanInputsDiffer {
            what: "groups".to_owned(),
        }
        .into());
    }
    if provenance.scores_blake3.as_deref() != book.scores.digest() {
        return Err(BookError::PlanInputsDiffer {
            what: "scores".to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Each manager's affinity when eligible, by manager.
fn eligible_by_manager(managers: usize, eligible: &[(u32, i64)]) -> Vec<Option<i64>> {
    let mut by_manager = vec![None; managers];
    for &(m, affinity) in eligible {
        if let Some(slot) = by_manager.get_mut(m as usize) {
            *slot = Some(affinity);
        }
    }
    by_manager
}

/// `eligible`'s parts, compiled.
struct Clauses {
    eligible: EligibleParts,
    compiled: Vec<bool>,
}

impl Clauses {
    fn compile(rulebook: &Rulebook, probe: &mut Probe) -> Option<Clauses> {
        let eligible = source::clauses(rulebook)?;
        let compiled = probe.add_clauses(&eligible);
        Some(Clauses { eligible, compiled })
    }

    /// The clause that fails for `args`, taking the rule's steps in order; `None` if a part
    /// on the way cannot be told.
    fn failed(
        &self,
        probe: &mut Probe,
        args: impl Fn() -> Vec<rhai::Dynamic>,
    ) -> Option<FailedClause> {
        let mut holds = |k: usize| -> Option<bool> {
            if !self.compiled[k] {
                return None;
            }
            probe.call(&clause_name(k), args())?.as_bool().ok()
        };
        let clause = |k: usize, guard: bool, under: Option<usize>| {
            let Part { position, text } = &self.eligible.parts[k];
            let under = under.map(|u| self.eligible.parts[u].text.clone());
            FailedClause {
                line: position.line,
                column: position.column,
                text: text.clone(),
                guard,
                under,
            }
        };
        for step in &self.eligible.steps {
            match step {
                ClauseStep::Guard(k) => {
                    if holds(*k)? {
                        return Some(clause(*k, true, None));
                    }
                }
                ClauseStep::When(condition, operands) => {
                    if holds(*condition)? {
                        for &k in operands {
                            if !holds(k)? {
                                return Some(clause(k, false, Some(*condition)));
                            }
                        }
                        return None;
                    }
                }
                ClauseStep::Last(operands) => {
                    for &k in operands {
                        if !holds(k)? {
                            return Some(clause(k, false, None));
                        }
                    }
                }
            }
        }
        None
    }
}

/// A score's terms with what each added for `args`, the score ending at `total`.
fn score_terms(
    probe: &mut Probe,
    prefix: &str,
    (compiled, score): (&[bool], &ScoreParts),
    args: Vec<rhai::Dynamic>,
    total: Option<i64>,
) -> Vec<Term> {
    let after: Vec<Option<i64>> = (0..score.terms.len())
        .map(|k| {
            let value = compiled[k]
                .then(|| probe.call(&format!("{prefix}_{k}"), args.clone()))
                .flatten()?;
            value.as_int().ok()
        })
        .collect();
    let term = |part: &Part, value| Term {
        line: part.position.line,
        column: part.position.column,
        text: part.text.clone(),
        value,
    };
    let mut terms: Vec<Term> = (score.terms.iter().zip(contributions(score.start, &after)))
        .map(|((part, _), value)| term(part, value))
        .collect();
    // A last step that is not the score alone (a clamp) adds what is left to the total.
    if let Some(finish) = &score.finish {
        let before = after.last().copied().flatten();
        let rest = total
            .zip(before)
            .and_then(|(total, before)| total.checked_sub(before));
        terms.push(term(finish, rest));
    }
    terms
}

/// The derived fields the pair rules read, directly or through other fields, with values; a
/// running score with its terms.
fn fields(
    rulebook: &Rulebook,
    derived: &[Value],
    probe: &mut Probe,
    record: &rhai::Dynamic,
) -> Vec<FieldValue> {
    let mut read: std::collections::HashSet<&str> = rulebook
        .pair_rules()
        .customer_reads
        .iter()
        .map(String::as_str)
        .collect();
    // Fields come in an order where each follows what it reads: backwards, one pass closes.
    let order: Vec<_> = rulebook.evaluation_order().collect();
    for field in order.into_iter().rev() {
        if read.contains(field.name.as_str()) {
            read.extend(field.depends_on.iter().map(String::as_str));
        }
    }
    (rulebook.fields().iter().zip(derived))
        .filter(|(field, _)| read.contains(field.name.as_str()))
        .map(|(field, value)| {
            let score =
                source::function(rulebook, &field.name, 1).and_then(|f| source::score(rulebook, f));
            let terms = match score {
                Some(score) => {
                    let prefix = format!("apportion_explain_field_{}", field.name);
                    let compiled = probe.add_score(&prefix, &score);
                    let total = match value {
                        Value::Int(total) => Some(*total),
                        _ => None,
                    };
                    let args = vec![record.clone()];
                    score_terms(probe, &prefix, (&compiled, &score), args, total)
                }
                None => Vec::new(),
            };
            FieldValue {
                name: field.name.clone(),
                value: value.clone(),
                terms,
            }
        })
        .collect()
}
