"""Tables in and out: every flavour gives the same plan, and results come back in the
caller's flavour."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import apportion
from apportion import _apportion

from conftest import AS_OF, CUSTOMER_TYPES, TYPES, as_rows, repeated


def test_every_flavour_gives_the_same_plan(rulebook, bank_arrow, bank_rows):
    customers, managers = bank_arrow
    inputs = {
        "pyarrow": (customers, managers),
        "pandas": (customers.to_pandas(), managers.to_pandas()),
        "polars": (pl.from_arrow(customers), pl.from_arrow(managers)),
        "list": bank_rows,
    }
    plans = {
        name: apportion.assign(c, m, rulebook, as_of=AS_OF, types=TYPES)
        for name, (c, m) in inputs.items()
    }
    reference = plans["pyarrow"]
    assert reference.stats.assigned == 3_000
    for name, plan in plans.items():
        assert plan.objective == reference.objective, name
        assert as_rows(plan.assignments) == as_rows(reference.assignments), name
        assert as_rows(plan.loads) == as_rows(reference.loads), name


def test_results_come_back_in_the_callers_flavour(rulebook, bank_arrow):
    customers, managers = bank_arrow
    pandas_plan = apportion.assign(
        customers.to_pandas(), managers.to_pandas(), rulebook, as_of=AS_OF, types=TYPES
    )
    assert isinstance(pandas_plan.assignments, pd.DataFrame)
    # Ids are plain text in every flavour, so the plan joins to the managers on them.
    assert not isinstance(pandas_plan.assignments["manager"].dtype, pd.CategoricalDtype)
    joined = pandas_plan.assignments.merge(
        managers.to_pandas(), left_on="manager", right_on="id", validate="many_to_one"
    )
    assert len(joined) == pandas_plan.stats.assigned
    polars_managers = pl.from_arrow(managers)
    polars_plan = apportion.assign(
        pl.from_arrow(customers), polars_managers, rulebook, as_of=AS_OF, types=TYPES
    )
    assert isinstance(polars_plan.loads, pl.DataFrame)
    for table, column in [("assignments", "manager"), ("assignments", "customer"),
                          ("assignments", "previous_manager"), ("loads", "manager")]:
        assert getattr(polars_plan, table).schema[column] == pl.String, (table, column)
    joined = polars_plan.assignments.join(polars_managers, left_on="manager", right_on="id")
    assert joined.height == polars_plan.stats.assigned
    # Loads per segment are columns, one per segment, summing to the load.
    loads = polars_plan.loads
    segments = [c for c in loads.columns if c.startswith("load_")]
    assert segments == ["load_AFFLUENT", "load_HNW", "load_MASS", "load_SME"]
    # Every customer of the example bank has a segment.
    assert (loads.select(segments).sum_horizontal() == loads["load"]).all()
    arrow_profile = rulebook.profile(customers, as_of=AS_OF, types=CUSTOMER_TYPES)
    assert isinstance(arrow_profile.customers, pa.Table)
    assert pa.types.is_dictionary(arrow_profile.customers.schema.field("tier").type)
    tiers = apportion.Rulebook('fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }')
    rows = tiers.profile([{"id": "C-1", "assets": 2_000_000}], as_of=AS_OF)
    assert isinstance(rows.customers, list)
    assert rows.customers[0]["tier"] == "HNW"


def test_profile_matches_the_rules(rulebook, bank_arrow):
    customers, _ = bank_arrow
    profile = rulebook.profile(customers.to_pandas(), as_of=AS_OF, types=CUSTOMER_TYPES)
    table = profile.customers
    assert list(table.columns) == ["id", *rulebook.fields]
    assert len(table) == 3_000
    hnw = table[table["tier"] == "HNW"]["id"]
    assets = customers.to_pandas().set_index("id")["assets"]
    assert (assets[hnw] >= 1_000_000).all()
    assert (assets.drop(hnw) < 1_000_000).all()
    assert profile.skipped == []


def test_typed_columns_arrive_as_their_types():
    rules = apportion.Rulebook(
        """
        fn recent(c) { days_since(c.opened) <= 30 }
        fn product_count(c) { c.products.len() }
        fn score(c) { c.rate * 2.0 }
        """
    )
    table = pa.table(
        {
            "id": ["C-1", "C-2"],
            "opened": pa.array([dt.date(2026, 6, 20), dt.date(2025, 1, 1)], pa.date32()),
            "products": pa.array([["loan", "card"], []], pa.list_(pa.string())),
            "rate": [1.5, 2.0],
        }
    )
    out = rules.profile(table, as_of=AS_OF).customers.to_pylist()
    assert out == [
        {"id": "C-1", "recent": True, "product_count": 2, "score": 3.0},
        {"id": "C-2", "recent": False, "product_count": 0, "score": 4.0},
    ]
    # The same through pandas (dates as objects) and polars (large strings, views).
    assert rules.profile(table.to_pandas(), as_of=AS_OF).customers.to_dict("records") == out
    assert rules.profile(pl.from_arrow(table), as_of=AS_OF).customers.to_dicts() == out


def test_reading_a_pyarrow_table_copies_no_column(bank_arrow, rulebook):
    customers, _ = bank_arrow
    big = repeated(customers, 20)
    before = pa.total_allocated_bytes()
    rulebook.check(big, types=CUSTOMER_TYPES)
    # Reading goes through the Arrow C stream straight from pyarrow's buffers: pyarrow
    # allocates nothing (a conversion or a combine_chunks would allocate ~10 MB here).
    assert pa.total_allocated_bytes() - before < 64 * 1024
    # The measurement does see copies.
    copied = big.combine_chunks()
    assert pa.total_allocated_bytes() - before > 1024 * 1024
    del copied


def test_tables_of_uneven_batches_read_as_one(bank_arrow, rulebook):
    # Columns are read in place a block of rows at a time, straight into the records; blocks
    # and the producer's batches need not line up.
    customers, managers = bank_arrow
    whole = repeated(customers, 3).combine_chunks()
    uneven = pa.Table.from_batches(whole.to_batches(max_chunksize=997))
    assert uneven.column("assets").num_chunks == 10
    one = rulebook.profile(whole, as_of=AS_OF, types=CUSTOMER_TYPES).customers
    many = rulebook.profile(uneven, as_of=AS_OF, types=CUSTOMER_TYPES).customers
    assert many.num_rows == 9_000
    assert many.equals(one)
    plans = [
        apportion.assign(table, managers, rulebook, as_of=AS_OF, types=TYPES)
        for table in (whole, uneven)
    ]
    assert plans[1].objective == plans[0].objective
    assert plans[1].assignments.equals(plans[0].assignments)


def sliced_with_a_null(customers: pa.Table) -> pa.Table:
    """2,000 of the customers in batches of 333 whose arrays start at an offset into their
    buffers, with a null asset (row 2)."""
    assets = customers.column("assets").to_pylist()
    assets[7] = None
    at = customers.schema.get_field_index("assets")
    customers = customers.set_column(at, "assets", pa.array(assets, pa.int64()))
    sliced = pa.Table.from_batches(customers.slice(5, 2_000).to_batches(max_chunksize=333))
    assert sliced.column("assets").chunk(0).offset == 5
    return sliced


def test_sliced_arrays_with_nulls_read_as_their_rows(bank_arrow, rulebook):
    # Arrays read in place may start at an offset into their buffers and carry nulls: they
    # must read as the same rows given as dicts (read by another path altogether).
    sliced = sliced_with_a_null(bank_arrow[0])
    in_place = rulebook.profile(sliced, as_of=AS_OF, types=CUSTOMER_TYPES).customers
    as_dicts = rulebook.profile(sliced.to_pylist(), as_of=AS_OF, types=CUSTOMER_TYPES).customers
    assert in_place.num_rows == 2_000
    assert in_place.to_pylist() == as_dicts


def test_columns_read_in_place_give_one_value_per_row_in_any_blocks(bank_arrow):
    # The loader reads such columns a block of rows at a time and, should a block not give one
    # value per row, reads the column whole instead: equal results alone would hide a
    # miscounted read. Booleans, integers, floats and text are read in place; dates are not.
    customers, _ = bank_arrow
    sliced = sliced_with_a_null(customers)
    uneven = pa.Table.from_batches(customers.to_batches(max_chunksize=997))
    dates = {"last_txn_date", "onboarded"}
    expected = {name: True for name in customers.column_names if name not in dates}
    for table in (sliced, uneven):
        for block in (4096, 100, 1):
            assert dict(_apportion._read_in_blocks(table, block)) == expected


def test_pandas_memory_read_in_place_is_released_with_the_gil():
    # pandas' numpy columns reach apportion as pyarrow buffers whose release takes the GIL.
    # The caller keeps them until loading is done, so the loader's threads never release them;
    # were one to while a caller loaded holding the GIL, this would hang: so it runs in a child.
    code = f"""
import numpy as np, pandas as pd, apportion
rules = apportion.Rulebook("fn rich(c) {{ c.assets > 5000 }}")
for _ in range(3):
    n = 20_000
    frame = pd.DataFrame({{"id": [f"C-{{i}}" for i in range(n)], "assets": np.arange(n)}})
    rules.check(frame)
    out = rules.profile(frame, as_of={AS_OF!r}).customers
    assert int(out["rich"].sum()) == n - 5001
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_reading_polars_and_pyarrow_uses_their_own_buffers():
    """The reader receives the producers' own buffers of a large column: nothing copied."""
    rows = 1_000_000
    frame = pl.DataFrame({"assets": pl.int_range(0, rows, eager=True)})
    assert _apportion._buffer_addresses(frame)[0].count(
        frame.get_column("assets")._s.as_single_ptr()
    ) == 1
    table = pa.table({"assets": pa.array(range(rows), pa.int64())})
    values = table.column("assets").chunk(0).buffers()[1]
    assert values.address in _apportion._buffer_addresses(table)[0]
    # The probe does tell copies apart: a computed column lives elsewhere.
    changed = frame.with_columns(pl.col("assets") + 0)
    assert frame.get_column("assets")._s.as_single_ptr() not in _apportion._buffer_addresses(
        changed
    )[0]


@pytest.mark.parametrize(
    "value, problem",
    [
        ({1, 2}, "type `set`"),
        (dt.datetime(2026, 1, 1, 12), "datetime is not a date"),
        (2**70, "too large"),
        (["a", 3], "list items must be text"),
    ],
)
def test_unreadable_values_name_the_column_and_row(rulebook, value, problem):
    rows = [{"id": "C-1", "assets": 1}, {"id": "C-2", "assets": 2, "extra": value}]
    with pytest.raises(apportion.InputError, match=problem) as caught:
        rulebook.profile(rows, as_of=AS_OF)
    assert caught.value.code == "invalid_value"
    assert "row 1" in str(caught.value) and "`extra`" in str(caught.value)


def test_unsupported_arrow_types_are_named():
    table = pa.table({"id": ["C-1"], "price": pa.array([1], pa.decimal128(10, 2))})
    with pytest.raises(apportion.InputError) as caught:
        apportion.Rulebook("fn x(c) { 1 }").profile(table, as_of=AS_OF)
    assert caught.value.code == "unsupported_column_type"
    assert "`price`" in str(caught.value) and "decimal" in str(caught.value).lower()


def test_timestamps_at_midnight_are_dates():
    rules = apportion.Rulebook("fn age_days(c) { days_since(c.opened) }")
    frame = pd.DataFrame({"id": ["C-1"], "opened": pd.to_datetime(["2026-06-20"])})
    assert rules.profile(frame, as_of=AS_OF).customers["age_days"].tolist() == [10]
    frame["opened"] = pd.to_datetime(["2026-06-20 13:30"])
    with pytest.raises(apportion.InputError, match="time of day") as caught:
        rules.profile(frame, as_of=AS_OF)
    assert "row 0" in str(caught.value) and "`opened`" in str(caught.value)


def test_not_a_table_is_refused():
    with pytest.raises(apportion.InputError) as caught:
        apportion.Rulebook("fn x(c) { 1 }").profile("customers.csv", as_of=AS_OF)
    assert caught.value.code == "unsupported_input"


NESTED = """
import sys
import pandas as pd
import polars as pl
import pyarrow as pa
import apportion

rules = apportion.Rulebook("fn one(c) { 1 }")


def nested(depth):
    cell = 1
    for _ in range(depth):
        cell = {"a": cell}
    return cell


def struct(depth):
    dtype = pa.int64()
    for _ in range(depth):
        dtype = pa.struct([("a", dtype)])
    return dtype


def polars_struct(depth):
    dtype = pl.Int64
    for _ in range(depth):
        dtype = pl.Struct({"a": dtype})
    return dtype


def outcome(run):
    try:
        run()
        return "ok"
    except apportion.ApportionError as error:
        return f"{error.code}: {error}"


depth = int(sys.argv[1])
cell = nested(depth)
as_of = "2026-06-30"
customers = pa.table({"id": ["C-1"], "x": pa.nulls(1, struct(min(depth, 2000)))})
cases = {
    "dicts": lambda: rules.profile([{"id": "C-1", "x": cell}], as_of=as_of),
    "check": lambda: rules.check([{"id": "C-1", "x": cell}]),
    "caps": lambda: apportion.assign(
        [{"id": "C-1"}], [{"id": "M-1", "capacity": 3, "segment_caps": cell}], rules, as_of=as_of
    ),
    "pyarrow": lambda: rules.profile(customers, as_of=as_of),
    "pandas objects": lambda: rules.profile(pd.DataFrame({"id": ["C-1"], "x": [cell]}), as_of=as_of),
    "pandas": lambda: rules.profile(
        pd.DataFrame({"id": ["C-1"], "x": pd.Series(customers["x"].chunk(0), dtype=pd.ArrowDtype(customers["x"].type))}),
        as_of=as_of,
    ),
    "polars": lambda: rules.profile(
        pl.DataFrame({"id": ["C-1"], "x": pl.Series([None], dtype=polars_struct(min(depth, 140)))}),
        as_of=as_of,
    ),
}
for name, run in cases.items():
    print(f"{name}: {outcome(run)}", flush=True)
"""


@pytest.mark.parametrize("depth", [65, 100_000])
def test_cells_nested_deeper_than_the_limit_are_invalid_values_at_any_depth(depth):
    # Every walk over a cell or a column type is bounded or iterative: the depth is turned down
    # before anything recurses over it. A stack overflow kills the process, so it runs in a
    # child, whose crash then fails the test.
    child = subprocess.run(
        [sys.executable, "-c", NESTED, str(depth)], capture_output=True, text=True, timeout=300
    )
    assert child.returncode == 0, child.stderr[-2000:]
    outcomes = dict(line.split(": ", 1) for line in child.stdout.splitlines())
    assert list(outcomes) == ["dicts", "check", "caps", "pyarrow", "pandas objects", "pandas", "polars"]
    for name, outcome in outcomes.items():
        assert outcome.startswith("invalid_value: "), (name, outcome)
        column = "`segment_caps`" if name == "caps" else "`x`"
        assert column in outcome and "nested more than" in outcome, (name, outcome)


def test_numpy_scalars_in_dicts_keep_their_kind():
    # NumPy's integers are not `int`s, but they are integers: `age / 10` divides whole numbers.
    rules = apportion.Rulebook(
        "fn decade(c) { c.age / 10 }\nfn half(c) { c.score / 2 }\nfn flag(c) { if c.vip { 1 } else { 2 } }"
    )
    integers = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
    rows = [
        {"id": f"C-{i}", "age": kind(55), "score": np.float64(5.0), "vip": np.bool_(i % 2 == 0)}
        for i, kind in enumerate(integers)
    ]
    rows.append({"id": "C-f32", "age": 55, "score": np.float32(5.0), "vip": True})
    out = rules.profile(rows, as_of=AS_OF).customers
    assert [row["decade"] for row in out] == [5] * len(rows)
    assert all(type(row["decade"]) is int for row in out)
    assert [row["half"] for row in out] == [2.5] * len(rows)
    assert [row["flag"] for row in out] == [1, 2, 1, 2, 1, 2, 1, 2, 1]
    # Beyond 64 bits, a NumPy integer is too large like a Python one.
    with pytest.raises(apportion.InputError, match="too large") as caught:
        rules.profile([{"id": "C-1", "age": np.uint64(2**64 - 1)}], as_of=AS_OF)
    assert caught.value.code == "invalid_value" and "`age`" in str(caught.value)


@pytest.mark.parametrize(
    "values, raised",
    [
        ([1, "Ada"], "ArrowInvalid"),
        (["Ada", 1], "ArrowTypeError"),
        ([1.5, "Ada"], "ArrowInvalid"),
        ([{"a": 1}, "Ada"], "ArrowInvalid"),
        ([dt.date(2026, 1, 1), "Ada"], "ArrowTypeError"),
        ([2**70, 1], "OverflowError"),
    ],
)
def test_a_pandas_column_pyarrow_cannot_convert_is_an_invalid_value(values, raised):
    # pandas hands its columns over through pyarrow, whose exceptions quote the value.
    frame = pd.DataFrame({"id": ["C-1", "C-2"], "name": ["x", "y"], "mixed": values})
    rules = apportion.Rulebook("fn one(c) { 1 }")
    for run in (
        lambda: rules.profile(frame, as_of=AS_OF),
        lambda: rules.check(frame),
        lambda: apportion.assign([{"id": "C-1"}], frame.assign(capacity=3), rules, as_of=AS_OF),
    ):
        with pytest.raises(apportion.InputError) as caught:
            run()
        assert caught.value.code == "invalid_value"
        message = str(caught.value)
        assert "column `mixed`" in message and f"`{raised}`" in message, message
        assert "Ada" not in message and str(2**70) not in message and "'" not in message
        assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_any_table_that_fails_to_export_is_an_input_error():
    class Broken:
        def __arrow_c_stream__(self, requested_schema=None):
            raise ValueError("could not convert 'Ada'")

    with pytest.raises(apportion.InputError) as caught:
        apportion.Rulebook("fn one(c) { 1 }").profile(Broken(), as_of=AS_OF)
    assert caught.value.code == "malformed_input"
    assert "`ValueError`" in str(caught.value) and "Ada" not in str(caught.value)
    # A polars column of Python objects exports as bytes apportion turns down by type.
    frame = pl.DataFrame({"id": ["C-1", "C-2"], "mixed": pl.Series([1, "Ada"], dtype=pl.Object)})
    with pytest.raises(apportion.InputError) as caught:
        apportion.Rulebook("fn one(c) { 1 }").profile(frame, as_of=AS_OF)
    assert caught.value.code == "unsupported_column_type" and "`mixed`" in str(caught.value)


def test_loads_carry_the_shadow_prices_of_capacities_and_caps():
    rules = apportion.Rulebook('fn segment(c) { c.kind }\nfn eligible(c, m) { true }')
    two = [{"id": "C-1", "kind": "HNW"}, {"id": "C-2", "kind": "HNW"}]

    def solve(capacity: int, caps: str = "") -> apportion.Plan[Any]:
        managers = [{"id": "M-1", "capacity": capacity, "target": 1, "segment_caps": caps}]
        return apportion.assign(two, managers, rules, as_of=AS_OF, unassigned_penalty=5000)

    # Room for one of two: one more place saves the unassigned penalty less the second
    # customer's balance step (2,000 with a target of 1), exactly.
    full = solve(1)
    assert full.stats.unassigned == 1
    assert full.loads[0]["shadow_price"] == 3000
    assert full.objective.total - solve(2).objective.total == 3000
    # Room for both, but a cap of one HNW: the cap has the price, the capacity none.
    capped = solve(5, "HNW=1")
    (load,) = capped.loads
    assert load["shadow_price"] == 0 and load["load_HNW"] == 1
    saved = capped.objective.total - solve(5, "HNW=2").objective.total
    assert 0 < saved <= load["shadow_price_HNW"]
