//! What changed between two plans of one book: who moved, between which managers, each
//! manager's load, and the objective part by part. [`compare`](crate::compare) makes the two
//! plans from two rulebooks or policies and adds what only the rules know: tier and segment
//! transitions, and customers whose eligible managers changed.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::{CustomerId, ManagerId};
use crate::plan::{Objective, WrittenPlan};

/// What changed between two plans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanDiff {
    /// Customers whose manager differs (or who were placed in one plan only), in the order
    /// of the first plan, then those only the second has.
    pub moves: Vec<Move>,
    /// The moves counted by (from, to), most customers first.
    pub flows: Vec<Flow>,
    /// Every manager either plan places someone with whose load changed (counted from the
    /// plans' rows), by largest change first.
    pub loads: Vec<LoadChange>,
    /// Both objectives and their change, when both plans state theirs.
    pub objective: Option<ObjectiveChange>,
    /// Customers only the first plan lists.
    pub only_before: Vec<CustomerId>,
    /// Customers only the second plan lists.
    pub only_after: Vec<CustomerId>,
}

/// One customer's manager in each plan (`None`: left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Move {
    /// The customer.
    pub customer: CustomerId,
    /// Their manager in the first plan.
    pub before: Option<ManagerId>,
    /// Their manager in the second plan.
    pub after: Option<ManagerId>,
}

/// Customers moving from one manager to another (`None`: unassigned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// The manager in the first plan.
    pub from: Option<ManagerId>,
    /// The manager in the second plan.
    pub to: Option<ManagerId>,
    /// How many customers.
    pub customers: usize,
}

/// A manager's load in each plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadChange {
    /// The manager.
    pub manager: ManagerId,
    /// Customers in the first plan.
    pub before: u32,
    /// Customers in the second plan.
    pub after: u32,
}

/// Two objectives and the change, part by part (`after - before`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ObjectiveChange {
    /// The first plan's.
    pub before: Objective,
    /// The second plan's.
    pub after: Objective,
    /// `after - before`, part by part.
    pub change: Objective,
}

impl PlanDiff {
    /// Whether the plans place every customer alike and cost the same.
    pub fn is_empty(&self) -> bool {
        let no_change = |o: &ObjectiveChange| {
            Objective {
                model_scores: o.change.model_scores.filter(|&change| change != 0),
                ..o.change
            } == Objective::default()
        };
        let same_cost = self.objective.as_ref().is_none_or(no_change);
        self.moves.is_empty()
            && self.only_before.is_empty()
            && self.only_after.is_empty()
            && same_cost
    }
}

/// What changed from `before` to `after`.
pub fn diff(before: &WrittenPlan, after: &WrittenPlan) -> PlanDiff {
    let placed = |plan: &WrittenPlan| -> Vec<(CustomerId, Option<ManagerId>)> {
        let assigned = plan
            .assignments
            .iter()
            .map(|a| (a.customer.clone(), Some(a.manager.clone())));
        let left_out = plan.unassigned.iter().map(|u| (u.customer.clone(), None));
        assigned.chain(left_out).collect()
    };
    let (first, second) = (placed(before), placed(after));
    let in_second: HashMap<&CustomerId, &Option<ManagerId>> =
        second.iter().map(|(c, m)| (c, m)).collect();
    let in_first: HashMap<&CustomerId, &Option<ManagerId>> =
        first.iter().map(|(c, m)| (c, m)).collect();
    let mut result = PlanDiff::default();
    let mut flows: BTreeMap<(Option<&ManagerId>, Option<&ManagerId>), usize> = BTreeMap::new();
    for (customer, was) in &first {
        let Some(&now) = in_second.get(customer) else {
            result.only_before.push(customer.clone());
            continue;
        };
        if was != now {
            *flows.entry((was.as_ref(), now.as_ref())).or_default() += 1;
            result.moves.push(Move {
                customer: customer.clone(),
                before: was.clone(),
                after: now.clone(),
            });
        }
    }
    result.only_after = (second.iter())
        .filter(|(customer, _)| !in_first.contains_key(customer))
        .map(|(customer, _)| customer.clone())
        .collect();
    let mut flows: Vec<Flow> = flows
        .into_iter()
        .map(|((from, to), customers)| Flow {
            from: from.cloned(),
            to: to.cloned(),
            customers,
        })
        .collect();
    flows.sort_by_key(|f| std::cmp::Reverse(f.customers));
    result.flows = flows;
    result.loads = load_changes(before, after);
    result.objective = before
        .objective
        .zip(after.objective)
        .map(|(b, a)| ObjectiveChange {
            before: b,
            after: a,
            change: Objective {
                total: a.total.saturating_sub(b.total),
                affinity: a.affinity.saturating_sub(b.affinity),
                model_scores: a
                    .model_scores
                    .zip(b.model_scores)
                    .map(|(a, b)| a.saturating_sub(b)),
                moves: a.moves.saturating_sub(b.moves),
                balance: a.balance.saturating_sub(b.balance),
                unassigned: a.unassigned.saturating_sub(b.unassigned),
            },
        });
    result
}

/// Each manager's load in both plans, counted from their rows: the managers whose load
/// changed, largest change first (then in the order first met).
fn load_changes(before: &WrittenPlan, after: &WrittenPlan) -> Vec<LoadChange> {
    let mut order: Vec<&ManagerId> = Vec::new();
    let mut counts: HashMap<&ManagerId, (u32, u32)> = HashMap::new();
    for (plan, side) in [(before, 0), (after, 1)] {
        for assignment in &plan.assignments {
            let count = counts.entry(&assignment.manager).or_insert_with(|| {
                order.push(&assignment.manager);
                (0, 0)
            });
            if side == 0 {
                count.0 += 1;
            } else {
                count.1 += 1;
            }
        }
    }
    let mut changes: Vec<LoadChange> = order
        .into_iter()
        .filter_map(|manager| {
            let (before, after) = counts[manager];
            (before != after).then(|| LoadChange {
                manager: manager.clone(),
                before,
                after,
            })
        })
        .collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.before.abs_diff(c.after)));
    changes
}
