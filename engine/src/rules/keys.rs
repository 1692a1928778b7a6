//! Keys of customers by the values of the fields some rules read: customers with equal keys
//! are the same to those rules (pair classes, and each pair rule's own classes).
//!
//! An integer field the pair rules only compare with constants (`c.credit_score >= 700`) is
//! keyed by its [`Regions`] rather than its value: each constant on its own and the gaps
//! between them. Values in one region answer every such comparison alike, so the number of
//! classes follows the rules' logic, not the data's distinct values. `eval` finds the regions
//! in the compiled pair rules; a field read any other way is never given any.

use std::collections::BTreeMap;
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
    /// An integer by its region among a field's [`Regions`].
    Region(usize),
}

/// Per customer field (by the name rules use), the integer constants the pair rules compare it
/// with, where that is all they do with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Regions {
    cuts: BTreeMap<String, Vec<i64>>,
}

impl Regions {
    /// Regions of the fields in `cuts`, each with its constants (sorted and without repeats
    /// here).
    pub(crate) fn new(cuts: BTreeMap<String, Vec<i64>>) -> Regions {
        let cuts = cuts
            .into_iter()
            .map(|(field, mut cuts)| {
                cuts.sort_unstable();
                cuts.dedup();
                (field, cuts)
            })
            .collect();
        Regions { cuts }
    }

    /// No field keyed by region: every value stands for itself.
    pub(crate) fn none() -> Regions {
        Regions::default()
    }

    /// The fields keyed by region, with their constants.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&str, &[i64])> {
        self.cuts
            .iter()
            .map(|(name, cuts)| (name.as_str(), cuts.as_slice()))
    }

    /// The key of `value` of a field cut at `cuts`: an integer's region (`2i + 1` for the
    /// `i`-th constant itself, `2i` for the gap below it), any other value itself.
    fn key(cuts: &[i64], value: &Value) -> KeyPart {
        match value {
            Value::Int(value) => {
                let below = cuts.partition_point(|cut| cut < value);
                KeyPart::Region(2 * below + usize::from(cuts.get(below) == Some(value)))
            }
            other => KeyPart::of(other),
        }
    }
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
    /// Each field's source, and its constants if keyed by region.
    sources: Vec<(Source, Option<Vec<i64>>)>,
}

impl KeyMaker {
    /// Keys over `names`, which rules read, for customers of `schema`; fields with `regions`
    /// are keyed by region.
    pub(crate) fn new(
        rulebook: &Rulebook,
        schema: &Schema,
        names: &[String],
        regions: &Regions,
    ) -> KeyMaker {
        let sources = names
            .iter()
            .filter_map(|name| {
                let source = match name.as_str() {
                    "id" => Source::Id,
                    "manager" => Source::Manager,
                    _ => schema.position(name).map(Source::Input).or_else(|| {
                        rulebook
                            .fields()
                            .iter()
                            .position(|f| &f.name == name)
                            .map(Source::Derived)
                    })?,
                };
                Some((source, regions.cuts.get(name).cloned()))
            })
            .collect();
        KeyMaker { sources }
    }

    /// The key of `customer` with its `derived` values.
    pub(crate) fn key(&self, customer: &Customer, derived: &[Value]) -> Vec<KeyPart> {
        let of = |value: &Value, cuts: &Option<Vec<i64>>| match cuts {
            Some(cuts) => Regions::key(cuts, value),
            None => KeyPart::of(value),
        };
        self.sources
            .iter()
            .map(|(source, cuts)| match source {
                Source::Input(i) => of(&customer.attributes[*i], cuts),
                Source::Derived(i) => of(&derived[*i], cuts),
                Source::Id => KeyPart::Str(Arc::from(customer.id.as_str())),
                Source::Manager => customer
                    .manager
                    .as_ref()
                    .map_or(KeyPart::Null, |m| KeyPart::Str(Arc::from(m.as_str()))),
            })
            .collect()
    }
}
