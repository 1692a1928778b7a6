//! The plan's assembly: from the optimal flow back to customers (deterministically: within a
//! supply node, customers in input order), the loads and the objective's parts, and a reason
//! for each customer left out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::build::{Built, Stay};
use super::network::{ArcId, Solution};
use super::objective::{Policy, balance_term, group_balance_term, segment_balance_term};
use super::prepare::{Group, Prepared};
use super::pricing::LeftOut;
use super::shadow::shadow_prices;
use crate::model::{Book, ManagerId};
use crate::plan::{
    Assignment, BalanceStats, ManagerLoad, NetworkStats, Objective, Plan, Unassigned,
    UnassignedReason,
};
use crate::provenance::Provenance;

/// The plan of the optimal flow `solution` of the network `built` for `prepared` customers,
/// with where it comes from.
pub(super) fn plan(
    book: &Book,
    prepared: &Prepared,
    (built, solution): (&Built, &Solution),
    policy: &Policy,
    provenance: Provenance,
) -> Plan {
    let flow = |arc: ArcId| usize::try_from(solution.flow(arc)).unwrap_or(0);

    // Back from flow to customers, deterministically: within a node, customers in input order.
    let mut placed: Vec<Option<(u32, i64)>> = vec![None; book.customers.records.len()];
    let priced = priced_by_group(built, solution);
    for ((group, arcs), priced) in prepared.groups.iter().zip(&built.groups).zip(priced) {
        let mut pool = group.free().to_vec();
        for ((manager, members), stay) in group.staying().zip(&arcs.staying) {
            let (stays, moves) = match stay.way {
                Stay::Node {
                    to_manager,
                    to_free,
                } => {
                    let stays = to_manager.map_or(0, flow).min(members.len());
                    (stays, flow(to_free).min(members.len() - stays))
                }
                Stay::Kept { moving, .. } => {
                    let moves = flow(moving).min(members.len());
                    (members.len() - moves, moves)
                }
            };
            for &row in &members[..stays] {
                placed[row] = Some((manager, stay.affinity));
            }
            pool.extend_from_slice(&members[stays..stays + moves]);
        }
        pool.sort_unstable();
        let mut next = pool.into_iter();
        for &(manager, affinity, arc) in merged(&arcs.to_managers, &priced) {
            for row in next.by_ref().take(flow(arc)) {
                placed[row] = Some((manager, affinity));
            }
        }
    }
    let placeable = placeable_groups(prepared, &placed, built, solution);
    assemble(
        book,
        prepared,
        &placed,
        (built, solution),
        (policy, provenance),
        &placeable,
    )
}

/// The arcs a pricing brought in, by group: (manager, affinity, arc).
fn priced_by_group(built: &Built, solution: &Solution) -> Vec<Vec<(u32, i64, ArcId)>> {
    let mut by_group = vec![Vec::new(); built.groups.len()];
    let first = built.network.arc_count();
    for (i, arc) in solution.priced.iter().enumerate() {
        let (g, manager) = LeftOut::decode(arc);
        let id = ArcId(u32::try_from(first + i).unwrap_or(u32::MAX));
        if let Some(list) = by_group.get_mut(g) {
            list.push((manager, -arc.cost, id));
        }
    }
    by_group
}

/// A group's manager arcs, held and priced in, in manager order: customers go to managers
/// in the same order however the arcs came.
fn merged<'a>(
    held: &'a [(u32, i64, ArcId)],
    priced: &'a [(u32, i64, ArcId)],
) -> impl Iterator<Item = &'a (u32, i64, ArcId)> {
    let mut all: Vec<&(u32, i64, ArcId)> = held.iter().chain(priced).collect();
    all.sort_unstable_by_key(|&&(manager, _, _)| manager);
    all.into_iter()
}

/// Per group, whether one more of its customers could be placed by some chain of moves: its
/// free node still reaches the sink in the residual network without leaving anyone out. A
/// customer of such a group was left out on cost (the unassigned penalty was the cheaper),
/// not for want of room. Only searched when someone was left out.
fn placeable_groups(
    prepared: &Prepared,
    placed: &[Option<(u32, i64)>],
    built: &Built,
    solution: &Solution,
) -> Vec<bool> {
    let left_out = prepared
        .groups
        .iter()
        .any(|g| g.rows().iter().any(|&row| placed[row].is_none()));
    if !left_out {
        return vec![false; prepared.groups.len()];
    }
    let is_overflow = |arc: ArcId| built.overflow.binary_search_by_key(&arc.0, |a| a.0).is_ok();
    let left_out = built.left_out.never_priced(prepared, &solution.priced);
    let reaching = built
        .network
        .reaching(solution, built.sink, is_overflow, left_out);
    built
        .groups
        .iter()
        .map(|g| reaching.get(g.free.0 as usize).copied().unwrap_or(false))
        .collect()
}

/// The plan of `placed` customers (manager and affinity by row): assignments, loads, the
/// objective's parts, and a reason for each customer left out.
fn assemble(
    book: &Book,
    prepared: &Prepared,
    placed: &[Option<(u32, i64)>],
    (built, solution): (&Built, &Solution),
    (policy, provenance): (&Policy, Provenance),
    placeable: &[bool],
) -> Plan {
    let customers = &book.customers.records;
    let managers = &book.managers.records;
    let mut loads: Vec<ManagerLoad> = managers
        .iter()
        .map(|m| ManagerLoad {
            manager: m.id.clone(),
            load: 0,
            capacity: m.capacity,
            target: m.target_load(),
            utilisation: 0.0,
            segments: Default::default(),
            shadow_price: 0,
            segment_shadow_prices: Default::default(),
        })
        .collect();
    let known: HashMap<&ManagerId, u32> = managers
        .iter()
        .enumerate()
        .map(|(j, m)| (&m.id, j as u32))
        .collect();
    let mut assignments = Vec::new();
    let mut objective = Objective::default();
    // Each placed customer's pair class, to read the model's part of its affinity.
    let scored = !book.scores.is_empty();
    let mut class_of = Vec::new();
    if scored {
        class_of = vec![u32::MAX; customers.len()];
        for group in prepared.groups.iter() {
            for &row in group.rows() {
                class_of[row] = group.class;
            }
        }
        objective.model_scores = Some(0);
    }
    let (mut paid_moves, mut rehomed) = (0, 0);
    for (row, customer) in customers.iter().enumerate() {
        let Some((manager, affinity)) = placed[row] else {
            continue;
        };
        let load = &mut loads[manager as usize];
        load.load += 1;
        if let Some(segment) = &prepared.segments[row] {
            *load.segments.entry(segment.to_string()).or_default() += 1;
        }
        let current = customer
            .manager
            .as_ref()
            .and_then(|m| known.get(m))
            .copied();
        let moved = customer
            .manager
            .as_ref()
            .is_some_and(|m| *m != managers[manager as usize].id);
        let paid = current.is_some_and(|c| c != manager);
        // Customers come back with their class's affinity; their own manager's bonus is
        // theirs alone.
        let affinity = match current == Some(manager) {
            true => affinity.saturating_add(prepared.stay_bonus(manager)),
            false => affinity,
        };
        paid_moves += usize::from(paid);
        rehomed += usize::from(moved && !paid);
        let move_penalty = if paid { policy.move_penalty } else { 0 };
        objective.affinity -= affinity;
        objective.moves += move_penalty;
        let model_score = scored.then(|| prepared.score_part(class_of[row], manager));
        if let (Some(total), Some(part)) = (&mut objective.model_scores, model_score) {
            *total -= part;
        }
        assignments.push(Assignment {
            customer: customer.id.clone(),
            manager: managers[manager as usize].id.clone(),
            previous_manager: customer.manager.clone(),
            moved,
            affinity,
            move_penalty,
            model_score,
        });
    }
    let customers_placeable = prepared.groups.customers();
    let prices = shadow_prices(managers, (built, solution), policy, customers_placeable);
    for ((load, manager), (shadow, segments)) in loads.iter_mut().zip(managers).zip(prices) {
        load.shadow_price = shadow;
        load.segment_shadow_prices = segments;
        objective.balance += balance_term(policy.balance, load.load, manager.target_load());
        objective.balance += segment_balance_term(policy.balance, manager, &load.segments);
        load.utilisation = if load.capacity == 0 {
            0.0
        } else {
            f64::from(load.load) / f64::from(load.capacity)
        };
    }
    let group_loads = book.organisation.loads(loads.iter().map(|l| l.load));
    for (group, &load) in book.organisation.groups().iter().zip(&group_loads) {
        objective.balance += group_balance_term(policy.balance, load, group);
    }
    // Groups whose customers did not all fit: name the full managers and segments.
    let mut reason_of_group: HashMap<usize, UnassignedReason> = HashMap::new();
    let mut group_of = vec![usize::MAX; customers.len()];
    for (g, group) in prepared.groups.iter().enumerate() {
        for &row in group.rows() {
            group_of[row] = g;
        }
    }
    let full_limits = full_segment_limits(book, &loads);
    let mut unassigned = Vec::new();
    for (row, customer) in customers.iter().enumerate() {
        if placed[row].is_some() {
            continue;
        }
        let decided = prepared.decided.binary_search_by_key(&row, |(row, _)| *row);
        let reason = match decided {
            Ok(at) => prepared.decided[at].1.clone(),
            Err(_) => reason_of_group
                .entry(group_of[row])
                .or_insert_with(|| {
                    let group = prepared.groups.get(group_of[row]);
                    if placeable[group_of[row]] {
                        let eligible = prepared.eligible(&group);
                        full_group_segments(book, &group, &eligible, &full_limits)
                            .unwrap_or(UnassignedReason::CostAboveUnassignedPenalty)
                    } else {
                        let eligible = prepared.eligible(&group);
                        capacity_reason(book, &group, &eligible, (&loads, &group_loads))
                    }
                })
                .clone(),
        };
        unassigned.push(Unassigned {
            customer: customer.id.clone(),
            previous_manager: customer.manager.clone(),
            reason,
        });
    }
    objective.unassigned = built.unassigned_penalty * unassigned.len() as i64;
    objective.total =
        objective.affinity + objective.moves + objective.balance + objective.unassigned;
    let stats = BalanceStats::of(
        &loads,
        assignments.len(),
        unassigned.len(),
        (paid_moves, rehomed),
    );
    let network = NetworkStats {
        pair_classes: prepared.pair_classes,
        supply_nodes: built
            .groups
            .iter()
            .map(|group| {
                let nodes = group
                    .staying
                    .iter()
                    .filter(|s| matches!(s.way, Stay::Node { .. }));
                1 + nodes.count()
            })
            .sum(),
        nodes: built.network.node_count(),
        arcs: built.network.arc_count() + built.left_out.count(),
        arcs_held: built.network.arc_count(),
        arcs_priced_in: solution.priced.len(),
        pricing_rounds: solution.pricing_rounds,
        pivots: solution.pivots,
        parts: solution.parts,
        joined_by_links: solution.joined_by_links,
        limit_solves: 0,
        optimality_gap: 0,
    };
    let groups = super::group_loads::group_loads(book, &loads, (&assignments, &unassigned));
    Plan {
        assignments,
        unassigned,
        loads,
        groups,
        orphans: book.orphans(),
        objective,
        stats,
        network,
        provenance,
    }
}

/// Why a group that no chain of moves can make room for was left out: its eligible managers
/// at capacity, and those at their cap for its segment.
fn capacity_reason(
    book: &Book,
    group: &Group<'_>,
    eligible: &[(u32, i64)],
    (loads, group_loads): (&[ManagerLoad], &[u32]),
) -> UnassignedReason {
    let managers = &book.managers.records;
    let organisation = &book.organisation;
    let mut full = Vec::new();
    let mut segments = Vec::new();
    let mut full_groups = std::collections::BTreeSet::new();
    for &(manager, _) in eligible {
        let load = &loads[manager as usize];
        let full_group = organisation.full_group(manager as usize, group_loads);
        if load.load >= load.capacity {
            full.push(load.manager.clone());
        } else if let Some(segment) = group.segment
            && let Some(&cap) = managers[manager as usize].segment_caps.get(&**segment)
            && load.segments.get(&**segment).copied().unwrap_or(0) >= cap
        {
            segments.push((load.manager.clone(), segment.to_string()));
        } else if let Some(g) = full_group {
            full_groups.insert(g);
        }
    }
    UnassignedReason::CapacityExhausted {
        managers: full,
        segments,
        groups: full_groups
            .into_iter()
            .map(|g| organisation.groups()[g].id.clone())
            .collect(),
        group_segments: Vec::new(),
    }
}

/// The (group, segment)s at their cap for the segment, under `loads`.
fn full_segment_limits(book: &Book, loads: &[ManagerLoad]) -> HashSet<(usize, Arc<str>)> {
    let organisation = &book.organisation;
    if !organisation.limits_segments() {
        return HashSet::new();
    }
    let members = organisation.members(loads.len());
    let limits = organisation.segment_limits().into_iter();
    let capped = limits.filter_map(|limit| Some((limit.cap?, limit)));
    capped
        .filter(|(cap, limit)| {
            let load = (members[limit.group].iter())
                .map(|&j| loads[j].segments.get(&*limit.segment).copied())
                .map(Option::unwrap_or_default)
                .fold(0, u32::saturating_add);
            load >= *cap
        })
        .map(|(_, limit)| (limit.group, limit.segment))
        .collect()
}

/// Why a group whose customers the network could still place was left out, when a group's
/// cap for their segment is why: the cap is no arc of the network (see `limits`), so only
/// its price, not a full arc, kept them out.
fn full_group_segments(
    book: &Book,
    group: &Group<'_>,
    eligible: &[(u32, i64)],
    full: &HashSet<(usize, Arc<str>)>,
) -> Option<UnassignedReason> {
    let segment = group.segment.as_ref()?;
    let organisation = &book.organisation;
    let mut at_cap = std::collections::BTreeSet::new();
    for &(manager, _) in eligible {
        for g in organisation.chain(manager as usize) {
            if full.contains(&(g, segment.clone())) {
                at_cap.insert(g);
            }
        }
    }
    (!at_cap.is_empty()).then(|| UnassignedReason::CapacityExhausted {
        managers: Vec::new(),
        segments: Vec::new(),
        groups: Vec::new(),
        group_segments: (at_cap.into_iter())
            .map(|g| (organisation.groups()[g].id.clone(), segment.to_string()))
            .collect(),
    })
}
