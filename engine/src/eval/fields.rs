//! Derived fields for one customer at a time: each rule natively where it compiled, through
//! rhai otherwise, remembered per distinct input (`memo`). `profile` runs it over a book, the
//! router per lead.

use std::sync::Arc;

use rhai::{CallFnOptions, Dynamic, Engine, ImmutableString, Scope};

use super::convert::{self, Converter};
use super::memo::Memo;
use super::native::NativeRules;
use super::sandbox::{self, Record, RecordData, Slots};
use crate::cancel::Cancel;
use crate::date::Date;
use crate::error::RuleError;
use crate::model::{Customer, Schema, Value};
use crate::rules::{RECORD_ID, RECORD_MANAGER, Rulebook};

/// What one worker thread evaluates with.
pub(crate) struct Worker {
    engine: Engine,
    ast: rhai::AST,
    convert: Converter,
    /// Per derived field, in field order.
    memos: Vec<Memo>,
    /// The native rules' locals, kept between evaluations.
    stack: Vec<Dynamic>,
    scope: Scope<'static>,
}

/// Evaluates the rulebook for one customer at a time; owned, so a router can keep one.
#[derive(Clone)]
pub(crate) struct Evaluator {
    rulebook: Rulebook,
    as_of: Date,
    slots: Slots,
    /// Input attribute positions rules read; the others are never converted.
    needed_inputs: Vec<bool>,
    /// Whether rules read `c.id` and `c.manager` (if not, they are not converted either).
    needs_id: bool,
    needs_manager: bool,
    /// Record slot of each derived field, in field order.
    field_slots: Vec<usize>,
    /// The fields whose rules run natively, and how (rhai runs the others).
    native: Arc<NativeRules>,
}

impl Evaluator {
    /// An evaluator of `rulebook` for customers of `schema`, as of `as_of`.
    pub(crate) fn new(rulebook: &Rulebook, schema: &Schema, as_of: Date) -> Evaluator {
        let slots = Slots::for_customers(schema, rulebook);
        let field_slots: Vec<usize> = (0..rulebook.fields().len())
            .map(|i| schema.len() + i)
            .collect();
        let dynamic = rulebook.fields().iter().any(|f| f.reads_dynamically);
        let is_read = |name: &str| {
            dynamic
                || rulebook
                    .fields()
                    .iter()
                    .any(|f| f.reads.iter().any(|r| r == name))
        };
        let needed_inputs = schema
            .fields()
            .iter()
            .map(|field| is_read(&field.name) && !rulebook.is_private(&field.name))
            .collect();
        let names: Vec<&str> = rulebook.fields().iter().map(|f| f.name.as_str()).collect();
        let native = NativeRules::new(rulebook.ir(), &names, &slots, &rulebook.limits(), as_of);
        Evaluator {
            native: Arc::new(native),
            rulebook: rulebook.clone(),
            as_of,
            slots,
            needed_inputs,
            needs_id: is_read(RECORD_ID),
            needs_manager: is_read(RECORD_MANAGER),
            field_slots,
        }
    }

    /// An engine and AST of a worker's own: threads sharing one contend on the reference
    /// counts rhai touches on every call (measured: 1.4x on two threads shared, 1.7x own).
    /// Its evaluations stop soon after `cancel` is raised.
    pub(crate) fn worker(&self, cancel: Option<&Cancel>) -> Worker {
        let engine = sandbox::run_engine(&self.rulebook.limits(), &self.slots, self.as_of, cancel);
        let ast = sandbox::worker_ast(&self.rulebook);
        Worker {
            engine,
            ast,
            convert: Converter::default(),
            scope: Scope::new(),
            stack: Vec::new(),
            memos: self
                .rulebook
                .fields()
                .iter()
                .map(|rule| Memo::new(rule, &self.slots))
                .collect(),
        }
    }

    /// Evaluates the rulebook for one customer, in dependency order.
    pub(crate) fn customer(
        &self,
        worker: &mut Worker,
        customer: &Customer,
    ) -> Result<Vec<Value>, RuleError> {
        let fields = self.rulebook.fields();
        let mut values: Vec<Dynamic> = Vec::with_capacity(customer.attributes.len() + fields.len());
        for (value, &needed) in customer.attributes.iter().zip(&self.needed_inputs) {
            values.push(if needed {
                worker.convert.input(value)
            } else {
                Dynamic::UNIT
            });
        }
        values.resize(customer.attributes.len() + fields.len(), Dynamic::UNIT);
        let mut record = Record(Arc::new(RecordData {
            // Derived fields see no manager, so no pair and no score.
            scores: None,
            id: if self.needs_id {
                customer.id.as_str().into()
            } else {
                ImmutableString::new()
            },
            manager: match &customer.manager {
                Some(manager) if self.needs_manager => manager.as_str().into(),
                _ => Dynamic::UNIT,
            },
            values,
        }));
        let mut out = vec![Value::Null; fields.len()];
        for &field in self.rulebook.order() {
            let rule = &fields[field];
            let name = rule.name.as_str();
            let key = worker.memos[field].key(&record.0.values);
            let remembered = key.as_ref().and_then(|key| worker.memos[field].get(key));
            let (result, value) =
                match remembered {
                    Some(remembered) => remembered,
                    None => {
                        let native = self.native.field(field, &record, &mut worker.stack);
                        let result: Dynamic = match native {
                            Some(value) => value,
                            None => worker
                                .engine
                                .call_fn_with_options(
                                    CallFnOptions::new().eval_ast(false).rewind_scope(true),
                                    &mut worker.scope,
                                    &worker.ast,
                                    name,
                                    (record.clone(),),
                                )
                                .map_err(|e| {
                                    sandbox::runtime_error(
                                        *e,
                                        (&rule.name, rule.position),
                                        customer.id.as_str(),
                                        &self.rulebook,
                                    )
                                })?,
                        };
                        let value = worker.convert.output(&result).ok_or_else(|| {
                            RuleError::InvalidResult {
                                rule: name.to_owned(),
                                customer: customer.id.to_string(),
                                found: convert::describe(&result),
                            }
                        })?;
                        if let Some(key) = key {
                            worker.memos[field].insert(key, (result.clone(), value.clone()));
                        }
                        (result, value)
                    }
                };
            out[field] = value;
            // The script's copies are gone once the call returns, so this writes in place.
            Arc::make_mut(&mut record.0).values[self.field_slots[field]] = result;
        }
        Ok(out)
    }
}
