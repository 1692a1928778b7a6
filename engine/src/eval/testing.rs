//! Builders shared by the evaluation tests: small books of typed columns, and pair rules
//! compiled natively as the pair evaluator compiles them.

use crate::date::Date;
use crate::eval::native::NativeRules;
use crate::eval::sandbox::{self, Slots};
use crate::model::{
    Customer, CustomerId, Customers, Field, Manager, ManagerId, Managers, Schema, Value, ValueType,
};
use crate::rules::Rulebook;

/// The date the tests' rules compare against.
pub(crate) fn as_of() -> Date {
    "2026-06-30".parse().unwrap()
}

/// A schema of `columns`, in order.
pub(crate) fn schema(columns: &[(&str, ValueType)]) -> Schema {
    let fields = columns
        .iter()
        .map(|&(name, value_type)| Field {
            name: name.to_owned(),
            value_type,
        })
        .collect();
    Schema::new(fields).unwrap()
}

/// The columns the pair-rule property tests read: integers `n` and `k`, text `t`.
pub(crate) fn pair_schema() -> Schema {
    schema(&[
        ("n", ValueType::Int),
        ("k", ValueType::Int),
        ("t", ValueType::Str),
    ])
}

/// Customers `C-0`, `C-1`... of `schema` with `rows` of attributes and, for each, the index
/// of its current manager (`M-i`), if any.
pub(crate) fn book(
    schema: &Schema,
    rows: Vec<(Vec<Value>, Option<u8>)>,
    staff: Vec<Vec<Value>>,
) -> (Customers, Managers) {
    let customers = Customers {
        schema: schema.clone(),
        records: rows
            .into_iter()
            .enumerate()
            .map(|(i, (attributes, manager))| Customer {
                id: CustomerId::from(format!("C-{i}").as_str()),
                manager: manager.map(|m| ManagerId::from(format!("M-{m}").as_str())),
                attributes,
            })
            .collect(),
    };
    let managers = Managers {
        schema: schema.clone(),
        records: staff
            .into_iter()
            .enumerate()
            .map(|(i, attributes)| Manager {
                id: ManagerId::from(format!("M-{i}").as_str()),
                capacity: 5,
                target: None,
                segment_caps: Default::default(),
                segment_targets: Default::default(),
                attributes,
            })
            .collect(),
    };
    (customers, managers)
}

/// The native rules of `rulebook` for customers and managers of the pair schema, as the pair
/// evaluator compiles them, with the customers' slots.
pub(crate) fn pair_natives(rulebook: &Rulebook) -> (NativeRules, Slots) {
    let schema = pair_schema();
    let slots = Slots::for_customers(&schema, rulebook);
    let managers = sandbox::manager_slots(&schema, rulebook);
    let native = NativeRules::with_managers(
        rulebook.ir(),
        &[],
        &slots,
        Some(&managers),
        &rulebook.limits(),
        as_of(),
    );
    (native, slots)
}

/// The six comparison operators, drawn at random for generated rules.
pub(crate) fn comparison() -> impl proptest::strategy::Strategy<Value = &'static str> + Clone {
    proptest::sample::select(vec!["==", "!=", "<", "<=", ">", ">="])
}
