"""Results come back in the flavour the caller passed in: pandas, polars, pyarrow or a list
of dicts."""

from __future__ import annotations

from typing import Any, Callable

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


def too_deep(table: Any, limit: int) -> str | None:
    """The first column of `table` whose type nests more than `limit` levels deep (structs,
    maps, lists, dictionaries), as the table's own schema says, or, in a pandas column of
    Python objects, whose values do (dicts, lists); None when none does or its schema cannot
    be seen without exporting it. Exporting such values (pyarrow infers their type) and
    importing such a schema over the C interface recurse once per level, so a column nested
    thousands deep must be turned down before. Walked without recursion."""
    for name, dtype in _column_types(table):
        if _nests_deeper(dtype, limit, _children):
            return str(name)
    for name, values in _object_columns(table):
        for value in values:
            if isinstance(value, (dict, list, tuple)) and _nests_deeper(value, limit, _items):
                return str(name)
    return None


def _nests_deeper(node: Any, limit: int, children_of: Callable[[Any], list[Any]]) -> bool:
    """Whether `node` has children more than `limit` levels down."""
    stack = [(node, 0)]
    while stack:
        node, depth = stack.pop()
        children = children_of(node)
        if children and depth == limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _items(value: Any) -> list[Any]:
    """The values directly inside a Python value: a dict's values, a list's items."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return []


def _object_columns(table: Any) -> list[tuple[Any, Any]]:
    """(name, values) per pandas column of Python objects, whose type pyarrow infers from
    the values when the frame is exported."""
    if type(table).__module__.partition(".")[0] != "pandas":
        return []
    dtypes = getattr(table, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    return [
        (name, table.iloc[:, index])
        for index, (name, dtype) in enumerate(dtypes.items())
        if dtype == object
    ]


def _column_types(table: Any) -> list[tuple[Any, Any]]:
    """(name, type) per column, for the tables whose schema can be read as it is: pyarrow's
    (Arrow types), polars' (its types) and pandas' (Arrow-backed columns; an object column is
    inferred by pyarrow on export)."""
    library = type(table).__module__.partition(".")[0]
    if library == "pandas":
        dtypes = getattr(table, "dtypes", None)
        if dtypes is None or not hasattr(dtypes, "items"):
            return []
        return [(name, getattr(dtype, "pyarrow_dtype", None)) for name, dtype in dtypes.items()]
    if library == "polars":
        schema = getattr(table, "schema", None)
        return list(schema.items()) if schema is not None and hasattr(schema, "items") else []
    schema = getattr(table, "schema", None)
    if isinstance(schema, pa.Schema):
        return [(field.name, field.type) for field in schema]
    return []


def _children(dtype: Any) -> list[Any]:
    """The types nested directly in `dtype`, an Arrow or polars type."""
    if isinstance(dtype, pa.DataType):
        if pa.types.is_dictionary(dtype):
            return [dtype.value_type]
        return [dtype.field(i).type for i in range(dtype.num_fields)]
    fields = getattr(dtype, "fields", None)
    if isinstance(fields, list):
        return [getattr(field, "dtype", None) for field in fields]
    inner = getattr(dtype, "inner", None)
    return [inner] if inner is not None else []


def unconvertible_column(table: Any) -> str | None:
    """The first column of a pandas DataFrame that pyarrow cannot convert (an object column
    of mixed types, an integer beyond 64 bits), to name it when exporting the frame failed;
    None for another table, or when every column converts on its own."""
    if type(table).__module__.partition(".")[0] != "pandas":
        return None
    for index, name in enumerate(getattr(table, "columns", [])):
        try:
            pa.array(table.iloc[:, index], from_pandas=True)
        except Exception:
            return str(name)
    return None
