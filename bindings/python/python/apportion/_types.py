"""What apportion takes as a table: anything that exports an Arrow stream (pandas, polars,
pyarrow, a Spark DataFrame, DuckDB...), or rows as a list of dicts."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, Union

__all__ = ["ArrowStreamExportable", "Rows", "TableLike", "TableT"]


class ArrowStreamExportable(Protocol):
    """A table speaking the Arrow PyCapsule stream interface (``__arrow_c_stream__``)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


Rows = list[dict[str, Any]]
"""Rows as a list of dicts (column name to value)."""

TableLike = Union[ArrowStreamExportable, Rows]
"""Any table apportion reads: an Arrow stream exporter or a list of dicts."""

TableT = TypeVar("TableT")
"""The flavour of table a result holds: the flavour its input came in."""
