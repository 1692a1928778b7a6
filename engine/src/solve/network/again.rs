//! A network solved again with some arcs' costs shifted, from its last optimum: what a
//! search over prices on arcs (see `solve::limits`) needs many times. The last optimum is a
//! feasible flow of the shifted network too, so the solve starts from it and pivots only as
//! far as the shift moves the optimum.

use super::pricing::Pricing;
use super::{ArcId, Network, NetworkError, Solution, Start, basic};
use crate::cancel::Cancel;

impl Network {
    /// The optimum of this network with each arc of `shift` costing that much more per unit
    /// (less when negative), starting from `last`, an optimum of this network under the same
    /// `pricing` (or `None`). Read like that of [`Network::solve_priced`]: the flow on this
    /// network's arcs, then on the arcs priced in, `last`'s first; its cost and potentials
    /// are those of the shifted costs.
    pub(crate) fn solve_shifted(
        &self,
        shift: &[(ArcId, i64)],
        last: &Solution,
        pricing: Option<&dyn Pricing>,
        cancel: Option<&Cancel>,
    ) -> Result<Solution, NetworkError> {
        let mut again = self.clone();
        // The links' relaxed start is for a solve from far away; this one starts near.
        again.links.clear();
        for &(arc, delta) in shift {
            let cost = again
                .cost
                .get_mut(arc.0 as usize)
                .ok_or(NetworkError::InvalidArc {
                    arc: arc.0,
                    reason: "a shifted arc is not in the network",
                })?;
            *cost = cost.checked_add(delta).ok_or(NetworkError::Overflow)?;
        }
        for arc in &last.priced {
            again.add_arc(arc.from, arc.to, arc.capacity, arc.cost);
            again.priced_before.push((arc.from.0, arc.to.0));
        }
        let mut flow = last.flow.clone();
        flow.resize(again.arc_count(), 0);
        basic::cancel_cycles(&again, &mut flow);
        again.start = Some(Start {
            flow,
            near: true,
            basic: true,
        });
        let mut solved = match pricing {
            Some(pricing) => again.solve_priced(pricing, cancel),
            None => again.solve_with(None, cancel),
        }?;
        solved.priced.splice(0..0, last.priced.iter().cloned());
        Ok(solved)
    }
}
