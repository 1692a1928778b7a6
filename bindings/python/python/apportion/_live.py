"""Live operations: route leads one at a time into the current book, handle the book's events,
and rebalance under a churn budget."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from . import _apportion
from ._apportion import Decision, ManagerLoad
from ._results import Plan
from ._run import Rulebook, _as_of, _plan
from ._tables import flavour_of, to_flavour
from ._types import TableLike


def _decision_table(decisions: list[Decision]) -> pa.Table:
    """Decisions as a table: a column per field, passed-over managers as lists."""
    strings = pa.list_(pa.string())
    segment_full = pa.list_(pa.struct([("manager", pa.string()), ("segment", pa.string())]))
    group_full = pa.list_(pa.struct([("manager", pa.string()), ("group", pa.string())]))
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
        "group_full": pa.array(
            [[{"manager": m, "group": g} for m, g in d.group_full] for d in decisions],
            group_full,
        ),
        "reason": pa.array([d.reason for d in decisions], pa.string()),
    }
    return pa.table(columns)


class Router:
    """Routes leads into the current book, consistently with the batch objective.

    Parameters
    ----------
    customers : TableLike
        The book: customers with their current managers (``manager``).
    managers : TableLike
        The managers, as for :func:`assign`.
    rulebook : Rulebook
        The rules leads are profiled and paired with.
    as_of : date or str
        The date the rules compare against; required.
    balance : int, default 1
        λ, the weight of the balance term in each lead's marginal cost.
    types : dict of str to str, optional
        Column types instead of inferred ones; leads are then read in the book's types.
    groups : TableLike, optional
        Groups of managers, as for :func:`assign`: a lead's cost counts its manager's groups
        too, and a full group takes no one.
    scores : TableLike, optional
        A model's scores for the book's pairs, as for :func:`assign`: a customer of the book
        placed again keeps theirs. A lead brings its own to :meth:`route`.

    Raises
    ------
    InputError, RuleError
        As :func:`assign` raises them.

    Notes
    -----
    Safe to share between threads: a capacity is never exceeded and a lead never booked
    twice. A Router holds a live book and does not pickle.

    Examples
    --------
    >>> rules = Rulebook("fn eligible(c, m) { true }")
    >>> router = Router([{"id": "C-1", "manager": "M-1"}], [{"id": "M-1", "capacity": 2}],
    ...                 rules, as_of="2026-06-30")
    >>> router.route({"id": "L-1"}).manager
    'M-1'
    >>> router
    Router(2 customers placed, 1 managers, as of 2026-06-30)
    """

    def __init__(
        self,
        customers: TableLike,
        managers: TableLike,
        rulebook: Rulebook,
        *,
        as_of: _dt.date | str | None = None,
        balance: int = _apportion.DEFAULT_BALANCE,
        types: dict[str, str] | None = None,
        groups: TableLike | None = None,
        scores: TableLike | None = None,
    ) -> None:
        self._native = _apportion.Router(
            customers,
            managers,
            rulebook,
            as_of=_as_of(as_of),
            balance=balance,
            types=types,
            groups=groups,
            scores=scores,
        )

    def route(self, lead: dict[str, Any], scores: dict[str, float] | None = None) -> Decision:
        """Routes one lead into the book.

        Parameters
        ----------
        lead : dict
            ``id`` and the book's columns (missing ones are null), read in the book's types:
            a row of the book's own table routes as it is (``"a;b"`` in a list column is a
            list; NaN, ``NA`` and ``NaT`` are missing values).
        scores : dict of str to int or float, optional
            A model's scores for the lead, by manager id, which the pair rules read as
            ``pair_score(c, m)``. Leads scored alike share a class; the parts of the
            rules that do not read the score come from what the router remembers.

        Returns
        -------
        Decision
            The manager chosen and why, or why none was.

        Raises
        ------
        InputError
            A value of the wrong type, an unknown column, no ``id``; a score that is not a
            finite number, or two for one manager.
        BookError
            The lead is already in the book (``already_in_book``); a score for a manager not
            in the book (``unknown_manager``).
        """
        return self._native.route(lead, scores)

    def route_many(self, leads: TableLike) -> Any:
        """Routes every lead of a table, in order.

        Parameters
        ----------
        leads : TableLike
            Leads in the book's columns, read in the book's types.

        Returns
        -------
        table
            One row per lead with the fields of :class:`Decision`, in the flavour of
            ``leads``.

        Raises
        ------
        InputError
            A bad value anywhere in the table: read first, so none is routed.
        BookError
            A lead already in the book; the leads before it stay routed (see :meth:`book`).
        """
        decisions = self._native.route_many(leads)
        return to_flavour(_decision_table(decisions), flavour_of(leads))

    def join(self, manager: dict[str, Any]) -> None:
        """A manager joins the book; new leads may be routed to them at once.

        Parameters
        ----------
        manager : dict
            ``id``, ``capacity`` (optionally ``target`` and ``segment_caps``) and the
            managers' columns, read in the managers' types.

        Raises
        ------
        InputError
            A manager id already in the book (``duplicate_manager_id``), an unknown column,
            a bad value.

        Notes
        -----
        Moving existing customers towards the newcomer is :func:`rebalance`'s job.
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

    def follow_forecast(self, forecast: TableLike) -> int:
        """Plans a table of expected leads into the room the book leaves.

        Parameters
        ----------
        forecast : TableLike
            Leads expected today, in the book's columns.

        Returns
        -------
        int
            The places held: leads like those in the forecast take them first.
        """
        return self._native.follow_forecast(forecast)

    def release(self, customer: str) -> str:
        """A customer leaves the book.

        Parameters
        ----------
        customer : str
            The customer's id.

        Returns
        -------
        str
            The manager they had.

        Raises
        ------
        BookError
            The customer is not in the book (``unknown_customer``).
        """
        return self._native.release(customer)

    def start_leave(self, manager: str) -> list[Decision]:
        """A manager goes on leave: each of their customers is covered by a peer.

        Parameters
        ----------
        manager : str
            The manager's id.

        Returns
        -------
        list of Decision
            Where each of their customers is covered, most constrained first.
        """
        return self._native.start_leave(manager)

    def end_leave(self, manager: str) -> int:
        """A manager is back from leave.

        Parameters
        ----------
        manager : str
            The manager's id.

        Returns
        -------
        int
            How many covered customers were handed back.
        """
        return self._native.end_leave(manager)

    def depart(self, manager: str) -> list[Decision]:
        """A manager leaves for good: only their customers are placed again.

        Parameters
        ----------
        manager : str
            The manager's id.

        Returns
        -------
        list of Decision
            Where each of their customers went.
        """
        return self._native.depart(manager)

    def loads(self) -> list[ManagerLoad]:
        """Every manager still in the book, with their load now.

        Returns
        -------
        list of ManagerLoad
        """
        return self._native.loads()

    def book(self) -> dict[str, str]:
        """Every placed customer and their manager.

        Returns
        -------
        dict of str to str
            Customer id to manager id.
        """
        return self._native.book()


@dataclass(frozen=True)
class Rebalance:
    """A rebalance under a churn budget.

    Attributes
    ----------
    plan : Plan
        The optimal plan moving at most ``budget`` customers from managers still in the book.
    budget : int
        The churn budget asked for.
    move_penalty : int
        The smallest move penalty whose optimal plan keeps within the budget.
    moves : int
        The moves that plan makes.
    probes : list of (int, int)
        Every (move penalty, moves) tried, in order.
    """

    plan: Plan[Any]
    budget: int
    move_penalty: int
    moves: int
    probes: list[tuple[int, int]]


def rebalance(
    customers: TableLike,
    managers: TableLike,
    rulebook: Rulebook,
    *,
    max_moves: int,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    balance: int = _apportion.DEFAULT_BALANCE,
    unassigned_penalty: int | None = None,
    threads: int | None = None,
    groups: TableLike | None = None,
    scores: TableLike | None = None,
) -> Rebalance:
    """Rebalances the book moving at most ``max_moves`` customers.

    Parameters
    ----------
    customers, managers : TableLike
        The book, as for :func:`assign`.
    rulebook : Rulebook
        The rules.
    max_moves : int
        The churn budget: customers that may be taken from managers still in the book.
    as_of : date or str
        The date the rules compare against; required.
    types : dict of str to str, optional
        Column types instead of inferred ones.
    balance : int, default 1
        λ, the weight of the balance term.
    unassigned_penalty : int, optional
        U, as for :func:`assign`.
    threads : int, optional
        Worker threads, 1 to 256; the plan never depends on it.
    groups : TableLike, optional
        Groups of managers, as for :func:`assign`.
    scores : TableLike, optional
        A model's scores for pairs, as for :func:`assign`.

    Returns
    -------
    Rebalance
        The plan, the move penalty found by search, and every penalty tried.

    Raises
    ------
    BookError
        ``churn_budget_too_small`` when more moves are needed to place everyone who can be
        placed (the message names how many).
    ValueError
        A negative ``max_moves``.
    """
    if max_moves < 0:
        raise ValueError("max_moves must be 0 or more")
    parts = _apportion.rebalance(
        customers,
        managers,
        rulebook,
        max_moves=max_moves,
        as_of=_as_of(as_of),
        types=types,
        balance=balance,
        unassigned_penalty=unassigned_penalty,
        threads=threads,
        groups=groups,
        scores=scores,
    )
    return Rebalance(
        plan=_plan(parts["plan"], flavour_of(customers)),
        budget=max_moves,
        move_penalty=parts["move_penalty"],
        moves=parts["moves"],
        probes=parts["probes"],
    )
