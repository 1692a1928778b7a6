"""The hostile rulebooks shared with the Rust suite (engine/tests/data/hostile_rulebooks.json):
from Python too, each ends in its typed error within a bounded time, and the next rulebook
runs unharmed."""

from __future__ import annotations

import json
import time

import pytest

import apportion

from conftest import AS_OF, ROOT

CASES = json.loads((ROOT / "engine" / "tests" / "data" / "hostile_rulebooks.json").read_text())
CUSTOMERS = [
    {"id": "C-1", "manager": "M-1", "assets": 2_500_000, "onboarded": "2020-01-15", "products": ["savings"]},
    {"id": "C-2", "manager": None, "assets": 150_000, "onboarded": "2026-05-01", "products": []},
    {"id": "C-3", "manager": "M-9", "assets": 4_000, "onboarded": "2025-11-30", "products": ["mortgage"]},
]
TYPES = {"onboarded": "date"}


@pytest.mark.parametrize("case", CASES, ids=[f"{i}: {c['why']}" for i, c in enumerate(CASES)])
def test_a_hostile_rulebook_ends_in_its_error(case):
    started = time.monotonic()
    try:
        apportion.Rulebook(case["source"]).profile(CUSTOMERS, as_of=AS_OF, types=TYPES)
        code = "ok"
    except apportion.RuleError as error:
        code = error.code
    assert code == case["code"], case["source"][:200]
    assert time.monotonic() - started < 5
    # Nothing is left behind for the next rulebook.
    fine = apportion.Rulebook("fn t(c) { c.assets }").profile(CUSTOMERS, as_of=AS_OF, types=TYPES)
    assert [row["t"] for row in fine.customers] == [2_500_000, 150_000, 4_000]
