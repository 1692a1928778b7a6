//! Small builders for test inputs.

use std::path::PathBuf;
use std::sync::Arc;

use apportion::load::LoadOptions;
use apportion::{
    Book, Customer, CustomerId, Customers, Date, Field, ManagerId, Profile, Rulebook, Schema,
    Value, ValueType,
};

/// A file of the shipped examples: `examples/<path>`.
pub fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(path)
}

/// The shipped example bank and its rulebook.
pub fn example_bank() -> (Book, Rulebook) {
    let book = Book::read(
        example("data/customers.csv"),
        example("data/managers.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let rules = Rulebook::from_file(example("rules/bank.rhai")).unwrap();
    (book, rules)
}

/// A schema of the given typed columns.
fn schema(columns: &[(&str, ValueType)]) -> Schema {
    Schema::new(
        columns
            .iter()
            .map(|(name, value_type)| Field {
                name: (*name).to_owned(),
                value_type: *value_type,
            })
            .collect(),
    )
    .unwrap()
}

/// Customers with the given typed columns; each row is (id, current manager, values).
pub fn customers(
    columns: &[(&str, ValueType)],
    rows: &[(&str, Option<&str>, Vec<Value>)],
) -> Customers {
    let schema = schema(columns);
    let records = rows
        .iter()
        .map(|(id, manager, values)| Customer {
            id: CustomerId::from(*id),
            manager: manager.map(ManagerId::from),
            attributes: values.clone(),
        })
        .collect();
    Customers { schema, records }
}

pub fn s(text: &str) -> Value {
    Value::Str(Arc::from(text))
}

pub fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Arc::from(*s)).collect())
}

pub fn date(text: &str) -> Date {
    text.parse().unwrap()
}

/// Three customers with assets and an onboarding date.
pub fn small_bank() -> Customers {
    customers(
        &[
            ("assets", ValueType::Int),
            ("onboarded", ValueType::Date),
            ("products", ValueType::List),
        ],
        &[
            (
                "C-1",
                Some("M-1"),
                vec![
                    Value::Int(2_500_000),
                    Value::Date(date("2020-01-15")),
                    list(&["savings"]),
                ],
            ),
            (
                "C-2",
                None,
                vec![
                    Value::Int(150_000),
                    Value::Date(date("2026-05-01")),
                    list(&["mortgage", "savings"]),
                ],
            ),
            (
                "C-3",
                Some("M-9"),
                vec![Value::Int(900), Value::Null, list(&[])],
            ),
        ],
    )
}

/// The derived values of customer `id`.
pub fn values_of(profile: &Profile, id: &str) -> Vec<Value> {
    profile
        .customers
        .iter()
        .find(|c| c.id.as_str() == id)
        .unwrap()
        .values
        .clone()
}

/// One manager row: (id, capacity, segment caps, attribute values).
pub type ManagerRow<'a> = (&'a str, u32, &'a [(&'a str, u32)], Vec<Value>);

/// Managers with the given typed columns.
pub fn managers(columns: &[(&str, ValueType)], rows: &[ManagerRow]) -> apportion::Managers {
    let schema = schema(columns);
    let records = rows
        .iter()
        .map(|(id, capacity, caps, values)| apportion::Manager {
            id: ManagerId::from(*id),
            capacity: *capacity,
            target: None,
            segment_caps: caps.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect(),
            segment_targets: Default::default(),
            attributes: values.clone(),
        })
        .collect();
    apportion::Managers { schema, records }
}
