//! The proof that customers kept at their manager's entry ([`Stay::Kept`]) lose nothing.
//!
//! Kept, a staying node's customers are supplied by their manager's entry node, and those who
//! move leave by one arc to the group's free node at the move penalty plus the affinity they
//! give up. That is the node's own network but for its arc to the sink: a kept customer cannot
//! be left unassigned. The optimum of the network as built is the optimum of the whole when
//! the staying node, put back with some potential p, prices every arc of it right: the stay
//! arc (carrying those who stay) and the move arc (those who move) are priced right by the
//! entry's and free node's potentials through the moving arc, which bounds p from below by
//! `π(entry) − kept` while someone stays, or by `π(free) + move penalty` when all move; the
//! arc to the sink, carrying nothing, needs `unassigned penalty − p + π(sink) ≥ 0`. The
//! staying nodes where even the lowest p fails are returned, to be solved apart.

use super::{Built, Stay};
use crate::solve::network::Solution;

/// The staying nodes (group, position in the group) kept at their manager's entry whose
/// customers the optimum `solution` of `built` does not prove placed.
pub(in crate::solve) fn unproven(built: &Built, solution: &Solution) -> Vec<(usize, usize)> {
    let potential = |node: super::NodeId| {
        i128::from(
            solution
                .potential
                .get(node.0 as usize)
                .copied()
                .unwrap_or(0),
        )
    };
    let sink = potential(built.sink);
    let penalty = i128::from(built.unassigned_penalty);
    let mut unproven = Vec::new();
    for (g, group) in built.groups.iter().enumerate() {
        for (s, stay) in group.staying.iter().enumerate() {
            let Stay::Kept {
                entry,
                moving,
                kept,
            } = stay.way
            else {
                continue;
            };
            let (_, _, size, cost) = built.network.arc(moving);
            let lowest = match solution.flow(moving) < size {
                true => potential(entry) - i128::from(kept),
                false => potential(group.free) + i128::from(cost) - i128::from(kept),
            };
            if penalty - lowest + sink < 0 {
                unproven.push((g, s));
            }
        }
    }
    unproven
}
