//! The organisation around the managers: groups of them (teams, branches, business lines)
//! that nest as a forest, each with an optional capacity and target, and the group each
//! manager belongs to (the managers' `group` column). A group caps and balances the load of
//! everyone under it, exactly as a manager does its own: in the network its managers flow
//! into its node, and it flows into its parent's (see `solve::build`).

use std::collections::{BTreeMap, HashMap};

use crate::error::{InputError, Location};
use crate::model::{GroupId, Manager, Managers, Schema, Value};
use crate::suggest;

/// The managers' column naming each one's group.
pub(crate) const GROUP: &str = "group";

/// The deepest nesting of groups: a manager's load passes through every level, so the work
/// of a run grows with it. Banks nest three or four deep.
pub const MAX_GROUP_DEPTH: usize = 16;

/// A group of managers: a team, a branch, a business line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerGroup {
    /// The group's id.
    pub id: GroupId,
    /// The group it belongs to; `None` for a root.
    pub parent: Option<GroupId>,
    /// The most customers everyone under it may serve together; `None` for no cap.
    pub capacity: Option<u32>,
    /// The load its balance term aims for; defaults to the capacity. A group with neither has
    /// no balance term of its own.
    pub target: Option<u32>,
    /// At most this many customers of a segment under it (e.g. `HNW` → 40).
    pub segment_caps: BTreeMap<String, u32>,
    /// At least this many customers of a segment under it (e.g. `HNW` → 25).
    pub segment_minimums: BTreeMap<String, u32>,
}

impl ManagerGroup {
    /// The load the balance term aims for, if the group has one.
    pub fn target_load(&self) -> Option<u32> {
        self.target.or(self.capacity)
    }

    /// Whether it caps or sets a minimum for some segment.
    pub fn limits_segments(&self) -> bool {
        !self.segment_caps.is_empty() || !self.segment_minimums.is_empty()
    }
}

/// A group's cap and minimum for one segment: the customers of that segment under it must
/// number between the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentLimit {
    /// The group, by position.
    pub(crate) group: usize,
    pub(crate) segment: std::sync::Arc<str>,
    pub(crate) minimum: u32,
    pub(crate) cap: Option<u32>,
}

/// The groups of a book and who is in which: empty when the book has none, and then every
/// run is exactly what it is without groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Organisation {
    groups: Vec<ManagerGroup>,
    /// Each group's parent, by position.
    parents: Vec<Option<u32>>,
    /// Each manager's group, by position (managers past the end have none).
    of_manager: Vec<Option<u32>>,
}

impl Organisation {
    /// The groups, checked (parents known, no cycle, at most [`MAX_GROUP_DEPTH`] deep), with
    /// each manager placed in the group its `group` column names. Managers with no `group`
    /// value belong to none; a `group` naming no group is an error. No groups at all is no
    /// organisation: the `group` column is then an attribute like any other. `source` is what
    /// errors call the groups' input.
    pub fn new(
        groups: Vec<ManagerGroup>,
        managers: &Managers,
        source: &str,
    ) -> Result<Organisation, InputError> {
        if groups.is_empty() {
            return Ok(Organisation::default());
        }
        let index: HashMap<&str, u32> = groups
            .iter()
            .enumerate()
            .map(|(g, group)| (group.id.as_str(), g as u32))
            .collect();
        let unknown = |id: &str, at: Location| InputError::UnknownGroup {
            group: id.to_owned(),
            suggestion: suggest::nearest(id, groups.iter().map(|g| g.id.as_str())),
            at: Box::new(at),
        };
        let at_group = |g: &ManagerGroup| Location::in_source(source).in_record(g.id.as_str());
        let mut parents = Vec::with_capacity(groups.len());
        for group in &groups {
            let parent = match &group.parent {
                None => None,
                Some(parent) => Some(*index.get(parent.as_str()).ok_or_else(|| {
                    unknown(parent.as_str(), at_group(group).in_column("parent"))
                })?),
            };
            parents.push(parent);
        }
        // Walking up from each group must reach a root within the depth allowed (a group at
        // level 16 has 15 groups above it); a cycle never does.
        for (g, group) in groups.iter().enumerate() {
            let mut at = Some(g as u32);
            for _ in 0..MAX_GROUP_DEPTH {
                at = at.and_then(|a| parents[a as usize]);
            }
            if at.is_some() {
                let mut seen = vec![false; groups.len()];
                let mut walk = Some(g as u32);
                while let Some(w) =
                    walk.filter(|&w| !std::mem::replace(&mut seen[w as usize], true))
                {
                    walk = parents[w as usize];
                }
                return Err(match walk {
                    Some(_) => InputError::GroupCycle {
                        at: at_group(group),
                    },
                    None => InputError::GroupsTooDeep {
                        at: at_group(group),
                        limit: MAX_GROUP_DEPTH,
                    },
                });
            }
        }
        for group in &groups {
            check_segment_limits(group).map_err(|message| InputError::InvalidCapacity {
                at: at_group(group).in_column("segment_minimums"),
                message,
            })?;
        }
        let column = managers.schema.position(GROUP);
        if column.is_none() && !managers.records.is_empty() {
            return Err(InputError::MissingColumn {
                source_name: "the managers".to_owned(),
                column: GROUP.to_owned(),
            });
        }
        let of_manager = managers
            .records
            .iter()
            .map(|manager| group_of(manager, column, &groups, &index))
            .collect::<Result<_, _>>()?;
        Ok(Organisation {
            groups,
            parents,
            of_manager,
        })
    }

    /// Whether the book has no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups, in input order.
    pub fn groups(&self) -> &[ManagerGroup] {
        &self.groups
    }

    /// The group at `g`'s parent, by position.
    pub(crate) fn parent(&self, g: usize) -> Option<usize> {
        self.parents[g].map(|p| p as usize)
    }

    /// The manager at `manager`'s group, by position.
    pub(crate) fn group_of(&self, manager: usize) -> Option<usize> {
        self.of_manager
            .get(manager)
            .copied()
            .flatten()
            .map(|g| g as usize)
    }

    /// The groups a manager's customers count towards: its group, that group's parent, and so
    /// on to a root.
    pub(crate) fn chain(&self, manager: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.group_of(manager), |&g| self.parent(g))
    }

    /// Each group's load: the sum of `manager_loads` (by manager, in order) of every manager
    /// under it.
    pub(crate) fn loads(&self, manager_loads: impl IntoIterator<Item = u32>) -> Vec<u32> {
        let mut loads = vec![0u32; self.groups.len()];
        for (j, load) in manager_loads.into_iter().enumerate() {
            self.chain(j)
                .for_each(|g| loads[g] = loads[g].saturating_add(load));
        }
        loads
    }

    /// Every group's caps and minimums per segment, groups in input order and segments in
    /// name order.
    pub(crate) fn segment_limits(&self) -> Vec<SegmentLimit> {
        let mut limits = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            let segments: std::collections::BTreeSet<&String> = group
                .segment_caps
                .keys()
                .chain(group.segment_minimums.keys())
                .collect();
            limits.extend(segments.into_iter().map(|segment| SegmentLimit {
                group: g,
                segment: segment.as_str().into(),
                minimum: group.segment_minimums.get(segment).copied().unwrap_or(0),
                cap: group.segment_caps.get(segment).copied(),
            }));
        }
        limits
    }

    /// Whether some group caps or sets a minimum for a segment.
    pub(crate) fn limits_segments(&self) -> bool {
        self.groups.iter().any(ManagerGroup::limits_segments)
    }

    /// Each group's managers (of the first `managers`, by position), directly or in its
    /// subgroups.
    pub(crate) fn members(&self, managers: usize) -> Vec<Vec<usize>> {
        let mut members = vec![Vec::new(); self.groups.len()];
        for j in 0..managers {
            self.chain(j).for_each(|g| members[g].push(j));
        }
        members
    }

    /// The first of manager `manager`'s groups, from theirs up, at its capacity with group
    /// loads `loads`.
    pub(crate) fn full_group(&self, manager: usize, loads: &[u32]) -> Option<usize> {
        self.chain(manager).find(|&g| {
            let capacity = self.groups[g].capacity;
            capacity.is_some_and(|c| loads[g] >= c)
        })
    }

    /// Places a manager who joins the book (live routing) at `position` in the group its
    /// `group` column (in `schema`) names, as [`Organisation::new`] does.
    pub(crate) fn admit(
        &mut self,
        schema: &Schema,
        manager: &Manager,
        position: usize,
    ) -> Result<(), InputError> {
        if self.is_empty() {
            return Ok(());
        }
        let index = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| (group.id.as_str(), g as u32))
            .collect();
        let group = group_of(manager, schema.position(GROUP), &self.groups, &index)?;
        if self.of_manager.len() <= position {
            self.of_manager.resize(position + 1, None);
        }
        self.of_manager[position] = group;
        Ok(())
    }
}

/// A minimum above the segment's cap or the group's capacity can never be met.
fn check_segment_limits(group: &ManagerGroup) -> Result<(), String> {
    for (segment, &minimum) in &group.segment_minimums {
        if let Some(&cap) = group.segment_caps.get(segment)
            && minimum > cap
        {
            return Err(format!(
                "the minimum for segment `{segment}` is above its cap for the segment"
            ));
        }
        if group.capacity.is_some_and(|capacity| minimum > capacity) {
            return Err(format!(
                "the minimum for segment `{segment}` is above the group's capacity"
            ));
        }
    }
    Ok(())
}

/// The position of the group `manager`'s `group` column names (text, or a whole number read
/// as its digits: an id such as `101` reads as a number); `None` when it names none.
fn group_of(
    manager: &Manager,
    column: Option<usize>,
    groups: &[ManagerGroup],
    index: &HashMap<&str, u32>,
) -> Result<Option<u32>, InputError> {
    let at = || {
        Location::in_source("the managers")
            .in_record(manager.id.as_str())
            .in_column(GROUP)
    };
    let name: std::sync::Arc<str> = match column.and_then(|c| manager.attributes.get(c)) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Str(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::Str(text)) => text.clone(),
        Some(Value::Int(number)) => number.to_string().into(),
        Some(_) => {
            return Err(InputError::InvalidValue {
                at: at(),
                expected: crate::model::ValueType::Str,
            });
        }
    };
    match index.get(&*name) {
        Some(&g) => Ok(Some(g)),
        None => Err(InputError::UnknownGroup {
            suggestion: suggest::nearest(&name, groups.iter().map(|g| g.id.as_str())),
            group: name.to_string(),
            at: Box::new(at()),
        }),
    }
}
