//! The ticket rule `route_ticket(t)` for one ticket at a time: the engine with the ticket type
//! registered, and the call. `tickets` validates, profiles the customers tickets name and
//! fills the queues.

use std::collections::HashMap;
use std::sync::Arc;

use rhai::{CallFnOptions, Dynamic, EvalAltResult, ImmutableString, Scope};

use super::convert::Converter;
use super::sandbox::{self, Record, Slots};
use crate::date::Date;
use crate::error::{Position, RuleError};
use crate::model::{Schema, Value};
use crate::rules::{Rulebook, TICKET_PROPERTIES, TICKET_RULE};

/// A ticket as the rule sees it.
#[derive(Clone)]
struct TicketRecord(Arc<TicketData>);

struct TicketData {
    id: ImmutableString,
    customer: Dynamic,
    values: Vec<Dynamic>,
}

/// One thread's engine for the ticket rule.
pub(crate) struct TicketWorker {
    engine: rhai::Engine,
    ast: rhai::AST,
    convert: Converter,
    scope: Scope<'static>,
}

impl TicketWorker {
    pub(crate) fn new(
        rulebook: &Rulebook,
        slots: &Slots,
        schema: &Schema,
        as_of: Date,
    ) -> TicketWorker {
        let mut engine = sandbox::run_engine(&rulebook.limits(), slots, as_of, None);
        engine
            .register_type_with_name::<TicketRecord>("ticket")
            .register_get("id", |t: &mut TicketRecord| t.0.id.clone())
            .register_get("customer", |t: &mut TicketRecord| t.0.customer.clone());
        let mut by_name = HashMap::new();
        for (slot, field) in schema.fields().iter().enumerate() {
            if rulebook.is_private(&field.name) {
                continue;
            }
            by_name.insert(field.name.clone(), slot);
            if !TICKET_PROPERTIES.contains(&field.name.as_str()) {
                engine.register_get(&field.name, move |t: &mut TicketRecord| {
                    sandbox::read(t.0.values.get(slot))
                });
            }
        }
        engine.register_indexer_get(
            move |t: &mut TicketRecord,
                  name: ImmutableString|
                  -> Result<Dynamic, Box<EvalAltResult>> {
                match by_name.get(name.as_str()) {
                    Some(&slot) => Ok(sandbox::read(t.0.values.get(slot))),
                    None => Err(format!("no ticket field `{name}`").into()),
                }
            },
        );
        let ast = sandbox::worker_ast(rulebook);
        TicketWorker {
            engine,
            ast,
            convert: Converter::default(),
            scope: Scope::new(),
        }
    }

    /// The queue the rule names for the ticket `id` with `attributes`, or `None` if it returns
    /// `()`.
    pub(crate) fn run(
        &mut self,
        rulebook: &Rulebook,
        position: Option<Position>,
        (id, attributes): (&str, &[Value]),
        schema: &Schema,
        customers: &HashMap<String, Record>,
    ) -> Result<Option<String>, RuleError> {
        let customer = schema
            .position("customer")
            .and_then(|column| match attributes.get(column) {
                Some(Value::Str(id)) => customers.get(&**id),
                Some(Value::Int(id)) => customers.get(&id.to_string()),
                _ => None,
            })
            .map_or(Dynamic::UNIT, |record| Dynamic::from(record.clone()));
        let record = TicketRecord(Arc::new(TicketData {
            id: id.into(),
            customer,
            values: sandbox::visible_values(schema, attributes, rulebook, &mut self.convert),
        }));
        let result: Dynamic = self
            .engine
            .call_fn_with_options(
                CallFnOptions::new().eval_ast(false).rewind_scope(true),
                &mut self.scope,
                &self.ast,
                TICKET_RULE,
                (record,),
            )
            .map_err(|e| {
                let subject = format!("ticket {id}");
                sandbox::runtime_error(*e, (TICKET_RULE, position), &subject, rulebook)
            })?;
        if result.is_unit() {
            return Ok(None);
        }
        match result.into_immutable_string() {
            Ok(queue) => Ok(Some(queue.to_string())),
            Err(found) => Err(RuleError::Evaluation {
                rule: TICKET_RULE.to_owned(),
                customer: format!("ticket {id}"),
                message: format!("returned a `{found}`; it must return a queue name or ()"),
                position,
            }),
        }
    }
}
