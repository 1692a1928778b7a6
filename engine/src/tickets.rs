//! Ticket routing: the rule `route_ticket(t)` names the queue (department) a service ticket
//! goes to, from the ticket's fields and its customer's (`t.customer.tier`). Queues have
//! capacity; tickets are taken in input order, and every ticket is either routed or reported
//! with the reason it was not.
//!
//! This module is the public API and the routing itself (validation, queues, capacities); the
//! rule runs in `eval::tickets`. The customers tickets name are profiled with
//! [`Rulebook::profile`].

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::date::Date;
use crate::error::{InputError, Location, RecordKind, Result, RuleError};
use crate::eval::convert::Converter;
use crate::eval::sandbox::{Record, Slots};
use crate::eval::tickets::TicketWorker;
use crate::model::{Customers, Schema, Value};
use crate::profile::ProfileOptions;
use crate::rules::{Rulebook, TICKET_PROPERTIES, TICKET_RULE};
use crate::suggest;

/// The tickets' column naming each ticket's customer, whom the rule reads as `t.customer`.
pub(crate) const CUSTOMER: &str = "customer";

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

    /// What the reason is about: the queue named (unknown or full), or the rule's error
    /// message; `None` when no queue was named.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Unroutable::NoQueue => None,
            Unroutable::UnknownQueue { queue } | Unroutable::QueueFull { queue } => Some(queue),
            Unroutable::RuleError { message, .. } => Some(message),
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

impl TicketPlan {
    /// Every ticket of `tickets` (those this plan was made for), in their order: the queue it
    /// went to, or why it has none.
    pub fn outcomes<'a>(&'a self, tickets: &'a Tickets) -> Vec<(&'a str, TicketOutcome<'a>)> {
        let mut by_ticket: HashMap<&str, TicketOutcome<'a>> = HashMap::new();
        for (ticket, queue) in &self.routed {
            by_ticket.insert(ticket, Ok(queue));
        }
        for (ticket, why) in &self.unroutable {
            by_ticket.insert(ticket, Err(why));
        }
        tickets
            .records
            .iter()
            .filter_map(|t| Some((t.id.as_str(), by_ticket.remove(t.id.as_str())?)))
            .collect()
    }
}

/// A ticket's queue, or why it has none.
pub type TicketOutcome<'a> = std::result::Result<&'a str, &'a Unroutable>;

/// Routes `tickets` to `queues` with the rulebook's `route_ticket(t)`. `customers` are the
/// book's, profiled only as far as tickets name them. Fails if the rulebook has no ticket
/// rule, the rule reads a ticket field that does not exist, or a queue name repeats.
///
/// ```
/// # use apportion::load::{self, Format, LoadOptions};
/// # fn main() -> apportion::Result<()> {
/// let options = LoadOptions::default();
/// let customers = load::parse_customers(
///     b"id,assets\nC-1,2500000\nC-2,4000\n", Format::Csv, "customers", &options)?;
/// let tickets = load::parse_tickets(
///     b"id,customer,kind\nT-1,C-1,complaint\nT-2,C-2,complaint\nT-3,C-2,hello\n",
///     Format::Csv, "tickets", &options)?;
/// let rules = apportion::Rulebook::compile(r#"
///     fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
///     fn route_ticket(t) {
///         if t.kind != "complaint" { return (); }
///         if t.customer.tier == "HNW" { "private_desk" } else { "complaints" }
///     }
/// "#)?;
/// let queues = ["private_desk", "complaints"]
///     .map(|name| apportion::Queue { name: name.to_owned(), capacity: 10 });
/// let plan = apportion::route_tickets(&rules, &customers, &tickets, &queues, "2026-06-30".parse()?)?;
/// let outcomes: Vec<_> = plan.outcomes(&tickets).into_iter()
///     .map(|(ticket, outcome)| (ticket, outcome.map_err(|why| why.code()))).collect();
/// assert_eq!(outcomes, [("T-1", Ok("private_desk")), ("T-2", Ok("complaints")), ("T-3", Err("no_queue"))]);
/// # Ok(())
/// # }
/// ```
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
            let names = tickets.schema.fields().iter().map(|f| f.name.as_str());
            return Err(RuleError::UnknownField {
                rule: TICKET_RULE.to_owned(),
                field: field.clone(),
                position: *position,
                suggestion: suggest::nearest(field, names.chain(TICKET_PROPERTIES.iter().copied())),
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
                    (&ticket.id, &ticket.attributes),
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
    let Some(column) = tickets.schema.position(CUSTOMER) else {
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
