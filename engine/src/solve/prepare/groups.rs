//! Supply groups: customers of one pair class and segment are interchangeable to the
//! objective and become one group, split by current manager into supply nodes. Exact: it only
//! merges customers the objective cannot tell apart.

use std::sync::Arc;

/// Groups of interchangeable customers: one pair class and segment, split by current manager
/// into supply nodes. Held flat (every placeable row once, by group, then node, then input
/// order): a million customers in hundreds of thousands of groups would otherwise cost a few
/// small lists each.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    heads: Vec<Head>,
    /// Each group's nodes, the free one first, then staying ones by manager; one past the
    /// last node closes the list.
    nodes: Vec<Node>,
    rows: Vec<usize>,
}

#[derive(Debug)]
struct Head {
    class: u32,
    segment: Option<Arc<str>>,
    /// The group's first node in `nodes`.
    first: usize,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// The current manager of a staying node's customers, none for the free node.
    manager: Option<u32>,
    /// The node's first row in `rows`.
    first: usize,
}

/// One group of [`Groups`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group<'a> {
    pub(crate) class: u32,
    pub(crate) segment: &'a Option<Arc<str>>,
    /// The free node, then the staying ones.
    nodes: &'a [Node],
    /// The node after the last, whose first row ends the last node's rows.
    end: usize,
    rows: &'a [usize],
}

impl<'a> Group<'a> {
    /// The rows of node `k` of this group.
    fn node_rows(&self, k: usize) -> &'a [usize] {
        let first = self.nodes[k].first;
        let end = self.nodes.get(k + 1).map_or(self.end, |n| n.first);
        &self.rows[first..end]
    }

    /// Customers without a current manager among the managers, in input order.
    pub(crate) fn free(&self) -> &'a [usize] {
        self.node_rows(0)
    }

    /// Customers by their current manager (index), in manager order, each list in input order.
    pub(crate) fn staying(&self) -> impl Iterator<Item = (u32, &'a [usize])> + use<'a> {
        let group = *self;
        (1..self.nodes.len())
            .filter_map(move |k| Some((group.nodes[k].manager?, group.node_rows(k))))
    }

    /// Every customer of the group.
    pub(crate) fn rows(&self) -> &'a [usize] {
        &self.rows[self.nodes[0].first..self.end]
    }

    pub(crate) fn size(&self) -> usize {
        self.rows().len()
    }
}

impl Groups {
    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }

    pub(crate) fn get(&self, g: usize) -> Group<'_> {
        let head = &self.heads[g];
        let last = self.heads.get(g + 1).map_or(self.nodes.len(), |h| h.first);
        Group {
            class: head.class,
            segment: &head.segment,
            nodes: &self.nodes[head.first..last],
            end: self.nodes.get(last).map_or(self.rows.len(), |n| n.first),
            rows: &self.rows,
        }
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = Group<'_>> {
        (0..self.len()).map(|g| self.get(g))
    }

    /// Supply nodes: each group's free node and its staying ones.
    pub(crate) fn supply_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Every customer placed in a group.
    pub(crate) fn customers(&self) -> usize {
        self.rows.len()
    }
}

/// Groups customers to place, given as (row, pair class, segment, current manager) in row
/// order; groups are numbered by their first customer. With `aggregate` off, every customer is
/// its own group.
pub(crate) fn groups(
    placeable: impl Iterator<Item = (usize, u32, Option<Arc<str>>, Option<u32>)>,
    aggregate: bool,
) -> Groups {
    let mut index: foldhash::HashMap<(u32, Option<Arc<str>>), u32> = Default::default();
    let mut heads: Vec<Head> = Vec::new();
    // (group, current manager, row): sorted, they list the rows node by node, each group's
    // free customers (no current manager) first.
    let mut members: Vec<(u32, Option<u32>, usize)> = Vec::new();
    for (row, class, segment, current) in placeable {
        let mut new_group = |segment: Option<Arc<str>>| {
            heads.push(Head {
                class,
                segment,
                first: 0,
            });
            (heads.len() - 1) as u32
        };
        let group = match aggregate {
            true => *index
                .entry((class, segment.clone()))
                .or_insert_with(|| new_group(segment)),
            false => new_group(segment),
        };
        members.push((group, current, row));
    }
    drop(index);
    members.sort_unstable();
    let mut nodes: Vec<Node> = Vec::with_capacity(heads.len());
    let mut last = None;
    for (at, &(group, manager, _)) in members.iter().enumerate() {
        if last.map(|(g, _)| g) != Some(group) {
            heads[group as usize].first = nodes.len();
            // Every group has a free node, empty when all its customers have a manager.
            if manager.is_some() {
                nodes.push(Node {
                    manager: None,
                    first: at,
                });
            }
        }
        if last != Some((group, manager)) {
            nodes.push(Node { manager, first: at });
        }
        last = Some((group, manager));
    }
    Groups {
        heads,
        nodes,
        rows: members.into_iter().map(|(_, _, row)| row).collect(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Every placeable customer is in exactly one group, of its class and segment, in the
        /// free node or in the staying node of its current manager; free first, then staying
        /// nodes by manager, rows in input order; groups numbered by their first customer.
        #[test]
        fn groups_hold_each_customer_once_where_the_network_expects_it(
            customers in proptest::collection::vec(
                (0u32..4, proptest::option::of(0usize..3), proptest::option::of(0u32..4)),
                0..40,
            ),
            aggregate in any::<bool>(),
        ) {
            let segments = ["A", "B", "C"].map(Arc::<str>::from);
            let placeable: Vec<_> = customers
                .iter()
                .enumerate()
                .filter(|(row, _)| row % 5 != 3)
                .map(|(row, &(class, segment, current))| {
                    (row, class, segment.map(|s| segments[s].clone()), current)
                })
                .collect();
            let groups = groups(placeable.iter().cloned(), aggregate);
            let mut seen = Vec::new();
            let mut firsts = Vec::new();
            let mut nodes = 0;
            for group in groups.iter() {
                let free = group.free();
                let staying: Vec<(u32, &[usize])> = group.staying().collect();
                nodes += 1 + staying.len();
                prop_assert!(staying.windows(2).all(|w| w[0].0 < w[1].0));
                let mut rows: Vec<usize> = free.to_vec();
                for (_, members) in &staying {
                    prop_assert!(!members.is_empty());
                    rows.extend_from_slice(members);
                }
                prop_assert_eq!(&rows, &group.rows().to_vec());
                prop_assert_eq!(group.size(), rows.len());
                for &row in &rows {
                    let (_, class, segment, current) = &placeable.iter().find(|p| p.0 == row).unwrap();
                    prop_assert_eq!(*class, group.class);
                    prop_assert_eq!(segment, group.segment);
                    let manager = staying.iter().find(|(_, m)| m.contains(&row)).map(|(m, _)| *m);
                    prop_assert_eq!(*current, manager);
                }
                prop_assert!(free.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(staying.iter().all(|(_, m)| m.windows(2).all(|w| w[0] < w[1])));
                firsts.push(*rows.iter().min().unwrap());
                seen.extend(rows);
            }
            prop_assert!(firsts.windows(2).all(|w| w[0] < w[1]));
            seen.sort_unstable();
            let expected: Vec<usize> = placeable.iter().map(|p| p.0).collect();
            prop_assert_eq!(&seen, &expected);
            prop_assert_eq!(groups.customers(), expected.len());
            prop_assert_eq!(groups.supply_nodes(), nodes);
            if aggregate {
                let mut keys: Vec<_> = groups.iter().map(|g| (g.class, g.segment.clone())).collect();
                let count = keys.len();
                keys.sort();
                keys.dedup();
                prop_assert_eq!(keys.len(), count, "one group per class and segment");
            } else {
                prop_assert_eq!(groups.len(), expected.len());
            }
        }
    }
}
