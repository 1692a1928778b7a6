//! A pair rule written as a running score, split into its terms.
//!
//! Analysts write `affinity` as a score that starts at a constant and gains or loses points
//! term by term: `let score = 0; if c.manager == m.id { score += 40; } ...; score`. Each term
//! reads a few customer fields of its own, so its value for a (customer, manager) pair depends
//! on far fewer distinct customers than the whole rule does. [`NativeRules::sum`] recognises
//! that shape and makes each term a function of its own whose value is the term's
//! contribution; the caller evaluates each once per distinct value of its reads and manager,
//! and adds the contributions up per pair in the rule's order, with the same overflow checks.

use super::reads::{Reads, parameters_only};
use super::{Function, NativeRules, Node, Op, Step};
use crate::eval::sandbox::Slots;

/// A function of the shape `let s = K; <term>; <term>; ...; s` where every term only adds to
/// or takes from `s` (`s += a`, `if p { s -= b } else { ... }`) and reads nothing but the two
/// parameters. Its value is `K` plus each term's contribution, added in order.
pub(crate) struct Sum {
    pub(crate) start: i64,
    pub(crate) terms: Vec<Term>,
}

/// One term: a function of the rule's parameters whose value is the term's contribution
/// (`0 + a` or `0 - b`; 0 where the term does not apply).
pub(crate) struct Term {
    pub(crate) function: usize,
    /// The customer fields the term reads, by the names rules use (an input or derived field,
    /// `id`, `manager`), sorted; `None` when it hands the customer record on whole.
    pub(crate) reads: Option<Vec<String>>,
}

impl NativeRules {
    /// Splits function `function` (of a customer and a manager) into a [`Sum`] of terms, each
    /// compiled as a function of its own, if it has that shape and more than one term.
    pub(crate) fn sum(&mut self, function: usize, slots: &Slots) -> Option<Sum> {
        let whole = self.functions.get(function)?.as_ref()?;
        if whole.params != 2 || whole.writes_params {
            return None;
        }
        let (Step::Let(score, Node::Const(start)), rest) = whole.body.split_first()? else {
            return None;
        };
        let start = start.as_int().ok()?;
        let (last, terms) = rest.split_last()?;
        let (Step::Eval(Node::Local(value)) | Step::Return(Node::Local(value))) = last else {
            return None;
        };
        if value != score || terms.len() < 2 || !terms.iter().all(|t| adds_to(t, *score)) {
            return None;
        }
        let locals = whole.locals;
        let terms: Vec<(Function, Option<Vec<String>>)> = terms
            .iter()
            .map(|term| {
                let mut reads = Reads::default();
                reads.step(term);
                let body = vec![
                    Step::Let(*score, Node::Const(0.into())),
                    term.clone(),
                    Step::Eval(Node::Local(*score)),
                ];
                let function = Function {
                    params: 2,
                    writes_params: false,
                    locals,
                    body,
                };
                (function, reads.names(slots))
            })
            .collect();
        let (name, _) = self.signatures.get(function)?.clone();
        let terms = terms
            .into_iter()
            .enumerate()
            .map(|(index, (body, reads))| {
                self.functions.push(Some(body));
                // A name no script function can have: terms are never called by name.
                self.signatures.push((format!("{name} term {index}"), 2));
                Term {
                    function: self.functions.len() - 1,
                    reads,
                }
            })
            .collect();
        Some(Sum { start, terms })
    }
}

/// Whether `step` only adds to or takes from local `score`, under conditions, reading only
/// the parameters.
fn adds_to(step: &Step, score: usize) -> bool {
    let branch = |steps: &[Step]| match steps {
        [] => true,
        [step] => adds_to(step, score),
        _ => false,
    };
    match step {
        Step::Set(slot, Some(Op::Add | Op::Sub), value) => *slot == score && parameters_only(value),
        Step::If(condition, then, otherwise) => {
            parameters_only(condition) && branch(then) && branch(otherwise)
        }
        Step::Block(steps) => branch(steps),
        _ => false,
    }
}
