//! Property tests: no input panics, threads never change the result, and the order in which
//! fields are written never changes what they evaluate to.

use std::sync::Arc;

use apportion::{Customers, Date, OnRuleError, ProfileOptions, Rulebook, Value, ValueType};
use proptest::prelude::*;

use crate::support::{customers, date};

/// Fields that read each other across the file, so declaration order and evaluation order differ.
const FIELDS: [&str; 5] = [
    "fn score(c) { if c.tier == \"HNW\" { 90 } else { c.activity * 2 } }",
    "fn tier(c) { if c.assets >= 1_000_000 { \"HNW\" } else if c.assets >= 100_000 { \"AFFLUENT\" } else { \"MASS\" } }",
    "fn activity(c) { if c.onboarded == () { 0 } else { _cap(days_since(c.onboarded), 30) } }",
    "fn tags(c) { let t = []; if \"mortgage\" in c.products { t.push(\"mortgage_need\"); } if c.score > 50 { t.push(\"hot\"); } t }",
    "fn _cap(x, n) { if x > n { n } else if x < 0 { 0 } else { x } }",
];

fn columns() -> [(&'static str, ValueType); 3] {
    [
        ("assets", ValueType::Int),
        ("onboarded", ValueType::Date),
        ("products", ValueType::List),
    ]
}

fn well_typed_row() -> impl Strategy<Value = (Value, Value, Value)> {
    (
        prop_oneof![Just(Value::Null), (-10i64..5_000_000).prop_map(Value::Int)],
        prop_oneof![
            Just(Value::Null),
            (0i64..25_000).prop_map(|d| Value::Date(Date::from_days_since_epoch(d).unwrap()))
        ],
        proptest::collection::vec(
            prop_oneof![Just("mortgage"), Just("savings"), Just("pension")],
            0..3,
        )
        .prop_map(|items| Value::List(items.into_iter().map(Arc::from).collect())),
    )
}

/// Any value at all, of any type, in any column.
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        ".{0,12}".prop_map(|s| Value::Str(Arc::from(s.as_str()))),
        proptest::collection::vec(".{0,6}", 0..4)
            .prop_map(|v| Value::List(v.iter().map(|s| Arc::from(s.as_str())).collect())),
        (-700_000i64..2_900_000)
            .prop_map(|d| Date::from_days_since_epoch(d).map_or(Value::Null, Value::Date)),
    ]
}

fn bank(rows: Vec<(Value, Value, Value)>) -> Customers {
    let ids: Vec<String> = (0..rows.len()).map(|i| format!("C-{i}")).collect();
    let rows: Vec<_> = rows
        .into_iter()
        .zip(&ids)
        .map(|((a, b, c), id)| (id.as_str(), None, vec![a, b, c]))
        .collect();
    customers(&columns(), &rows)
}

fn options(threads: usize) -> ProfileOptions {
    ProfileOptions {
        threads: Some(threads),
        on_error: OnRuleError::Skip,
        ..ProfileOptions::new(date("2026-06-30"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_attribute_values_never_panic(rows in proptest::collection::vec((any_value(), any_value(), any_value()), 0..40)) {
        let rules = Rulebook::compile(&FIELDS.join("\n")).unwrap();
        let n = rows.len();
        let profile = rules.profile(&bank(rows), &options(2)).unwrap();
        // Every customer is accounted for: profiled or skipped with a typed error.
        prop_assert_eq!(profile.customers.len() + profile.skipped.len(), n);
        for error in &profile.skipped {
            prop_assert!(error.customer().is_some());
        }
    }

    #[test]
    fn one_thread_and_four_threads_give_the_same_profile(rows in proptest::collection::vec(well_typed_row(), 0..1_500)) {
        let rules = Rulebook::compile(&FIELDS.join("\n")).unwrap();
        let customers = bank(rows);
        let one = rules.profile(&customers, &options(1)).unwrap();
        let four = rules.profile(&customers, &options(4)).unwrap();
        prop_assert_eq!(one, four);
    }

    #[test]
    fn the_order_fields_are_written_in_never_matters(
        rows in proptest::collection::vec(well_typed_row(), 1..50),
        order in Just((0..FIELDS.len()).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let customers = bank(rows);
        let written: Vec<&str> = order.iter().map(|&i| FIELDS[i]).collect();
        let shuffled = Rulebook::compile(&written.join("\n")).unwrap().profile(&customers, &options(2)).unwrap();
        let reference = Rulebook::compile(&FIELDS.join("\n")).unwrap().profile(&customers, &options(2)).unwrap();
        for field in &reference.fields {
            let (a, b) = (reference.field_position(field).unwrap(), shuffled.field_position(field).unwrap());
            for (x, y) in reference.customers.iter().zip(&shuffled.customers) {
                prop_assert_eq!(&x.id, &y.id);
                prop_assert_eq!(&x.values[a], &y.values[b], "field {}", field);
            }
        }
    }
}

#[test]
fn a_failure_in_fail_mode_is_the_first_failing_customer_whatever_the_threads() {
    // Customers 700 and 1900 both fail; whichever thread hits its failure first, the run
    // reports customer 700.
    let rows: Vec<_> = (0..3_000)
        .map(|i| {
            let assets = if i == 700 || i == 1_900 { 0 } else { 10 };
            (Value::Int(assets), Value::Null, Value::List(Arc::from([])))
        })
        .collect();
    let customers = bank(rows);
    let rules = Rulebook::compile("fn ratio(c) { 100 / c.assets }").unwrap();
    for threads in [1, 2, 4] {
        let options = ProfileOptions {
            threads: Some(threads),
            ..ProfileOptions::new(date("2026-06-30"))
        };
        let error = rules.profile(&customers, &options).unwrap_err();
        assert!(error.to_string().contains("customer `C-700`"), "{error}");
    }
}
