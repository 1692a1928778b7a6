//! What a piece of a compiled rule reads: the customer fields behind a term or a clause, and
//! whether it reads any local besides the rule's two parameters.

use super::{CustomerGetter, Node, Step};
use crate::eval::sandbox::Slots;
use crate::rules::{RECORD_ID, RECORD_MANAGER};
use crate::scores::SCORE_READ;

/// The parameter slots of a pair rule: the customer, the manager.
pub(super) const CUSTOMER: usize = 0;
pub(super) const MANAGER: usize = 1;

/// Calls `visit` with every node directly in `step`, and in the steps nested in it.
pub(super) fn step_nodes(step: &Step, visit: &mut dyn FnMut(&Node)) {
    match step {
        Step::Let(_, node)
        | Step::Set(_, _, node)
        | Step::Push(_, node)
        | Step::Eval(node)
        | Step::Return(node) => visit(node),
        Step::If(condition, then, otherwise) => {
            visit(condition);
            then.iter()
                .chain(otherwise)
                .for_each(|s| step_nodes(s, visit));
        }
        Step::Block(steps) => steps.iter().for_each(|s| step_nodes(s, visit)),
        Step::Switch(switch) => {
            visit(&switch.value);
            for (condition, value) in &switch.arms {
                visit(condition);
                visit(value);
            }
        }
    }
}

/// Calls `visit` with every node directly under `node`, a block's included.
pub(super) fn child_nodes(node: &Node, visit: &mut dyn FnMut(&Node)) {
    match node {
        Node::Const(_) | Node::Local(_) => {}
        Node::Field(of, _)
        | Node::Len(of)
        | Node::Not(of)
        | Node::Negate(of)
        | Node::Date(_, of) => visit(of),
        Node::Score(customer, manager) => {
            visit(customer);
            visit(manager);
        }
        Node::Array(items) | Node::And(items) | Node::Or(items) | Node::Call(_, items) => {
            items.iter().for_each(visit);
        }
        Node::Binary(_, a, b) | Node::In(a, b) | Node::Min(a, b) | Node::Max(a, b) => {
            visit(a);
            visit(b);
        }
        Node::Block(steps) => steps.iter().for_each(|s| step_nodes(s, visit)),
    }
}

/// Whether `node` reads no local but the parameters (and holds no block, whose `let`s
/// would be locals of its own).
pub(super) fn parameters_only(node: &Node) -> bool {
    match node {
        Node::Local(slot) => *slot == CUSTOMER || *slot == MANAGER,
        Node::Block(_) => false,
        node => {
            let mut only = true;
            child_nodes(node, &mut |child| only &= parameters_only(child));
            only
        }
    }
}

/// The customer fields some steps read: `c.field` directly; the record itself handed on (to a
/// helper, say) reads everything.
#[derive(Default)]
pub(super) struct Reads {
    fields: Vec<CustomerGetter>,
    whole: bool,
    /// Whether they read the customer's model scores (`pair_score(c, m)`).
    score: bool,
}

impl Reads {
    pub(super) fn step(&mut self, step: &Step) {
        step_nodes(step, &mut |node| self.node(node));
    }

    pub(super) fn node(&mut self, node: &Node) {
        match node {
            Node::Local(slot) => self.whole |= *slot == CUSTOMER,
            Node::Field(of, getter) if matches!(**of, Node::Local(CUSTOMER)) => {
                self.fields.extend(getter.customer);
            }
            // The model's score reads the customer's scores, as a field would.
            Node::Score(of, manager) if matches!(**of, Node::Local(CUSTOMER)) => {
                self.score = true;
                self.node(manager);
            }
            node => child_nodes(node, &mut |child| self.node(child)),
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
        if self.score {
            names.push(SCORE_READ.to_owned());
        }
        names.sort();
        names.dedup();
        Some(names)
    }
}
