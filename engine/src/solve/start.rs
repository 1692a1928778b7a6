//! A first placement for large networks (and books with groups of managers), for the solver
//! to start from instead of from nothing, and for choosing which manager arcs each group
//! holds: each group in turn goes whole to the manager whose next customer costs least (the
//! balance terms' next steps there: the manager's, its groups' and the segment's where it has
//! a target; less the affinity), where it fits (the manager, its cap for the segment and its
//! groups); a staying group stays when that is no dearer than moving. The managers' next
//! steps once everyone is placed price them for the arcs to hold (see `build`). Only speed
//! depends on this: the optimum is proven from whatever basis the solve starts at.

use std::collections::HashMap;
use std::sync::Arc;

use super::objective::{Policy, balance_cost, group_capacities, group_step, usable_capacity};
use super::prepare::Prepared;
use crate::model::Manager;
use crate::org::Organisation;

/// Where the greedy placement put each group.
pub(super) struct Placement {
    /// Per group, the manager its free customers (and movers) go to, if one had room.
    pub(super) pool: Vec<Option<u32>>,
    /// Per group and staying node, in the group's order, whether it stays.
    pub(super) stays: Vec<Vec<bool>>,
    /// Each manager's load.
    pub(super) loads: Vec<i64>,
    /// Each group of managers' load: the customers of everyone under it.
    pub(super) group_loads: Vec<i64>,
    /// Per (manager, segment), the customers of that segment placed there.
    pub(super) segment_loads: HashMap<(u32, Arc<str>), i64>,
    /// Each manager's price at the end: what its next customer would cost.
    pub(super) price: Vec<i64>,
}

/// One segment's room at each manager.
struct SegmentRoom {
    caps: Vec<Option<i64>>,
    targets: Vec<Option<i64>>,
    loads: Vec<i64>,
}

/// The managers' room as the placement fills them.
struct Room<'a> {
    managers: &'a [Manager],
    organisation: &'a Organisation,
    balance: i64,
    capacity: Vec<i64>,
    loads: Vec<i64>,
    /// Per group of managers: its capacity, and its load.
    groups: Vec<(i64, i64)>,
    /// What each manager's next customer costs on its own balance term, kept as loads change:
    /// `next` is asked for every eligible manager of every customer group, and working the
    /// steps out there was most of the placement's time (lender 100k × 1,000 with groups).
    steps: Vec<i64>,
    /// The same for each group of managers.
    group_steps: Vec<i64>,
    /// Each manager's groups, its own first: `Organisation::chain`, walked once.
    chains: Vec<Vec<usize>>,
    /// Per segment some group has (numbered by `segment_index`): each manager's cap and
    /// target for it, if any, and its customers of it so far. Looked up once per group, not
    /// per pair.
    segments: Vec<SegmentRoom>,
    segment_index: HashMap<Arc<str>, usize>,
}

impl Room<'_> {
    /// The number of `segment`'s table, made on first use; `None` without a segment.
    fn segment(&mut self, segment: &Option<Arc<str>>) -> Option<usize> {
        let segment = segment.as_ref()?;
        if let Some(&at) = self.segment_index.get(segment) {
            return Some(at);
        }
        let per_manager = |numbers: fn(&Manager) -> &std::collections::BTreeMap<String, u32>| {
            self.managers
                .iter()
                .map(|m| numbers(m).get(&**segment).map(|&n| i64::from(n)))
                .collect()
        };
        self.segments.push(SegmentRoom {
            caps: per_manager(|m| &m.segment_caps),
            targets: per_manager(|m| &m.segment_targets),
            loads: vec![0; self.managers.len()],
        });
        self.segment_index
            .insert(segment.clone(), self.segments.len() - 1);
        Some(self.segments.len() - 1)
    }

    /// What `manager`'s next customer costs on the balance term: its own, and its groups'.
    fn next(&self, manager: u32) -> i64 {
        let m = manager as usize;
        self.chains[m].iter().fold(self.steps[m], |cost, &g| {
            cost.saturating_add(self.group_steps[g])
        })
    }

    /// What `manager`'s next customer of segment table `segment` costs: [`Room::next`] and
    /// the segment's own step where the manager has a target for it.
    fn next_in(&self, manager: u32, segment: Option<usize>) -> i64 {
        let m = manager as usize;
        let step = segment.and_then(|s| {
            let room = &self.segments[s];
            let target = room.targets[m]?;
            balance_cost(self.balance, room.loads[m] + 1, target.max(1))
        });
        self.next(manager).saturating_add(step.unwrap_or(0))
    }

    /// Whether `n` more customers of segment table `segment` fit at `manager`.
    fn fits(&self, manager: u32, segment: Option<usize>, n: i64) -> bool {
        let m = manager as usize;
        if self.loads[m] + n > self.capacity[m] {
            return false;
        }
        if self.chains[m]
            .iter()
            .any(|&g| self.groups[g].1 + n > self.groups[g].0)
        {
            return false;
        }
        let Some(room) = segment.map(|s| &self.segments[s]) else {
            return true;
        };
        room.caps[m].is_none_or(|cap| room.loads[m] + n <= cap)
    }

    fn release(&mut self, manager: u32, segment: Option<usize>, n: i64) {
        self.take(manager, segment, -n);
    }

    fn take(&mut self, manager: u32, segment: Option<usize>, n: i64) {
        let m = manager as usize;
        self.loads[m] += n;
        self.steps[m] = manager_step(self.balance, &self.managers[m], self.loads[m]);
        for &g in &self.chains[m] {
            self.groups[g].1 += n;
            let group = &self.organisation.groups()[g];
            self.group_steps[g] = group_step(self.balance, group, self.groups[g].1);
        }
        if let Some(s) = segment {
            self.segments[s].loads[m] += n;
        }
    }

    /// The cheapest manager of `eligible` for `n` more customers, with that cost per customer.
    /// Room is looked at only for a manager cheaper than the best so far: it walks the
    /// manager's groups, and most managers are not.
    fn best(&self, eligible: &[(u32, i64)], segment: Option<usize>, n: i64) -> Option<(i64, u32)> {
        let mut best = None;
        for &(manager, affinity) in eligible {
            let cost = self.next_in(manager, segment).saturating_sub(affinity);
            if best.is_none_or(|best| (cost, manager) < best) && self.fits(manager, segment, n) {
                best = Some((cost, manager));
            }
        }
        best
    }

    /// Each (manager, segment)'s customers, for the caps' arcs.
    fn segment_loads(&self) -> HashMap<(u32, Arc<str>), i64> {
        let mut loads = HashMap::new();
        for (segment, &s) in &self.segment_index {
            for (m, &load) in self.segments[s].loads.iter().enumerate() {
                if load > 0 {
                    loads.insert((m as u32, segment.clone()), load);
                }
            }
        }
        loads
    }
}

/// What a manager's next customer costs on its own balance term, with `load` already.
fn manager_step(balance: i64, manager: &Manager, load: i64) -> i64 {
    let target = i64::from(manager.target_load().max(1));
    balance_cost(balance, load + 1, target).unwrap_or(i64::MAX)
}

/// How many customers a group's free node sends on: its free ones and the staying ones that
/// move.
pub(super) fn pool_of(group: &super::prepare::Group<'_>, stays: &[bool]) -> i64 {
    let moving: usize = group
        .staying()
        .zip(stays)
        .filter(|(_, stays)| !**stays)
        .map(|((_, members), _)| members.len())
        .sum();
    (group.free().len() + moving) as i64
}

/// Places every group of `prepared` greedily, in order.
pub(super) fn greedy(
    (managers, organisation): (&[Manager], &Organisation),
    prepared: &Prepared,
    policy: &Policy,
) -> Placement {
    let total = prepared.groups.customers();
    let mut room = Room {
        managers,
        organisation,
        groups: group_capacities((managers, organisation), total)
            .into_iter()
            .map(|capacity| (i64::from(capacity), 0))
            .collect(),
        group_steps: organisation
            .groups()
            .iter()
            .map(|group| group_step(policy.balance, group, 0))
            .collect(),
        chains: (0..managers.len())
            .map(|m| organisation.chain(m).collect())
            .collect(),
        balance: policy.balance,
        capacity: managers
            .iter()
            .map(|m| i64::from(usable_capacity(m.capacity, total)))
            .collect(),
        loads: vec![0; managers.len()],
        steps: managers
            .iter()
            .map(|manager| manager_step(policy.balance, manager, 0))
            .collect(),
        segments: Vec::new(),
        segment_index: HashMap::new(),
    };
    let mut pool_to = Vec::with_capacity(prepared.groups.len());
    let mut stays = Vec::with_capacity(prepared.groups.len());
    for group in prepared.groups.iter() {
        let eligible = prepared.eligible(&group);
        let segment = room.segment(group.segment);
        let mut pool = group.free().len() as i64;
        let mut group_stays = Vec::new();
        // What moving costs, priced once per group as it comes: when customers do not
        // aggregate a group has many staying nodes, and a search for each was most of the
        // placement's time (lender 1M × 2,000).
        let move_cost = (group.staying().next().is_some())
            .then(|| room.best(&eligible, segment, 1))
            .flatten()
            .map(|(cost, _)| cost.saturating_add(policy.move_penalty));
        // Staying nodes and eligible managers are both in manager order.
        let mut at = 0;
        for (manager, members) in group.staying() {
            let n = members.len() as i64;
            at += eligible[at..].partition_point(|&(m, _)| m < manager);
            let current = eligible.get(at).filter(|(m, _)| *m == manager);
            let stay_cost =
                current
                    .filter(|_| room.fits(manager, segment, n))
                    .map(|&(_, affinity)| {
                        let kept = affinity.saturating_add(prepared.stay_bonus(manager));
                        room.next_in(manager, segment).saturating_sub(kept)
                    });
            let stay = stay_cost.is_some_and(|s| move_cost.is_none_or(|m| s <= m));
            if stay {
                room.take(manager, segment, n);
            } else {
                pool += n;
            }
            group_stays.push(stay);
        }
        let mut to = (pool > 0)
            .then(|| room.best(&eligible, segment, pool))
            .flatten()
            .map(|(_, manager)| manager);
        if to.is_none() && pool > group.free().len() as i64 {
            // No one manager has room for the movers with the rest of the pool: they stay
            // where they fit, rather than start nowhere (which the solve would then undo,
            // pivot by pivot, from the root).
            for ((manager, members), stay) in group.staying().zip(group_stays.iter_mut()) {
                let n = members.len() as i64;
                let eligible_here = eligible.binary_search_by_key(&manager, |&(m, _)| m).is_ok();
                if !*stay && eligible_here && room.fits(manager, segment, n) {
                    room.take(manager, segment, n);
                    *stay = true;
                    pool -= n;
                }
            }
            to = (pool > 0)
                .then(|| room.best(&eligible, segment, pool))
                .flatten()
                .map(|(_, manager)| manager);
        }
        if let Some(manager) = to {
            room.take(manager, segment, pool);
        }
        pool_to.push(to);
        stays.push(group_stays);
    }
    // One pass of best responses: each group's pool, in turn, leaves and goes where it is
    // now cheapest, seeing everyone placed after it too. No move raises the objective (its
    // costs are separable and convex). Lender 100k × 1,000: 1.15M pivots without the pass,
    // 0.96M with one, 0.93M with four.
    for (g, group) in prepared.groups.iter().enumerate() {
        let Some(from) = pool_to[g] else { continue };
        let pool = pool_of(&group, &stays[g]);
        let segment = room.segment(group.segment);
        room.release(from, segment, pool);
        let eligible = prepared.eligible(&group);
        let to = room.best(&eligible, segment, pool).map_or(from, |(_, m)| m);
        room.take(to, segment, pool);
        pool_to[g] = Some(to);
    }
    let price = (0..managers.len() as u32).map(|m| room.next(m)).collect();
    let segment_loads = room.segment_loads();
    Placement {
        pool: pool_to,
        stays,
        group_loads: room.groups.iter().map(|&(_, load)| load).collect(),
        loads: room.loads,
        segment_loads,
        price,
    }
}
