//! The sandbox: the only place that builds a `rhai::Engine`. It starts from
//! `Engine::new_raw()` (no file access, no printing, no clock), registers only what rules
//! need, and sets every limit ([`Limits`], which the compiled rulebook carries). Rhai's error
//! types stop here: they become [`RuleError`]s.

use std::collections::HashMap;
use std::sync::Arc;

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicMathPackage,
    BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{AST, Dynamic, Engine, EvalAltResult, INT, ImmutableString, ParseError};

use super::convert::Converter;
use super::{fuel, metered};
use crate::cancel::Cancel;
use crate::date::Date;
use crate::error::{Limit, Position, RuleError};
use crate::rules::{Limits, MANAGER_PROPERTIES, RECORD_ID, RECORD_MANAGER, Rulebook, position};
use crate::scores::{CustomerScores, PAIR_SCORE, PairScores, score_for};

/// A customer as rules see it: read-only fields by slot, shared cheaply when a rule passes it
/// to a helper function.
#[derive(Clone)]
pub(crate) struct Record(pub(crate) Arc<RecordData>);

impl Record {
    /// The whole record of `customer` with its `derived` values, as pair and ticket rules
    /// see it; private inputs stay `()`.
    pub(crate) fn of(
        customer: &crate::model::Customer,
        derived: &[crate::model::Value],
        slots: &Slots,
        convert: &mut Converter,
    ) -> Record {
        Record::scored(customer, derived, slots, convert, None)
    }

    /// [`Record::of`], with the customer's `own` scores where they bring them (a lead);
    /// otherwise the scores `slots` have for them.
    pub(crate) fn scored(
        customer: &crate::model::Customer,
        derived: &[crate::model::Value],
        slots: &Slots,
        convert: &mut Converter,
        own: Option<&CustomerScores>,
    ) -> Record {
        let mut values = slots.inputs(&customer.attributes, convert);
        values.extend(derived.iter().map(|v| convert.input(v)));
        let scores = own.or_else(|| slots.scores.of_customer(customer.id.as_str()));
        Record(Arc::new(RecordData {
            scores: scores.cloned(),
            id: customer.id.as_str().into(),
            manager: customer
                .manager
                .as_ref()
                .map_or(Dynamic::UNIT, |m| m.as_str().into()),
            values,
        }))
    }
}

/// The values behind a [`Record`]: input attributes first, then derived fields.
#[derive(Clone)]
pub(crate) struct RecordData {
    pub(crate) id: ImmutableString,
    /// The model's scores for the customer, if they have any.
    pub(crate) scores: Option<CustomerScores>,
    pub(crate) manager: Dynamic,
    pub(crate) values: Vec<Dynamic>,
}

/// Where each readable field of a record lives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots {
    /// Field name → slot, for every input attribute and derived field.
    pub(crate) by_name: HashMap<String, usize>,
    /// How many of the slots hold input attributes (the rest are derived).
    pub(crate) inputs: usize,
    /// Per input attribute, whether rules may read it (private fields may not).
    pub(crate) readable: Vec<bool>,
    /// The model scores `pair_score(c, m)` reads; empty for none.
    pub(crate) scores: Arc<PairScores>,
}

impl Slots {
    /// Slots for customers of `schema` with the rulebook's derived fields after them. Fields
    /// the rulebook marks private get no slot name: no getter, no indexer, nothing reads them.
    pub(crate) fn for_customers(schema: &crate::model::Schema, rulebook: &Rulebook) -> Slots {
        let mut by_name: HashMap<String, usize> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| !rulebook.is_private(&f.name))
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        for (i, field) in rulebook.fields().iter().enumerate() {
            by_name.insert(field.name.clone(), schema.len() + i);
        }
        Slots {
            by_name,
            inputs: schema.len(),
            readable: schema
                .fields()
                .iter()
                .map(|f| !rulebook.is_private(&f.name))
                .collect(),
            scores: Arc::default(),
        }
    }

    /// These slots, with `scores` behind `pair_score(c, m)`.
    pub(crate) fn with_scores(mut self, scores: &Arc<PairScores>) -> Slots {
        self.scores = Arc::clone(scores);
        self
    }

    /// The record values of input `attributes`: private ones stay `()`, so their values never
    /// enter the sandbox.
    pub(crate) fn inputs(
        &self,
        attributes: &[crate::model::Value],
        convert: &mut Converter,
    ) -> Vec<Dynamic> {
        attributes
            .iter()
            .zip(&self.readable)
            .map(|(value, &readable)| {
                if readable {
                    convert.input(value)
                } else {
                    Dynamic::UNIT
                }
            })
            .collect()
    }
}

/// A manager as pair rules see it: attributes by slot, plus id, capacity and target.
#[derive(Clone)]
pub(crate) struct ManagerRecord(pub(crate) Arc<ManagerData>);

/// The values behind a [`ManagerRecord`].
pub(crate) struct ManagerData {
    pub(crate) id: ImmutableString,
    pub(crate) capacity: INT,
    pub(crate) target: INT,
    pub(crate) values: Vec<Dynamic>,
}

/// Adds the manager type to a run's engine, with a getter per attribute of `schema` that the
/// rulebook does not mark private (a private one has no getter and no computed key reaches it).
pub(crate) fn register_managers(
    engine: &mut Engine,
    schema: &crate::model::Schema,
    rulebook: &Rulebook,
) {
    engine
        .register_type_with_name::<ManagerRecord>("manager")
        .register_get("id", |m: &mut ManagerRecord| m.0.id.clone())
        .register_get("capacity", |m: &mut ManagerRecord| m.0.capacity)
        .register_get("target", |m: &mut ManagerRecord| m.0.target);
    let by_name = manager_slots(schema, rulebook);
    for (name, &slot) in &by_name {
        if !MANAGER_PROPERTIES.contains(&name.as_str()) {
            engine.register_get(name, move |m: &mut ManagerRecord| {
                read(m.0.values.get(slot))
            });
        }
    }
    engine.register_indexer_get(
        move |m: &mut ManagerRecord,
              name: ImmutableString|
              -> Result<Dynamic, Box<EvalAltResult>> {
            match by_name.get(name.as_str()) {
                Some(&slot) => Ok(read(m.0.values.get(slot))),
                None => Err(format!("no manager attribute `{name}`").into()),
            }
        },
    );
}

/// Where each manager attribute of `schema` that rules may read lives: every one the rulebook
/// does not mark private.
pub(crate) fn manager_slots(
    schema: &crate::model::Schema,
    rulebook: &Rulebook,
) -> HashMap<String, usize> {
    schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, field)| !rulebook.is_private(&field.name))
        .map(|(slot, field)| (field.name.clone(), slot))
        .collect()
}

/// A record's input values as rules see them: those of private fields stay `()`, so their
/// values never enter the sandbox.
pub(crate) fn visible_values(
    schema: &crate::model::Schema,
    values: &[crate::model::Value],
    rulebook: &Rulebook,
    convert: &mut Converter,
) -> Vec<Dynamic> {
    schema
        .fields()
        .iter()
        .zip(values)
        .map(|(field, value)| {
            if rulebook.is_private(&field.name) {
                Dynamic::UNIT
            } else {
                convert.input(value)
            }
        })
        .collect()
}

/// A copy of the rulebook's functions for one worker thread, made without parsing the source
/// again: its own nodes, so threads do not contend on shared reference counts, at a cost
/// linear in the rulebook however it was written.
pub(crate) fn worker_ast(rulebook: &Rulebook) -> rhai::AST {
    let mut functions = rhai::Module::new();
    for function in rulebook.ast().iter_fn_def() {
        functions.set_script_fn(function.as_ref().clone());
    }
    rhai::AST::new_from_module(functions)
}

/// Parses rulebook `source` for [`Rulebook::compile_with`] on an engine with the sandbox's
/// packages and `limits`: its AST, and the names of every function the sandbox provides, for
/// validation. The one function of this module that `rules` calls.
pub(crate) fn parse(
    source: &str,
    limits: &Limits,
) -> Result<(AST, std::collections::HashSet<String>), RuleError> {
    let mut engine = base_engine(limits);
    // The parser bounds text constants by the engine's string size.
    engine.set_max_string_size(limits.max_text_constant.min(limits.max_string_size));
    let ast = engine.compile(source).map_err(|e| syntax_error(&e))?;
    let known = known_functions(&engine);
    Ok((ast, known))
}

/// Builds an engine with the safe packages and limits, and nothing bound to a run.
/// Used to parse a rulebook, and as the start of every run's engine.
fn base_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    // Rhai's optimiser takes time quadratic in some constructs (23 s for a 100,000-arm
    // `switch`) and gains rules nothing measurable: parsing alone is linear.
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    for package in [
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(package);
    }
    engine
        .on_print(|_| {})
        .on_debug(|_, _, _| {})
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(limits.max_variables)
        .set_max_functions(1_024)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true);
    register_record_type(&mut engine);
    register_dates(&mut engine);
    register_pair_score(&mut engine);
    engine
}

/// A record's field as a rule reads it: a copy, paid for in fuel by its size (an input list
/// can be long).
pub(crate) fn read(value: Option<&Dynamic>) -> Dynamic {
    match value {
        Some(value) => {
            // Input values are flat: they cannot nest too deeply.
            fuel::charge(fuel::read_cost(value).unwrap_or(0));
            value.clone()
        }
        None => Dynamic::UNIT,
    }
}

/// Builds the engine for one run: the base engine plus getters for the record's fields, the
/// date helpers bound to `as_of`, and the fuel meter, which also stops an evaluation soon
/// after `cancel` is raised.
pub(crate) fn run_engine(
    limits: &Limits,
    slots: &Slots,
    as_of: Date,
    cancel: Option<&Cancel>,
) -> Engine {
    let mut engine = base_engine(limits);
    fuel::install(&mut engine, limits, cancel.cloned());
    metered::register(&mut engine);
    for (name, &slot) in &slots.by_name {
        if name != RECORD_ID && name != RECORD_MANAGER {
            engine.register_get(name, move |record: &mut Record| {
                read(record.0.values.get(slot))
            });
        }
    }
    let inputs: Arc<HashMap<String, usize>> = Arc::new(
        slots
            .by_name
            .iter()
            .filter(|(_, slot)| **slot < slots.inputs)
            .map(|(name, slot)| (name.clone(), *slot))
            .collect(),
    );
    engine.register_indexer_get(
        move |record: &mut Record, name: ImmutableString| -> Result<Dynamic, Box<EvalAltResult>> {
            match name.as_str() {
                RECORD_ID => Ok(record.0.id.clone().into()),
                RECORD_MANAGER => Ok(record.0.manager.clone()),
                _ => match inputs.get(name.as_str()) {
                    Some(&slot) => Ok(read(record.0.values.get(slot))),
                    None => Err(format!(
                        "no input attribute `{name}` (derived fields are read as `c.name`)"
                    )
                    .into()),
                },
            }
        },
    );
    register_as_of(&mut engine, as_of);
    engine
}

/// `pair_score(c, m)`: the model's score for the pair, `()` where it gave none. A record
/// carries its customer's scores, so the function needs no table of its own.
fn register_pair_score(engine: &mut Engine) {
    engine.register_fn(PAIR_SCORE, |c: &mut Record, m: ManagerRecord| {
        pair_score(&c.0, &m.0)
    });
}

/// The model's score for customer `c` and manager `m` as rules see it: an integer or a
/// float, `()` where the model gave none.
pub(crate) fn pair_score(c: &RecordData, m: &ManagerData) -> Dynamic {
    let score = c
        .scores
        .as_ref()
        .and_then(|scores| score_for(scores, m.id.as_str()));
    match score {
        Some(crate::model::Value::Int(i)) => (*i).into(),
        Some(crate::model::Value::Float(f)) => (*f).into(),
        _ => Dynamic::UNIT,
    }
}

fn register_record_type(engine: &mut Engine) {
    engine
        .register_type_with_name::<Record>("customer")
        .register_get(RECORD_ID, |record: &mut Record| record.0.id.clone())
        .register_get(RECORD_MANAGER, |record: &mut Record| {
            record.0.manager.clone()
        });
}

fn register_dates(engine: &mut Engine) {
    engine
        .register_type_with_name::<Date>("date")
        .register_fn("date", |text: &str| -> Result<Date, Box<EvalAltResult>> {
            text.parse::<Date>()
                .map_err(|_| "date() expects text as `YYYY-MM-DD`".into())
        })
        .register_get("year", |d: &mut Date| INT::from(d.ymd().0))
        .register_get("month", |d: &mut Date| INT::from(d.ymd().1))
        .register_get("day", |d: &mut Date| INT::from(d.ymd().2))
        .register_fn("to_string", |d: &mut Date| d.to_string())
        .register_fn("to_debug", |d: &mut Date| d.to_string())
        .register_fn("==", |a: Date, b: Date| a == b)
        .register_fn("!=", |a: Date, b: Date| a != b)
        .register_fn("<", |a: Date, b: Date| a < b)
        .register_fn("<=", |a: Date, b: Date| a <= b)
        .register_fn(">", |a: Date, b: Date| a > b)
        .register_fn(">=", |a: Date, b: Date| a >= b)
        .register_fn("-", |a: Date, b: Date| a.days_since(b))
        .register_fn("+", |d: Date, days: INT| add_days(d, days))
        .register_fn("-", |d: Date, days: INT| add_days(d, days.saturating_neg()));
    // Placeholders with the right names and arity so validation knows them; a run replaces
    // them with versions bound to its `as_of`.
    register_as_of(engine, Date::EPOCH);
}

fn add_days(date: Date, days: INT) -> Result<Date, Box<EvalAltResult>> {
    date.days_since_epoch()
        .checked_add(days)
        .and_then(Date::from_days_since_epoch)
        .ok_or_else(|| "date arithmetic went outside the years 1 to 9999".into())
}

fn register_as_of(engine: &mut Engine, as_of: Date) {
    engine
        .register_fn("as_of", move || as_of)
        .register_fn("days_since", move |d: Date| as_of.days_since(d))
        .register_fn("days_until", move |d: Date| d.days_since(as_of))
        .register_fn("years_since", move |d: Date| full_years_between(d, as_of));
    // Text or a blank where a date belongs gets an error that says so (and how to fix it),
    // instead of rhai's "function not found" with its internal type names.
    for helper in crate::rules::DATE_HELPERS {
        engine
            .register_fn(helper, move |_: ImmutableString| -> Result<INT, _> {
                Err(not_a_date(helper, "text"))
            })
            .register_fn(helper, move |_: ()| -> Result<INT, _> {
                Err(not_a_date(helper, "()"))
            });
    }
}

/// How a date helper's error names what it expected, before the helper's name; recognised by
/// [`runtime_error`], which then says how to fix the call.
const A_DATE_FOR: &str = "a date for ";

fn not_a_date(helper: &str, found: &str) -> Box<EvalAltResult> {
    EvalAltResult::ErrorMismatchDataType(
        format!("{A_DATE_FOR}{helper}"),
        found.to_owned(),
        rhai::Position::NONE,
    )
    .into()
}

/// What to do about `helper` called on `found` (text or `()`): no value is quoted.
fn date_fix(helper: &str, found: &str) -> String {
    if found == "()" {
        return format!(
            "`{helper}` was given () (a blank value), not a date: test the field for () first"
        );
    }
    format!(
        "`{helper}` was given {found}, not a date: read the field as a date (`types={{\"FIELD\": \"date\"}}` \
         in Python, `--type FIELD=date` in the CLI; its values must be YYYY-MM-DD) or convert \
         the text with `date(...)`"
    )
}

/// Whole years from `from` to `to` (an age), negative if `to` is earlier.
pub(crate) fn full_years_between(from: Date, to: Date) -> INT {
    if to < from {
        return -full_years_between(to, from);
    }
    let (fy, fm, fd) = from.ymd();
    let (ty, tm, td) = to.ymd();
    let years = INT::from(ty - fy);
    if (tm, td) < (fm, fd) {
        years - 1
    } else {
        years
    }
}

/// The names of every function the sandbox provides, for validation.
fn known_functions(engine: &Engine) -> std::collections::HashSet<String> {
    engine
        .collect_fn_metadata(None, |info| Some(info.metadata.name.to_string()), true)
        .into_iter()
        .collect()
}

/// A parse error as a [`RuleError`]; expression-depth overflows are limits, not syntax.
fn syntax_error(error: &ParseError) -> RuleError {
    RuleError::Syntax {
        message: error.0.to_string(),
        position: position(error.1),
    }
}

/// A runtime error of `rule` for `customer` as a [`RuleError`]. Errors inside helper
/// functions are unwrapped to the innermost one, whose position is where it went wrong; where
/// rhai knows no position (the operation limit), the rule's own position stands in.
pub(crate) fn runtime_error(
    error: EvalAltResult,
    (rule, rule_position): (&str, Option<Position>),
    customer: &str,
    rulebook: &Rulebook,
) -> RuleError {
    let limits = rulebook.limits();
    let mut error = error;
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, _) = error {
        error = *inner;
    }
    let at = position(error.position()).or(rule_position);
    let limit = match &error {
        EvalAltResult::ErrorTooManyOperations(_) => {
            Some((Limit::Operations, limits.max_operations))
        }
        EvalAltResult::ErrorStackOverflow(_) => {
            Some((Limit::CallDepth, limits.max_call_depth as u64))
        }
        EvalAltResult::ErrorTooManyVariables(_) => {
            Some((Limit::Variables, limits.max_variables as u64))
        }
        EvalAltResult::ErrorDataTooLarge(what, _) => Some(data_limit(what, &limits)),
        EvalAltResult::ErrorTerminated(why, _) if why.to_string() == fuel::TOO_DEEP => {
            Some((Limit::ValueDepth, limits.max_value_depth as u64))
        }
        // Out of fuel, or cancelled (the caller sees the cancel flag and reports that).
        EvalAltResult::ErrorTerminated(..) => Some((Limit::Operations, limits.max_operations)),
        _ => None,
    };
    match limit {
        Some((limit, value)) => RuleError::LimitExceeded {
            rule: rule.to_owned(),
            customer: customer.to_owned(),
            limit,
            value,
            position: at,
        },
        None => {
            error.clear_position();
            let message = match &error {
                EvalAltResult::ErrorMismatchDataType(expected, found, _)
                    if expected.starts_with(A_DATE_FOR) =>
                {
                    date_fix(&expected[A_DATE_FOR.len()..], found)
                }
                _ if rulebook.reveals_values() => error.to_string(),
                _ => without_values(&error),
            };
            RuleError::Evaluation {
                rule: rule.to_owned(),
                customer: customer.to_owned(),
                message,
                position: at,
            }
        }
    }
}

/// What went wrong, without the values involved: rhai's messages quote operands, thrown
/// values, indexes and keys, which come from customers' data. Only what cannot be data is
/// kept (an allow-list): names written in the script and types.
fn without_values(error: &EvalAltResult) -> String {
    const WITHHELD: &str = "(values withheld)";
    match error {
        EvalAltResult::ErrorArithmetic(message, _) => {
            format!("{} {WITHHELD}", leading_words(message, "arithmetic error"))
        }
        EvalAltResult::ErrorRuntime(..) => format!("the rule threw an error {WITHHELD}"),
        EvalAltResult::ErrorArrayBounds(..) => format!("array index out of bounds {WITHHELD}"),
        EvalAltResult::ErrorStringBounds(..) => format!("string index out of bounds {WITHHELD}"),
        EvalAltResult::ErrorBitFieldBounds(..) => format!("bit index out of bounds {WITHHELD}"),
        EvalAltResult::ErrorIndexNotFound(..) => format!("index not found {WITHHELD}"),
        // The key may be computed from a customer's data (`m[c.name]`).
        EvalAltResult::ErrorPropertyNotFound(..) => format!("property not found {WITHHELD}"),
        EvalAltResult::ErrorFunctionNotFound(..)
        | EvalAltResult::ErrorMismatchDataType(..)
        | EvalAltResult::ErrorMismatchOutputType(..)
        | EvalAltResult::ErrorIndexingType(..)
        | EvalAltResult::ErrorVariableNotFound(..)
        | EvalAltResult::ErrorUnboundThis(..)
        | EvalAltResult::ErrorFor(..)
        | EvalAltResult::ErrorAssignmentToConstant(..) => error.to_string(),
        _ => format!("the rule failed {WITHHELD}"),
    }
}

/// The words `message` starts with, up to the first character that is not a letter or a
/// space (`Error parsing integer number 'Ada': ...` gives `Error parsing integer number`), or
/// `fallback` if there are none.
fn leading_words<'a>(message: &'a str, fallback: &'a str) -> &'a str {
    let end = message
        .find(|c: char| !(c.is_ascii_alphabetic() || c == ' '))
        .unwrap_or(message.len());
    match message[..end].trim() {
        "" => fallback,
        words => words,
    }
}

fn data_limit(what: &str, limits: &Limits) -> (Limit, u64) {
    let what = what.to_ascii_lowercase();
    if what.contains("array") {
        (Limit::ArraySize, limits.max_array_size as u64)
    } else if what.contains("map") {
        (Limit::MapSize, limits.max_map_size as u64)
    } else {
        (Limit::StringSize, limits.max_string_size as u64)
    }
}
