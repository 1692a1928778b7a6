//! Static analysis of a compiled rulebook: which customer fields each function reads, which
//! functions it calls, and whether it uses anything the sandbox forbids. Found by walking the
//! AST, before any rule runs.

use std::collections::{BTreeMap, HashSet};
use std::ptr;

use rhai::{AST, ASTNode, Expr, Stmt};

use crate::error::{Position, RuleError};

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
    /// Walks every function of `ast`. `is_known` says whether a native function name exists.
    pub(crate) fn of(
        ast: &AST,
        is_known: &dyn Fn(&str) -> bool,
        customer_fns: &dyn Fn(&FunctionFacts) -> bool,
    ) -> Result<Analysis, RuleError> {
        if let Some(stmt) = ast.statements().first() {
            return Err(RuleError::Forbidden {
                rule: "<top level>".to_owned(),
                construct: "statements outside a function".to_owned(),
                position: position(stmt.position()),
            });
        }
        let functions = walk_functions(ast);
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
fn walk_functions(ast: &AST) -> Vec<FunctionFacts> {
    let mut functions: Vec<(Span, FunctionFacts)> = ast
        .iter_fn_def()
        .map(|def| {
            let params: Vec<String> = def.params.iter().map(|p| p.to_string()).collect();
            let span = (key(def.body.start_position()), key(def.body.end_position()));
            let facts = FunctionFacts {
                name: def.name.to_string(),
                position: position(def.body.start_position()),
                reads: vec![BTreeMap::new(); params.len()],
                dynamic: vec![false; params.len()],
                params,
                ..FunctionFacts::default()
            };
            (span, facts)
        })
        .collect();
    functions.sort_by_key(|(span, _)| *span);
    // The walk visits function bodies statement by statement; each top statement belongs to
    // the function whose body spans its position.
    let mut current = None;
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let [statement] = nodes {
            let at = key(statement.position());
            if let Some(i) = functions
                .iter()
                .position(|((start, end), _)| *start <= at && at <= *end)
            {
                current = Some(i);
            }
        }
        if let Some(i) = current {
            visit(nodes, &mut functions[i].1);
        }
        true
    });
    functions.into_iter().map(|(_, facts)| facts).collect()
}

/// A function body's first and last position, as comparable (line, column) pairs.
type Span = ((usize, usize), (usize, usize));

fn key(at: rhai::Position) -> (usize, usize) {
    (at.line().unwrap_or(0), at.position().unwrap_or(0))
}

/// Records what one node of the walk means; `nodes` is the path from the statement down.
fn visit(nodes: &[ASTNode], facts: &mut FunctionFacts) {
    let Some(node) = nodes.last() else { return };
    let parent = nodes.len().checked_sub(2).and_then(|i| nodes.get(i));
    match node {
        ASTNode::Expr(Expr::ThisPtr(at)) => {
            facts.forbidden.push(("this".to_owned(), position(*at)))
        }
        // Closures are function-pointer constants once parsed.
        ASTNode::Expr(Expr::DynamicConstant(value, at)) if value.is_fnptr() => {
            facts
                .forbidden
                .push(("function pointers and closures".to_owned(), position(*at)));
        }
        ASTNode::Stmt(Stmt::FnCall(call, at))
        | ASTNode::Expr(Expr::FnCall(call, at))
        | ASTNode::Expr(Expr::MethodCall(call, at)) => {
            let name = call.name.as_str();
            let arity =
                call.args.len() + usize::from(matches!(node, ASTNode::Expr(Expr::MethodCall(..))));
            if name == "Fn" {
                facts
                    .forbidden
                    .push(("function pointers".to_owned(), position(*at)));
            } else if FORBIDDEN_CALLS.contains(&name) {
                facts.forbidden.push((name.to_owned(), position(*at)));
            } else if is_identifier(name) {
                facts.calls.push((name.to_owned(), arity, position(*at)));
            }
        }
        ASTNode::Expr(var @ Expr::Variable(x, ..)) => {
            if let Some(param) = facts.params.iter().position(|p| p.as_str() == x.1.as_str()) {
                use_of_param(var, parent, param, facts);
            }
        }
        _ => {}
    }
}

/// Classifies one use of parameter `param` by the expression around it.
fn use_of_param(var: &Expr, parent: Option<&ASTNode>, param: usize, facts: &mut FunctionFacts) {
    match parent {
        Some(ASTNode::Expr(Expr::Dot(dot, ..))) if ptr::eq(&dot.lhs, var) => {
            match property_of(&dot.rhs) {
                Some((name, at)) => {
                    facts.reads[param].entry(name).or_insert(position(at));
                }
                None => {
                    // A method called on the record itself (`c.len()`): no field is read, and the
                    // call is checked like any other.
                }
            }
        }
        Some(ASTNode::Expr(Expr::Index(index, ..))) if ptr::eq(&index.lhs, var) => match &index.rhs
        {
            Expr::StringConstant(name, at) => {
                facts.reads[param]
                    .entry(name.to_string())
                    .or_insert(position(*at));
            }
            _ => facts.dynamic[param] = true,
        },
        Some(ASTNode::Expr(Expr::FnCall(call, _)) | ASTNode::Stmt(Stmt::FnCall(call, _)))
            if is_identifier(&call.name) =>
        {
            match call.args.iter().position(|arg| ptr::eq(arg, var)) {
                Some(arg) => {
                    facts
                        .passes
                        .push((call.name.to_string(), call.args.len(), arg, param))
                }
                None => facts.dynamic[param] = true,
            }
        }
        _ => facts.dynamic[param] = true,
    }
}

/// The property named on the right of a dot: `c.assets`, `c.products.len()`, `c.tags[0]`.
fn property_of(rhs: &Expr) -> Option<(String, rhai::Position)> {
    match rhs {
        Expr::Property(p, at) => Some((p.2.to_string(), *at)),
        Expr::Dot(inner, ..) | Expr::Index(inner, ..) => match &inner.lhs {
            Expr::Property(p, at) => Some((p.2.to_string(), *at)),
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

/// A position in our terms, if rhai knows one.
pub(crate) fn position(pos: rhai::Position) -> Option<Position> {
    let line = u32::try_from(pos.line()?).ok()?;
    let column = pos
        .position()
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(1);
    Some(Position { line, column })
}
