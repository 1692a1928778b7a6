//! Verifying a plan against its inputs: the plan `assign` made holds; an edited one, or one
//! checked against other inputs, is rejected with what differs; the objective recomputed for
//! any placement equals the contract's, by brute force on small books.

use apportion::{
    AssignOptions, Assignment, ManagerId, Plan, Policy, Rulebook, Verification, WrittenPlan,
    WrittenUnassigned, assign, rebalance, verify,
};
use proptest::prelude::*;

use crate::assign_properties::{self, instance};
use crate::support::{date, example_bank};

fn options() -> AssignOptions {
    AssignOptions {
        threads: Some(2),
        ..AssignOptions::new(date("2026-06-30"))
    }
}

fn codes(verification: &Verification) -> Vec<&'static str> {
    verification.discrepancies.iter().map(|d| d.code).collect()
}

/// The discrepancies about `record`, by code.
fn codes_for<'a>(verification: &'a Verification, record: &str) -> Vec<&'a str> {
    let about = verification.discrepancies.iter();
    let about = about.filter(|d| d.record.as_deref() == Some(record));
    about.map(|d| d.code).collect()
}

#[test]
fn the_plan_assign_made_holds_and_its_objective_is_recomputed() {
    let (book, rules) = example_bank();
    let plan = assign(&book, &rules, &options()).unwrap();
    let verification = verify(&book, &rules, &options(), &WrittenPlan::from(&plan)).unwrap();
    assert!(verification.holds(), "{:?}", verification.discrepancies);
    assert!(verification.provenance_checked);
    assert_eq!(verification.objective, plan.objective);
    assert_eq!(verification.optimum, plan.objective);
}

#[test]
fn a_rebalanced_plan_holds_with_the_move_penalty_its_search_settled_on() {
    let (book, rules) = example_bank();
    let rebalanced = rebalance(&book, &rules, &options(), 400).unwrap();
    let options = AssignOptions {
        policy: rebalanced.plan.provenance.policy,
        ..options()
    };
    let written = WrittenPlan::from(&rebalanced.plan);
    let verification = verify(&book, &rules, &options, &written).unwrap();
    assert!(verification.holds(), "{:?}", verification.discrepancies);
}

/// The example plan with the first assignment `pick` chooses given to the first other manager
/// `to` accepts, every other column as written.
fn edited(
    plan: &Plan,
    pick: impl Fn(&Assignment) -> bool,
    to: impl Fn(&ManagerId) -> bool,
) -> (WrittenPlan, String) {
    let mut written = WrittenPlan::from(plan);
    let row = written.assignments.iter_mut().find(|a| pick(a)).unwrap();
    let other = plan.loads.iter().map(|l| &l.manager);
    row.manager = other
        .filter(|m| **m != row.manager)
        .find(|m| to(m))
        .unwrap()
        .clone();
    let customer = row.customer.to_string();
    (written, customer)
}

#[test]
fn one_assignment_changed_is_rejected_and_named() {
    let (book, rules) = example_bank();
    let plan = assign(&book, &rules, &options()).unwrap();
    let region_of = |manager: &ManagerId| {
        let m = book
            .managers
            .records
            .iter()
            .find(|m| m.id == *manager)
            .unwrap();
        m.attributes[book.managers.schema.position("region").unwrap()].clone()
    };
    // To a manager of another region: `eligible` is false.
    let first = &plan.assignments[0];
    let (written, customer) = edited(
        &plan,
        |a| a.customer == first.customer,
        |m| region_of(m) != region_of(&first.manager),
    );
    let verification = verify(&book, &rules, &options(), &written).unwrap();
    assert!(!verification.holds());
    assert_eq!(
        codes_for(&verification, &customer),
        ["not_eligible", "assignment_differs"]
    );
    // To a manager of the same region: eligible, but the loads, hence the balance term, and
    // the optimum's own choice tell.
    let (written, customer) = edited(
        &plan,
        |a| a.customer == first.customer,
        |m| region_of(m) == region_of(&first.manager),
    );
    let verification = verify(&book, &rules, &options(), &written).unwrap();
    assert!(!verification.holds());
    assert!(codes_for(&verification, &customer).contains(&"assignment_differs"));
    assert!(codes_for(&verification, "balance").contains(&"objective_differs"));
    assert!(verification.objective.total > verification.optimum.total);
    assert!(codes(&verification).contains(&"not_optimal"));
}

#[test]
fn customers_left_out_repeated_or_unknown_and_full_managers_are_named() {
    let (book, rules) = example_bank();
    let plan = assign(&book, &rules, &options()).unwrap();
    let mut written = WrittenPlan::from(&plan);
    let dropped = written.assignments.remove(0);
    let repeated = written.assignments[0].clone();
    written.assignments.push(repeated.clone());
    let mut stranger = repeated.clone();
    stranger.customer = "C-NOBODY".into();
    written.assignments.push(stranger);
    written.unassigned.push(WrittenUnassigned {
        customer: written.assignments[1].customer.clone(),
        previous_manager: written.assignments[1].previous_manager.clone(),
        reason: "no_eligible_manager".to_owned(),
    });
    let verification = verify(&book, &rules, &options(), &written).unwrap();
    assert_eq!(
        codes_for(&verification, dropped.customer.as_str()),
        ["missing_customer"]
    );
    assert_eq!(
        codes_for(&verification, repeated.customer.as_str()),
        ["repeated_customer"]
    );
    assert_eq!(codes_for(&verification, "C-NOBODY"), ["unknown_customer"]);
    let second = written.assignments[1].customer.as_str();
    assert_eq!(codes_for(&verification, second), ["repeated_customer"]);

    // More customers given to one manager than its capacity.
    let full = &plan.loads[0];
    let mut written = WrittenPlan::from(&plan);
    for a in written
        .assignments
        .iter_mut()
        .take(full.capacity as usize + 1)
    {
        a.manager = full.manager.clone();
    }
    let verification = verify(&book, &rules, &options(), &written).unwrap();
    assert!(codes_for(&verification, full.manager.as_str()).contains(&"over_capacity"));

    // A shadow price edited in the loads a JSON plan states.
    let mut written = WrittenPlan::from(&plan);
    let loads = written.loads.as_mut().unwrap();
    loads[3].shadow_price += 1;
    let edited = loads[3].manager.to_string();
    let verification = verify(&book, &rules, &options(), &written).unwrap();
    assert_eq!(codes(&verification), ["load_differs"]);
    assert_eq!(codes_for(&verification, &edited), ["load_differs"]);
}

#[test]
fn a_plan_checked_against_other_inputs_says_which_differ() {
    let (book, rules) = example_bank();
    let plan = assign(&book, &rules, &options()).unwrap();
    let written = WrittenPlan::from(&plan);
    // One space more in the rulebook: the same rules, so only the digest tells.
    let edited = Rulebook::compile(&format!("{} ", rules.source())).unwrap();
    let verification = verify(&book, &edited, &options(), &written).unwrap();
    assert_eq!(codes(&verification), ["rulebook_differs"]);
    // Another date and another policy.
    let other = AssignOptions {
        as_of: date("2026-07-01"),
        policy: Policy {
            move_penalty: 501,
            ..Policy::default()
        },
        ..options()
    };
    let verification = verify(&book, &rules, &other, &written).unwrap();
    let found = codes(&verification);
    assert_eq!(found[..2], ["as_of_differs", "policy_differs"]);
    // Another book: one manager's capacity changed.
    let mut changed = book.clone();
    changed.managers.records[0].capacity += 1;
    let verification = verify(&changed, &rules, &options(), &written).unwrap();
    assert_eq!(codes(&verification)[0], "managers_differ");
    // Without a provenance, the rest is still checked.
    let bare = WrittenPlan {
        provenance: None,
        ..written
    };
    let verification = verify(&book, &edited, &options(), &bare).unwrap();
    assert!(verification.holds() && !verification.provenance_checked);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any one customer given another manager, or none: never accepted; its feasibility as
    /// brute force sees it; and when feasible, the objective the contract gives it.
    #[test]
    fn any_one_customer_changed_is_rejected_and_costed_as_the_contract_says(
        instance in instance(),
        person in any::<prop::sample::Index>(),
        choice in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!instance.people.is_empty());
        let rules = Rulebook::compile(instance.rules()).unwrap();
        let book = instance.book();
        let options = assign_properties::options(&instance, true, 1);
        let plan = assign(&book, &rules, &options).unwrap();
        let verification = verify(&book, &rules, &options, &WrittenPlan::from(&plan)).unwrap();
        prop_assert!(verification.holds(), "{:?}", verification.discrepancies);

        // The plan's choice per person, then one person's changed.
        let manager_index = |id: &ManagerId| plan.loads.iter().position(|l| l.manager == *id);
        let mut chosen: Vec<Option<usize>> = vec![None; instance.people.len()];
        for a in &plan.assignments {
            chosen[a.customer.as_str()[2..].parse::<usize>().unwrap()] = manager_index(&a.manager);
        }
        let p = person.index(chosen.len());
        let options_for_p: Vec<Option<usize>> =
            (0..=instance.staff.len()).map(|k| k.checked_sub(1)).filter(|&c| c != chosen[p]).collect();
        chosen[p] = options_for_p[choice.index(options_for_p.len())];
        let id = format!("C-{p}");
        let mut written = WrittenPlan::from(&plan);
        written.objective = None;
        let placed = written.assignments.iter().position(|a| a.customer.as_str() == id);
        let previous = placed.map(|at| written.assignments.remove(at));
        let unassigned = written.unassigned.iter().position(|u| u.customer.as_str() == id);
        let previous_manager = book.customers.records[p].manager.clone();
        if let Some(at) = unassigned {
            written.unassigned.remove(at);
        }
        match chosen[p] {
            Some(j) => written.assignments.push(Assignment {
                customer: id.as_str().into(),
                manager: plan.loads[j].manager.clone(),
                previous_manager,
                moved: previous.as_ref().is_some_and(|a| a.moved),
                affinity: previous.as_ref().map_or(0, |a| a.affinity),
                move_penalty: previous.as_ref().map_or(0, |a| a.move_penalty),
                model_score: previous.as_ref().and_then(|a| a.model_score),
            }),
            None => written.unassigned.push(WrittenUnassigned {
                customer: id.as_str().into(),
                previous_manager,
                reason: "capacity_exhausted".to_owned(),
            }),
        }
        let verification = verify(&book, &rules, &options, &written).unwrap();
        prop_assert!(!verification.holds());
        prop_assert!(codes_for(&verification, &id).contains(&"assignment_differs"));
        let infeasible = ["not_eligible", "over_capacity", "over_segment_cap", "over_group_capacity"];
        let found_infeasible = codes(&verification).iter().any(|c| infeasible.contains(c));
        match instance.objective(&chosen) {
            Some((total, _)) => {
                prop_assert!(!found_infeasible, "{:?}", verification.discrepancies);
                prop_assert_eq!(verification.objective.total, total);
                prop_assert!(total >= plan.objective.total);
            }
            None => prop_assert!(found_infeasible, "{:?}", verification.discrepancies),
        }
    }
}
