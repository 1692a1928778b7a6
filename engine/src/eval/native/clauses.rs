//! `eligible` written as guards or as one conjunction, split into clauses.
//!
//! Analysts write `eligible` as a run of exclusions followed by what is left to check:
//! `if c.province != m.province { return false; } ...; <rest>`, or as one expression
//! `a && b && c`. Each leading guard that only returns `false` reads a few customer fields of
//! its own, so [`NativeRules::clauses`] makes it a clause (a function whose value is `!guard`),
//! and the rest of the body the last clause; a rest that is one `&&` becomes a clause per
//! operand. A pair is eligible when every clause holds, checked in order: the first that fails
//! decides, as the first guard that fires, or the first false operand, does in the whole rule.
//! A clause whose value is not a boolean leaves the pair to the whole rule (whose `&&` then
//! fails as rhai's does).

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
    /// reading only the parameters and goes on after its guards, or if what follows its guards
    /// (none or more) is one `&&` of operands reading only the parameters.
    pub(crate) fn clauses(&mut self, function: usize, slots: &Slots) -> Option<Clauses> {
        let whole = self.functions.get(function)?.as_ref()?;
        if whole.params != 2 || whole.writes_params {
            return None;
        }
        let guards: Vec<&Node> = whole.body.iter().map_while(guard).collect();
        let rest = whole.body.get(guards.len()..)?;
        let conjunction = match rest {
            [Step::Eval(Node::And(operands)) | Step::Return(Node::And(operands))]
                if operands.iter().all(parameters_only) =>
            {
                Some(operands)
            }
            _ => None,
        };
        if (guards.is_empty() && conjunction.is_none()) || rest.is_empty() {
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
        match conjunction {
            Some(operands) => bodies.extend(operands.iter().map(|o| vec![Step::Eval(o.clone())])),
            None => bodies.push(rest.to_vec()),
        }
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

#[cfg(test)]
mod tests {
    use crate::eval::testing::pair_natives;
    use crate::rules::{ELIGIBLE, Rulebook};

    /// The customer fields each clause of `eligible` reads, or `None` if it is not split.
    fn clause_reads(eligible: &str) -> Option<Vec<Option<Vec<String>>>> {
        let rulebook = Rulebook::compile(&format!("fn eligible(c, m) {{ {eligible} }}")).unwrap();
        let (mut native, slots) = pair_natives(&rulebook);
        let function = native.function(ELIGIBLE, 2)?;
        let clauses = native.clauses(function, &slots)?;
        Some(clauses.clauses.into_iter().map(|c| c.reads).collect())
    }

    fn reads(names: &[&str]) -> Option<Vec<String>> {
        Some(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn a_conjunction_is_split_into_a_clause_per_operand() {
        assert_eq!(
            clause_reads("c.t == m.t && c.n >= 3 && m.k > 0"),
            Some(vec![reads(&["t"]), reads(&["n"]), reads(&[])])
        );
        assert_eq!(
            clause_reads("return c.t == m.t && c.k > m.k;"),
            Some(vec![reads(&["t"]), reads(&["k"])])
        );
    }

    #[test]
    fn guards_come_before_the_operands_of_what_follows_them() {
        assert_eq!(
            clause_reads("if c.n < 0 { return false; } c.t == m.t && c.k > 1"),
            Some(vec![reads(&["n"]), reads(&["t"]), reads(&["k"])])
        );
        assert_eq!(
            clause_reads("if c.n < 0 { return false; } c.t == m.t || c.k > 1"),
            Some(vec![reads(&["n"]), reads(&["k", "t"])])
        );
    }

    #[test]
    fn what_is_not_a_conjunction_of_the_parameters_stays_whole() {
        assert_eq!(clause_reads("c.t == m.t || c.n >= 3"), None);
        assert_eq!(clause_reads("let x = c.n; x > 1 && c.k > 2"), None);
        assert_eq!(clause_reads("let x = c.n; x > 1 && m.k > c.k"), None);
    }
}
