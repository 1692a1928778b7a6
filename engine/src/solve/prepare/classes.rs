//! Pair classes and segments. Customers that agree on every field the pair rules read form a
//! pair class (the rules run once per class and manager; an integer field they only compare
//! with constants counts by its region, see [`Regions`]). Exact: it only merges customers the
//! pair rules cannot tell apart.

use std::sync::Arc;

use crate::model::{Customer, Schema, Value};
use crate::rules::keys::{CustomerFields, KeyMaker, Regions};
use crate::rules::{RECORD_MANAGER, Rulebook};

/// Pair classes in order of first appearance: `class_of[i]` for each profiled customer, and
/// each class's first customer as its representative.
pub(crate) struct PairClasses {
    pub(crate) class_of: Vec<Option<u32>>,
    pub(crate) representatives: Vec<usize>,
}

/// Splits the profiled customers (those with `derived` values) into pair classes; with
/// `stay_bonus_split`, the pair rules' only use of the current manager is a bonus kept apart
/// (see [`StayBonus`](crate::eval::pair::StayBonus)), and classes ignore it.
pub(crate) fn pair_classes(
    rulebook: &Rulebook,
    (schema, regions): (CustomerFields<'_>, &Regions),
    (customers, derived): (&[Customer], &[Option<&[Value]>]),
    stay_bonus_split: bool,
) -> PairClasses {
    let pair = rulebook.pair_rules();
    let profiled: Vec<(usize, &Customer, &[Value])> = customers
        .iter()
        .zip(derived)
        .enumerate()
        .filter_map(|(row, (customer, derived))| Some((row, customer, (*derived)?)))
        .collect();
    let mut class_of = vec![None; customers.len()];
    if pair.reads_customer_dynamically {
        // Reads the analysis cannot follow: every customer is its own class.
        for (class, &(row, ..)) in profiled.iter().enumerate() {
            class_of[row] = Some(class as u32);
        }
        let representatives = profiled.iter().map(|&(row, ..)| row).collect();
        return PairClasses {
            class_of,
            representatives,
        };
    }
    let reads: Vec<String> = pair
        .customer_reads
        .iter()
        .filter(|read| !(stay_bonus_split && *read == RECORD_MANAGER))
        .cloned()
        .collect();
    let keys = KeyMaker::new(rulebook, schema, &reads, regions);
    let (classes, firsts) = keys.classes(profiled.iter().map(|&(_, c, d)| (c, d, None)));
    for (&(row, ..), class) in profiled.iter().zip(classes) {
        class_of[row] = Some(class as u32);
    }
    PairClasses {
        class_of,
        representatives: firsts.into_iter().map(|i| profiled[i].0).collect(),
    }
}

/// Where a customer's value of a field read as text comes from (its segment, its tier): the
/// derived field of that name, else the input attribute; a customer without one has none.
pub(crate) struct TextField {
    field: Option<usize>,
    input: Option<usize>,
}

impl TextField {
    pub(crate) fn new(rulebook: &Rulebook, schema: &Schema, name: &str) -> TextField {
        TextField {
            field: rulebook.fields().iter().position(|f| f.name == name),
            input: schema.position(name),
        }
    }

    /// The field's value for `customer` with its `derived` values, if profiled.
    pub(crate) fn get(&self, customer: &Customer, derived: Option<&[Value]>) -> Option<Arc<str>> {
        let value = match (self.field, derived) {
            (Some(field), Some(values)) => values.get(field)?,
            _ => customer.attributes.get(self.input?)?,
        };
        match value {
            Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            other => Some(Arc::from(other.to_cell())),
        }
    }
}
