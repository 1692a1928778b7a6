"""One reading for every input path: the example bank read with each library's own default
CSV reader (or as plain strings in dicts) gives the profile and the plan's tables the command
line writes for the file itself, byte for byte, with no `types=` anywhere."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from typing import Any

import pytest

import apportion

from conftest import AS_OF, BANK, RULES, as_rows, default_readers


READERS = default_readers()


def text(value: Any) -> str:
    """A value as the command line writes it in CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


@pytest.mark.parametrize("reader", READERS)
def test_a_profile_matches_the_command_lines(cli, tmp_path, rulebook, reader):
    out = tmp_path / "profile.csv"
    command = [cli, "profile", "--customers", BANK / "customers.csv", "--rules", RULES]
    subprocess.run([*command, "--as-of", AS_OF, "--out", out], check=True, capture_output=True)
    with open(out, newline="") as f:
        expected = list(csv.DictReader(f))
    profile = rulebook.profile(READERS[reader]("customers.csv"), as_of=AS_OF)
    derived = [field for field in expected[0] if field != "id"]
    got = [
        {"id": row["id"], **{field: text(row[field]) for field in derived}}
        for row in as_rows(profile.customers)
    ]
    assert got == expected


def csv_text(table: object) -> str:
    """A table as the command line writes it in a CSV file."""
    rows = as_rows(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows([text(value) for value in row.values()] for row in rows)
    return out.getvalue()


@pytest.mark.parametrize("reader", READERS)
def test_a_plan_matches_the_command_lines(cli, tmp_path, rulebook, reader):
    plan_csv, loads_csv, plan_json = tmp_path / "plan.csv", tmp_path / "loads.csv", tmp_path / "p.json"
    command = [cli, "assign", "--customers", BANK / "customers.csv", "--rules", RULES]
    command += ["--managers", BANK / "managers.csv", "--as-of", AS_OF]
    report = subprocess.run(
        [*command, "--out", plan_csv, "--loads-out", loads_csv],
        check=True,
        capture_output=True,
        text=True,
    )
    subprocess.run([*command, "--out", plan_json], check=True, capture_output=True)
    plan = apportion.assign(
        READERS[reader]("customers.csv"), READERS[reader]("managers.csv"), rulebook, as_of=AS_OF
    )
    assert f"objective {plan.objective.total} =" in report.stdout + report.stderr
    # Byte for byte the command line's tables. Its plan file holds the unassigned too, in a
    # last column that is empty for the placed; everyone is placed in the example bank.
    assert as_rows(plan.unassigned) == []
    placed = csv_text(plan.assignments).replace("\n", ",\n")
    assert placed.replace(",\n", ",unassigned_reason\n", 1) == plan_csv.read_text()
    assert csv_text(plan.loads) == loads_csv.read_text()
    # The same records, the same digests, whichever way they were read.
    document = json.loads(plan_json.read_text())
    assert document["objective"]["total"] == plan.objective.total
    for digest in ("rulebook_sha256", "customers_blake3", "managers_blake3"):
        assert document["provenance"][digest] == getattr(plan.provenance, digest), digest
