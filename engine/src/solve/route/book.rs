//! The live book's state: managers, loads, who is away or gone, where each customer sits,
//! quota places held for forecast leads, and what one more customer costs each manager. No
//! locks and no rules: the router holds it behind one lock and decides with it
//! ([`choice`](super::choice)).

use std::collections::HashMap;
use std::sync::Arc;

use super::Skip;
use super::choice::PassedOver;
use crate::error::{BookError, Result};
use crate::model::{CustomerId, Manager, ManagerId};
use crate::org::Organisation;
use crate::solve::objective::{balance_cost, group_step, segment_step};

/// Where a placed customer sits.
#[derive(Debug, Clone)]
pub(super) struct Placement {
    pub(super) manager: u32,
    pub(super) class: u32,
    pub(super) segment: Option<Arc<str>>,
    /// The manager on leave whose customer this is, while covered by `manager`.
    pub(super) home: Option<u32>,
}

/// A pair class and a segment: what a quota place is reserved for.
pub(super) type QuotaKey = (u32, Option<Arc<str>>);

/// Everything that changes as leads arrive and events happen.
pub(super) struct LiveBook {
    pub(super) managers: Vec<Manager>,
    pub(super) loads: Vec<u32>,
    pub(super) segment_loads: Vec<HashMap<Arc<str>, u32>>,
    pub(super) away: Vec<bool>,
    pub(super) gone: Vec<bool>,
    pub(super) placed: HashMap<CustomerId, Placement>,
    /// (class, segment) → (manager, places left).
    pub(super) quotas: HashMap<QuotaKey, Vec<(u32, u32)>>,
    /// Quota places left per manager.
    pub(super) reserved: Vec<u32>,
    /// λ, the balance weight.
    pub(super) balance: i64,
    /// The groups of managers, and each one's load. A group's balance cost and room are
    /// added when a manager is looked at ([`LiveBook::room`]), not kept in `next_cost`: a
    /// lead would otherwise change the cost of everyone in its manager's groups.
    pub(super) organisation: Organisation,
    pub(super) group_loads: Vec<u32>,
    /// Per group, what one more customer costs on its balance term, `None` when it is full:
    /// kept as its load changes, since each manager a lead looks at adds its groups' (working
    /// them out there cost the lender's leads with its groups 16% of their routing time).
    group_next: Vec<Option<i64>>,
    /// Per (group, segment) a group caps: its cap, and its customers of the segment.
    group_segments: HashMap<(usize, Arc<str>), (u32, u32)>,
    /// Per manager, the balance cost of one more customer on their own term, or [`NO_ROOM`]
    /// if they cannot take one (full or away): one flat array of plain numbers, so that
    /// choosing among thousands of managers is a subtraction and a comparison for most of
    /// them. Groups' and segments' steps, never negative, are added by [`LiveBook::room`], so
    /// this is a lower bound of a manager's cost.
    pub(super) next_cost: Vec<i64>,
    /// Per segment some manager caps, per manager: whether they are at that cap (never for a
    /// manager without one). Looked up once per decision, then read like `next_cost`.
    pub(super) at_cap: HashMap<Arc<str>, Vec<bool>>,
    /// The segments some manager has a target for: a lead of one adds that segment's step.
    pub(super) targeted: std::collections::HashSet<Arc<str>>,
    /// Per manager, whether they had room when last refreshed (caps aside): kept to notice
    /// a change, which `away` and `next_cost` alone cannot show once updated.
    pub(super) status: Vec<Room>,
    /// Counts changes of who has room (a manager filling, freeing, reaching or leaving a cap,
    /// going away or coming back, joining): the lists below hold while it stands.
    pub(super) room_changes: u64,
    /// Per class, the eligible managers a decision passes over, per segment: the same for
    /// every lead until someone's room changes, so they are listed once, not per lead.
    pub(super) passed_over: Vec<Vec<PassedOver>>,
}

/// A lead's segment, as its choice sees it: who is at their cap for it, and whether anyone
/// has a target for it (its step is then added to a manager's cost).
#[derive(Clone, Copy)]
pub(super) struct SegmentRule<'a> {
    name: &'a str,
    at_cap: Option<&'a [bool]>,
    targeted: bool,
    /// Whether some group caps it.
    group_capped: bool,
}

/// The next cost of a manager who cannot take one more customer: above every real cost,
/// which is at most `i64::MAX / 2`.
pub(super) const NO_ROOM: i64 = i64::MAX;

/// Whether a manager can take one more customer, caps aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Room {
    Open,
    Full,
    Away,
}

impl LiveBook {
    /// The book of `managers` in `organisation`, empty, with balance weight λ = `balance`.
    pub(super) fn new(
        managers: Vec<Manager>,
        organisation: Organisation,
        balance: i64,
    ) -> LiveBook {
        let n = managers.len();
        let group_segments = (organisation.segment_limits().into_iter())
            .filter_map(|limit| Some(((limit.group, limit.segment), (limit.cap?, 0))))
            .collect();
        let mut book = LiveBook {
            group_segments,
            group_loads: vec![0; organisation.groups().len()],
            group_next: Vec::new(),
            organisation,
            managers,
            loads: vec![0; n],
            segment_loads: vec![HashMap::new(); n],
            away: vec![false; n],
            gone: vec![false; n],
            placed: HashMap::new(),
            quotas: HashMap::new(),
            reserved: vec![0; n],
            balance,
            next_cost: vec![NO_ROOM; n],
            at_cap: HashMap::new(),
            targeted: Default::default(),
            status: vec![Room::Open; n],
            room_changes: 0,
            passed_over: Vec::new(),
        };
        (0..n).for_each(|j| book.refresh(j));
        book.group_next = (0..book.group_loads.len())
            .map(|g| book.group_next_of(g))
            .collect();
        book
    }

    /// Adds `manager` to the book, with room for new customers.
    pub(super) fn join(&mut self, manager: Manager) {
        self.managers.push(manager);
        self.loads.push(0);
        self.segment_loads.push(HashMap::new());
        self.away.push(false);
        self.gone.push(false);
        self.reserved.push(0);
        self.next_cost.push(NO_ROOM);
        for flags in self.at_cap.values_mut() {
            flags.push(false);
        }
        self.status.push(Room::Open);
        self.room_changes += 1;
        self.refresh(self.managers.len() - 1);
    }

    pub(super) fn add(&mut self, customer: CustomerId, placement: Placement) {
        let j = placement.manager as usize;
        self.loads[j] += 1;
        self.count_in_groups(j, 1);
        self.count_in_group_segments(j, placement.segment.as_ref(), 1);
        if let Some(segment) = &placement.segment {
            *self.segment_loads[j]
                .entry(Arc::clone(segment))
                .or_default() += 1;
        }
        self.refresh(j);
        self.placed.insert(customer, placement);
    }

    pub(super) fn remove(&mut self, customer: &CustomerId) -> Result<Placement> {
        let placement = self
            .placed
            .remove(customer)
            .ok_or_else(|| BookError::UnknownCustomer {
                customer: customer.to_string(),
            })?;
        let j = placement.manager as usize;
        self.loads[j] -= 1;
        self.count_in_groups(j, -1);
        self.count_in_group_segments(j, placement.segment.as_ref(), -1);
        if let Some(segment) = &placement.segment
            && let Some(n) = self.segment_loads[j].get_mut(segment)
        {
            *n -= 1;
        }
        self.refresh(j);
        Ok(placement)
    }

    /// Counts one customer more (or fewer) in every group of manager `j`; a group filling or
    /// freeing is a change of who has room.
    fn count_in_groups(&mut self, j: usize, change: i32) {
        for g in self.organisation.chain(j) {
            let was_full = self.group_full(g);
            self.group_loads[g] = self.group_loads[g].saturating_add_signed(change);
            if self.group_full(g) != was_full {
                self.room_changes += 1;
            }
            self.group_next[g] = self.group_next_of(g);
        }
    }

    /// Counts one customer of `segment` more (or fewer) in every group of manager `j` that
    /// caps it; a group reaching or leaving its cap is a change of who has room.
    fn count_in_group_segments(&mut self, j: usize, segment: Option<&Arc<str>>, change: i32) {
        let Some(segment) = segment.filter(|_| !self.group_segments.is_empty()) else {
            return;
        };
        for g in self.organisation.chain(j) {
            if let Some((cap, load)) = self.group_segments.get_mut(&(g, segment.clone())) {
                let was_full = *load >= *cap;
                *load = load.saturating_add_signed(change);
                if (*load >= *cap) != was_full {
                    self.room_changes += 1;
                }
            }
        }
    }

    /// The first of manager `j`'s groups at its cap for `segment`.
    fn group_at_segment_cap(&self, j: usize, segment: &str) -> Option<usize> {
        let segment: Arc<str> = segment.into();
        self.organisation.chain(j).find(|&g| {
            (self.group_segments.get(&(g, segment.clone()))).is_some_and(|&(cap, load)| load >= cap)
        })
    }

    /// What one more customer costs group `g` on its balance term at its load now, `None`
    /// when it is full.
    fn group_next_of(&self, g: usize) -> Option<i64> {
        let group = &self.organisation.groups()[g];
        let step = group_step(self.balance, group, i64::from(self.group_loads[g]));
        (!self.group_full(g)).then_some(step.min(i64::MAX / 2))
    }

    /// Whether group `g` is at its capacity.
    fn group_full(&self, g: usize) -> bool {
        let capacity = self.organisation.groups()[g].capacity;
        capacity.is_some_and(|c| self.group_loads[g] >= c)
    }

    /// What one more customer costs manager `j`'s groups on their balance terms, `None` if
    /// one of them is full.
    fn groups_next(&self, j: usize) -> Option<i64> {
        let mut cost = 0i64;
        for g in self.organisation.chain(j) {
            cost = cost.saturating_add(self.group_next[g]?);
        }
        Some(cost.min(i64::MAX / 2))
    }

    /// The index of a manager still in the book.
    pub(super) fn index(&self, manager: &ManagerId) -> Result<u32> {
        self.managers
            .iter()
            .position(|m| m.id == *manager)
            .filter(|&j| !self.gone[j])
            .map(|j| j as u32)
            .ok_or_else(|| {
                BookError::UnknownManager {
                    manager: manager.to_string(),
                }
                .into()
            })
    }

    /// The index of a manager in the book and not on leave.
    pub(super) fn present(&self, manager: &ManagerId) -> Result<u32> {
        let j = self.index(manager)?;
        if self.away[j as usize] {
            return Err(BookError::OnLeave {
                manager: manager.to_string(),
            }
            .into());
        }
        Ok(j)
    }

    /// Recomputes what one more customer costs manager `j`, and which of their segment caps
    /// they are at.
    pub(super) fn refresh(&mut self, j: usize) {
        let n = self.managers.len();
        let mut changed = false;
        for segment in self.managers[j].segment_targets.keys() {
            if !self.targeted.contains(segment.as_str()) {
                self.targeted.insert(Arc::from(segment.as_str()));
            }
        }
        for (segment, &cap) in &self.managers[j].segment_caps {
            let full = self.segment_loads[j]
                .get(segment.as_str())
                .copied()
                .unwrap_or(0)
                >= cap;
            match self.at_cap.get_mut(segment.as_str()) {
                Some(flags) => {
                    changed |= flags[j] != full;
                    flags[j] = full;
                }
                None => {
                    changed |= full;
                    let mut flags = vec![false; n];
                    flags[j] = full;
                    self.at_cap.insert(Arc::from(segment.as_str()), flags);
                }
            }
        }
        let manager = &self.managers[j];
        let room = if self.away[j] {
            Room::Away
        } else if self.loads[j] >= manager.capacity {
            Room::Full
        } else {
            Room::Open
        };
        if changed || room != self.status[j] {
            self.status[j] = room;
            self.room_changes += 1;
        }
        self.next_cost[j] = if room != Room::Open {
            NO_ROOM
        } else {
            let target = i64::from(manager.target_load().max(1));
            // Above every real cost if it would overflow: such a manager is chosen last.
            balance_cost(self.balance, i64::from(self.loads[j]) + 1, target).unwrap_or(i64::MAX / 2)
        };
    }

    /// What `segment` means to a lead's choice: its name, who is at their cap for it (if
    /// anyone caps it) and whether anyone has a target for it; `None` when neither.
    pub(super) fn caps_on<'a>(&'a self, segment: Option<&'a Arc<str>>) -> Option<SegmentRule<'a>> {
        let segment = segment?;
        let at_cap = self.at_cap.get(segment).map(Vec::as_slice);
        let targeted = self.targeted.contains(segment);
        let group_capped = self.group_segments.keys().any(|(_, s)| s == segment);
        (at_cap.is_some() || targeted || group_capped).then_some(SegmentRule {
            name: segment,
            at_cap,
            targeted,
            group_capped,
        })
    }

    /// The balance cost of one more customer of the segment whose `caps` are given for manager
    /// `j`, or `None` if they have no room for one (see [`LiveBook::no_room`] for why).
    /// With groups, their next steps are added (so `next_cost` is a lower bound of it).
    pub(super) fn room(&self, j: u32, caps: Option<SegmentRule<'_>>) -> Option<i64> {
        let j = j as usize;
        let mut cost = self.next_cost[j];
        let capped = caps.is_some_and(|rule| rule.at_cap.is_some_and(|at_cap| at_cap[j]));
        if cost == NO_ROOM || capped {
            return None;
        }
        if let Some(rule) = caps.filter(|rule| rule.targeted) {
            let load = self.segment_loads[j].get(rule.name).copied().unwrap_or(0);
            let step = segment_step(self.balance, &self.managers[j], rule.name, i64::from(load));
            cost = cost.saturating_add(step);
        }
        if self.organisation.is_empty() {
            return Some(cost.min(i64::MAX / 2));
        }
        if let Some(rule) = caps.filter(|rule| rule.group_capped)
            && self.group_at_segment_cap(j, rule.name).is_some()
        {
            return None;
        }
        Some(cost.saturating_add(self.groups_next(j)?).min(i64::MAX / 2))
    }

    /// Why manager `j` has no room, where [`LiveBook::room`] found none.
    pub(super) fn no_room(&self, j: u32, caps: Option<SegmentRule<'_>>) -> Skip {
        let j = j as usize;
        let at_cap = caps.and_then(|rule| Some((rule.name, rule.at_cap?)));
        match (self.status[j], at_cap) {
            (Room::Away, _) => Skip::Away,
            (Room::Full, _) => Skip::Full,
            (Room::Open, Some((segment, at_cap))) if at_cap[j] => Skip::SegmentFull {
                segment: segment.to_owned(),
            },
            (Room::Open, _) => {
                let full = || self.organisation.full_group(j, &self.group_loads);
                let capped = caps
                    .filter(|rule| rule.group_capped)
                    .and_then(|rule| Some((self.group_at_segment_cap(j, rule.name)?, rule.name)));
                match (full(), capped) {
                    (Some(g), _) => Skip::GroupFull {
                        group: self.organisation.groups()[g].id.to_string(),
                    },
                    (None, Some((g, segment))) => Skip::GroupSegmentFull {
                        group: self.organisation.groups()[g].id.to_string(),
                        segment: segment.to_owned(),
                    },
                    (None, None) => Skip::Full,
                }
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Manager `M-j` for each (capacity, segment caps); targets default to the capacity.
    pub(crate) fn managers(specs: &[(u32, &[(&str, u32)])]) -> Vec<Manager> {
        specs
            .iter()
            .enumerate()
            .map(|(j, &(capacity, caps))| Manager {
                id: ManagerId::from(format!("M-{j}").as_str()),
                capacity,
                target: None,
                segment_caps: caps.iter().map(|&(s, c)| (s.to_owned(), c)).collect(),
                segment_targets: Default::default(),
                attributes: Vec::new(),
            })
            .collect()
    }

    impl LiveBook {
        /// A book of `managers` in no groups.
        pub(crate) fn new_plain(managers: Vec<Manager>, balance: i64) -> LiveBook {
            LiveBook::new(managers, Organisation::default(), balance)
        }
    }

    fn placed(manager: u32, segment: Option<&str>) -> Placement {
        Placement {
            manager,
            class: 0,
            segment: segment.map(Arc::from),
            home: None,
        }
    }

    #[test]
    fn a_customer_takes_room_and_gives_it_back_when_released() {
        let mut book = LiveBook::new_plain(managers(&[(1, &[]), (2, &[])]), 1);
        // λ·⌈1000·1/t⌉ for the first customer of a manager whose target is its capacity.
        assert_eq!(
            (book.room(0, None), book.room(1, None)),
            (Some(1000), Some(500))
        );
        book.add(CustomerId::from("C-1"), placed(0, None));
        assert_eq!(book.loads, [1, 0]);
        assert_eq!(book.room(0, None), None);
        assert_eq!(book.no_room(0, None), Skip::Full);
        assert_eq!(book.remove(&CustomerId::from("C-1")).unwrap().manager, 0);
        assert_eq!(book.room(0, None), Some(1000));
        let unknown = book.remove(&CustomerId::from("C-1")).unwrap_err();
        assert_eq!(unknown.code(), "unknown_customer");
    }

    #[test]
    fn a_segment_cap_closes_a_manager_to_that_segment_only() {
        let mut book = LiveBook::new_plain(managers(&[(5, &[("HNW", 1)])]), 1);
        book.add(CustomerId::from("C-1"), placed(0, Some("HNW")));
        let hnw = Arc::from("HNW");
        let mass = Arc::from("MASS");
        let caps = book.caps_on(Some(&hnw));
        assert_eq!(book.room(0, caps), None);
        assert_eq!(
            book.no_room(0, caps),
            Skip::SegmentFull {
                segment: "HNW".to_owned()
            }
        );
        assert_eq!(book.room(0, book.caps_on(Some(&mass))), Some(400));
        assert_eq!(book.room(0, None), Some(400));
    }

    #[test]
    fn managers_away_or_gone_take_no_one() {
        let mut book = LiveBook::new_plain(managers(&[(3, &[]), (3, &[])]), 1);
        let changes = book.room_changes;
        book.away[0] = true;
        book.refresh(0);
        assert!(book.room_changes > changes);
        assert_eq!(
            (book.room(0, None), book.no_room(0, None)),
            (None, Skip::Away)
        );
        let on_leave = book.present(&ManagerId::from("M-0")).unwrap_err();
        assert_eq!(on_leave.code(), "manager_on_leave");
        assert_eq!(book.index(&ManagerId::from("M-0")).unwrap(), 0);
        book.gone[1] = true;
        let gone = book.index(&ManagerId::from("M-1")).unwrap_err();
        assert_eq!(gone.code(), "unknown_manager");
        book.join(managers(&[(2, &[])]).remove(0));
        assert_eq!((book.managers.len(), book.room(2, None)), (3, Some(500)));
    }
}
