//! A day of a branch network, on the example bank: the morning plan, 500 leads routed live, a
//! manager leaving at noon, and an evening rebalance under a churn budget — with the book's
//! balance after each step. `cargo run -p apportion-examples --bin day-of-a-branch`.

use std::collections::HashMap;

use apportion::{
    AssignOptions, Book, BookSnapshot, Customer, Customers, ManagerId, Managers, Router,
    RouterOptions, Rulebook, assign, rebalance,
};

use crate::live::carry_out;
use crate::scenarios::BANK_RULES;
use crate::{BankConfig, GeneratedBank, generate, load_book};

/// Leads arriving during the day.
pub const LEADS: usize = 500;
/// The evening rebalance moves at most this many customers.
pub const CHURN_BUDGET: usize = 100;

/// What the day came to, step by step.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    /// One line per step, as printed.
    pub log: Vec<String>,
    /// Leads placed by the router.
    pub leads_placed: usize,
    /// Customers of the departing manager, and how many found a new one.
    pub departed_book: (usize, usize),
    /// Moves the evening rebalance made.
    pub evening_moves: usize,
    /// Customers without a manager before and after the evening rebalance.
    pub evening_unplaced: (usize, usize),
    /// Utilisation standard deviation before and after the evening rebalance.
    pub evening_balance: (f64, f64),
}

/// Room the branch network has made for the campaign season: each manager's capacity grows by
/// a quarter, so the day's leads and a departing manager's book fit.
const GROWTH: f64 = 1.25;

/// Runs the day on `bank`.
pub fn day_of_a_branch(bank: &GeneratedBank) -> Result<Day, String> {
    let fail = |e: apportion::Error| e.to_string();
    let rules = Rulebook::compile(BANK_RULES).map_err(fail)?;
    let as_of = bank.config.as_of;
    let mut bank = bank.clone();
    for manager in &mut bank.managers {
        manager.capacity = (f64::from(manager.capacity) * GROWTH).round() as u32;
    }
    let bank = &bank;
    let book = load_book(bank).map_err(|e| e.to_string())?;
    let mut log = Vec::new();

    // Morning: the batch plan is carried out, and the router starts from it.
    let plan = assign(&book, &rules, &AssignOptions::new(as_of)).map_err(fail)?;
    let morning = carry_out(&book, &plan);
    let router = Router::new(&rules, &morning, RouterOptions::new(as_of)).map_err(fail)?;
    log.push(step("morning plan", &router.snapshot()));

    // During the day: leads arrive one at a time.
    let leads = leads(bank)?;
    let mut leads_placed = 0;
    for lead in &leads.records {
        if router.route(lead).map_err(fail)?.manager.is_some() {
            leads_placed += 1;
        }
    }
    log.push(step(
        &format!("{leads_placed} of {LEADS} leads routed"),
        &router.snapshot(),
    ));

    // Noon: the manager with the largest book leaves; only their customers move.
    let leaving = largest_book(&router);
    let moved = router.depart(&leaving).map_err(fail)?;
    let placed = moved.iter().filter(|d| d.manager.is_some()).count();
    log.push(step(
        &format!(
            "{leaving} left: {placed} of {} customers re-placed",
            moved.len()
        ),
        &router.snapshot(),
    ));

    // Evening: the whole book is rebalanced, moving at most CHURN_BUDGET customers.
    let evening = evening_book(&morning, &leads, &router, &leaving);
    let before = router.snapshot().utilisation_std_dev();
    let result =
        rebalance(&evening, &rules, &AssignOptions::new(as_of), CHURN_BUDGET).map_err(fail)?;
    let after = result.plan.stats.utilisation_std_dev;
    log.push(format!(
        "evening rebalance within {CHURN_BUDGET} moves: {} moves at move penalty {}, {} of {} customers placed; utilisation std dev {:.1} -> {:.1} points, min {:.1}%, max {:.1}%",
        result.moves,
        result.move_penalty,
        result.plan.stats.assigned,
        evening.customers.records.len(),
        100.0 * before,
        100.0 * after,
        100.0 * result.plan.stats.min_utilisation,
        100.0 * result.plan.stats.max_utilisation,
    ));
    Ok(Day {
        log,
        leads_placed,
        departed_book: (moved.len(), placed),
        evening_moves: result.moves,
        evening_unplaced: (
            evening.customers.records.len() - router.snapshot().placed,
            result.plan.unassigned.len(),
        ),
        evening_balance: (before, after),
    })
}

fn step(what: &str, book: &BookSnapshot) -> String {
    let (low, high) = book.utilisation_range();
    format!(
        "{what}: {} customers; utilisation min {:.1}%, max {:.1}%, std dev {:.1} points",
        book.placed,
        100.0 * low,
        100.0 * high,
        100.0 * book.utilisation_std_dev()
    )
}

/// The day's leads: customers of a bank generated with another seed, with ids of their own.
fn leads(bank: &GeneratedBank) -> Result<Customers, String> {
    let mut other = generate(&BankConfig {
        customers: LEADS,
        seed: bank.config.seed + 1,
        ..bank.config.clone()
    });
    other.managers = bank.managers.clone();
    for customer in &mut other.customers {
        customer.id = format!("L-{}", customer.id);
        customer.manager = None;
    }
    Ok(load_book(&other).map_err(|e| e.to_string())?.customers)
}

fn largest_book(router: &Router) -> ManagerId {
    let snapshot = router.snapshot();
    snapshot
        .managers
        .iter()
        .max_by_key(|m| (m.1, std::cmp::Reverse(m.0.clone())))
        .map_or_else(|| ManagerId::from(""), |m| m.0.clone())
}

/// The book at the end of the day: the morning's customers and the routed leads with their
/// managers now, without the manager who left.
fn evening_book(morning: &Book, leads: &Customers, router: &Router, left: &ManagerId) -> Book {
    let now: HashMap<_, _> = router.book().into_iter().collect();
    let with_manager = |customer: &Customer| Customer {
        manager: now.get(&customer.id).cloned(),
        ..customer.clone()
    };
    Book::new(
        Customers {
            schema: morning.customers.schema.clone(),
            records: morning
                .customers
                .records
                .iter()
                .chain(&leads.records)
                .map(with_manager)
                .collect(),
        },
        Managers {
            schema: morning.managers.schema.clone(),
            records: morning
                .managers
                .records
                .iter()
                .filter(|m| m.id != *left)
                .cloned()
                .collect(),
        },
    )
}
