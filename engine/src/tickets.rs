//! Ticket routing: the rule `route_ticket(t)` names the queue (department) a service ticket
//! goes to, from the ticket's fields and its customer's (`t.customer.tier`). Queues have
//! capacity; tickets are taken in input order, and every ticket is either routed or reported
//! with the reason it was not.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use rhai::{CallFnOptions, Dynamic, EvalAltResult, ImmutableString, Scope};
use serde::Serialize;

use crate::date::Date;
use crate::error::{InputError, Location, Position, RecordKind, Result, RuleError};
use crate::model::{Customers, Schema, Value};
use crate::profile::ProfileOptions;
use crate::profile::convert::Converter;
use crate::rules::Rulebook;
use crate::rules::sandbox::{self, Record, Slots};

/// The rule's name.
pub(crate) const TICKET_RULE: &str = "route_ticket";

/// Ticket fields that are not attributes: its id and its customer's record.
const TICKET_PROPERTIES: &[&str] = &["id", "customer"];

/// A service ticket: an id, and attributes such as its type, channel and customer id.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// The ticket's id.
    pub id: String,
    /// One value per field of the tickets' schema.
    pub attributes: Vec<Value>,
}

/// Tickets sharing one schema. A `customer` attribute, if present, names each ticket's
/// customer, whom the rule reads as `t.customer`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tickets {
    /// The attributes.
    pub schema: Schema,
    /// The tickets, in arrival order.
    pub records: Vec<Ticket>,
}

/// A queue: a department taking tickets, up to its capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    /// The name `route_ticket` returns.
    pub name: String,
    /// Tickets it can take.
    pub capacity: u32,
}

/// Why a ticket was not routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unroutable {
    /// The rule returned `()`: no queue takes this ticket.
    NoQueue,
    /// The rule named a queue that does not exist.
    UnknownQueue {
        /// The name it returned.
        queue: String,
    },
    /// The queue is at capacity.
    QueueFull {
        /// The queue.
        queue: String,
    },
    /// The rule failed for this ticket.
    RuleError {
        /// The error's stable code.
        code: String,
        /// The error's message.
        message: String,
    },
}

impl Unroutable {
    /// A stable, snake_case code for the reason.
    pub fn code(&self) -> &'static str {
        match self {
            Unroutable::NoQueue => "no_queue",
            Unroutable::UnknownQueue { .. } => "unknown_queue",
            Unroutable::QueueFull { .. } => "queue_full",
            Unroutable::RuleError { .. } => "rule_error",
        }
    }
}

/// Where each ticket went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketPlan {
    /// (ticket, queue), in input order.
    pub routed: Vec<(String, String)>,
    /// (ticket, why not), in input order.
    pub unroutable: Vec<(String, Unroutable)>,
    /// (queue, tickets taken, capacity), in the queues' order.
    pub loads: Vec<(String, u32, u32)>,
}

/// A ticket as the rule sees it.
#[derive(Clone)]
struct TicketRecord(Arc<TicketData>);

struct TicketData {
    id: ImmutableString,
    customer: Dynamic,
    values: Vec<Dynamic>,
}

/// Routes `tickets` to `queues` with the rulebook's `route_ticket(t)`. `customers` are the
/// book's, profiled only as far as tickets name them. Fails if the rulebook has no ticket
/// rule, the rule reads a ticket field that does not exist, or a queue name repeats.
pub fn route_tickets(
    rulebook: &Rulebook,
    customers: &Customers,
    tickets: &Tickets,
    queues: &[Queue],
    as_of: Date,
) -> Result<TicketPlan> {
    let rule = rulebook.ticket_rule().ok_or_else(|| RuleError::Signature {
        rule: TICKET_RULE.to_owned(),
        message: "the rulebook has no `route_ticket(t)`".to_owned(),
    })?;
    for (field, position) in &rule.reads {
        if tickets.schema.position(field).is_none() && !TICKET_PROPERTIES.contains(&field.as_str())
        {
            return Err(RuleError::UnknownField {
                rule: TICKET_RULE.to_owned(),
                field: field.clone(),
                position: *position,
            }
            .into());
        }
    }
    let mut seen = std::collections::HashSet::new();
    for ticket in &tickets.records {
        if !seen.insert(ticket.id.as_str()) {
            return Err(InputError::DuplicateId {
                kind: RecordKind::Ticket,
                id: ticket.id.clone(),
                at: Location::in_source("<tickets>").in_record(&ticket.id),
            }
            .into());
        }
    }
    let mut capacity: HashMap<&str, (usize, u32)> = HashMap::new();
    for (index, queue) in queues.iter().enumerate() {
        if capacity
            .insert(queue.name.as_str(), (index, queue.capacity))
            .is_some()
        {
            return Err(InputError::DuplicateId {
                kind: RecordKind::Queue,
                id: queue.name.clone(),
                at: Location::in_source("<queues>").in_record(&queue.name),
            }
            .into());
        }
    }
    let slots = Slots::for_customers(&customers.schema, rulebook);
    let customer_records = customer_records(rulebook, customers, tickets, &slots, as_of)?;
    let position = rule.position;
    let verdicts: Vec<Result<Option<String>, RuleError>> = tickets
        .records
        .par_iter()
        .map_init(
            || TicketWorker::new(rulebook, &slots, &tickets.schema, as_of),
            |worker, ticket| {
                worker.run(
                    rulebook,
                    position,
                    ticket,
                    &tickets.schema,
                    &customer_records,
                )
            },
        )
        .collect();

    let mut plan = TicketPlan {
        routed: Vec::new(),
        unroutable: Vec::new(),
        loads: queues
            .iter()
            .map(|q| (q.name.clone(), 0, q.capacity))
            .collect(),
    };
    for (ticket, verdict) in tickets.records.iter().zip(verdicts) {
        let outcome = match verdict {
            Err(error) => Err(Unroutable::RuleError {
                code: error.code().to_owned(),
                message: error.to_string(),
            }),
            Ok(None) => Err(Unroutable::NoQueue),
            Ok(Some(queue)) => match capacity.get(queue.as_str()) {
                None => Err(Unroutable::UnknownQueue { queue }),
                Some(&(index, cap)) if plan.loads[index].1 >= cap => {
                    Err(Unroutable::QueueFull { queue })
                }
                Some(&(index, _)) => {
                    plan.loads[index].1 += 1;
                    Ok(queue)
                }
            },
        };
        match outcome {
            Ok(queue) => plan.routed.push((ticket.id.clone(), queue)),
            Err(why) => plan.unroutable.push((ticket.id.clone(), why)),
        }
    }
    Ok(plan)
}

/// The profiled records of the customers tickets name, by id.
fn customer_records(
    rulebook: &Rulebook,
    customers: &Customers,
    tickets: &Tickets,
    slots: &Slots,
    as_of: Date,
) -> Result<HashMap<String, Record>> {
    let Some(column) = tickets.schema.position("customer") else {
        return Ok(HashMap::new());
    };
    let named: std::collections::HashSet<String> = tickets
        .records
        .iter()
        .filter_map(|t| match t.attributes.get(column) {
            Some(Value::Str(id)) => Some(id.to_string()),
            Some(Value::Int(id)) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let wanted = Customers {
        schema: customers.schema.clone(),
        records: customers
            .records
            .iter()
            .filter(|c| named.contains(c.id.as_str()))
            .cloned()
            .collect(),
    };
    let profile = rulebook.profile(&wanted, &ProfileOptions::new(as_of))?;
    let mut convert = Converter::default();
    Ok(wanted
        .records
        .iter()
        .zip(&profile.customers)
        .map(|(customer, row)| {
            let record = Record::of(customer, &row.values, slots, &mut convert);
            (customer.id.to_string(), record)
        })
        .collect())
}

/// One thread's engine for the ticket rule.
struct TicketWorker {
    engine: rhai::Engine,
    ast: rhai::AST,
    convert: Converter,
    scope: Scope<'static>,
}

impl TicketWorker {
    fn new(rulebook: &Rulebook, slots: &Slots, schema: &Schema, as_of: Date) -> TicketWorker {
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

    /// The queue the rule names for `ticket`, or `None` if it returns `()`.
    fn run(
        &mut self,
        rulebook: &Rulebook,
        position: Option<Position>,
        ticket: &Ticket,
        schema: &Schema,
        customers: &HashMap<String, Record>,
    ) -> Result<Option<String>, RuleError> {
        let customer = schema
            .position("customer")
            .and_then(|column| match ticket.attributes.get(column) {
                Some(Value::Str(id)) => customers.get(&**id),
                Some(Value::Int(id)) => customers.get(&id.to_string()),
                _ => None,
            })
            .map_or(Dynamic::UNIT, |record| Dynamic::from(record.clone()));
        let record = TicketRecord(Arc::new(TicketData {
            id: ticket.id.as_str().into(),
            customer,
            values: sandbox::visible_values(
                schema,
                &ticket.attributes,
                rulebook,
                &mut self.convert,
            ),
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
                let subject = format!("ticket {}", ticket.id);
                sandbox::runtime_error(*e, (TICKET_RULE, position), &subject, rulebook)
            })?;
        if result.is_unit() {
            return Ok(None);
        }
        match result.into_immutable_string() {
            Ok(queue) => Ok(Some(queue.to_string())),
            Err(found) => Err(RuleError::Evaluation {
                rule: TICKET_RULE.to_owned(),
                customer: format!("ticket {}", ticket.id),
                message: format!("returned a `{found}`; it must return a queue name or ()"),
                position,
            }),
        }
    }
}
