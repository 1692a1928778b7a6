//! Shadow prices: what one more place is worth to the objective, per manager and per segment
//! cap that binds, read off the optimum's node prices (the dual of the min-cost flow).
//!
//! With reduced cost `c − π_from + π_to`, a manager's node price over the next node's (its
//! group's, or the sink's) is what the optimum would pay for one more customer there. One
//! more place adds an arc from the manager on at the cost of its next customer (the balance
//! term's `capacity + 1`-th step); the objective falls by what the price exceeds that cost, or
//! not at all. A segment cap's arc costs nothing (or, with a target for the segment, its
//! balance step), so one more place under the cap is worth the segment node's price over the
//! manager's, less that step. These are the LP's dual prices: the fall with one more place is
//! at most the price, the rise with one place fewer at least it, and the two meet unless the
//! optimum is degenerate (a manager exactly at the end of a balance step, say).

use std::collections::BTreeMap;

use super::build::Built;
use super::network::Solution;
use super::objective::{Policy, balance_cost, usable_capacity};
use crate::model::Manager;

/// Each manager's shadow price, and those of its segment caps that bind.
pub(super) fn shadow_prices(
    managers: &[Manager],
    (built, solution): (&Built, &Solution),
    policy: &Policy,
    customers: usize,
) -> Vec<(i64, BTreeMap<String, i64>)> {
    let at = |node: super::network::NodeId| {
        solution
            .potential
            .get(node.0 as usize)
            .copied()
            .unwrap_or(0)
    };
    let over = |node, above| at(node).saturating_sub(at(above));
    let entries = &built.left_out.entries;
    let mut prices: Vec<(i64, BTreeMap<String, i64>)> = managers
        .iter()
        .enumerate()
        .map(|(j, manager)| {
            let capacity = usable_capacity(manager.capacity, customers);
            // Room for every customer already: one more place changes nothing.
            let binds = (manager.capacity as usize) < customers;
            let target = i64::from(manager.target_load().max(1));
            let next = balance_cost(policy.balance, i64::from(capacity) + 1, target);
            let node = entries.manager(j as u32);
            let shadow = match (binds, next, node) {
                (true, Some(next), Some(node)) => over(node, built.manager_above[j])
                    .saturating_sub(next)
                    .max(0),
                _ => 0,
            };
            (shadow, BTreeMap::new())
        })
        .collect();
    let network = &built.network;
    for (run, (manager, segment)) in entries.segment_runs() {
        let m = &managers[*manager as usize];
        let Some(&cap) = m.segment_caps.get(&**segment) else {
            continue;
        };
        let flow: i64 = run.iter().map(|&arc| solution.flow(arc)).sum();
        let Some(&first) = run.first() else { continue };
        if flow < i64::from(cap) {
            continue;
        }
        let (from, to, ..) = network.arc(first);
        // One more place under the cap costs the segment's next step, when it has a target.
        let next = m
            .segment_targets
            .get(&**segment)
            .map_or(Some(0), |&target| {
                balance_cost(policy.balance, i64::from(cap) + 1, i64::from(target.max(1)))
            });
        let shadow = next.map_or(0, |next| over(from, to).saturating_sub(next).max(0));
        if let Some((_, segments)) = prices.get_mut(*manager as usize) {
            segments.insert(segment.to_string(), shadow);
        }
    }
    prices
}
