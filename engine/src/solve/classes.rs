//! Grouping customers for the solver. Customers that agree on every field the pair rules read
//! form a pair class (the rules run once per class and manager; an integer field they only
//! compare with constants counts by its region, see [`Regions`]); customers of one pair class
//! and segment are interchangeable to the objective and become one supply group, split by
//! current manager. Both are exact: they only merge customers the objective cannot tell apart.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::model::{Customer, Schema, Value};
use crate::rules::Rulebook;
use crate::rules::keys::{KeyMaker, KeyPart, Regions};

/// Pair classes in order of first appearance: `class_of[i]` for each profiled customer, and
/// each class's first customer as its representative.
pub(crate) struct PairClasses {
    pub(crate) class_of: Vec<Option<u32>>,
    pub(crate) representatives: Vec<usize>,
}

/// Splits the profiled customers (those with `derived` values) into pair classes.
pub(crate) fn pair_classes(
    rulebook: &Rulebook,
    (schema, regions): (&Schema, &Regions),
    customers: &[Customer],
    derived: &[Option<&[Value]>],
) -> PairClasses {
    let pair = rulebook.pair_rules();
    let keys = KeyMaker::new(rulebook, schema, &pair.customer_reads, regions);
    let mut classes: foldhash::HashMap<Vec<KeyPart>, u32> = foldhash::HashMap::default();
    let mut class_of = vec![None; customers.len()];
    let mut representatives = Vec::new();
    for (row, (customer, derived)) in customers.iter().zip(derived).enumerate() {
        let Some(derived) = derived else { continue };
        let key: Vec<KeyPart> = if pair.reads_customer_dynamically {
            vec![KeyPart::Row(row)]
        } else {
            keys.key(customer, derived)
        };
        let next = classes.len() as u32;
        let class = *classes.entry(key).or_insert_with(|| {
            representatives.push(row);
            next
        });
        class_of[row] = Some(class);
    }
    PairClasses {
        class_of,
        representatives,
    }
}

/// Interchangeable customers: one pair class and segment, split by current manager.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub(crate) class: u32,
    pub(crate) segment: Option<Arc<str>>,
    /// Customers without a current manager among the managers, in input order.
    pub(crate) free: Vec<usize>,
    /// Customers by their current manager (index), each list in input order.
    pub(crate) staying: BTreeMap<u32, Vec<usize>>,
}

impl Group {
    pub(crate) fn size(&self) -> usize {
        self.free.len() + self.staying.values().map(Vec::len).sum::<usize>()
    }
}

/// Groups customers to place; with `aggregate` off, every customer is its own group.
pub(crate) fn groups(
    placeable: impl Iterator<Item = (usize, u32, Option<Arc<str>>, Option<u32>)>,
    aggregate: bool,
) -> Vec<Group> {
    let mut index: HashMap<(u32, Option<Arc<str>>), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (row, class, segment, current) in placeable {
        let at = if aggregate {
            *index.entry((class, segment.clone())).or_insert_with(|| {
                groups.push(Group {
                    class,
                    segment: segment.clone(),
                    ..Group::default()
                });
                groups.len() - 1
            })
        } else {
            groups.push(Group {
                class,
                segment,
                ..Group::default()
            });
            groups.len() - 1
        };
        let group = &mut groups[at];
        match current {
            Some(manager) => group.staying.entry(manager).or_default().push(row),
            None => group.free.push(row),
        }
    }
    groups
}

/// Where a customer's segment comes from: the derived field `segment`, else an input
/// attribute `segment`; a customer without one has no segment.
pub(crate) struct SegmentOf {
    field: Option<usize>,
    input: Option<usize>,
}

impl SegmentOf {
    pub(crate) fn new(rulebook: &Rulebook, schema: &Schema) -> SegmentOf {
        SegmentOf {
            field: rulebook.fields().iter().position(|f| f.name == "segment"),
            input: schema.position("segment"),
        }
    }

    /// The segment of `customer` with its `derived` values, if profiled.
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
