"""The public API over the native module: options are keyword-only and checked here, tables
are returned in the caller's flavour."""

from __future__ import annotations

import datetime as _dt
import threading
from typing import TYPE_CHECKING, Any, Callable, overload

import pyarrow as pa

from . import _apportion
from ._results import Plan, Profile
from ._tables import flavour_of, to_flavour
from ._types import Rows, TableLike

if TYPE_CHECKING:
    import polars as pl

ProgressCallback = Callable[[int, int], object]


def _as_of(value: _dt.date | str | None) -> str:
    """The run's date as YYYY-MM-DD: a date, a YYYY-MM-DD string, or ``"today"`` (UTC) when
    asked for by name. Required (``missing_as_of`` without it): the same inputs must give the
    same result on any day."""
    if value is None:
        error = _apportion.InputError(
            "as_of is required: the date rules compare against, as a date, YYYY-MM-DD, "
            'or "today" to use the clock\'s (UTC)'
        )
        error.code = "missing_as_of"
        raise error
    if value == "today":
        return _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _progress(progress: Any) -> ProgressCallback | None:
    """A callable of (done, total): given as such, or built around a tqdm-like bar (anything
    with ``update(n)`` and a ``total``), which it keeps in step from any thread."""
    if progress is None or not hasattr(progress, "update"):
        callback: ProgressCallback | None = progress
        return callback
    bar = progress
    lock = threading.Lock()
    shown = [0]

    def advance(done: int, total: int) -> None:
        with lock:
            if bar.total != total:
                bar.total = total
            if done > shown[0]:
                bar.update(done - shown[0])
                shown[0] = done

    return advance


def _restore_rulebook(cls: type, source: str, options: dict[str, Any]) -> Any:
    """Unpickles a rulebook: compiles its source again with its options."""
    return cls(source, **options)


class Rulebook(_apportion.Rulebook):
    """A compiled rulebook: sandboxed Rhai rules deriving fields and deciding pairs.

    Parameters
    ----------
    source : str
        The rulebook's Rhai source: ``fn name(c)`` per derived field, ``fn eligible(c, m)``
        and ``fn affinity(c, m)`` for pairs, ``fn route_ticket(t)`` for tickets.
    private : list of str, optional
        Input fields no rule may read (a national id, a phone number).
    reveal_values : bool, default False
        Let rule errors quote the customer values involved (withheld by default).

    Raises
    ------
    RuleError
        A syntax error, a forbidden construct, an unknown function or a cycle between
        derived fields, with its line and column.

    Notes
    -----
    ``Rulebook.from_file(path)`` reads the source from a file. A rulebook is immutable and
    safe to share between threads; it pickles as its source and options.

    Examples
    --------
    >>> Rulebook('fn tier(c) { if c.assets > 10 { "HIGH" } else { "LOW" } }').fields
    ['tier']
    """

    @overload
    def profile(
        self,
        customers: Rows,
        *,
        as_of: _dt.date | str | None = None,
        types: dict[str, str] | None = None,
        skip_errors: bool = False,
        threads: int | None = None,
        progress: Any = None,
    ) -> Profile[Rows]: ...
    @overload
    def profile(
        self,
        customers: pl.DataFrame,
        *,
        as_of: _dt.date | str | None = None,
        types: dict[str, str] | None = None,
        skip_errors: bool = False,
        threads: int | None = None,
        progress: Any = None,
    ) -> Profile[pl.DataFrame]: ...
    @overload
    def profile(
        self,
        customers: pa.Table,
        *,
        as_of: _dt.date | str | None = None,
        types: dict[str, str] | None = None,
        skip_errors: bool = False,
        threads: int | None = None,
        progress: Any = None,
    ) -> Profile[pa.Table]: ...
    def profile(
        self,
        customers: TableLike,
        *,
        as_of: _dt.date | str | None = None,
        types: dict[str, str] | None = None,
        skip_errors: bool = False,
        threads: int | None = None,
        progress: Any = None,
    ) -> Profile[Any]:
        """Evaluates every derived field for every customer.

        Parameters
        ----------
        customers : TableLike
            The customers: an ``id`` column, optionally ``manager``, and the columns the
            rules read (pandas, polars, pyarrow, anything with ``__arrow_c_stream__``, or a
            list of dicts).
        as_of : date or str
            The date the rules compare against (``YYYY-MM-DD``, or ``"today"`` by name).
            Required: the same inputs give the same result on any day.
        types : dict of str to str, optional
            Column types instead of inferred ones (``{"postcode": "string"}``). Text columns
            are typed from their values exactly as the command line types a CSV file (all
            ``YYYY-MM-DD`` is a date, ``a;b`` a list, then integers, floats, booleans, else
            text). Give the list columns here when a table comes in parts: a part whose
            values hold no ``;`` would be read as text.
        skip_errors : bool, default False
            Skip a customer whose rule fails (listed in ``Profile.skipped``) instead of
            raising.
        threads : int, optional
            Worker threads, 1 to 256 (default: one per core). The result never depends on it.
        progress : callable or tqdm-like, optional
            Called with ``(done, total)`` as customers are profiled, or a bar to advance.

        Returns
        -------
        Profile
            ``id`` and one column per derived field, in the flavour ``customers`` came in.

        Raises
        ------
        InputError
            A bad value (naming record and column, never the value), ``missing_as_of``, or a
            key of ``types`` naming no column (``unknown_type_column``).
        RuleError
            A rule read an unknown field or failed for a customer.

        Examples
        --------
        >>> rules = Rulebook('fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }')
        >>> rules.profile([{"id": "C-1", "assets": 2_500_000}], as_of="2026-06-30").customers
        [{'id': 'C-1', 'tier': 'HNW'}]
        """
        table, skipped = self._profile(
            customers,
            as_of=_as_of(as_of),
            types=types,
            skip_errors=skip_errors,
            threads=threads,
            progress=_progress(progress),
        )
        return Profile(customers=to_flavour(table, flavour_of(customers)), skipped=skipped)


@overload
def assign(
    customers: Rows,
    managers: TableLike,
    rulebook: Rulebook,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    move_penalty: int = ...,
    balance: int = ...,
    unassigned_penalty: int | None = None,
    skip_errors: bool = False,
    threads: int | None = None,
    progress: Any = None,
    groups: TableLike | None = None,
    scores: TableLike | None = None,
) -> Plan[Rows]: ...
@overload
def assign(
    customers: pl.DataFrame,
    managers: TableLike,
    rulebook: Rulebook,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    move_penalty: int = ...,
    balance: int = ...,
    unassigned_penalty: int | None = None,
    skip_errors: bool = False,
    threads: int | None = None,
    progress: Any = None,
    groups: TableLike | None = None,
    scores: TableLike | None = None,
) -> Plan[pl.DataFrame]: ...
@overload
def assign(
    customers: pa.Table,
    managers: TableLike,
    rulebook: Rulebook,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    move_penalty: int = ...,
    balance: int = ...,
    unassigned_penalty: int | None = None,
    skip_errors: bool = False,
    threads: int | None = None,
    progress: Any = None,
    groups: TableLike | None = None,
    scores: TableLike | None = None,
) -> Plan[pa.Table]: ...
def assign(
    customers: TableLike,
    managers: TableLike,
    rulebook: Rulebook,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    move_penalty: int = _apportion.DEFAULT_MOVE_PENALTY,
    balance: int = _apportion.DEFAULT_BALANCE,
    unassigned_penalty: int | None = None,
    skip_errors: bool = False,
    threads: int | None = None,
    progress: Any = None,
    groups: TableLike | None = None,
    scores: TableLike | None = None,
) -> Plan[Any]:
    """Assigns customers to managers with a provably optimal plan for the objective.

    Parameters
    ----------
    customers : TableLike
        The customers: ``id``, optionally ``manager`` (their current manager), and the
        columns the rules read.
    managers : TableLike
        The managers: ``id``, ``capacity``, optionally ``target`` and ``segment_caps``
        (``HNW=25;SME=10`` or a mapping), and the columns the pair rules read.
    rulebook : Rulebook
        Derived fields, ``eligible(c, m)`` and ``affinity(c, m)``.
    as_of : date or str
        The date the rules compare against; required (``"today"`` by name).
    types : dict of str to str, optional
        Column types instead of inferred ones, as in :meth:`Rulebook.profile`.
    move_penalty : int, default 500
        M: charged for taking a customer from a manager still in the book.
    balance : int, default 1
        λ: the weight of the balance term, which spreads loads in proportion to targets.
    unassigned_penalty : int, optional
        U: charged per customer left out; by default large enough that placing a customer
        who fits always wins.
    skip_errors : bool, default False
        Leave a customer whose rule fails unassigned (reason ``rule_error``) instead of
        raising.
    threads : int, optional
        Worker threads, 1 to 256; the plan never depends on it.
    progress : callable or tqdm-like, optional
        Called with ``(done, total)`` while the rules run, or a bar to advance.
    groups : TableLike, optional
        Groups of managers (teams, branches, business lines): ``id``, ``parent`` (empty for a
        root), optionally ``capacity``, ``target``, ``segment_caps`` and ``segment_minimums``
        (``"HNW=40;MASS=900"``). Managers name theirs in a ``group`` column; a group caps and
        balances the load of everyone under it, and caps or guarantees its segments' shares.
    scores : TableLike, optional
        A model's scores for (customer, manager) pairs: ``customer``, ``manager`` and
        ``score`` (integers, or numbers with a fraction), one row per scored pair. The pair
        rules read them as ``pair_score(c, m)``, ``()`` where the model gave none; the plan's
        ``assignments`` then gain ``model_score`` (what the score added to the affinity) and
        its objective ``model_scores``. Customers with equal scores still share a pair class.

    Returns
    -------
    Plan
        The optimal plan, its tables in the flavour ``customers`` came in.

    Raises
    ------
    InputError
        Bad input (naming record and column), ``missing_as_of``, ``unknown_type_column``.
    RuleError
        A rule read an unknown field or failed.
    SolveError
        An invalid policy (``invalid_policy``), or a network that cannot be solved exactly.

    Examples
    --------
    >>> rules = Rulebook("fn eligible(c, m) { true }")
    >>> plan = assign([{"id": "C-1"}], [{"id": "M-1", "capacity": 1}], rules, as_of="2026-06-30")
    >>> plan.assignments[0]["manager"], plan.objective.total
    ('M-1', 1000)
    """
    native = _apportion.assign(
        customers,
        managers,
        rulebook,
        as_of=_as_of(as_of),
        types=types,
        move_penalty=move_penalty,
        balance=balance,
        unassigned_penalty=unassigned_penalty,
        skip_errors=skip_errors,
        threads=threads,
        progress=_progress(progress),
        groups=groups,
        scores=scores,
    )
    return _plan(native, flavour_of(customers))


def _plan(parts: dict[str, Any], flavour: str) -> Plan[Any]:
    """A `Plan` from the native module's parts (pyarrow tables and native value classes), its
    tables in the caller's flavour."""
    tables = ("assignments", "unassigned", "loads", "orphans", "groups")
    return Plan(
        **{name: to_flavour(parts[name], flavour) for name in tables},
        objective=parts["objective"],
        stats=parts["stats"],
        network=parts["network"],
        provenance=parts["provenance"],
        timings=parts["timings"],
        explainer=parts.get("explainer"),
    )


def compare(
    customers: TableLike,
    managers: TableLike,
    rulebook: Rulebook,
    after_rulebook: Rulebook | None = None,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    move_penalty: int = _apportion.DEFAULT_MOVE_PENALTY,
    balance: int = _apportion.DEFAULT_BALANCE,
    unassigned_penalty: int | None = None,
    after_move_penalty: int | None = None,
    after_balance: int | None = None,
    after_unassigned_penalty: int | None = None,
    threads: int | None = None,
    groups: TableLike | None = None,
    scores: TableLike | None = None,
) -> dict[str, Any]:
    """Plans one book under two rulebooks or policies, and says what changed.

    Parameters
    ----------
    customers, managers : TableLike
        The book, as for :func:`assign`.
    rulebook : Rulebook
        The first rulebook.
    after_rulebook : Rulebook, optional
        The second rulebook; the first when not given (to compare policies).
    as_of : date or str
        The date the rules compare against; required.
    types : dict of str to str, optional
        Column types instead of inferred ones.
    move_penalty, balance, unassigned_penalty : int
        The first policy, as for :func:`assign`.
    after_move_penalty, after_balance, after_unassigned_penalty : int, optional
        The second policy; each weight not given is the first's.
    threads : int, optional
        Worker threads; the result never depends on it.
    groups : TableLike, optional
        Groups of managers, as for :func:`assign`.
    scores : TableLike, optional
        A model's scores for pairs, as for :func:`assign`.

    Returns
    -------
    dict
        ``before`` and ``after``: the two plans (:class:`Plan`, each able to explain);
        ``diff``: what :meth:`Plan.diff` gives from the first to the second; ``tiers`` and
        ``segments``: customers by value before and after (``before``, ``after``,
        ``customers``); ``eligibility``: customers whose eligible managers changed
        (``customer``, ``gained``, ``lost``).

    Raises
    ------
    InputError
        Bad input, ``missing_as_of``, ``unknown_type_column``.
    RuleError
        A rule read an unknown field or failed.
    SolveError
        An invalid policy.

    Examples
    --------
    >>> rules = Rulebook("fn eligible(c, m) { true }\\nfn affinity(c, m) { if m.id == \\"M-2\\" { 1 } else { 0 } }")
    >>> book = [{"id": "C-1", "manager": "M-1"}], [{"id": "M-1", "capacity": 1}, {"id": "M-2", "capacity": 1}]
    >>> result = compare(*book, rules, as_of="2026-06-30", after_move_penalty=0)
    >>> result["diff"]["moves"]
    [{'customer': 'C-1', 'before': 'M-1', 'after': 'M-2'}]
    """
    native = _apportion.compare(
        customers,
        managers,
        rulebook,
        after_rulebook if after_rulebook is not None else rulebook,
        _as_of(as_of),
        types,
        (move_penalty, balance, unassigned_penalty),
        (
            after_move_penalty if after_move_penalty is not None else move_penalty,
            after_balance if after_balance is not None else balance,
            after_unassigned_penalty if after_unassigned_penalty is not None else unassigned_penalty,
        ),
        threads,
        groups,
        scores,
    )
    flavour = flavour_of(customers)
    return {
        **native,
        "before": _plan(native["before"], flavour),
        "after": _plan(native["after"], flavour),
    }
