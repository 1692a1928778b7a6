//! Explaining one customer: the derived fields the pair rules read, the failing clause of
//! every manager who is not eligible, and for every eligible one the cost of moving the
//! customer there, checked against the contract's objective and against `verify`.

use std::sync::Arc;

use apportion::{
    AssignOptions, Book, Customer, CustomerId, Customers, Field, Manager, ManagerId, Managers,
    Plan, Rulebook, Schema, Value, ValueType, Verdict, WrittenPlan, assign, verify,
};
use proptest::prelude::*;

use crate::assign_properties::{self, instance};
use crate::fuzz_replay::harness::Instance;
use crate::support::{date, example_bank};

fn options() -> AssignOptions {
    AssignOptions {
        threads: Some(2),
        ..AssignOptions::new(date("2026-06-30"))
    }
}

/// The terms' values added up, if every term has one.
fn sum(terms: &[apportion::Term]) -> Option<i64> {
    terms.iter().map(|t| t.value).sum()
}

#[test]
fn every_manager_gets_a_verdict_that_adds_up_on_the_example_bank() {
    let (book, rules) = example_bank();
    let plan = assign(&book, &rules, &options()).unwrap();
    let region = book.managers.schema.position("region").unwrap();
    let customer_region = book.customers.schema.position("region").unwrap();
    for assignment in plan.assignments.iter().step_by(150) {
        let id = assignment.customer.as_str();
        let explanation = plan.explain(&book, &rules, id).unwrap();
        assert_eq!(explanation.manager.as_ref(), Some(&assignment.manager));
        let customer = book
            .customers
            .records
            .iter()
            .find(|c| c.id.as_str() == id)
            .unwrap();
        // The lead score is a running score: its terms add up to it.
        let score = explanation
            .fields
            .iter()
            .find(|f| f.name == "lead_score")
            .unwrap();
        assert_eq!(
            Some(Value::Int(sum(&score.terms).unwrap())),
            Some(score.value.clone())
        );
        let mut assigned = 0;
        for (option, manager) in explanation.managers.iter().zip(&book.managers.records) {
            assert_eq!(option.manager, manager.id);
            match &option.verdict {
                Verdict::Assigned { affinity, terms } => {
                    assigned += 1;
                    assert_eq!(*affinity, assignment.affinity);
                    assert_eq!(sum(terms), Some(*affinity));
                }
                Verdict::Eligible {
                    affinity,
                    terms,
                    extra_cost,
                } => {
                    assert_eq!(sum(terms), Some(*affinity));
                    let parts = extra_cost.affinity + extra_cost.moves + extra_cost.balance;
                    assert_eq!(extra_cost.total, parts + extra_cost.unassigned);
                    assert!(extra_cost.total >= 0, "the plan is optimal: {option:?}");
                }
                Verdict::Full { .. } => {
                    let load = plan.loads.iter().find(|l| l.manager == manager.id).unwrap();
                    assert_eq!(load.load, load.capacity);
                }
                Verdict::Ineligible { clause } => {
                    let clause = clause
                        .as_ref()
                        .expect("the bank's `eligible` is all clauses");
                    if manager.attributes[region] != customer.attributes[customer_region] {
                        assert_eq!(
                            (clause.text.as_str(), clause.guard),
                            ("c.region != m.region", true)
                        );
                        assert_eq!(clause.line, 134);
                    } else {
                        assert!(
                            clause.text.starts_with("_holds(m.certifications"),
                            "{clause:?}"
                        );
                        assert!(clause.under.is_some());
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(assigned, 1);
    }
}

/// `plan` with `customer` moved to `manager`, everything else as it is.
fn moved(plan: &Plan, customer: &str, manager: &ManagerId) -> WrittenPlan {
    let mut written = WrittenPlan::from(plan);
    let row = written
        .assignments
        .iter_mut()
        .find(|a| a.customer.as_str() == customer)
        .unwrap();
    row.manager = manager.clone();
    written
}

#[test]
fn the_extra_cost_of_an_alternative_is_the_objective_verify_gives_the_moved_plan() {
    let (book, rules) = example_bank();
    let plan = assign(&book, &rules, &options()).unwrap();
    let mut checked = 0;
    for assignment in plan.assignments.iter().step_by(97) {
        let id = assignment.customer.as_str();
        let explanation = plan.explain(&book, &rules, id).unwrap();
        let alternative = explanation.managers.iter().find_map(|o| match &o.verdict {
            Verdict::Eligible { extra_cost, .. } => Some((&o.manager, extra_cost.total)),
            _ => None,
        });
        let Some((manager, extra)) = alternative else {
            continue;
        };
        let verification = verify(&book, &rules, &options(), &moved(&plan, id, manager)).unwrap();
        assert_eq!(
            verification.objective.total - plan.objective.total,
            extra,
            "{id} to {manager}"
        );
        checked += 1;
        if checked == 3 {
            return;
        }
    }
    panic!("only {checked} customers with an eligible alternative");
}

#[test]
fn another_rulebook_or_an_unknown_customer_is_refused_with_its_code() {
    let (book, rules) = example_bank();
    let plan = assign(&book, &rules, &options()).unwrap();
    let error = plan.explain(&book, &rules, "C-NOBODY").unwrap_err();
    assert_eq!(error.code(), "unknown_customer");
    let edited = Rulebook::compile(&format!("{} ", rules.source())).unwrap();
    let id = plan.assignments[0].customer.as_str();
    let error = plan.explain(&book, &edited, id).unwrap_err();
    assert_eq!(error.code(), "plan_inputs_differ");
}

/// The optimum with each person pinned to each manager, by brute force: `[person][manager]`,
/// `None` where no feasible plan has them there.
fn pinned_optima(instance: &Instance) -> Vec<Vec<Option<i64>>> {
    let (n, m) = (instance.people.len(), instance.staff.len());
    let mut best = vec![vec![None::<i64>; m]; n];
    let mut choice = vec![None; n];
    for code in 0..(m + 1).pow(n as u32) {
        let mut rest = code;
        for slot in choice.iter_mut() {
            *slot = (rest % (m + 1)).checked_sub(1);
            rest /= m + 1;
        }
        let Some((objective, _)) = instance.objective(&choice) else {
            continue;
        };
        for (p, chosen) in choice.iter().enumerate() {
            if let Some(j) = *chosen {
                let slot = &mut best[p][j];
                *slot = Some(slot.map_or(objective, |b| b.min(objective)));
            }
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On small books, every verdict against brute force: ineligible exactly where the rules
    /// say so, full exactly at capacity, and the extra cost of every eligible alternative the
    /// contract's objective of the plan with that one customer moved, never below the plan's.
    #[test]
    fn each_verdict_and_extra_cost_is_the_contracts(instance in instance()) {
        let rules = Rulebook::compile(instance.rules()).unwrap();
        let book = instance.book();
        let options = assign_properties::options(&instance, true, 1);
        let plan = assign(&book, &rules, &options).unwrap();
        let mut chosen: Vec<Option<usize>> = vec![None; instance.people.len()];
        for a in &plan.assignments {
            let person: usize = a.customer.as_str()[2..].parse().unwrap();
            chosen[person] = plan.loads.iter().position(|l| l.manager == a.manager);
        }
        let pinned = pinned_optima(&instance);
        for p in 0..instance.people.len() {
            let explanation = plan.explain(&book, &rules, &format!("C-{p}")).unwrap();
            for (j, option) in explanation.managers.iter().enumerate() {
                let eligible = instance.eligible(p, j);
                match &option.verdict {
                    Verdict::Ineligible { .. } => prop_assert!(!eligible),
                    Verdict::Assigned { affinity, .. } => {
                        prop_assert_eq!(chosen[p], Some(j));
                        prop_assert_eq!(*affinity, instance.affinity(p, j));
                    }
                    Verdict::Full { .. } => {
                        prop_assert!(eligible);
                        prop_assert_eq!(plan.loads[j].load, plan.loads[j].capacity);
                    }
                    Verdict::AtSegmentCap { segment, .. } => {
                        prop_assert!(eligible && instance.people[p].2);
                        prop_assert_eq!(segment.as_str(), "A");
                    }
                    Verdict::InFullGroup { group, .. } => {
                        // A group of the manager's, at its capacity, that the customer is
                        // not already in.
                        prop_assert!(eligible);
                        let g: usize = group[2..].parse().unwrap();
                        prop_assert!(instance.chain(j).contains(&g));
                        let load: u32 = (0..instance.staff.len())
                            .filter(|&k| instance.chain(k).contains(&g))
                            .map(|k| plan.loads[k].load)
                            .sum();
                        prop_assert_eq!(Some(load), instance.groups[g].1);
                        prop_assert!(chosen[p].is_none_or(|c| !instance.chain(c).contains(&g)));
                    }
                    Verdict::Eligible { affinity, extra_cost, .. } => {
                        prop_assert!(eligible);
                        prop_assert_eq!(*affinity, instance.affinity(p, j));
                        let mut alternative = chosen.clone();
                        alternative[p] = Some(j);
                        let (total, _) = instance.objective(&alternative).expect("room there");
                        prop_assert_eq!(extra_cost.total, total - plan.objective.total);
                        prop_assert!(extra_cost.total >= 0);
                        // Re-solving with the customer pinned there moves others too if that
                        // pays: never dearer than moving the customer alone.
                        let pinned = pinned[p][j].expect("the move alone is a plan");
                        prop_assert!(pinned - plan.objective.total <= extra_cost.total);
                        prop_assert!(pinned >= plan.objective.total);
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}

/// A rulebook whose `eligible` has guards, a return under a condition and a conjunction.
const CLAUSES: &str = r#"
fn eligible(c, m) {
    if c.a > m.x { return false; }
    if c.b == 1 { return c.a + m.y > 3 && m.x != 2; }
    c.b < m.y && c.a != m.x
}
"#;

/// The clause of [`CLAUSES`] that fails for (a, b) and (x, y), as (text, guard), worked out
/// by hand; `None` where the pair is eligible.
fn failing_clause((a, b): (i64, i64), (x, y): (i64, i64)) -> Option<(&'static str, bool)> {
    if a > x {
        return Some(("c.a > m.x", true));
    }
    if b == 1 {
        return if a + y <= 3 {
            Some(("c.a + m.y > 3", false))
        } else if x == 2 {
            Some(("m.x != 2", false))
        } else {
            None
        };
    }
    if b >= y {
        return Some(("c.b < m.y", false));
    }
    (a == x).then_some(("c.a != m.x", false))
}

fn int_schema(names: &[&str]) -> Schema {
    let fields = names.iter().map(|n| Field {
        name: (*n).to_owned(),
        value_type: ValueType::Int,
    });
    Schema::new(fields.collect()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The clause reported for an ineligible pair is the one the rule stopped at: it failed,
    /// and every one before it held.
    #[test]
    fn the_failing_clause_is_the_one_the_rule_stops_at(
        customers in proptest::collection::vec((0i64..5, 0i64..3), 1..4),
        managers in proptest::collection::vec((0i64..5, 0i64..4), 1..4),
    ) {
        let book = Book::new(Customers {
                schema: int_schema(&["a", "b"]),
                records: customers.iter().enumerate().map(|(i, &(a, b))| Customer {
                    id: CustomerId(Arc::from(format!("C-{i}"))),
                    manager: None,
                    attributes: vec![Value::Int(a), Value::Int(b)],
                }).collect(),
            }, Managers {
                schema: int_schema(&["x", "y"]),
                records: managers.iter().enumerate().map(|(j, &(x, y))| Manager {
                    id: ManagerId(Arc::from(format!("M-{j}"))),
                    capacity: 9,
                    target: None,
                    segment_caps: Default::default(),
                    segment_targets: Default::default(),
                    attributes: vec![Value::Int(x), Value::Int(y)],
                }).collect(),
            });
        let rules = Rulebook::compile(CLAUSES).unwrap();
        let plan = assign(&book, &rules, &AssignOptions::new(date("2026-06-30"))).unwrap();
        for (i, &customer) in customers.iter().enumerate() {
            let explanation = plan.explain(&book, &rules, &format!("C-{i}")).unwrap();
            for (option, &manager) in explanation.managers.iter().zip(&managers) {
                let expected = failing_clause(customer, manager);
                match &option.verdict {
                    Verdict::Ineligible { clause } => {
                        let clause = clause.as_ref().unwrap();
                        prop_assert_eq!(Some((clause.text.as_str(), clause.guard)), expected);
                        let under = clause.under.as_deref();
                        prop_assert_eq!(under, (customer.1 == 1 && !clause.guard).then_some("c.b == 1"));
                    }
                    _ => prop_assert_eq!(expected, None),
                }
            }
        }
    }
}
