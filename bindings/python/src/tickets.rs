//! Service tickets routed to queues with the rulebook's `route_ticket(t)`: tickets are read as
//! customers are, queues are given by name and capacity.

use std::collections::HashMap;

use apportion::Queue;
use apportion::load;
use pyo3::prelude::*;

use crate::run::{Rulebook, load_options, parse_date};
use crate::{errors, tables_in};

/// One row per ticket, in input order: (ticket, queue, reason code, detail).
type TicketRow = (String, Option<String>, Option<&'static str>, Option<String>);

/// Per queue: (queue, tickets taken, capacity).
type QueueLoad = (String, u32, u32);

/// Routes `tickets` to `queues` (name → capacity, in order); `customers` are the book's, whom
/// tickets name. Returns the rows per ticket and (queue, taken, capacity) per queue.
#[pyfunction]
#[pyo3(signature = (tickets, queues, customers, rulebook, *, as_of, types))]
pub(crate) fn route_tickets(
    py: Python<'_>,
    tickets: &Bound<'_, PyAny>,
    queues: Vec<(String, u32)>,
    customers: &Bound<'_, PyAny>,
    rulebook: &Bound<'_, Rulebook>,
    as_of: &str,
    types: Option<HashMap<String, String>>,
) -> PyResult<(Vec<TicketRow>, Vec<QueueLoad>)> {
    let as_of = parse_date(as_of)?;
    let options = load_options(types)?;
    let ticket_columns = tables_in::read(tickets, "tickets")?.columns;
    let customer_columns = tables_in::read(customers, "customers")?.columns;
    let rulebook = rulebook.get().inner();
    let queues: Vec<Queue> = queues
        .into_iter()
        .map(|(name, capacity)| Queue { name, capacity })
        .collect();
    py.detach(|| -> apportion::Result<_> {
        let tickets = load::tickets_from_columns("tickets", ticket_columns, &options)?;
        let customers = load::customers_from_columns("customers", customer_columns, &options)?;
        options.check_types(&[
            ("tickets", &tickets.schema),
            ("customers", &customers.schema),
        ])?;
        let plan = apportion::route_tickets(rulebook, &customers, &tickets, &queues, as_of)?;
        let rows = plan
            .outcomes(&tickets)
            .into_iter()
            .map(|(ticket, outcome)| match outcome {
                Ok(queue) => (ticket.to_owned(), Some(queue.to_owned()), None, None),
                Err(why) => {
                    let detail = why.detail().map(str::to_owned);
                    (ticket.to_owned(), None, Some(why.code()), detail)
                }
            })
            .collect();
        Ok((rows, plan.loads))
    })
    .map_err(errors::to_py)
}
