"""Assignment from Python: the plan's guarantees, progress reporting and the GIL."""

from __future__ import annotations

import _thread
import io
import signal
import subprocess
import sys

import pyarrow.compute as pc
import pytest
import tqdm

import apportion

from conftest import AS_OF, BANK, RULES, CUSTOMER_TYPES, TYPES, repeated, ticks_during


def test_the_bank_plan_keeps_its_guarantees(rulebook, bank_arrow):
    customers, managers = bank_arrow
    plan = apportion.assign(customers, managers, rulebook, as_of=AS_OF, types=TYPES)
    assert plan.stats.assigned + plan.stats.unassigned == customers.num_rows
    assert pc.all(pc.less_equal(plan.loads["load"], plan.loads["capacity"])).as_py()
    objective = plan.objective
    assert objective.total == (
        objective.affinity + objective.moves + objective.balance + objective.unassigned
    )
    assert objective.affinity == -pc.sum(plan.assignments["affinity"]).as_py()
    assert objective.moves == pc.sum(plan.assignments["move_penalty"]).as_py()
    assert plan.stats.moved == pc.sum(plan.assignments["moved"]).as_py()
    assert plan.orphans.num_rows > 0
    # Moves are counted two ways that reconcile with the objective: paid moves pay the
    # penalty; customers of a manager who left are re-homed for nothing.
    assert plan.stats.moved == plan.stats.paid_moves + plan.stats.rehomed
    assert plan.stats.rehomed > 0
    assert objective.moves == 500 * plan.stats.paid_moves
    # The network: pair classes aggregate the 3,000 customers.
    assert 0 < plan.network.pair_classes < customers.num_rows
    assert plan.network.supply_nodes <= customers.num_rows
    assert plan.network.arcs > plan.network.nodes > plan.network.supply_nodes
    assert plan.network.pivots > 0
    # Its regions share no eligible manager: they are solved apart, and no line joins them.
    assert plan.network.parts > 1 and not plan.network.joined_by_links
    # So small a book holds every arc from the start.
    assert plan.network.arcs_held == plan.network.arcs
    assert (plan.network.arcs_priced_in, plan.network.pricing_rounds) == (0, 0)
    # Where the time went is reported beside the plan, never part of it.
    assert plan.timings is not None
    assert plan.timings.rules_seconds > 0 and plan.timings.solve_seconds > 0
    parts = ("assignments", "unassigned", "loads", "orphans", "groups", "objective", "stats")
    parts += ("network",)
    parts += ("provenance",)
    assert plan == apportion.Plan(*(getattr(plan, part) for part in parts), timings=None)


def test_a_private_field_of_managers_is_out_of_reach():
    customers = [{"id": "C-1", "region": "north"}]
    managers = [{"id": "M-1", "capacity": 5, "region": "north", "phone": "+44 7700 900123"}]
    with pytest.raises(apportion.RuleError) as caught:
        apportion.Rulebook('fn eligible(c, m) { m.phone != "" }', private=["phone"])
    assert caught.value.code == "private_field"
    computed = apportion.Rulebook(
        'fn eligible(c, m) { let k = "pho"; m[k + "ne"] == c.region }', private=["phone"]
    )
    with pytest.raises(apportion.RuleError) as caught:
        apportion.assign(customers, managers, computed, as_of=AS_OF)
    assert caught.value.code == "rule_failed"
    assert "7700" not in str(caught.value)


def test_unassigned_customers_have_reasons():
    rules = apportion.Rulebook('fn eligible(c, m) { c.region == m.region }')
    customers = [
        {"id": "C-1", "region": "north"},
        {"id": "C-2", "region": "north"},
        {"id": "C-3", "region": "south"},
    ]
    managers = [{"id": "M-1", "capacity": 1, "region": "north"}]
    plan = apportion.assign(customers, managers, rules, as_of=AS_OF)
    reasons = {row["customer"]: row for row in plan.unassigned}
    assert reasons["C-3"]["reason"] == "no_eligible_manager"
    assert reasons["C-2"]["reason"] == "capacity_exhausted"
    assert reasons["C-2"]["full_managers"] == ["M-1"]
    assert [row["customer"] for row in plan.assignments] == ["C-1"]


def test_progress_reaches_the_total(rulebook, bank_arrow):
    customers, managers = bank_arrow
    seen: list[tuple[int, int]] = []
    apportion.assign(
        customers, managers, rulebook, as_of=AS_OF, types=TYPES, progress=lambda d, t: seen.append((d, t))
    )
    assert seen and max(seen) == (3_000, 3_000)
    assert all(total == 3_000 for _, total in seen)


def test_a_tqdm_bar_is_a_progress(rulebook, bank_arrow):
    customers, _ = bank_arrow
    with tqdm.tqdm(file=io.StringIO()) as bar:
        rulebook.profile(customers, as_of=AS_OF, types=CUSTOMER_TYPES, progress=bar)
        assert bar.n == bar.total == 3_000


def test_an_exception_in_the_progress_callback_is_raised_after_the_run(rulebook, bank_arrow):
    customers, _ = bank_arrow

    def broken(done: int, total: int) -> None:
        raise ValueError("bar closed")

    try:
        rulebook.profile(customers, as_of=AS_OF, types=CUSTOMER_TYPES, progress=broken)
    except ValueError as error:
        assert str(error) == "bar closed"
    else:
        raise AssertionError("the callback's exception was swallowed")


def test_the_gil_is_released_while_solving(rulebook, bank_arrow):
    customers, managers = bank_arrow
    big = repeated(customers, 3)
    ticks, elapsed = ticks_during(
        lambda: apportion.assign(big, managers, rulebook, as_of=AS_OF, types=TYPES, threads=1)
    )
    # Released, the GIL lets the counter tick about once a millisecond (allow a wide margin
    # for a busy machine).
    assert ticks > elapsed * 100, (ticks, elapsed)


def test_ctrl_c_stops_a_run_promptly(rulebook, bank_arrow):
    customers, _ = bank_arrow
    big = repeated(customers, 10)
    seen: list[int] = []

    def interrupt_on_first_report(done: int, total: int) -> None:
        if not seen:
            _thread.interrupt_main()  # what Ctrl-C does
        seen.append(done)

    # Python installs this handler at start-up unless SIGINT is ignored, as it is for a job
    # started in the background by a shell without job control (a CI runner, say).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        rulebook.profile(big, as_of=AS_OF, types=CUSTOMER_TYPES, threads=1, progress=interrupt_on_first_report)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("Ctrl-C was not raised")
    finally:
        signal.signal(signal.SIGINT, previous)
    # The run stopped early: it never got near the last of its 30,000 customers.
    assert max(seen) < big.num_rows / 2, max(seen)


REENTRANT = f"""
import pyarrow.csv as pacsv
import apportion

customers = pacsv.read_csv({str(BANK / "customers.csv")!r})
managers = pacsv.read_csv({str(BANK / "managers.csv")!r})
rules = apportion.Rulebook.from_file({str(RULES)!r})
kw = dict(as_of={AS_OF!r})
expected = apportion.assign(customers, managers, rules, **kw).assignments

# A progress callback that calls apportion, whose own callback calls it again: each run
# calls on its first report only, so the runs make one chain.
inner = []
def nested(depth):
    fired = []
    def report(done, total):
        if not fired and len(inner) < depth:
            fired.append(None)
            inner.append(None)
            if len(inner) % 2:
                plan = apportion.assign(customers, managers, rules, progress=nested(depth), **kw)
                assert plan.assignments.equals(expected)
            else:
                rules.profile(customers, progress=nested(depth), **kw)
    return report

plan = apportion.assign(customers, managers, rules, progress=nested(3), **kw)
assert plan.assignments.equals(expected) and len(inner) == 3
inner.clear()
rules.profile(customers, threads=1, progress=nested(3), **kw)
assert len(inner) == 3

# Nesting without end stops at the limit, with a stable code.
inner.clear()
try:
    rules.profile(customers, progress=nested(1_000), **kw)
except apportion.ApportionError as error:
    # Each worker thread takes a few nested runs: how many in all depends on which ran which.
    print(error.code, len(inner) > 4)
"""


def test_a_progress_callback_may_call_apportion_again():
    # Every worker of the pool waited for a free worker, for ever, deaf to Ctrl-C: the run goes
    # in a child, so a hang fails the test at its timeout instead of hanging the suite.
    child = subprocess.run(
        [sys.executable, "-c", REENTRANT], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.split() == ["nested_call_limit", "True"]


def test_segment_targets_spread_each_segment():
    rules = apportion.Rulebook(
        'fn segment(c) { c.kind }\nfn eligible(c, m) { true }\n'
        'fn affinity(c, m) { if m.id == "M-1" && c.kind == "HNW" { 300 } else { 0 } }'
    )
    customers = [{"id": f"C-{i}", "kind": "HNW" if i < 4 else "MASS"} for i in range(8)]
    plain = [{"id": "M-1", "capacity": 4}, {"id": "M-2", "capacity": 4}]
    # As text or as a mapping, like segment caps.
    targeted = [
        {"id": "M-1", "capacity": 4, "segment_targets": "HNW=2"},
        {"id": "M-2", "capacity": 4, "segment_targets": {"HNW": 2}},
    ]
    hnw = [
        [row["load_HNW"] for row in apportion.assign(customers, managers, rules, as_of=AS_OF).loads]
        for managers in (plain, targeted)
    ]
    assert hnw == [[4, 0], [2, 2]]
