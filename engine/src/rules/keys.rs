//! Keys of customers by the values of the fields some rules read: customers with equal keys
//! are the same to those rules (pair classes, and each pair rule's own classes).

use std::sync::Arc;

use crate::model::{Customer, Schema, Value};
use crate::rules::Rulebook;

/// A value in a class key: `Value` with floats by their bits, so keys hash and compare exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KeyPart {
    Null,
    Int(i64),
    Float(u64),
    Bool(bool),
    Date(i64),
    Str(Arc<str>),
    List(Arc<[Arc<str>]>),
    Row(usize),
}

impl KeyPart {
    fn of(value: &Value) -> KeyPart {
        match value {
            Value::Null => KeyPart::Null,
            Value::Int(v) => KeyPart::Int(*v),
            Value::Float(v) => KeyPart::Float(v.to_bits()),
            Value::Bool(v) => KeyPart::Bool(*v),
            Value::Date(v) => KeyPart::Date(v.days_since_epoch()),
            Value::Str(v) => KeyPart::Str(v.clone()),
            Value::List(v) => KeyPart::List(v.clone()),
        }
    }
}

/// Where a field the pair rules read comes from.
enum Source {
    Input(usize),
    Derived(usize),
    Id,
    Manager,
}

/// Keys from the values of some fields (input attributes, derived fields, the id, the current
/// manager), by name.
pub(crate) struct KeyMaker {
    sources: Vec<Source>,
}

impl KeyMaker {
    /// Keys over `names`, which rules read, for customers of `schema`.
    pub(crate) fn new(rulebook: &Rulebook, schema: &Schema, names: &[String]) -> KeyMaker {
        let sources = names
            .iter()
            .filter_map(|name| match name.as_str() {
                "id" => Some(Source::Id),
                "manager" => Some(Source::Manager),
                _ => schema.position(name).map(Source::Input).or_else(|| {
                    rulebook
                        .fields()
                        .iter()
                        .position(|f| &f.name == name)
                        .map(Source::Derived)
                }),
            })
            .collect();
        KeyMaker { sources }
    }

    /// The key of `customer` with its `derived` values.
    pub(crate) fn key(&self, customer: &Customer, derived: &[Value]) -> Vec<KeyPart> {
        self.sources
            .iter()
            .map(|source| match source {
                Source::Input(i) => KeyPart::of(&customer.attributes[*i]),
                Source::Derived(i) => KeyPart::of(&derived[*i]),
                Source::Id => KeyPart::Str(Arc::from(customer.id.as_str())),
                Source::Manager => customer
                    .manager
                    .as_ref()
                    .map_or(KeyPart::Null, |m| KeyPart::Str(Arc::from(m.as_str()))),
            })
            .collect()
    }
}
