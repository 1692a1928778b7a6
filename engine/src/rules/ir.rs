//! The rules' own intermediate representation: a compiled rulebook's functions, lowered once
//! from rhai's AST into types of ours.
//!
//! This is the one module that reads rhai's internal AST (`Stmt`, `Expr`, `FnCallExpr`,
//! `ASTNode`...). Everything that looks at what a rule says works on the IR instead: the
//! analysis of what each function reads and calls (`analysis`), hence the fields' order and the
//! validation, and the native evaluator (`eval::native`). A rhai upgrade that reshapes its AST
//! touches this file only. Rules still run through rhai from the AST; the IR only describes
//! them.
//!
//! The lowering keeps rhai's structure where the consumers depend on it: a property chain stays
//! a `Dot` whose right side is the rest of the chain (`c.a.len()` is `Dot(c, Dot(a, len()))`),
//! a `switch` keeps the hashes rhai keyed its cases with, in the order rhai keeps them, and
//! children come in the order rhai's own walk visits them. Constructs no consumer looks into
//! are kept as [`Expr::Opaque`] or [`Stmt::Unsupported`], with their parts and their place, so
//! that reads inside them are still seen.

use rhai::{AST, ASTFlags, ASTNode, Dynamic, Expr as RExpr, FnCallExpr, ImmutableString};
use rhai::{Stmt as RStmt, StmtBlock};

use crate::error::Position;

/// A place in the rules, if rhai knows one.
pub(crate) type At = Option<Position>;

/// A compiled rulebook, lowered.
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    /// Statements outside any function (a rulebook may have none).
    pub(crate) statements: Vec<Stmt>,
    /// The script functions, in the order they are written.
    pub(crate) functions: Vec<Function>,
    /// Whether some statement of a function body had no place inside any body: it is kept
    /// with the function before it, a guess the native evaluator does not build on.
    pub(crate) misplaced: bool,
}

/// One script function.
#[derive(Debug, Clone)]
pub(crate) struct Function {
    pub(crate) name: ImmutableString,
    pub(crate) params: Vec<ImmutableString>,
    /// Where the body starts.
    pub(crate) position: At,
    pub(crate) body: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub(crate) enum Stmt {
    /// An empty statement (`;`).
    Noop(At),
    /// `let name = value` (or `const`).
    Let {
        name: ImmutableString,
        value: Expr,
        position: At,
    },
    /// `target = value`, or `target op= value` with `op` the operator (`"+"` for `+=`).
    Assign {
        target: Expr,
        op: Option<&'static str>,
        value: Expr,
        position: At,
    },
    If {
        condition: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
        position: At,
    },
    Switch(Box<Switch>),
    /// `while`, `loop`, `do`, `for`: the loop's head (its condition, or what `for` goes
    /// through) and its body.
    Loop {
        head: Expr,
        body: Vec<Stmt>,
        position: At,
    },
    /// `try { body } catch { catch }`.
    Try {
        body: Vec<Stmt>,
        catch: Vec<Stmt>,
        position: At,
    },
    /// `break` or `continue`. Its value is not kept: the analysis never looked into it, as
    /// rhai's own walk never did, and nothing runs natively with it.
    Break {
        position: At,
    },
    Return {
        value: Option<Expr>,
        position: At,
    },
    Throw {
        value: Option<Expr>,
        position: At,
    },
    /// An expression as a statement, with the statement's place (where the expression starts).
    Expr(Expr, At),
    Block(Vec<Stmt>, At),
    /// Anything else (a statement a rhai upgrade might add).
    Unsupported {
        position: At,
    },
}

/// `switch value { case [if condition] => arm, ..., _ => default }`. rhai keeps only the hash
/// of each case value; so does the IR.
#[derive(Debug, Clone)]
pub(crate) struct Switch {
    pub(crate) value: Expr,
    /// Case hash → the arms with that case, in the order written; the cases in the order rhai
    /// keeps them.
    pub(crate) cases: Vec<(u64, Vec<usize>)>,
    /// The arms of integer range cases (`1..5 => ...`).
    pub(crate) ranges: Vec<usize>,
    /// Each arm's condition (`true` without `if`) and value.
    pub(crate) arms: Vec<(Expr, Expr)>,
    pub(crate) default: Option<usize>,
    pub(crate) position: At,
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// A constant: `()`, a boolean, an integer, text, or a value rhai built (a function pointer
    /// for a closure, a constant array...).
    Const(Dynamic, At),
    Var(ImmutableString, At),
    /// `this`.
    This(At),
    /// A property's name, on the right of a [`Expr::Dot`].
    Property(ImmutableString, At),
    /// `lhs.rhs`: `rhs` is a property, a method call, or the rest of a chain.
    Dot(Box<Expr>, Box<Expr>, At),
    /// `lhs[rhs]`.
    Index(Box<Expr>, Box<Expr>, At),
    /// A call of a function or an operator (`a + b` is a call of `+`).
    Call(Box<Call>),
    /// A method call, on the right of a [`Expr::Dot`]; its receiver is not among `args`.
    MethodCall(Box<Call>),
    And(Vec<Expr>, At),
    Or(Vec<Expr>, At),
    Array(Vec<Expr>, At),
    Map(Vec<(ImmutableString, Expr)>, At),
    /// `{ statements }` as an expression.
    Block(Vec<Stmt>, At),
    /// Anything else (characters, floats, text with `${...}`, `??`), by what it is, with its
    /// parts.
    Opaque {
        #[allow(dead_code, reason = "names the construct when debugging")]
        what: &'static str,
        parts: Vec<Expr>,
        position: At,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) name: ImmutableString,
    pub(crate) args: Vec<Expr>,
    /// Whether it is an operator (`+`, `==`, `!`...), rather than a call by name.
    pub(crate) is_operator: bool,
    pub(crate) position: At,
}

impl Stmt {
    /// Where the statement is.
    pub(crate) fn position(&self) -> At {
        match self {
            Stmt::Noop(at) | Stmt::Block(_, at) | Stmt::Expr(_, at) => *at,
            Stmt::Let { position, .. }
            | Stmt::Assign { position, .. }
            | Stmt::If { position, .. }
            | Stmt::Loop { position, .. }
            | Stmt::Try { position, .. }
            | Stmt::Break { position, .. }
            | Stmt::Return { position, .. }
            | Stmt::Throw { position, .. }
            | Stmt::Unsupported { position, .. } => *position,
            Stmt::Switch(switch) => switch.position,
        }
    }
}

impl Expr {
    /// Where the expression is (for a call or an operator, where its name or symbol is).
    /// Every node keeps its place: an explanation names a failed clause by line and column.
    pub(crate) fn position(&self) -> At {
        match self {
            Expr::Const(_, at)
            | Expr::Var(_, at)
            | Expr::This(at)
            | Expr::Property(_, at)
            | Expr::Dot(.., at)
            | Expr::Index(.., at)
            | Expr::And(_, at)
            | Expr::Or(_, at)
            | Expr::Array(_, at)
            | Expr::Map(_, at)
            | Expr::Block(_, at) => *at,
            Expr::Call(call) | Expr::MethodCall(call) => call.position,
            Expr::Opaque { position, .. } => *position,
        }
    }
}

impl Program {
    /// Lowers `ast`: its statements and every function, in the order they are written.
    pub(crate) fn lower(ast: &AST) -> Program {
        let mut functions: Vec<(Span, Function)> = ast
            .iter_fn_def()
            .map(|def| {
                let span = (key(def.body.start_position()), key(def.body.end_position()));
                let function = Function {
                    name: def.name.clone(),
                    params: def.params.iter().cloned().collect(),
                    position: position(def.body.start_position()),
                    body: Vec::new(),
                };
                (span, function)
            })
            .collect();
        functions.sort_by_key(|(span, _)| *span);
        let statements: Vec<Stmt> = ast.statements().iter().map(stmt).collect();
        // rhai does not name the type of a function's body: its walk visits the rulebook's
        // statements, then each body statement by statement, and each top statement belongs
        // to the function whose body spans its position (one without a place stays with the
        // function before it).
        let mut outside = statements.len();
        let mut current = None;
        let mut misplaced = false;
        ast.walk(&mut |nodes: &[ASTNode]| {
            if let [ASTNode::Stmt(statement)] = nodes {
                if outside > 0 {
                    outside -= 1;
                    return true;
                }
                let at = key(statement.position());
                match functions
                    .iter()
                    .position(|((start, end), _)| *start <= at && at <= *end)
                {
                    Some(i) => current = Some(i),
                    None => misplaced = true,
                }
                if let Some(i) = current {
                    functions[i].1.body.push(stmt(statement));
                }
            }
            true
        });
        Program {
            statements,
            functions: functions.into_iter().map(|(_, f)| f).collect(),
            misplaced,
        }
    }
}

/// A function body's first and last position, as comparable (line, column) pairs.
type Span = ((usize, usize), (usize, usize));

fn key(at: rhai::Position) -> (usize, usize) {
    (at.line().unwrap_or(0), at.position().unwrap_or(0))
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

fn block(block: &StmtBlock) -> Vec<Stmt> {
    block.statements().iter().map(stmt).collect()
}

fn boxed(value: &Option<Box<RExpr>>) -> Option<Expr> {
    value.as_deref().map(expr)
}

fn stmt(statement: &RStmt) -> Stmt {
    match statement {
        RStmt::Noop(at) => Stmt::Noop(position(*at)),
        RStmt::Var(declaration, _, at) => Stmt::Let {
            name: declaration.0.name.clone(),
            value: expr(&declaration.1),
            position: position(*at),
        },
        RStmt::Assignment(assignment) => {
            let (op, target) = &**assignment;
            Stmt::Assign {
                target: expr(&target.lhs),
                op: op.get_op_assignment_info().map(|(.., symbol)| symbol),
                value: expr(&target.rhs),
                position: position(op.position()),
            }
        }
        RStmt::If(flow, at) => Stmt::If {
            condition: expr(&flow.expr),
            then: block(&flow.body),
            otherwise: block(&flow.branch),
            position: position(*at),
        },
        RStmt::Switch(switch, at) => {
            let (value, cases) = &**switch;
            Stmt::Switch(Box::new(Switch {
                value: expr(value),
                cases: cases
                    .cases
                    .iter()
                    .map(|(&hash, list)| (hash, list.blocks.to_vec()))
                    .collect(),
                ranges: cases.ranges.iter().map(|range| range.index()).collect(),
                arms: cases
                    .expressions
                    .iter()
                    .map(|arm| (expr(&arm.lhs), expr(&arm.rhs)))
                    .collect(),
                default: cases.def_case,
                position: position(*at),
            }))
        }
        RStmt::While(flow, at) | RStmt::Do(flow, _, at) => Stmt::Loop {
            head: expr(&flow.expr),
            body: block(&flow.body),
            position: position(*at),
        },
        RStmt::For(for_loop, at) => Stmt::Loop {
            head: expr(&for_loop.2.expr),
            body: block(&for_loop.2.body),
            position: position(*at),
        },
        RStmt::TryCatch(flow, at) => Stmt::Try {
            body: block(&flow.body),
            catch: block(&flow.branch),
            position: position(*at),
        },
        RStmt::FnCall(call_expr, at) => Stmt::Expr(Expr::Call(call(call_expr, *at)), position(*at)),
        RStmt::Block(statements) => Stmt::Block(block(statements), position(statements.position())),
        RStmt::Expr(value) => Stmt::Expr(expr(value), position(statement.position())),
        RStmt::BreakLoop(_, _, at) => Stmt::Break {
            position: position(*at),
        },
        // `throw` is a return with the break flag.
        RStmt::Return(value, flags, at) if flags.contains(ASTFlags::BREAK) => Stmt::Throw {
            value: boxed(value),
            position: position(*at),
        },
        RStmt::Return(value, _, at) => Stmt::Return {
            value: boxed(value),
            position: position(*at),
        },
        #[allow(unreachable_patterns)]
        other => Stmt::Unsupported {
            position: position(other.position()),
        },
    }
}

fn call(call: &FnCallExpr, at: rhai::Position) -> Box<Call> {
    Box::new(Call {
        name: call.name.clone(),
        args: call.args.iter().map(expr).collect(),
        is_operator: call.op_token.is_some(),
        position: position(at),
    })
}

fn exprs<'a>(items: impl IntoIterator<Item = &'a RExpr>) -> Vec<Expr> {
    items.into_iter().map(expr).collect()
}

fn expr(value: &RExpr) -> Expr {
    match value {
        RExpr::DynamicConstant(value, at) => Expr::Const((**value).clone(), position(*at)),
        RExpr::BoolConstant(value, at) => Expr::Const((*value).into(), position(*at)),
        RExpr::IntegerConstant(value, at) => Expr::Const((*value).into(), position(*at)),
        RExpr::StringConstant(value, at) => Expr::Const(value.clone().into(), position(*at)),
        RExpr::Unit(at) => Expr::Const(Dynamic::UNIT, position(*at)),
        RExpr::Variable(variable, _, at) => Expr::Var(variable.1.clone(), position(*at)),
        RExpr::ThisPtr(at) => Expr::This(position(*at)),
        RExpr::Property(property, at) => Expr::Property(property.2.clone(), position(*at)),
        RExpr::Dot(dot, _, at) => Expr::Dot(
            Box::new(expr(&dot.lhs)),
            Box::new(expr(&dot.rhs)),
            position(*at),
        ),
        RExpr::Index(index, _, at) => Expr::Index(
            Box::new(expr(&index.lhs)),
            Box::new(expr(&index.rhs)),
            position(*at),
        ),
        RExpr::FnCall(x, at) => Expr::Call(call(x, *at)),
        RExpr::MethodCall(x, at) => Expr::MethodCall(call(x, *at)),
        RExpr::And(operands, at) => Expr::And(exprs(operands.iter()), position(*at)),
        RExpr::Or(operands, at) => Expr::Or(exprs(operands.iter()), position(*at)),
        RExpr::Array(items, at) => Expr::Array(exprs(items.iter()), position(*at)),
        RExpr::Map(map, at) => Expr::Map(
            map.0
                .iter()
                .map(|(name, value)| (name.name.clone(), expr(value)))
                .collect(),
            position(*at),
        ),
        RExpr::Stmt(statements) => Expr::Block(block(statements), position(statements.position())),
        RExpr::CharConstant(_, at) => opaque("character", Vec::new(), *at),
        RExpr::FloatConstant(_, at) => opaque("floating-point number", Vec::new(), *at),
        RExpr::InterpolatedString(parts, at) => {
            opaque("interpolated text", exprs(parts.iter()), *at)
        }
        RExpr::Coalesce(operands, at) => opaque("`??`", exprs(operands.iter()), *at),
        #[allow(unreachable_patterns)]
        other => opaque("expression", Vec::new(), other.position()),
    }
}

fn opaque(what: &'static str, parts: Vec<Expr>, at: rhai::Position) -> Expr {
    Expr::Opaque {
        what,
        parts,
        position: position(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(source: &str) -> Program {
        let (ast, _) = crate::eval::parse(source, &crate::rules::Limits::default()).unwrap();
        Program::lower(&ast)
    }

    fn at(line: u32, column: u32) -> At {
        Some(Position { line, column })
    }

    #[test]
    fn functions_come_in_the_order_written_with_their_places() {
        let program = lower("fn b(c) { 1 }\n\nfn a(x, y) {\n  x; y\n}");
        let names: Vec<_> = program.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(program.functions[1].params, ["x", "y"]);
        assert_eq!(program.functions[1].position, at(3, 12));
        assert_eq!(program.functions[1].body.len(), 2);
        assert!(program.statements.is_empty() && !program.misplaced);
    }

    #[test]
    fn a_property_read_keeps_its_place() {
        let program = lower("fn f(c) {\n    c.assets.len()\n}");
        let [Stmt::Expr(Expr::Dot(base, rest, _), _)] = &program.functions[0].body[..] else {
            panic!("{:?}", program.functions[0].body);
        };
        assert!(matches!(&**base, Expr::Var(name, _) if name == "c"));
        let Expr::Dot(property, method, _) = &**rest else {
            panic!("{rest:?}");
        };
        assert!(
            matches!(&**property, Expr::Property(name, place) if name == "assets" && *place == at(2, 7))
        );
        assert!(
            matches!(&**method, Expr::MethodCall(call) if call.name == "len" && call.args.is_empty())
        );
    }

    #[test]
    fn a_switch_keeps_its_case_hashes_arms_and_default() {
        let program = lower(
            "fn f(c) { switch c.t { \"a\" => 1, \"b\" if c.n > 1 => 2, \"b\" => 3, _ => 4 } }",
        );
        let [Stmt::Switch(switch)] = &program.functions[0].body[..] else {
            panic!("{:?}", program.functions[0].body);
        };
        assert_eq!(switch.arms.len(), 4);
        assert_eq!(switch.cases.len(), 2);
        let mut lists: Vec<_> = switch.cases.iter().map(|(_, arms)| arms.clone()).collect();
        lists.sort();
        assert_eq!(lists, [vec![0], vec![1, 2]]);
        assert_eq!(switch.default, Some(3));
        assert!(switch.ranges.is_empty());
        assert!(
            matches!(&switch.arms[1].0, Expr::Call(call) if call.is_operator && call.name == ">")
        );
    }

    #[test]
    fn what_the_ir_does_not_model_keeps_its_place_and_parts() {
        let program = lower("fn f(c) {\n  let x = 'a';\n  `n: ${c.n}`\n}");
        let body = &program.functions[0].body;
        let Stmt::Let {
            value, position, ..
        } = &body[0]
        else {
            panic!("{body:?}");
        };
        assert_eq!(*position, at(2, 3));
        assert!(
            matches!(value, Expr::Opaque { what: "character", position, .. } if *position == at(2, 11))
        );
        let Stmt::Expr(
            Expr::Opaque {
                parts, position, ..
            },
            _,
        ) = &body[1]
        else {
            panic!("{body:?}");
        };
        assert_eq!(*position, at(3, 3));
        // The read inside `${...}` is still there, with its place.
        let [Expr::Const(..), Expr::Block(inner, _)] = &parts[..] else {
            panic!("{parts:?}");
        };
        let [Stmt::Expr(Expr::Dot(_, property, _), _)] = &inner[..] else {
            panic!("{inner:?}");
        };
        assert!(
            matches!(&**property, Expr::Property(name, place) if name == "n" && *place == at(3, 11))
        );
    }

    #[test]
    fn statements_outside_functions_keep_rhais_places() {
        let program = lower("fn f(c) { 1 }\nlet c = 1;\n  c.x;\n  c + 1;");
        let places: Vec<At> = program.statements.iter().map(Stmt::position).collect();
        // As rhai places them: `c.x` where it starts (not at its dot), a call (`+`) at its
        // operator.
        assert_eq!(places, [at(2, 1), at(3, 3), at(4, 5)]);
        assert_eq!(program.functions[0].body.len(), 1);
        assert!(!program.misplaced);
    }

    #[test]
    fn throw_and_return_are_told_apart() {
        let program = lower("fn f(c) { if c.n == 0 { throw \"zero\"; } return 1; }");
        let body = &program.functions[0].body;
        let Stmt::If { then, .. } = &body[0] else {
            panic!("{body:?}");
        };
        assert!(matches!(then[..], [Stmt::Throw { value: Some(_), .. }]));
        assert!(matches!(body[1], Stmt::Return { value: Some(_), .. }));
    }
}
