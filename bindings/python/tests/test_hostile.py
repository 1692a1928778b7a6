"""The hostile rulebooks shared with the Rust suite (engine/tests/data/hostile_rulebooks.json):
from Python too, each ends in its typed error within a bounded time, and the next rulebook
runs unharmed."""

from __future__ import annotations

import _thread
import json
import signal
import threading
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


def test_ctrl_c_reaches_inside_a_rule_that_runs_long():
    """Each customer spends most of the rule's fuel, so one chunk of customers takes seconds:
    Ctrl-C must stop the run inside it, not after it."""
    # It reads `assets`, which differs for every customer, so no result is remembered.
    rules = apportion.Rulebook("fn t(c) { let n = 0; for i in 0..60000 { n += 1; } n + c.assets }")
    customers = [{"id": f"C-{i}", "assets": i} for i in range(600)]
    reports: list[int] = []
    timer = threading.Timer(0.3, _thread.interrupt_main)  # what Ctrl-C does
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer.start()
    try:
        rules.profile(customers, as_of=AS_OF, threads=1, progress=lambda done, total: reports.append(done))
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("Ctrl-C was not raised")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    # Progress is reported per chunk of 512 customers: none was ever finished.
    assert reports == []
