//! The example books' organisation: business lines, a desk per line and region, and teams of
//! up to ten managers per line and branch (the lender, with no branches, has teams per desk).
//! Each manager's team is their `group`; `groups.csv` lists the groups. Derived from the
//! managers alone (no randomness), so it never changes the rest of the book.

use std::collections::BTreeMap;

/// Managers per team at most: a line's managers at one branch split into teams of this size.
pub const TEAM_SIZE: usize = 10;

/// Share of its managers' capacity a regional desk may fill: the desks' caps bind a little.
const DESK_SHARE: f64 = 0.95;

/// The line whose teams must each serve a minimum of high-net-worth customers.
const PRIVATE_LINE: &str = "PRIVATE";

/// One row of `groups.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// `RETAIL`, `RETAIL-north`, `RETAIL-BR-N01-1`, …
    pub id: String,
    /// The group it is within; `None` for a business line.
    pub parent: Option<String>,
    /// The most customers everyone under it may serve.
    pub capacity: Option<u32>,
    /// The load its balance term aims for.
    pub target: Option<u32>,
    /// The least number of high-net-worth customers under it (a private-banking team's).
    pub hnw_minimum: Option<u32>,
}

/// The columns of `groups.csv`, in order.
pub const GROUP_COLUMNS: [&str; 5] = ["id", "parent", "capacity", "target", "segment_minimums"];

impl GroupRow {
    /// The row's CSV cells, in [`GROUP_COLUMNS`] order.
    pub fn record(&self) -> [String; 5] {
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        [
            self.id.clone(),
            self.parent.clone().unwrap_or_default(),
            number(self.capacity),
            number(self.target),
            self.hnw_minimum
                .map(|n| format!("HNW={n}"))
                .unwrap_or_default(),
        ]
    }
}

/// What the organisation needs to know of a manager.
pub(crate) struct Seat<'a> {
    /// The business line, from the manager's certifications.
    pub line: &'static str,
    /// Where the line's desk is.
    pub region: &'a str,
    /// Where the manager's team sits, within the region.
    pub branch: &'a str,
    pub capacity: u32,
    /// The target, or the capacity when the manager has none.
    pub target_load: u32,
}

/// Puts each of `managers` in its team (the field `team` gives), seated as `seat` says, and
/// returns the groups (see [`organise`]).
pub(crate) fn organise_managers<M>(
    managers: &mut [M],
    seat: impl Fn(&M) -> Seat<'_>,
    team: impl Fn(&mut M) -> &mut String,
) -> Vec<GroupRow> {
    let seats: Vec<Seat<'_>> = managers.iter().map(seat).collect();
    let (groups, teams) = organise(&seats);
    for (manager, id) in managers.iter_mut().zip(teams) {
        *team(manager) = id;
    }
    groups
}

/// The groups of managers seated at `seats`, and each seat's team: lines with a target of
/// their managers' targets (so the balance term spreads load across lines as across
/// managers), desks capped at 95% of their managers' capacity, teams with their managers'
/// targets. Groups come lines first, then desks, then teams, each in id order.
pub(crate) fn organise(seats: &[Seat<'_>]) -> (Vec<GroupRow>, Vec<String>) {
    // (line, region) and (line, branch) → their seats, in order.
    let mut desks: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    let mut branches: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    let mut lines: BTreeMap<&str, u32> = BTreeMap::new();
    for (j, seat) in seats.iter().enumerate() {
        desks.entry((seat.line, seat.region)).or_default().push(j);
        branches
            .entry((seat.line, seat.branch))
            .or_default()
            .push(j);
        *lines.entry(seat.line).or_default() += seat.target_load;
    }
    let mut groups: Vec<GroupRow> = lines
        .iter()
        .map(|(line, &target)| GroupRow {
            id: (*line).to_owned(),
            parent: None,
            capacity: None,
            target: Some(target.max(1)),
            hnw_minimum: None,
        })
        .collect();
    for ((line, region), members) in &desks {
        let capacity: u32 = members.iter().map(|&j| seats[j].capacity).sum();
        groups.push(GroupRow {
            id: format!("{line}-{region}"),
            parent: Some((*line).to_owned()),
            capacity: Some((DESK_SHARE * f64::from(capacity)).round() as u32),
            target: None,
            hnw_minimum: None,
        });
    }
    let mut teams = vec![String::new(); seats.len()];
    for ((line, branch), members) in &branches {
        let region = seats[members[0]].region;
        for (k, team) in members.chunks(TEAM_SIZE).enumerate() {
            let id = format!("{line}-{branch}-{}", k + 1);
            let target: u32 = team.iter().map(|&j| seats[j].target_load).sum();
            for &j in team {
                teams[j].clone_from(&id);
            }
            groups.push(GroupRow {
                id,
                parent: Some(format!("{line}-{region}")),
                capacity: None,
                target: Some(target.max(1)),
                hnw_minimum: None,
            });
        }
    }
    (groups, teams)
}

/// Gives each private-banking team of `groups` a minimum of high-net-worth customers: three
/// quarters of its share (by target, among its region's private-banking teams) of the region's
/// `hnw` customers. Without one, equally good plans leave some teams few (13 of a team's
/// 380 customers in the bank of 100k, where its share is 35): what a customer costs does
/// not ask whether the team has its share.
pub(crate) fn require_hnw(groups: &mut [GroupRow], hnw: &BTreeMap<&str, u32>) {
    fn region_of(group: &GroupRow) -> Option<&str> {
        let desk = group.parent.as_deref()?;
        desk.strip_prefix(PRIVATE_LINE)?.strip_prefix('-')
    }
    let mut targets: BTreeMap<String, u64> = BTreeMap::new();
    for group in groups.iter() {
        if let Some(region) = region_of(group) {
            *targets.entry(region.to_owned()).or_default() += u64::from(group.target.unwrap_or(0));
        }
    }
    for group in groups.iter_mut() {
        let Some(region) = region_of(group).map(str::to_owned) else {
            continue;
        };
        let customers = u64::from(hnw.get(region.as_str()).copied().unwrap_or(0));
        let share = customers * u64::from(group.target.unwrap_or(0));
        let minimum = 3 * share / (4 * targets[&region].max(1));
        group.hnw_minimum = (minimum > 0).then(|| u32::try_from(minimum).unwrap_or(u32::MAX));
    }
}

/// The same organisation run nationally: one desk per line over every region instead of one
/// per region, capped at the regional desks' caps together (uncapped if one of them is), and
/// the teams under it. Its desks are groups with a cap that span the regions, the shape that
/// makes a solver hold the regions together (see `linked.rs` in the engine).
pub fn national_desks(groups: &[GroupRow]) -> Vec<GroupRow> {
    let is_line = |id: &str| groups.iter().any(|g| g.id == id && g.parent.is_none());
    // Each regional desk's line, and each line's national cap.
    let mut line_of: BTreeMap<&str, &str> = BTreeMap::new();
    let mut caps: BTreeMap<&str, Option<u32>> = BTreeMap::new();
    for group in groups {
        if let Some(line) = group.parent.as_deref().filter(|&line| is_line(line)) {
            line_of.insert(&group.id, line);
            let cap = caps.entry(line).or_insert(Some(0));
            *cap = cap.zip(group.capacity).map(|(a, b)| a.saturating_add(b));
        }
    }
    let national = |line: &str| format!("{line}-national");
    let lines = groups.iter().filter(|g| g.parent.is_none()).cloned();
    let desks = caps.iter().map(|(&line, &capacity)| GroupRow {
        id: national(line),
        parent: Some(line.to_owned()),
        capacity,
        target: None,
        hnw_minimum: None,
    });
    let teams = groups.iter().filter_map(|group| {
        let line = line_of.get(group.parent.as_deref()?)?;
        Some(GroupRow {
            parent: Some(national(line)),
            ..group.clone()
        })
    });
    lines.chain(desks).chain(teams).collect()
}
