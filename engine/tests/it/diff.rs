//! Comparing plans: a plan against itself is no change; a policy change moves customers and
//! the diff's flows, loads and objective add up; a rulebook change shows in the tier
//! transitions and the customers whose eligible managers changed, as their explanations do.

use apportion::{AssignOptions, Policy, Rulebook, Verdict, WrittenPlan, assign, compare, diff};
use proptest::prelude::*;

use crate::assign_properties::instance;
use crate::support::{date, example_bank};

fn options() -> AssignOptions {
    AssignOptions {
        threads: Some(2),
        ..AssignOptions::new(date("2026-06-30"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_plan_against_itself_is_no_change(instance in instance()) {
        let rules = Rulebook::compile(instance.rules()).unwrap();
        let plan = assign(&instance.book(), &rules, &options()).unwrap();
        let written = WrittenPlan::from(&plan);
        let same = diff(&written, &written);
        prop_assert!(same.is_empty(), "{:?}", same);
        prop_assert!(same.flows.is_empty() && same.loads.is_empty());
    }
}

#[test]
fn the_same_rules_and_policy_compare_equal() {
    let (book, rules) = example_bank();
    let comparison = compare(&book, (&rules, &options()), (&rules, &options())).unwrap();
    assert!(comparison.diff.is_empty());
    assert!(comparison.eligibility.is_empty());
    assert!(comparison.tiers.iter().all(|t| t.before == t.after));
    let customers: usize = comparison.tiers.iter().map(|t| t.customers).sum();
    assert_eq!(customers, book.customers.records.len());
}

#[test]
fn a_cheaper_move_moves_customers_and_the_diff_adds_up() {
    let (book, rules) = example_bank();
    let cheap = AssignOptions {
        policy: Policy {
            move_penalty: 0,
            ..Policy::default()
        },
        ..options()
    };
    let comparison = compare(&book, (&rules, &options()), (&rules, &cheap)).unwrap();
    let diff = &comparison.diff;
    assert!(!diff.moves.is_empty());
    let flowing: usize = diff.flows.iter().map(|f| f.customers).sum();
    assert_eq!(flowing, diff.moves.len());
    // Loads: what every manager gained and lost is the moves.
    for change in &diff.loads {
        let into = diff
            .moves
            .iter()
            .filter(|m| m.after.as_ref() == Some(&change.manager))
            .count();
        let out = diff
            .moves
            .iter()
            .filter(|m| m.before.as_ref() == Some(&change.manager))
            .count();
        assert_eq!(
            i64::from(change.after) - i64::from(change.before),
            into as i64 - out as i64
        );
    }
    let objective = diff.objective.unwrap();
    assert_eq!(objective.before, comparison.before.objective);
    assert_eq!(objective.after, comparison.after.objective);
    assert_eq!(objective.change.moves, -comparison.before.objective.moves);
    assert!(
        objective.change.total < 0,
        "a free move can only lower the optimum"
    );
    // The rules did not change: neither did tiers or eligibility.
    assert!(comparison.eligibility.is_empty());
}

#[test]
fn a_lower_hnw_threshold_shows_in_tiers_and_eligibility_as_explanations_do() {
    let (book, rules) = example_bank();
    let lower = rules
        .source()
        .replacen("c.assets >= 1_000_000", "c.assets >= 500_000", 1);
    assert_ne!(lower, rules.source());
    let lower = Rulebook::compile(&lower).unwrap();
    let comparison = compare(&book, (&rules, &options()), (&lower, &options())).unwrap();
    let assets = book.customers.schema.position("assets").unwrap();
    let promoted = book
        .customers
        .records
        .iter()
        .filter(|c| matches!(c.attributes[assets], apportion::Value::Int(a) if (500_000..1_000_000).contains(&a)))
        .count();
    let to_hnw: usize = (comparison.tiers.iter())
        .filter(|t| t.after.as_deref() == Some("HNW") && t.before.as_deref() != Some("HNW"))
        .map(|t| t.customers)
        .sum();
    assert!(promoted > 0);
    assert_eq!(to_hnw, promoted);
    // An HNW customer needs a private banker: those promoted lose managers. Each change is
    // what the two plans' explanations count.
    assert!(!comparison.eligibility.is_empty());
    for change in comparison.eligibility.iter().take(5) {
        let id = change.customer.as_str();
        let eligible = |plan: &apportion::Plan, rules: &Rulebook| -> Vec<String> {
            let why = plan.explain(&book, rules, id).unwrap();
            (why.managers.into_iter())
                .filter(|o| !matches!(o.verdict, Verdict::Ineligible { .. }))
                .map(|o| o.manager.to_string())
                .collect()
        };
        let (before, after) = (
            eligible(&comparison.before, &rules),
            eligible(&comparison.after, &lower),
        );
        let gained = after.iter().filter(|m| !before.contains(m)).count();
        let lost = before.iter().filter(|m| !after.contains(m)).count();
        assert_eq!((change.gained, change.lost), (gained, lost), "{id}");
    }
}
