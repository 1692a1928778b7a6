//! A plan says where it comes from: digests of the rulebook and the inputs that depend on
//! their contents alone (not the file format, nor the threads), and the run's date and policy.

use apportion::load::{self, Format, LoadOptions};
use apportion::{AssignOptions, Book, Rulebook, assign, rebalance};

use crate::support::{date, example_bank as bank};

fn options(threads: usize) -> AssignOptions {
    AssignOptions {
        threads: Some(threads),
        ..AssignOptions::new(date("2026-06-30"))
    }
}

#[test]
fn the_provenance_names_the_run_and_does_not_depend_on_threads() {
    let (book, rules) = bank();
    let one = assign(&book, &rules, &options(1)).unwrap();
    let two = assign(&book, &rules, &options(2)).unwrap();
    let (p1, p2) = (&one.provenance, &two.provenance);
    assert_eq!((p1.threads, p2.threads), (1, 2));
    assert_eq!(p1, p2, "equal but for the threads");
    assert_eq!(one, two);
    assert_eq!(p1.as_of, date("2026-06-30"));
    assert_eq!(p1.policy, options(1).policy);
    assert_eq!(p1.engine_version, env!("CARGO_PKG_VERSION"));
    for digest in [
        &p1.rulebook_sha256,
        &p1.customers_blake3,
        &p1.managers_blake3,
    ] {
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    // A rebalance records the move penalty its search settled on.
    let rebalanced = rebalance(&book, &rules, &options(2), 400).unwrap();
    assert_eq!(
        rebalanced.plan.provenance.policy.move_penalty,
        rebalanced.move_penalty
    );
    assert_eq!(
        rebalanced.plan.provenance.customers_blake3,
        p1.customers_blake3
    );
}

#[test]
fn one_character_of_the_rulebook_or_one_value_changes_its_digest() {
    let (book, rules) = bank();
    let base = assign(&book, &rules, &options(2)).unwrap().provenance;
    // One space more: the same rules, another rulebook.
    let edited = Rulebook::compile(&format!("{} ", rules.source())).unwrap();
    let after = assign(&book, &edited, &options(2)).unwrap().provenance;
    assert_ne!(after.rulebook_sha256, base.rulebook_sha256);
    assert_eq!(after.customers_blake3, base.customers_blake3);
    let mut changed = book.clone();
    let last = changed.customers.records.len() - 1;
    changed.customers.records[last].attributes[0] = apportion::Value::Null;
    let after = assign(&changed, &rules, &options(2)).unwrap().provenance;
    assert_ne!(after.customers_blake3, base.customers_blake3);
    assert_eq!(after.managers_blake3, base.managers_blake3);
}

#[test]
fn the_same_records_from_csv_or_json_have_the_same_digest() {
    let rules = Rulebook::compile("fn eligible(c, m) { true }").unwrap();
    let options = LoadOptions::default();
    let managers = load::parse_managers(b"id,capacity\nM-1,5\n", Format::Csv, "m", &options);
    let digest = |customers| {
        let book = Book::new(customers, managers.clone().unwrap());
        assign(&book, &rules, &self::options(1))
            .unwrap()
            .provenance
            .customers_blake3
    };
    let csv = load::parse_customers(
        b"id,manager,assets,opened\nC-1,M-1,10,2024-01-31\nC-2,,20,\n",
        Format::Csv,
        "c.csv",
        &options,
    );
    let json = load::parse_customers(
        br#"[{"id": "C-1", "manager": "M-1", "assets": 10, "opened": "2024-01-31"},
             {"id": "C-2", "assets": 20}]"#,
        Format::Json,
        "c.json",
        &options,
    );
    assert_eq!(digest(csv.unwrap()), digest(json.unwrap()));
}
