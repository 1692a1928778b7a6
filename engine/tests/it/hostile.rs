//! Hostile rulebooks: each ends in its typed error, fast, and leaves the next run unharmed.

use std::time::Instant;

use apportion::profile::ProfileOptions;
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

#[test]
fn each_hostile_rulebook_ends_in_its_error() {
    let cases = [
        ("fn t(c) { loop { } }", "rule_limit_exceeded"),
        (
            "fn t(c) { let x = 0; while true { x += 1; } x }",
            "rule_limit_exceeded",
        ),
        (
            "fn t(c) { _r(c, 0) }\nfn _r(c, n) { _r(c, n + 1) }",
            "rule_limit_exceeded",
        ),
        (
            "fn t(c) { let s = \"x\"; loop { s += s; } }",
            "rule_limit_exceeded",
        ),
        (
            "fn t(c) { let a = [1]; loop { a += a; } }",
            "rule_limit_exceeded",
        ),
        (
            "fn t(c) { let m = #{}; for i in 0..100000 { m[`k${i}`] = i; } 1 }",
            "rule_limit_exceeded",
        ),
        ("fn t(c) { eval(\"loop {}\") }", "forbidden_construct"),
        ("fn t(c) { import \"std\" as s; 1 }", "rule_syntax"),
        ("fn t(c) { c.missing_field }", "unknown_field"),
        ("fn a(c) { c.b }\nfn b(c) { c.a }", "dependency_cycle"),
        ("fn t(c) { 1 +* 2 }", "rule_syntax"),
        ("fn t(c) { 9223372036854775807 + c.assets }", "rule_failed"),
        ("fn t(c) { c.assets / 0 }", "rule_failed"),
        ("fn t(c) { throw \"no\"; }", "rule_failed"),
        ("fn t(c) { timestamp() }", "unknown_function"),
        ("fn t(c) { sleep(10) }", "forbidden_construct"),
    ];
    for (source, expected) in cases {
        let started = Instant::now();
        assert_eq!(code_of(source), expected, "{source}");
        // Generous bound for a noisy machine; the point is "not forever".
        assert!(
            started.elapsed().as_secs() < 5,
            "{source} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_crash() {
    let deep = format!(
        "fn t(c) {{ {}1{} }}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(code_of(&deep), "rule_syntax");
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
