//! A model's scores for pairs (`pair_score(c, m)`): how a score table is read and checked
//! against the book, what the rules see, how scored customers aggregate, and the scores' part
//! in the plan, its verification and explanations. The optimum with scores is tested against
//! brute force in `assign_properties` (half its small books have scores).

use apportion::load::{self, Format, LoadOptions};
use apportion::{
    AssignOptions, Book, ManagerId, Router, RouterOptions, Rulebook, Value, WrittenPlan, assign,
    verify,
};

use crate::support::{date, example, example_bank};

fn scores(text: &str, format: Format) -> Result<Vec<apportion::PairScore>, apportion::InputError> {
    load::parse_scores(
        text.as_bytes(),
        format,
        "scores.csv",
        &LoadOptions::default(),
    )
}

fn book(customers: &str, managers: &str) -> Book {
    let options = LoadOptions::default();
    let customers = load::parse_customers(customers.as_bytes(), Format::Csv, "c", &options);
    let managers = load::parse_managers(managers.as_bytes(), Format::Csv, "m", &options);
    Book::new(customers.unwrap(), managers.unwrap())
}

/// Three customers, two managers: C-1 and C-2 alike but for their scores, C-3 unscored.
fn small_book() -> Book {
    book(
        "id,region\nC-1,north\nC-2,north\nC-3,north\n",
        "id,capacity,region\nM-1,3,north\nM-2,3,north\n",
    )
}

fn options() -> AssignOptions {
    AssignOptions::new(date("2026-06-30"))
}

const SCORED: &str = r#"
fn eligible(c, m) { c.region == m.region }
fn affinity(c, m) {
    let score = 0;
    if pair_score(c, m) != () { score += 2 * pair_score(c, m); }
    score
}
"#;

#[test]
fn a_score_table_reads_integers_or_numbers_with_a_fraction() {
    let read = scores(
        "customer,manager,score\nC-1,M-1,7\n007,M-2,-3\n",
        Format::Csv,
    )
    .unwrap();
    let rows: Vec<_> = read
        .iter()
        .map(|s| {
            (
                s.customer.as_str(),
                s.manager.as_str(),
                s.score.clone(),
                s.line,
            )
        })
        .collect();
    // Ids stay text (`007`), and each row knows its line.
    assert_eq!(
        rows,
        [
            ("C-1", "M-1", Value::Int(7), Some(2)),
            ("007", "M-2", Value::Int(-3), Some(3)),
        ]
    );
    let floats = scores(
        "customer,manager,score\nC-1,M-1,0.25\nC-2,M-1,1\n",
        Format::Csv,
    )
    .unwrap();
    assert_eq!(floats[1].score, Value::Float(1.0));
    let json = r#"[{"customer": "C-1", "manager": "M-1", "score": 3}]"#;
    assert_eq!(scores(json, Format::Json).unwrap()[0].score, Value::Int(3));
}

#[test]
fn bad_score_tables_fail_with_their_code_and_place() {
    let code = |text: &str| scores(text, Format::Csv).unwrap_err();
    let typo = code("customer,manager,scores\nC-1,M-1,1\n");
    assert_eq!(typo.code(), "unknown_column");
    assert!(typo.to_string().contains("did you mean `score`"), "{typo}");
    assert_eq!(code("customer,manager\nC-1,M-1\n").code(), "missing_column");
    let blank = code("customer,manager,score\nC-1,M-1,\n");
    assert_eq!(blank.code(), "invalid_value");
    assert!(blank.to_string().contains("line 2"), "{blank}");
    assert_eq!(
        code("customer,manager,score\nC-1,M-1,high\n").code(),
        "invalid_value"
    );
    assert_eq!(
        code("customer,manager,score\nC-1,M-1,inf\n").code(),
        "non_finite_number"
    );
    assert_eq!(code("customer,manager,score\n,M-1,1\n").code(), "empty_id");

    let joined = |text: &str| {
        small_book()
            .with_scores(scores(text, Format::Csv).unwrap(), "scores.csv")
            .unwrap_err()
    };
    let stranger = joined("customer,manager,score\nC-1,M-1,1\nC-9,M-1,1\n");
    assert_eq!(stranger.code(), "unknown_customer");
    assert!(stranger.to_string().contains("line 3"), "{stranger}");
    let typo = joined("customer,manager,score\nC-1,M-3,1\n");
    assert_eq!(typo.code(), "unknown_manager");
    assert!(typo.to_string().contains("did you mean `M-1`"), "{typo}");
    let twice = joined("customer,manager,score\nC-1,M-1,1\nC-2,M-1,1\nC-1,M-1,2\n");
    assert_eq!(twice.code(), "duplicate_score");
    assert!(twice.to_string().contains("line 4") && twice.to_string().contains("C-1"));
}

#[test]
fn the_rules_see_the_score_or_unit_and_may_not_replace_the_built_in() {
    let book = small_book()
        .with_scores(
            scores("customer,manager,score\nC-1,M-2,5\n", Format::Csv).unwrap(),
            "scores.csv",
        )
        .unwrap();
    // The method form reads the same score; a customer without scores gets `()`.
    let rules = Rulebook::compile(
        "fn affinity(c, m) { let s = c.pair_score(m); if s == () { -1 } else { s * 10 } }",
    )
    .unwrap();
    let plan = assign(&book, &rules, &options()).unwrap();
    let affinity = |id: &str| {
        let a = plan.assignments.iter().find(|a| a.customer.as_str() == id);
        a.map(|a| (a.manager.as_str(), a.affinity))
    };
    assert_eq!(affinity("C-1"), Some(("M-2", 50)));
    assert_eq!(affinity("C-3").map(|(_, a)| a), Some(-1));
    // A float score is read as one.
    let floats = small_book()
        .with_scores(
            scores("customer,manager,score\nC-1,M-2,0.5\n", Format::Csv).unwrap(),
            "s",
        )
        .unwrap();
    let rules = Rulebook::compile(
        "fn affinity(c, m) { let s = pair_score(c, m); if s == () { 0 } else { (s * 100.0).to_int() } }",
    )
    .unwrap();
    let plan = assign(&floats, &rules, &options()).unwrap();
    let c1 = plan
        .assignments
        .iter()
        .find(|a| a.customer.as_str() == "C-1");
    assert_eq!(c1.map(|a| a.affinity), Some(50));
    let replaced = Rulebook::compile("fn pair_score(c, m) { 1 }").unwrap_err();
    assert_eq!(replaced.code(), "invalid_rule_signature");
}

#[test]
fn the_plan_says_what_the_scores_added_and_verifies_them() {
    let book = small_book()
        .with_scores(
            scores(
                "customer,manager,score\nC-1,M-1,4\nC-2,M-1,4\nC-2,M-2,1\n",
                Format::Csv,
            )
            .unwrap(),
            "scores.csv",
        )
        .unwrap();
    let rules = Rulebook::compile(SCORED).unwrap();
    let plan = assign(&book, &rules, &options()).unwrap();
    let parts: Vec<_> = plan
        .assignments
        .iter()
        .map(|a| {
            (
                a.customer.as_str(),
                a.manager.as_str(),
                a.affinity,
                a.model_score,
            )
        })
        .collect();
    // Every affinity here is the model's doing; the unscored customer's is 0 and so its part.
    assert_eq!(
        parts,
        [
            ("C-1", "M-1", 8, Some(8)),
            ("C-2", "M-1", 8, Some(8)),
            ("C-3", "M-2", 0, Some(0)),
        ]
    );
    assert_eq!(plan.objective.model_scores, Some(-16));
    assert!(plan.provenance.scores_blake3.is_some());
    // C-1 and C-2 score differently, so the pair rules see three classes.
    assert_eq!(plan.network.pair_classes, 3);

    let written = WrittenPlan::from(&plan);
    let checked = verify(&book, &rules, &options(), &written).unwrap();
    assert!(checked.holds(), "{:?}", checked.discrepancies);
    let mut tampered = written.clone();
    tampered.assignments[0].model_score = Some(1);
    let checked = verify(&book, &rules, &options(), &tampered).unwrap();
    let codes: Vec<&str> = checked.discrepancies.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"model_score_differs"), "{codes:?}");
    // Checked against the book without its scores, the plan is found out.
    let checked = verify(&small_book(), &rules, &options(), &written).unwrap();
    let codes: Vec<&str> = checked.discrepancies.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"scores_differ"), "{codes:?}");
}

#[test]
fn a_book_without_scores_plans_as_before() {
    let (book, rules) = example_bank();
    // The bank's rulebook without its model term: what it was before scores existed.
    let source = std::fs::read_to_string(example("rules/bank.rhai")).unwrap();
    let term = "    if pair_score(c, m) != () {\n        score += pair_score(c, m);\n    }\n";
    assert!(source.contains(term));
    let before = Rulebook::compile(&source.replace(term, "")).unwrap();
    let plan = assign(&book, &rules, &options()).unwrap();
    let old = assign(&book, &before, &options()).unwrap();
    assert_eq!(plan.assignments, old.assignments);
    assert_eq!(
        (plan.objective, plan.network.pair_classes),
        (old.objective, old.network.pair_classes)
    );
    assert_eq!(plan.objective.model_scores, None);
    assert!(plan.assignments.iter().all(|a| a.model_score.is_none()));
}

#[test]
fn scored_customers_keep_their_own_classes_and_the_rest_still_aggregate() {
    let (book, rules) = example_bank();
    let read = load::read_scores(&example("data/model_scores.csv"), &LoadOptions::default());
    let scored = book
        .clone()
        .with_scores(read.unwrap(), "model_scores.csv")
        .unwrap();
    let without = assign(&book, &rules, &options()).unwrap();
    let plan = assign(&scored, &rules, &options()).unwrap();
    // At most one class more per scored customer: the unscored ones aggregate as before.
    let scored_customers = scored.scores.profiles();
    assert!(plan.network.pair_classes > without.network.pair_classes);
    assert!(plan.network.pair_classes <= without.network.pair_classes + scored_customers);
    // The model moved the optimum: placements it scored now count, and the sum is stated.
    let model = plan.objective.model_scores.unwrap();
    let summed: i64 = plan
        .assignments
        .iter()
        .map(|a| a.model_score.unwrap())
        .sum();
    assert!(model < 0 && model == -summed);
    assert!(plan.objective.total < without.objective.total);
    // Aggregation never changes the optimum (ties may be broken otherwise), nor threads
    // the plan.
    let per_customer = AssignOptions {
        aggregate: false,
        ..options()
    };
    let per_customer = assign(&scored, &rules, &per_customer).unwrap();
    assert_eq!(per_customer.objective.total, plan.objective.total);
    let summed: i64 = per_customer
        .assignments
        .iter()
        .map(|a| a.model_score.unwrap())
        .sum();
    assert_eq!(per_customer.objective.model_scores, Some(-summed));
    let two = AssignOptions {
        threads: Some(2),
        ..options()
    };
    let one = AssignOptions {
        threads: Some(1),
        ..options()
    };
    assert_eq!(
        assign(&scored, &rules, &two).unwrap(),
        assign(&scored, &rules, &one).unwrap()
    );
}

#[test]
fn an_explanation_shows_each_managers_score_and_the_term_it_made() {
    let (book, rules) = example_bank();
    let read = load::read_scores(&example("data/model_scores.csv"), &LoadOptions::default());
    let scored = book.with_scores(read.unwrap(), "model_scores.csv").unwrap();
    let plan = assign(&scored, &rules, &options()).unwrap();
    let placed = plan
        .assignments
        .iter()
        .find(|a| a.model_score.is_some_and(|part| part > 0))
        .unwrap();
    let why = plan
        .explain(&scored, &rules, placed.customer.as_str())
        .unwrap();
    let chosen = why
        .managers
        .iter()
        .find(|option| option.manager == placed.manager)
        .unwrap();
    let score = scored
        .scores
        .get(placed.customer.as_str(), placed.manager.as_str());
    assert_eq!(chosen.model_score.as_ref(), score);
    let apportion::Verdict::Assigned { terms, .. } = &chosen.verdict else {
        panic!("the plan's manager is assigned: {:?}", chosen.verdict);
    };
    let term = terms
        .iter()
        .find(|t| t.text.contains("pair_score"))
        .unwrap();
    assert_eq!(term.value, placed.model_score);
    // Managers the model did not score show none.
    assert!(
        why.managers
            .iter()
            .filter(|o| o.model_score.is_some())
            .count()
            <= 3
    );
}

#[test]
fn a_lead_routes_with_its_own_scores_in_a_class_of_its_own() {
    let book = book(
        "id,region\n",
        "id,capacity,region\nM-1,5,north\nM-2,5,north\n",
    );
    let rules = Rulebook::compile(
        "fn affinity(c, m) { let s = pair_score(c, m); if s == () { 0 } else { 1000 * s } }",
    )
    .unwrap();
    let router = Router::new(&rules, &book, RouterOptions::new(date("2026-06-30"))).unwrap();
    let lead = |id: &str| {
        load::parse_customers(
            format!("id,region\n{id},north\n").as_bytes(),
            Format::Csv,
            "l",
            &LoadOptions::default(),
        )
        .unwrap()
        .records
        .remove(0)
    };
    let scored = |manager: &str, score: Value| vec![(ManagerId::from(manager), score)];
    let first = router
        .route_scored(&lead("L-1"), &scored("M-2", Value::Int(5)))
        .unwrap();
    assert_eq!(
        (first.manager.as_ref().map(|m| m.as_str()), first.affinity),
        (Some("M-2"), Some(5000))
    );
    // Its twin without scores shares nothing of its class: affinity 0, and the emptier M-1.
    let twin = router.route(&lead("L-2")).unwrap();
    assert_eq!(
        (twin.manager.as_ref().map(|m| m.as_str()), twin.affinity),
        (Some("M-1"), Some(0))
    );
    let again = router
        .route_scored(&lead("L-3"), &scored("M-1", Value::Int(2)))
        .unwrap();
    assert_eq!(again.affinity, Some(2000));
    // Bad scores: typed errors, nothing booked.
    let code = |scores: Vec<(ManagerId, Value)>| {
        router
            .route_scored(&lead("L-9"), &scores)
            .unwrap_err()
            .code()
    };
    assert_eq!(code(scored("M-7", Value::Int(1))), "unknown_manager");
    let twice = [scored("M-1", Value::Int(1)), scored("M-1", Value::Int(2))].concat();
    assert_eq!(code(twice), "duplicate_score");
    assert_eq!(
        code(scored("M-1", Value::Float(f64::NAN))),
        "non_finite_number"
    );
    assert_eq!(
        code(scored("M-1", Value::Str("high".into()))),
        "invalid_value"
    );
    assert_eq!(router.snapshot().placed, 3);
}
