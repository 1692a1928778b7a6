"""Live operations: route leads one at a time into the current book, handle the book's events,
and rebalance under a churn budget."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from . import _apportion
from ._results import Plan
from ._run import Rulebook, _as_of, _plan
from ._tables import flavour_of


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
        """Routes one lead: a dict with ``id`` and the book's columns (missing ones are null)."""
        return _decision(self._native.route(lead))

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
