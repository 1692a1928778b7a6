//! The example bank's organisation: three business lines (retail, private banking, SME), a
//! desk per line and region, and teams of up to ten managers per line and branch. Each
//! manager's team is their `group`; `groups.csv` lists the groups. Derived from the managers
//! alone (no randomness), so it never changes the rest of the bank.

use crate::bank::{Certification, ManagerRow};

/// Managers per team at most: a line's managers at one branch split into teams of this size.
pub const TEAM_SIZE: usize = 10;

/// Share of its managers' capacity a regional desk may fill: the desks' caps bind a little.
const DESK_SHARE: f64 = 0.95;

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
}

/// The columns of `groups.csv`, in order.
pub const GROUP_COLUMNS: [&str; 4] = ["id", "parent", "capacity", "target"];

impl GroupRow {
    /// The row's CSV cells, in [`GROUP_COLUMNS`] order.
    pub fn record(&self) -> [String; 4] {
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        [
            self.id.clone(),
            self.parent.clone().unwrap_or_default(),
            number(self.capacity),
            number(self.target),
        ]
    }
}

/// The business line a manager works in: private banking if certified for it, else SME
/// credit if certified for that, else retail.
fn line(manager: &ManagerRow) -> &'static str {
    let has = |c| manager.certifications.contains(&c);
    if has(Certification::PrivateBanking) {
        "PRIVATE"
    } else if has(Certification::SmeCredit) {
        "SME"
    } else {
        "RETAIL"
    }
}

/// Puts every manager in a team (their `group`) and returns the groups: lines with a target
/// of their managers' targets (so the balance term spreads load across lines as across
/// managers), desks capped at 95% of their managers' capacity, teams with their managers'
/// targets. Groups come lines first, then desks, then teams, each in id order.
pub fn organise(managers: &mut [ManagerRow]) -> Vec<GroupRow> {
    use std::collections::BTreeMap;
    let target_load = |m: &ManagerRow| m.target.unwrap_or(m.capacity);
    // (line, region) and (line, branch) → their managers, in id order.
    let mut desks: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    let mut branches: BTreeMap<(&str, String), Vec<usize>> = BTreeMap::new();
    for (j, manager) in managers.iter().enumerate() {
        desks
            .entry((line(manager), manager.region))
            .or_default()
            .push(j);
        branches
            .entry((line(manager), manager.branch.clone()))
            .or_default()
            .push(j);
    }
    let mut lines: BTreeMap<&str, u32> = BTreeMap::new();
    for manager in managers.iter() {
        *lines.entry(line(manager)).or_default() += target_load(manager);
    }
    let mut groups: Vec<GroupRow> = lines
        .iter()
        .map(|(line, &target)| GroupRow {
            id: (*line).to_owned(),
            parent: None,
            capacity: None,
            target: Some(target.max(1)),
        })
        .collect();
    for ((line, region), members) in &desks {
        let capacity: u32 = members.iter().map(|&j| managers[j].capacity).sum();
        groups.push(GroupRow {
            id: format!("{line}-{region}"),
            parent: Some((*line).to_owned()),
            capacity: Some((DESK_SHARE * f64::from(capacity)).round() as u32),
            target: None,
        });
    }
    for ((line, branch), members) in &branches {
        let region = managers[members[0]].region;
        for (k, team) in members.chunks(TEAM_SIZE).enumerate() {
            let id = format!("{line}-{branch}-{}", k + 1);
            let target: u32 = team.iter().map(|&j| target_load(&managers[j])).sum();
            for &j in team {
                managers[j].group = id.clone();
            }
            groups.push(GroupRow {
                id,
                parent: Some(format!("{line}-{region}")),
                capacity: None,
                target: Some(target.max(1)),
            });
        }
    }
    groups
}
