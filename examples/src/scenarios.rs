//! The six moments of a bank's book, run on the example bank with its rulebook: a first
//! allocation, a rebalance, a manager leaving, a manager joining, a customer becoming HNW,
//! and a business line brought within a new cap.
//!
//! Each scenario changes the generated bank the way the moment would, assigns, and checks the
//! outcome a branch head expects; it returns a one-line summary, or what went wrong.
//! `cargo run -p apportion-examples --bin scenarios` runs them all.

use std::collections::{BTreeSet, HashMap};

use apportion::{AssignOptions, Plan, Policy, Rulebook, assign};

use crate::{
    Certification, CustomerKind, GeneratedBank, ManagerRow, load_book, load_organised_book,
};

/// The example bank's rulebook.
pub const BANK_RULES: &str = include_str!("../rules/bank.rhai");

/// A scenario: its name and the function that runs and checks it.
pub type Scenario = (&'static str, fn(&GeneratedBank) -> Result<String, String>);

/// Every scenario, in the order a bank meets them.
pub const SCENARIOS: [Scenario; 6] = [
    ("first allocation", first_allocation),
    ("rebalance", rebalance),
    ("a manager leaves", manager_leaves),
    ("a manager joins", manager_joins),
    ("a customer becomes HNW", customer_becomes_hnw),
    ("a business line over its new cap", line_over_its_cap),
];

/// Assigns `bank` with the bank rulebook and the default policy.
pub fn run(bank: &GeneratedBank) -> Result<Plan, String> {
    run_with_move_penalty(bank, Policy::default().move_penalty)
}

/// Assigns `bank` with the bank rulebook and the default policy but for the move penalty.
pub fn run_with_move_penalty(bank: &GeneratedBank, move_penalty: i64) -> Result<Plan, String> {
    let book = load_book(bank).map_err(|e| e.to_string())?;
    solve(&book, bank, move_penalty)
}

/// Assigns `bank` with its groups of managers and the default policy.
pub fn run_in_groups(bank: &GeneratedBank) -> Result<Plan, String> {
    let book = load_organised_book(bank).map_err(|e| e.to_string())?;
    solve(&book, bank, Policy::default().move_penalty)
}

fn solve(book: &apportion::Book, bank: &GeneratedBank, move_penalty: i64) -> Result<Plan, String> {
    let rules = Rulebook::compile(BANK_RULES).map_err(|e| e.to_string())?;
    let options = AssignOptions {
        policy: Policy {
            move_penalty,
            ..Policy::default()
        },
        ..AssignOptions::new(bank.config.as_of)
    };
    assign(book, &rules, &options).map_err(|e| e.to_string())
}

fn check(holds: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(what()) }
}

/// The bank after `plan` is carried out: every placed customer's manager is the planned one.
pub fn carry_out(bank: &GeneratedBank, plan: &Plan) -> GeneratedBank {
    let planned = managers_of(plan);
    let mut after = bank.clone();
    for customer in &mut after.customers {
        customer.manager = planned.get(customer.id.as_str()).map(|m| (*m).to_owned());
    }
    after
}

/// Customers whose manager in `plan` is not the one they have in `bank`, by id.
fn changed<'a>(bank: &GeneratedBank, plan: &'a Plan) -> Vec<(&'a str, &'a str)> {
    let current: HashMap<&str, &str> = bank
        .customers
        .iter()
        .filter_map(|c| Some((c.id.as_str(), c.manager.as_deref()?)))
        .collect();
    plan.assignments
        .iter()
        .filter(|a| current.get(a.customer.as_str()) != Some(&a.manager.as_str()))
        .map(|a| (a.customer.as_str(), a.manager.as_str()))
        .collect()
}

/// Customer id → manager id in `plan`.
fn managers_of(plan: &Plan) -> HashMap<&str, &str> {
    plan.assignments
        .iter()
        .map(|a| (a.customer.as_str(), a.manager.as_str()))
        .collect()
}

/// Nobody has a manager yet: everyone is placed and loads are even.
pub fn first_allocation(bank: &GeneratedBank) -> Result<String, String> {
    let mut bank = bank.clone();
    for customer in &mut bank.customers {
        customer.manager = None;
    }
    let plan = run(&bank)?;
    let stats = plan.stats;
    check(plan.unassigned.is_empty(), || {
        format!("{} customers left unassigned", plan.unassigned.len())
    })?;
    check(stats.moved == 0, || {
        format!("{} moves on a first allocation", stats.moved)
    })?;
    // The balance term equalises load / target among the managers who can serve the same
    // customers; regions do not share customers, so compare within each region.
    let region_of: HashMap<&str, &str> = bank
        .managers
        .iter()
        .map(|m| (m.id.as_str(), m.region))
        .collect();
    let mut spread: HashMap<&str, (f64, f64)> = HashMap::new();
    for load in &plan.loads {
        let share = f64::from(load.load) / f64::from(load.target.max(1));
        let region = region_of.get(load.manager.as_str()).copied().unwrap_or("?");
        let (low, high) = spread.entry(region).or_insert((f64::MAX, 0.0));
        (*low, *high) = (low.min(share), high.max(share));
    }
    let widest = spread
        .values()
        .map(|(low, high)| high - low)
        .fold(0.0, f64::max);
    check(widest <= 0.1, || {
        format!("load / target differs by {widest:.2} within a region: not even")
    })?;
    Ok(format!(
        "{} customers placed; within every region load / target differs by at most {:.0}%",
        stats.assigned,
        100.0 * widest
    ))
}

/// The book as it is: relationships stay unless they must end (the manager left, or is no
/// longer eligible for the customer); few others are worth the move penalty.
pub fn rebalance(bank: &GeneratedBank) -> Result<String, String> {
    let plan = run(bank)?;
    let forced = run_with_move_penalty(bank, 1_000_000_000)?;
    let present: BTreeSet<&str> = bank.managers.iter().map(|m| m.id.as_str()).collect();
    let relationships = bank
        .customers
        .iter()
        .filter(|c| c.manager.as_deref().is_some_and(|m| present.contains(m)))
        .count();
    let broken = |plan: &Plan| {
        plan.assignments
            .iter()
            .filter(|a| a.move_penalty > 0)
            .count()
    };
    let (broken, unavoidable) = (broken(&plan), broken(&forced));
    check(plan.unassigned.is_empty(), || {
        format!("{} customers left unassigned", plan.unassigned.len())
    })?;
    check((broken - unavoidable) * 10 <= relationships, || {
        format!(
            "{broken} of {relationships} relationships broken, {unavoidable} of them unavoidably"
        )
    })?;
    Ok(format!(
        "{} of {relationships} relationships end: {unavoidable} must (manager no longer \
         eligible), {} for balance; {} customers of departed managers placed",
        broken,
        broken - unavoidable,
        plan.orphans.len()
    ))
}

/// The manager with the largest book leaves a settled bank (the rebalance carried out): only
/// their customers move, spread across several peers.
pub fn manager_leaves(bank: &GeneratedBank) -> Result<String, String> {
    let before = run(bank)?;
    // The largest book of an uncertified manager (so any peer in the region may serve it)
    // whose region's other managers have room for it.
    let region_of: HashMap<&str, &str> = bank
        .managers
        .iter()
        .map(|m| (m.id.as_str(), m.region))
        .collect();
    let mut room: HashMap<&str, u32> = HashMap::new();
    for l in &before.loads {
        let region = region_of
            .get(l.manager.as_str())
            .copied()
            .unwrap_or_default();
        *room.entry(region).or_default() += l.capacity - l.load;
    }
    let uncertified: BTreeSet<&str> = bank
        .managers
        .iter()
        .filter(|m| m.certifications.is_empty())
        .map(|m| m.id.as_str())
        .collect();
    let leaver = before
        .loads
        .iter()
        .filter(|l| uncertified.contains(l.manager.as_str()))
        .filter(|l| {
            let region = region_of
                .get(l.manager.as_str())
                .copied()
                .unwrap_or_default();
            room[region] - (l.capacity - l.load) >= l.load
        })
        .max_by_key(|l| l.load)
        .map(|l| l.manager.to_string())
        .ok_or("no manager's peers have room for their book")?;
    let mut settled = carry_out(bank, &before);
    settled.managers.retain(|m| m.id != leaver);
    let after = run(&settled)?;
    let book: BTreeSet<&str> = settled
        .customers
        .iter()
        .filter(|c| c.manager.as_deref() == Some(leaver.as_str()))
        .map(|c| c.id.as_str())
        .collect();
    let moves = changed(&settled, &after);
    let others: Vec<&str> = moves
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !book.contains(c))
        .collect();
    let peers: BTreeSet<&str> = moves.iter().map(|(_, m)| *m).collect();
    check(after.unassigned.is_empty(), || {
        format!("{} customers left unassigned", after.unassigned.len())
    })?;
    check(others.is_empty(), || {
        format!(
            "{} customers who were not {leaver}'s moved, e.g. {}",
            others.len(),
            others[0]
        )
    })?;
    check(peers.len() >= 2, || {
        format!("{leaver}'s book went to {} peer(s) only", peers.len())
    })?;
    Ok(format!(
        "{leaver} leaves: their {} customers spread over {} peers; nobody else moves",
        book.len(),
        peers.len()
    ))
}

/// A manager joins the busiest region of a bank settled with a low move penalty (100: a move
/// is worth a tenth of a manager's target): the newcomer receives most of an even share, and
/// every move is towards them.
pub fn manager_joins(bank: &GeneratedBank) -> Result<String, String> {
    let before = run_with_move_penalty(bank, 100)?;
    let region_of: HashMap<&str, &str> = bank
        .managers
        .iter()
        .map(|m| (m.id.as_str(), m.region))
        .collect();
    let mut load_by_region: HashMap<&str, (u32, u32)> = HashMap::new();
    for l in &before.loads {
        if let Some(region) = region_of.get(l.manager.as_str()) {
            let entry = load_by_region.entry(region).or_default();
            *entry = (entry.0 + l.load, entry.1 + l.target);
        }
    }
    let (&region, &(load, targets)) = load_by_region
        .iter()
        .max_by_key(|(region, (load, _))| (*load, std::cmp::Reverse(**region)))
        .ok_or("the bank has no managers")?;
    let template = bank
        .managers
        .iter()
        .find(|m| m.region == region)
        .ok_or("the busiest region has no manager")?;
    let mut settled = carry_out(bank, &before);
    settled.managers.push(ManagerRow {
        id: "M-NEW".to_owned(),
        name: "New Joiner".to_owned(),
        ..template.clone()
    });
    let after = run_with_move_penalty(&settled, 100)?;
    let moves = changed(&settled, &after);
    let received = moves.iter().filter(|(_, m)| *m == "M-NEW").count();
    let shuffled = moves.len() - received;
    // An even share: the region's load spread in proportion to targets, newcomer included.
    let target = template.target.unwrap_or(template.capacity);
    let fair = (load * target / (targets + target)) as usize;
    check(10 * received >= 7 * fair, || {
        format!("the newcomer got {received} customers; a fair share in {region} is {fair}")
    })?;
    check(shuffled == 0, || {
        format!("{shuffled} customers moved between existing managers")
    })?;
    Ok(format!(
        "M-NEW joins {region}: receives {received} customers (an even share is {fair}); \
         nobody moves between the others"
    ))
}

/// In a settled bank, an individual mass-market customer inherits a fortune: they become HNW
/// and move to a `private_banking` manager; nobody else moves.
pub fn customer_becomes_hnw(bank: &GeneratedBank) -> Result<String, String> {
    let mut settled = carry_out(bank, &run(bank)?);
    let certified: BTreeSet<&str> = bank
        .managers
        .iter()
        .filter(|m| m.certifications.contains(&Certification::PrivateBanking))
        .map(|m| m.id.as_str())
        .collect();
    let customer = settled
        .customers
        .iter_mut()
        .find(|c| {
            c.kind == CustomerKind::Individual
                && c.assets < crate::AFFLUENT_ASSETS
                && c.manager.as_deref().is_some_and(|m| !certified.contains(m))
        })
        .ok_or("no mass-market customer with an uncertified manager")?;
    customer.assets = 2 * crate::HNW_ASSETS;
    let (id, previous) = (
        customer.id.clone(),
        customer.manager.clone().unwrap_or_default(),
    );
    let after = run(&settled)?;
    let moves = changed(&settled, &after);
    check(moves.len() == 1 && moves[0].0 == id, || {
        format!("expected only {id} to move, but the moves are {moves:?}")
    })?;
    let manager = moves[0].1;
    check(certified.contains(manager), || {
        format!("{id} went to {manager}, who lacks private_banking")
    })?;
    Ok(format!(
        "{id} becomes HNW: moves from {previous} to {manager} (private_banking); nobody else moves"
    ))
}

/// In a bank settled with its groups (the plan carried out), the retail line is capped 1%
/// below its load: the plan brings it within the cap, moving about as many customers out of
/// retail as it must (to private banking and SME managers of the same regions, who may serve
/// retail customers) and few others.
pub fn line_over_its_cap(bank: &GeneratedBank) -> Result<String, String> {
    let settled = carry_out(bank, &run_in_groups(bank)?);
    let line = |plan: &Plan, id: &str| plan.groups.iter().find(|g| g.group.as_str() == id).cloned();
    let before = line(&run_in_groups(&settled)?, "RETAIL").ok_or("no retail line")?;
    let cap = before.load * 99 / 100;
    let mut capped = settled.clone();
    let retail = capped
        .groups
        .iter_mut()
        .find(|g| g.id == "RETAIL")
        .ok_or("no retail line")?;
    (retail.capacity, retail.target) = (Some(cap), Some(cap));
    let plan = run_in_groups(&capped)?;
    let after = line(&plan, "RETAIL").ok_or("no retail line")?;
    check(after.load <= cap, || {
        format!("retail holds {} over its cap of {cap}", after.load)
    })?;
    check(plan.unassigned.is_empty(), || {
        format!("{} customers left unassigned", plan.unassigned.len())
    })?;
    let excess = (before.load - cap) as usize;
    let moved = changed(&capped, &plan).len();
    check(moved <= 2 * excess, || {
        format!("{moved} customers moved to take {excess} out of retail")
    })?;
    Ok(format!(
        "retail capped at {cap} ({excess} under its load of {}): {} leave retail, {moved} \
         customers move in all",
        before.load, after.moved_out
    ))
}
