//! Grouping customers for the solver. Customers that agree on every field the pair rules read
//! form a pair class (the rules run once per class and manager; an integer field they only
//! compare with constants counts by its region, see [`Regions`]); customers of one pair class
//! and segment are interchangeable to the objective and become one supply group, split by
//! current manager. Both are exact: they only merge customers the objective cannot tell apart.

use std::sync::Arc;

use crate::model::{Customer, Schema, Value};
use crate::rules::Rulebook;
use crate::rules::keys::{KeyMaker, Regions};

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
    let keys = KeyMaker::new(rulebook, schema, &pair.customer_reads, regions);
    let (classes, firsts) = keys.classes(profiled.iter().map(|&(_, c, d)| (c, d)));
    for (&(row, ..), class) in profiled.iter().zip(classes) {
        class_of[row] = Some(class as u32);
    }
    PairClasses {
        class_of,
        representatives: firsts.into_iter().map(|i| profiled[i].0).collect(),
    }
}

/// Interchangeable customers: one pair class and segment, split by current manager.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub(crate) class: u32,
    pub(crate) segment: Option<Arc<str>>,
    /// Customers without a current manager among the managers, in input order.
    pub(crate) free: Vec<usize>,
    /// Customers by their current manager (index), sorted by manager, each list in input
    /// order. A list, not a map: most groups have one current manager or none.
    pub(crate) staying: Vec<(u32, Vec<usize>)>,
}

impl Group {
    pub(crate) fn size(&self) -> usize {
        self.free.len()
            + self
                .staying
                .iter()
                .map(|(_, rows)| rows.len())
                .sum::<usize>()
    }
}

/// Groups customers to place; with `aggregate` off, every customer is its own group.
pub(crate) fn groups(
    placeable: impl Iterator<Item = (usize, u32, Option<Arc<str>>, Option<u32>)>,
    aggregate: bool,
) -> Vec<Group> {
    let mut index: foldhash::HashMap<(u32, Option<Arc<str>>), usize> = Default::default();
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
            Some(manager) => match group.staying.binary_search_by_key(&manager, |(m, _)| *m) {
                Ok(at) => group.staying[at].1.push(row),
                Err(at) => group.staying.insert(at, (manager, vec![row])),
            },
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
