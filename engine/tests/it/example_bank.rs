//! The shipped example bank through the shipped rulebook: known customers get the tier,
//! lifecycle, tags and score a bank analyst would work out by hand.

use apportion::{Customers, ProfileOptions, Rulebook, Value};

use crate::support::{date, example_bank, list, s, values_of};

fn bank() -> (Customers, Rulebook) {
    let (book, rules) = example_bank();
    (book.customers, rules)
}

#[test]
fn known_customers_get_what_an_analyst_works_out_by_hand() {
    let (customers, rules) = bank();
    let profile = rules
        .profile(&customers, &ProfileOptions::new(date("2026-06-30")))
        .unwrap();
    assert_eq!(
        profile.fields,
        [
            "tier",
            "segment",
            "lifecycle",
            "tags",
            "lead_score",
            "priority",
            "main_need"
        ]
    );
    assert_eq!(profile.customers.len(), 3_000);
    assert!(profile.skipped.is_empty());
    // 1.57M in assets, 60 transactions, holds a mortgage: 40 + 15 + 8 (one tag) + 6 (credit 732).
    assert_eq!(
        values_of(&profile, "C-000048"),
        [
            s("HNW"),
            s("HNW"),
            s("active"),
            list(&["high_frequency"]),
            Value::Int(69),
            s("high"),
            s("none")
        ]
    );
    // A small business: SME desk whatever its tier.
    assert_eq!(
        values_of(&profile, "C-000005"),
        [
            s("MASS"),
            s("SME"),
            s("active"),
            list(&["high_frequency"]),
            Value::Int(39),
            s("normal"),
            s("none")
        ]
    );
    // No transaction since January 2023: dormant, 30 + 8 + 5 - 20.
    assert_eq!(
        values_of(&profile, "C-000014"),
        [
            s("AFFLUENT"),
            s("AFFLUENT"),
            s("dormant"),
            list(&["retirement_planning"]),
            Value::Int(23),
            s("normal"),
            s("none")
        ]
    );
    // Onboarded 85 days ago and asked about a mortgage.
    assert_eq!(
        values_of(&profile, "C-000044"),
        [
            s("MASS"),
            s("MASS"),
            s("new"),
            list(&["mortgage_need"]),
            Value::Int(13),
            s("normal"),
            s("mortgage")
        ]
    );
    // 357 days without a transaction: churn risk, and the penalty takes the score to zero.
    assert_eq!(
        values_of(&profile, "C-000008"),
        [
            s("MASS"),
            s("MASS"),
            s("churn_risk"),
            list(&[]),
            Value::Int(0),
            s("normal"),
            s("none")
        ]
    );
}

#[test]
fn a_later_as_of_moves_customers_along_their_lifecycle() {
    let (customers, rules) = bank();
    let later = rules
        .profile(&customers, &ProfileOptions::new(date("2026-08-01")))
        .unwrap();
    // 117 days after onboarding, last transaction 38 days ago: no longer new, active.
    assert_eq!(values_of(&later, "C-000044")[2], s("active"));
    // 389 days without a transaction: dormant.
    assert_eq!(values_of(&later, "C-000008")[2], s("dormant"));
}

#[test]
fn every_lead_score_is_between_0_and_100_and_every_tier_is_known() {
    let (customers, rules) = bank();
    let profile = rules
        .profile(&customers, &ProfileOptions::new(date("2026-06-30")))
        .unwrap();
    for customer in &profile.customers {
        let Value::Int(score) = customer.values[4] else {
            panic!("{customer:?}")
        };
        assert!((0..=100).contains(&score), "{customer:?}");
        assert!(
            [s("HNW"), s("AFFLUENT"), s("MASS")].contains(&customer.values[0]),
            "{customer:?}"
        );
    }
}
