//! Static analysis of a compiled rulebook: which customer fields each function reads, which
//! functions it calls, and whether it uses anything the sandbox forbids. Found by walking the
//! rules' IR (`ir`), before any rule runs.

use std::collections::{BTreeMap, HashSet};

use super::DATE_HELPERS;
use super::ir::{Call, Expr, Program, Stmt};
use crate::error::{Position, RuleError};
use crate::scores::{PAIR_SCORE, SCORE_READ};

/// Functions a rule may not call: they evaluate code, build function pointers, print, or
/// look at the environment.
const FORBIDDEN_CALLS: &[&str] = &[
    "eval",
    "Fn",
    "call",
    "curry",
    "print",
    "debug",
    "is_def_var",
    "is_def_fn",
    "is_shared",
    "sleep",
];

/// What one script function does, as far as the walk can tell.
#[derive(Debug, Clone, Default)]
pub(crate) struct FunctionFacts {
    pub(crate) name: String,
    pub(crate) params: Vec<String>,
    pub(crate) position: Option<Position>,
    /// Per parameter: properties read directly on it, with the first place each is read.
    reads: Vec<BTreeMap<String, Option<Position>>>,
    /// Per parameter: used in a way the walk cannot follow (stored, returned, compared...).
    dynamic: Vec<bool>,
    /// Parameters passed on to script functions: (callee, callee arity, callee param, own param).
    passes: Vec<(String, usize, usize, usize)>,
    /// Date helpers called on a parameter's field (`days_since(c.opened)`): (parameter,
    /// helper, field, where the field is read).
    date_reads: Vec<(usize, &'static str, String, Option<Position>)>,
    /// Every call by name and arity (operators excluded), with its place.
    calls: Vec<(String, usize, Option<Position>)>,
    /// Forbidden constructs, with their place.
    forbidden: Vec<(String, Option<Position>)>,
}

/// The reads of every function's customer parameters, followed through helper calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analysis {
    pub(crate) functions: Vec<FunctionFacts>,
    /// Per function (same order): for each parameter, whether it receives a customer.
    customer_params: Vec<Vec<bool>>,
}

/// The fields a function reads from its customer parameter, direct or through helpers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    /// Field name → first place it is read.
    pub(crate) fields: BTreeMap<String, Option<Position>>,
    /// Some read cannot be resolved statically (a computed key, the record passed around).
    pub(crate) dynamic: bool,
}

impl Analysis {
    /// Walks every function of `program`. `is_known` says whether a native function name
    /// exists.
    pub(crate) fn of(
        program: &Program,
        is_known: &dyn Fn(&str) -> bool,
        customer_fns: &dyn Fn(&FunctionFacts) -> bool,
    ) -> Result<Analysis, RuleError> {
        if let Some(stmt) = program.statements.first() {
            return Err(RuleError::Forbidden {
                rule: "<top level>".to_owned(),
                construct: "statements outside a function".to_owned(),
                position: stmt.position(),
            });
        }
        let functions = walk_functions(program);
        let defined: HashSet<(&str, usize)> = functions
            .iter()
            .map(|f| (f.name.as_str(), f.params.len()))
            .collect();
        for function in &functions {
            if let Some((construct, at)) = function.forbidden.first() {
                return Err(RuleError::Forbidden {
                    rule: function.name.clone(),
                    construct: construct.clone(),
                    position: *at,
                });
            }
            for (name, arity, at) in &function.calls {
                if !defined.contains(&(name.as_str(), *arity)) && !is_known(name) {
                    return Err(RuleError::UnknownFunction {
                        rule: function.name.clone(),
                        function: name.clone(),
                        position: *at,
                    });
                }
            }
        }
        let customer_params = customer_params(&functions, customer_fns);
        Ok(Analysis {
            functions,
            customer_params,
        })
    }

    /// The index of the function `name` taking `arity` parameters.
    pub(crate) fn find(&self, name: &str, arity: usize) -> Option<usize> {
        self.functions
            .iter()
            .position(|f| f.name == name && f.params.len() == arity)
    }

    /// Fields read on customer parameters, function by function, where the read is written.
    pub(crate) fn direct_reads(
        &self,
    ) -> impl Iterator<Item = (&FunctionFacts, &String, Option<Position>)> {
        self.functions
            .iter()
            .zip(&self.customer_params)
            .flat_map(|(function, is_customer)| {
                function
                    .reads
                    .iter()
                    .zip(is_customer)
                    .filter(|(_, is_customer)| **is_customer)
                    .flat_map(move |(reads, _)| {
                        reads.iter().map(move |(name, at)| (function, name, *at))
                    })
            })
    }

    /// Date helpers called directly on a customer field, function by function: (function,
    /// helper, field, where the field is read).
    pub(crate) fn date_reads(
        &self,
    ) -> impl Iterator<Item = (&FunctionFacts, &'static str, &str, Option<Position>)> {
        self.functions
            .iter()
            .zip(&self.customer_params)
            .flat_map(|(function, is_customer)| {
                function
                    .date_reads
                    .iter()
                    .filter(|(param, ..)| is_customer.get(*param) == Some(&true))
                    .map(move |(_, helper, field, at)| (function, *helper, field.as_str(), *at))
            })
    }

    /// Everything function `index` reads from its parameter `param`, through helper calls.
    pub(crate) fn reads(&self, index: usize, param: usize) -> Reads {
        let mut reads = Reads::default();
        let mut seen = HashSet::new();
        let mut stack = vec![(index, param)];
        while let Some((f, p)) = stack.pop() {
            if !seen.insert((f, p)) {
                continue;
            }
            let facts = &self.functions[f];
            if let Some(own) = facts.reads.get(p) {
                for (name, at) in own {
                    reads.fields.entry(name.clone()).or_insert(*at);
                }
            }
            reads.dynamic |= facts.dynamic.get(p).copied().unwrap_or(false);
            for (callee, arity, callee_param, own_param) in &facts.passes {
                if *own_param == p
                    && let Some(g) = self.find(callee, *arity)
                {
                    stack.push((g, *callee_param));
                }
            }
        }
        reads
    }
}

/// Which parameters receive a customer: the first parameter of each customer function, and
/// any helper parameter such a parameter is passed to.
fn customer_params(
    functions: &[FunctionFacts],
    customer_fns: &dyn Fn(&FunctionFacts) -> bool,
) -> Vec<Vec<bool>> {
    let mut marks: Vec<Vec<bool>> = functions
        .iter()
        .map(|f| {
            let mut marks = vec![false; f.params.len()];
            if customer_fns(f)
                && let Some(first) = marks.first_mut()
            {
                *first = true;
            }
            marks
        })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (i, function) in functions.iter().enumerate() {
            for (callee, arity, callee_param, own_param) in &function.passes {
                if !marks[i].get(*own_param).copied().unwrap_or(false) {
                    continue;
                }
                if let Some(g) = functions
                    .iter()
                    .position(|f| &f.name == callee && f.params.len() == *arity)
                    && let Some(mark) = marks[g].get_mut(*callee_param)
                    && !*mark
                {
                    *mark = true;
                    changed = true;
                }
            }
        }
    }
    marks
}

/// The facts of every script function, in declaration order.
fn walk_functions(program: &Program) -> Vec<FunctionFacts> {
    program
        .functions
        .iter()
        .map(|function| {
            let params: Vec<String> = function.params.iter().map(|p| p.to_string()).collect();
            let mut facts = FunctionFacts {
                name: function.name.to_string(),
                position: function.position,
                reads: vec![BTreeMap::new(); params.len()],
                dynamic: vec![false; params.len()],
                params,
                ..FunctionFacts::default()
            };
            for statement in &function.body {
                statement_facts(statement, &mut facts);
            }
            facts
        })
        .collect()
}

/// Records what `statement` and everything in it mean, each node before its parts (in the
/// order rhai's own walk went).
fn statement_facts(statement: &Stmt, facts: &mut FunctionFacts) {
    let expr = |e: &Expr, facts: &mut FunctionFacts| expr_facts(e, Parent::Other, facts);
    match statement {
        Stmt::Let { value, .. } => expr(value, facts),
        Stmt::Assign { target, value, .. } => {
            expr(target, facts);
            expr(value, facts);
        }
        Stmt::If {
            condition,
            then,
            otherwise,
            ..
        } => {
            expr(condition, facts);
            then.iter()
                .chain(otherwise)
                .for_each(|s| statement_facts(s, facts));
        }
        Stmt::Switch(switch) => {
            expr(&switch.value, facts);
            let arms = switch
                .cases
                .iter()
                .flat_map(|(_, arms)| arms.iter())
                .chain(&switch.ranges)
                .chain(&switch.default);
            for &arm in arms {
                if let Some((condition, value)) = switch.arms.get(arm) {
                    expr(condition, facts);
                    expr(value, facts);
                }
            }
        }
        Stmt::Loop { head, body, .. } => {
            expr(head, facts);
            body.iter().for_each(|s| statement_facts(s, facts));
        }
        Stmt::Try { body, catch, .. } => {
            body.iter()
                .chain(catch)
                .for_each(|s| statement_facts(s, facts));
        }
        Stmt::Return {
            value: Some(value), ..
        }
        | Stmt::Throw {
            value: Some(value), ..
        } => expr(value, facts),
        Stmt::Expr(value, _) => expr(value, facts),
        Stmt::Block(statements, _) => statements.iter().for_each(|s| statement_facts(s, facts)),
        // A break's value was never looked into.
        Stmt::Break { .. }
        | Stmt::Return { value: None, .. }
        | Stmt::Throw { value: None, .. }
        | Stmt::Noop(_)
        | Stmt::Unsupported { .. } => {}
    }
}

/// The expression around a parameter's use, as far as it matters.
#[derive(Clone, Copy)]
enum Parent<'a> {
    /// The left side of `lhs.rhs`.
    DotBase(&'a Expr),
    /// The left side of `lhs[rhs]`.
    IndexBase(&'a Expr),
    /// Argument `arg` of a call by name.
    Argument(&'a Call, usize),
    Other,
}

/// Records what `node` means where it stands, then what its parts mean.
fn expr_facts(node: &Expr, parent: Parent<'_>, facts: &mut FunctionFacts) {
    match node {
        Expr::This(at) => facts.forbidden.push(("this".to_owned(), *at)),
        // Closures are function-pointer constants once parsed.
        Expr::Const(value, at) if value.is_fnptr() => {
            facts
                .forbidden
                .push(("function pointers and closures".to_owned(), *at));
        }
        Expr::Call(call) | Expr::MethodCall(call) => {
            let name = call.name.as_str();
            let arity = call.args.len() + usize::from(matches!(node, Expr::MethodCall(_)));
            if name == "Fn" {
                facts
                    .forbidden
                    .push(("function pointers".to_owned(), call.position));
            } else if FORBIDDEN_CALLS.contains(&name) {
                facts.forbidden.push((name.to_owned(), call.position));
            } else if is_identifier(name) {
                facts.calls.push((name.to_owned(), arity, call.position));
            }
            if let Some(read) = date_read(node, facts) {
                facts.date_reads.push(read);
            }
        }
        Expr::Var(name, _) => {
            if let Some(param) = facts
                .params
                .iter()
                .position(|p| p.as_str() == name.as_str())
            {
                use_of_param(parent, param, facts);
            }
        }
        _ => {}
    }
    let other = |e: &Expr, facts: &mut FunctionFacts| expr_facts(e, Parent::Other, facts);
    match node {
        Expr::Dot(lhs, rhs, _) => {
            expr_facts(lhs, Parent::DotBase(rhs), facts);
            other(rhs, facts);
        }
        Expr::Index(lhs, rhs, _) => {
            expr_facts(lhs, Parent::IndexBase(rhs), facts);
            other(rhs, facts);
        }
        Expr::Call(call) => {
            for (i, arg) in call.args.iter().enumerate() {
                let parent = if is_identifier(&call.name) {
                    Parent::Argument(call, i)
                } else {
                    Parent::Other
                };
                expr_facts(arg, parent, facts);
            }
        }
        Expr::MethodCall(call) => call.args.iter().for_each(|a| other(a, facts)),
        Expr::And(parts, _)
        | Expr::Or(parts, _)
        | Expr::Array(parts, _)
        | Expr::Opaque { parts, .. } => parts.iter().for_each(|p| other(p, facts)),
        Expr::Map(entries, _) => entries.iter().for_each(|(_, v)| other(v, facts)),
        Expr::Block(statements, _) => statements.iter().for_each(|s| statement_facts(s, facts)),
        Expr::Const(..) | Expr::Var(..) | Expr::This(_) | Expr::Property(..) => {}
    }
}

/// `helper(p.field)` for a date helper and a parameter `p`, as (parameter, helper, field,
/// where the field is read).
fn date_read(
    node: &Expr,
    facts: &FunctionFacts,
) -> Option<(usize, &'static str, String, Option<Position>)> {
    let Expr::Call(call) = node else { return None };
    let helper = DATE_HELPERS
        .into_iter()
        .find(|h| *h == call.name.as_str())?;
    let [Expr::Dot(base, property, _)] = call.args.as_slice() else {
        return None;
    };
    let (Expr::Var(name, _), Expr::Property(field, at)) = (&**base, &**property) else {
        return None;
    };
    let param = facts
        .params
        .iter()
        .position(|p| p.as_str() == name.as_str())?;
    Some((param, helper, field.to_string(), *at))
}

/// Classifies one use of parameter `param` by the expression around it.
fn use_of_param(parent: Parent<'_>, param: usize, facts: &mut FunctionFacts) {
    match parent {
        // `c.pair_score(m)`, the method form of `pair_score(c, m)`.
        Parent::DotBase(Expr::MethodCall(call))
            if call.name.as_str() == PAIR_SCORE && call.args.len() == 1 =>
        {
            facts.reads[param]
                .entry(SCORE_READ.to_owned())
                .or_insert(call.position);
        }
        Parent::DotBase(rhs) => {
            match property_of(rhs) {
                Some((name, at)) => {
                    facts.reads[param].entry(name).or_insert(at);
                }
                None => {
                    // A method called on the record itself (`c.len()`): no field is read, and the
                    // call is checked like any other.
                }
            }
        }
        Parent::IndexBase(Expr::Const(key, at)) if key.is_string() => {
            facts.reads[param].entry(key.to_string()).or_insert(*at);
        }
        // The model's score for the customer: read like a field, so that pair classes key
        // customers by their scores.
        Parent::Argument(call, 0) if call.name.as_str() == PAIR_SCORE && call.args.len() == 2 => {
            facts.reads[param]
                .entry(SCORE_READ.to_owned())
                .or_insert(call.position);
        }
        Parent::Argument(call, arg) => {
            facts
                .passes
                .push((call.name.to_string(), call.args.len(), arg, param))
        }
        Parent::IndexBase(_) | Parent::Other => facts.dynamic[param] = true,
    }
}

/// The property named on the right of a dot: `c.assets`, `c.products.len()`, `c.tags[0]`.
fn property_of(rhs: &Expr) -> Option<(String, Option<Position>)> {
    match rhs {
        Expr::Property(name, at) => Some((name.to_string(), *at)),
        Expr::Dot(inner, ..) | Expr::Index(inner, ..) => match &**inner {
            Expr::Property(name, at) => Some((name.to_string(), *at)),
            _ => None,
        },
        _ => None,
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
