//! Where a group's customers enter a manager: the manager's own node, or, for a segment that
//! manager caps, the node of that cap (one per (manager, segment), made when first needed).

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::Manager;
use crate::solve::network::{ArcId, Network, NodeId};

/// A segment cap's arc (capped node to manager), with its manager and segment.
pub(super) type CappedArc = (ArcId, (u32, Arc<str>));

/// Where a group's customers enter a manager: the manager's node, or the node of its cap
/// for the group's segment.
#[derive(Default)]
pub(crate) struct Entries {
    managers: Vec<NodeId>,
    /// Per segment some group has, each manager's entry once known.
    capped: HashMap<Arc<str>, Vec<Option<NodeId>>>,
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

    /// The entry nodes of a group in `segment`, by manager, for reading (every entry of an
    /// eligible pair exists once the network is built).
    pub(crate) fn of(&self, segment: &Option<Arc<str>>) -> EntriesOf<'_> {
        EntriesOf {
            managers: &self.managers,
            capped: segment.as_ref().and_then(|s| self.capped.get(s)),
        }
    }

    /// `manager`'s entry for `segment`, adding its capped node (and the cap's arc) the first
    /// time a segment capped there needs it.
    pub(super) fn get_or_add(
        &mut self,
        network: &mut Network,
        managers: &[Manager],
        (manager, segment): (u32, &Option<Arc<str>>),
    ) -> NodeId {
        let node = self.managers[manager as usize];
        let Some(segment) = segment else { return node };
        let count = managers.len();
        let known = self
            .capped
            .entry(segment.clone())
            .or_insert_with(|| vec![None; count]);
        if let Some(entry) = known[manager as usize] {
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
        known[manager as usize] = Some(entry);
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
