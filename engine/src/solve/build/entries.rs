//! Where a group's customers enter a manager: the manager's own node, or, for a segment that
//! manager caps, the node of that cap (one per (manager, segment), made when first needed).

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::Manager;
use crate::solve::network::{ArcId, Network, NodeId};

/// A segment cap's arc (capped node to manager), with its manager and segment.
pub(crate) type CappedArc = (ArcId, (u32, Arc<str>));

/// Where a group's customers enter a manager: the manager's node, or the node of its cap
/// for the group's segment.
#[derive(Default)]
pub(crate) struct Entries {
    managers: Vec<NodeId>,
    /// Per segment some group has (numbered by `segment_index`), each manager's entry once
    /// known: looked up once per group, not per pair.
    capped: Vec<Vec<Option<NodeId>>>,
    segment_index: HashMap<Arc<str>, usize>,
    /// Each capped node's arc on to its manager.
    pub(super) capped_arcs: Vec<CappedArc>,
}

impl Entries {
    /// The entries of managers whose nodes are `managers`, before any cap is met.
    pub(super) fn new(managers: Vec<NodeId>) -> Entries {
        Entries {
            managers,
            ..Entries::default()
        }
    }

    /// `manager`'s own node.
    pub(crate) fn manager(&self, manager: u32) -> Option<NodeId> {
        self.managers.get(manager as usize).copied()
    }

    /// Every segment cap's arc, with its manager and segment.
    pub(crate) fn capped_arcs(&self) -> &[CappedArc] {
        &self.capped_arcs
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
    /// capped node (and the cap's arc) the first time a segment capped there needs it.
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
        let entry = match managers[manager as usize].segment_caps.get(&**segment) {
            Some(&cap) => {
                let capped = network.add_node(0);
                let arc = network.add_arc(capped, node, i64::from(cap), 0);
                self.capped_arcs.push((arc, (manager, segment.clone())));
                capped
            }
            None => node,
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
