"""The public API over the native module: options are keyword-only and checked here, tables
are returned in the caller's flavour."""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any, Callable

from . import _apportion
from ._results import Network, Objective, Plan, Profile, Stats, Timings
from ._tables import flavour_of, to_flavour

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
        return progress
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
    """A compiled rulebook: ``Rulebook(source)`` or ``Rulebook.from_file(path)``.

    Immutable and safe to share between threads; pickles as its source.
    """

    def profile(
        self,
        customers: Any,
        *,
        as_of: _dt.date | str | None = None,
        types: dict[str, str] | None = None,
        skip_errors: bool = False,
        threads: int | None = None,
        progress: Any = None,
    ) -> Profile:
        """Evaluates every derived field for every customer.

        Text columns are typed from their values as the command line types a CSV file (all
        ``YYYY-MM-DD`` is a date, ``a;b`` a list, then integers, floats, booleans, else
        text); ``types`` overrides that per column (``{"postcode": "string"}``), and a key
        naming no column is an ``InputError`` (``unknown_type_column``). Give the list
        columns in ``types`` when a table comes in parts: a part whose values hold no ``;``
        would be read as text.
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


def assign(
    customers: Any,
    managers: Any,
    rulebook: Rulebook,
    *,
    as_of: _dt.date | str | None = None,
    types: dict[str, str] | None = None,
    move_penalty: int = 500,
    balance: int = 1,
    unassigned_penalty: int | None = None,
    skip_errors: bool = False,
    threads: int | None = None,
    progress: Any = None,
) -> Plan:
    """Assigns customers to managers with a provably optimal plan for the objective.

    ``move_penalty`` (M) is charged for breaking a current relationship, ``balance`` (λ)
    weighs the load balance, ``unassigned_penalty`` (U) is charged per customer left out (by
    default large enough that placing a customer always wins). ``types`` overrides column
    types as in :meth:`Rulebook.profile`; ``skip_errors`` leaves a customer whose rule fails
    unassigned (reason ``rule_error``) instead of raising.
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
    )
    return _plan(native, flavour_of(customers))


def _plan(native: tuple[Any, ...], flavour: str) -> Plan:
    """A `Plan` from the native module's (assignments, unassigned, loads, orphans, objective,
    stats, network, timings), its tables in the caller's flavour."""
    assignments, unassigned, loads, orphans, objective, stats, network, timings = native
    return Plan(
        assignments=to_flavour(assignments, flavour),
        unassigned=to_flavour(unassigned, flavour),
        loads=to_flavour(loads, flavour),
        orphans=to_flavour(orphans, flavour),
        objective=Objective(**objective),
        stats=Stats(**stats),
        network=Network(**network),
        timings=None if timings is None else Timings(**timings),
    )
