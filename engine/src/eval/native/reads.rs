//! What a piece of a compiled rule reads: the customer fields behind a term or a clause, and
//! whether it reads any local besides the rule's two parameters.

use super::{CustomerGetter, Node, Step};
use crate::eval::sandbox::Slots;
use crate::rules::{RECORD_ID, RECORD_MANAGER};

/// The parameter slots of a pair rule: the customer, the manager.
pub(super) const CUSTOMER: usize = 0;
pub(super) const MANAGER: usize = 1;

/// Whether `node` reads no local but the parameters (and holds no block, whose `let`s
/// would be locals of its own).
pub(super) fn parameters_only(node: &Node) -> bool {
    let all = |nodes: &[Node]| nodes.iter().all(parameters_only);
    match node {
        Node::Const(_) => true,
        Node::Local(slot) => *slot == CUSTOMER || *slot == MANAGER,
        Node::Field(of, _)
        | Node::Len(of)
        | Node::Not(of)
        | Node::Negate(of)
        | Node::Date(_, of) => parameters_only(of),
        Node::Array(items) | Node::And(items) | Node::Or(items) | Node::Call(_, items) => {
            all(items)
        }
        Node::Binary(_, a, b) | Node::In(a, b) | Node::Min(a, b) | Node::Max(a, b) => {
            parameters_only(a) && parameters_only(b)
        }
        Node::Block(_) => false,
    }
}

/// The customer fields some steps read: `c.field` directly; the record itself handed on (to a
/// helper, say) reads everything.
#[derive(Default)]
pub(super) struct Reads {
    fields: Vec<CustomerGetter>,
    whole: bool,
}

impl Reads {
    pub(super) fn step(&mut self, step: &Step) {
        match step {
            Step::Let(_, value)
            | Step::Set(_, _, value)
            | Step::Push(_, value)
            | Step::Eval(value)
            | Step::Return(value) => self.node(value),
            Step::If(condition, then, otherwise) => {
                self.node(condition);
                then.iter().chain(otherwise).for_each(|s| self.step(s));
            }
            Step::Block(steps) => steps.iter().for_each(|s| self.step(s)),
            Step::Switch(switch) => {
                self.node(&switch.value);
                for (condition, value) in &switch.arms {
                    self.node(condition);
                    self.node(value);
                }
            }
        }
    }

    pub(super) fn node(&mut self, node: &Node) {
        match node {
            Node::Const(_) => {}
            Node::Local(slot) => self.whole |= *slot == CUSTOMER,
            Node::Field(of, getter) => match &**of {
                Node::Local(CUSTOMER) => self.fields.extend(getter.customer),
                of => self.node(of),
            },
            Node::Len(of) | Node::Not(of) | Node::Negate(of) | Node::Date(_, of) => self.node(of),
            Node::Array(items) | Node::And(items) | Node::Or(items) | Node::Call(_, items) => {
                items.iter().for_each(|n| self.node(n));
            }
            Node::Binary(_, a, b) | Node::In(a, b) | Node::Min(a, b) | Node::Max(a, b) => {
                self.node(a);
                self.node(b);
            }
            Node::Block(steps) => steps.iter().for_each(|s| self.step(s)),
        }
    }

    /// The names read, sorted and without repeats; `None` for the whole record.
    pub(super) fn names(self, slots: &Slots) -> Option<Vec<String>> {
        if self.whole {
            return None;
        }
        let mut names: Vec<String> = self
            .fields
            .iter()
            .map(|getter| match getter {
                CustomerGetter::Id => Some(RECORD_ID.to_owned()),
                CustomerGetter::Manager => Some(RECORD_MANAGER.to_owned()),
                CustomerGetter::Slot(slot) => slots
                    .by_name
                    .iter()
                    .find(|&(_, s)| s == slot)
                    .map(|(name, _)| name.clone()),
            })
            .collect::<Option<_>>()?;
        names.sort();
        names.dedup();
        Some(names)
    }
}
