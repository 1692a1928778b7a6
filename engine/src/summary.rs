//! A plan summed up for the people who run the book: each manager's load and utilisation
//! with who they are (name, region, branch when the managers have them), the utilisation's
//! spread, balance per region, moves, the unassigned by reason, fairness (spread, standard
//! deviation and Gini coefficient of utilisation) and shadow prices. What `apportion report`
//! draws.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::{Managers, Value};
use crate::org::Organisation;
use crate::plan::{Objective, WrittenPlan};
use crate::provenance::Provenance;

/// Bins of the utilisation histogram: tenths of capacity, the last closed (a full manager is
/// in 90–100%).
pub const UTILISATION_BINS: usize = 10;

/// A plan summed up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSummary {
    /// Every manager, in the managers' order.
    pub managers: Vec<ManagerSummary>,
    /// Managers with capacity per tenth of utilisation (`UTILISATION_BINS` bins).
    pub histogram: Vec<usize>,
    /// Per region, when the managers have a `region` attribute, in name order.
    pub regions: Vec<RegionSummary>,
    /// Customers placed.
    pub assigned: usize,
    /// Customers left out.
    pub unassigned: usize,
    /// Customers who change manager.
    pub moved: usize,
    /// Those of them taken from a manager still in the book (who pay the move penalty).
    pub paid_moves: usize,
    /// The customers left out, by reason code, in code order.
    pub unassigned_by_reason: Vec<(String, usize)>,
    /// How evenly utilisation is spread over managers with capacity.
    pub fairness: Fairness,
    /// The objective, when the plan states it.
    pub objective: Option<Objective>,
    /// The plan's provenance, when it has one.
    pub provenance: Option<Provenance>,
    /// Per group of managers, when groups are given ([`PlanSummary::in_groups`]), in the
    /// groups' order.
    pub groups: Vec<GroupSummary>,
}

/// One group of managers' balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    /// The group.
    pub group: String,
    /// How deep it sits: 0 for a group within none.
    pub depth: usize,
    /// Managers under it, directly or in its subgroups.
    pub managers: usize,
    /// Their customers.
    pub load: u64,
    /// Its capacity: its own, or its managers' together when lower or uncapped.
    pub capacity: u64,
    /// The load its balance term aims for, if it has one.
    pub target: Option<u32>,
    /// `load / capacity`.
    pub utilisation: f64,
    /// The lowest utilisation of its managers with capacity.
    pub min_utilisation: f64,
    /// The highest.
    pub max_utilisation: f64,
}

/// One manager's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagerSummary {
    /// The manager's id.
    pub manager: String,
    /// `name`, `region` and `branch` when the managers have them.
    pub name: Option<String>,
    /// See `name`.
    pub region: Option<String>,
    /// See `name`.
    pub branch: Option<String>,
    /// Customers the plan gives them.
    pub load: u32,
    /// Their capacity.
    pub capacity: u32,
    /// `load / capacity` (0 without capacity).
    pub utilisation: f64,
    /// What one more place would save, when the plan states it.
    pub shadow_price: Option<i64>,
    /// Segment caps that bind, with what one more place under them would save.
    pub segment_shadow_prices: BTreeMap<String, i64>,
}

/// One region's balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionSummary {
    /// The region.
    pub region: String,
    /// Its managers.
    pub managers: usize,
    /// Their customers.
    pub load: u64,
    /// Their capacity.
    pub capacity: u64,
    /// `load / capacity`.
    pub utilisation: f64,
    /// The lowest and highest utilisation of its managers with capacity.
    pub min_utilisation: f64,
    /// See `min_utilisation`.
    pub max_utilisation: f64,
}

/// The spread of utilisation over managers with capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Fairness {
    /// The lowest utilisation.
    pub min: f64,
    /// The highest.
    pub max: f64,
    /// `max - min`.
    pub spread: f64,
    /// Population standard deviation.
    pub std_dev: f64,
    /// Gini coefficient: 0 when every manager is as full as every other.
    pub gini: f64,
}

impl PlanSummary {
    /// Sums up `plan` over `managers` (the book's): loads are counted from the plan's rows,
    /// and shadow prices taken from the loads it states, when it does.
    pub fn of(plan: &WrittenPlan, managers: &Managers) -> PlanSummary {
        let attribute = |name: &str| managers.schema.position(name);
        let (name, region, branch) = (attribute("name"), attribute("region"), attribute("branch"));
        let text = |m: &crate::model::Manager, at: Option<usize>| match m.attributes.get(at?)? {
            Value::Null => None,
            value => Some(value.to_cell()),
        };
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for assignment in &plan.assignments {
            *counts.entry(assignment.manager.as_str()).or_default() += 1;
        }
        let stated: HashMap<&str, &crate::plan::ManagerLoad> = (plan.loads.iter().flatten())
            .map(|l| (l.manager.as_str(), l))
            .collect();
        let rows: Vec<ManagerSummary> = (managers.records.iter())
            .map(|m| {
                let id = m.id.as_str();
                let load = counts.get(id).copied().unwrap_or(0);
                let stated = stated.get(id);
                ManagerSummary {
                    manager: id.to_owned(),
                    name: text(m, name),
                    region: text(m, region),
                    branch: text(m, branch),
                    load,
                    capacity: m.capacity,
                    utilisation: ratio(u64::from(load), u64::from(m.capacity)),
                    shadow_price: stated.map(|l| l.shadow_price),
                    segment_shadow_prices: stated
                        .map(|l| l.segment_shadow_prices.clone())
                        .unwrap_or_default(),
                }
            })
            .collect();
        let utilisations: Vec<f64> = (rows.iter())
            .filter(|r| r.capacity > 0)
            .map(|r| r.utilisation)
            .collect();
        let mut histogram = vec![0; UTILISATION_BINS];
        for u in &utilisations {
            let bin = (u * UTILISATION_BINS as f64) as usize;
            histogram[bin.min(UTILISATION_BINS - 1)] += 1;
        }
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for u in &plan.unassigned {
            *reasons.entry(u.reason.as_str()).or_default() += 1;
        }
        let moved = plan.assignments.iter().filter(|a| a.moved).count();
        let paid_moves = plan
            .assignments
            .iter()
            .filter(|a| a.move_penalty > 0)
            .count();
        PlanSummary {
            histogram,
            regions: regions(&rows),
            assigned: plan.assignments.len(),
            unassigned: plan.unassigned.len(),
            moved,
            paid_moves,
            unassigned_by_reason: reasons
                .into_iter()
                .map(|(r, n)| (r.to_owned(), n))
                .collect(),
            fairness: fairness(&utilisations),
            objective: plan.objective,
            provenance: plan.provenance.clone(),
            managers: rows,
            groups: Vec::new(),
        }
    }

    /// This summary with a line per group of `organisation`, placed over the same managers
    /// the summary was made of.
    pub fn in_groups(mut self, organisation: &Organisation) -> PlanSummary {
        let groups = organisation.groups();
        let members: Vec<Vec<&ManagerSummary>> = organisation
            .members(self.managers.len())
            .into_iter()
            .map(|under| under.into_iter().map(|j| &self.managers[j]).collect())
            .collect();
        let summaries = groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let depth =
                    std::iter::successors(organisation.parent(g), |&p| organisation.parent(p))
                        .count();
                let load = members[g].iter().map(|m| u64::from(m.load)).sum();
                let room: u64 = members[g].iter().map(|m| u64::from(m.capacity)).sum();
                let capacity = group.capacity.map_or(room, |c| u64::from(c).min(room));
                let utilisations: Vec<f64> = members[g]
                    .iter()
                    .filter(|m| m.capacity > 0)
                    .map(|m| m.utilisation)
                    .collect();
                let spread = fairness(&utilisations);
                GroupSummary {
                    group: group.id.to_string(),
                    depth,
                    managers: members[g].len(),
                    load,
                    capacity,
                    target: group.target_load(),
                    utilisation: ratio(load, capacity),
                    min_utilisation: spread.min,
                    max_utilisation: spread.max,
                }
            })
            .collect();
        self.groups = summaries;
        self
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Balance per region, for managers that have one.
fn regions(rows: &[ManagerSummary]) -> Vec<RegionSummary> {
    let mut by_region: BTreeMap<&str, Vec<&ManagerSummary>> = BTreeMap::new();
    for row in rows {
        if let Some(region) = &row.region {
            by_region.entry(region).or_default().push(row);
        }
    }
    by_region
        .into_iter()
        .map(|(region, managers)| {
            let load = managers.iter().map(|m| u64::from(m.load)).sum();
            let capacity = managers.iter().map(|m| u64::from(m.capacity)).sum();
            let staffed = managers
                .iter()
                .filter(|m| m.capacity > 0)
                .map(|m| m.utilisation);
            let (min, max) = staffed.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), u| {
                (lo.min(u), hi.max(u))
            });
            RegionSummary {
                region: region.to_owned(),
                managers: managers.len(),
                load,
                capacity,
                utilisation: ratio(load, capacity),
                min_utilisation: if min.is_finite() { min } else { 0.0 },
                max_utilisation: if max.is_finite() { max } else { 0.0 },
            }
        })
        .collect()
}

/// Spread, standard deviation and Gini coefficient of `utilisations` (all 0 for none): what a
/// plan's balance statistics report too.
pub(crate) fn fairness(utilisations: &[f64]) -> Fairness {
    if utilisations.is_empty() {
        return Fairness::default();
    }
    let n = utilisations.len() as f64;
    let mut sorted = utilisations.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let sum: f64 = sorted.iter().sum();
    let mean = sum / n;
    let variance = sorted.iter().map(|u| (u - mean) * (u - mean)).sum::<f64>() / n;
    // G = Σ (2i − n − 1)·u_(i) / (n·Σu), over the values in ascending order (i from 1).
    let weighted: f64 = (sorted.iter().enumerate())
        .map(|(i, u)| (2.0 * (i as f64 + 1.0) - n - 1.0) * u)
        .sum();
    let gini = if sum > 0.0 { weighted / (n * sum) } else { 0.0 };
    Fairness {
        min,
        max,
        spread: max - min,
        std_dev: variance.sqrt(),
        gini,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gini by its definition: the mean absolute difference over twice the mean.
    fn gini_by_pairs(values: &[f64]) -> f64 {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let pairs: f64 = values
            .iter()
            .flat_map(|a| values.iter().map(move |b| (a - b).abs()))
            .sum();
        if mean == 0.0 {
            0.0
        } else {
            pairs / (2.0 * n * n * mean)
        }
    }

    #[test]
    fn the_gini_coefficient_is_that_of_its_definition() {
        for values in [
            vec![0.5, 0.5, 0.5],
            vec![0.0, 1.0],
            vec![0.2, 0.9, 0.4, 1.0, 0.0],
            vec![0.0, 0.0],
        ] {
            let found = fairness(&values);
            assert!(
                (found.gini - gini_by_pairs(&values)).abs() < 1e-12,
                "{values:?}"
            );
        }
        assert_eq!(fairness(&[0.5, 0.5]).gini, 0.0);
        assert_eq!(fairness(&[0.25, 1.0]).spread, 0.75);
    }
}
