"""Service tickets routed to queues with the rulebook's ``route_ticket(t)``."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Mapping

import pyarrow as pa

from . import _apportion
from ._run import Rulebook, _as_of
from ._tables import flavour_of, to_flavour
from ._types import TableLike


@dataclass(frozen=True)
class TicketPlan:
    """Where each ticket went, in the flavour of the tickets given.

    Attributes
    ----------
    tickets : table
        One row per ticket, in input order: ``ticket``, ``queue`` (none when not routed),
        ``reason`` (``no_queue``, ``unknown_queue``, ``queue_full`` or ``rule_error``) and
        ``detail`` (the queue named, or the rule's error).
    loads : table
        One row per queue: ``queue``, ``taken``, ``capacity``.
    """

    tickets: Any
    loads: Any


def route_tickets(
    tickets: TableLike,
    queues: Mapping[str, int],
    customers: TableLike,
    rulebook: Rulebook,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
) -> TicketPlan:
    """Routes service tickets to queues with the rulebook's ``route_ticket(t)``.

    Parameters
    ----------
    tickets : TableLike
        ``id`` and the fields the rule reads, read as customers are; a ``customer`` column
        names each ticket's customer (as text, even when it looks like a number).
    queues : mapping of str to int
        Each queue's name (what the rule returns) and capacity.
    customers : TableLike
        The book, whom ``t.customer`` reads with every derived field.
    rulebook : Rulebook
        A rulebook with ``route_ticket(t)``.
    as_of : date or str
        The date the rules compare against; required.
    types : dict of str to str, optional
        Column types for tickets and customers instead of inferred ones.

    Returns
    -------
    TicketPlan
        One row per ticket in input order, and each queue's load.

    Raises
    ------
    RuleError
        No ``route_ticket(t)`` (``invalid_rule_signature``), or it reads an unknown field.
    InputError
        Bad input, a repeated ticket id, a key of ``types`` naming no column.

    Notes
    -----
    Tickets are taken in input order; a full queue turns the rest away (``queue_full``).

    Examples
    --------
    >>> rules = Rulebook('fn route_ticket(t) { if t.kind == "card" { "cards" } else { () } }')
    >>> plan = route_tickets([{"id": "T-1", "kind": "card"}, {"id": "T-2", "kind": "hi"}],
    ...                      {"cards": 5}, [], rules, as_of="2026-06-30")
    >>> [(t["ticket"], t["queue"], t["reason"]) for t in plan.tickets]
    [('T-1', 'cards', None), ('T-2', None, 'no_queue')]
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
