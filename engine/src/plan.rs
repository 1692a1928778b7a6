//! The plan: who serves whom, who could not be placed and why, each manager's load, and the
//! objective with its parts — everything needed to explain and audit an assignment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::RuleError;
use crate::model::{CustomerId, GroupId, ManagerId, Orphan};
use crate::provenance::Provenance;

/// One customer placed with a manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// The customer.
    pub customer: CustomerId,
    /// The manager who will serve them.
    pub manager: ManagerId,
    /// Their manager before this plan, if any (possibly one who has left).
    pub previous_manager: Option<ManagerId>,
    /// Whether the customer had a manager and gets a different one.
    pub moved: bool,
    /// `affinity(c, m)` for this pair (0 without an affinity rule).
    pub affinity: i64,
    /// The move penalty charged: the policy's when a current relationship is broken, else 0.
    pub move_penalty: i64,
    /// Of `affinity`, what the model's score for the pair added (the affinity less what it
    /// would be were the model silent on the pair): 0 for a pair it did not score, `None`
    /// when the book has no scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_score: Option<i64>,
}

/// Why a customer is left without a manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum UnassignedReason {
    /// `eligible(c, m)` is false for every manager.
    NoEligibleManager,
    /// Every eligible manager is full, or full for the customer's segment, and no chain of
    /// moves can make room.
    CapacityExhausted {
        /// Eligible managers at capacity.
        managers: Vec<ManagerId>,
        /// Eligible managers at their cap for the customer's segment, with the segment.
        segments: Vec<(ManagerId, String)>,
        /// Groups at capacity that eligible managers with room are in.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        groups: Vec<GroupId>,
        /// Groups at their cap for the customer's segment that eligible managers are in, with
        /// the segment.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        group_segments: Vec<(GroupId, String)>,
    },
    /// There was room for the customer, directly or through a chain of moves, but using it
    /// would cost more than the unassigned penalty: a smaller penalty than the default, or a
    /// move penalty so high that the chain costs more.
    CostAboveUnassignedPenalty,
    /// A rule failed for this customer (only when rule errors are skipped).
    RuleError {
        /// The error's stable code.
        code: String,
        /// The error's message.
        message: String,
    },
}

impl UnassignedReason {
    /// A stable, snake_case code for the reason.
    pub fn code(&self) -> &'static str {
        match self {
            UnassignedReason::NoEligibleManager => "no_eligible_manager",
            UnassignedReason::CapacityExhausted { .. } => "capacity_exhausted",
            UnassignedReason::CostAboveUnassignedPenalty => "cost_above_unassigned_penalty",
            UnassignedReason::RuleError { .. } => "rule_error",
        }
    }

    pub(crate) fn from_rule_error(error: &RuleError) -> UnassignedReason {
        UnassignedReason::RuleError {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}

/// A customer the plan leaves without a manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unassigned {
    /// The customer.
    pub customer: CustomerId,
    /// Their manager before this plan, if any.
    pub previous_manager: Option<ManagerId>,
    /// Why.
    #[serde(flatten)]
    pub reason: UnassignedReason,
}

/// A manager's book under the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagerLoad {
    /// The manager.
    pub manager: ManagerId,
    /// Customers assigned.
    pub load: u32,
    /// The most customers allowed.
    pub capacity: u32,
    /// The load the balance term aims for.
    pub target: u32,
    /// `load / capacity` (0 for a manager without capacity).
    pub utilisation: f64,
    /// Customers per segment (customers without a segment are not counted here).
    pub segments: BTreeMap<String, u32>,
    /// How much the objective would fall with one more place here (the capacity's dual
    /// price; 0 where the capacity does not bind).
    pub shadow_price: i64,
    /// For each segment cap that binds, how much the objective would fall with one more
    /// place under it.
    pub segment_shadow_prices: BTreeMap<String, i64>,
}

/// The objective the plan minimises, and its parts (see the design's contract).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objective {
    /// The sum of the parts.
    pub total: i64,
    /// Minus the sum of affinities of the placements.
    pub affinity: i64,
    /// Of `affinity`, minus what the model's scores added to it (the sum of the placements'
    /// `model_score`); `None` when the book has no scores. Not a part of its own: `total`
    /// counts it within `affinity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_scores: Option<i64>,
    /// Move penalties charged.
    pub moves: i64,
    /// The balance term: λ · Σ_j Σ_{k ≤ load_j} ⌈1000·k / target_j⌉.
    pub balance: i64,
    /// The unassigned penalty times the customers left unassigned.
    pub unassigned: i64,
}

/// How balanced the book is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BalanceStats {
    /// Customers placed.
    pub assigned: usize,
    /// Customers left unassigned.
    pub unassigned: usize,
    /// Customers who had a manager and get a different one: `paid_moves + rehomed`.
    pub moved: usize,
    /// Customers taken from a manager who is still in the book: each pays the move penalty,
    /// so the objective's `moves` part is this times the penalty.
    pub paid_moves: usize,
    /// Customers whose manager has left, placed with a new one: no penalty.
    pub rehomed: usize,
    /// Lowest utilisation among managers with capacity.
    pub min_utilisation: f64,
    /// Highest utilisation among managers with capacity.
    pub max_utilisation: f64,
    /// Population standard deviation of utilisation among managers with capacity.
    pub utilisation_std_dev: f64,
}

/// The result of an assignment run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Placed customers, in input order.
    pub assignments: Vec<Assignment>,
    /// Customers left unassigned, in input order, each with a reason.
    pub unassigned: Vec<Unassigned>,
    /// Every manager's load, in input order.
    pub loads: Vec<ManagerLoad>,
    /// Every group of managers' load, in the groups' order; empty (and not written) for a
    /// book without groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupLoad>,
    /// Customers whose current manager is not among the managers.
    pub orphans: Vec<Orphan>,
    /// The objective and its parts.
    pub objective: Objective,
    /// Balance statistics.
    pub stats: BalanceStats,
    /// The size of the problem the solver saw.
    pub network: NetworkStats,
    /// Where the plan comes from: engine, rulebook, date, policy and input digests.
    pub provenance: Provenance,
}

/// A group of managers in a plan: its load and room, who moved in and out, how evenly its
/// managers are loaded, and its load per segment beside its limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupLoad {
    /// The group.
    pub group: GroupId,
    /// The group it is within, if any.
    pub parent: Option<GroupId>,
    /// Managers under it, directly or in its subgroups.
    pub managers: usize,
    /// Customers of every manager under it.
    pub load: u32,
    /// Its own capacity, if it has one.
    pub capacity: Option<u32>,
    /// The load its balance term aims for, if it has one.
    pub target: Option<u32>,
    /// Load over capacity: its own, or its managers' together when lower or uncapped.
    pub utilisation: f64,
    /// Customers placed under it whose manager before was not.
    pub moved_in: usize,
    /// Customers whose manager before was under it, now placed elsewhere or left out.
    pub moved_out: usize,
    /// Lowest utilisation among its managers with capacity.
    pub min_utilisation: f64,
    /// Highest utilisation among its managers with capacity.
    pub max_utilisation: f64,
    /// Population standard deviation of its managers' utilisation.
    pub utilisation_std_dev: f64,
    /// Customers per segment under it (customers without a segment are not counted here).
    pub segments: BTreeMap<String, u32>,
    /// Its cap per segment, as the groups file gives it: beside `segments`, its room left.
    pub segment_caps: BTreeMap<String, u32>,
    /// Its minimum per segment, as the groups file gives it.
    pub segment_minimums: BTreeMap<String, u32>,
}

/// How large the assignment's network was: what aggregation made of the customers. Useful to
/// see why a book is slow (pair classes near one per customer aggregate nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NetworkStats {
    /// Distinct customers as the pair rules see them: the pair rules ran once per class.
    pub pair_classes: usize,
    /// Supply nodes: groups of interchangeable customers, split by current manager (customers
    /// kept at their current manager's entry node count in none).
    pub supply_nodes: usize,
    /// Nodes of the network.
    pub nodes: usize,
    /// Arcs of the network: every eligible pair's, whether the solve held it or not.
    pub arcs: usize,
    /// Arcs the solve started from: each group's most affine manager arcs and the rest of
    /// the network (see [`AssignOptions::arcs_per_group`](crate::AssignOptions)).
    pub arcs_held: usize,
    /// Manager arcs left out at the start and priced in because the optimum needed them.
    pub arcs_priced_in: usize,
    /// Rounds of pricing: each solved, then brought in the arcs that would pay (the most any
    /// independent part of the network took).
    pub pricing_rounds: u32,
    /// Simplex pivots the solve took (the same on any thread count).
    pub pivots: u64,
    /// Independent parts the network was solved in, in parallel (regions whose customers
    /// share no eligible manager); 1 when it was solved whole, which is slower: on one
    /// thread, and each pivot dearer.
    pub parts: usize,
    /// Whether the parts are joined by groups over regions (business lines, national desks):
    /// solved apart with each such group's next step priced flat and each region held to a
    /// share of its capacity, then the whole network from their optimum.
    pub joined_by_links: bool,
    /// Solves after the first that the groups' caps and minimums per segment took (0 when
    /// the first optimum met them, or there are none).
    pub limit_solves: u32,
    /// How far the plan may be above the optimum: 0 when it is proven optimal, as it always
    /// is without caps and minimums per (group, segment); with them, the rare search that
    /// ends unproven says by how much at most.
    pub optimality_gap: i64,
}

impl BalanceStats {
    pub(crate) fn of(
        loads: &[ManagerLoad],
        assigned: usize,
        unassigned: usize,
        (paid_moves, rehomed): (usize, usize),
    ) -> BalanceStats {
        let utilisations: Vec<f64> = loads
            .iter()
            .filter(|l| l.capacity > 0)
            .map(|l| l.utilisation)
            .collect();
        let spread = crate::summary::fairness(&utilisations);
        BalanceStats {
            assigned,
            unassigned,
            moved: paid_moves + rehomed,
            paid_moves,
            rehomed,
            min_utilisation: spread.min,
            max_utilisation: spread.max,
            utilisation_std_dev: spread.std_dev,
        }
    }
}

/// A plan as a file holds it, read back to be checked against its inputs
/// ([`verify`](crate::verify)). A JSON plan holds everything below; a CSV or JSON Lines plan
/// holds its rows, and its provenance when the file beside it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenPlan {
    /// The placed customers, as written.
    pub assignments: Vec<Assignment>,
    /// The customers left without a manager, as written.
    pub unassigned: Vec<WrittenUnassigned>,
    /// The objective, when the plan states it.
    pub objective: Option<Objective>,
    /// Every manager's load with its shadow prices, when the plan states them.
    pub loads: Option<Vec<ManagerLoad>>,
    /// Where the plan says it comes from, when it says.
    pub provenance: Option<Provenance>,
}

/// A customer a written plan leaves without a manager: the reason is only its code, which is
/// all a plan file keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenUnassigned {
    /// The customer.
    pub customer: CustomerId,
    /// Their manager before the plan, as written.
    pub previous_manager: Option<ManagerId>,
    /// The reason's code ([`UnassignedReason::code`]).
    pub reason: String,
}

impl From<&Plan> for WrittenPlan {
    fn from(plan: &Plan) -> WrittenPlan {
        WrittenPlan {
            assignments: plan.assignments.clone(),
            unassigned: plan
                .unassigned
                .iter()
                .map(|u| WrittenUnassigned {
                    customer: u.customer.clone(),
                    previous_manager: u.previous_manager.clone(),
                    reason: u.reason.code().to_owned(),
                })
                .collect(),
            objective: Some(plan.objective),
            loads: Some(plan.loads.clone()),
            provenance: Some(plan.provenance.clone()),
        }
    }
}
