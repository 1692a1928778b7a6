//! The manager arcs a group's free node leaves out of the network, priced in when the
//! potentials of the solve say one would pay (the certificate is in `network::pricing`).
//! Pricing rebuilds each group's eligible row from the pair rules' verdicts, so the whole arc
//! list is never held: memory follows the arcs the optimum needs, not every eligible pair.

use foldhash::HashSet;
use rayon::prelude::*;

use super::build::Entries;
use super::network::{NodeId, Potentials, PricedArc, Pricing};
use super::prepare::Prepared;

/// Arcs a group may bring in per pricing round: its most negative reduced costs. One would
/// do for the certificate; more save rounds (each a pass over every eligible pair), too many
/// fill the network with arcs the optimum never uses. Lender 100k × 1,000: 4 took 1.15M
/// pivots and 6.1 s, 16 took 1.15M and 5.2 s, all of them 1.55M and 7.9 s. Lender 1M ×
/// 2,000, customers kept at their managers (single runs on a noisy machine): 4 took 12.7 s
/// over 21 rounds, 16 10.9 s over 7, 64 9.7–10.3 s over 5–6, 128 10.5 s over 4.
const PRICED_PER_GROUP: usize = 16;

/// Groups per parallel pricing job.
const GROUPS_PER_JOB: usize = 64;

/// The manager arcs the network left out, by group.
pub(super) struct LeftOut {
    /// Per group with arcs left out: its free node and the managers it holds, in order.
    held: Vec<Option<(NodeId, Vec<u32>)>>,
    /// Where each group enters each manager; set once the network is built.
    pub(super) entries: Entries,
    /// The largest |affinity| of an arc left out: the largest |cost| pricing may add.
    max_affinity: u64,
    /// How many arcs were left out.
    count: usize,
    /// What a priced arc holds beyond its group's size (see `build`).
    slack: i64,
}

impl LeftOut {
    pub(super) fn new(groups: usize, slack: i64) -> LeftOut {
        LeftOut {
            held: (0..groups).map(|_| None).collect(),
            entries: Entries::default(),
            max_affinity: 0,
            count: 0,
            slack,
        }
    }

    /// Counts one arc left out, of this affinity.
    pub(super) fn note(&mut self, affinity: i64) {
        self.max_affinity = self.max_affinity.max(affinity.unsigned_abs());
        self.count += 1;
    }

    /// Group `g`, whose free node is `free`, holds arcs to `managers` (in order) and leaves
    /// the rest of its eligible managers out.
    pub(super) fn hold(&mut self, g: usize, free: NodeId, managers: Vec<u32>) {
        self.held[g] = Some((free, managers));
    }

    /// How many manager arcs were left out.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// The pricing of these arcs, whose affinities are `prepared`'s verdicts.
    pub(super) fn pricing<'a>(&'a self, prepared: &'a Prepared) -> GroupPricing<'a> {
        GroupPricing {
            left_out: self,
            prepared,
        }
    }

    /// The group and manager a priced arc stands for.
    pub(super) fn decode(arc: &PricedArc) -> (usize, u32) {
        ((arc.key >> 32) as usize, arc.key as u32)
    }

    /// Every arc left out and never priced in, as (free node, entry node): arcs with no flow
    /// and room to spare, for the search of who could still be placed.
    pub(super) fn never_priced<'a>(
        &'a self,
        prepared: &'a Prepared,
        priced: &'a [PricedArc],
    ) -> impl Iterator<Item = (NodeId, NodeId)> + 'a {
        let brought: HashSet<(u32, u32)> = priced.iter().map(|a| (a.from.0, a.to.0)).collect();
        self.held
            .iter()
            .enumerate()
            .filter_map(|(g, held)| Some((g, held.as_ref()?)))
            .flat_map(move |(g, (free, managers))| {
                let group = prepared.groups.get(g);
                let entries = self.entries.of(group.segment);
                let free = *free;
                let row = prepared.eligible(&group).into_owned();
                let out: Vec<(NodeId, NodeId)> = row
                    .into_iter()
                    .filter(|(m, _)| managers.binary_search(m).is_err())
                    .map(|(m, _)| (free, entries.get(m)))
                    .filter(|(from, to)| !brought.contains(&(from.0, to.0)))
                    .collect();
                out
            })
    }
}

/// [`LeftOut`] as the solver's [`Pricing`].
pub(super) struct GroupPricing<'a> {
    left_out: &'a LeftOut,
    prepared: &'a Prepared,
}

impl GroupPricing<'_> {
    /// Group `g`'s arcs left out with a negative reduced cost, the most negative first (ties
    /// to the lower manager), at most [`PRICED_PER_GROUP`].
    fn price_group(&self, g: usize, potentials: &Potentials<'_>) -> Vec<PricedArc> {
        let Some((free, held)) = &self.left_out.held[g] else {
            return Vec::new();
        };
        let Some(from) = potentials.of(*free) else {
            return Vec::new();
        };
        let group = self.prepared.groups.get(g);
        let entries = self.left_out.entries.of(group.segment);
        let size = group.size() as i64;
        let mut paying: Vec<(i128, u32, NodeId, i64)> = Vec::new();
        // Both in manager order: one walk skips the held ones.
        let mut held = held.iter().copied().peekable();
        for &(manager, affinity) in self.prepared.eligible(&group).iter() {
            while held.next_if(|&h| h < manager).is_some() {}
            if held.peek() == Some(&manager) {
                continue;
            }
            let to = entries.get(manager);
            let Some(into) = potentials.of(to) else {
                continue;
            };
            // Wide enough that no affinity or potential can overflow it.
            let reduced = -i128::from(affinity) - i128::from(from) + i128::from(into);
            if reduced < 0 && !potentials.brought(*free, to) {
                paying.push((reduced, manager, to, affinity));
            }
        }
        if paying.len() > PRICED_PER_GROUP {
            paying.select_nth_unstable(PRICED_PER_GROUP - 1);
            paying.truncate(PRICED_PER_GROUP);
        }
        paying.sort_unstable();
        paying
            .into_iter()
            .map(|(_, manager, to, affinity)| PricedArc {
                from: *free,
                to,
                capacity: size + self.left_out.slack,
                cost: -affinity,
                key: (g as u64) << 32 | u64::from(manager),
            })
            .collect()
    }
}

impl Pricing for GroupPricing<'_> {
    fn max_abs_cost(&self) -> u64 {
        self.left_out.max_affinity
    }

    fn price(&self, potentials: &Potentials<'_>) -> Vec<PricedArc> {
        let groups = self.left_out.held.len();
        let per_group: Vec<Vec<PricedArc>> = (0..groups)
            .into_par_iter()
            .with_min_len(GROUPS_PER_JOB)
            .map(|g| self.price_group(g, potentials))
            .collect();
        per_group.concat()
    }
}
