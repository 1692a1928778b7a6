//! Verifying a written plan against its inputs: the rules run again over the book, and every
//! placement the plan makes is checked for eligibility, its affinity and move penalty, the
//! managers' capacities and segment caps; every customer must appear once; the objective's
//! parts are recomputed by the design's formula; and the provenance's digests must be those of
//! the inputs given. Then the inputs are solved again, and the plan must be their optimum,
//! row for row: the engine is deterministic, so a plan edited after it was written differs
//! from it even where the edit costs nothing.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::assign::{AssignOptions, solve_prepared};
use super::objective::{
    balance_term, group_balance_term, segment_balance_term, unassigned_penalty,
};
use super::prepare::{Prepared, prepare};
use crate::error::Result;
use crate::model::{Book, ManagerId};
use crate::plan::{ManagerLoad, Objective, Plan, UnassignedReason, WrittenPlan};
use crate::provenance::Provenance;
use crate::rules::Rulebook;

/// One way a written plan differs from what its inputs give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    /// A stable code: `rulebook_differs`, `as_of_differs`, `policy_differs`,
    /// `customers_differ`, `managers_differ`, `groups_differ`, `scores_differ`,
    /// `private_fields_differ` (the provenance); `unknown_customer`, `repeated_customer`,
    /// `missing_customer`, `unknown_manager`, `not_eligible`, `previous_manager_differs`,
    /// `moved_differs`, `affinity_differs`, `move_penalty_differs`, `model_score_differs`,
    /// `reason_differs` (the rows); `over_capacity`, `over_segment_cap`,
    /// `over_group_capacity`, `over_group_segment_cap`, `under_group_segment_minimum` (the
    /// loads); `objective_differs`; `not_optimal`,
    /// `assignment_differs`, `load_differs` (the inputs solved again).
    pub code: &'static str,
    /// The customer or manager it is about, or the objective's part.
    pub record: Option<String>,
    /// What differs: ids, the objective's numbers, never an attribute's value.
    pub message: String,
}

/// What verifying a plan found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// The objective of the plan's placements, recomputed from the inputs.
    pub objective: Objective,
    /// The objective of the inputs' optimal plan, solved again.
    pub optimum: Objective,
    /// Every difference, in order: the provenance, the rows as the plan lists them, the
    /// customers it leaves out, the loads, the objective.
    pub discrepancies: Vec<Discrepancy>,
    /// Whether the plan carried a provenance to check the inputs against.
    pub provenance_checked: bool,
}

impl Verification {
    /// Whether the plan is exactly what its inputs give.
    pub fn holds(&self) -> bool {
        self.discrepancies.is_empty()
    }
}

/// Checks `plan` against the book, rulebook and options that should have made it (the same
/// as [`assign`](crate::assign) was given: date, policy, rule errors skipped or not).
/// Differences are reported, not raised: an error means the inputs themselves could not be
/// used, as for `assign`.
pub fn verify(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
    plan: &WrittenPlan,
) -> Result<Verification> {
    options.policy.check()?;
    crate::threads::run(options.threads, || {
        let prepared = prepare(book, rulebook, options)?;
        let provenance = || Provenance::of(book, rulebook, options.policy, options.as_of);
        let optimum = solve_prepared(book, &prepared, &options.policy, options, provenance)?;
        let mut found = Found::default();
        if let Some(recorded) = &plan.provenance {
            found.provenance(recorded, &optimum.provenance);
        }
        let objective = found.rows(book, &prepared, options, plan)?;
        found.against_optimum(&optimum, plan, &objective);
        Ok(Verification {
            objective,
            optimum: optimum.objective,
            discrepancies: found.0,
            provenance_checked: plan.provenance.is_some(),
        })
    })
}

/// The discrepancies found so far.
#[derive(Default)]
struct Found(Vec<Discrepancy>);

impl Found {
    /// Each group's customers of a segment against its cap and minimum for the segment.
    fn group_segment_limits(&mut self, book: &Book, segment_loads: &HashMap<(u32, &str), u32>) {
        let organisation = &book.organisation;
        if !organisation.limits_segments() {
            return;
        }
        let members = organisation.members(book.managers.records.len());
        for limit in organisation.segment_limits() {
            let load: u32 = (members[limit.group].iter())
                .map(|&j| segment_loads.get(&(j as u32, &*limit.segment)).copied())
                .map(Option::unwrap_or_default)
                .fold(0, u32::saturating_add);
            let (group, segment) = (&organisation.groups()[limit.group].id, &limit.segment);
            let says = format!("the plan gives this group {load} customers of segment `{segment}`");
            if let Some(cap) = limit.cap.filter(|&cap| load > cap) {
                let message = format!("{says}; its cap is {cap}");
                self.add("over_group_segment_cap", Some(group.as_str()), message);
            }
            if load < limit.minimum {
                let message = format!("{says}; its minimum is {}", limit.minimum);
                self.add("under_group_segment_minimum", Some(group.as_str()), message);
            }
        }
    }

    fn add(&mut self, code: &'static str, record: Option<&str>, message: String) {
        self.0.push(Discrepancy {
            code,
            record: record.map(str::to_owned),
            message,
        });
    }

    /// The recorded provenance against the inputs': everything but the engine version and
    /// the threads, which say how the plan was made, not what from.
    fn provenance(&mut self, recorded: &Provenance, actual: &Provenance) {
        let digests = [
            (
                "rulebook_differs",
                "rulebook",
                &recorded.rulebook_sha256,
                &actual.rulebook_sha256,
            ),
            (
                "customers_differ",
                "customers",
                &recorded.customers_blake3,
                &actual.customers_blake3,
            ),
            (
                "managers_differ",
                "managers",
                &recorded.managers_blake3,
                &actual.managers_blake3,
            ),
        ];
        if recorded.groups_blake3 != actual.groups_blake3 {
            let message = match (&recorded.groups_blake3, &actual.groups_blake3) {
                (Some(recorded), Some(actual)) => format!(
                    "the plan was made from groups of digest {recorded}; these are {actual}"
                ),
                (Some(_), None) => {
                    "the plan was made with groups of managers; none are given".to_owned()
                }
                _ => "the plan was made without groups of managers; these have groups".to_owned(),
            };
            self.add("groups_differ", None, message);
        }
        if recorded.scores_blake3 != actual.scores_blake3 {
            let message = match (&recorded.scores_blake3, &actual.scores_blake3) {
                (Some(recorded), Some(actual)) => format!(
                    "the plan was made from model scores of digest {recorded}; these are {actual}"
                ),
                (Some(_), None) => "the plan was made with model scores; none are given".to_owned(),
                _ => "the plan was made without model scores; these have scores".to_owned(),
            };
            self.add("scores_differ", None, message);
        }
        for (code, what, recorded, actual) in digests {
            if recorded != actual {
                self.add(
                    code,
                    None,
                    format!(
                        "the plan was made from {what} of digest {recorded}; these are {actual}"
                    ),
                );
            }
        }
        if recorded.as_of != actual.as_of {
            let message = format!(
                "the plan is as of {}; this check is as of {}",
                recorded.as_of, actual.as_of
            );
            self.add("as_of_differs", None, message);
        }
        if recorded.policy != actual.policy {
            let message = format!(
                "the plan's policy is {}; this check's is {}",
                policy_text(&recorded.policy),
                policy_text(&actual.policy)
            );
            self.add("policy_differs", None, message);
        }
        if recorded.private_fields != actual.private_fields {
            let message = format!(
                "the plan withheld the fields [{}] from the rules; this check withholds [{}]",
                recorded.private_fields.join(", "),
                actual.private_fields.join(", ")
            );
            self.add("private_fields_differ", None, message);
        }
    }

    /// Every row of the plan against the prepared book, then the loads and the objective.
    /// Returns the objective recomputed.
    fn rows(
        &mut self,
        book: &Book,
        prepared: &Prepared,
        options: &AssignOptions,
        plan: &WrittenPlan,
    ) -> Result<Objective> {
        let customers = &book.customers.records;
        let managers = &book.managers.records;
        let policy = &options.policy;
        let row_of: HashMap<&str, usize> = customers
            .iter()
            .enumerate()
            .map(|(row, c)| (c.id.as_str(), row))
            .collect();
        let manager_of: HashMap<&ManagerId, u32> = managers
            .iter()
            .enumerate()
            .map(|(j, m)| (&m.id, j as u32))
            .collect();
        // Each placeable customer's group, and the reason of those decided before the solve.
        let mut group_of: Vec<Option<usize>> = vec![None; customers.len()];
        for (g, group) in prepared.groups.iter().enumerate() {
            for &row in group.rows() {
                group_of[row] = Some(g);
            }
        }
        let decided: HashMap<usize, &UnassignedReason> = prepared
            .decided
            .iter()
            .map(|(row, reason)| (*row, reason))
            .collect();

        let mut seen = vec![false; customers.len()];
        let mut loads = vec![0u32; managers.len()];
        let mut segment_loads: HashMap<(u32, &str), u32> = HashMap::new();
        let mut objective = Objective {
            model_scores: (!book.scores.is_empty()).then_some(0),
            ..Objective::default()
        };
        let mut first_sight = |found: &mut Found, id: &str| -> Option<usize> {
            let Some(&row) = row_of.get(id) else {
                found.add(
                    "unknown_customer",
                    Some(id),
                    "the plan names a customer the book does not have".to_owned(),
                );
                return None;
            };
            if std::mem::replace(&mut seen[row], true) {
                found.add(
                    "repeated_customer",
                    Some(id),
                    "the plan lists this customer more than once".to_owned(),
                );
                return None;
            }
            Some(row)
        };
        for written in &plan.assignments {
            let id = written.customer.as_str();
            let Some(row) = first_sight(self, id) else {
                continue;
            };
            let customer = &customers[row];
            self.previous(
                id,
                customer.manager.as_ref(),
                written.previous_manager.as_ref(),
            );
            let Some(&manager) = manager_of.get(&written.manager) else {
                let message = format!(
                    "the plan places the customer with `{}`, who is not among the managers",
                    written.manager
                );
                self.add("unknown_manager", Some(id), message);
                continue;
            };
            let current = customer
                .manager
                .as_ref()
                .and_then(|m| manager_of.get(m))
                .copied();
            let eligible = group_of[row].map(|g| prepared.eligible(&prepared.groups.get(g)));
            let affinity = eligible.as_ref().and_then(|list| {
                let at = list.binary_search_by_key(&manager, |&(m, _)| m).ok()?;
                Some(list[at].1)
            });
            let Some(affinity) = affinity else {
                let why = match decided.get(&row) {
                    Some(UnassignedReason::RuleError { code, .. }) => {
                        format!("a rule failed for this customer ({code})")
                    }
                    _ => "`eligible` is false for this pair".to_owned(),
                };
                self.add(
                    "not_eligible",
                    Some(id),
                    format!(
                        "the plan places the customer with `{}`, but {why}",
                        written.manager
                    ),
                );
                continue;
            };
            let affinity = match current == Some(manager) {
                true => affinity.saturating_add(prepared.stay_bonus(manager)),
                false => affinity,
            };
            let moved = customer
                .manager
                .as_ref()
                .is_some_and(|m| *m != written.manager);
            let paid = current.is_some_and(|c| c != manager);
            let move_penalty = if paid { policy.move_penalty } else { 0 };
            self.stated(id, "moved", "moved_differs", &written.moved, &moved);
            self.stated(
                id,
                "affinity",
                "affinity_differs",
                &written.affinity,
                &affinity,
            );
            self.stated(
                id,
                "move penalty",
                "move_penalty_differs",
                &written.move_penalty,
                &move_penalty,
            );
            if let Some(total) = &mut objective.model_scores {
                let class = group_of[row].map(|g| prepared.groups.get(g).class);
                let part = class.map_or(0, |class| prepared.score_part(class, manager));
                *total = total.saturating_sub(part);
                let written = written
                    .model_score
                    .map_or("none".to_owned(), |w| w.to_string());
                self.stated(
                    id,
                    "model score",
                    "model_score_differs",
                    &written,
                    &part.to_string(),
                );
            }
            loads[manager as usize] += 1;
            if let Some(segment) = &prepared.segments[row] {
                *segment_loads.entry((manager, &**segment)).or_default() += 1;
            }
            objective.affinity = objective.affinity.saturating_sub(affinity);
            objective.moves = objective.moves.saturating_add(move_penalty);
        }
        let mut unassigned = 0i64;
        for written in &plan.unassigned {
            let id = written.customer.as_str();
            let Some(row) = first_sight(self, id) else {
                continue;
            };
            unassigned += 1;
            self.previous(
                id,
                customers[row].manager.as_ref(),
                written.previous_manager.as_ref(),
            );
            // Decided before the solve: the reason is known. Left out by the solve: the
            // reason depends on the optimum, so only its kind is checked.
            let fits = match decided.get(&row) {
                Some(reason) => reason.code() == written.reason,
                None => ["capacity_exhausted", "cost_above_unassigned_penalty"]
                    .contains(&written.reason.as_str()),
            };
            if !fits {
                let expected = decided
                    .get(&row)
                    .map_or("capacity_exhausted or cost_above_unassigned_penalty", |r| {
                        r.code()
                    });
                let message = format!(
                    "the plan says `{}`; the inputs give {expected}",
                    written.reason
                );
                self.add("reason_differs", Some(id), message);
            }
        }
        for (row, customer) in customers.iter().enumerate() {
            if !seen[row] {
                let id = customer.id.as_str();
                self.add(
                    "missing_customer",
                    Some(id),
                    "the plan neither places nor lists this customer".to_owned(),
                );
            }
        }
        for (j, manager) in managers.iter().enumerate() {
            let id = manager.id.as_str();
            if loads[j] > manager.capacity {
                self.add(
                    "over_capacity",
                    Some(id),
                    format!(
                        "the plan gives this manager {} customers; the capacity is {}",
                        loads[j], manager.capacity
                    ),
                );
            }
            for (segment, &cap) in &manager.segment_caps {
                let load = segment_loads
                    .get(&(j as u32, segment.as_str()))
                    .copied()
                    .unwrap_or(0);
                if load > cap {
                    self.add("over_segment_cap", Some(id), format!("the plan gives this manager {load} customers of segment `{segment}`; the cap is {cap}"));
                }
            }
            objective.balance = objective.balance.saturating_add(balance_term(
                policy.balance,
                loads[j],
                manager.target_load(),
            ));
            let of_segments = manager.segment_targets.keys().map(|segment| {
                let load = segment_loads.get(&(j as u32, segment.as_str())).copied();
                (segment.clone(), load.unwrap_or(0))
            });
            let term = segment_balance_term(policy.balance, manager, &of_segments.collect());
            objective.balance = objective.balance.saturating_add(term);
        }
        let organisation = &book.organisation;
        let group_loads = organisation.loads(loads.iter().copied());
        for (group, &load) in organisation.groups().iter().zip(&group_loads) {
            if let Some(capacity) = group.capacity
                && load > capacity
            {
                let message = format!(
                    "the plan gives this group {load} customers; its capacity is {capacity}"
                );
                self.add("over_group_capacity", Some(group.id.as_str()), message);
            }
            let term = group_balance_term(policy.balance, load, group);
            objective.balance = objective.balance.saturating_add(term);
        }
        self.group_segment_limits(book, &segment_loads);
        let managers_and_groups = (managers.as_slice(), organisation);
        let penalty = unassigned_penalty(
            policy,
            managers_and_groups,
            prepared.groups.customers(),
            || prepared.max_abs_affinity(),
        )?;
        objective.unassigned = penalty.saturating_mul(unassigned);
        objective.total = [
            objective.affinity,
            objective.moves,
            objective.balance,
            objective.unassigned,
        ]
        .into_iter()
        .fold(0i64, i64::saturating_add);
        if let Some(stated) = &plan.objective {
            self.objective(stated, &objective);
        }
        Ok(objective)
    }

    /// The plan against the inputs' optimum: its cost, then each customer's manager.
    fn against_optimum(&mut self, optimum: &Plan, plan: &WrittenPlan, objective: &Objective) {
        if objective.total > optimum.objective.total {
            let message = format!(
                "the plan's placements cost {}; the inputs' optimum costs {}",
                objective.total, optimum.objective.total
            );
            self.add("not_optimal", None, message);
        }
        // The loads a JSON plan states, shadow prices and all.
        let stated = plan.loads.iter().flatten();
        let known: HashMap<&ManagerId, &ManagerLoad> =
            optimum.loads.iter().map(|l| (&l.manager, l)).collect();
        // Utilisation follows from load and capacity (and JSON need not give a float back to
        // its last bit): the rest is compared exactly.
        for load in stated {
            if known
                .get(&load.manager)
                .is_some_and(|optimal| !same_load(optimal, load))
            {
                let message = "the plan states a load, capacity, target, load per segment or \
                               shadow price other than the inputs' optimum gives"
                    .to_owned();
                self.add("load_differs", Some(load.manager.as_str()), message);
            }
        }
        // Every customer of the book, with the manager the optimum gives them, if any.
        let placed = optimum
            .assignments
            .iter()
            .map(|a| (&a.customer, Some(&a.manager)));
        let left_out = optimum.unassigned.iter().map(|u| (&u.customer, None));
        let optimal: HashMap<&str, Option<&ManagerId>> = placed
            .chain(left_out)
            .map(|(c, m)| (c.as_str(), m))
            .collect();
        let placed = plan
            .assignments
            .iter()
            .map(|a| (&a.customer, Some(&a.manager)));
        let left_out = plan.unassigned.iter().map(|u| (&u.customer, None));
        let mut compared = HashSet::new();
        for (customer, manager) in placed.chain(left_out) {
            let id = customer.as_str();
            // A customer the book does not have, or listed again, is reported already.
            let Some(&expected) = optimal.get(id) else {
                continue;
            };
            if !compared.insert(id) {
                continue;
            }
            if manager != expected {
                let name =
                    |m: Option<&ManagerId>| m.map_or("no manager".to_owned(), |m| format!("`{m}`"));
                let message = format!(
                    "the plan gives {}; the inputs' optimal plan gives {}",
                    name(manager),
                    name(expected)
                );
                self.add("assignment_differs", Some(id), message);
            }
        }
    }

    /// The row's previous manager against the book's current one.
    fn previous(&mut self, id: &str, book: Option<&ManagerId>, written: Option<&ManagerId>) {
        if book != written {
            let name = |m: Option<&ManagerId>| m.map_or("none".to_owned(), |m| format!("`{m}`"));
            let message = format!(
                "the plan says the previous manager was {}; the book says {}",
                name(written),
                name(book)
            );
            self.add("previous_manager_differs", Some(id), message);
        }
    }

    /// A value the row states against the one the inputs give.
    fn stated<T: PartialEq + std::fmt::Display>(
        &mut self,
        id: &str,
        what: &str,
        code: &'static str,
        written: &T,
        actual: &T,
    ) {
        if written != actual {
            self.add(
                code,
                Some(id),
                format!("the plan says {what} {written}; the inputs give {actual}"),
            );
        }
    }

    /// The objective the plan states against the one recomputed, part by part.
    fn objective(&mut self, stated: &Objective, actual: &Objective) {
        let parts = [
            ("total", stated.total, actual.total),
            ("affinity", stated.affinity, actual.affinity),
            (
                "model_scores",
                stated.model_scores.unwrap_or(0),
                actual.model_scores.unwrap_or(0),
            ),
            ("moves", stated.moves, actual.moves),
            ("balance", stated.balance, actual.balance),
            ("unassigned", stated.unassigned, actual.unassigned),
        ];
        for (part, stated, actual) in parts {
            if stated != actual {
                self.add(
                    "objective_differs",
                    Some(part),
                    format!("the plan states {part} {stated}; its placements cost {actual}"),
                );
            }
        }
    }
}

/// Whether two loads agree in all but the utilisation, which follows from the rest.
fn same_load(a: &ManagerLoad, b: &ManagerLoad) -> bool {
    (a.load, a.capacity, a.target, a.shadow_price) == (b.load, b.capacity, b.target, b.shadow_price)
        && a.segments == b.segments
        && a.segment_shadow_prices == b.segment_shadow_prices
}

fn policy_text(policy: &super::Policy) -> String {
    let unassigned = policy
        .unassigned_penalty
        .map_or("the default".to_owned(), |u| u.to_string());
    format!(
        "move penalty {}, balance {}, unassigned penalty {unassigned}",
        policy.move_penalty, policy.balance
    )
}
