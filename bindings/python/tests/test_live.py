"""The live router and the churn-budget rebalance from Python."""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pytest

import apportion

from conftest import AS_OF, BANK, TYPES

LEAD = {
    "id": "L-1",
    "kind": "individual",
    "region": "capital",
    "branch": "BR-K01",
    "assets": 2_500_000,
    "income": 90_000,
    "age": 50,
    "risk_preference": "growth",
    "products": ["savings"],
    "transactions_90d": 10,
    "days_since_last_txn": 2,
    "last_txn_date": "2026-06-28",
    "onboarded": "2020-01-01",
    "language": "en",
    "has_mortgage_enquiry": False,
    "credit_score": 700,
}


@pytest.fixture()
def router(rulebook, bank_arrow):
    customers, managers = bank_arrow
    return apportion.Router(customers, managers, rulebook, as_of=AS_OF, types=TYPES)


def certifications(bank_arrow, manager):
    managers = bank_arrow[1].to_pylist()
    return next(m for m in managers if m["id"] == manager)["certifications"] or ""


def test_a_lead_goes_to_an_eligible_manager_and_the_decision_says_why(router, bank_arrow):
    decision = router.route(LEAD)
    assert decision.customer == "L-1"
    assert decision.basis == "marginal"
    assert decision.manager is not None and decision.runner_up is not None
    assert "private_banking" in certifications(bank_arrow, decision.manager)
    assert decision.ineligible > 0
    assert router.book()["L-1"] == decision.manager
    with pytest.raises(apportion.BookError) as twice:
        router.route(LEAD)
    assert twice.value.code == "already_in_book"


def test_bad_leads_are_input_errors_naming_the_column(router):
    with pytest.raises(apportion.InputError) as wrong_type:
        router.route({**LEAD, "id": "L-2", "assets": "lots"})
    assert wrong_type.value.code == "invalid_value"
    assert "assets" in str(wrong_type.value) and "L-2" in str(wrong_type.value)
    with pytest.raises(apportion.InputError) as unknown:
        router.route({**LEAD, "id": "L-3", "colour": "red"})
    assert unknown.value.code == "unknown_column"
    with pytest.raises(apportion.InputError) as no_id:
        router.route({"region": "capital"})
    assert no_id.value.code == "missing_column"
    with pytest.raises(apportion.InputError) as infinite:
        router.route({**LEAD, "id": "L-4", "income": float("inf")})
    assert infinite.value.code == "invalid_value"
    # NaN is pandas' missing value: the lead routes with no income.
    assert router.route({**LEAD, "id": "L-5", "income": float("nan")}).manager is not None


def test_leave_hands_the_book_back_and_depart_moves_only_that_book(router):
    before = router.book()
    manager = before["C-000001"]
    own = {c for c, m in before.items() if m == manager}
    covered = router.start_leave(manager)
    assert {d.customer for d in covered} == own
    assert all(d.manager != manager for d in covered if d.manager is not None)
    assert router.end_leave(manager) == sum(1 for d in covered if d.manager is not None)
    assert router.book() == before

    moved = router.depart(manager)
    after = router.book()
    assert {d.customer for d in moved} == own
    assert all(after.get(c) == m for c, m in before.items() if m != manager)
    assert manager not in {load.manager for load in router.loads()}
    with pytest.raises(apportion.BookError) as gone:
        router.release("C-999999")
    assert gone.value.code == "unknown_customer"


def test_routing_from_threads_never_overbooks(router):
    leads = [{**LEAD, "id": f"L-{i}", "region": "capital"} for i in range(400)]
    before = {load.manager: load.load for load in router.loads()}
    results: list[apportion.Decision] = []
    lock = threading.Lock()

    def work(part):
        mine = [router.route(lead) for lead in part]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=work, args=(leads[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 400
    # The example book starts with some managers above capacity; leads never add to those.
    after = router.loads()
    for load in after:
        assert load.load <= max(before[load.manager], load.capacity)
    placed = sum(1 for d in results if d.manager is not None)
    assert sum(load.load for load in after) - sum(before.values()) == placed


def test_rebalance_keeps_within_the_churn_budget(rulebook, bank_arrow):
    customers, managers = bank_arrow
    result = apportion.rebalance(customers, managers, rulebook, max_moves=400, as_of=AS_OF, types=TYPES)
    assert result.moves <= 400
    assert result.budget == 400
    assert any(penalty == result.move_penalty - 1 and moves > 400 for penalty, moves in result.probes)
    assert isinstance(result.plan.assignments, pa.Table)
    with pytest.raises(apportion.BookError) as small:
        apportion.rebalance(customers, managers, rulebook, max_moves=10, as_of=AS_OF, types=TYPES)
    assert small.value.code == "churn_budget_too_small"


def test_the_same_leads_get_the_same_decisions_from_fresh_routers(rulebook, bank_arrow):
    customers, managers = bank_arrow
    leads = [
        {**row, "id": f"L-{row['id']}", "products": (row["products"] or "").split(";")}
        for row in customers.slice(0, 300).drop_columns(["manager"]).to_pylist()
    ]
    runs = []
    for _ in range(3):
        router = apportion.Router(customers.slice(0, 0), managers, rulebook, as_of=AS_OF, types=TYPES)
        runs.append([router.route(lead) for lead in leads])
    assert runs[0] == runs[1] == runs[2]


def test_a_decision_names_the_managers_passed_over_and_why():
    rules = apportion.Rulebook("fn segment(c) { c.kind }\nfn eligible(c, m) { true }")
    book = [{"id": "C-1", "kind": "HNW", "manager": "M-2"}]
    managers = [
        {"id": "M-1", "capacity": 0},
        {"id": "M-2", "capacity": 5, "segment_caps": "HNW=1"},
        {"id": "M-3", "capacity": 5},
        {"id": "M-4", "capacity": 5},
    ]
    router = apportion.Router(book, managers, rules, as_of=AS_OF)
    router.start_leave("M-4")
    decision = router.route({"id": "L-1", "kind": "HNW"})
    assert decision.manager == "M-3"
    assert decision.full == ["M-1"]
    assert decision.segment_full == [("M-2", "HNW")]
    assert decision.away == ["M-4"]

    # Leads of one class share what is passed over, yet each decision owns its lists.
    decision.full.clear()
    same = router.route({"id": "L-2", "kind": "HNW"})
    assert (same.full, same.segment_full, same.away) == (["M-1"], [("M-2", "HNW")], ["M-4"])
    # Freeing M-2's HNW place and M-4's return change who is passed over.
    router.release("C-1")
    router.end_leave("M-4")
    after = router.route({"id": "L-3", "kind": "HNW"})
    assert (after.full, after.segment_full, after.away) == (["M-1"], [], [])


def test_a_lead_takes_the_place_its_forecast_held(router):
    places = router.follow_forecast([{**LEAD, "id": "F-1"}])
    assert places == 1
    decision = router.route(LEAD)
    assert decision.basis == "quota"
    # The place is taken: a second lead like it goes by marginal cost.
    assert router.route({**LEAD, "id": "L-2"}).basis == "marginal"
    with pytest.raises(apportion.InputError) as foreign:
        router.follow_forecast([{**LEAD, "id": "F-2", "colour": "red"}])
    assert foreign.value.code == "unknown_column"


def test_a_lead_of_numpy_scalars_routes_as_one_of_python_values():
    rules = apportion.Rulebook("fn decade(c) { c.age / 10 }\nfn half(c) { c.score / 2 }\nfn star(c) { if c.vip { 1 } else { 2 } }")
    book = [{"id": "C-1", "manager": "M-1", "age": 30, "score": 1.0, "vip": False}]
    managers = [{"id": "M-1", "capacity": 5}, {"id": "M-2", "capacity": 5}]
    plain = {"id": "L-1", "age": 55, "score": 5.0, "vip": True}
    numpy = {"id": "L-1", "age": np.int64(55), "score": np.float32(5.0), "vip": np.bool_(True)}
    decisions = [
        apportion.Router(book, managers, rules, as_of=AS_OF).route(lead) for lead in (plain, numpy)
    ]
    assert decisions[0] == decisions[1]
    # A NumPy boolean is no number, as Python's is not.
    with pytest.raises(apportion.InputError) as caught:
        apportion.Router(book, managers, rules, as_of=AS_OF).route({**plain, "score": np.True_})
    assert caught.value.code == "invalid_value" and "`score`" in str(caught.value)


def book_rows_as_leads(table):
    """The book's own rows under new ids, as each flavour hands out a row."""
    return [{**row, "id": "L-" + str(row["id"])} for row in table]


def test_rows_of_the_books_own_table_route_as_they_are(rulebook, bank_arrow):
    import pandas as pd
    import polars as pl

    customers, managers = bank_arrow
    frame = pd.read_csv(BANK / "customers.csv")
    flavours = {
        # pandas rows: `a;b` text in list columns, NaN where a value is missing.
        "pandas": frame.head(200).to_dict("records"),
        "polars": pl.read_csv(BANK / "customers.csv").head(200).to_dicts(),
        "pyarrow": customers.slice(0, 200).to_pylist(),
    }
    assert any(isinstance(row["manager"], float) for row in flavours["pandas"])  # NaN
    decided = {}
    for name, rows in flavours.items():
        router = apportion.Router(customers, managers, rulebook, as_of=AS_OF)
        decided[name] = [(d.manager, d.basis) for d in map(router.route, book_rows_as_leads(rows))]
    assert decided["pandas"] == decided["polars"] == decided["pyarrow"]
    # Text that is no value of the column's type is still an error naming it.
    router = apportion.Router(customers, managers, rulebook, as_of=AS_OF)
    with pytest.raises(apportion.InputError) as caught:
        router.route({**LEAD, "assets": "a lot"})
    assert caught.value.code == "invalid_value" and "`assets`" in str(caught.value)


def test_route_many_routes_a_table_in_order_and_answers_in_its_flavour(rulebook, bank_arrow):
    import pandas as pd

    customers, managers = bank_arrow
    leads = customers.slice(0, 50).set_column(
        0, "id", pa.array([f"L-{i}" for i in range(50)])
    )
    one_by_one = apportion.Router(customers, managers, rulebook, as_of=AS_OF)
    expected = [one_by_one.route(row) for row in leads.to_pylist()]
    many = apportion.Router(customers, managers, rulebook, as_of=AS_OF)
    table = many.route_many(leads.to_pandas())
    assert isinstance(table, pd.DataFrame)
    assert table["customer"].tolist() == [d.customer for d in expected]
    assert table["manager"].tolist() == [d.manager for d in expected]
    assert table["basis"].tolist() == [d.basis for d in expected]
    assert many.book() == one_by_one.book()
    # A bad value anywhere routes none of the table.
    bad = pa.table({"id": ["L-100", "L-101"], "assets": ["12", "many"]})
    before = len(many.book())
    with pytest.raises(apportion.InputError) as caught:
        many.route_many(bad)
    assert caught.value.code == "invalid_value"
    assert len(many.book()) == before


def test_a_manager_joins_and_takes_leads_at_once(rulebook, bank_arrow):
    customers, managers = bank_arrow
    router = apportion.Router(customers, managers, rulebook, as_of=AS_OF)
    newcomer = {**managers.to_pylist()[0], "id": "M-NEW", "capacity": 400, "target": 400}
    newcomer["segment_caps"] = None
    router.join(newcomer)
    loads = {m.manager: m for m in router.loads()}
    assert loads["M-NEW"].load == 0 and loads["M-NEW"].capacity == 400
    # An empty book with room: leads of its region come to it.
    decisions = router.route_many(
        [{**row, "id": f"L-{i}"} for i, row in enumerate(customers.slice(0, 300).to_pylist())]
    )
    assert "M-NEW" in [d["manager"] for d in decisions]
    with pytest.raises(apportion.InputError) as twice:
        router.join(newcomer)
    assert twice.value.code == "duplicate_manager_id"
    with pytest.raises(apportion.InputError) as unknown:
        router.join({"id": "M-X", "capacity": 1, "shoe_size": 44})
    assert unknown.value.code == "unknown_column"


def test_a_router_says_what_it_holds_and_refuses_to_pickle(router):
    import pickle

    placed = len(router.book())
    assert repr(router) == f"Router({placed} customers placed, 50 managers, as of 2026-06-30)"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(router)


def test_tickets_go_to_their_queues_as_the_cli_sends_them(rulebook, bank_arrow):
    import pandas as pd

    customers, _ = bank_arrow
    tickets = pd.read_csv(BANK / "tickets.csv")
    queues = {"private_desk": 5, "complaints": 10, "cards": 1, "lending": 10, "sme_desk": 2}
    plan = apportion.route_tickets(tickets, queues, customers, rulebook, as_of=AS_OF)
    assert isinstance(plan.tickets, pd.DataFrame)
    rows = plan.tickets.astype(object).where(plan.tickets.notna(), None).values.tolist()
    assert rows == [
        ["T-0001", "private_desk", None, None],
        ["T-0002", "complaints", None, None],
        ["T-0003", "cards", None, None],
        ["T-0004", "sme_desk", None, None],
        ["T-0005", "lending", None, None],
        ["T-0006", "private_desk", None, None],
        ["T-0007", "complaints", None, None],
        ["T-0008", None, "queue_full", "cards"],
        ["T-0009", None, "no_queue", None],
        ["T-0010", None, "queue_full", "cards"],
    ]
    assert plan.loads["taken"].tolist() == [2, 2, 1, 1, 1]
    with pytest.raises(apportion.RuleError) as no_rule:
        apportion.route_tickets(tickets, queues, customers, apportion.Rulebook("fn x(c) { 1 }"), as_of=AS_OF)
    assert no_rule.value.code == "invalid_rule_signature"
