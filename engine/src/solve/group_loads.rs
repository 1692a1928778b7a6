//! A plan's loads per group of managers: what the head of a team, a desk or a business line
//! sees of theirs. Loads, room, utilisation, who moved in and out, how evenly its managers
//! are loaded, and its load per segment beside its caps and minimums.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Book, ManagerId};
use crate::plan::{Assignment, GroupLoad, ManagerLoad, Unassigned};

/// Every group's load in a plan of `book`, in the groups' input order; none without groups.
pub(super) fn group_loads(
    book: &Book,
    loads: &[ManagerLoad],
    (assignments, unassigned): (&[Assignment], &[Unassigned]),
) -> Vec<GroupLoad> {
    let organisation = &book.organisation;
    if organisation.is_empty() {
        return Vec::new();
    }
    let groups = organisation.groups();
    let index: HashMap<&ManagerId, usize> = book
        .managers
        .records
        .iter()
        .enumerate()
        .map(|(j, m)| (&m.id, j))
        .collect();
    // Per manager, the groups it is under: a customer's old and new chains are compared.
    let chains: Vec<Vec<usize>> = (0..loads.len())
        .map(|j| organisation.chain(j).collect())
        .collect();
    let chain_of = |manager: Option<&ManagerId>| -> &[usize] {
        manager
            .and_then(|m| index.get(m))
            .map_or(&[], |&j| chains[j].as_slice())
    };
    let mut moved_in = vec![0usize; groups.len()];
    let mut moved_out = vec![0usize; groups.len()];
    for a in assignments {
        let (before, after) = (
            chain_of(a.previous_manager.as_ref()),
            chain_of(Some(&a.manager)),
        );
        after
            .iter()
            .filter(|g| !before.contains(g))
            .for_each(|&g| moved_in[g] += 1);
        before
            .iter()
            .filter(|g| !after.contains(g))
            .for_each(|&g| moved_out[g] += 1);
    }
    for u in unassigned {
        chain_of(u.previous_manager.as_ref())
            .iter()
            .for_each(|&g| moved_out[g] += 1);
    }
    let members: Vec<Vec<&ManagerLoad>> = organisation
        .members(loads.len())
        .into_iter()
        .map(|under| under.into_iter().map(|j| &loads[j]).collect())
        .collect();
    groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let load: u32 = members[g].iter().map(|l| l.load).sum();
            let room: u32 = members[g]
                .iter()
                .map(|l| l.capacity)
                .fold(0, u32::saturating_add);
            let capacity = group.capacity.map_or(room, |c| c.min(room));
            let utilisations: Vec<f64> = members[g]
                .iter()
                .filter(|l| l.capacity > 0)
                .map(|l| l.utilisation)
                .collect();
            let spread = crate::summary::fairness(&utilisations);
            let mut segments: BTreeMap<String, u32> = BTreeMap::new();
            for (segment, &n) in members[g].iter().flat_map(|l| &l.segments) {
                let at = segments.entry(segment.clone()).or_default();
                *at = at.saturating_add(n);
            }
            GroupLoad {
                group: group.id.clone(),
                parent: group.parent.clone(),
                managers: members[g].len(),
                load,
                capacity: group.capacity,
                target: group.target_load(),
                utilisation: if capacity == 0 {
                    0.0
                } else {
                    f64::from(load) / f64::from(capacity)
                },
                moved_in: moved_in[g],
                moved_out: moved_out[g],
                min_utilisation: spread.min,
                max_utilisation: spread.max,
                utilisation_std_dev: spread.std_dev,
                segments,
                segment_caps: group.segment_caps.clone(),
                segment_minimums: group.segment_minimums.clone(),
            }
        })
        .collect()
}
