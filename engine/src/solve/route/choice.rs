//! The choice rule of live routing: among a lead's eligible managers with room, a quota place
//! held for its class first (when guided), else the smallest −a_ij + λ·⌈1000·(L_j+1)/t_j⌉
//! plus the next steps of the manager's groups and, with a target for the lead's segment, of
//! that segment; ties to the earliest manager, first among managers with unreserved room.
//! Books nothing.

use std::sync::Arc;

use super::book::LiveBook;
use super::{Basis, Decision, Skip, Skipped};
use crate::model::CustomerId;
use crate::plan::UnassignedReason;

/// The managers passed over for leads of one class and segment, as of `room_changes`.
pub(super) struct PassedOver {
    segment: Option<Arc<str>>,
    room_changes: u64,
    /// How many managers were eligible: a class a manager joined since has one more.
    eligible: usize,
    skipped: Arc<[Skipped]>,
}

impl LiveBook {
    /// The managers passed over for a lead of `class` and `segment`, if listed since the last
    /// change of who has room.
    fn passed_over(
        &self,
        (class, segment): (u32, Option<&Arc<str>>),
        eligible: usize,
    ) -> Option<Arc<[Skipped]>> {
        self.passed_over
            .get(class as usize)?
            .iter()
            .find(|p| {
                p.segment.as_ref() == segment
                    && p.room_changes == self.room_changes
                    && p.eligible == eligible
            })
            .map(|p| Arc::clone(&p.skipped))
    }

    /// Keeps the managers passed over for `class` and `segment`, as of now.
    fn remember_passed_over(
        &mut self,
        (class, segment): (u32, Option<&Arc<str>>),
        eligible: usize,
        skipped: &Arc<[Skipped]>,
    ) {
        let class = class as usize;
        if self.passed_over.len() <= class {
            self.passed_over.resize_with(class + 1, Vec::new);
        }
        let kept = PassedOver {
            segment: segment.cloned(),
            room_changes: self.room_changes,
            eligible,
            skipped: Arc::clone(skipped),
        };
        let entries = &mut self.passed_over[class];
        match entries.iter_mut().find(|p| p.segment.as_ref() == segment) {
            Some(entry) => *entry = kept,
            None => entries.push(kept),
        }
    }

    /// Chooses a manager for one customer of `class` and `segment` among `eligible`, taking a
    /// quota place first when `guided`. Books nothing: the caller adds the placement.
    pub(super) fn decide(
        &mut self,
        customer: &CustomerId,
        (class, segment): (u32, Option<&Arc<str>>),
        eligible: &[(u32, i64)],
        guided: bool,
    ) -> (Decision, Option<u32>) {
        let listed = self.passed_over((class, segment), eligible.len());
        let mut skipped = Vec::new();
        // (cost, manager, affinity): the best two with room, and the best with unreserved room.
        let mut best: Option<(i64, u32, i64)> = None;
        let mut second: Option<(i64, u32, i64)> = None;
        let mut best_free: Option<(i64, u32, i64)> = None;
        let caps = self.caps_on(segment);
        // Once who is passed over is known, a manager costing more than both the second best
        // and the best with unreserved room cannot change the decision: most managers are
        // then screened out by a subtraction and a comparison. (Those without room cost about
        // `NO_ROOM`, above any bound but `i64::MAX`, the bound while nothing is known yet.)
        let mut bound = i64::MAX;
        for &(j, affinity) in eligible {
            if self.next_cost[j as usize].saturating_sub(affinity) > bound {
                continue;
            }
            // Why a manager is passed over is only worked out for those that are, below.
            let Some(balance) = self.room(j, caps) else {
                if listed.is_none() {
                    skipped.push(j);
                }
                continue;
            };
            let candidate = (balance.saturating_sub(affinity), j, affinity);
            if best.is_none_or(|b| candidate < b) {
                second = best;
                best = Some(candidate);
            } else if second.is_none_or(|s| candidate < s) {
                second = Some(candidate);
            }
            // The manager's record is only read for a candidate that would be the best yet:
            // at thousands of managers, reading every one costs more than the rest of the loop.
            if best_free.is_none_or(|b| candidate < b)
                && self.loads[j as usize] + self.reserved[j as usize]
                    < self.managers[j as usize].capacity
            {
                best_free = Some(candidate);
            }
            if listed.is_some() {
                let cost = |choice: Option<(i64, u32, i64)>| choice.map_or(i64::MAX, |c| c.0);
                bound = cost(second).max(cost(best_free));
            }
        }
        let skipped = match listed {
            Some(listed) => listed,
            None => {
                let skipped: Arc<[Skipped]> = skipped
                    .into_iter()
                    .map(|j| Skipped {
                        manager: self.managers[j as usize].id.clone(),
                        why: self.no_room(j, caps),
                    })
                    .collect();
                self.remember_passed_over((class, segment), eligible.len(), &skipped);
                skipped
            }
        };
        let quota = if guided {
            self.take_quota((class, segment), eligible)
        } else {
            None
        };
        let (basis, chosen) = match quota {
            Some(choice) => (Basis::Quota, Some(choice)),
            None => match best_free.or(best) {
                Some(choice) => (Basis::Marginal, Some(choice)),
                None => (Basis::Unplaced, None),
            },
        };
        let runner_up = match (chosen, best) {
            (Some(c), Some(b)) if c.1 == b.1 => second,
            (Some(_), b) => b,
            (None, _) => None,
        };
        let id = |j: u32| self.managers[j as usize].id.clone();
        let reason = match chosen {
            Some(_) => None,
            None if eligible.is_empty() => Some(UnassignedReason::NoEligibleManager),
            None => Some(UnassignedReason::CapacityExhausted {
                managers: skipped
                    .iter()
                    .filter(|s| s.why == Skip::Full)
                    .map(|s| s.manager.clone())
                    .collect(),
                segments: skipped
                    .iter()
                    .filter_map(|s| match &s.why {
                        Skip::SegmentFull { segment } => Some((s.manager.clone(), segment.clone())),
                        _ => None,
                    })
                    .collect(),
                groups: skipped
                    .iter()
                    .filter_map(|s| match &s.why {
                        Skip::GroupFull { group } => Some(group.as_str().into()),
                        _ => None,
                    })
                    .collect::<std::collections::BTreeSet<crate::model::GroupId>>()
                    .into_iter()
                    .collect(),
                group_segments: skipped
                    .iter()
                    .filter_map(|s| match &s.why {
                        Skip::GroupSegmentFull { group, segment } => {
                            Some((crate::model::GroupId::from(group.as_str()), segment.clone()))
                        }
                        _ => None,
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            }),
        };
        let decision = Decision {
            customer: customer.clone(),
            manager: chosen.map(|c| id(c.1)),
            runner_up: runner_up.map(|c| id(c.1)),
            basis,
            cost: chosen.map(|c| c.0),
            affinity: chosen.map(|c| c.2),
            ineligible: self.managers.len() - eligible.len(),
            skipped,
            reason,
        };
        (decision, chosen.map(|c| c.1))
    }

    /// The cheapest quota place left for (class, segment) with an eligible manager who has
    /// room, taken.
    fn take_quota(
        &mut self,
        (class, segment): (u32, Option<&Arc<str>>),
        eligible: &[(u32, i64)],
    ) -> Option<(i64, u32, i64)> {
        let places = self.quotas.get(&(class, segment.cloned()))?;
        let caps = self.caps_on(segment);
        let (at, choice) = places
            .iter()
            .enumerate()
            .filter(|(_, (_, left))| *left > 0)
            .filter_map(|(at, &(j, _))| {
                let balance = self.room(j, caps)?;
                let a = eligible.iter().find(|(m, _)| *m == j)?.1;
                Some((at, (balance.saturating_sub(a), j, a)))
            })
            .min_by_key(|&(_, choice)| choice)?;
        if let Some(places) = self.quotas.get_mut(&(class, segment.cloned())) {
            places[at].1 -= 1;
        }
        self.reserved[choice.1 as usize] -= 1;
        Some(choice)
    }
}

#[cfg(test)]
mod tests {
    use super::super::book::tests::managers;
    use super::*;

    fn decide(book: &mut LiveBook, eligible: &[(u32, i64)], guided: bool) -> Decision {
        book.decide(&CustomerId::from("C-1"), (0, None), eligible, guided)
            .0
    }

    fn manager(decision: &Decision) -> Option<&str> {
        decision.manager.as_ref().map(|m| m.as_str())
    }

    #[test]
    fn the_smallest_marginal_cost_wins_ties_to_the_earliest_manager() {
        let mut book = LiveBook::new_plain(managers(&[(2, &[]), (2, &[]), (2, &[])]), 1);
        // Each manager's next customer costs 500 in balance: the affinity decides.
        let decision = decide(&mut book, &[(0, 10), (1, 30), (2, 30)], false);
        assert_eq!(manager(&decision), Some("M-1"));
        assert_eq!(decision.runner_up.as_ref().map(|m| m.as_str()), Some("M-2"));
        assert_eq!(
            (decision.cost, decision.basis),
            (Some(470), Basis::Marginal)
        );
        assert_eq!(decision.ineligible, 0);
        // A fuller manager costs more: the balance term moves the next lead on.
        book.loads[1] = 1;
        book.refresh(1);
        assert_eq!(
            manager(&decide(&mut book, &[(0, 10), (1, 30), (2, 30)], false)),
            Some("M-2")
        );
    }

    #[test]
    fn a_lead_without_an_eligible_manager_with_room_is_unplaced_with_its_reason() {
        let mut book = LiveBook::new_plain(managers(&[(1, &[]), (1, &[])]), 1);
        let none = decide(&mut book, &[], false);
        assert_eq!((none.manager.clone(), none.basis), (None, Basis::Unplaced));
        assert_eq!(none.reason, Some(UnassignedReason::NoEligibleManager));
        assert_eq!(none.ineligible, 2);
        book.loads = vec![1, 1];
        (0..2).for_each(|j| book.refresh(j));
        let full = decide(&mut book, &[(0, 5), (1, 5)], false);
        assert_eq!(
            full.reason,
            Some(UnassignedReason::CapacityExhausted {
                managers: vec!["M-0".into(), "M-1".into()],
                segments: Vec::new(),
                groups: Vec::new(),
                group_segments: Vec::new(),
            })
        );
        assert!(full.skipped.iter().all(|s| s.why == Skip::Full));
    }

    #[test]
    fn a_guided_lead_takes_a_place_held_for_its_class_first() {
        let mut book = LiveBook::new_plain(managers(&[(2, &[]), (2, &[])]), 1);
        book.quotas.insert((0, None), vec![(1, 1)]);
        book.reserved[1] = 1;
        let guided = decide(&mut book, &[(0, 50), (1, 0)], true);
        assert_eq!(
            (manager(&guided), guided.basis),
            (Some("M-1"), Basis::Quota)
        );
        assert_eq!((book.quotas[&(0, None)][0].1, book.reserved[1]), (0, 0));
        // With the place used up, the marginal cost decides again.
        let next = decide(&mut book, &[(0, 50), (1, 0)], true);
        assert_eq!((manager(&next), next.basis), (Some("M-0"), Basis::Marginal));
    }
}
