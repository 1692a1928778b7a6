//! `eligible` written as guards, split into clauses.
//!
//! Analysts write `eligible` as a run of exclusions followed by what is left to check:
//! `if c.province != m.province { return false; } ...; <rest>`. Each leading guard that only
//! returns `false` reads a few customer fields of its own, so [`NativeRules::clauses`] makes
//! it a clause (a function whose value is `!guard`), and the rest of the body the last clause.
//! A pair is eligible when every clause holds, checked in order: the first that fails decides,
//! as the first guard that fires does in the whole rule.

use super::reads::{Reads, parameters_only};
use super::{Function, NativeRules, Node, Step};
use crate::eval::sandbox::Slots;

/// `eligible` as clauses, in the rule's order.
pub(crate) struct Clauses {
    pub(crate) clauses: Vec<Clause>,
}

/// One clause: a function of the rule's parameters, true where the pair passes it.
pub(crate) struct Clause {
    pub(crate) function: usize,
    /// The customer fields it reads, by the names rules use, sorted; `None` when it hands the
    /// customer record on whole.
    pub(crate) reads: Option<Vec<String>>,
}

impl NativeRules {
    /// Splits function `function` (of a customer and a manager) into [`Clauses`], each compiled
    /// as a function of its own, if it starts with at least one guard `if p { return false; }`
    /// reading only the parameters and goes on after its guards.
    pub(crate) fn clauses(&mut self, function: usize, slots: &Slots) -> Option<Clauses> {
        let whole = self.functions.get(function)?.as_ref()?;
        if whole.params != 2 || whole.writes_params {
            return None;
        }
        let guards: Vec<&Node> = whole.body.iter().map_while(guard).collect();
        let rest = whole.body.get(guards.len()..)?;
        if guards.is_empty() || rest.is_empty() {
            return None;
        }
        let locals = whole.locals;
        let function_of = |body: Vec<Step>| Function {
            params: 2,
            writes_params: false,
            locals,
            body,
        };
        let mut bodies: Vec<Vec<Step>> = guards
            .iter()
            .map(|&condition| vec![Step::Eval(Node::Not(Box::new(condition.clone())))])
            .collect();
        bodies.push(rest.to_vec());
        let (name, _) = self.signatures.get(function)?.clone();
        let clauses = bodies
            .into_iter()
            .enumerate()
            .map(|(index, body)| {
                let mut reads = Reads::default();
                body.iter().for_each(|step| reads.step(step));
                self.functions.push(Some(function_of(body)));
                // A name no script function can have: clauses are never called by name.
                self.signatures.push((format!("{name} clause {index}"), 2));
                Clause {
                    function: self.functions.len() - 1,
                    reads: reads.names(slots),
                }
            })
            .collect();
        Some(Clauses { clauses })
    }
}

/// The condition of `if p { return false; }` with no `else`, if `p` reads only the parameters.
fn guard(step: &Step) -> Option<&Node> {
    match step {
        Step::If(condition, then, otherwise)
            if otherwise.is_empty()
                && matches!(then.as_slice(), [Step::Return(Node::Const(value))]
                    if value.as_bool() == Ok(false))
                && parameters_only(condition) =>
        {
            Some(condition)
        }
        _ => None,
    }
}
