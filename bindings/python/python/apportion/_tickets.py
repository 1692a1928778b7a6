"""Service tickets routed to queues with the rulebook's ``route_ticket(t)``."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Mapping

import pyarrow as pa

from . import _apportion
from ._run import Rulebook, _as_of
from ._tables import flavour_of, to_flavour


@dataclass(frozen=True)
class TicketPlan:
    """Where each ticket went.

    ``tickets`` has one row per ticket, in input order: ``ticket``, ``queue`` (none when not
    routed), ``reason`` (``no_queue``, ``unknown_queue``, ``queue_full`` or ``rule_error``)
    and ``detail`` (the queue named, or the rule's error). ``loads`` has one row per queue:
    ``queue``, ``taken``, ``capacity``. Both in the flavour of the tickets given.
    """

    tickets: Any
    loads: Any


def route_tickets(
    tickets: Any,
    queues: Mapping[str, int],
    customers: Any,
    rulebook: Rulebook,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
) -> TicketPlan:
    """Routes ``tickets`` (a table with ``id`` and the fields the rule reads; a ``customer``
    column names each ticket's customer, read as text) to ``queues`` (name → capacity; the
    rule names the queue) with the rulebook's ``route_ticket(t)``. ``customers`` is the book, whom ``t.customer`` reads with every
    derived field. Tickets are taken in input order; a full queue turns the rest away.
    """
    rows, loads = _apportion.route_tickets(
        tickets,
        list(queues.items()),
        customers,
        rulebook,
        as_of=_as_of(as_of),
        types=types,
    )
    text = pa.string()
    table = pa.table(
        {
            "ticket": pa.array([r[0] for r in rows], text),
            "queue": pa.array([r[1] for r in rows], text),
            "reason": pa.array([r[2] for r in rows], text),
            "detail": pa.array([r[3] for r in rows], text),
        }
    )
    load_table = pa.table(
        {
            "queue": pa.array([q for q, _, _ in loads], text),
            "taken": pa.array([t for _, t, _ in loads], pa.int64()),
            "capacity": pa.array([c for _, _, c in loads], pa.int64()),
        }
    )
    flavour = flavour_of(tickets)
    return TicketPlan(tickets=to_flavour(table, flavour), loads=to_flavour(load_table, flavour))
