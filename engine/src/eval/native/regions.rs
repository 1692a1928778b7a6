//! Finding [`Regions`]: the integer fields the pair rules only compare with constants.
//!
//! `c.credit_score >= 700` and `c.risk_score < 60` split a field's values into regions that
//! every such comparison answers alike. It is exact: a field read any other way (arithmetic,
//! handed to a helper, switched on, compared with a field or with a constant that is not an
//! integer) gets no regions. Text is left alone: two texts alike to every comparison may
//! still differ in what reading them costs against the sandbox's budget.

use std::collections::{BTreeMap, BTreeSet};

use super::reads::{CUSTOMER, child_nodes, step_nodes};
use super::{CustomerGetter, NativeRules, Node, Op, Step};
use crate::eval::sandbox::Slots;
use crate::rules::keys::Regions;

impl NativeRules {
    /// The regions of the customer fields `functions` (functions of a customer and a manager,
    /// compiled natively) only compare with integer constants. Nothing is abstracted when one
    /// of them did not compile, or hands the customer record on whole.
    pub(crate) fn regions(&self, functions: &[Option<usize>], slots: &Slots) -> Regions {
        let mut uses = Uses::default();
        for &function in functions {
            let Some(body) = function.and_then(|f| self.functions.get(f)?.as_ref()) else {
                return Regions::none();
            };
            body.body.iter().for_each(|step| uses.step(step));
        }
        if uses.whole_record {
            return Regions::none();
        }
        let name_of = |slot: usize| {
            slots
                .by_name
                .iter()
                .find(|&(_, s)| *s == slot)
                .map(|(name, _)| name.clone())
        };
        let cuts = uses
            .compared
            .into_iter()
            .filter(|(slot, _)| !uses.other.contains(slot))
            .filter_map(|(slot, cuts)| Some((name_of(slot)?, cuts.into_iter().collect())))
            .collect();
        Regions::new(cuts)
    }
}

/// How a function uses its customer parameter's fields (by slot).
#[derive(Default)]
struct Uses {
    /// Fields compared with integer constants, and those constants.
    compared: BTreeMap<usize, BTreeSet<i64>>,
    /// Fields read any other way.
    other: BTreeSet<usize>,
    /// The record itself used other than to read a field.
    whole_record: bool,
}

impl Uses {
    fn step(&mut self, step: &Step) {
        step_nodes(step, &mut |node| self.node(node));
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Local(slot) => self.whole_record |= *slot == CUSTOMER,
            Node::Field(of, getter) if matches!(**of, Node::Local(CUSTOMER)) => {
                if let Some(CustomerGetter::Slot(slot)) = getter.customer {
                    self.other.insert(slot);
                }
            }
            Node::Binary(op, left, right) if is_comparison(*op) => {
                match (
                    customer_slot(left),
                    customer_slot(right),
                    constant(left),
                    constant(right),
                ) {
                    (Some(slot), _, _, Some(value)) | (_, Some(slot), Some(value), _) => {
                        self.compared.entry(slot).or_default().insert(value);
                    }
                    _ => child_nodes(node, &mut |child| self.node(child)),
                }
            }
            node => child_nodes(node, &mut |child| self.node(child)),
        }
    }
}

fn is_comparison(op: Op) -> bool {
    matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge)
}

/// The slot of `c.field` read directly on the customer parameter.
fn customer_slot(node: &Node) -> Option<usize> {
    match node {
        Node::Field(of, getter) if matches!(**of, Node::Local(CUSTOMER)) => {
            match getter.customer? {
                CustomerGetter::Slot(slot) => Some(slot),
                CustomerGetter::Id | CustomerGetter::Manager => None,
            }
        }
        _ => None,
    }
}

/// An integer constant.
fn constant(node: &Node) -> Option<i64> {
    match node {
        Node::Const(value) => value.as_int().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use crate::eval::pair::{self, Representative};
    use crate::eval::testing::{self, as_of};
    use crate::model::{Customer, CustomerId, Schema, Value, ValueType};
    use crate::rules::Rulebook;
    use crate::rules::keys::{KeyMaker, Regions};

    fn schema() -> Schema {
        testing::schema(&[
            ("score", ValueType::Int),
            ("n", ValueType::Int),
            ("t", ValueType::Str),
        ])
    }

    fn regions_of(rules: &str) -> Regions {
        let rulebook = Rulebook::compile(rules).unwrap();
        pair::regions(&rulebook, &schema(), &schema(), as_of())
    }

    fn cuts(regions: &Regions) -> Vec<(String, Vec<i64>)> {
        regions
            .fields()
            .map(|(field, cuts)| (field.to_owned(), cuts.to_vec()))
            .collect()
    }

    #[test]
    fn only_integer_fields_compared_with_integer_constants_get_regions() {
        let rules = "fn eligible(c, m) { c.score >= 700 && c.t == \"a\" && 3 != c.n }\n\
                     fn affinity(c, m) { if c.score < 620 { 1 } else if c.score == 700 { 2 } else { 0 } }";
        assert_eq!(
            cuts(&regions_of(rules)),
            [
                ("n".to_owned(), vec![3]),
                ("score".to_owned(), vec![620, 700])
            ]
        );
        // Read any other way, a field keeps its value: arithmetic, a helper, a field.
        for other in [
            "c.n + 1 > 3",
            "_h(c.n)",
            "c.n > m.n",
            "c.n > 2 && c.n * 2 > 3",
        ] {
            let rules =
                format!("fn _h(x) {{ x > 1 }}\nfn eligible(c, m) {{ c.score >= 700 && {other} }}");
            assert_eq!(
                cuts(&regions_of(&rules)),
                [("score".to_owned(), vec![700])],
                "{other}"
            );
        }
        // Nothing is abstracted when a pair rule hands the record on, or runs through rhai.
        for opaque in [
            "fn _h(c) { c.n > 1 }\nfn eligible(c, m) { c.score >= 700 && _h(c) }",
            "fn eligible(c, m) { for i in 0..2 {} c.score >= 700 }",
        ] {
            assert_eq!(regions_of(opaque), Regions::none(), "{opaque}");
        }
    }

    #[test]
    fn values_fall_into_the_regions_around_and_at_each_constant() {
        let regions = Regions::new([("score".to_owned(), vec![700, 620, 700])].into());
        let rulebook = Rulebook::compile("fn eligible(c, m) { c.score > 1 }").unwrap();
        let keys = KeyMaker::new(
            &rulebook,
            (&schema(), &Arc::default()),
            &["score".to_owned()],
            &regions,
        );
        let key = |value: Value| {
            let customer = Customer {
                id: CustomerId::from("C"),
                manager: None,
                attributes: vec![value, Value::Null, Value::Null],
            };
            format!("{:?}", keys.key(&customer, &[], None))
        };
        let int = |n| key(Value::Int(n));
        assert_eq!(int(0), int(619));
        assert_ne!(int(619), int(620));
        assert_ne!(int(620), int(621));
        assert_eq!(int(621), int(699));
        assert_ne!(int(699), int(700));
        assert_ne!(int(700), int(701));
        assert_eq!(int(701), int(i64::MAX));
        // A value that is not an integer stands for itself.
        assert_ne!(key(Value::Null), int(0));
        assert_ne!(key(Value::Float(1.0)), key(Value::Float(2.0)));
    }

    fn integer() -> impl Strategy<Value = String> {
        prop_oneof![
            (-3i64..12).prop_map(|n| n.to_string()),
            Just("c.n".to_owned()),
            Just("m.n".to_owned()),
            Just("(c.score / 100)".to_owned()),
        ]
    }

    /// Conditions in the ways rules compare fields with constants, and now and then another use.
    fn condition() -> impl Strategy<Value = String> {
        let compare = testing::comparison();
        let leaf = prop_oneof![
            4 => (compare.clone(), 600i64..720).prop_map(|(op, k)| format!("c.score {op} {k}")),
            4 => (compare.clone(), -2i64..6).prop_map(|(op, k)| format!("{k} {op} c.n")),
            1 => (integer(), compare, integer()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            1 => Just("c.t == m.t".to_owned()),
        ];
        leaf.prop_recursive(2, 8, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} && {b})")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("({a} || !{b})")),
            ]
        })
    }

    fn attributes() -> impl Strategy<Value = Vec<Value>> {
        (
            prop_oneof![
                1 => Just(Value::Null),
                1 => Just(Value::Float(650.0)),
                8 => (590i64..730).prop_map(Value::Int),
            ],
            prop_oneof![1 => Just(Value::Null), 6 => (-3i64..8).prop_map(Value::Int)],
            prop_oneof![Just("a"), Just("b")].prop_map(|t| Value::Str(Arc::from(t))),
        )
            .prop_map(|(score, n, t)| vec![score, n, t])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Customers keyed alike by region get the same eligible managers, affinities and
        /// errors from the whole rules, customer by customer.
        #[test]
        fn customers_of_one_region_class_get_the_same_pair_results(
            eligible in condition(),
            (when, then, otherwise) in (condition(), integer(), integer()),
            rows in proptest::collection::vec(attributes(), 2..24),
            staff in proptest::collection::vec(attributes(), 1..4),
        ) {
            let rules = format!(
                "fn eligible(c, m) {{ {eligible} }}\n\
                 fn affinity(c, m) {{ if {when} {{ {then} }} else {{ {otherwise} }} }}"
            );
            prop_assume!(Rulebook::compile(&rules).is_ok());
            let rulebook = Rulebook::compile(&rules).unwrap();
            let rows = rows.into_iter().map(|attributes| (attributes, None)).collect();
            let (customers, managers) = testing::book(&schema(), rows, staff);
            let regions = pair::regions(&rulebook, &customers.schema, &managers.schema, as_of());
            let no_fields: Vec<Value> = Vec::new();
            let each: Vec<Representative<'_>> = customers
                .records
                .iter()
                .map(|customer| Representative {
                    customer,
                    derived: &no_fields,
                    scores: None,
                })
                .collect();
            // Every customer its own class, the rules whole: the ground truth.
            let rows = pair::evaluate(
                &rulebook,
                (&customers.schema, &Arc::default()),
                &managers,
                &each,
                (as_of(), None),
                None,
            )
            .into_rows();
            let reads = &rulebook.pair_rules().customer_reads;
            let keys = KeyMaker::new(&rulebook, (&customers.schema, &Arc::default()), reads, &regions);
            let mut seen = std::collections::HashMap::new();
            for (customer, row) in customers.records.iter().zip(&rows) {
                let row = row.as_ref().map_err(|e| e.code());
                let key = keys.key(customer, &no_fields, None);
                let first = seen.entry(key).or_insert((customer.id.clone(), row));
                prop_assert_eq!(
                    &first.1, &row,
                    "{} and {} share a class under {}", first.0, customer.id, rules
                );
            }
        }
    }
}
