"""What profiling and assignment return. ``Plan`` and ``Profile`` hold tables in the caller's
flavour (frozen dataclasses: they pickle and travel between processes, and show themselves in
notebooks); their small parts (``Objective``, ``Stats``, ``Network``, ``Timings``) are the
native module's frozen classes, made in Rust with named attributes."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Generic

from ._apportion import Network, Objective, Stats, Timings
from ._types import TableT


_OBJECTIVE = ("total", "affinity", "moves", "balance", "unassigned")
_STATS = (
    "assigned",
    "unassigned",
    "moved",
    "paid_moves",
    "rehomed",
    "min_utilisation",
    "max_utilisation",
    "utilisation_std_dev",
)

__all__ = ["Network", "Objective", "Plan", "Profile", "Stats", "Timings"]


def _rows_html(values: list[tuple[str, Any]]) -> str:
    """Name/value pairs as the rows of an HTML table."""
    return "".join(
        f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
        f"<td style='text-align:right'>{html.escape(_number(value))}</td></tr>"
        for name, value in values
    )


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1.0 else f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _head_html(table: Any, limit: int = 5) -> str:
    """The first rows of a table of any flavour, as HTML."""
    import pyarrow as pa

    from ._tables import flavour_of

    flavour = flavour_of(table)
    if flavour == "list":
        rows = table[:limit]
    elif flavour == "pandas":
        rows = pa.Table.from_pandas(table.head(limit), preserve_index=False).to_pylist()
    elif flavour == "polars":
        rows = table.head(limit).to_dicts()
    else:
        rows = table.slice(0, limit).to_pylist()
    if not rows:
        return "<p>(no rows)</p>"
    names = list(rows[0])
    head = "".join(f"<th>{html.escape(str(n))}</th>" for n in names)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(n)))}</td>" for n in names) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _length(table: Any) -> int:
    return table.num_rows if hasattr(table, "num_rows") else len(table)


@dataclass(frozen=True)
class Plan(Generic[TableT]):
    """An optimal assignment, its tables in the flavour the customers came in.

    Attributes
    ----------
    assignments : table
        One row per placed customer: ``customer``, ``manager``, ``previous_manager``,
        ``moved``, ``affinity``, ``move_penalty``.
    unassigned : table
        One row per customer left out: ``customer``, ``previous_manager``, ``reason``,
        ``full_managers``, ``full_segments``, ``message``.
    loads : table
        One row per manager: ``manager``, ``load``, ``capacity``, ``target``,
        ``utilisation``, and ``load_<segment>`` per segment (0 where it has none).
    orphans : table
        Customers whose current manager is not in the book: ``customer``,
        ``former_manager``.
    objective : Objective
        The objective's value and parts.
    stats : Stats
        Counts and utilisation after the plan.
    network : Network
        The size of the network solved.
    timings : Timings or None
        How long :func:`assign` took; ``None`` for a plan made otherwise (a rebalance).
        Not part of equality.

    Notes
    -----
    Ids are plain text in every flavour, so a plan joins on them.
    """

    assignments: TableT
    unassigned: TableT
    loads: TableT
    orphans: TableT
    objective: Objective
    stats: Stats
    network: Network
    timings: Timings | None = field(default=None, compare=False)

    def _repr_html_(self) -> str:
        parts = [(name, getattr(self.objective, name)) for name in _OBJECTIVE]
        stats = [(name, getattr(self.stats, name)) for name in _STATS]
        return (
            f"<div><strong>apportion Plan</strong>: {self.stats.assigned:,} assigned, "
            f"{self.stats.unassigned:,} unassigned, {self.stats.moved:,} moved, "
            f"{_length(self.loads):,} managers"
            f"<table><caption>objective</caption>{_rows_html(parts)}</table>"
            f"<table><caption>stats</caption>{_rows_html(stats)}</table>"
            f"<p>loads (first rows)</p>{_head_html(self.loads)}</div>"
        )


@dataclass(frozen=True)
class Profile(Generic[TableT]):
    """Derived fields per customer.

    Attributes
    ----------
    customers : table
        ``id`` and one column per derived field, in the flavour the customers came in.
    skipped : list of dict
        Customers skipped for a failing rule (with ``skip_errors=True``): ``customer``,
        ``code`` and ``message``.
    """

    customers: TableT
    skipped: list[dict[str, str]]

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>apportion Profile</strong>: {_length(self.customers):,} customers, "
            f"{len(self.skipped):,} skipped{_head_html(self.customers)}</div>"
        )
