"""Shared inputs: the example bank shipped in examples/, read three ways."""

from __future__ import annotations

import csv
import pathlib

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import apportion

ROOT = pathlib.Path(__file__).resolve().parents[3]
BANK = ROOT / "examples" / "data"
RULES = ROOT / "examples" / "rules" / "bank.rhai"
AS_OF = "2026-06-30"
# The CSV loader reads `a;b` text as lists; tables carry text, so say which columns are lists.
TYPES = {"products": "list", "languages": "list", "certifications": "list"}


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
