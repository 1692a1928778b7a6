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
use crate::scores::{CustomerScores, PairScores, SCORE_READ};

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

/// One key field's value as [`KeyMaker::classes`] compares it: a value, the id or current
/// manager as text (a missing manager, like a missing value, is null), a score profile.
enum Field<'a> {
    Value(&'a Value),
    Text(&'a str),
    Profile(u32),
    /// A lead's own scores.
    Scores(&'a CustomerScores),
    Missing,
}

/// A customer as classes see them: their record, derived values and own scores (a lead's).
pub(crate) type Item<'a> = (&'a Customer, &'a [Value], Option<&'a CustomerScores>);

/// Where a field the pair rules read comes from.
enum Source {
    Input(usize),
    Derived(usize),
    Id,
    Manager,
    /// The customer's profile among the model scores (`pair_score(c, m)`).
    Score,
}

/// The customers classes are made of: their schema and the model scores they may have.
pub(crate) type CustomerFields<'a> = (&'a Schema, &'a Arc<PairScores>);

/// Keys from the values of some fields (input attributes, derived fields, the id, the current
/// manager), by name.
pub(crate) struct KeyMaker {
    /// Each field's source, and its constants if keyed by region.
    sources: Vec<(Source, Option<Vec<i64>>)>,
    /// The scores whose profiles [`Source::Score`] keys by.
    scores: Arc<PairScores>,
}

impl KeyMaker {
    /// Keys over `names`, which rules read, for customers of `schema` with `scores`; fields
    /// with `regions` are keyed by region.
    pub(crate) fn new(
        rulebook: &Rulebook,
        (schema, scores): CustomerFields<'_>,
        names: &[String],
        regions: &Regions,
    ) -> KeyMaker {
        let sources = names
            .iter()
            .filter_map(|name| {
                let source = match name.as_str() {
                    "id" => Source::Id,
                    "manager" => Source::Manager,
                    SCORE_READ => Source::Score,
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
        KeyMaker {
            sources,
            scores: Arc::clone(scores),
        }
    }

    /// Classes of `items` (customers with their derived values) by their keys, in order of
    /// first appearance: each item's class, and each class's first item. Equal to grouping by
    /// [`KeyMaker::key`], without building a key per item: a hash of the fields finds the
    /// candidate classes and the fields themselves decide, so nothing is allocated per item.
    pub(crate) fn classes<'a>(
        &self,
        items: impl IntoIterator<Item = Item<'a>>,
    ) -> (Vec<usize>, Vec<usize>) {
        self.classes_hashed(items, |item| self.hash(item))
    }

    /// [`KeyMaker::classes`] with the hash given (tests force every hash to collide).
    fn classes_hashed<'a>(
        &self,
        items: impl IntoIterator<Item = Item<'a>>,
        hash: impl Fn(Item<'_>) -> u64,
    ) -> (Vec<usize>, Vec<usize>) {
        // Per hash, the first class with it; per class, the next class with the same hash.
        let mut by_hash: foldhash::HashMap<u64, u32> = foldhash::HashMap::default();
        let mut next_same_hash: Vec<u32> = Vec::new();
        let mut firsts: Vec<Item<'a>> = Vec::new();
        let mut first_items = Vec::new();
        let class_of = items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let hash = hash(item);
                let mut candidate = by_hash.get(&hash).copied();
                let mut last = None;
                while let Some(class) = candidate {
                    if self.same(item, firsts[class as usize]) {
                        return class as usize;
                    }
                    last = Some(class);
                    candidate = Some(next_same_hash[class as usize]).filter(|&c| c != u32::MAX);
                }
                let class = firsts.len() as u32;
                match last {
                    Some(last) => next_same_hash[last as usize] = class,
                    None => {
                        by_hash.insert(hash, class);
                    }
                }
                firsts.push(item);
                next_same_hash.push(u32::MAX);
                first_items.push(index);
                class as usize
            })
            .collect();
        (class_of, first_items)
    }

    /// A hash of the key of a customer (with derived values and own scores), the same for
    /// equal keys.
    fn hash(&self, item: Item<'_>) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut hasher = foldhash::fast::FixedState::default().build_hasher();
        for (source, cuts) in &self.sources {
            match self.value(source, item) {
                Field::Value(value) => match (value, cuts) {
                    (Value::Int(_), Some(cuts)) => match Regions::key(cuts, value) {
                        KeyPart::Region(region) => (0u8, region).hash(&mut hasher),
                        _ => 1u8.hash(&mut hasher),
                    },
                    (Value::Null, _) => 2u8.hash(&mut hasher),
                    (Value::Int(v), None) => (3u8, v).hash(&mut hasher),
                    (Value::Float(v), _) => (4u8, v.to_bits()).hash(&mut hasher),
                    (Value::Bool(v), _) => (5u8, v).hash(&mut hasher),
                    (Value::Date(v), _) => (6u8, v.days_since_epoch()).hash(&mut hasher),
                    (Value::Str(v), _) => (7u8, &**v).hash(&mut hasher),
                    (Value::List(v), _) => (8u8, &**v).hash(&mut hasher),
                },
                Field::Text(text) => (7u8, text).hash(&mut hasher),
                Field::Profile(profile) => (9u8, profile).hash(&mut hasher),
                Field::Scores(scores) => (10u8, &*scores_text(scores)).hash(&mut hasher),
                Field::Missing => 2u8.hash(&mut hasher),
            }
        }
        hasher.finish()
    }

    /// Whether two customers (with their derived values and own scores) have equal keys.
    fn same(&self, a: Item<'_>, b: Item<'_>) -> bool {
        self.sources.iter().all(|(source, cuts)| {
            match (self.value(source, a), self.value(source, b)) {
                (Field::Value(a), Field::Value(b)) => match (a, b, cuts) {
                    (Value::Int(_), Value::Int(_), Some(cuts)) => {
                        Regions::key(cuts, a) == Regions::key(cuts, b)
                    }
                    (Value::Null, Value::Null, _) => true,
                    (Value::Int(a), Value::Int(b), None) => a == b,
                    (Value::Float(a), Value::Float(b), _) => a.to_bits() == b.to_bits(),
                    (Value::Bool(a), Value::Bool(b), _) => a == b,
                    (Value::Date(a), Value::Date(b), _) => a == b,
                    (Value::Str(a), Value::Str(b), _) => a == b,
                    (Value::List(a), Value::List(b), _) => a == b,
                    _ => false,
                },
                (Field::Text(a), Field::Text(b)) => a == b,
                (Field::Profile(a), Field::Profile(b)) => a == b,
                (Field::Scores(a), Field::Scores(b)) => scores_text(a) == scores_text(b),
                (Field::Missing | Field::Value(Value::Null), Field::Missing)
                | (Field::Missing, Field::Value(Value::Null)) => true,
                _ => false,
            }
        })
    }

    /// Where one key field's value is for a customer.
    fn value<'a>(&self, source: &Source, (customer, derived, own): Item<'a>) -> Field<'a> {
        let value = match source {
            Source::Input(i) => customer.attributes.get(*i),
            Source::Derived(i) => derived.get(*i),
            Source::Id => return Field::Text(customer.id.as_str()),
            Source::Manager => {
                return customer
                    .manager
                    .as_ref()
                    .map_or(Field::Missing, |m| Field::Text(m.as_str()));
            }
            Source::Score => {
                if let Some(own) = own {
                    return Field::Scores(own);
                }
                return self
                    .scores
                    .profile(customer.id.as_str())
                    .map_or(Field::Missing, Field::Profile);
            }
        };
        value.map_or(Field::Missing, Field::Value)
    }

    /// The key of `customer` with its `derived` values, and the `own` scores they bring if
    /// they do (a lead): such a customer keys by their scores themselves, so leads alike but
    /// for their scores never share a class, and leads with the same scores do.
    pub(crate) fn key(
        &self,
        customer: &Customer,
        derived: &[Value],
        own: Option<&CustomerScores>,
    ) -> Vec<KeyPart> {
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
                Source::Score => match own {
                    Some(own) => KeyPart::Str(scores_text(own)),
                    None => self
                        .scores
                        .profile(customer.id.as_str())
                        .map_or(KeyPart::Null, |p| KeyPart::Int(i64::from(p))),
                },
            })
            .collect()
    }
}

/// One customer's scores as text that tells any two sets apart: each manager id with its
/// length before it, each score by its kind and bits.
fn scores_text(scores: &CustomerScores) -> Arc<str> {
    let mut text = String::new();
    for (manager, score) in scores.iter() {
        let score = match score {
            Value::Int(i) => format!("i{i}"),
            Value::Float(f) => format!("f{}", f.to_bits()),
            _ => "-".to_owned(),
        };
        text.push_str(&format!("{}:{manager}={score};", manager.len()));
    }
    Arc::from(text)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;
    use crate::date::Date;
    use crate::model::{CustomerId, Field as Column, ManagerId, ValueType};

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            (-2i64..4).prop_map(Value::Int),
            prop_oneof![Just(0.0), Just(-0.0), Just(1.5)].prop_map(Value::Float),
            any::<bool>().prop_map(Value::Bool),
            (0i64..2).prop_map(|d| Value::Date(Date::from_days_since_epoch(20_000 + d).unwrap())),
            prop_oneof![Just("a"), Just("b")].prop_map(|t| Value::Str(Arc::from(t))),
            prop_oneof![Just(vec![]), Just(vec!["a"]), Just(vec!["a", "b"])]
                .prop_map(|l| Value::List(l.into_iter().map(Arc::from).collect())),
        ]
    }

    proptest! {
        /// Classes found by hashing and comparing fields are exactly the groups of equal keys,
        /// in order of first appearance, with and without regions.
        #[test]
        fn classes_group_exactly_by_key(
            rows in proptest::collection::vec(
                (value(), value(), proptest::option::of(0u8..3), 0u8..3),
                1..40,
            ),
            cut in proptest::option::of(-1i64..3),
        ) {
            let schema = Schema::new(vec![
                Column { name: "a".to_owned(), value_type: ValueType::Int },
                Column { name: "b".to_owned(), value_type: ValueType::Str },
            ])
            .unwrap();
            let rulebook = Rulebook::compile("fn d(c) { c.a }").unwrap();
            let regions = match cut {
                Some(cut) => Regions::new([("a".to_owned(), vec![cut])].into()),
                None => Regions::none(),
            };
            let names: Vec<String> = ["a", "b", "d", "manager", "id"].map(str::to_owned).into();
            let keys = KeyMaker::new(&rulebook, (&schema, &Arc::default()), &names, &regions);
            let customers: Vec<Customer> = rows
                .iter()
                .map(|(a, b, manager, id)| Customer {
                    id: CustomerId::from(format!("C-{id}").as_str()),
                    manager: manager.map(|m| ManagerId::from(format!("M-{m}").as_str())),
                    attributes: vec![a.clone(), b.clone()],
                })
                .collect();
            let derived: Vec<Vec<Value>> = rows.iter().map(|(a, ..)| vec![a.clone()]).collect();
            let items = || customers.iter().zip(&derived).map(|(c, d)| (c, d.as_slice(), None));
            let (class_of, firsts) = keys.classes(items());
            // With every hash colliding, the fields alone tell classes apart.
            prop_assert_eq!(keys.classes_hashed(items(), |_| 0), (class_of.clone(), firsts.clone()));
            let mut by_key: HashMap<Vec<KeyPart>, usize> = HashMap::new();
            let mut expected_firsts = Vec::new();
            for (index, (customer, derived)) in customers.iter().zip(&derived).enumerate() {
                let next = by_key.len();
                let class = *by_key.entry(keys.key(customer, derived, None)).or_insert_with(|| {
                    expected_firsts.push(index);
                    next
                });
                prop_assert_eq!(class_of[index], class);
            }
            prop_assert_eq!(firsts, expected_firsts);
        }
    }
}
