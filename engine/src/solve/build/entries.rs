//! Where a group's customers enter a manager: the manager's own node, or, for a segment that
//! manager caps or has a target for, the node of that segment (one per (manager, segment),
//! made when first needed), whose run of arcs on to the manager holds the cap and the
//! segment's balance term.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::model::Manager;
use crate::solve::network::{ArcId, Network, NodeId};
use crate::solve::objective::{balance_pieces, usable_capacity};

/// A segment's run of arcs (segment node to manager: its balance pieces up to its cap), with
/// its manager and segment.
pub(crate) type SegmentRun = (Vec<ArcId>, (u32, Arc<str>));

/// Where a group's customers enter a manager: the manager's node, or the node of its cap
/// for the group's segment.
#[derive(Default)]
pub(crate) struct Entries {
    managers: Vec<NodeId>,
    /// λ and the book's customers: a segment's run is priced and bounded as a manager's.
    balance: i64,
    customers: usize,
    /// Per segment some group has (numbered by `segment_index`), each manager's entry once
    /// known: looked up once per group, not per pair.
    capped: Vec<Vec<Option<NodeId>>>,
    segment_index: HashMap<Arc<str>, usize>,
    /// Each segment node's run of arcs on to its manager.
    pub(super) segment_runs: Vec<SegmentRun>,
    /// The (manager, segment)s a group above the manager caps or sets a minimum for: they
    /// need a node, whose run the group's limit counts.
    limited: HashSet<(u32, Arc<str>)>,
}

impl Entries {
    /// The entries of managers whose nodes are `managers`, before any segment node is met,
    /// for a book of `customers` under balance weight `balance`; the (manager, segment)s in
    /// `limited` get a node even without a cap or target of the manager's own.
    pub(super) fn new(
        managers: Vec<NodeId>,
        (balance, customers): (i64, usize),
        limited: HashSet<(u32, Arc<str>)>,
    ) -> Entries {
        Entries {
            managers,
            balance,
            customers,
            limited,
            ..Entries::default()
        }
    }

    /// `manager`'s own node.
    pub(crate) fn manager(&self, manager: u32) -> Option<NodeId> {
        self.managers.get(manager as usize).copied()
    }

    /// Every segment node's run of arcs, with its manager and segment.
    pub(crate) fn segment_runs(&self) -> &[SegmentRun] {
        &self.segment_runs
    }

    /// The entry nodes of a group in `segment`, by manager, for reading (every entry of an
    /// eligible pair exists once the network is built).
    pub(crate) fn of(&self, segment: &Option<Arc<str>>) -> EntriesOf<'_> {
        EntriesOf {
            managers: &self.managers,
            capped: segment
                .as_ref()
                .and_then(|s| self.segment_index.get(s))
                .map(|&at| &self.capped[at]),
        }
    }

    /// The number of `segment`'s entries, made on first use; `None` without a segment.
    pub(super) fn segment(&mut self, segment: &Option<Arc<str>>, managers: usize) -> Option<usize> {
        let segment = segment.as_ref()?;
        if let Some(&at) = self.segment_index.get(segment) {
            return Some(at);
        }
        self.capped.push(vec![None; managers]);
        self.segment_index
            .insert(segment.clone(), self.capped.len() - 1);
        Some(self.capped.len() - 1)
    }

    /// `manager`'s entry for `segment` (numbered `at` by [`Entries::segment`]), adding its
    /// segment node (and its run of arcs) the first time a segment capped or targeted there
    /// needs it.
    pub(super) fn get_or_add(
        &mut self,
        network: &mut Network,
        managers: &[Manager],
        (manager, segment, at): (u32, &Option<Arc<str>>, Option<usize>),
    ) -> NodeId {
        let node = self.managers[manager as usize];
        let (Some(segment), Some(at)) = (segment, at) else {
            return node;
        };
        if let Some(entry) = self.capped[at][manager as usize] {
            return entry;
        }
        let m = &managers[manager as usize];
        let cap = m.segment_caps.get(&**segment).copied();
        let target = m.segment_targets.get(&**segment).copied();
        let limited = || self.limited.contains(&(manager, segment.clone()));
        let entry = if cap.is_some() || target.is_some() || limited() {
            // Uncapped, one above the manager's capacity: the manager's run bounds it, and a
            // bound that never binds never shows in a shadow price.
            let bound = cap.unwrap_or_else(|| m.capacity.saturating_add(1));
            let capacity = usable_capacity(bound, self.customers);
            let pieces = match target {
                Some(target) => balance_pieces(self.balance, capacity, i64::from(target.max(1))),
                None => vec![(i64::from(capacity), 0)],
            };
            let segment_node = network.add_node(0);
            let run = network.add_convex_arcs(segment_node, node, pieces);
            self.segment_runs.push((run, (manager, segment.clone())));
            segment_node
        } else {
            node
        };
        self.capped[at][manager as usize] = Some(entry);
        entry
    }
}

/// The entry nodes of one segment's groups.
pub(crate) struct EntriesOf<'a> {
    managers: &'a [NodeId],
    capped: Option<&'a Vec<Option<NodeId>>>,
}

impl EntriesOf<'_> {
    /// `manager`'s entry node.
    pub(crate) fn get(&self, manager: u32) -> NodeId {
        let capped = self
            .capped
            .and_then(|c| c.get(manager as usize).copied().flatten());
        capped.unwrap_or(self.managers[manager as usize])
    }
}
