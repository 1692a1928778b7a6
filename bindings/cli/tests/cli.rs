//! The `apportion` binary as a script would use it: outputs, exit codes, error lines.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn apportion(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apportion"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("apportion-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The arguments of `apportion profile` of the example bank's customers with `rules`, as of
/// `as_of`.
fn profile_args<'a>(rules: &'a str, as_of: &'a str) -> Vec<&'a str> {
    let customers = "examples/data/customers.csv";
    vec![
        "profile",
        "--customers",
        customers,
        "--rules",
        rules,
        "--as-of",
        as_of,
    ]
}

/// `apportion profile` of the example bank's customers with `rules`, as of 2026-06-30.
fn profile_example(rules: &str, extra: &[&str]) -> Output {
    let mut args = profile_args(rules, "2026-06-30");
    args.extend_from_slice(extra);
    apportion(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn profile_writes_every_customer_and_summarises() {
    let out = scratch("profile").join("profile.csv");
    let output = profile_example(
        "examples/rules/bank.rhai",
        &[
            "--managers",
            "examples/data/managers.csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let written = std::fs::read_to_string(&out).unwrap();
    let mut lines = written.lines();
    assert_eq!(
        lines.next(),
        Some("id,tier,segment,lifecycle,tags,lead_score,priority,main_need")
    );
    assert_eq!(lines.count(), 3_000);
    assert!(written.contains("\nC-000048,HNW,HNW,active,high_frequency,69,high,none\n"));
    let report = text(&output.stdout);
    assert!(
        report.starts_with("profiled 3000 customers as of 2026-06-30"),
        "{report}"
    );
    assert!(
        report.contains("tier             MASS 2409, AFFLUENT 536, HNW 55"),
        "{report}"
    );
    assert!(
        report.contains("orphaned customers (current manager not among the managers): 171"),
        "{report}"
    );
}

#[test]
fn profile_writes_json_lines_and_the_same_run_twice_is_identical() {
    let dir = scratch("jsonl");
    let run = |name: &str, threads: &str| {
        let out = dir.join(name);
        let output = profile_example(
            "examples/rules/bank.rhai",
            &["--threads", threads, "--out", out.to_str().unwrap()],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        std::fs::read(out).unwrap()
    };
    let one = run("one.jsonl", "1");
    let two = run("two.jsonl", "2");
    assert_eq!(one, two);
    let first: serde_json::Value =
        serde_json::from_slice(one.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["id"], "C-000001");
    assert!(first["tags"].is_array());
}

#[test]
fn check_lists_fields_reads_and_order() {
    let output = apportion(&[
        "check",
        "examples/rules/bank.rhai",
        "--customers",
        "examples/data/customers.csv",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(
        report.contains("segment          reads kind, tier"),
        "{report}"
    );
    assert!(
        report.contains("evaluation order: tier -> segment -> lifecycle -> tags -> lead_score -> priority -> main_need"),
        "{report}"
    );
}

fn assert_fails(output: &Output, exit: i32, code: &str) {
    assert_eq!(output.status.code(), Some(exit), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with(&format!("error[{code}]: ")), "{stderr}");
}

#[test]
fn errors_have_exit_codes_and_stable_codes() {
    let dir = scratch("errors");
    let rules = dir.join("cycle.rhai");
    std::fs::write(&rules, "fn a(c) { c.b }\nfn b(c) { c.a }\n").unwrap();
    assert_fails(
        &apportion(&["check", rules.to_str().unwrap()]),
        4,
        "dependency_cycle",
    );

    let missing = apportion(&[
        "profile",
        "--customers",
        "nope.csv",
        "--rules",
        "examples/rules/bank.rhai",
        "--as-of",
        "2026-06-30",
    ]);
    assert_fails(&missing, 3, "io_error");

    let bad_date = apportion(&profile_args("examples/rules/bank.rhai", "2026-02-30"));
    assert_fails(&bad_date, 2, "invalid_date");

    let unknown = dir.join("unknown.rhai");
    std::fs::write(&unknown, "fn t(c) {\n  c.wealth\n}\n").unwrap();
    let output = apportion(&[
        "check",
        unknown.to_str().unwrap(),
        "--customers",
        "examples/data/customers.csv",
    ]);
    assert_fails(&output, 4, "unknown_field");
    assert!(text(&output.stderr).contains("at line 2, column 5"));
}

#[test]
fn a_failed_run_leaves_no_output_file() {
    let dir = scratch("atomic");
    let rules = dir.join("spin.rhai");
    std::fs::write(&rules, "fn t(c) { if c.assets > 1000000 { loop {} } 1 }\n").unwrap();
    let out = dir.join("profile.csv");
    let output = profile_example(rules.to_str().unwrap(), &["--out", out.to_str().unwrap()]);
    assert_fails(&output, 4, "rule_limit_exceeded");
    assert!(
        text(&output.stderr).contains("for customer `C-000048`"),
        "{}",
        text(&output.stderr)
    );
    assert!(!Path::new(&out).exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "only the rulebook remains"
    );
}

#[test]
fn skip_errors_reports_and_continues() {
    let dir = scratch("skip");
    let rules = dir.join("ratio.rhai");
    std::fs::write(&rules, "fn ratio(c) { 1000000 / (c.transactions_90d) }\n").unwrap();
    let out = dir.join("profile.csv");
    let output = profile_example(
        rules.to_str().unwrap(),
        &["--skip-errors", "--out", out.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(report.contains("skipped "), "{report}");
    assert!(
        report.contains("error[rule_failed]: rule `ratio` failed for customer `C-"),
        "{report}"
    );
    let written = std::fs::read_to_string(out).unwrap().lines().count() - 1;
    let skipped: usize = report
        .split("skipped ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(written + skipped, 3_000);
}

/// `apportion assign` of the example bank as of 2026-06-30, writing the plan to `out`.
fn assign_example(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    with_book("assign", &args)
}

#[test]
fn assign_places_every_example_customer_within_capacity_and_reports() {
    let out = scratch("assign").join("plan.csv");
    let output = assign_example(&out, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout) + &text(&output.stderr);
    assert!(
        report.contains("assigned 3000 of 3000 customers"),
        "{report}"
    );
    assert!(report.contains("unassigned: none"), "{report}");

    let capacity: std::collections::HashMap<String, usize> =
        std::fs::read_to_string(root().join("examples/data/managers.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                (cells[0].to_owned(), cells[7].parse().unwrap())
            })
            .collect();
    let written = std::fs::read_to_string(&out).unwrap();
    let mut lines = written.lines();
    assert_eq!(
        lines.next(),
        Some("customer,manager,previous_manager,moved,affinity,move_penalty,unassigned_reason")
    );
    let mut load: std::collections::HashMap<String, usize> = Default::default();
    let mut rows = 0;
    for line in lines {
        rows += 1;
        let manager = line.split(',').nth(1).unwrap();
        assert!(capacity.contains_key(manager), "{line}");
        *load.entry(manager.to_owned()).or_default() += 1;
    }
    assert_eq!(rows, 3000);
    for (manager, n) in load {
        assert!(n <= capacity[&manager], "{manager} holds {n}");
    }
}

#[test]
fn assign_is_identical_on_one_and_two_threads() {
    let dir = scratch("assign-threads");
    let (one, two) = (dir.join("one.csv"), dir.join("two.csv"));
    assert!(assign_example(&one, &["--threads", "1"]).status.success());
    assert!(assign_example(&two, &["--threads", "2"]).status.success());
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
}

/// `apportion assign --dry-run` of the shipped lender with `rules`: its report (after
/// checking it succeeded) and the pair classes it counts.
fn lender_dry_run(rules: &str) -> (String, usize) {
    let output = apportion(&[
        "assign",
        "--dry-run",
        "--customers",
        "examples/data/lender/borrowers.csv",
        "--managers",
        "examples/data/lender/managers.csv",
        "--rules",
        rules,
        "--as-of",
        "2026-06-30",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    let classes: Option<usize> = report
        .split("network: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok());
    assert!(classes.is_some(), "{report}");
    (report, classes.unwrap())
}

#[test]
fn a_dry_run_of_the_lender_reports_its_network_without_solving() {
    let (report, classes) = lender_dry_run("examples/rules/lender.rhai");
    assert!(
        report.contains("3000 of 3000 customers to place"),
        "{report}"
    );
    // The lender's pair rules read the current manager and a lead score: nearly one pair
    // class per borrower.
    assert!(classes > 2_000 && classes <= 3_000, "{report}");
    assert!(!report.contains("objective"), "{report}");
    // A score compared only with a constant splits borrowers into its two sides, not its
    // hundreds of values: the classes follow the rule.
    let rules = scratch("dry-run-regions").join("score.rhai");
    std::fs::write(
        &rules,
        "fn eligible(c, m) { c.province == m.province && c.credit_score >= 700 }\n",
    )
    .unwrap();
    let (report, classes) = lender_dry_run(rules.to_str().unwrap());
    assert!(
        report.contains("classed by region: credit_score at 700"),
        "{report}"
    );
    assert!(classes <= 13 * 3, "{report}");
    // A dry run writes no plan, so an output file is refused outright.
    let out = scratch("dry-run").join("plan.csv");
    let refused = with_book("assign", &["--dry-run", "--out", out.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(!out.exists());
}

#[test]
fn assign_rejects_a_negative_policy_with_its_code() {
    let out = scratch("assign-policy").join("plan.csv");
    let output = assign_example(&out, &["--balance=-3"]);
    assert_fails(&output, 2, "invalid_policy");
    assert!(!out.exists());
}

/// The example bank's book, as the arguments `route` and `rebalance` share.
const BOOK: [&str; 8] = [
    "--customers",
    "examples/data/customers.csv",
    "--managers",
    "examples/data/managers.csv",
    "--rules",
    "examples/rules/bank.rhai",
    "--as-of",
    "2026-06-30",
];

fn with_book(command: &str, extra: &[&str]) -> Output {
    let mut args = vec![command];
    args.extend_from_slice(&BOOK);
    args.extend_from_slice(extra);
    apportion(&args)
}

const LEAD: &str = r#"{"id":"L-1","kind":"individual","region":"capital","branch":"BR-K01","assets":2500000,"income":90000,"age":50,"risk_preference":"growth","products":["savings"],"transactions_90d":10,"days_since_last_txn":2,"last_txn_date":"2026-06-28","onboarded":"2020-01-01","language":"en","has_mortgage_enquiry":false,"credit_score":700}"#;

#[test]
fn route_decides_each_lead_and_explains_it() {
    let output = with_book("route", &["--lead", LEAD]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decision["customer"], "L-1");
    assert_eq!(decision["basis"], "marginal");
    let manager = decision["manager"].as_str().unwrap().to_owned();
    assert!(decision["runner_up"].is_string(), "{decision}");
    // The lead is HNW in the capital: only a private banker there may take them.
    let managers = std::fs::read_to_string(root().join("examples/data/managers.csv")).unwrap();
    let row = managers
        .lines()
        .find(|l| l.starts_with(&format!("{manager},")))
        .unwrap();
    assert!(
        row.contains("capital") && row.contains("private_banking"),
        "{row}"
    );
    assert!(text(&output.stderr).contains("routed 1 leads (marginal 1)"));
}

#[test]
fn route_reads_a_stream_reports_bad_lines_and_writes_atomically() {
    let dir = scratch("route");
    let leads = dir.join("leads.jsonl");
    let second = LEAD.replace("L-1", "L-2");
    let bad = r#"{"id":"L-3","assets":"lots"}"#;
    let unknown = r#"{"id":"L-4","colour":"red"}"#;
    std::fs::write(&leads, format!("{LEAD}\n\n{second}\n{bad}\n{unknown}\n")).unwrap();
    let out = dir.join("decisions.jsonl");
    let leads_arg = leads.to_str().unwrap();
    let out_arg = out.to_str().unwrap();

    // Without --skip-errors the first bad line stops the run, and no file is left.
    let stopped = with_book("route", &["--leads", leads_arg, "--out", out_arg]);
    assert_fails(&stopped, 3, "invalid_value");
    assert!(
        text(&stopped.stderr).contains("lead line 4"),
        "{}",
        text(&stopped.stderr)
    );
    assert!(!out.exists());

    let skipped = with_book(
        "route",
        &["--leads", leads_arg, "--out", out_arg, "--skip-errors"],
    );
    assert_eq!(skipped.status.code(), Some(3));
    let stderr = text(&skipped.stderr);
    assert!(stderr.contains("error[leads_failed]: 2 leads"), "{stderr}");
    assert!(
        stderr.contains("error[unknown_column]") && stderr.contains("colour"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    let customers: Vec<String> = written
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["customer"].to_string())
        .collect();
    assert_eq!(customers, ["\"L-1\"", "\"L-2\""]);

    let twice = with_book("route", &["--lead", &LEAD.replace("L-1", "C-000001")]);
    assert_fails(&twice, 3, "already_in_book");
}

#[test]
fn rebalance_keeps_within_the_churn_budget_or_says_why_not() {
    let out = scratch("rebalance").join("plan.csv");
    let output = with_book(
        "rebalance",
        &["--max-moves", "400", "--out", out.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(report.contains("within 400 moves"), "{report}");
    let plan = std::fs::read_to_string(&out).unwrap();
    assert_eq!(plan.lines().count(), 3_001);

    let too_small = with_book("rebalance", &["--max-moves", "10"]);
    assert_fails(&too_small, 7, "churn_budget_too_small");
    assert!(text(&too_small.stderr).contains("at least 348"));
}

#[test]
fn every_bad_input_fails_with_its_code_and_leaves_no_output() {
    let matrix = std::fs::read_to_string(root().join("engine/tests/data/bad_inputs.json")).unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&matrix).unwrap();
    let dir = scratch("matrix");
    let rules = dir.join("rules.rhai");
    std::fs::write(&rules, "fn one(c) { 1 }").unwrap();
    let customers = dir.join("book.csv");
    std::fs::write(&customers, "id,assets\nC-1,5\n").unwrap();
    let out = dir.join("out.csv");
    let mut wrong = Vec::new();
    for case in cases {
        let field = |name: &str| case[name].as_str().unwrap_or_default().to_owned();
        let (name, file, code) = (field("name"), field("file"), field("code"));
        let input = dir.join(&file);
        // `<10MB>` stands for ten mebibytes of text; `bytes` holds input that is not text.
        let bytes = match case["bytes"].as_array() {
            Some(bytes) => bytes.iter().map(|b| b.as_u64().unwrap() as u8).collect(),
            None => field("text")
                .replace("<10MB>", &"x".repeat(10 << 20))
                .into_bytes(),
        };
        std::fs::write(&input, bytes).unwrap();
        let input = input.to_str().unwrap().to_owned();
        let mut args = if field("input") == "customers" {
            vec!["profile", "--customers", &input]
        } else {
            vec![
                "assign",
                "--customers",
                customers.to_str().unwrap(),
                "--managers",
                &input,
            ]
        };
        args.extend(["--rules", rules.to_str().unwrap(), "--as-of", "2026-06-30"]);
        args.extend(["--out", out.to_str().unwrap()]);
        let types: Vec<String> = case["types"]
            .as_object()
            .map(|types| {
                types
                    .iter()
                    .map(|(c, t)| format!("{c}={}", t.as_str().unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        for t in &types {
            args.extend(["--type", t]);
        }
        let output = apportion(&args);
        let stderr = text(&output.stderr);
        let ok = if code == "ok" {
            output.status.success()
        } else {
            output.status.code() == Some(3)
                && stderr.starts_with(&format!("error[{code}]: "))
                && stderr.contains(&file)
                && !out.exists()
        };
        if !ok {
            wrong.push(format!("{name}: {:?} {stderr:.200}", output.status.code()));
        }
        let _ = std::fs::remove_file(&out);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn private_fields_are_refused_and_errors_withhold_values() {
    let dir = scratch("privacy");
    let customers = dir.join("customers.csv");
    std::fs::write(&customers, "id,assets,phone\nC-1,2500000,+44 7700 900123\n").unwrap();
    let reads_phone = dir.join("phone.rhai");
    std::fs::write(&reads_phone, "fn t(c) { c.phone }").unwrap();
    let divides = dir.join("divide.rhai");
    std::fs::write(&divides, "fn t(c) { c.assets / (c.assets - c.assets) }").unwrap();
    let run = |rules: &Path, extra: &[&str]| {
        let mut args = vec![
            "profile",
            "--customers",
            customers.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--as-of",
            "2026-06-30",
        ];
        args.extend_from_slice(extra);
        apportion(&args)
    };
    assert_fails(
        &run(&reads_phone, &["--private", "phone,national_id"]),
        4,
        "private_field",
    );
    let withheld = run(&divides, &[]);
    assert_fails(&withheld, 4, "rule_failed");
    assert!(!text(&withheld.stderr).contains("2500000"));
    let revealed = run(&divides, &["--reveal-values"]);
    assert!(text(&revealed.stderr).contains("2500000 / 0"));

    // `--private` holds for the managers' fields of that name too.
    let managers = dir.join("managers.csv");
    std::fs::write(&managers, "id,capacity,phone\nM-1,5,+44 7700 900124\n").unwrap();
    let assign = |source: &str| {
        let rules = dir.join("pair.rhai");
        std::fs::write(&rules, source).unwrap();
        apportion(&[
            "assign",
            "--customers",
            customers.to_str().unwrap(),
            "--managers",
            managers.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--as-of",
            "2026-06-30",
            "--private",
            "phone",
        ])
    };
    assert_fails(
        &assign("fn eligible(c, m) { m.phone != \"\" }"),
        4,
        "private_field",
    );
    let computed = assign("fn eligible(c, m) { let k = \"pho\"; m[k + \"ne\"] != \"\" }");
    assert_fails(&computed, 4, "rule_failed");
    assert!(!text(&computed.stderr).contains("7700"));
}

#[test]
fn a_rulebook_that_is_not_utf8_is_a_syntax_error_at_its_position() {
    let rules = scratch("utf8").join("rules.rhai");
    std::fs::write(&rules, b"fn t(c) {\n  \"caf\xe9\"\n}\n").unwrap();
    let output = apportion(&["check", rules.to_str().unwrap()]);
    assert_fails(&output, 4, "rule_syntax");
    assert!(
        text(&output.stderr).contains("line 2, column 7"),
        "{}",
        text(&output.stderr)
    );
}

/// Every command that takes the option, run with `extra` on the example bank.
fn in_every_command(option: &str, extra: &[&str]) -> Vec<(&'static str, Output)> {
    let commands: &[&'static str] = match option {
        "--balance" => &["assign", "rebalance", "route"],
        "--threads" => &["profile", "assign", "rebalance"],
        _ => &["profile", "assign", "rebalance", "route"],
    };
    commands
        .iter()
        .map(|&command| {
            let mut args: Vec<&str> = vec![command];
            if command == "profile" {
                args.extend(["--customers", "examples/data/customers.csv"]);
                args.extend(["--rules", "examples/rules/bank.rhai"]);
            } else {
                // The book without its date.
                args.extend_from_slice(&BOOK[..6]);
            }
            if !extra.contains(&"--as-of") {
                args.extend(["--as-of", "2026-06-30"]);
            }
            args.extend_from_slice(extra);
            match command {
                "rebalance" => args.extend(["--max-moves", "400"]),
                "route" => args.extend(["--lead", LEAD]),
                _ => {}
            }
            let output = apportion(&args);
            (command, output)
        })
        .collect()
}

#[test]
fn the_same_bad_value_gets_the_same_code_and_exit_in_every_command() {
    let cases: [(&str, &[&str], &str); 7] = [
        ("--balance", &["--balance=-1"], "invalid_policy"),
        ("--threads", &["--threads", "0"], "invalid_threads"),
        ("--threads", &["--threads", "257"], "invalid_threads"),
        ("--type", &["--type", "assets=decimal"], "unknown_type"),
        ("--type", &["--type", "produts=list"], "unknown_type_column"),
        ("--as-of", &["--as-of", "2026-02-30"], "invalid_date"),
        ("--nope", &["--nope"], "usage"),
    ];
    for (option, extra, code) in cases {
        for (command, output) in in_every_command(option, extra) {
            let stderr = text(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{command} {extra:?}: {stderr}"
            );
            assert!(
                stderr.starts_with(&format!("error[{code}]: ")),
                "{command} {extra:?}: {stderr}"
            );
        }
    }
    let typo = profile_example("examples/rules/bank.rhai", &["--type", "produts=list"]);
    assert!(
        text(&typo.stderr).ends_with("(did you mean `products`?)\n"),
        "{}",
        text(&typo.stderr)
    );
    let threads = profile_example("examples/rules/bank.rhai", &["--threads", "10000"]);
    assert!(
        text(&threads.stderr).contains("use 1 to 256 worker threads"),
        "{}",
        text(&threads.stderr)
    );
    // A missing argument is a usage error too, with clap's explanation after the code.
    let missing = apportion(&["profile", "--rules", "examples/rules/bank.rhai"]);
    assert_fails(&missing, 2, "usage");
    assert!(text(&missing.stderr).contains("--customers"));
    // Help is not an error.
    assert!(apportion(&["--help"]).status.success());
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = scratch("out-is-input");
    let customers = dir.join("customers.csv");
    let rules = dir.join("rules.rhai");
    let managers = dir.join("managers.csv");
    let leads = dir.join("leads.jsonl");
    std::fs::copy(root().join("examples/data/customers.csv"), &customers).unwrap();
    std::fs::copy(root().join("examples/rules/bank.rhai"), &rules).unwrap();
    std::fs::copy(root().join("examples/data/managers.csv"), &managers).unwrap();
    std::fs::write(&leads, format!("{LEAD}\n")).unwrap();
    let symlink = dir.join("link.csv");
    std::os::unix::fs::symlink(&customers, &symlink).unwrap();
    let hard_link = dir.join("hard.csv");
    std::fs::hard_link(&customers, &hard_link).unwrap();
    // `x/../customers.csv` names the same file by another path.
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let roundabout = sub.join("../customers.csv");
    let before: Vec<Vec<u8>> = [&customers, &rules, &managers, &leads]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let (c, r, m, l) = (
        path(&customers),
        path(&rules),
        path(&managers),
        path(&leads),
    );
    let base = |command: &str| -> Vec<String> {
        let mut args = vec![command.to_owned(), "--customers".into(), c.clone()];
        args.extend([
            "--rules".into(),
            r.clone(),
            "--as-of".into(),
            "2026-06-30".into(),
        ]);
        if command != "profile" {
            args.extend(["--managers".into(), m.clone()]);
        }
        match command {
            "rebalance" => args.extend(["--max-moves".into(), "400".into()]),
            "route" => args.extend(["--leads".into(), l.clone()]),
            _ => {}
        }
        args
    };
    let runs: Vec<(&str, String, &str)> = vec![
        ("profile", c.clone(), "--customers"),
        ("profile", path(&symlink), "--customers"),
        ("profile", path(&hard_link), "--customers"),
        ("profile", path(&roundabout), "--customers"),
        ("profile", r.clone(), "--rules"),
        ("assign", m.clone(), "--managers"),
        ("rebalance", c.clone(), "--customers"),
        ("route", l.clone(), "--leads"),
        ("route", m.clone(), "--managers"),
    ];
    for (command, out, input) in runs {
        let mut args = base(command);
        args.extend(["--out".into(), out.clone(), "--format".into(), "csv".into()]);
        if command == "route" {
            args.truncate(args.len() - 2);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = apportion(&args);
        assert_fails(&output, 2, "output_is_input");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("the {input} input")), "{stderr}");
    }
    let after: Vec<Vec<u8>> = [&customers, &rules, &managers, &leads]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(before == after, "an input was changed");
    assert!(
        std::fs::symlink_metadata(&symlink)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn out_follows_symlinks_keeps_modes_and_streams_to_devices_and_fifos() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    let dir = scratch("out-kinds");
    let profile_to = |out: &Path| {
        let output = profile_example(
            "examples/rules/bank.rhai",
            &["--out", out.to_str().unwrap(), "--format", "csv"],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
    };
    let expected_start = "id,tier,segment,lifecycle,tags,lead_score,priority,main_need\n";

    // A 0600 file stays 0600.
    let private = dir.join("private.csv");
    std::fs::write(&private, "old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    profile_to(&private);
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        std::fs::read_to_string(&private)
            .unwrap()
            .starts_with(expected_start)
    );

    // A symlink stays a symlink; its file gets the output, also one that does not exist yet.
    let elsewhere = scratch("out-kinds-target");
    for (link_name, target_name, exists) in [
        ("link.csv", "real.csv", true),
        ("dangling.csv", "new.csv", false),
    ] {
        let target = elsewhere.join(target_name);
        if exists {
            std::fs::write(&target, "old").unwrap();
        }
        let link = dir.join(link_name);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        profile_to(&link);
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::read_to_string(&target)
                .unwrap()
                .starts_with(expected_start)
        );
    }
    // No temporary file is left beside either.
    for folder in [&dir, &elsewhere] {
        for entry in std::fs::read_dir(folder).unwrap() {
            let name = entry.unwrap().file_name();
            assert!(!name.to_string_lossy().ends_with(".tmp"), "{name:?}");
        }
    }

    // A character device is written, not replaced.
    profile_to(Path::new("/dev/null"));
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );

    // `/dev/stdout` appending to a file writes through it: the file is not replaced.
    let log = dir.join("log.txt");
    std::fs::write(&log, "kept\n").unwrap();
    let appended = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let mut args = vec!["profile", "--customers", "examples/data/customers.csv"];
    args.extend([
        "--rules",
        "examples/rules/bank.rhai",
        "--as-of",
        "2026-06-30",
    ]);
    args.extend(["--out", "/dev/stdout", "--format", "csv"]);
    let status = Command::new(env!("CARGO_BIN_EXE_apportion"))
        .args(&args)
        .current_dir(root())
        .stdout(appended)
        .status()
        .unwrap();
    assert!(status.success());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.starts_with(&format!("kept\n{expected_start}")),
        "{logged:.200}"
    );

    // A regular file under /dev (tmpfs) is replaced like any other.
    let shm = PathBuf::from(format!("/dev/shm/apportion-cli-{}.csv", std::process::id()));
    if Path::new("/dev/shm").is_dir() {
        std::fs::write(&shm, "old content, longer than nothing\n").unwrap();
        profile_to(&shm);
        assert!(
            std::fs::read_to_string(&shm)
                .unwrap()
                .starts_with(expected_start)
        );
        std::fs::remove_file(&shm).unwrap();
    }

    // A FIFO is written as the output is made; a reader gets all of it.
    let fifo = dir.join("fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    profile_to(&fifo);
    let read = reader.join().unwrap();
    assert!(read.starts_with(expected_start));
    assert_eq!(read.lines().count(), 3_001);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

    // A directory is an output error, and stays a directory.
    let folder = dir.join("folder.csv");
    std::fs::create_dir_all(&folder).unwrap();
    let output = profile_example(
        "examples/rules/bank.rhai",
        &["--out", folder.to_str().unwrap()],
    );
    assert_fails(&output, 5, "output_error");
    assert!(folder.is_dir());
}

#[test]
fn ctrl_c_during_route_leaves_no_temporary_file() {
    use std::io::Write;
    use std::process::Stdio;

    // Ctrl-C, and the signals a service manager or a closed terminal sends.
    for signal in ["-INT", "-TERM", "-HUP"] {
        let dir = scratch(&format!("interrupt{signal}"));
        let out = dir.join("decisions.jsonl");
        let mut args: Vec<&str> = vec!["route"];
        args.extend_from_slice(&BOOK);
        let out_arg = out.to_str().unwrap().to_owned();
        args.extend(["--leads", "-", "--out", &out_arg]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_apportion"))
            .args(&args)
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // One lead routed, then the leads stay open: the run waits for more, its file unfinished.
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{LEAD}").unwrap();
        stdin.flush().unwrap();
        let temporary = dir.join(format!("decisions.jsonl.{}.tmp", child.id()));
        let mut polls = 0;
        while !temporary.exists() {
            assert!(polls < 6_000, "the temporary file never appeared");
            polls += 1;
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let interrupted = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(interrupted.success());
        let output = child.wait_with_output().unwrap();
        drop(stdin);
        assert_fails(&output, 130, "interrupted");
        assert!(!temporary.exists());
        assert!(!out.exists());
    }
}

#[test]
fn route_skips_lines_that_are_not_utf8_or_too_long_and_goes_on() {
    let dir = scratch("route-lines");
    let leads = dir.join("leads.jsonl");
    let mut bytes = format!("{LEAD}\n").into_bytes();
    // Line 2: a lead whose name is Latin-1, not UTF-8.
    bytes.extend_from_slice(b"{\"id\":\"L-9\",\"region\":\"caf\xe9\"}\n");
    // Line 3: two mebibytes on one line, more than a cell may hold.
    bytes.extend_from_slice(
        format!(
            "{{\"id\":\"L-8\",\"region\":\"{}\"}}\n",
            "x".repeat(2 << 20)
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(format!("{}\n", LEAD.replace("L-1", "L-2")).as_bytes());
    std::fs::write(&leads, &bytes).unwrap();
    let out = dir.join("decisions.jsonl");
    let run = |leads_arg: &str, stdin: Option<&[u8]>| {
        let mut args: Vec<&str> = vec!["route"];
        args.extend_from_slice(&BOOK);
        let out_arg = out.to_str().unwrap();
        args.extend(["--leads", leads_arg, "--out", out_arg, "--skip-errors"]);
        let mut command = Command::new(env!("CARGO_BIN_EXE_apportion"));
        command.args(&args).current_dir(root());
        let output = match stdin {
            None => command.output().unwrap(),
            Some(input) => {
                use std::io::Write;
                command
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = command.spawn().unwrap();
                let mut pipe = child.stdin.take().unwrap();
                pipe.write_all(input).unwrap();
                drop(pipe);
                child.wait_with_output().unwrap()
            }
        };
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("error[leads_failed]: 2 leads"), "{stderr}");
        assert!(
            stderr.contains("error[malformed_input]: malformed input at `lead line 2`"),
            "{stderr}"
        );
        assert!(
            stderr.contains("error[cell_too_large]: cell too large at `lead line 3`"),
            "{stderr}"
        );
        assert!(!stderr.contains("xxxx"), "the long line is not repeated");
        let customers: Vec<String> = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["customer"].to_string())
            .collect();
        assert_eq!(customers, ["\"L-1\"", "\"L-2\""]);
    };
    run(leads.to_str().unwrap(), None);
    std::fs::remove_file(&out).unwrap();
    run("-", Some(&bytes));
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    // `apportion profile ... | head -c 100`: the table is far larger than a pipe holds, so the
    // run meets the closed pipe while writing, and again with its report.
    let mut child = Command::new(env!("CARGO_BIN_EXE_apportion"))
        .args(profile_args("examples/rules/bank.rhai", "2026-06-30"))
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(text(&head).starts_with("id,"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !text(&output.stderr).contains("error"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn the_top_level_help_names_every_command() {
    let output = apportion(&["--help"]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    let about = help.split("Usage:").next().unwrap();
    let commands = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap();
    let names: Vec<&str> = commands
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(names.len() >= 5, "{help}");
    for name in names {
        assert!(
            about.contains(&format!("`{name}`")),
            "`{name}` missing from: {about}"
        );
    }
}

#[test]
fn the_as_of_date_is_given_or_asked_for_as_today() {
    // Without it the same files would give another plan tomorrow: a usage error.
    let args = [
        "profile",
        "--customers",
        "examples/data/customers.csv",
        "--rules",
        "examples/rules/bank.rhai",
    ];
    let missing = apportion(&args);
    assert_fails(&missing, 2, "missing_as_of");
    assert!(text(&missing.stderr).contains("--as-of"));
    // `today` is taken when asked for, and the report names the date used.
    let out = scratch("as-of-today").join("profile.csv");
    let mut today = args.to_vec();
    today.extend(["--as-of", "today", "--out", out.to_str().unwrap()]);
    let output = apportion(&today);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    let date = report
        .split(" as of ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let shape = date
        .bytes()
        .map(|b| if b.is_ascii_digit() { b'9' } else { b });
    assert_eq!(shape.collect::<Vec<u8>>(), b"9999-99-99", "{report}");
    assert!(
        report.contains(&format!("as of {date} (today)")),
        "{report}"
    );
}

/// `apportion tickets` on the example bank's tickets and queues, with extra arguments.
fn tickets_example(extra: &[&str]) -> Output {
    let mut args = vec!["tickets", "--tickets", "examples/data/tickets.csv"];
    args.extend(["--queues", "examples/data/queues.csv"]);
    args.extend(["--customers", "examples/data/customers.csv"]);
    args.extend(["--rules", "examples/rules/bank.rhai"]);
    args.extend_from_slice(extra);
    apportion(&args)
}

#[test]
fn tickets_go_to_their_queues_in_input_order_with_reasons() {
    let output = tickets_example(&["--as-of", "2026-06-30"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows = text(&output.stdout);
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(
        rows,
        [
            "ticket,queue,reason,detail",
            // An HNW customer's complaint goes to the private desk, another's to complaints.
            "T-0001,private_desk,,",
            "T-0002,complaints,,",
            "T-0003,cards,,",
            // An SME customer's loan goes to the SME desk.
            "T-0004,sme_desk,,",
            "T-0005,lending,,",
            "T-0006,private_desk,,",
            // A customer the book does not know is no HNW customer.
            "T-0007,complaints,,",
            // The cards queue takes one ticket.
            "T-0008,,queue_full,cards",
            "T-0009,,no_queue,",
            "T-0010,,queue_full,cards",
        ]
    );
    let report = text(&output.stderr);
    assert!(
        report.starts_with("routed 7 of 10 tickets as of 2026-06-30\n"),
        "{report}"
    );
    assert!(report.contains("cards 1/1"), "{report}");
    // The date is required, and a type for no column of the tickets or customers is refused.
    assert_fails(&tickets_example(&[]), 2, "missing_as_of");
    let typo = tickets_example(&["--as-of", "2026-06-30", "--type", "chanel=string"]);
    assert_fails(&typo, 2, "unknown_type_column");
    assert!(text(&typo.stderr).contains("did you mean `channel`?"));
}

#[test]
fn a_plan_written_to_a_file_has_its_provenance_beside_it() {
    let dir = scratch("provenance");
    let out = dir.join("plan.csv");
    let output = assign_example(&out, &["--threads", "1"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let sidecar = std::fs::read_to_string(dir.join("plan.csv.provenance.json")).unwrap();
    let provenance: serde_json::Value = serde_json::from_str(&sidecar).unwrap();
    assert_eq!(provenance["as_of"], "2026-06-30");
    assert_eq!(provenance["policy"]["move_penalty"], 500);
    assert_eq!(provenance["threads"], 1);
    let digest = provenance["customers_blake3"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);
    // The report names the digests too; another thread count, the same digests.
    let again = assign_example(&out, &["--threads", "2"]);
    assert!(text(&again.stdout).contains(&format!("customers blake3 {digest}")));
}

#[test]
fn a_json_plan_is_one_document_with_its_provenance() {
    let dir = scratch("json-document");
    let out = dir.join("plan.json");
    let output = assign_example(&out, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let report = text(&output.stdout);
    let total = document["objective"]["total"].as_i64().unwrap();
    assert!(report.contains(&format!("objective {total} =")), "{report}");
    assert_eq!(document["assignments"].as_array().unwrap().len(), 3_000);
    assert_eq!(document["loads"].as_array().unwrap().len(), 50);
    assert_eq!(document["statistics"]["balance"]["assigned"], 3_000);
    assert_eq!(document["provenance"]["as_of"], "2026-06-30");
    // Everything is in the document: no file beside it.
    assert!(!dir.join("plan.json.provenance.json").exists());
}

#[test]
fn verify_accepts_the_plan_assign_wrote_and_names_an_edit() {
    let dir = scratch("verify");
    for name in ["plan.csv", "plan.json", "plan.jsonl"] {
        let plan = dir.join(name);
        let output = assign_example(&plan, &["--threads", "1"]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let checked = with_book("verify", &["--plan", plan.to_str().unwrap()]);
        assert!(
            checked.status.success(),
            "{name}: {}",
            text(&checked.stderr)
        );
        let report = text(&checked.stdout);
        assert!(report.contains("checked 3000 rows"), "{report}");
        assert!(report.contains("the plan holds"), "{report}");
        assert!(!report.contains("provenance: none"), "{name}: {report}");
    }
    // One customer's manager changed by hand, in the CSV: rejected, the customer named, and
    // every difference in --out.
    let plan = dir.join("plan.csv");
    let written = std::fs::read_to_string(&plan).unwrap();
    let mut lines: Vec<String> = written.lines().map(str::to_owned).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    let customer = cells[0].clone();
    cells[1] = if cells[1] == "M-001" {
        "M-002"
    } else {
        "M-001"
    }
    .to_owned();
    lines[1] = cells.join(",");
    let edited = dir.join("edited.csv");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    std::fs::copy(
        dir.join("plan.csv.provenance.json"),
        dir.join("edited.csv.provenance.json"),
    )
    .unwrap();
    let differences = dir.join("differences.csv");
    let checked = with_book(
        "verify",
        &[
            "--plan",
            edited.to_str().unwrap(),
            "--out",
            differences.to_str().unwrap(),
        ],
    );
    assert_fails(&checked, 8, "plan_differs");
    let report = text(&checked.stdout);
    assert!(
        report.contains(&format!("assignment_differs `{customer}`")),
        "{report}"
    );
    let listed = std::fs::read_to_string(&differences).unwrap();
    assert!(listed.starts_with("code,record,message\n"), "{listed}");
    assert!(
        listed.contains(&format!("assignment_differs,{customer},")),
        "{listed}"
    );
    // Checked against another date: the provenance says so.
    let plan = dir.join("plan.json");
    let mut args: Vec<&str> = vec!["verify", "--plan", plan.to_str().unwrap()];
    args.extend_from_slice(&BOOK[..6]);
    args.extend(["--as-of", "2026-07-01"]);
    let checked = apportion(&args);
    assert_fails(&checked, 8, "plan_differs");
    assert!(text(&checked.stdout).contains("as_of_differs"));
    // A file that is not a plan: its place named.
    let output = with_book("verify", &["--plan", "examples/data/managers.csv"]);
    assert_fails(&output, 3, "malformed_input");
}

#[test]
fn assign_writes_loads_with_shadow_prices_and_reports_the_highest() {
    let dir = scratch("loads-out");
    let plan = dir.join("plan.json");
    let loads = dir.join("loads.csv");
    let output = assign_example(&plan, &["--loads-out", loads.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let written = std::fs::read_to_string(&loads).unwrap();
    let mut lines = written.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..6],
        [
            "manager",
            "load",
            "capacity",
            "target",
            "utilisation",
            "shadow_price"
        ]
    );
    let mut highest = (String::new(), 0);
    for (line, load) in lines.zip(document["loads"].as_array().unwrap()) {
        let cells: Vec<&str> = line.split(',').collect();
        let price: i64 = cells[5].parse().unwrap();
        assert_eq!(cells[0], load["manager"]);
        assert_eq!(price, load["shadow_price"].as_i64().unwrap());
        // Only a full manager can have a price.
        let (held, capacity): (u32, u32) = (cells[1].parse().unwrap(), cells[2].parse().unwrap());
        assert!(price == 0 || held == capacity, "{line}");
        if price > highest.1 {
            highest = (cells[0].to_owned(), price);
        }
    }
    assert!(
        highest.1 > 0,
        "the example bank has full managers worth a place"
    );
    let report = text(&output.stdout);
    assert!(
        report.contains("would save; ") && report.contains(&format!("{} {}", highest.0, highest.1)),
        "{report}"
    );
    // The loads may not overwrite the plan.
    let output = assign_example(&plan, &["--loads-out", plan.to_str().unwrap()]);
    assert_fails(&output, 2, "output_is_input");
}

#[test]
fn explain_names_the_plans_choice_the_alternatives_and_the_failing_clauses() {
    let out = scratch("explain").join("why.json");
    let output = with_book(
        "explain",
        &["--customer", "C-000004", "--out", out.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(report.starts_with("C-000004 is with M-"), "{report}");
    assert!(report.contains("lead_score = "), "{report}");
    assert!(report.contains("the plan's choice: M-"), "{report}");
    assert!(
        report.contains("not eligible, line 134, column 8: `c.region != m.region` held"),
        "{report}"
    );
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let managers = document["managers"].as_array().unwrap();
    assert_eq!(managers.len(), 50);
    let assigned: Vec<&serde_json::Value> = managers
        .iter()
        .filter(|m| m["verdict"] == "assigned")
        .collect();
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0]["manager"], document["manager"]);
    // Every eligible alternative costs at least the plan: it is optimal.
    for option in managers.iter().filter(|m| m["verdict"] == "eligible") {
        assert!(
            option["extra_cost"]["total"].as_i64().unwrap() >= 0,
            "{option}"
        );
    }
    let output = with_book("explain", &["--customer", "C-NOBODY"]);
    assert_fails(&output, 3, "unknown_customer");
}

#[test]
fn diff_compares_plans_and_rulebooks() {
    let dir = scratch("diff");
    let plan = dir.join("plan.json");
    assert!(assign_example(&plan, &[]).status.success());
    let same = apportion(&[
        "diff",
        "--before",
        plan.to_str().unwrap(),
        "--after",
        plan.to_str().unwrap(),
    ]);
    assert!(same.status.success(), "{}", text(&same.stderr));
    assert!(
        text(&same.stdout).contains("no change"),
        "{}",
        text(&same.stdout)
    );
    // A lower HNW threshold and a cheaper move, on the same book.
    let rules = std::fs::read_to_string(root().join("examples/rules/bank.rhai")).unwrap();
    let lower = dir.join("lower.rhai");
    std::fs::write(
        &lower,
        rules.replacen("c.assets >= 1_000_000", "c.assets >= 500_000", 1),
    )
    .unwrap();
    let moves = dir.join("moves.csv");
    let output = with_book(
        "diff",
        &[
            "--after-rules",
            lower.to_str().unwrap(),
            "--after-move-penalty",
            "300",
            "--out",
            moves.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(report.contains("tiers: AFFLUENT -> HNW "), "{report}");
    assert!(report.contains("eligibility changed for "), "{report}");
    let moved: usize = report
        .split("moves: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(moved > 0);
    let written = std::fs::read_to_string(&moves).unwrap();
    assert_eq!(
        written.lines().count(),
        moved + 1,
        "a header and a row per move"
    );
    let output = apportion(&["diff", "--rules", "examples/rules/bank.rhai"]);
    assert_fails(&output, 2, "usage");
}

/// `apportion report` of `plan` for the example bank's managers, written to `out`.
fn report_page(plan: &Path, out: &Path) -> Output {
    apportion(&[
        "report",
        "--plan",
        plan.to_str().unwrap(),
        "--managers",
        "examples/data/managers.csv",
        "--out",
        out.to_str().unwrap(),
    ])
}

/// The values of attribute `name` in `html`, in order.
fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let marker = format!(" {name}=\"");
    html.split(&marker)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[test]
fn report_writes_a_page_whose_numbers_are_the_plans() {
    let dir = scratch("report");
    let plan = dir.join("plan.json");
    assert!(assign_example(&plan, &[]).status.success());
    let page = dir.join("report.html");
    let output = report_page(&plan, &page);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    for fetch in ["src=", "href=", "url(", "@import", "<script"] {
        assert!(
            !html.contains(fetch),
            "nothing fetched, nothing run: {fetch}"
        );
    }
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let loads = document["loads"].as_array().unwrap();
    let managers = attribute_values(&html, "data-manager");
    let held = attribute_values(&html, "data-load");
    let prices = attribute_values(&html, "data-shadow-price");
    // Regions come first in the page, with their own data-load: the managers' are the last.
    let held = &held[held.len() - loads.len()..];
    for (i, load) in loads.iter().enumerate() {
        assert_eq!(managers[i], load["manager"]);
        assert_eq!(held[i], load["load"].to_string());
        assert_eq!(prices[i], load["shadow_price"].to_string());
    }
    let stat = |name: &str| {
        html.split(&format!("data-stat=\"{name}\">"))
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        stat("assigned"),
        document["statistics"]["balance"]["assigned"].to_string()
    );
    assert_eq!(
        stat("objective"),
        document["objective"]["total"].to_string()
    );
    let binned: usize = attribute_values(&html, "data-count")
        .iter()
        .take(10)
        .map(|n| n.parse::<usize>().unwrap())
        .sum();
    assert_eq!(binned, loads.len());
    // The page is refused where it would overwrite the plan.
    let output = report_page(&plan, &plan);
    assert_fails(&output, 2, "output_is_input");
}

#[test]
fn groups_shape_the_plan_verify_and_fail_with_their_codes() {
    let dir = scratch("groups");
    let groups = root().join("examples/data/groups.csv");
    let groups = groups.to_str().unwrap();
    let plan = dir.join("plan.json");
    let group_loads = dir.join("groups-loads.csv");
    let with_groups = [
        "--groups",
        groups,
        "--group-loads-out",
        group_loads.to_str().unwrap(),
    ];
    let output = assign_example(&plan, &with_groups);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // A line per group in the report's table and the file; the three lines hold everyone.
    let report = text(&output.stdout);
    assert!(
        report.contains("groups (54 in all), at the top: PRIVATE "),
        "{report}"
    );
    let rows = std::fs::read_to_string(&group_loads).unwrap();
    assert!(rows.starts_with("group,parent,managers,load,capacity,target,utilisation,moved_in"));
    let lines: Vec<&str> = rows
        .lines()
        .skip(1)
        .filter(|row| row.split(',').nth(1) == Some(""))
        .collect();
    let total: u32 = lines
        .iter()
        .map(|row| row.split(',').nth(3).unwrap().parse::<u32>().unwrap())
        .sum();
    assert_eq!((rows.lines().count(), lines.len(), total), (55, 3, 3000));
    // Each private-banking team's HNW load beside its minimum, which the plan meets.
    let header: Vec<&str> = rows.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (load, minimum) = (column("load_HNW"), column("minimum_HNW"));
    let teams: Vec<(u32, u32)> = (rows.lines().skip(1))
        .map(|row| row.split(',').collect::<Vec<_>>())
        .filter(|row| !row[minimum].is_empty())
        .map(|row| (row[load].parse().unwrap(), row[minimum].parse().unwrap()))
        .collect();
    assert!(!teams.is_empty() && teams.iter().all(|(load, minimum)| load >= minimum));
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&plan).unwrap()).unwrap();
    assert!(document["provenance"]["groups_blake3"].is_string());
    // The plan holds with its groups, and is found out without them.
    let checked = with_book(
        "verify",
        &["--plan", plan.to_str().unwrap(), "--groups", groups],
    );
    assert!(checked.status.success(), "{}", text(&checked.stdout));
    let without = with_book("verify", &["--plan", plan.to_str().unwrap()]);
    assert_eq!(without.status.code(), Some(8), "{}", text(&without.stdout));
    assert!(
        text(&without.stdout).contains("groups_differ"),
        "{}",
        text(&without.stdout)
    );
    // Bad groups: input errors (exit 3) with their codes, naming the place.
    for (csv, code) in [
        ("id,parent\nRETAIL,LINES\n", "unknown_group"),
        ("id,parent\nA,B\nB,A\n", "group_cycle"),
        ("id,capcity\nRETAIL,10\n", "unknown_column"),
        (
            "id,capacity,segment_minimums\nRETAIL,2,HNW=3\n",
            "invalid_capacity",
        ),
    ] {
        let bad = dir.join("bad-groups.csv");
        std::fs::write(&bad, csv).unwrap();
        let output = assign_example(&dir.join("never.csv"), &["--groups", bad.to_str().unwrap()]);
        assert_fails(&output, 3, code);
        assert!(!dir.join("never.csv").exists());
    }
    // A minimum per segment that no plan meets: the request cannot be met (exit 6), and the
    // error names the group and the segment.
    // The shipped file's last column is `segment_minimums`: the line PRIVATE asks for more
    // HNW customers than the bank has.
    let mut unmeetable = String::new();
    for line in std::fs::read_to_string(groups).unwrap().lines() {
        match line.strip_prefix("PRIVATE,") {
            Some(rest) => {
                let (cells, _) = rest.rsplit_once(',').unwrap();
                unmeetable.push_str(&format!("PRIVATE,{cells},HNW=100000\n"));
            }
            None => unmeetable.push_str(&format!("{line}\n")),
        }
    }
    let bad = dir.join("unmeetable-groups.csv");
    std::fs::write(&bad, unmeetable).unwrap();
    let output = assign_example(&dir.join("never.csv"), &["--groups", bad.to_str().unwrap()]);
    assert_fails(&output, 6, "group_minimum_unmet");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("group `PRIVATE`") && stderr.contains("segment `HNW`"),
        "{stderr}"
    );
    assert!(!dir.join("never.csv").exists());
}

#[test]
fn model_scores_shape_the_plan_explain_verify_and_fail_with_their_codes() {
    let dir = scratch("scores");
    let scores = root().join("examples/data/model_scores.csv");
    let scores = scores.to_str().unwrap();
    let plan = dir.join("plan.csv");
    let output = assign_example(&plan, &["--scores", scores]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("model scores: -"),
        "{}",
        text(&output.stdout)
    );
    // Each placement says what the model added; the column is there only with scores.
    let rows = std::fs::read_to_string(&plan).unwrap();
    let header: Vec<&str> = rows.lines().next().unwrap().split(',').collect();
    let at = header.iter().position(|c| *c == "model_score").unwrap();
    let added: i64 = rows
        .lines()
        .skip(1)
        .filter_map(|row| row.split(',').nth(at)?.parse::<i64>().ok())
        .sum();
    assert!(added > 0);
    let plain = dir.join("plain.csv");
    assert!(assign_example(&plain, &[]).status.success());
    let plain = std::fs::read_to_string(&plain).unwrap();
    assert!(!plain.lines().next().unwrap().contains("model_score"));
    // The plan holds with its scores, and is found out without them.
    let json = dir.join("plan.json");
    assert!(
        assign_example(&json, &["--scores", scores])
            .status
            .success()
    );
    let checked = with_book(
        "verify",
        &["--plan", json.to_str().unwrap(), "--scores", scores],
    );
    assert!(checked.status.success(), "{}", text(&checked.stdout));
    let without = with_book("verify", &["--plan", json.to_str().unwrap()]);
    assert_eq!(without.status.code(), Some(8), "{}", text(&without.stdout));
    assert!(text(&without.stdout).contains("scores_differ"));
    // The report's page names the model's part of the objective.
    let page = dir.join("report.html");
    let reported = report_page(&json, &page);
    assert!(reported.status.success(), "{}", text(&reported.stderr));
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let model = document["objective"]["model_scores"].to_string();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(&format!("data-stat=\"model_scores\">{model}<")),
        "{model}"
    );
    // An explanation shows the model's score beside the term it made.
    let scored = rows
        .lines()
        .skip(1)
        .find(|row| {
            row.split(',')
                .nth(at)
                .is_some_and(|v| v != "0" && !v.is_empty())
        })
        .unwrap();
    let customer = scored.split(',').next().unwrap();
    let why = with_book("explain", &["--customer", customer, "--scores", scores]);
    let why = text(&why.stdout);
    assert!(
        why.contains("model score") && why.contains("pair_score(c, m)"),
        "{why}"
    );
    // Scores no rule reads change nothing, and the report says so.
    let unread = dir.join("unread.rhai");
    std::fs::write(&unread, "fn eligible(c, m) { c.region == m.region }").unwrap();
    let output = apportion(&[
        "assign",
        "--customers",
        "examples/data/customers.csv",
        "--managers",
        "examples/data/managers.csv",
        "--rules",
        unread.to_str().unwrap(),
        "--as-of",
        "2026-06-30",
        "--scores",
        scores,
        "--out",
        dir.join("unread.csv").to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("no pair rule calls `pair_score(c, m)`"));
    // A lead routes with its own scores: the capital's private bankers (the only ones it may
    // have) each score 60, which its affinity then counts.
    let lead_scores = dir.join("lead-scores.csv");
    let rows = "customer,manager,score\nL-1,M-002,60\nL-1,M-011,60\nL-2,M-002,1\n";
    std::fs::write(&lead_scores, rows).unwrap();
    let routed = with_book(
        "route",
        &[
            "--lead",
            LEAD,
            "--lead-scores",
            lead_scores.to_str().unwrap(),
        ],
    );
    assert!(routed.status.success(), "{}", text(&routed.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&routed.stdout).unwrap();
    let plain = with_book("route", &["--lead", LEAD]);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    let report = text(&routed.stderr);
    assert!(
        report.contains("1 leads routed with scores of their own; scores for 1 more"),
        "{report}"
    );
    let affinity = |d: &serde_json::Value| d["affinity"].as_i64().unwrap();
    assert_eq!(
        affinity(&decision),
        affinity(&plain) + 60,
        "{decision} {plain}"
    );
    // Bad scores: input errors (exit 3) with their codes.
    for (csv, code) in [
        (
            "customer,manager,score\nC-000001,M-001,1\nC-000001,M-001,2\n",
            "duplicate_score",
        ),
        (
            "customer,manager,score\nC-999999,M-001,1\n",
            "unknown_customer",
        ),
        (
            "customer,manager,score\nC-000001,M-999,1\n",
            "unknown_manager",
        ),
        (
            "customer,manager,points\nC-000001,M-001,1\n",
            "unknown_column",
        ),
    ] {
        let bad = dir.join("bad-scores.csv");
        std::fs::write(&bad, csv).unwrap();
        let output = assign_example(&dir.join("never.csv"), &["--scores", bad.to_str().unwrap()]);
        assert_fails(&output, 3, code);
        assert!(!dir.join("never.csv").exists());
    }
}
