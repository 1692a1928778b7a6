//! Evaluating the parts of a rule for one customer: each clause of `eligible`, and a running
//! score after each of its terms, as functions of their own compiled beside the rulebook's
//! and run in its sandbox (same limits, same fuel, same helpers), so a part's value is what
//! rhai makes of that text. A part that does not compile on its own, fails or runs out of
//! fuel has no value; the explanation then says less, never something wrong.

use rhai::{AST, CallFnOptions, Dynamic, Engine, Scope};

use super::source::{EligibleParts, ScoreParts};
use crate::date::Date;
use crate::eval::sandbox::{self, Slots};
use crate::model::Schema;
use crate::rules::Rulebook;

/// Compiled parts and the engine to run them.
pub(super) struct Probe {
    engine: Engine,
    ast: AST,
    scope: Scope<'static>,
}

impl Probe {
    /// An engine for `rulebook`'s rules over customers with `slots` and managers of
    /// `managers` as of `as_of`, with none of the parts yet.
    pub(super) fn new(rulebook: &Rulebook, slots: &Slots, managers: &Schema, as_of: Date) -> Probe {
        let mut engine = sandbox::run_engine(&rulebook.limits(), slots, as_of, None);
        sandbox::register_managers(&mut engine, managers, rulebook);
        Probe {
            engine,
            ast: sandbox::worker_ast(rulebook),
            scope: Scope::new(),
        }
    }

    /// Adds a function `name(params) { body }`; false when it does not compile on its own.
    fn add(&mut self, name: &str, params: &[String], body: &str) -> bool {
        let text = format!("fn {name}({}) {{\n{body}\n}}", params.join(", "));
        match self.engine.compile(text) {
            Ok(part) => {
                self.ast.combine(part);
                true
            }
            Err(_) => false,
        }
    }

    /// Compiles each part of `eligible` as a function of its own ([`clause_name`]),
    /// returning which compiled.
    pub(super) fn add_clauses(&mut self, eligible: &EligibleParts) -> Vec<bool> {
        (eligible.parts.iter().enumerate())
            .map(|(k, part)| self.add(&clause_name(k), &eligible.params, &part.text))
            .collect()
    }

    /// Compiles the score after each term of `score` as `<prefix>_<k>(params)`, returning
    /// which compiled.
    pub(super) fn add_score(&mut self, prefix: &str, score: &ScoreParts) -> Vec<bool> {
        (score.terms.iter().enumerate())
            .map(|(k, (_, body))| {
                let body = format!("{body}\n{}", score.score);
                self.add(&format!("{prefix}_{k}"), &score.params, &body)
            })
            .collect()
    }

    /// The value of part `name` for `args`, if it has one.
    pub(super) fn call(&mut self, name: &str, args: Vec<Dynamic>) -> Option<Dynamic> {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let (engine, ast, scope) = (&self.engine, &self.ast, &mut self.scope);
        engine
            .call_fn_with_options::<Dynamic>(options, scope, ast, name, args)
            .ok()
    }
}

/// The name a clause is compiled under: one no rule can call.
pub(super) fn clause_name(k: usize) -> String {
    format!("apportion_explain_clause_{k}")
}

/// Contributions of each term of a score from its values after each term, starting from
/// `start`: `None` from the first term without a value.
pub(super) fn contributions(start: i64, after: &[Option<i64>]) -> Vec<Option<i64>> {
    let mut before = Some(start);
    after
        .iter()
        .map(|&value| {
            let contribution = value.zip(before).and_then(|(v, b)| v.checked_sub(b));
            before = value;
            contribution
        })
        .collect()
}
