"""Results are native, frozen classes with named attributes: they compare by value, show
their fields, refuse changes and pickle; plans and profiles show themselves in notebooks."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pyarrow as pa
import pytest

import apportion

from conftest import AS_OF, BANK, RULES


def test_a_plans_parts_are_frozen_named_and_pickle(rulebook, bank_arrow):
    customers, managers = bank_arrow
    plan = apportion.assign(customers, managers, rulebook, as_of=AS_OF)
    objective = plan.objective
    assert type(objective) is apportion.Objective and objective.__module__ == "apportion"
    assert objective.total == objective.affinity + objective.moves + objective.balance + objective.unassigned
    assert repr(objective) == (
        f"Objective(total={objective.total}, affinity={objective.affinity}, moves={objective.moves}, "
        f"balance={objective.balance}, unassigned={objective.unassigned}, model_scores=None)"
    )
    with pytest.raises(AttributeError):
        objective.total = 0  # type: ignore[misc]
    for part in (plan.objective, plan.stats, plan.network, plan.timings):
        assert pickle.loads(pickle.dumps(part)) == part
    assert apportion.Objective(1, 2, 3, 4, 5) != apportion.Objective(1, 2, 3, 4, 6)
    # A field added later defaults, so that older calls still build the class.
    assert apportion.Objective(1, 2, 3, 4, 5) == apportion.Objective(1, 2, 3, 4, 5, None)
    assert apportion.Objective(1, 2, 3, 4, 5) != apportion.Objective(1, 2, 3, 4, 5, -7)
    copy = pickle.loads(pickle.dumps(plan))
    assert copy.objective == plan.objective and copy.assignments.equals(plan.assignments)


def test_decisions_and_loads_are_native_and_pickle(rulebook, bank_arrow):
    customers, managers = bank_arrow
    router = apportion.Router(customers, managers, rulebook, as_of=AS_OF)
    decision = router.route({**customers.slice(0, 1).to_pylist()[0], "id": "L-1"})
    assert type(decision) is apportion.Decision
    assert pickle.loads(pickle.dumps(decision)) == decision
    assert repr(decision).startswith("Decision(customer='L-1', manager=")
    load = router.loads()[0]
    assert type(load) is apportion.ManagerLoad
    assert pickle.loads(pickle.dumps(load)) == load


def test_plans_and_profiles_render_as_html(rulebook, bank_arrow):
    customers, managers = bank_arrow
    plan = apportion.assign(customers.to_pandas(), managers.to_pandas(), rulebook, as_of=AS_OF)
    page = plan._repr_html_()
    assert "apportion Plan" in page and f"{plan.objective.total:,}" in page
    assert "load_HNW" in page and "<table>" in page
    profile = rulebook.profile(customers, as_of=AS_OF)
    page = profile._repr_html_()
    assert "3,000 customers" in page and "tier" in page
    # Values are escaped, never markup.
    rows = apportion.Rulebook('fn tag(c) { "<b>x</b>" }').profile([{"id": "<i>"}], as_of=AS_OF)
    page = rows._repr_html_()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page and "&lt;i&gt;" in page


def test_a_plan_says_where_it_comes_from_whatever_the_flavour(rulebook, bank_arrow):
    import pandas as pd
    import polars as pl

    customers, managers = bank_arrow
    plan = apportion.assign(customers, managers, rulebook, as_of=AS_OF, threads=1)
    provenance = plan.provenance
    assert type(provenance) is apportion.Provenance
    assert (provenance.as_of, provenance.move_penalty, provenance.threads) == (AS_OF, 500, 1)
    assert len(provenance.rulebook_sha256) == 64 and provenance.private_fields == []
    assert pickle.loads(pickle.dumps(provenance)) == provenance
    # The inputs' digests depend on their records alone: not the flavour, the batches or the
    # threads (which the provenance records, outside its equality).
    uneven = customers.to_batches(max_chunksize=701)
    import pyarrow as pa

    others = [
        apportion.assign(customers.to_pandas(), managers.to_pandas(), rulebook, as_of=AS_OF),
        apportion.assign(pl.from_arrow(customers), pl.from_arrow(managers), rulebook, as_of=AS_OF),
        apportion.assign(pa.Table.from_batches(uneven), managers, rulebook, as_of=AS_OF, threads=2),
    ]
    for other in others:
        assert other.provenance == provenance
        assert other.provenance.customers_blake3 == provenance.customers_blake3
    assert others[-1].provenance.threads == 2
    assert isinstance(others[0].assignments, pd.DataFrame)


def test_a_plan_explains_a_customer_as_the_command_line_does(rulebook, bank_arrow, tmp_path):
    customers, managers = bank_arrow
    plan = apportion.assign(customers, managers, rulebook, as_of=AS_OF)
    customer = plan.assignments["customer"][4].as_py()
    why = plan.explain(customer)
    verdicts = [m["verdict"] for m in why["managers"]]
    assert verdicts.count("assigned") == 1 and len(verdicts) == managers.num_rows
    assert why["manager"] == plan.assignments["manager"][4].as_py()
    for option in why["managers"]:
        if option["verdict"] == "eligible":
            assert option["extra_cost"]["total"] >= 0
        if option["verdict"] == "ineligible":
            assert option["clause"]["line"] > 0 and option["clause"]["text"]
    # The same document as `apportion explain` writes.
    out = tmp_path / "why.json"
    subprocess.run(
        [sys.executable, "-m", "apportion", "explain", "--customer", customer,
         "--customers", str(BANK / "customers.csv"), "--managers", str(BANK / "managers.csv"),
         "--rules", str(RULES), "--as-of", AS_OF, "--out", str(out)],
        check=True, capture_output=True,
    )
    assert json.loads(out.read_text()) == why
    with pytest.raises(apportion.BookError, match="unknown_customer|not in the book"):
        plan.explain("C-NOBODY")
    # An unpickled plan has no inputs to explain with, and says so.
    with pytest.raises(ValueError, match="cannot explain"):
        pickle.loads(pickle.dumps(plan)).explain(customer)


def test_compare_plans_two_rulebooks_and_the_diff_matches_the_command_line(rulebook, bank_arrow):
    customers, managers = bank_arrow
    lower = apportion.Rulebook(
        rulebook.source.replace("c.assets >= 1_000_000", "c.assets >= 500_000", 1)
    )
    result = apportion.compare(customers, managers, rulebook, lower, as_of=AS_OF,
                               after_move_penalty=300)
    before, after = result["before"], result["after"]
    assert isinstance(before, apportion.Plan) and isinstance(after.assignments, pa.Table)
    assert result["diff"] == before.diff(after)
    moves = result["diff"]["moves"]
    assert moves and sum(f["customers"] for f in result["diff"]["flows"]) == len(moves)
    change = result["diff"]["objective"]["change"]
    assert change["total"] == after.objective.total - before.objective.total
    promoted = [t for t in result["tiers"] if t["after"] == "HNW" and t["before"] != "HNW"]
    assert promoted and result["eligibility"]
    # Each plan explains a customer under its own rulebook.
    customer = result["eligibility"][0]["customer"]
    assert after.explain(customer)["customer"] == customer
    # A plan against itself: no move.
    assert before.diff(before)["moves"] == []
