//! What the plan's loads make of each manager for the customer explained: the plan's choice,
//! full, at a segment cap, in a full group or one at its cap for the segment, out of a group
//! at its minimum for the segment, or the objective's change if the customer alone moved
//! there.

use super::{ExtraCost, Term, Verdict};
use crate::model::{Book, Customer, ManagerId};
use crate::org::SegmentLimit;
use crate::plan::Plan;
use crate::solve::{Policy, balance_cost, group_step, segment_step};

/// What the plan's loads make of placing the customer at each eligible manager.
pub(super) struct Pricing<'a> {
    plan: &'a Plan,
    book: &'a Book,
    policy: Policy,
    /// The manager the plan gives the customer (by index) with the pair's affinity, and the
    /// one they had.
    pub(super) at: Option<(usize, i64)>,
    current: Option<usize>,
    segment: Option<&'a str>,
    /// Each group of managers' load in the plan.
    group_loads: Vec<u32>,
    /// The groups at their cap for the customer's segment in the plan.
    groups_at_segment_cap: Vec<usize>,
    /// The groups at their minimum for the customer's segment in the plan.
    groups_at_segment_minimum: Vec<usize>,
}

impl<'a> Pricing<'a> {
    /// What `plan` makes of `customer` (in `segment`): their manager in it and the one they had.
    pub(super) fn of(
        plan: &'a Plan,
        book: &'a Book,
        customer: &Customer,
        segment: Option<&'a str>,
    ) -> Pricing<'a> {
        let index = |id: &ManagerId| book.managers.records.iter().position(|m| m.id == *id);
        let placed = plan.assignments.iter().find(|a| a.customer == customer.id);
        Pricing {
            plan,
            book,
            policy: plan.provenance.policy,
            at: placed.and_then(|a| Some((index(&a.manager)?, a.affinity))),
            current: customer.manager.as_ref().and_then(index),
            segment,
            group_loads: book.organisation.loads(plan.loads.iter().map(|l| l.load)),
            groups_at_segment_cap: segment.map_or(Vec::new(), |s| {
                at_segment_limit(plan, book, s, |limit, load| {
                    limit.cap.is_some_and(|c| load >= c)
                })
            }),
            groups_at_segment_minimum: segment.map_or(Vec::new(), |s| {
                at_segment_limit(plan, book, s, |limit, load| {
                    limit.minimum > 0 && load <= limit.minimum
                })
            }),
        }
    }

    pub(super) fn verdict(&self, j: usize, affinity: i64, terms: Vec<Term>) -> Verdict {
        if self.at.is_some_and(|(a, _)| a == j) {
            return Verdict::Assigned { affinity, terms };
        }
        let load = &self.plan.loads[j];
        let manager = &self.book.managers.records[j];
        if load.load >= load.capacity {
            return Verdict::Full { affinity, terms };
        }
        if let Some(segment) = self.segment
            && let Some(&cap) = manager.segment_caps.get(segment)
            && load.segments.get(segment).copied().unwrap_or(0) >= cap
        {
            return Verdict::AtSegmentCap {
                segment: segment.to_owned(),
                affinity,
                terms,
            };
        }
        let organisation = &self.book.organisation;
        let full = organisation.full_group(j, &self.group_loads);
        let leaves = |g: usize| {
            self.at
                .is_some_and(|(a, _)| organisation.chain(a).any(|h| h == g))
        };
        // A full group the customer is already in has room for them: they only move within.
        if let Some(g) = full.filter(|&g| !leaves(g)) {
            return Verdict::InFullGroup {
                group: organisation.groups()[g].id.to_string(),
                affinity,
                terms,
            };
        }
        let capped = |g: usize| self.groups_at_segment_cap.contains(&g) && !leaves(g);
        if let (Some(g), Some(segment)) = (organisation.chain(j).find(|&g| capped(g)), self.segment)
        {
            return Verdict::InGroupAtSegmentCap {
                group: organisation.groups()[g].id.to_string(),
                segment: segment.to_owned(),
                affinity,
                terms,
            };
        }
        // Moving the customer out of a group at its minimum for their segment breaks it.
        let stays = |g: usize| organisation.chain(j).any(|h| h == g);
        let at_minimum = |g: usize| self.groups_at_segment_minimum.contains(&g) && !stays(g);
        let placed_chain = self.at.into_iter().flat_map(|(a, _)| organisation.chain(a));
        if let (Some(g), Some(segment)) = (
            placed_chain.into_iter().find(|&g| at_minimum(g)),
            self.segment,
        ) {
            return Verdict::LeavesGroupAtSegmentMinimum {
                group: organisation.groups()[g].id.to_string(),
                segment: segment.to_owned(),
                affinity,
                terms,
            };
        }
        Verdict::Eligible {
            affinity,
            terms,
            extra_cost: self.extra_cost(j, affinity),
        }
    }

    /// The objective's change with the customer moved alone to manager `j` (with room).
    fn extra_cost(&self, j: usize, affinity: i64) -> ExtraCost {
        let move_to = |m: usize| match self.current {
            Some(current) if current != m => self.policy.move_penalty,
            _ => 0,
        };
        // The cost of manager `m`'s `k`-th customer in the balance term.
        let step = |m: usize, k: u32| {
            let target = i64::from(self.plan.loads[m].target.max(1));
            balance_cost(self.policy.balance, i64::from(k), target).unwrap_or(i64::MAX)
        };
        let mut cost = ExtraCost {
            affinity: -affinity,
            moves: move_to(j),
            balance: step(j, self.plan.loads[j].load + 1),
            ..ExtraCost::default()
        };
        // The groups the customer would join and leave (those of `j`'s not also the plan
        // manager's, and the other way round), and the segment's own term where there is a
        // target for it: the next step where they join, the last step where they leave.
        let (balance, organisation) = (self.policy.balance, &self.book.organisation);
        let group =
            |g: usize, load: u32| group_step(balance, &organisation.groups()[g], i64::from(load));
        let placed_chain: Vec<usize> =
            (self.at).map_or(Vec::new(), |(a, _)| organisation.chain(a).collect());
        let to_chain: Vec<usize> = organisation.chain(j).collect();
        for &g in to_chain.iter().filter(|g| !placed_chain.contains(g)) {
            cost.balance = cost.balance.saturating_add(group(g, self.group_loads[g]));
        }
        for &g in placed_chain.iter().filter(|g| !to_chain.contains(g)) {
            let last = group(g, self.group_loads[g].saturating_sub(1));
            cost.balance = cost.balance.saturating_sub(last);
        }
        let segment = |m: usize, load: u32| {
            let manager = &self.book.managers.records[m];
            (self.segment).map_or(0, |s| segment_step(balance, manager, s, i64::from(load)))
        };
        let of_segment = |m: usize| {
            let load = (self.segment).and_then(|s| self.plan.loads[m].segments.get(s).copied());
            load.unwrap_or(0)
        };
        cost.balance = cost.balance.saturating_add(segment(j, of_segment(j)));
        match self.at {
            Some((a, placed_affinity)) => {
                cost.affinity = cost.affinity.saturating_add(placed_affinity);
                cost.moves = cost.moves.saturating_sub(move_to(a));
                cost.balance = cost
                    .balance
                    .saturating_sub(step(a, self.plan.loads[a].load))
                    .saturating_sub(segment(a, of_segment(a).saturating_sub(1)));
            }
            None => {
                let left_out = self.plan.unassigned.len().max(1) as i64;
                cost.unassigned = -(self.plan.objective.unassigned / left_out);
            }
        }
        cost.total = [cost.affinity, cost.moves, cost.balance, cost.unassigned]
            .into_iter()
            .fold(0, i64::saturating_add);
        cost
    }
}

/// The groups whose limit for `segment` `at` says is reached under `plan`'s loads (given the
/// limit and the group's load of the segment).
fn at_segment_limit(
    plan: &Plan,
    book: &Book,
    segment: &str,
    at: impl Fn(&SegmentLimit, u32) -> bool,
) -> Vec<usize> {
    let organisation = &book.organisation;
    if !organisation.limits_segments() {
        return Vec::new();
    }
    let members = organisation.members(plan.loads.len());
    let limits = organisation.segment_limits().into_iter();
    limits
        .filter(|limit| &*limit.segment == segment)
        .filter_map(|limit| {
            let load = (members[limit.group].iter())
                .map(|&j| plan.loads[j].segments.get(segment).copied())
                .map(Option::unwrap_or_default)
                .fold(0, u32::saturating_add);
            at(&limit, load).then_some(limit.group)
        })
        .collect()
}
