"""Live operations: route leads one at a time into the current book, handle the book's events,
and rebalance under a churn budget."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from . import _apportion
from ._results import Plan
from ._run import Rulebook, _as_of, _plan
from ._tables import flavour_of, to_flavour


@dataclass(frozen=True)
class Decision:
    """Where a lead went and why.

    ``basis`` is ``quota`` (a place the forecast plan held for leads like it), ``marginal``
    (the smallest marginal cost of the objective) or ``unplaced`` (see ``reason``:
    ``no_eligible_manager`` or ``capacity_exhausted``). ``cost`` is the chosen manager's
    marginal cost, ``ineligible`` how many managers the pair rules ruled out; ``full``,
    ``segment_full`` (manager, segment) and ``away`` the eligible managers passed over, and why.
    """

    customer: str
    manager: str | None
    runner_up: str | None
    basis: str
    cost: int | None
    affinity: int | None
    ineligible: int
    full: list[str]
    segment_full: list[tuple[str, str]]
    away: list[str]
    reason: str | None


def _decision(raw: tuple[Any, ...]) -> Decision:
    return Decision(*raw)


def _decision_table(decisions: list[Decision]) -> pa.Table:
    """Decisions as a table: a column per field, passed-over managers as lists."""
    strings = pa.list_(pa.string())
    segment_full = pa.list_(pa.struct([("manager", pa.string()), ("segment", pa.string())]))
    columns = {
        "customer": pa.array([d.customer for d in decisions], pa.string()),
        "manager": pa.array([d.manager for d in decisions], pa.string()),
        "runner_up": pa.array([d.runner_up for d in decisions], pa.string()),
        "basis": pa.array([d.basis for d in decisions], pa.string()),
        "cost": pa.array([d.cost for d in decisions], pa.int64()),
        "affinity": pa.array([d.affinity for d in decisions], pa.int64()),
        "ineligible": pa.array([d.ineligible for d in decisions], pa.int64()),
        "full": pa.array([d.full for d in decisions], strings),
        "segment_full": pa.array(
            [[{"manager": m, "segment": s} for m, s in d.segment_full] for d in decisions],
            segment_full,
        ),
        "away": pa.array([d.away for d in decisions], strings),
        "reason": pa.array([d.reason for d in decisions], pa.string()),
    }
    return pa.table(columns)


@dataclass(frozen=True)
class ManagerLoad:
    """One manager's book in the router now."""

    manager: str
    load: int
    capacity: int
    target: int
    away: bool


class Router:
    """Routes leads into the current book, consistently with the batch objective.

    Built from ``customers`` (with their current managers), ``managers`` and a rulebook.
    Safe to share between threads: a capacity is never exceeded and a lead never booked twice.
    """

    def __init__(
        self,
        customers: Any,
        managers: Any,
        rulebook: Rulebook,
        *,
        as_of: _dt.date | str | None = None,
        balance: int = 1,
        types: dict[str, str] | None = None,
    ) -> None:
        self._native = _apportion.Router(
            customers, managers, rulebook, as_of=_as_of(as_of), balance=balance, types=types
        )

    def route(self, lead: dict[str, Any]) -> Decision:
        """Routes one lead: a dict with ``id`` and the book's columns (missing ones are null).

        Values are read as the book's columns are typed, so a row of the book's own table
        routes as it is (``"a;b"`` in a list column is a list; NaN, ``NA`` and ``NaT`` are
        missing values).
        """
        return _decision(self._native.route(lead))

    def route_many(self, leads: Any) -> Any:
        """Routes every lead of a table (in the book's columns and types), in order, and returns
        one row per lead with the fields of :class:`Decision`, in the table's flavour.

        The whole table is read first, so a bad value routes none; a lead that fails to route
        raises, and the leads before it stay routed (see :meth:`book`).
        """
        decisions = [_decision(raw) for raw in self._native.route_many(leads)]
        return to_flavour(_decision_table(decisions), flavour_of(leads))

    def join(self, manager: dict[str, Any]) -> None:
        """A manager joins the book: a dict with ``id``, ``capacity`` (optionally ``target`` and
        ``segment_caps``) and the managers' columns, typed as the book's. New leads may be
        routed to them at once; moving existing customers to them is :func:`rebalance`'s job.
        """
        self._native.join(manager)

    def __repr__(self) -> str:
        customers, managers, as_of = self._native.summary()
        return f"Router({customers} customers placed, {managers} managers, as of {as_of})"

    def __reduce__(self) -> Any:
        raise TypeError(
            "a Router holds a live book and cannot be pickled: pickle its tables and rulebook "
            "(a Rulebook pickles) and build a Router from them where it is needed"
        )

    def follow_forecast(self, forecast: Any) -> int:
        """Plans a table of expected leads into the room the book leaves; leads like them then
        take those places first. Returns the places held."""
        return self._native.follow_forecast(forecast)

    def release(self, customer: str) -> str:
        """A customer leaves the book; returns the manager they had."""
        return self._native.release(customer)

    def start_leave(self, manager: str) -> list[Decision]:
        """A manager goes on leave: each of their customers is covered by a peer."""
        return [_decision(d) for d in self._native.start_leave(manager)]

    def end_leave(self, manager: str) -> int:
        """A manager is back: returns how many covered customers were handed back."""
        return self._native.end_leave(manager)

    def depart(self, manager: str) -> list[Decision]:
        """A manager leaves for good: only their customers are placed again."""
        return [_decision(d) for d in self._native.depart(manager)]

    def loads(self) -> list[ManagerLoad]:
        """Every manager still in the book, with their load now."""
        return [ManagerLoad(*row) for row in self._native.loads()]

    def book(self) -> dict[str, str]:
        """Every placed customer and their manager."""
        return self._native.book()


@dataclass(frozen=True)
class Rebalance:
    """The optimal plan moving at most ``budget`` customers from managers still in the book,
    the smallest move penalty that achieved it, and every (penalty, moves) tried."""

    plan: Plan
    budget: int
    move_penalty: int
    moves: int
    probes: list[tuple[int, int]]


def rebalance(
    customers: Any,
    managers: Any,
    rulebook: Rulebook,
    *,
    max_moves: int,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    balance: int = 1,
    unassigned_penalty: int | None = None,
    threads: int | None = None,
) -> Rebalance:
    """Rebalances the book moving at most ``max_moves`` customers, by searching the move
    penalty. Raises ``BookError`` (code ``churn_budget_too_small``) if more moves are needed to
    place everyone who can be placed."""
    if max_moves < 0:
        raise ValueError("max_moves must be 0 or more")
    plan, move_penalty, moves, probes = _apportion.rebalance(
        customers,
        managers,
        rulebook,
        max_moves=max_moves,
        as_of=_as_of(as_of),
        types=types,
        balance=balance,
        unassigned_penalty=unassigned_penalty,
        threads=threads,
    )
    return Rebalance(
        plan=_plan(plan, flavour_of(customers)),
        budget=max_moves,
        move_penalty=move_penalty,
        moves=moves,
        probes=probes,
    )
