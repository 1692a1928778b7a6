//! Hostile rulebooks: each ends in its typed error, fast, and leaves the next run unharmed.

use std::time::Instant;

use apportion::ProfileOptions;
use apportion::{Error, Rulebook};

use crate::support::{date, small_bank};

/// Compiles and profiles `source`, returning the error code.
fn code_of(source: &str) -> String {
    let result = Rulebook::compile(source)
        .and_then(|rules| rules.profile(&small_bank(), &ProfileOptions::new(date("2026-06-30"))));
    match result {
        Err(error) => error.code().to_owned(),
        Ok(_) => "ok".to_owned(),
    }
}

/// One hostile rulebook and the error it must end in (`ok` if it is harmless).
#[derive(serde::Deserialize)]
struct Case {
    source: String,
    code: String,
    why: String,
}

/// The hostile rulebooks, shared with the Python suite.
fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/hostile_rulebooks.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn each_hostile_rulebook_ends_in_its_error() {
    let cases = cases();
    assert!(cases.len() >= 30);
    let mut wrong = Vec::new();
    for case in &cases {
        let started = Instant::now();
        let code = code_of(&case.source);
        if code != case.code {
            wrong.push(format!(
                "{} ({:.80}): {code}, expected {}",
                case.why, case.source, case.code
            ));
        }
        // Generous bound for a noisy machine; the point is "not forever".
        assert!(
            started.elapsed().as_secs() < 5,
            "{} took {:?}",
            case.why,
            started.elapsed()
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn an_endless_loop_reports_the_operation_limit_with_its_position() {
    let rules = Rulebook::compile("fn spin(c) {\n  let n = 0;\n  loop { n += 1; }\n}").unwrap();
    let error = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    let Error::Rule(error) = error else { panic!() };
    assert_eq!(
        error.to_string(),
        "rule `spin` failed for customer `C-1`: operation limit 200000 exceeded at line 1, column 12"
    );
}

#[test]
fn a_failed_run_leaves_nothing_behind_for_the_next() {
    let rules =
        Rulebook::compile("fn t(c) { if c.assets > 1000000 { loop {} } else { c.assets } }")
            .unwrap();
    assert!(
        rules
            .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
            .is_err()
    );
    let fine = Rulebook::compile("fn t(c) { c.assets }").unwrap();
    assert_eq!(
        fine.profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
            .unwrap()
            .customers
            .len(),
        3
    );
}

/// Customers with a phone number the rules must never see.
fn with_phone() -> apportion::Customers {
    crate::support::customers(
        &[
            ("assets", apportion::ValueType::Int),
            ("phone", apportion::ValueType::Str),
        ],
        &[(
            "C-1",
            None,
            vec![
                apportion::Value::Int(2_500_000),
                crate::support::s("+44 7700 900123"),
            ],
        )],
    )
}

#[test]
fn a_private_field_cannot_be_read_directly_by_helpers_or_by_computed_key() {
    let direct = Rulebook::compile("fn t(c) {\n  _p(c)\n}\nfn _p(x) { x.phone }")
        .unwrap()
        .with_private_fields(["phone"])
        .unwrap_err();
    assert_eq!(direct.code(), "private_field");
    assert!(
        direct
            .to_string()
            .contains("`_p` reads private field `phone`"),
        "{direct}"
    );

    let computed = Rulebook::compile("fn t(c) { let k = \"pho\"; c[k + \"ne\"] }")
        .unwrap()
        .with_private_fields(["phone"])
        .unwrap();
    let error = computed
        .profile(&with_phone(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    assert_eq!(error.code(), "rule_failed");
    assert!(!error.to_string().contains("7700"), "{error}");
    // Without the mark, the same rule reads it: the mark is what stops it.
    let open = Rulebook::compile("fn t(c) { let k = \"pho\"; c[k + \"ne\"] }").unwrap();
    assert!(
        open.profile(&with_phone(), &ProfileOptions::new(date("2026-06-30")))
            .is_ok()
    );
}

#[test]
fn rule_errors_quote_no_customer_values_unless_asked() {
    for (source, kind) in [
        (
            "fn t(c) { c.assets / (c.assets - c.assets) }",
            "Division by zero",
        ),
        (
            "fn t(c) { c.assets * 9223372036854775807 }",
            "Multiplication overflow",
        ),
        ("fn t(c) { throw c.phone }", "threw"),
        ("fn t(c) { let a = [1]; a[c.assets] }", "out of bounds"),
        ("fn t(c) { #{a: 1}[c.phone] }", "not found"),
    ] {
        let rules = Rulebook::compile(source).unwrap();
        let error = rules
            .profile(&with_phone(), &ProfileOptions::new(date("2026-06-30")))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(kind) && error.contains("values withheld"),
            "{error}"
        );
        assert!(
            !error.contains("2500000") && !error.contains("7700"),
            "{error}"
        );
        let revealing = rules.reveal_values_in_errors(true);
        let error = revealing
            .profile(&with_phone(), &ProfileOptions::new(date("2026-06-30")))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("2500000") || error.contains("7700"),
            "{error}"
        );
    }
}

/// One customer named Ada: a value that reads like a name in a message.
fn named_ada() -> apportion::Customers {
    crate::support::customers(
        &[("name", apportion::ValueType::Str)],
        &[("C-1", None, vec![crate::support::s("Ada")])],
    )
}

#[test]
fn values_that_read_like_names_are_withheld_too() {
    for (source, kind) in [
        (
            "fn t(c) { parse_int(c.name) }",
            "Error parsing integer number",
        ),
        ("fn t(c) { let m = #{}; m[c.name] }", "property not found"),
        ("fn t(c) { #{a: 1}[c.name] }", "property not found"),
    ] {
        let error = Rulebook::compile(source)
            .unwrap()
            .profile(&named_ada(), &ProfileOptions::new(date("2026-06-30")))
            .unwrap_err()
            .to_string();
        assert!(error.contains(kind), "{source}: {error}");
        assert!(error.contains("values withheld"), "{source}: {error}");
        assert!(!error.contains("Ada"), "{source}: {error}");
    }
}

/// A book of one customer and one manager with a phone number.
fn book_with_manager_phone() -> apportion::Book {
    use apportion::ValueType;
    apportion::Book::new(
        crate::support::customers(
            &[("region", ValueType::Str)],
            &[("C-1", None, vec![crate::support::s("north")])],
        ),
        crate::support::managers(
            &[("region", ValueType::Str), ("phone", ValueType::Str)],
            &[(
                "M-1",
                5,
                &[],
                vec![
                    crate::support::s("north"),
                    crate::support::s("+44 7700 900123"),
                ],
            )],
        ),
    )
}

#[test]
fn private_fields_hold_for_managers_too() {
    let direct = Rulebook::compile("fn eligible(c, m) { m.phone != \"\" }")
        .unwrap()
        .with_private_fields(["phone"])
        .unwrap_err();
    assert_eq!(direct.code(), "private_field");
    assert!(direct.to_string().contains("`phone`"), "{direct}");

    let source = "fn eligible(c, m) { let k = \"pho\"; m[k + \"ne\"] == c.region }";
    let computed = Rulebook::compile(source)
        .unwrap()
        .with_private_fields(["phone"])
        .unwrap();
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let error = apportion::assign(&book_with_manager_phone(), &computed, &options).unwrap_err();
    assert_eq!(error.code(), "rule_failed");
    assert!(!error.to_string().contains("7700"), "{error}");
    // Without the mark the same rule reads it (and finds no match): the mark is what stops it.
    let open = Rulebook::compile(source).unwrap();
    let plan = apportion::assign(&book_with_manager_phone(), &open, &options).unwrap();
    assert_eq!(plan.unassigned.len(), 1);
}

#[test]
fn a_rule_stops_inside_its_evaluation_when_the_run_is_cancelled() {
    // No operation limit at all: only the cancel flag can stop this rule.
    let limits = apportion::Limits {
        max_operations: 0,
        ..apportion::Limits::default()
    };
    let rules = Rulebook::compile_with("fn t(c) { loop { } }", limits).unwrap();
    let cancel = apportion::Cancel::new();
    let options = ProfileOptions {
        cancel: Some(cancel.clone()),
        ..ProfileOptions::new(date("2026-06-30"))
    };
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(rules.profile(&small_bank(), &options).map(|_| ()));
    });
    std::thread::sleep(std::time::Duration::from_millis(50));
    cancel.cancel();
    // A guard against hanging the suite, not a timing claim.
    let outcome = finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the cancelled run never returned");
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
}

#[test]
fn a_rulebook_too_large_is_refused_before_it_is_parsed() {
    let arms: String = (0..120_000).map(|i| format!("{i} => {i},\n")).collect();
    let source = format!("fn t(c) {{ switch c.assets {{\n{arms} _ => 0 }} }}");
    let error = Rulebook::compile(&source).unwrap_err();
    assert_eq!(error.code(), "rulebook_too_large");
    assert!(
        error.to_string().contains("above the limit of 1048576"),
        "{error}"
    );
    // A large switch within the limit compiles, and runs.
    let arms: String = (0..40_000).map(|i| format!("{i} => {i},\n")).collect();
    let source = format!("fn t(c) {{ switch c.assets {{\n{arms} _ => -1 }} }}");
    let rules = Rulebook::compile(&source).unwrap();
    let profile = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap();
    assert_eq!(profile.customers[2].values, [apportion::Value::Int(900)]);
}

#[test]
fn a_value_nested_too_deeply_names_the_limit() {
    let rules =
        Rulebook::compile("fn t(c) {\n  let a = [];\n  for i in 0..40 { a = [a]; }\n  1\n}")
            .unwrap();
    let error = rules
        .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    assert_eq!(error.code(), "rule_limit_exceeded");
    assert!(
        error
            .to_string()
            .contains("value nesting limit 32 exceeded"),
        "{error}"
    );
}
