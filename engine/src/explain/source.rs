//! The parts of a rule an explanation names, found in the rule IR and cut out of the source:
//! the clauses of `eligible` (its leading guards `if p { return false; }`, then the operands
//! of a final `a && b && ...`), and the statements of a running score (`let s = K; ...; s`).
//!
//! The IR keeps where each node is (for an operator, where its symbol is), not where it ends;
//! a part starts at the first place of any node in it, and ends where a scan of the source
//! from there meets what closes it at the same depth of brackets (outside text and comments).

use crate::error::Position;
use crate::rules::Rulebook;
use crate::rules::ir::{Expr, Function, Stmt};

/// A part of a rule: where it starts, and its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) position: Position,
    pub(crate) text: String,
}

/// `eligible` as the steps its top level takes, each naming parts of [`EligibleParts::parts`]
/// to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClauseStep {
    /// `if p { return false; }`: the pair fails when `p` holds.
    Guard(usize),
    /// `if p { return a && b; }`: when `p` holds, the pair fails at the first operand that
    /// is false, and passes if none is.
    When(usize, Vec<usize>),
    /// What the rule ends with, `a && b && ...`: the pair fails at the first false operand.
    Last(Vec<usize>),
}

/// `eligible` cut into the parts an explanation evaluates, and the order it takes them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EligibleParts {
    pub(crate) params: Vec<String>,
    pub(crate) parts: Vec<Part>,
    pub(crate) steps: Vec<ClauseStep>,
}

/// A running score: the function's parameters, the score's name, the source of its body up
/// to the end of each statement after the `let`, and those statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScoreParts {
    pub(crate) params: Vec<String>,
    pub(crate) score: String,
    /// The score's starting value.
    pub(crate) start: i64,
    /// Each term's statement, and the body's source from its first statement to the end of
    /// that one.
    pub(crate) terms: Vec<(Part, String)>,
    /// What the function returns, when it is not the score alone.
    pub(crate) finish: Option<Part>,
}

/// The script function `name` of `params` parameters.
pub(crate) fn function<'a>(
    rulebook: &'a Rulebook,
    name: &str,
    params: usize,
) -> Option<&'a Function> {
    let mut functions = rulebook.ir().functions.iter();
    functions.find(|f| f.name == name && f.params.len() == params)
}

/// `eligible(c, m)` as steps, if its top level is guards and `if p { return ...; }`
/// statements, ending with an expression (each possibly a conjunction).
pub(crate) fn clauses(rulebook: &Rulebook) -> Option<EligibleParts> {
    let source = rulebook.source();
    let function = function(rulebook, crate::rules::ELIGIBLE, 2)?;
    let mut parts: Vec<Part> = Vec::new();
    let mut add = |expr: &Expr, operand: bool| -> Option<usize> {
        parts.push(expression_part(source, expr, operand)?);
        Some(parts.len() - 1)
    };
    let mut steps = Vec::new();
    let (last, leading) = function.body.split_last()?;
    for stmt in leading {
        let Stmt::If {
            condition,
            then,
            otherwise,
            ..
        } = stmt
        else {
            return None;
        };
        let [
            Stmt::Return {
                value: Some(value), ..
            },
        ] = then.as_slice()
        else {
            return None;
        };
        if !otherwise.is_empty() {
            return None;
        }
        let step = match value {
            Expr::Const(value, _) if value.as_bool() == Ok(false) => {
                ClauseStep::Guard(add(condition, false)?)
            }
            value => {
                let condition = add(condition, false)?;
                let operands = conjunction(value).into_iter().map(|o| add(o, true));
                ClauseStep::When(condition, operands.collect::<Option<_>>()?)
            }
        };
        steps.push(step);
    }
    let value = match last {
        Stmt::Expr(value, _)
        | Stmt::Return {
            value: Some(value), ..
        } => value,
        _ => return None,
    };
    let operands = conjunction(value).into_iter().map(|o| add(o, true));
    steps.push(ClauseStep::Last(operands.collect::<Option<_>>()?));
    let params = function.params.iter().map(|p| p.to_string()).collect();
    Some(EligibleParts {
        params,
        parts,
        steps,
    })
}

/// The operands of `a && b && ...`, or the expression alone.
fn conjunction(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::And(operands, _) => operands.iter().flat_map(conjunction).collect(),
        other => vec![other],
    }
}

/// `function` as a running score, `let s = K; <statements>; s` (or an expression of `s`),
/// with at least one statement between the `let` and the end.
pub(crate) fn score(rulebook: &Rulebook, function: &Function) -> Option<ScoreParts> {
    let source = rulebook.source();
    let (first, rest) = function.body.split_first()?;
    let (last, terms) = rest.split_last()?;
    let Stmt::Let {
        name,
        value: Expr::Const(start, _),
        ..
    } = first
    else {
        return None;
    };
    let start = start.as_int().ok()?;
    // The score itself, or an expression of it (`max(0, min(score, 100))`): then a last step.
    let finish = match last {
        Stmt::Expr(Expr::Var(var, _), _)
        | Stmt::Return {
            value: Some(Expr::Var(var, _)),
            ..
        } if var == name => None,
        Stmt::Expr(value, _)
        | Stmt::Return {
            value: Some(value), ..
        } => Some(expression_part(source, value, false)?),
        _ => return None,
    };
    if terms.is_empty() {
        return None;
    }
    let body_start = offset(source, first_position_of_stmt(first)?)?;
    let parts = terms
        .iter()
        .map(|stmt| {
            let position = first_position_of_stmt(stmt)?;
            let start = offset(source, position)?;
            let end = statement_end(source, start);
            let text = source.get(start..end)?.trim().to_owned();
            let prefix = source.get(body_start..end)?.to_owned();
            Some((Part { position, text }, prefix))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(ScoreParts {
        params: function.params.iter().map(|p| p.to_string()).collect(),
        score: name.to_string(),
        start,
        terms: parts,
        finish,
    })
}

/// An expression's part: from its first place to where the scan closes it (an operand of
/// `&&` at the next `&&` too).
fn expression_part(source: &str, expr: &Expr, operand: bool) -> Option<Part> {
    let position = first_position(expr)?;
    let start = offset(source, position)?;
    let end = expression_end(source, start, operand);
    let text = source.get(start..end)?.trim().to_owned();
    (!text.is_empty()).then_some(Part { position, text })
}

/// The earliest place of any node of `expr`.
fn first_position(expr: &Expr) -> Option<Position> {
    let own = expr.position();
    let children: Vec<Option<Position>> = match expr {
        Expr::Dot(lhs, rhs, _) | Expr::Index(lhs, rhs, _) => {
            vec![first_position(lhs), first_position(rhs)]
        }
        Expr::Call(call) | Expr::MethodCall(call) => call.args.iter().map(first_position).collect(),
        Expr::And(parts, _) | Expr::Or(parts, _) | Expr::Array(parts, _) => {
            parts.iter().map(first_position).collect()
        }
        Expr::Opaque { parts, .. } => parts.iter().map(first_position).collect(),
        Expr::Map(entries, _) => entries.iter().map(|(_, e)| first_position(e)).collect(),
        Expr::Block(..) | Expr::Const(..) | Expr::Var(..) | Expr::This(_) | Expr::Property(..) => {
            Vec::new()
        }
    };
    children
        .into_iter()
        .chain([own])
        .flatten()
        .min_by_key(|p| (p.line, p.column))
}

/// The earliest place of a statement: its own, or its expression's when that starts first.
fn first_position_of_stmt(stmt: &Stmt) -> Option<Position> {
    let inner = match stmt {
        Stmt::Expr(expr, _) => first_position(expr),
        Stmt::Assign { target, .. } => first_position(target),
        _ => None,
    };
    [stmt.position(), inner]
        .into_iter()
        .flatten()
        .min_by_key(|p| (p.line, p.column))
}

/// The byte offset of a 1-based (line, column in characters) place in `source`.
pub(crate) fn offset(source: &str, at: Position) -> Option<usize> {
    let line_start = if at.line <= 1 {
        0
    } else {
        let newline = source.match_indices('\n').nth(at.line as usize - 2)?.0;
        newline + 1
    };
    let line = &source[line_start..];
    let column = at.column.max(1) as usize - 1;
    let within = line
        .char_indices()
        .nth(column)
        .map_or(line.len(), |(i, _)| i);
    Some(line_start + within)
}

/// Where an expression starting at `start` ends: before a `;`, `,` or `{` at its own depth
/// (or a `&&`, for an `operand`), or before a bracket that closes one it did not open.
fn expression_end(source: &str, start: usize, operand: bool) -> usize {
    let mut end = source.len();
    scan(source, start, |at, depth, rest| {
        // `#{` opens a map, not a block.
        let block = rest.starts_with('{') && !source[..at].ends_with('#');
        let and = operand && rest.starts_with("&&");
        let stop = depth == 0 && (block || and || rest.starts_with([';', ',']));
        if depth < 0 || stop {
            end = at;
            return true;
        }
        false
    });
    end
}

/// Where a statement starting at `start` ends: after its `;` at its own depth, or after the
/// `}` that closes its last block (one not followed by `else`; with the `;` that follows),
/// or before a bracket that closes one it did not open.
fn statement_end(source: &str, start: usize) -> usize {
    let mut end = source.len();
    let mut opened = false;
    scan(source, start, |at, depth, rest| {
        if depth < 0 {
            end = at;
            return true;
        }
        if depth == 0 && rest.starts_with(';') {
            end = at + 1;
            return true;
        }
        if depth == 0 && rest.starts_with('{') {
            opened = true;
        }
        if depth == 0 && opened && rest.starts_with('}') {
            let after = rest[1..].trim_start();
            if !after.starts_with("else") {
                // `s += if p { 1 } else { 2 };` ends at its `;`.
                let semicolon = after.starts_with(';').then(|| rest.len() - after.len() + 1);
                end = at + semicolon.unwrap_or(1);
                return true;
            }
        }
        false
    });
    end
}

/// Walks `source` from `start` outside text and comments, calling `visit` at each character
/// with its offset, the depth of brackets around it (an opening bracket is seen at the depth
/// outside it, a closing one at the depth it returns to), and the source from there, until
/// `visit` says stop.
fn scan(source: &str, start: usize, mut visit: impl FnMut(usize, i32, &str) -> bool) {
    let mut depth = 0i32;
    let mut chars = source.get(start..).unwrap_or("").char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        let at = start + i;
        let rest = &source[at..];
        match ch {
            '"' | '`' | '\'' => {
                // Skip the literal, escapes included.
                while let Some((_, c)) = chars.next() {
                    if c == '\\' && ch != '`' {
                        chars.next();
                    } else if c == ch {
                        break;
                    }
                }
                continue;
            }
            '/' if rest.starts_with("//") => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                continue;
            }
            '/' if rest.starts_with("/*") => {
                chars.next();
                while let Some((j, _)) = chars.next() {
                    if source[start + j..].starts_with("*/") {
                        chars.next();
                        break;
                    }
                }
                continue;
            }
            '(' | '[' | '{' => {
                if visit(at, depth, rest) {
                    return;
                }
                depth += 1;
                continue;
            }
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if visit(at, depth, rest) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each part's text and place, and the steps.
    type Cut = (Vec<(String, u32, u32)>, Vec<ClauseStep>);

    fn cut(source: &str) -> Option<Cut> {
        let rulebook = Rulebook::compile(source).unwrap();
        let eligible = clauses(&rulebook)?;
        let parts = eligible.parts.into_iter();
        let parts = parts.map(|p| (p.text, p.position.line, p.position.column));
        Some((parts.collect(), eligible.steps))
    }

    fn text(text: &str, line: u32, column: u32) -> (String, u32, u32) {
        (text.to_owned(), line, column)
    }

    #[test]
    fn guards_and_operands_are_cut_out_with_their_places() {
        let source = "fn eligible(c, m) {\n    if c.region != m.region { return false; }\n    \
                      if (c.kind == \"sme\" && !m.sme) { return false; } // not for SME\n    \
                      c.assets >= m.min_assets && (m.open || c.vip) && c.tags.contains(\"a{\")\n}";
        let (parts, steps) = cut(source).unwrap();
        assert_eq!(
            parts,
            [
                text("c.region != m.region", 2, 8),
                text("c.kind == \"sme\" && !m.sme", 3, 9),
                text("c.assets >= m.min_assets", 4, 5),
                text("m.open || c.vip", 4, 34),
                text("c.tags.contains(\"a{\")", 4, 54),
            ]
        );
        use ClauseStep::*;
        assert_eq!(steps, [Guard(0), Guard(1), Last(vec![2, 3, 4])]);
    }

    #[test]
    fn a_return_under_a_condition_is_a_step_of_its_own() {
        let source = "fn eligible(c, m) {\n  if c.region != m.region { return false; }\n  \
                      if c.tier == \"HNW\" { return m.pb && m.senior; }\n  true\n}";
        let (parts, steps) = cut(source).unwrap();
        let texts: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(
            texts,
            [
                "c.region != m.region",
                "c.tier == \"HNW\"",
                "m.pb",
                "m.senior",
                "true"
            ]
        );
        use ClauseStep::*;
        assert_eq!(steps, [Guard(0), When(1, vec![2, 3]), Last(vec![4])]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Text in a rule's strings and comments (brackets, `&&`, quotes, `//`) never moves
        /// where a clause is cut.
        #[test]
        fn strings_and_comments_do_not_move_the_cuts(text in "[ -~]{0,24}") {
            let literal = format!("{text:?}");
            let source = format!(
                "fn eligible(c, m) {{\n  if c.a == {literal} {{ return false; }} // {}\n  \
                 m.b != {literal} && c.d /* {} */ == m.e\n}}",
                text.replace('\n', " "),
                text.replace("*/", "*"),
            );
            // Only a rulebook rhai takes: `{:?}` may write escapes rhai does not know.
            if let Ok(rulebook) = Rulebook::compile(&source) {
                let eligible = clauses(&rulebook).unwrap();
                let parts: Vec<&str> = eligible.parts.iter().map(|p| p.text.as_str()).collect();
                let (guard, operand) = (format!("c.a == {literal}"), format!("m.b != {literal}"));
                let last = format!("c.d /* {} */ == m.e", text.replace("*/", "*"));
                proptest::prop_assert_eq!(parts, [guard.as_str(), operand.as_str(), last.as_str()]);
            }
        }
    }

    #[test]
    fn a_rule_of_another_shape_has_no_steps() {
        let (parts, _) = cut("fn eligible(c, m) { c.region == m.region }").unwrap();
        assert_eq!(parts, [text("c.region == m.region", 1, 21)]);
        assert_eq!(cut("fn eligible(c, m) { let x = 1; x > 0 }"), None);
        assert_eq!(
            cut("fn eligible(c, m) { if c.a { return false; } else { 1 } true }"),
            None
        );
    }

    #[test]
    fn a_running_score_is_cut_into_its_statements() {
        let source = "fn lead_score(c) {\n  let s = 10;\n  if c.assets > 5 { s += 20; } else { s -= 1; }\n  \
                      s += c.n * 2; // per product\n  s\n}";
        let rulebook = Rulebook::compile(source).unwrap();
        let f = function(&rulebook, "lead_score", 1).unwrap();
        let parts = score(&rulebook, f).unwrap();
        assert_eq!(parts.score, "s");
        let terms: Vec<&str> = parts.terms.iter().map(|(p, _)| p.text.as_str()).collect();
        assert_eq!(
            terms,
            [
                "if c.assets > 5 { s += 20; } else { s -= 1; }",
                "s += c.n * 2;"
            ]
        );
        assert!(parts.terms[1].1.starts_with("let s = 10;"));
        assert!(parts.terms[1].1.ends_with("s += c.n * 2;"));
    }
}
