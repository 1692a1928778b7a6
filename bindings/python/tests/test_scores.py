"""A model's scores for pairs from Python: read from every table flavour as the command line
reads the file, shown per placement and in explanations, honoured by rebalance, compare and
the router, and bad tables refused with their codes."""

from __future__ import annotations

from typing import Any

import pyarrow.csv as pacsv
import pytest

import apportion

from conftest import AS_OF, BANK, as_rows, cli_bank_plan, default_readers


READERS = default_readers()


@pytest.fixture(scope="module")
def cli_plan(cli, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The command line's plan of the example bank with its model's scores, as JSON."""
    return cli_bank_plan(cli, tmp_path_factory.mktemp("scores") / "plan.json", "--scores", BANK / "model_scores.csv")


@pytest.mark.parametrize("reader", READERS)
def test_scores_from_any_flavour_plan_as_the_command_line(rulebook, cli_plan, reader):
    read = READERS[reader]
    plan = apportion.assign(
        read("customers.csv"), read("managers.csv"), rulebook, as_of=AS_OF, scores=read("model_scores.csv")
    )
    assert plan.objective.total == cli_plan["objective"]["total"]
    assert plan.objective.model_scores == cli_plan["objective"]["model_scores"] < 0
    assert plan.provenance.scores_blake3 == cli_plan["provenance"]["scores_blake3"]
    placed = {(a["customer"], a["manager"], a["model_score"]) for a in cli_plan["assignments"]}
    rows = as_rows(plan.assignments)
    assert {(r["customer"], r["manager"], r["model_score"]) for r in rows} == placed
    assert -sum(r["model_score"] for r in rows) == plan.objective.model_scores
    # Without scores the plan is the one it always was, and has no model column.
    plain = apportion.assign(read("customers.csv"), read("managers.csv"), rulebook, as_of=AS_OF)
    assert plain.objective.total == 1_555_351 and plain.objective.model_scores is None
    assert "model_score" not in as_rows(plain.assignments)[0]


def test_an_explanation_shows_the_models_score(rulebook, bank_arrow):
    customers, managers = bank_arrow
    scores = pacsv.read_csv(BANK / "model_scores.csv")
    plan = apportion.assign(customers, managers, rulebook, as_of=AS_OF, scores=scores)
    placed = next(r for r in as_rows(plan.assignments) if r["model_score"])
    why = plan.explain(placed["customer"])
    chosen = next(m for m in why["managers"] if m["manager"] == placed["manager"])
    term = next(t for t in chosen["terms"] if "pair_score" in t["text"])
    assert term["value"] == placed["model_score"] == chosen["model_score"]
    assert 1 <= sum("model_score" in m for m in why["managers"]) <= 3


def test_rebalance_compare_and_the_router_take_scores(rulebook, bank_arrow):
    customers, managers = bank_arrow
    scores = pacsv.read_csv(BANK / "model_scores.csv")
    result = apportion.rebalance(customers, managers, rulebook, max_moves=400, as_of=AS_OF, scores=scores)
    assert result.moves <= 400 and result.plan.provenance.scores_blake3 is not None
    compared = apportion.compare(customers, managers, rulebook, as_of=AS_OF, scores=scores)
    planned = apportion.assign(customers, managers, rulebook, as_of=AS_OF, scores=scores)
    assert compared["before"].objective == planned.objective
    # The router knows the book's scores: a customer released and placed again keeps theirs.
    rules = apportion.Rulebook(
        "fn affinity(c, m) { let s = pair_score(c, m); if s == () { 0 } else { 1000 * s } }"
    )
    book = [{"id": "C-1", "manager": "M-1"}]
    staff = [{"id": "M-1", "capacity": 2}, {"id": "M-2", "capacity": 2}]
    router = apportion.Router(
        book, staff, rules, as_of=AS_OF, scores=[{"customer": "C-1", "manager": "M-2", "score": 5}]
    )
    assert router.release("C-1") == "M-1"
    assert router.route({"id": "C-1"}).manager == "M-2"
    # A lead has no scores: the balance decides.
    assert router.route({"id": "L-1"}).manager == "M-1"


def test_a_lead_routes_with_its_own_scores():
    rules = apportion.Rulebook("fn affinity(c, m) { let s = pair_score(c, m); if s == () { 0 } else { 1000 * s } }")
    staff = [{"id": "M-1", "capacity": 2}, {"id": "M-2", "capacity": 2}]
    router = apportion.Router([], staff, rules, as_of=AS_OF)
    assert router.route({"id": "L-1"}, scores={"M-2": 5}).manager == "M-2"
    twin = router.route({"id": "L-2"})
    assert (twin.manager, twin.affinity) == ("M-1", 0)
    with pytest.raises(apportion.BookError) as caught:
        router.route({"id": "L-3"}, scores={"M-9": 1})
    assert caught.value.code == "unknown_manager"
    with pytest.raises(apportion.InputError) as caught:
        router.route({"id": "L-3"}, scores={"M-1": float("inf")})
    assert caught.value.code == "non_finite_number"
    with pytest.raises(TypeError):
        router.route({"id": "L-3"}, scores={"M-1": True})


def test_scores_no_rule_reads_are_a_warning():
    rules = apportion.Rulebook("fn eligible(c, m) { true }")
    scores = [{"customer": "C-1", "manager": "M-1", "score": 1}]
    with pytest.warns(UserWarning, match="no pair rule calls `pair_score"):
        plan = apportion.assign([{"id": "C-1"}], [{"id": "M-1", "capacity": 1}], rules, as_of=AS_OF, scores=scores)
    assert plan.objective.model_scores == 0


@pytest.mark.parametrize(
    ("scores", "code"),
    [
        ([{"customer": "C-1", "manager": "M-1", "score": 1}] * 2, "duplicate_score"),
        ([{"customer": "C-9", "manager": "M-1", "score": 1}], "unknown_customer"),
        ([{"customer": "C-1", "manager": "M-9", "score": 1}], "unknown_manager"),
        ([{"customer": "C-1", "manager": "M-1", "points": 1}], "unknown_column"),
        ([{"customer": "C-1", "manager": "M-1", "score": "high"}], "invalid_value"),
        ([{"customer": "C-1", "manager": "M-1", "score": float("nan")}], "non_finite_number"),
    ],
)
def test_bad_scores_are_input_errors_with_their_code(scores, code):
    rules = apportion.Rulebook("fn affinity(c, m) { if pair_score(c, m) == () { 0 } else { 1 } }")
    with pytest.raises(apportion.InputError) as caught:
        apportion.assign([{"id": "C-1"}], [{"id": "M-1", "capacity": 1}], rules, as_of=AS_OF, scores=scores)
    assert caught.value.code == code
