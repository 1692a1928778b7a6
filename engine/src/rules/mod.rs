//! The rulebook: Rhai source that derives customer fields, compiled once and validated before
//! anything runs.
//!
//! Conventions a rule author follows:
//! - every top-level `fn name(c)` with one parameter defines the derived field `name`;
//! - functions whose name starts with `_` are helpers and may take any parameters;
//! - `eligible(c, m)` and `affinity(c, m)` are pair rules for assignment;
//! - `route_ticket(t)` names the queue for a service ticket (it is not a field);
//! - a function may not take the name of a built-in (`days_since`);
//! - a rule reads the customer's input attributes and other derived fields as `c.name`
//!   (or `c["name"]` for input attributes whose name is not an identifier), the id as `c.id`
//!   and the current manager as `c.manager`;
//! - dates are compared with the run's `as_of` date (`days_since(c.onboarded)`), never the clock.
//!
//! This module compiles: it parses, lowers rhai's AST once to the rules' own IR (`ir`, the one
//! module that reads rhai's AST), analyses what each rule reads (`analysis`), orders the
//! derived fields (`order`), finds what the pair rules read ([`PairRules`]), validates against
//! the inputs, and names the rules and reserved properties (`TICKET_RULE`, `RECORD_ID`, ...).
//! Running a rulebook is `eval`'s. The dependency goes from `eval` to here: `rules` imports
//! nothing of `eval`, `profile` or `tickets` but `eval::parse`, since parsing needs an engine
//! and engines are built in `eval` only.

mod analysis;
pub(crate) mod ir;
pub(crate) mod keys;
mod limits;
mod order;
mod pair_rules;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rhai::AST;

use crate::error::{Position, Result, RuleError};
use crate::model::Schema;
use crate::scores::SCORE_READ;
use crate::suggest;
use analysis::Analysis;
pub(crate) use ir::position;
pub use limits::Limits;
pub use pair_rules::PairRules;

/// Rhai names anonymous functions (`|x| x + 1`) with this prefix.
const ANONYMOUS_PREFIX: &str = "anon$";

/// The pair rules' names.
pub(crate) const ELIGIBLE: &str = "eligible";
pub(crate) const AFFINITY: &str = "affinity";

/// Names of the pair rules, which take a customer and a manager.
const PAIR_RULES: &[&str] = &[ELIGIBLE, AFFINITY];

/// The ticket rule's name.
pub(crate) const TICKET_RULE: &str = "route_ticket";

/// Ticket fields that are not attributes: its id and its customer's record.
pub(crate) const TICKET_PROPERTIES: &[&str] = &["id", "customer"];

/// Reserved record properties that are not attributes.
pub(crate) const RECORD_ID: &str = "id";
pub(crate) const RECORD_MANAGER: &str = "manager";

/// The helpers that take a date (and count days or years from the as-of date).
pub(crate) const DATE_HELPERS: [&str; 3] = ["days_since", "days_until", "years_since"];

/// Structural manager properties that are not attributes.
pub(crate) const MANAGER_PROPERTIES: &[&str] = &["id", "capacity", "target"];

/// The rule `route_ticket(t)`: where it is defined and the ticket fields it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRule {
    /// Where the function body starts.
    pub position: Option<Position>,
    /// Ticket fields it reads (`t.type`, `t.customer`), with the first place each is read.
    pub reads: Vec<(String, Option<Position>)>,
}

/// A derived field: its name, where it is defined, and what it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRule {
    /// The field's name (the function's name).
    pub name: String,
    /// Where the function body starts.
    pub position: Option<Position>,
    /// Input attributes and derived fields it reads, directly or through helpers, sorted.
    pub reads: Vec<String>,
    /// The derived fields among `reads`.
    pub depends_on: Vec<String>,
    /// Whether it also reads attributes by a computed key (`c[key]`) or hands the customer
    /// somewhere the analysis cannot follow.
    pub reads_dynamically: bool,
}

/// A compiled, validated rulebook. Immutable and `Send + Sync`: compile once, share freely.
#[derive(Debug, Clone)]
pub struct Rulebook {
    source: Arc<str>,
    limits: Limits,
    ast: Arc<AST>,
    /// The AST lowered to the rules' own terms, for the analysis and the native evaluator.
    ir: Arc<ir::Program>,
    fields: Vec<FieldRule>,
    order: Vec<usize>,
    pair: PairRules,
    analysis: Arc<Analysis>,
    /// Input fields no rule may read (national id, phone): never converted, never reachable.
    private: Arc<BTreeSet<String>>,
    /// Whether rule errors may quote the values involved (off: names and types only).
    reveal_values: bool,
}

impl Rulebook {
    /// Reads and compiles the rulebook file at `path`; a file that cannot be read is an
    /// [`InputError::Io`](crate::InputError::Io) naming it.
    ///
    /// ```
    /// # fn main() -> apportion::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("apportion-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("bank.rhai");
    /// std::fs::write(&path, "fn tier(c) { if c.assets >= 1_000_000 { \"HNW\" } else { \"MASS\" } }")?;
    /// let rules = apportion::Rulebook::from_file(&path)?;
    /// assert_eq!(rules.fields()[0].name, "tier");
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Rulebook> {
        let path = path.as_ref();
        let source = std::fs::read(path).map_err(|error| crate::InputError::Io {
            source_name: path.display().to_string(),
            message: error.to_string(),
        })?;
        Rulebook::compile_bytes(&source)
    }

    /// Compiles rulebook source read as bytes (a file): see [`source_text`].
    pub fn compile_bytes(source: &[u8]) -> Result<Rulebook> {
        // Without its byte-order mark, so a bad byte on the first line is at its own column.
        let source = source.strip_prefix("\u{feff}".as_bytes()).unwrap_or(source);
        Rulebook::compile(source_text(source)?)
    }

    /// Compiles and validates `source` with the default [`Limits`].
    pub fn compile(source: &str) -> Result<Rulebook> {
        Rulebook::compile_with(source, Limits::default())
    }

    /// Compiles and validates `source` with these limits: syntax, forbidden constructs
    /// (`eval`, function pointers, printing; `import` is not even in the language), unknown functions, rule signatures and
    /// dependency cycles between derived fields.
    pub fn compile_with(source: &str, limits: Limits) -> Result<Rulebook> {
        // A UTF-8 byte-order mark (some editors write one) is not part of the rules; stripped,
        // positions count from the first character a reader sees, as without one.
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        if source.len() > limits.max_source_size {
            return Err(RuleError::SourceTooLarge {
                size: source.len(),
                limit: limits.max_source_size,
            }
            .into());
        }
        // Parsing needs an engine, and engines are built in `eval` only.
        let (ast, known) = crate::eval::parse(source, &limits)?;
        let ir = ir::Program::lower(&ast);
        let analysis = Analysis::of(&ir, &|name| known.contains(name), &|f| {
            !is_helper(&f.name) && f.name != TICKET_RULE
        })?;
        if let Some(function) = analysis.functions.iter().find(|f| known.contains(&f.name)) {
            return Err(RuleError::Signature {
                rule: function.name.clone(),
                message: format!(
                    "`{}` is a built-in function; a rule may not replace it, so choose another name",
                    function.name
                ),
            }
            .into());
        }
        let field_indices = field_functions(&analysis)?;
        let names: Vec<String> = field_indices
            .iter()
            .map(|&i| analysis.functions[i].name.clone())
            .collect();
        let slot_of: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut fields = Vec::with_capacity(names.len());
        let mut depends_on = Vec::with_capacity(names.len());
        for &index in &field_indices {
            let function = &analysis.functions[index];
            let reads = analysis.reads(index, 0);
            let derived: Vec<usize> = reads
                .fields
                .keys()
                .filter_map(|n| slot_of.get(n.as_str()).copied())
                .collect();
            fields.push(FieldRule {
                name: function.name.clone(),
                position: function.position,
                reads: reads.fields.keys().cloned().collect(),
                depends_on: derived.iter().map(|&i| names[i].clone()).collect(),
                reads_dynamically: reads.dynamic,
            });
            depends_on.push(derived);
        }
        let order = order::evaluation_order(&names, &depends_on)?;
        let pair = PairRules::of(&analysis);
        Ok(Rulebook {
            source: source.into(),
            limits,
            ast: Arc::new(ast),
            ir: Arc::new(ir),
            fields,
            order,
            pair,
            analysis: Arc::new(analysis),
            private: Arc::default(),
            reveal_values: false,
        })
    }

    /// Marks input fields no rule may read, such as a national id or a phone number, on
    /// customers, managers and tickets alike. Fails, naming the rule and position, if a rule
    /// reads one; a rule reading by a computed key (`c[key]`, `m[key]`) cannot reach one
    /// either, and their values never enter the sandbox.
    pub fn with_private_fields<I, S>(mut self, fields: I) -> Result<Rulebook>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let private: BTreeSet<String> = fields.into_iter().map(Into::into).collect();
        let refuse = |rule: &str, field: &str, position| {
            Err(RuleError::PrivateField {
                rule: rule.to_owned(),
                field: field.to_owned(),
                position,
            }
            .into())
        };
        for (function, field, position) in self.analysis.direct_reads() {
            if private.contains(field) {
                return refuse(&function.name, field, position);
            }
        }
        // The mark holds for managers' and tickets' fields of that name too.
        for field in &private {
            if let Some((rule, position)) = self.pair.manager_read(field) {
                return refuse(rule, field, position);
            }
        }
        if let Some(ticket) = self.ticket_rule()
            && let Some((field, position)) = ticket.reads.iter().find(|(f, _)| private.contains(f))
        {
            return refuse(TICKET_RULE, field, *position);
        }
        self.private = Arc::new(private);
        Ok(self)
    }

    /// Lets rule errors quote the values involved (`Division by zero: 2500000 / 0`). Off by
    /// default: errors name rules, customers by id, fields and types, never a customer's data.
    pub fn reveal_values_in_errors(mut self, reveal: bool) -> Rulebook {
        self.reveal_values = reveal;
        self
    }

    /// The input fields no rule may read.
    pub fn private_fields(&self) -> impl Iterator<Item = &str> {
        self.private.iter().map(String::as_str)
    }

    pub(crate) fn is_private(&self, field: &str) -> bool {
        self.private.contains(field)
    }

    /// Whether rule errors may quote the values involved.
    pub fn reveals_values(&self) -> bool {
        self.reveal_values
    }

    /// The source the rulebook was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The sandbox limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The derived fields, in declaration order.
    pub fn fields(&self) -> &[FieldRule] {
        &self.fields
    }

    /// The derived fields in the order they are evaluated: every field after those it reads.
    pub fn evaluation_order(&self) -> impl Iterator<Item = &FieldRule> {
        self.order.iter().map(|&i| &self.fields[i])
    }

    /// The ticket rule `route_ticket(t)`, if the rulebook has one.
    pub fn ticket_rule(&self) -> Option<TicketRule> {
        let index = self.analysis.find(TICKET_RULE, 1)?;
        Some(TicketRule {
            position: self.analysis.functions[index].position,
            reads: self.analysis.reads(index, 0).fields.into_iter().collect(),
        })
    }

    /// The pair rules `eligible(c, m)` and `affinity(c, m)`, and what they read.
    pub fn pair_rules(&self) -> &PairRules {
        &self.pair
    }

    /// Checks that every manager field the pair rules read exists among `schema`'s attributes
    /// or is `id`, `capacity` or `target`.
    pub fn check_managers(&self, schema: &Schema) -> Result<()> {
        self.pair.check_managers(schema)
    }

    /// Checks the rulebook against customers' input attributes: every field a rule reads must
    /// exist, and no derived field may reuse an input attribute's name.
    pub fn check(&self, schema: &Schema) -> Result<()> {
        for field in &self.fields {
            if schema.position(&field.name).is_some() {
                return Err(RuleError::FieldConflict {
                    rule: field.name.clone(),
                    reason: format!("the input already has an attribute `{}`", field.name),
                }
                .into());
            }
        }
        let derived: BTreeSet<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        for (function, helper, field, position) in self.analysis.date_reads() {
            let found = schema.field(field).map(|f| f.value_type);
            if let Some(found) = found.filter(|t| *t != crate::model::ValueType::Date) {
                return Err(RuleError::NotADate {
                    rule: function.name.clone(),
                    helper: helper.to_owned(),
                    field: field.to_owned(),
                    found,
                    position,
                }
                .into());
            }
        }
        for (function, field, position) in self.analysis.direct_reads() {
            if field == SCORE_READ && schema.position(field).is_some() {
                return Err(RuleError::FieldConflict {
                    rule: function.name.clone(),
                    reason: format!(
                        "the customers have a column named `{SCORE_READ}`, which pair classes would confuse with the model's score: rename it"
                    ),
                }
                .into());
            }
            let known = derived.contains(field.as_str())
                || schema.position(field).is_some()
                || field == RECORD_ID
                || field == RECORD_MANAGER
                || field == SCORE_READ;
            if !known {
                let names = schema.fields().iter().map(|f| f.name.as_str());
                let names = names.chain(derived.iter().copied());
                return Err(RuleError::UnknownField {
                    rule: function.name.clone(),
                    field: field.clone(),
                    position,
                    suggestion: suggest::nearest(field, names),
                }
                .into());
            }
        }
        Ok(())
    }

    pub(crate) fn ast(&self) -> &AST {
        &self.ast
    }

    /// The rules lowered to the IR.
    pub(crate) fn ir(&self) -> &ir::Program {
        &self.ir
    }

    pub(crate) fn order(&self) -> &[usize] {
        &self.order
    }
}

/// Rulebook source read as bytes, as text: bytes that are not UTF-8 are a syntax error at the
/// line and column of the first bad one.
pub fn source_text(source: &[u8]) -> Result<&str, RuleError> {
    std::str::from_utf8(source).map_err(|error| {
        let valid = &source[..error.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[start..]).chars().count() + 1;
        RuleError::Syntax {
            message: "the rulebook is not valid UTF-8 text".to_owned(),
            position: Some(Position {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            }),
        }
    })
}

fn is_helper(name: &str) -> bool {
    name.starts_with('_') || name.starts_with(ANONYMOUS_PREFIX)
}

/// The functions that define derived fields, checking every rule's signature.
fn field_functions(analysis: &Analysis) -> Result<Vec<usize>, RuleError> {
    let mut fields = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, function) in analysis.functions.iter().enumerate() {
        let name = function.name.as_str();
        if is_helper(name) {
            continue;
        }
        let expected = if PAIR_RULES.contains(&name) { 2 } else { 1 };
        if name == TICKET_RULE {
            if function.params.len() != 1 {
                return Err(RuleError::Signature {
                    rule: name.to_owned(),
                    message: "the ticket rule takes one parameter, the ticket".to_owned(),
                });
            }
            continue;
        }
        if function.params.len() != expected {
            let message = if expected == 2 {
                "a pair rule takes two parameters, the customer and the manager".to_owned()
            } else {
                "a field rule takes one parameter, the customer; start helper names with `_`"
                    .to_owned()
            };
            return Err(RuleError::Signature {
                rule: name.to_owned(),
                message,
            });
        }
        if !seen.insert(name) {
            return Err(RuleError::Signature {
                rule: name.to_owned(),
                message: "defined more than once".to_owned(),
            });
        }
        if name == RECORD_ID || name == RECORD_MANAGER {
            return Err(RuleError::FieldConflict {
                rule: name.to_owned(),
                reason: format!("`{name}` is reserved for the customer's {name}"),
            });
        }
        if expected == 1 {
            fields.push(index);
        }
    }
    Ok(fields)
}
