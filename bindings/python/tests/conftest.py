"""Shared inputs: the example bank shipped in examples/, read three ways."""

from __future__ import annotations

import csv
import pathlib
import threading
import time
from typing import Any, Callable

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import apportion

ROOT = pathlib.Path(__file__).resolve().parents[3]
BANK = ROOT / "examples" / "data"
RULES = ROOT / "examples" / "rules" / "bank.rhai"
AS_OF = "2026-06-30"
# Text such as `a;b` is inferred to be a list, as from a CSV file; the tests still say which
# columns are lists, as a caller should whose tables may come in parts (a part whose values
# hold no `;` would be inferred to be text). The customers' alone for `profile`.
TYPES = {"products": "list", "languages": "list", "certifications": "list"}
CUSTOMER_TYPES = {"products": "list"}


def strings(name: str) -> list[dict[str, object]]:
    """Every cell of the example bank's file `name` as the text it is, as `csv.DictReader`
    gives it."""
    with open(BANK / name, newline="") as f:
        return list(csv.DictReader(f))


def default_readers() -> dict[str, Callable[[str], object]]:
    """Each library's own CSV reader with no options (and plain strings), by flavour: what a
    user reading the example bank's files would get."""
    import pandas as pd
    import polars as pl

    return {
        "pandas": lambda name: pd.read_csv(BANK / name),
        "polars": lambda name: pl.read_csv(BANK / name),
        "pyarrow": lambda name: pacsv.read_csv(BANK / name),
        "strings": strings,
    }


def as_rows(table: object) -> list[dict[str, object]]:
    """A table of any flavour as a list of dicts, to compare flavours by value."""
    import pandas as pd
    import polars as pl

    if isinstance(table, pd.DataFrame):
        return pa.Table.from_pandas(table, preserve_index=False).to_pylist()
    if isinstance(table, pl.DataFrame):
        return table.to_arrow().to_pylist()
    if isinstance(table, list):
        return table
    assert isinstance(table, pa.Table)
    return table.to_pylist()


def repeated(customers: pa.Table, times: int) -> pa.Table:
    """`customers` `times` over with ids of their own: a table long enough to take a while."""
    big = pa.concat_tables([customers] * times)
    return big.set_column(0, "id", pa.array([f"C-{i}" for i in range(big.num_rows)]))


def ticks_during(work: Callable[[], object]) -> tuple[int, float]:
    """How often a Python thread that ticks once a millisecond ticked while `work` ran, and
    how many seconds `work` took. Were the GIL held all along, the thread could not tick."""
    ticks = 0
    running = True

    def count() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    started = time.perf_counter()
    try:
        work()
    finally:
        elapsed = time.perf_counter() - started
        running = False
        counter.join()
    return ticks, elapsed


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    """The command line of this checkout (built by the Rust tests; built here if not)."""
    import subprocess

    binary = ROOT / "target" / "debug" / "apportion"
    if not binary.exists():
        subprocess.run(
            ["cargo", "build", "--quiet", "--locked", "-p", "apportion-cli"], cwd=ROOT, check=True
        )
    return binary


def cli_bank_plan(cli: pathlib.Path, out: pathlib.Path, *extra: object) -> dict[str, Any]:
    """The command line's plan of the example bank with `extra` arguments (`--groups FILE`),
    written as JSON to `out` and read back."""
    import json
    import subprocess

    command: list[object] = [cli, "assign", "--customers", BANK / "customers.csv"]
    command += ["--managers", BANK / "managers.csv", "--rules", RULES, "--as-of", AS_OF, "--out", out]
    subprocess.run([*command, *extra], check=True, capture_output=True)
    document: dict[str, Any] = json.loads(out.read_text())
    return document


@pytest.fixture(scope="session")
def rulebook() -> apportion.Rulebook:
    return apportion.Rulebook.from_file(RULES)


@pytest.fixture(scope="session")
def bank_arrow() -> tuple[pa.Table, pa.Table]:
    return pacsv.read_csv(BANK / "customers.csv"), pacsv.read_csv(BANK / "managers.csv")


@pytest.fixture(scope="session")
def bank_rows() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The bank as lists of dicts built with the csv module: an independent reading."""

    def rows(name: str, ints: set[str]) -> list[dict[str, object]]:
        with open(BANK / name, newline="") as f:
            out = []
            for record in csv.DictReader(f):
                row: dict[str, object] = {}
                for key, value in record.items():
                    if value == "":
                        row[key] = None
                    elif key in ints:
                        row[key] = int(value)
                    elif value in ("true", "false"):
                        row[key] = value == "true"
                    else:
                        row[key] = value
                out.append(row)
            return out

    customer_ints = {"assets", "income", "age", "transactions_90d", "days_since_last_txn", "credit_score"}
    manager_ints = {"seniority_years", "capacity", "target"}
    return rows("customers.csv", customer_ints), rows("managers.csv", manager_ints)
