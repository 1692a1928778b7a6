//! Compiling and validating rulebooks: conventions, analysis, ordering, errors.

use apportion::{Error, ProfileOptions, RuleError, Rulebook, Value, ValueType};

use crate::support::{customers, date, s, small_bank};

fn compile_error(source: &str) -> RuleError {
    match Rulebook::compile(source) {
        Err(Error::Rule(error)) => error,
        other => panic!("expected a rule error, got {other:?}"),
    }
}

#[test]
fn lists_fields_with_their_reads_and_evaluation_order() {
    let rules = Rulebook::compile(
        r#"
        fn score(c) { if c.tier == "HNW" { 90 } else { _base(c) } }
        fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
        fn _base(x) { if "mortgage" in x.products { 40 } else { 10 } }
        "#,
    )
    .unwrap();
    let names: Vec<&str> = rules.fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["score", "tier"]);
    assert_eq!(rules.fields()[0].reads, ["products", "tier"]);
    assert_eq!(rules.fields()[0].depends_on, ["tier"]);
    assert!(!rules.fields()[0].reads_dynamically);
    let order: Vec<&str> = rules.evaluation_order().map(|f| f.name.as_str()).collect();
    assert_eq!(order, ["tier", "score"]);
}

#[test]
fn a_syntax_error_has_line_and_column() {
    let error = compile_error("fn tier(c) {\n  let x = ;\n}");
    assert_eq!(error.code(), "rule_syntax");
    let RuleError::Syntax {
        position: Some(position),
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(position.line, 2);
    assert!(error.to_string().contains("line 2, column"), "{error}");
}

#[test]
fn a_cycle_between_fields_is_named() {
    let error = compile_error("fn a(c) { c.b + 1 }\nfn b(c) { c.c + 1 }\nfn c(x) { x.a + 1 }");
    assert_eq!(error.code(), "dependency_cycle");
    assert_eq!(
        error.to_string(),
        "derived fields read each other in a cycle: `a` -> `b` -> `c` -> `a`"
    );
}

#[test]
fn a_cycle_through_a_helper_is_found() {
    let error = compile_error("fn a(c) { _via(c) }\nfn _via(c) { c.b }\nfn b(c) { c.a }");
    assert_eq!(error.code(), "dependency_cycle");
}

#[test]
fn unknown_functions_are_rejected_before_running() {
    let error = compile_error("fn tier(c) {\n  classify(c.assets)\n}");
    assert_eq!(error.code(), "unknown_function");
    assert_eq!(
        error.to_string(),
        "rule `tier` calls unknown function `classify` at line 2, column 3"
    );
}

#[test]
fn forbidden_constructs_are_rejected() {
    for (source, construct) in [
        ("fn t(c) { eval(\"1\") }", "eval"),
        ("fn t(c) { let f = Fn(\"t\"); 1 }", "function pointers"),
        ("fn t(c) { [1, 2].map(|x| x * 2).len() }", "closures"),
        ("fn t(c) { print(1); 1 }", "print"),
        ("fn t(c) { debug(1); 1 }", "debug"),
        ("let x = 1;\nfn t(c) { 1 }", "statements outside a function"),
    ] {
        let error = compile_error(source);
        assert_eq!(error.code(), "forbidden_construct", "{source}");
        assert!(error.to_string().contains(construct), "{source}: {error}");
    }
}

#[test]
fn modules_do_not_exist_in_the_sandbox() {
    let error = compile_error("fn t(c) {\n  import \"x\" as y;\n  1\n}");
    assert_eq!(error.code(), "rule_syntax");
    assert_eq!(
        error.to_string(),
        "syntax error at line 2, column 3: 'import' is a reserved keyword"
    );
}

#[test]
fn signatures_follow_the_convention() {
    assert_eq!(
        compile_error("fn tier(c, extra) { 1 }").code(),
        "invalid_rule_signature"
    );
    assert_eq!(
        compile_error("fn eligible(c) { true }").code(),
        "invalid_rule_signature"
    );
    assert_eq!(compile_error("fn id(c) { 1 }").code(), "field_conflict");
    // Helpers and pair rules are not fields.
    let rules =
        Rulebook::compile("fn _h(a, b, c) { a }\nfn eligible(c, m) { true }\nfn tier(c) { 1 }")
            .unwrap();
    assert_eq!(rules.fields().len(), 1);
}

#[test]
fn check_finds_reads_of_missing_fields_with_position() {
    let rules = Rulebook::compile("fn tier(c) {\n  if c.asets > 5 { 1 } else { 2 }\n}").unwrap();
    let error = rules.check(&small_bank().schema).unwrap_err();
    assert_eq!(error.code(), "unknown_field");
    assert_eq!(
        error.to_string(),
        "rule `tier` reads unknown field `asets` at line 2, column 8 (did you mean `assets`?)"
    );
    // No suggestion for a name unlike any field.
    let rules = Rulebook::compile("fn tier(c) { c.region }").unwrap();
    let error = rules.check(&small_bank().schema).unwrap_err();
    assert_eq!(
        error.to_string(),
        "rule `tier` reads unknown field `region` at line 1, column 16"
    );
}

#[test]
fn a_date_helper_on_a_text_field_names_the_field_and_the_fix() {
    let book = customers(
        &[("opened", ValueType::Str), ("since", ValueType::Date)],
        &[(
            "C-1",
            None,
            vec![s("2024/01/31"), Value::Date(date("2024-01-31"))],
        )],
    );
    let rules = Rulebook::compile("fn age(c) {\n  days_since(c.opened)\n}").unwrap();
    let error = rules.check(&book.schema).unwrap_err();
    assert_eq!(error.code(), "not_a_date");
    assert_eq!(
        error.to_string(),
        "rule `age` calls `days_since` on `opened` at line 2, column 16, which the input holds as \
         string, not a date: read it as a date (`types={\"opened\": \"date\"}` in Python, \
         `--type opened=date` in the CLI; every value must be YYYY-MM-DD)"
    );
    // On a date field the helper is fine.
    let rules = Rulebook::compile("fn age(c) { years_since(c.since) }").unwrap();
    assert!(rules.check(&book.schema).is_ok());
    // Text that reaches a helper another way fails when run, saying what it got and the fix,
    // never rhai's internal type names or the value.
    let rules =
        Rulebook::compile("fn label(c) { \"x\" + c.opened }\nfn age(c) { days_until(c.label) }")
            .unwrap();
    let error = rules
        .profile(&book, &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    assert_eq!(error.code(), "rule_failed");
    let message = error.to_string();
    assert!(
        message.contains("`days_until` was given text, not a date"),
        "{message}"
    );
    assert!(
        !message.contains("ImmutableString") && !message.contains("2024/01/31"),
        "{message}"
    );
    // A blank value gets its own advice.
    let blank = customers(
        &[("since", ValueType::Date)],
        &[("C-1", None, vec![Value::Null])],
    );
    let rules = Rulebook::compile("fn age(c) { days_since(c.since) }").unwrap();
    let error = rules
        .profile(&blank, &ProfileOptions::new(date("2026-06-30")))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("was given () (a blank value), not a date"),
        "{error}"
    );
}

#[test]
fn check_follows_customers_into_helpers_but_not_other_values() {
    // `_year(d)` reads `d.year` on a date, not on a customer: that is no field read.
    let rules = Rulebook::compile(
        "fn joined(c) { _year(c.onboarded) }\nfn _year(d) { d.year }\nfn big(c) { _a(c) }\nfn _a(x) { x.asset }",
    )
    .unwrap();
    let error = rules.check(&small_bank().schema).unwrap_err();
    assert_eq!(
        error.to_string(),
        "rule `_a` reads unknown field `asset` at line 4, column 14 (did you mean `assets`?)"
    );
}

#[test]
fn a_derived_field_may_not_shadow_an_input_attribute() {
    let rules = Rulebook::compile("fn assets(c) { 1 }").unwrap();
    assert_eq!(
        rules.check(&small_bank().schema).unwrap_err().code(),
        "field_conflict"
    );
}

#[test]
fn computed_keys_are_dynamic_reads() {
    let rules =
        Rulebook::compile("fn pick(c) { let k = \"assets\"; c[k] }\nfn fixed(c) { c[\"assets\"] }")
            .unwrap();
    assert!(rules.fields()[0].reads_dynamically);
    assert!(!rules.fields()[1].reads_dynamically);
    assert_eq!(rules.fields()[1].reads, ["assets"]);
    let schema = customers(&[("assets", ValueType::Int)], &[]).schema;
    rules.check(&schema).unwrap();
}

#[test]
fn the_compiled_rulebook_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Rulebook>();
}

#[test]
fn a_leading_byte_order_mark_is_not_part_of_the_rules() {
    const BOM: &str = "\u{feff}";
    let valid = "fn tier(c) { if c.assets > 1 { \"HNW\" } else { \"MASS\" } }\n";
    let with_mark = Rulebook::compile(&format!("{BOM}{valid}")).unwrap();
    let fields: Vec<&str> = with_mark.fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, ["tier"]);
    assert_eq!(
        with_mark.fields()[0].position,
        Rulebook::compile(valid).unwrap().fields()[0].position
    );
    // Errors on the first line and later ones are where they are without the mark.
    for source in [
        "fn tier(c) { let x = ; }",
        "fn tier(c) {\n  let x = ;\n}",
        "fn tier(c) { nope(c) }",
        "fn tier(c) { eval(\"1\") }",
    ] {
        let without = compile_error(source);
        assert_eq!(
            compile_error(&format!("{BOM}{source}")),
            without,
            "{source}"
        );
    }
    // From bytes too, including a byte that is not UTF-8 on the first line.
    let bytes = |source: &[u8]| [BOM.as_bytes(), source].concat();
    assert!(Rulebook::compile_bytes(&bytes(valid.as_bytes())).is_ok());
    let not_utf8 = b"fn t(c) { \"caf\xe9\" }";
    assert_eq!(
        Rulebook::compile_bytes(&bytes(not_utf8)).unwrap_err(),
        Rulebook::compile_bytes(not_utf8).unwrap_err()
    );
    // Only a leading mark: one further in is still a syntax error.
    assert_eq!(
        compile_error(&format!("{valid}{BOM}")).code(),
        "rule_syntax"
    );
}

#[test]
fn metered_built_ins_give_rhai_s_own_results() {
    // The sandbox replaces these built-ins with versions that pay fuel first: they must answer
    // exactly as rhai's own do, here checked against a plain rhai engine.
    let cases = [
        r#"[1, "a", 2].contains("a")"#,
        r#"[1, 2, 3].contains("2")"#,
        "[1, [2, 3]].contains([2, 3])",
        "let a = [1, 1, 2, 2, 1]; a.dedup(); a.len()",
        "let a = [1, 1, 2, 2, 1]; a.dedup(); a[2]",
        "[1, 2, 3, 2].index_of(2, -2)",
        "[1, 2, 3, 2].index_of(2, 2)",
        "[1, 2, 3].index_of(2, 9)",
        "[1, 2, 3].index_of(9)",
        "[1, [2, 3]] == [1, [2, 3]]",
        "[1, 2] != [1, 3]",
        r#"[1, "2"] == [1, 2]"#,
        r#""a,b,,c".split(",").len()"#,
        r#""a,b,c".split(",", 2)[1]"#,
        r#""a,b,c".split(',').len()"#,
        r#""a,b,c".split(',', 2)[1]"#,
        r#""a,b,c".split_rev(",")[0]"#,
        r#""a,b,c".split_rev(",", 2)[1]"#,
        r#""a,b,c".split_rev(',', 2)[0]"#,
        r#""a b  c".split().len()"#,
        r#""".split().len()"#,
        r#""abc".split("x")[0]"#,
        r#""héllo".to_chars().len()"#,
        r#"let s = "x"; s.pad(4, "ab"); s"#,
        r#"let s = "xyz"; s.pad(2, '-'); s"#,
        "let a = [1]; a.pad(3, 0); a.len()",
        "let a = [1, 2, 3]; a.pad(1, 0); a.len()",
    ];
    let plain = rhai::Engine::new();
    for expr in cases {
        let expected = plain.eval::<rhai::Dynamic>(expr).unwrap().to_string();
        let rules = Rulebook::compile(&format!("fn t(c) {{ {expr} }}")).unwrap();
        let profile = rules
            .profile(&small_bank(), &ProfileOptions::new(date("2026-06-30")))
            .unwrap();
        let got = match &profile.customers[0].values[0] {
            apportion::Value::Int(i) => i.to_string(),
            apportion::Value::Bool(b) => b.to_string(),
            apportion::Value::Str(s) => s.to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(got, expected, "{expr}");
    }
}
