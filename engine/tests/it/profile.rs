//! Profiling customers: values, dates against `as_of`, error handling, determinism.

use apportion::{Error, Rulebook, Value};
use apportion::{OnRuleError, ProfileOptions};

use crate::support::{date, list, s, small_bank, values_of};

const RULES: &str = r#"
fn tier(c) {
    if c.assets >= 1_000_000 { "HNW" } else if c.assets >= 100_000 { "AFFLUENT" } else { "MASS" }
}
fn lifecycle(c) {
    if c.onboarded == () { return "unknown"; }
    if days_since(c.onboarded) <= 90 { "new" } else { "established" }
}
fn tags(c) {
    let tags = [];
    if "mortgage" in c.products { tags.push("mortgage_need"); }
    if c.tier == "HNW" { tags.push("wealth"); }
    tags
}
fn orphan_check(c) { c.manager == () }
"#;

#[test]
fn derives_every_field_for_every_customer() {
    let rules = Rulebook::compile(RULES).unwrap();
    let profile = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap();
    assert_eq!(
        profile.fields,
        ["tier", "lifecycle", "tags", "orphan_check"]
    );
    assert_eq!(
        values_of(&profile, "C-1"),
        [
            s("HNW"),
            s("established"),
            list(&["wealth"]),
            Value::Bool(false)
        ]
    );
    assert_eq!(
        values_of(&profile, "C-2"),
        [
            s("AFFLUENT"),
            s("new"),
            list(&["mortgage_need"]),
            Value::Bool(true)
        ]
    );
    assert_eq!(
        values_of(&profile, "C-3"),
        [s("MASS"), s("unknown"), list(&[]), Value::Bool(false)]
    );
}

#[test]
fn a_later_as_of_changes_the_lifecycle() {
    let rules = Rulebook::compile(RULES).unwrap();
    let later = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-12-31")))
        .unwrap();
    assert_eq!(values_of(&later, "C-2")[1], s("established"));
}

#[test]
fn a_rule_error_names_customer_rule_and_position_and_fails_the_run_by_default() {
    let rules = Rulebook::compile("fn ratio(c) {\n  1_000_000 / (c.assets - 900)\n}").unwrap();
    let error = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    assert_eq!(error.code(), "rule_failed");
    let text = error.to_string();
    assert!(
        text.starts_with("rule `ratio` failed for customer `C-3`: "),
        "{text}"
    );
    assert!(text.ends_with("at line 2, column 13"), "{text}");
}

#[test]
fn skipping_reports_failed_customers_and_keeps_the_rest() {
    let rules = Rulebook::compile("fn ratio(c) { 1_000_000 / (c.assets - 900) }").unwrap();
    let options = ProfileOptions {
        on_error: OnRuleError::Skip,
        ..ProfileOptions::new(date("2026-06-30"))
    };
    let profile = rules.profile(&small_bank(), &options).unwrap();
    let ids: Vec<&str> = profile.customers.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["C-1", "C-2"]);
    assert_eq!(profile.skipped.len(), 1);
    assert_eq!(profile.skipped[0].customer(), Some("C-3"));
}

#[test]
fn a_result_that_is_not_a_field_value_is_an_error() {
    let rules = Rulebook::compile("fn bad(c) { #{ a: 1 } }").unwrap();
    let error = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    assert_eq!(error.code(), "invalid_rule_result");
}

#[test]
fn profiling_checks_reads_before_running() {
    let rules = Rulebook::compile("fn t(c) { c.nope }").unwrap();
    let error = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    assert!(matches!(error, Error::Rule(_)));
    assert_eq!(error.code(), "unknown_field");
}

#[test]
fn ids_and_managers_and_dates_are_readable() {
    let rules = Rulebook::compile(
        "fn who(c) { c.id + \"/\" + if c.manager == () { \"none\" } else { c.manager } }\n\
         fn joined(c) { if c.onboarded == () { () } else { c.onboarded + 1 } }\n\
         fn age_years(c) { if c.onboarded == () { 0 } else { years_since(c.onboarded) } }",
    )
    .unwrap();
    let profile = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap();
    assert_eq!(
        values_of(&profile, "C-1"),
        [s("C-1/M-1"), Value::Date(date("2020-01-16")), Value::Int(6)]
    );
    assert_eq!(values_of(&profile, "C-2")[0], s("C-2/none"));
    assert_eq!(values_of(&profile, "C-3")[1], Value::Null);
}

#[test]
fn remembered_fields_still_give_each_customer_its_own_value() {
    use apportion::ValueType;

    use crate::support::customers;

    // Fields reading few distinct values are remembered by them; fields reading the id, or
    // reading by a computed key, never are. Thousands of customers take the memo past its
    // trial, with lists, floats and missing values among the keys.
    let rules = Rulebook::compile(
        r#"
        fn band(c) { if c.score >= 50 { "high" } else { "low" } }
        fn label(c) { c.band + "/" + c.kind }
        fn code(c) { c.id + ":" + c.kind }
        fn by_key(c) { let k = "kind"; c[k] }
        fn half(c) { if c.rate == () { -1.0 } else { c.rate / 2.0 } }
        fn first(c) { if c.products.len() == 0 { "none" } else { c.products[0] } }
        "#,
    )
    .unwrap();
    let kinds = ["individual", "sme", "trust"];
    let products: [&[&str]; 3] = [&[], &["loan"], &["card", "loan"]];
    let ids: Vec<String> = (0..3_000).map(|i| format!("C-{i}")).collect();
    let rows: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let rate = if i % 7 == 0 {
                Value::Null
            } else {
                Value::Float((i % 4) as f64 + 0.5)
            };
            (
                id.as_str(),
                None,
                vec![
                    s(kinds[i % 3]),
                    Value::Int((i % 100) as i64),
                    rate,
                    list(products[i % 3]),
                ],
            )
        })
        .collect();
    let book = customers(
        &[
            ("kind", ValueType::Str),
            ("score", ValueType::Int),
            ("rate", ValueType::Float),
            ("products", ValueType::List),
        ],
        &rows,
    );
    for threads in [1, 2] {
        let options = ProfileOptions {
            threads: Some(threads),
            ..ProfileOptions::new(date("2026-06-30"))
        };
        let profile = rules.profile(&book, &options).unwrap();
        for (i, row) in profile.customers.iter().enumerate() {
            let band = if i % 100 >= 50 { "high" } else { "low" };
            let half = if i % 7 == 0 {
                -1.0
            } else {
                ((i % 4) as f64 + 0.5) / 2.0
            };
            let first = ["none", "loan", "card"][i % 3];
            assert_eq!(
                row.values,
                [
                    s(band),
                    s(&format!("{band}/{}", kinds[i % 3])),
                    s(&format!("C-{i}:{}", kinds[i % 3])),
                    s(kinds[i % 3]),
                    Value::Float(half),
                    s(first),
                ],
                "customer {i}"
            );
        }
    }
}
