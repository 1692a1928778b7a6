"""What profiling and assignment return: the native module's frozen classes (``Plan`` and
``Profile`` hold tables in the caller's flavour; ``Objective``, ``Stats``, ``Network`` and
``Timings`` their small parts), and the HTML they show themselves as in notebooks."""

from __future__ import annotations

import html
from typing import Any

from ._apportion import Network, Objective, Plan, Profile, Stats, Timings


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


def plan_html(plan: Plan[Any]) -> str:
    """A plan as HTML: a summary, the objective's parts, the stats, the first loads."""
    parts = [(name, getattr(plan.objective, name)) for name in _OBJECTIVE]
    stats = [(name, getattr(plan.stats, name)) for name in _STATS]
    return (
        f"<div><strong>apportion Plan</strong>: {plan.stats.assigned:,} assigned, "
        f"{plan.stats.unassigned:,} unassigned, {plan.stats.moved:,} moved, "
        f"{_length(plan.loads):,} managers"
        f"<table><caption>objective</caption>{_rows_html(parts)}</table>"
        f"<table><caption>stats</caption>{_rows_html(stats)}</table>"
        f"<p>loads (first rows)</p>{_head_html(plan.loads)}"
        f"{_groups_html(plan)}</div>"
    )


def _groups_html(plan: Plan[Any]) -> str:
    """The groups' loads, first rows, when the plan has groups."""
    if _length(plan.groups) == 0:
        return ""
    return f"<p>groups (first rows)</p>{_head_html(plan.groups)}"


def profile_html(profile: Profile[Any]) -> str:
    """A profile as HTML: how many customers and skipped, the first rows."""
    return (
        f"<div><strong>apportion Profile</strong>: {_length(profile.customers):,} customers, "
        f"{len(profile.skipped):,} skipped{_head_html(profile.customers)}</div>"
    )
