//! A native fast path for the plain parts of a rulebook.
//!
//! Most rule functions only compare a customer's fields with constants and pick a value: rhai
//! spends far longer looking functions up and boxing values than on the rule itself. A
//! function built only of the constructs below is compiled once into a tree of native steps:
//! literals and arrays, parameters and `let`s, a customer's or a manager's fields (`c.assets`,
//! `m.region`, `m.capacity`), `if`/`else`, `return`, `&&`, `||`, `!`, integer arithmetic and
//! comparisons, `==`/`!=` and ordering of integers and text, `in`, `min`, `max`, `len`,
//! `push`, the date helpers and calls of other script functions. Derived fields and the pair
//! rules run here. Anything else (loops, maps, indexing, text building...) keeps the function
//! on rhai; a native function calling such a one has the caller run it through rhai (a
//! [`Helper`]) and goes on with its value.
//!
//! The fast path never decides anything rhai would decide differently: whenever a value is not
//! of the one kind it handles (a missing field, text compared with a number, an overflow, a
//! division by zero) or a sandbox limit could come into reach, it gives up and the caller runs
//! the rule through rhai, which gives the genuine result or error. Its results equal rhai's
//! (tested on the example bank and on random rules, pair rules included).

use std::collections::HashMap;

use rhai::{Dynamic, INT, ImmutableString};

use super::sandbox::{self, ManagerRecord, Record, Slots};
use crate::date::Date;
use crate::rules::{Limits, RECORD_ID, RECORD_MANAGER, ir};
use crate::scores::PAIR_SCORE;

mod clauses;
mod reads;
mod regions;
mod sum;
mod switch_hash;
pub(crate) use clauses::Clauses;
pub(crate) use sum::Sum;

/// A rulebook's functions compiled to native steps where they can be.
pub(crate) struct NativeRules {
    functions: Vec<Option<Function>>,
    /// Each function's name and number of parameters, in the order of `functions`.
    signatures: Vec<(String, usize)>,
    /// Per derived field, in field order: its compiled function, if it has one.
    fields: Vec<Option<usize>>,
    budget: Budget,
    as_of: Date,
}

/// How far a native evaluation may go before the sandbox's limits could be in reach: half of
/// each limit or less, so anything near one is left to rhai, which enforces them.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Steps evaluated, a quarter of rhai's operation limit (rhai counts about one operation
    /// per expression and statement).
    steps: u64,
    depth: usize,
    variables: usize,
    /// Items in one array, and bytes of text in one value; 0 when unlimited.
    array_items: usize,
    text_bytes: usize,
}

struct Function {
    params: usize,
    /// Whether the body assigns to a parameter (then arguments cannot be lent to it).
    writes_params: bool,
    /// Parameters and every `let` of the body, each with a slot of its own.
    locals: usize,
    body: Vec<Step>,
}

#[derive(Clone)]
enum Step {
    Let(usize, Node),
    /// `local = value` or `local op= value`.
    Set(usize, Option<Op>, Node),
    Push(usize, Node),
    If(Node, Vec<Step>, Vec<Step>),
    Block(Vec<Step>),
    Eval(Node),
    Return(Node),
    Switch(Box<Switch>),
}

/// `switch value { case [if condition] => arm, ..., _ => default }`. Cases are found by the
/// hash rhai keyed them with (it keeps no case values), so the native step chooses as rhai
/// does; a value rhai would not hash is left to rhai.
#[derive(Clone)]
struct Switch {
    value: Node,
    /// Case hash → the arms with that case, in the order written.
    cases: HashMap<u64, Vec<usize>>,
    /// Each arm's condition (`true` without `if`) and value.
    arms: Vec<(Node, Node)>,
    default: Option<usize>,
}

#[derive(Clone)]
enum Node {
    Const(Dynamic),
    Local(usize),
    Field(Box<Node>, Getter),
    Len(Box<Node>),
    Array(Vec<Node>),
    Not(Box<Node>),
    Negate(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Binary(Op, Box<Node>, Box<Node>),
    /// `item in collection`.
    In(Box<Node>, Box<Node>),
    Min(Box<Node>, Box<Node>),
    Max(Box<Node>, Box<Node>),
    Date(DateFn, Box<Node>),
    /// `pair_score(c, m)`: the customer, the manager.
    Score(Box<Node>, Box<Node>),
    Call(usize, Vec<Node>),
    Block(Vec<Step>),
}

/// A property read, resolved when compiled for both kinds of record a rule can be handed:
/// which is read depends on the value at run time (a helper may take either).
#[derive(Clone, Copy)]
struct Getter {
    customer: Option<CustomerGetter>,
    manager: Option<ManagerGetter>,
}

#[derive(Clone, Copy)]
enum CustomerGetter {
    Slot(usize),
    Id,
    Manager,
}

#[derive(Clone, Copy)]
enum ManagerGetter {
    Slot(usize),
    Id,
    Capacity,
    Target,
}

#[derive(Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy)]
enum DateFn {
    DaysSince,
    DaysUntil,
    YearsSince,
}

impl Op {
    fn of(symbol: &str) -> Option<Op> {
        Some(match symbol {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "+" => Op::Add,
            "-" => Op::Sub,
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Rem,
            _ => return None,
        })
    }
}

impl NativeRules {
    /// Compiles what can be compiled of `program`'s functions; `fields` names the derived
    /// fields' functions in field order.
    pub(crate) fn new(
        program: &ir::Program,
        fields: &[&str],
        slots: &Slots,
        limits: &Limits,
        as_of: Date,
    ) -> NativeRules {
        NativeRules::with_managers(program, fields, slots, None, limits, as_of)
    }

    /// [`NativeRules::new`] for rules that are also handed managers, whose readable
    /// attributes `managers` names with their slots.
    pub(crate) fn with_managers(
        program: &ir::Program,
        fields: &[&str],
        slots: &Slots,
        managers: Option<&HashMap<String, usize>>,
        limits: &Limits,
        as_of: Date,
    ) -> NativeRules {
        let ids: HashMap<(&str, usize), usize> = program
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| ((f.name.as_str(), f.params.len()), i))
            .collect();
        let compiler = Compiler {
            ids: &ids,
            slots,
            managers,
        };
        let functions = compiler
            .bodies(program)
            .into_iter()
            .map(|body| {
                Some(Function {
                    params: body.params,
                    writes_params: body.writes_params,
                    locals: body.locals,
                    body: body.steps?,
                })
            })
            .collect();
        NativeRules {
            functions,
            signatures: program
                .functions
                .iter()
                .map(|f| (f.name.to_string(), f.params.len()))
                .collect(),
            fields: fields
                .iter()
                .map(|name| ids.get(&(*name, 1)).copied())
                .collect(),
            budget: Budget {
                // rhai reads 0 as "no limit" for all of these but the call depth.
                steps: match limits.max_operations {
                    0 => u64::MAX,
                    limit => limit / 4,
                },
                depth: limits.max_call_depth / 2,
                variables: match limits.max_variables {
                    0 => usize::MAX,
                    limit => limit / 2,
                },
                array_items: limits.max_array_size / 2,
                text_bytes: limits.max_string_size / 2,
            },
            as_of,
        }
    }

    /// Field `field`'s value for `record`, or `None` where rhai must decide.
    /// `stack` is scratch space a caller keeps from one evaluation to the next.
    pub(crate) fn field(
        &self,
        field: usize,
        record: &Record,
        stack: &mut Vec<Dynamic>,
    ) -> Option<Dynamic> {
        let function = (*self.fields.get(field)?)?;
        self.call(function, [Dynamic::from(record.clone())], stack)
    }

    /// The script function `name` of `arity` parameters, if it compiled to native steps.
    pub(crate) fn function(&self, name: &str, arity: usize) -> Option<usize> {
        let id = self
            .signatures
            .iter()
            .position(|(n, a)| n == name && *a == arity)?;
        self.functions.get(id)?.as_ref().map(|_| id)
    }

    /// [`NativeRules::call`] with arguments lent rather than given: they are moved in and back
    /// out, so a caller calling again and again with the same records boxes them once. A
    /// function that assigns to a parameter gets copies instead.
    /// With the value, the steps the call spent: a caller adding up the parts of one rule
    /// checks them against the budget of the whole ([`NativeRules::step_budget`]).
    pub(crate) fn call_lent<const N: usize>(
        &self,
        function: usize,
        args: &mut [Dynamic; N],
        stack: &mut Vec<Dynamic>,
        helper: Option<Helper<'_>>,
    ) -> Option<(Dynamic, u64)> {
        if self.functions.get(function)?.as_ref()?.writes_params {
            let mut run = Run {
                rules: self,
                locals: std::mem::take(stack),
                steps: 0,
                depth: 0,
                helper,
            };
            run.locals.clear();
            run.locals.extend(args.iter().cloned());
            let value = run.call(function, 0);
            *stack = run.locals;
            stack.clear();
            return Some((value?, run.steps));
        }
        stack.clear();
        stack.extend(args.iter_mut().map(std::mem::take));
        let mut run = Run {
            rules: self,
            locals: std::mem::take(stack),
            steps: 0,
            depth: 0,
            helper,
        };
        let value = run.call_keeping(function, 0, N);
        let spent = run.steps;
        *stack = run.locals;
        // The arguments are still the first locals, unchanged, unless the call gave up early.
        if stack.len() >= N {
            for (arg, lent) in args.iter_mut().zip(stack.drain(..N)) {
                *arg = lent;
            }
        }
        stack.clear();
        Some((value?, spent))
    }

    /// The most steps one native evaluation may spend before it leaves the rule to rhai.
    pub(crate) fn step_budget(&self) -> u64 {
        self.budget.steps
    }

    /// Function `function` (from [`NativeRules::function`]) called with `args`, or `None`
    /// where rhai must decide. `stack` is scratch space kept from one call to the next.
    pub(crate) fn call<const N: usize>(
        &self,
        function: usize,
        args: [Dynamic; N],
        stack: &mut Vec<Dynamic>,
    ) -> Option<Dynamic> {
        stack.clear();
        stack.extend(args);
        let mut run = Run {
            rules: self,
            locals: std::mem::take(stack),
            steps: 0,
            depth: 0,
            helper: None,
        };
        let value = run.call(function, 0);
        *stack = run.locals;
        stack.clear();
        value
    }
}

/// Compiles function bodies from the rules' IR.
struct Compiler<'a> {
    ids: &'a HashMap<(&'a str, usize), usize>,
    slots: &'a Slots,
    /// Managers' readable attributes by name, when compiling pair rules.
    managers: Option<&'a HashMap<String, usize>>,
}

/// A body being compiled: parameters, steps so far (`None` once something cannot be), names in
/// scope and slots handed out.
struct Body {
    params: usize,
    writes_params: bool,
    steps: Option<Vec<Step>>,
    scope: Vec<(ImmutableString, usize)>,
    locals: usize,
}

impl Compiler<'_> {
    fn bodies(&self, program: &ir::Program) -> Vec<Body> {
        let mut bodies: Vec<Body> = program
            .functions
            .iter()
            .map(|function| {
                let mut body = Body {
                    params: function.params.len(),
                    writes_params: false,
                    steps: Some(Vec::new()),
                    scope: function.params.iter().cloned().zip(0..).collect(),
                    locals: function.params.len(),
                };
                for statement in &function.body {
                    let step = self.step(&mut body, statement);
                    body.steps = body.steps.take().zip(step).map(|(mut steps, step)| {
                        steps.push(step);
                        steps
                    });
                }
                body
            })
            .collect();
        // A statement outside every body (one without a position) could belong to any: then no
        // function is compiled, rather than one with a statement missing or misplaced.
        if program.misplaced || !program.statements.is_empty() {
            for body in &mut bodies {
                body.steps = None;
            }
        }
        bodies
    }

    fn block(&self, body: &mut Body, statements: &[ir::Stmt]) -> Option<Vec<Step>> {
        let depth = body.scope.len();
        let steps = statements.iter().map(|s| self.step(body, s)).collect();
        body.scope.truncate(depth);
        steps
    }

    fn step(&self, body: &mut Body, statement: &ir::Stmt) -> Option<Step> {
        use ir::{Expr, Stmt};
        Some(match statement {
            Stmt::Let { name, value, .. } => {
                let value = self.node(body, value)?;
                let slot = body.locals;
                body.locals += 1;
                body.scope.push((name.clone(), slot));
                Step::Let(slot, value)
            }
            Stmt::Assign {
                target, op, value, ..
            } => {
                let Expr::Var(name, _) = target else {
                    return None;
                };
                let slot = lookup(body, name)?;
                let op = match op {
                    Some(symbol) => Some(Op::of(symbol)?),
                    None => None,
                };
                body.writes_params |= slot < body.params;
                Step::Set(slot, op, self.node(body, value)?)
            }
            Stmt::If {
                condition,
                then,
                otherwise,
                ..
            } => Step::If(
                self.node(body, condition)?,
                self.block(body, then)?,
                self.block(body, otherwise)?,
            ),
            Stmt::Block(statements, _) => Step::Block(self.block(body, statements)?),
            Stmt::Expr(expr, _) => match expr {
                Expr::Dot(lhs, rhs, _) => match (&**lhs, &**rhs) {
                    (Expr::Var(name, _), Expr::MethodCall(call))
                        if call.name == "push"
                            && call.args.len() == 1
                            && !self.ids.contains_key(&("push", 2)) =>
                    {
                        let slot = lookup(body, name)?;
                        body.writes_params |= slot < body.params;
                        Step::Push(slot, self.node(body, &call.args[0])?)
                    }
                    _ => Step::Eval(self.node(body, expr)?),
                },
                _ => Step::Eval(self.node(body, expr)?),
            },
            Stmt::Switch(switch) => {
                if !switch.ranges.is_empty() || !switch_hash::agrees_with_rhai() {
                    return None;
                }
                let arms = switch
                    .arms
                    .iter()
                    .map(|(condition, value)| {
                        Some((self.node(body, condition)?, self.node(body, value)?))
                    })
                    .collect::<Option<_>>()?;
                Step::Switch(Box::new(Switch {
                    value: self.node(body, &switch.value)?,
                    cases: switch.cases.iter().cloned().collect(),
                    arms,
                    default: switch.default,
                }))
            }
            Stmt::Noop(_) => Step::Eval(Node::Const(Dynamic::UNIT)),
            Stmt::Return { value, .. } => Step::Return(match value {
                Some(value) => self.node(body, value)?,
                None => Node::Const(Dynamic::UNIT),
            }),
            Stmt::Throw { .. }
            | Stmt::Loop { .. }
            | Stmt::Try { .. }
            | Stmt::Break { .. }
            | Stmt::Unsupported { .. } => return None,
        })
    }

    fn node(&self, body: &mut Body, expr: &ir::Expr) -> Option<Node> {
        use ir::Expr;
        Some(match expr {
            Expr::Const(value, _) => Node::Const(value.clone()),
            Expr::Array(items, _) => Node::Array(
                items
                    .iter()
                    .map(|item| self.node(body, item))
                    .collect::<Option<_>>()?,
            ),
            Expr::Var(name, _) => Node::Local(lookup(body, name)?),
            Expr::Block(statements, _) => Node::Block(self.block(body, statements)?),
            Expr::Call(call) => self.call(body, call)?,
            Expr::And(operands, _) => Node::And(
                operands
                    .iter()
                    .map(|o| self.node(body, o))
                    .collect::<Option<_>>()?,
            ),
            Expr::Or(operands, _) => Node::Or(
                operands
                    .iter()
                    .map(|o| self.node(body, o))
                    .collect::<Option<_>>()?,
            ),
            Expr::Dot(lhs, rhs, _) => {
                let base = self.node(body, lhs)?;
                self.chain(base, rhs)?
            }
            Expr::This(_)
            | Expr::Property(..)
            | Expr::Index(..)
            | Expr::MethodCall(_)
            | Expr::Map(..)
            | Expr::Opaque { .. } => return None,
        })
    }

    /// `base.rest`: properties of a customer and `len()`, left to right.
    fn chain(&self, base: Node, rest: &ir::Expr) -> Option<Node> {
        use ir::Expr;
        match rest {
            Expr::Property(name, _) => Some(Node::Field(Box::new(base), self.getter(name)?)),
            Expr::MethodCall(call)
                if call.name == "len"
                    && call.args.is_empty()
                    && !self.ids.contains_key(&("len", 1)) =>
            {
                Some(Node::Len(Box::new(base)))
            }
            Expr::Dot(lhs, rhs, _) => {
                let inner = self.chain(base, lhs)?;
                self.chain(inner, rhs)
            }
            _ => None,
        }
    }

    fn getter(&self, name: &str) -> Option<Getter> {
        let customer = match name {
            RECORD_ID => Some(CustomerGetter::Id),
            RECORD_MANAGER => Some(CustomerGetter::Manager),
            _ => self
                .slots
                .by_name
                .get(name)
                .map(|&slot| CustomerGetter::Slot(slot)),
        };
        let manager = match name {
            "id" => Some(ManagerGetter::Id),
            "capacity" => Some(ManagerGetter::Capacity),
            "target" => Some(ManagerGetter::Target),
            _ => self
                .managers
                .and_then(|slots| slots.get(name))
                .map(|&slot| ManagerGetter::Slot(slot)),
        };
        (customer.is_some() || manager.is_some()).then_some(Getter { customer, manager })
    }

    /// An operator, a call of another script function (which takes precedence, as in rhai),
    /// or one of the few built-in functions evaluated natively.
    fn call(&self, body: &mut Body, call: &ir::Call) -> Option<Node> {
        let args: Vec<Node> = call
            .args
            .iter()
            .map(|a| self.node(body, a))
            .collect::<Option<_>>()?;
        let name = call.name.as_str();
        let arity = args.len();
        if !call.is_operator
            && let Some(&id) = self.ids.get(&(name, arity))
        {
            return Some(Node::Call(id, args));
        }
        let mut args = args.into_iter().map(Box::new);
        let mut next = || args.next();
        Some(match (call.is_operator, name, arity) {
            (true, "!", 1) => Node::Not(next()?),
            (true, "-", 1) => Node::Negate(next()?),
            (true, _, 2) => Node::Binary(Op::of(name)?, next()?, next()?),
            // `item in collection` is `contains(collection, item)`.
            (false, "contains", 2) => {
                let collection = next()?;
                Node::In(next()?, collection)
            }
            (false, "min", 2) => Node::Min(next()?, next()?),
            (false, "max", 2) => Node::Max(next()?, next()?),
            (false, "days_since", 1) => Node::Date(DateFn::DaysSince, next()?),
            (false, "days_until", 1) => Node::Date(DateFn::DaysUntil, next()?),
            (false, "years_since", 1) => Node::Date(DateFn::YearsSince, next()?),
            (false, PAIR_SCORE, 2) => Node::Score(next()?, next()?),
            _ => return None,
        })
    }
}

fn lookup(body: &Body, name: &str) -> Option<usize> {
    body.scope
        .iter()
        .rev()
        .find(|(n, _)| n.as_str() == name)
        .map(|&(_, slot)| slot)
}

/// How a block ended: with its value, or by `return`.
enum Flow {
    Value(Dynamic),
    Return(Dynamic),
}

/// One evaluation: the locals of every active call, one after another, and what it has spent.
struct Run<'a, 'h> {
    rules: &'a NativeRules,
    locals: Vec<Dynamic>,
    steps: u64,
    depth: usize,
    /// Runs a script function that has no native steps through rhai, if the caller can.
    helper: Option<Helper<'h>>,
}

/// Calls a script function the native path could not compile, through rhai, by name with its
/// arguments: its value and the fuel it spent, or `None` if it failed (then the whole rule goes
/// to rhai, which gives the genuine error).
pub(crate) type Helper<'h> = &'h mut dyn FnMut(&str, Vec<Dynamic>) -> Option<(Dynamic, u64)>;

impl Run<'_, '_> {
    fn tick(&mut self) -> Option<()> {
        self.spend(1)
    }

    /// Spends `steps` of the budget: one per step, and one per item a step goes through, so
    /// that a scan of a long array costs what it does (as fuel does in rhai).
    fn spend(&mut self, steps: usize) -> Option<()> {
        self.steps = self.steps.saturating_add(steps as u64);
        (self.steps <= self.rules.budget.steps).then_some(())
    }

    /// Calls function `id` with the arguments on top of the locals, from `base` on.
    fn call(&mut self, id: usize, base: usize) -> Option<Dynamic> {
        self.call_keeping(id, base, 0)
    }

    /// [`Run::call`], leaving the first `keep` arguments on the locals afterwards.
    fn call_keeping(&mut self, id: usize, base: usize, keep: usize) -> Option<Dynamic> {
        let function = self.rules.functions.get(id)?.as_ref()?;
        self.depth += 1;
        if self.depth > self.rules.budget.depth
            || self.locals.len() != base + function.params
            || base + function.locals > self.rules.budget.variables
        {
            return None;
        }
        self.locals.resize(base + function.locals, Dynamic::UNIT);
        let value = match self.steps(base, &function.body)? {
            Flow::Value(value) | Flow::Return(value) => value,
        };
        self.locals.truncate(base + keep);
        self.depth -= 1;
        Some(value)
    }

    /// Runs `steps` in the frame at `base`; a block's value is its last statement's.
    fn steps(&mut self, base: usize, steps: &[Step]) -> Option<Flow> {
        let mut last = Dynamic::UNIT;
        for step in steps {
            self.tick()?;
            last = match step {
                Step::Let(slot, value) | Step::Set(slot, None, value) => {
                    let value = self.value(base, value)?;
                    *self.locals.get_mut(base + slot)? = value;
                    Dynamic::UNIT
                }
                Step::Set(slot, Some(op), value) => {
                    let right = self.value(base, value)?;
                    let left = self.locals.get(base + slot)?.clone();
                    let value = binary(*op, &left, &right)?;
                    *self.locals.get_mut(base + slot)? = value;
                    Dynamic::UNIT
                }
                Step::Push(slot, value) => {
                    let value = self.value(base, value)?;
                    let budget = self.rules.budget;
                    let local = self.locals.get_mut(base + slot)?;
                    let mut array = local.as_array_mut().ok()?;
                    array.push(value);
                    let fits = fits(&array, budget);
                    drop(array);
                    if !fits {
                        return None;
                    }
                    Dynamic::UNIT
                }
                Step::If(condition, then, otherwise) => {
                    let condition = self.value(base, condition)?.as_bool().ok()?;
                    match self.steps(base, if condition { then } else { otherwise })? {
                        Flow::Value(value) => value,
                        flow @ Flow::Return(_) => return Some(flow),
                    }
                }
                Step::Block(steps) => match self.steps(base, steps)? {
                    Flow::Value(value) => value,
                    flow @ Flow::Return(_) => return Some(flow),
                },
                Step::Eval(node) => self.value(base, node)?,
                Step::Return(node) => return Some(Flow::Return(self.value(base, node)?)),
                Step::Switch(switch) => self.switch(base, switch)?,
            };
        }
        Some(Flow::Value(last))
    }

    /// The chosen arm's value, as rhai chooses: the first arm of the value's case whose
    /// condition holds, else the default, else `()`.
    fn switch(&mut self, base: usize, switch: &Switch) -> Option<Dynamic> {
        let value = self.value(base, &switch.value)?;
        let mut chosen = None;
        if let Some(arms) = switch.cases.get(&switch_hash::of(&value)?) {
            for &arm in arms {
                let (condition, _) = switch.arms.get(arm)?;
                if self.value(base, condition)?.as_bool().ok()? {
                    chosen = Some(arm);
                    break;
                }
            }
        }
        match chosen.or(switch.default) {
            Some(arm) => self.value(base, &switch.arms.get(arm)?.1),
            None => Some(Dynamic::UNIT),
        }
    }

    /// Calls `f` with the value of `node`, borrowed where it sits when it is a local or a
    /// field of a local record: copying a record or a list allocates.
    fn with<R>(
        &mut self,
        base: usize,
        node: &Node,
        f: impl FnOnce(&Dynamic) -> Option<R>,
    ) -> Option<R> {
        self.tick()?;
        let budget = self.rules.budget;
        match node {
            Node::Local(slot) => f(self.locals.get(base + slot)?),
            Node::Field(of, getter) => match &**of {
                Node::Local(slot) => field(self.locals.get(base + slot)?, *getter, budget, f),
                of => {
                    let record = self.value(base, of)?;
                    field(&record, *getter, budget, f)
                }
            },
            _ => {
                let value = self.value(base, node)?;
                f(&value)
            }
        }
    }

    fn value(&mut self, base: usize, node: &Node) -> Option<Dynamic> {
        self.tick()?;
        let budget = self.rules.budget;
        Some(match node {
            Node::Const(value) => value.clone(),
            Node::Local(_) | Node::Field(..) => {
                self.with(base, node, |value| Some(value.clone()))?
            }
            Node::Len(of) => {
                let items = self.with(base, of, |value| Some(value.as_array_ref().ok()?.len()))?;
                INT::try_from(items).ok()?.into()
            }
            Node::Array(items) => {
                self.spend(items.len())?;
                let items: rhai::Array = items
                    .iter()
                    .map(|item| self.value(base, item))
                    .collect::<Option<_>>()?;
                if !fits(&items, budget) {
                    return None;
                }
                items.into()
            }
            Node::Not(operand) => (!self.value(base, operand)?.as_bool().ok()?).into(),
            Node::Negate(operand) => self
                .value(base, operand)?
                .as_int()
                .ok()?
                .checked_neg()?
                .into(),
            Node::And(operands) => {
                for operand in operands {
                    if !self.value(base, operand)?.as_bool().ok()? {
                        return Some(false.into());
                    }
                }
                true.into()
            }
            Node::Or(operands) => {
                for operand in operands {
                    if self.value(base, operand)?.as_bool().ok()? {
                        return Some(true.into());
                    }
                }
                false.into()
            }
            // Against a constant (`c.kind == "sme"`, `"loan" in c.products`), the commonest
            // case, both sides are read where they sit: copying text touches its shared count.
            Node::Binary(op, left, right) => match &**right {
                Node::Const(right) => {
                    self.tick()?;
                    self.with(base, left, |left| binary(*op, left, right))?
                }
                right => {
                    let left = self.value(base, left)?;
                    let right = self.value(base, right)?;
                    binary(*op, &left, &right)?
                }
            },
            Node::In(item, collection) => {
                let item = match &**item {
                    Node::Const(item) => {
                        self.tick()?;
                        item.clone()
                    }
                    item => self.value(base, item)?,
                };
                let (found, scanned) =
                    self.with(base, collection, |collection| contains(collection, &item))?;
                self.spend(scanned)?;
                found.into()
            }
            Node::Min(a, b) => {
                let (a, b) = (
                    self.value(base, a)?.as_int().ok()?,
                    self.value(base, b)?.as_int().ok()?,
                );
                a.min(b).into()
            }
            Node::Max(a, b) => {
                let (a, b) = (
                    self.value(base, a)?.as_int().ok()?,
                    self.value(base, b)?.as_int().ok()?,
                );
                a.max(b).into()
            }
            Node::Date(function, of) => {
                let date = *self.value(base, of)?.read_lock::<Date>()?;
                let as_of = self.rules.as_of;
                match function {
                    DateFn::DaysSince => as_of.days_since(date),
                    DateFn::DaysUntil => date.days_since(as_of),
                    DateFn::YearsSince => sandbox::full_years_between(date, as_of),
                }
                .into()
            }
            Node::Score(customer, manager) => {
                let customer = self.value(base, customer)?;
                let manager = self.value(base, manager)?;
                let (customer, manager) = (
                    customer.read_lock::<Record>()?,
                    manager.read_lock::<ManagerRecord>()?,
                );
                sandbox::pair_score(&customer.0, &manager.0)
            }
            Node::Call(id, args) if self.rules.functions.get(*id).is_some_and(Option::is_none) => {
                let values = args
                    .iter()
                    .map(|arg| self.value(base, arg))
                    .collect::<Option<Vec<_>>>()?;
                let (name, _) = self.rules.signatures.get(*id)?;
                let (value, fuel) = (self.helper.as_mut()?)(name, values)?;
                // Rhai counts about four operations to a native step: whatever nears the
                // limit as a whole is left to rhai, which enforces it.
                self.spend(usize::try_from(fuel / 4).unwrap_or(usize::MAX))?;
                value
            }
            Node::Call(id, args) => {
                // The arguments go straight onto the locals, where the call's frame starts.
                let frame = self.locals.len();
                for arg in args {
                    let value = self.value(base, arg)?;
                    self.locals.push(value);
                }
                self.call(*id, frame)?
            }
            Node::Block(steps) => match self.steps(base, steps)? {
                Flow::Value(value) => value,
                // A `return` inside an expression's block ends the function: left to rhai.
                Flow::Return(_) => return None,
            },
        })
    }
}

/// An operator on two integers, two texts or two booleans (equality only); `None` for any
/// other pair and for arithmetic that overflows or divides by zero.
fn binary(op: Op, left: &Dynamic, right: &Dynamic) -> Option<Dynamic> {
    if let (Ok(a), Ok(b)) = (left.as_int(), right.as_int()) {
        return Some(match op {
            Op::Eq => (a == b).into(),
            Op::Ne => (a != b).into(),
            Op::Lt => (a < b).into(),
            Op::Le => (a <= b).into(),
            Op::Gt => (a > b).into(),
            Op::Ge => (a >= b).into(),
            Op::Add => a.checked_add(b)?.into(),
            Op::Sub => a.checked_sub(b)?.into(),
            Op::Mul => a.checked_mul(b)?.into(),
            Op::Div => a.checked_div(b)?.into(),
            Op::Rem => a.checked_rem(b)?.into(),
        });
    }
    if left.is_string() && right.is_string() {
        let a = left.as_immutable_string_ref().ok()?;
        let b = right.as_immutable_string_ref().ok()?;
        let (a, b) = (a.as_str(), b.as_str());
        return Some(
            match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
                _ => return None,
            }
            .into(),
        );
    }
    if let (Ok(a), Ok(b)) = (left.as_bool(), right.as_bool()) {
        return Some(
            match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                _ => return None,
            }
            .into(),
        );
    }
    // `()` equals only `()`, as in rhai (`list != ()` guards a missing list).
    if left.is_unit() || right.is_unit() {
        let same = left.is_unit() && right.is_unit();
        return match op {
            Op::Eq => Some(same.into()),
            Op::Ne => Some((!same).into()),
            _ => None,
        };
    }
    None
}

/// `item in collection` for an array whose items are all of the item's kind (integer, text or
/// boolean), or text in text; with the number of items it went through.
fn contains(collection: &Dynamic, item: &Dynamic) -> Option<(bool, usize)> {
    if collection.is_string() {
        let text = collection.as_immutable_string_ref().ok()?;
        let part = item.as_immutable_string_ref().ok()?;
        return Some((text.contains(part.as_str()), 1));
    }
    let items = collection.as_array_ref().ok()?;
    let mut found = false;
    for candidate in items.iter() {
        match binary(Op::Eq, candidate, item)?.as_bool() {
            Ok(equal) => found |= equal,
            Err(_) => return None,
        }
    }
    Some((found, items.len()))
}

/// Whether an array stays well inside the size limits rhai checks: its items, and the bytes
/// of the text in it.
fn fits(items: &[Dynamic], budget: Budget) -> bool {
    if budget.array_items > 0 && items.len() > budget.array_items {
        return false;
    }
    let mut bytes = 0;
    for item in items {
        if item.is_array() {
            return false;
        }
        if let Ok(text) = item.as_immutable_string_ref() {
            bytes += text.len();
        }
    }
    text_fits(bytes, budget)
}

/// Calls `f` with a field of `record`, if it is a record and the field stays well inside the
/// size limits.
fn field<R>(
    record: &Dynamic,
    getter: Getter,
    budget: Budget,
    f: impl FnOnce(&Dynamic) -> Option<R>,
) -> Option<R> {
    if let Some(customer) = record.read_lock::<Record>() {
        return match getter.customer? {
            CustomerGetter::Slot(slot) => f(within(customer.0.values.get(slot)?, budget)?),
            CustomerGetter::Manager => f(within(&customer.0.manager, budget)?),
            CustomerGetter::Id => f(within(&customer.0.id.clone().into(), budget)?),
        };
    }
    let manager = record.read_lock::<ManagerRecord>()?;
    match getter.manager? {
        ManagerGetter::Slot(slot) => f(within(manager.0.values.get(slot)?, budget)?),
        ManagerGetter::Id => f(within(&manager.0.id.clone().into(), budget)?),
        ManagerGetter::Capacity => f(&manager.0.capacity.into()),
        ManagerGetter::Target => f(&manager.0.target.into()),
    }
}

/// `value` if it stays well inside the size limits rhai checks on what a getter returns.
fn within(value: &Dynamic, budget: Budget) -> Option<&Dynamic> {
    if value.is_array() && !fits(&value.as_array_ref().ok()?, budget) {
        return None;
    }
    if value.is_string() && !text_fits(value.as_immutable_string_ref().ok()?.len(), budget) {
        return None;
    }
    Some(value)
}

fn text_fits(bytes: usize, budget: Budget) -> bool {
    budget.text_bytes == 0 || bytes <= budget.text_bytes
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use proptest::prelude::*;
    use rhai::{CallFnOptions, Scope};

    use super::*;
    use crate::eval::convert::Converter;
    use crate::load::{self, LoadOptions};
    use crate::model::{
        Customer, CustomerId, Customers, Field, Managers, Schema, Value, ValueType,
    };
    use crate::rules::Rulebook;

    fn as_of() -> Date {
        "2026-06-30".parse().unwrap()
    }

    /// Evaluates every field of `rules` for every customer with rhai, in dependency order, and
    /// checks that wherever the fast path gives a value, rhai gives the same value (never an
    /// error). Returns how many evaluations the fast path took on, of how many.
    fn agree(rules: &str, customers: &Customers) -> (usize, usize) {
        let rulebook = Rulebook::compile(rules).unwrap();
        let slots = Slots::for_customers(&customers.schema, &rulebook);
        let engine = sandbox::run_engine(&rulebook.limits(), &slots, as_of(), None);
        let names: Vec<&str> = rulebook.fields().iter().map(|f| f.name.as_str()).collect();
        let native = NativeRules::new(rulebook.ir(), &names, &slots, &rulebook.limits(), as_of());
        let mut convert = Converter::default();
        let (mut taken, mut all) = (0, 0);
        let mut stack = Vec::new();
        for customer in &customers.records {
            let blank = vec![Value::Null; names.len()];
            let mut record = Record::of(customer, &blank, &slots, &mut convert);
            for &field in rulebook.order() {
                let name = names[field];
                let fast = native.field(field, &record, &mut stack);
                let slow = engine.call_fn::<Dynamic>(
                    &mut Scope::new(),
                    rulebook.ast(),
                    name,
                    (record.clone(),),
                );
                all += 1;
                if let Some(fast) = &fast {
                    taken += 1;
                    let slow = slow.as_ref().unwrap_or_else(|e| {
                        panic!(
                            "{name} for {}: native {fast:?}, rhai failed: {e}",
                            customer.id
                        )
                    });
                    assert_eq!(
                        (fast.type_name(), format!("{fast:?}")),
                        (slow.type_name(), format!("{slow:?}")),
                        "{name} for {}",
                        customer.id
                    );
                }
                let value = slow.unwrap_or(Dynamic::UNIT);
                Arc::make_mut(&mut record.0).values[slots.by_name[name]] = value;
            }
        }
        (taken, all)
    }

    /// Evaluates `eligible` and `affinity` of `rules` for every `every`-th customer against
    /// every manager, natively and with rhai, and checks that wherever the fast path gives a
    /// value, rhai gives the same one. Returns how many pairs the fast path took on, of how many.
    fn agree_on_pairs(
        rules: &str,
        customers: &Customers,
        managers: &Managers,
        every: usize,
    ) -> (usize, usize) {
        let rulebook = Rulebook::compile(rules).unwrap();
        let slots = Slots::for_customers(&customers.schema, &rulebook);
        let mut engine = sandbox::run_engine(&rulebook.limits(), &slots, as_of(), None);
        sandbox::register_managers(&mut engine, &managers.schema, &rulebook);
        let manager_slots = sandbox::manager_slots(&managers.schema, &rulebook);
        let native = NativeRules::with_managers(
            rulebook.ir(),
            &[],
            &slots,
            Some(&manager_slots),
            &rulebook.limits(),
            as_of(),
        );
        let mut convert = Converter::default();
        let staff = crate::eval::pair::manager_records(managers, &rulebook);
        let profile = rulebook
            .profile(customers, &crate::ProfileOptions::new(as_of()))
            .unwrap();
        let (mut taken, mut all) = (0, 0);
        let mut stack = Vec::new();
        // Arguments are lent, as the pair evaluation lends them: boxed once, used many times.
        let mut lent: Vec<Dynamic> = staff.iter().cloned().map(Dynamic::from).collect();
        for (customer, derived) in customers
            .records
            .iter()
            .zip(&profile.customers)
            .step_by(every)
        {
            let record = Record::of(customer, &derived.values, &slots, &mut convert);
            let mut record_arg = Dynamic::from(record.clone());
            for (manager, manager_arg) in staff.iter().zip(&mut lent) {
                for rule in ["eligible", "affinity"] {
                    let Some(function) = native.function(rule, 2) else {
                        all += 1;
                        continue;
                    };
                    let mut args = [std::mem::take(&mut record_arg), std::mem::take(manager_arg)];
                    let mut helper = |name: &str, args: Vec<Dynamic>| {
                        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
                        let value = engine
                            .call_fn_with_options::<Dynamic>(
                                options,
                                &mut Scope::new(),
                                rulebook.ast(),
                                name,
                                args,
                            )
                            .ok()?;
                        Some((value, crate::eval::fuel::spent_by_last_evaluation()))
                    };
                    let fast = native
                        .call_lent(function, &mut args, &mut stack, Some(&mut helper))
                        .map(|(value, _)| value);
                    [record_arg, *manager_arg] = args;
                    let slow = engine.call_fn::<Dynamic>(
                        &mut Scope::new(),
                        rulebook.ast(),
                        rule,
                        (record.clone(), manager.clone()),
                    );
                    all += 1;
                    if let Some(fast) = fast {
                        taken += 1;
                        let slow = slow.unwrap_or_else(|e| {
                            panic!(
                                "{rule} for {}: native {fast:?}, rhai failed: {e}",
                                customer.id
                            )
                        });
                        assert_eq!(
                            (fast.type_name(), format!("{fast:?}")),
                            (slow.type_name(), format!("{slow:?}")),
                            "{rule} for {} and {}",
                            customer.id,
                            manager.0.id
                        );
                    }
                }
            }
        }
        (taken, all)
    }

    #[test]
    fn the_example_banks_pair_rules_run_natively_and_equal_rhai() {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
        let customers =
            load::read_customers(&data.join("customers.csv"), &LoadOptions::default()).unwrap();
        let managers =
            load::read_managers(&data.join("managers.csv"), &LoadOptions::default()).unwrap();
        let rules = include_str!("../../../examples/rules/bank.rhai");
        let (taken, all) = agree_on_pairs(rules, &customers, &managers, 10);
        // Both pair rules of the bank are plain enough: no pair is left to rhai.
        assert_eq!(taken, all);
        assert_eq!(all, 300 * 50 * 2);
    }

    /// [`agree_on_pairs`] on `count` customers and `count` managers of one integer column `n`,
    /// numbered from 0.
    fn agree_on_numbered_pairs(rules: &str, count: i64) -> (usize, usize) {
        let columns = [("n", ValueType::Int)];
        let rows = || (0..count).map(|n| vec![Value::Int(n)]).collect::<Vec<_>>();
        let customers = customers(&columns, rows());
        agree_on_pairs(rules, &customers, &managers_like(&columns, rows()), 1)
    }

    #[test]
    fn a_pair_rule_that_assigns_to_a_parameter_leaves_the_lent_records_alone() {
        let rules = "fn eligible(c, m) { let k = m.n; m = 0; k >= c.n }\n\
                     fn affinity(c, m) { let k = m.n * 10 + c.n; c = (); k }";
        assert_eq!(agree_on_numbered_pairs(rules, 3), (18, 18));
    }

    #[test]
    fn a_helper_with_no_native_steps_runs_through_rhai_inside_a_native_pair_rule() {
        let rules = "fn _bonus(n) { let s = 0; for i in 0..n { s += 10; } s }\n\
                     fn affinity(c, m) { _bonus(c.n) + m.n }";
        assert_eq!(agree_on_numbered_pairs(rules, 4), (16, 32));
    }

    #[test]
    fn the_example_banks_fields_run_natively_and_equal_rhai() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data/customers.csv");
        let customers = load::read_customers(&path, &LoadOptions::default()).unwrap();
        let rules = include_str!("../../../examples/rules/bank.rhai");
        let (taken, all) = agree(rules, &customers);
        // Every derived field of the bank is plain enough: none is left to rhai.
        assert_eq!(taken, all);
        assert_eq!(
            all,
            3_000 * Rulebook::compile(rules).unwrap().fields().len()
        );
    }

    #[test]
    fn the_example_lenders_fields_and_pair_rules_run_natively_and_equal_rhai() {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data/lender");
        let options = LoadOptions::default();
        let borrowers = load::read_customers(&data.join("borrowers.csv"), &options).unwrap();
        let managers = load::read_managers(&data.join("managers.csv"), &options).unwrap();
        let rules = include_str!("../../../examples/rules/lender.rhai");
        let fields = Rulebook::compile(rules).unwrap().fields().len();
        // Every derived field, `switch`es and all, runs natively.
        assert_eq!(agree(rules, &borrowers), (3_000 * fields, 3_000 * fields));
        // So do both pair rules, helpers included, for every pair.
        let (taken, all) = agree_on_pairs(rules, &borrowers, &managers, 30);
        assert_eq!((taken, all), (100 * 30 * 2, 100 * 30 * 2));
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|&item| Arc::from(item)).collect())
    }

    fn customers(columns: &[(&str, ValueType)], rows: Vec<Vec<Value>>) -> Customers {
        let schema = Schema::new(
            columns
                .iter()
                .map(|(name, value_type)| Field {
                    name: (*name).to_owned(),
                    value_type: *value_type,
                })
                .collect(),
        )
        .unwrap();
        Customers {
            schema,
            records: rows
                .into_iter()
                .enumerate()
                .map(|(i, attributes)| Customer {
                    id: CustomerId::from(format!("C-{i}").as_str()),
                    manager: None,
                    attributes,
                })
                .collect(),
        }
    }

    #[test]
    fn what_rhai_would_refuse_or_decide_otherwise_is_left_to_it() {
        let columns = [
            ("n", ValueType::Int),
            ("t", ValueType::Str),
            ("l", ValueType::List),
        ];
        let rows = vec![
            vec![Value::Int(5), Value::Str("a".into()), list(&["x"])],
            vec![Value::Null, Value::Null, Value::Null],
            vec![Value::Int(i64::MAX), Value::Str("7".into()), list(&[])],
            vec![Value::Int(0), Value::Str("".into()), list(&["a", "b"])],
        ];
        let rules = r#"
            fn overflow(c) { c.n + 1 }
            fn by_zero(c) { 10 / c.n }
            fn mixed(c) { c.n == c.t }
            fn in_missing(c) { "x" in c.l }
            fn not_bool(c) { if c.n { 1 } else { 2 } }
            fn loops(c) { let s = 0; for i in 0..3 { s += i; } s }
            fn text(c) { c.t + "!" }
            fn returns_inside(c) { let x = if c.n > 1 { return 7; } else { 1 }; x }
            fn thrown(c) { if c.n == 0 { throw "zero"; } c.n }
            fn deep(c) { _deep(c.n) }
            fn _deep(n) { if n <= 0 { 0 } else { 1 + _deep(n - 1) } }
        "#;
        let (taken, all) = agree(rules, &customers(&columns, rows));
        // Some evaluations do run natively (where the values are plain), none disagrees.
        assert!(taken > 0 && taken < all, "{taken} of {all}");
    }

    /// Random integer expressions over the customer's `n`, `l` and `d`, well typed so that
    /// most of them run natively and every operator's result reaches the output.
    fn integer(depth: u32) -> BoxedStrategy<String> {
        let leaf = prop_oneof![
            (-3i64..12).prop_map(|n| n.to_string()),
            Just("c.n".to_owned()),
            Just("c.l.len()".to_owned()),
            Just("days_since(c.d)".to_owned()),
        ];
        leaf.prop_recursive(depth, 32, 3, |inner| {
            let op = prop_oneof![Just("+"), Just("-"), Just("*"), Just("/"), Just("%")];
            prop_oneof![
                (inner.clone(), op, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
                inner.clone().prop_map(|a| format!("-({a})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("max({a}, {b})")),
                (boolean(1), inner.clone(), inner.clone())
                    .prop_map(|(a, b, d)| format!("(if {a} {{ {b} }} else {{ {d} }})")),
                (inner.clone(), inner)
                    .prop_map(|(a, b)| format!("{{ let v = {a}; v -= {b}; v * 3 }}")),
            ]
        })
        .boxed()
    }

    /// Random conditions: comparisons of integers and of texts, `in`, `!`, `&&`, `||`.
    fn boolean(depth: u32) -> BoxedStrategy<String> {
        let compare = crate::eval::testing::comparison();
        let text = prop_oneof![Just("c.t"), Just("\"a\""), Just("\"b\""), Just("\"ba\"")];
        let leaf = prop_oneof![
            (integer(0), compare.clone(), integer(0))
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (text.clone(), compare, text.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            text.clone().prop_map(|a| format!("({a} in c.l)")),
            (text.clone(), text).prop_map(|(a, b)| format!("({a} in {b})")),
            Just("c.b".to_owned()),
        ];
        leaf.prop_recursive(depth, 16, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|a| format!("!({a})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} && {b})")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("({a} || {b})")),
            ]
        })
        .boxed()
    }

    /// A rule body: an integer, a condition, or a list built with `push` under conditions;
    /// now and then a construct the fast path leaves to rhai.
    fn body() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => integer(4),
            3 => boolean(3),
            2 => (boolean(2), boolean(2)).prop_map(|(a, b)| format!(
                "let v = []; if {a} {{ v.push(\"x\"); }} if {b} {{ v.push(c.t); }} v"
            )),
            2 => (integer(2), integer(2), boolean(1), integer(1)).prop_map(|(a, b, p, d)| format!(
                "switch c.t {{ \"a\" => {a}, \"b\" if {p} => {b}, \"b\" => 9, () => 7, _ => {d} }}"
            )),
            1 => integer(2).prop_map(|a| format!(
                "let v = switch c.n {{ 1 => {a}, 3 => 2, true => 5 }}; if v == () {{ 0 }} else {{ v }}"
            )),
            1 => Just("switch c.d { 1 => 1, _ => 2 }".to_owned()),
            1 => Just("c.t + \"!\"".to_owned()),
            1 => Just("c.n == c.t".to_owned()),
            1 => Just("let s = 0; for i in 0..3 { s += i; } s".to_owned()),
        ]
    }

    fn value() -> impl Strategy<Value = Vec<Value>> {
        (
            prop_oneof![
                1 => Just(Value::Null),
                8 => (-5i64..12).prop_map(Value::Int),
                1 => Just(Value::Int(i64::MAX)),
            ],
            prop_oneof![
                1 => Just(Value::Null),
                4 => prop_oneof![Just("a"), Just("b"), Just("ba")].prop_map(|t| Value::Str(t.into())),
            ],
            prop_oneof![
                1 => Just(Value::Null),
                4 => prop_oneof![Just(list(&[])), Just(list(&["a", "c"])), Just(list(&["ba"]))],
            ],
            prop_oneof![
                1 => Just(Value::Null),
                4 => (0i64..40).prop_map(|days| Value::Date(
                    Date::from_days_since_epoch(20_600 + days).unwrap()
                )),
            ],
            prop_oneof![1 => Just(Value::Null), 4 => any::<bool>().prop_map(Value::Bool)],
        )
            .prop_map(|(n, t, l, d, b)| vec![n, t, l, d, b])
    }

    /// `source` with the reads of the customer's fields whose bit is set in `mask` read from
    /// the manager instead (`c.n` becomes `m.n`; both have the same columns).
    fn some_reads_from_the_manager(source: &str, mask: u64) -> String {
        let mut out = String::with_capacity(source.len());
        let mut rest = source;
        let mut index = 0;
        while let Some(at) = rest.find("c.") {
            out.push_str(&rest[..at]);
            out.push_str(if mask >> (index % 64) & 1 == 1 {
                "m."
            } else {
                "c."
            });
            rest = &rest[at + 2..];
            index += 1;
        }
        out.push_str(rest);
        out
    }

    fn managers_like(columns: &[(&str, ValueType)], rows: Vec<Vec<Value>>) -> Managers {
        let customers = customers(columns, rows);
        Managers {
            schema: customers.schema,
            records: customers
                .records
                .into_iter()
                .enumerate()
                .map(|(i, c)| crate::model::Manager {
                    id: crate::model::ManagerId::from(format!("M-{i}").as_str()),
                    capacity: 10 + i as u32,
                    target: None,
                    segment_caps: Default::default(),
                    segment_targets: Default::default(),
                    attributes: c.attributes,
                })
                .collect(),
        }
    }

    /// The columns of the random rules' books, one of each type (values from `value()`).
    const RANDOM_COLUMNS: [(&str, ValueType); 5] = [
        ("n", ValueType::Int),
        ("t", ValueType::Str),
        ("l", ValueType::List),
        ("d", ValueType::Date),
        ("b", ValueType::Bool),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn random_rules_run_natively_only_where_rhai_agrees(
            body in body(),
            helper in integer(2),
            rows in proptest::collection::vec(value(), 1..8),
        ) {
            let rules = format!(
                "fn f(c) {{ if c.n == 3 {{ return _g(c); }} {body} }}\nfn _g(c) {{ {helper} }}\nfn h(c) {{ c.f }}"
            );
            // A rule rhai rejects when compiling (a constant expression that fails) is not
            // this test's business.
            prop_assume!(Rulebook::compile(&rules).is_ok());
            agree(&rules, &customers(&RANDOM_COLUMNS, rows));
        }

        #[test]
        fn random_pair_rules_run_natively_only_where_rhai_agrees(
            condition in boolean(3),
            score in integer(3),
            masks in (any::<u64>(), any::<u64>()),
            rows in proptest::collection::vec(value(), 1..6),
            staff in proptest::collection::vec(value(), 1..5),
        ) {
            let rules = format!(
                "fn eligible(c, m) {{ {} }}\nfn affinity(c, m) {{ if m.id == \"M-0\" {{ return m.capacity - c.n; }} {} }}",
                some_reads_from_the_manager(&condition, masks.0),
                some_reads_from_the_manager(&score, masks.1),
            );
            prop_assume!(Rulebook::compile(&rules).is_ok());
            agree_on_pairs(&rules, &customers(&RANDOM_COLUMNS, rows), &managers_like(&RANDOM_COLUMNS, staff), 1);
        }
    }
}
