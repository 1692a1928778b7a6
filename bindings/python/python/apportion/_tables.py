"""Results come back in the flavour the caller passed in: pandas, polars, pyarrow or a list
of dicts."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def flavour_of(table: Any) -> str:
    """The library a table comes from, by its type's module."""
    if isinstance(table, list):
        return "list"
    library = type(table).__module__.partition(".")[0]
    return library if library in ("pandas", "polars") else "pyarrow"


def to_flavour(table: pa.Table, flavour: str) -> Any:
    """`table` as the given flavour; dictionary-encoded columns become categoricals.

    pandas gets one block per column: consolidating them would only copy (about a fifth of
    the conversion of a 100,000-row plan)."""
    if flavour == "pandas":
        return table.to_pandas(split_blocks=True)
    if flavour == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if flavour == "list":
        return table.to_pylist()
    return table
