"""Groups of managers (teams, desks, business lines) from Python: read from every table flavour
as the command line reads the file, honoured by assign, rebalance and the router, and bad
groups refused with their codes."""

from __future__ import annotations

import pickle
from typing import Any

import pandas as pd
import polars as pl
import pyarrow.csv as pacsv
import pytest

import apportion

from conftest import AS_OF, BANK, as_rows, cli_bank_plan, default_readers


READERS = default_readers()


@pytest.fixture(scope="module")
def cli_plan(cli, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The command line's plan of the example bank with its groups, as JSON."""
    return cli_bank_plan(cli, tmp_path_factory.mktemp("groups") / "plan.json", "--groups", BANK / "groups.csv")


@pytest.mark.parametrize("reader", READERS)
def test_groups_from_any_flavour_plan_as_the_command_line(rulebook, cli_plan, reader):
    read = READERS[reader]
    plan = apportion.assign(
        read("customers.csv"), read("managers.csv"), rulebook, as_of=AS_OF, groups=read("groups.csv")
    )
    assert plan.objective.total == cli_plan["objective"]["total"]
    assert plan.provenance.groups_blake3 == cli_plan["provenance"]["groups_blake3"]
    placed = {(a["customer"], a["manager"]) for a in cli_plan["assignments"]}
    rows = plan.assignments
    if isinstance(rows, pd.DataFrame):
        pairs = set(zip(rows["customer"], rows["manager"]))
    elif isinstance(rows, pl.DataFrame):
        pairs = set(zip(rows["customer"].to_list(), rows["manager"].to_list()))
    elif isinstance(rows, list):
        pairs = {(r["customer"], r["manager"]) for r in rows}
    else:
        pairs = set(zip(rows["customer"].to_pylist(), rows["manager"].to_pylist()))
    assert pairs == placed
    # The groups' loads, in the caller's flavour: the three lines hold everyone.
    groups = read("groups.csv")
    lines = [row for row in as_rows(plan.groups) if row["parent"] is None]
    assert sorted(row["group"] for row in lines) == ["PRIVATE", "RETAIL", "SME"]
    assert sum(row["load"] for row in lines) == 3_000
    assert type(plan.groups) is type(groups)
    # The JSON plan nests each group's segments and limits; the table spreads them over
    # columns, null where a group has no such limit.
    rows = as_rows(plan.groups)
    assert len(rows) == len(cli_plan["groups"])
    for row, group in zip(map(dict, rows), map(dict, cli_plan["groups"])):
        for prefix, nested, absent in [
            ("load_", group.pop("segments"), 0),
            ("cap_", group.pop("segment_caps"), None),
            ("minimum_", group.pop("segment_minimums"), None),
        ]:
            columns = [name for name in row if name.startswith(prefix)]
            assert set(nested) <= {name[len(prefix) :] for name in columns}
            for name in columns:
                assert row.pop(name) == nested.get(name[len(prefix) :], absent)
        assert row == group
    private_teams = [row for row in rows if row["minimum_HNW"] is not None]
    assert private_teams and all(row["load_HNW"] >= row["minimum_HNW"] for row in private_teams)
    # Without groups the plan is the one it always was; with them, it knows it has them.
    plain = apportion.assign(read("customers.csv"), read("managers.csv"), rulebook, as_of=AS_OF)
    assert plain.objective.total == 1_555_351
    assert plain.provenance.groups_blake3 is None
    assert len(as_rows(plain.groups)) == 0
    assert "groups (first rows)" in plan._repr_html_() and "groups" not in plain._repr_html_()


def test_a_full_group_takes_no_lead_and_the_decision_names_it():
    rules = apportion.Rulebook("fn eligible(c, m) { true }")
    managers = [
        {"id": "M-1", "capacity": 5, "group": "TEAM-A"},
        {"id": "M-2", "capacity": 5, "group": "TEAM-B"},
    ]
    # Equal costs (the teams' targets are equal): the first lead goes to M-1, which fills
    # TEAM-A; the second is then M-2's.
    groups = [
        {"id": "LINE", "parent": None, "capacity": None, "target": None},
        {"id": "TEAM-A", "parent": "LINE", "capacity": 1, "target": 5},
        {"id": "TEAM-B", "parent": "LINE", "capacity": 5, "target": 5},
    ]
    router = apportion.Router([], managers, rules, as_of=AS_OF, groups=groups)
    first = router.route({"id": "L-1"})
    assert first.manager == "M-1"
    second = router.route({"id": "L-2"})
    assert (second.manager, second.group_full) == ("M-2", [("M-1", "TEAM-A")])


def test_a_group_at_its_cap_for_a_segment_takes_no_lead_of_it():
    rules = apportion.Rulebook("fn eligible(c, m) { true }")
    managers = [
        {"id": "M-1", "capacity": 5, "group": "TEAM-A"},
        {"id": "M-2", "capacity": 5, "group": "TEAM-B"},
    ]
    groups = [{"id": "TEAM-A", "segment_caps": "HNW=1"}, {"id": "TEAM-B", "segment_caps": "HNW=0"}]
    customers = [{"id": "C-1", "segment": "MASS"}]
    router = apportion.Router(customers, managers, rules, as_of=AS_OF, groups=groups)
    assert router.route({"id": "L-1", "segment": "HNW"}).manager == "M-1"
    second = router.route({"id": "L-2", "segment": "HNW"})
    assert second.manager is None and second.reason == "capacity_exhausted"
    # Neither manager is full or away: a group's cap for the segment kept the lead out.
    assert second.full == [] and second.group_full == []
    assert second.group_segment_full == [("M-1", "TEAM-A", "HNW"), ("M-2", "TEAM-B", "HNW")]
    assert pickle.loads(pickle.dumps(second)) == second
    assert router.route({"id": "L-3", "segment": "MASS"}).manager is not None


def test_rebalance_and_compare_take_groups(rulebook, bank_arrow):
    customers, managers = bank_arrow
    groups = pacsv.read_csv(BANK / "groups.csv")
    result = apportion.rebalance(customers, managers, rulebook, max_moves=400, as_of=AS_OF, groups=groups)
    assert result.moves <= 400
    assert result.plan.provenance.groups_blake3 is not None
    compared = apportion.compare(customers, managers, rulebook, as_of=AS_OF, groups=groups)
    # Both sides are the plan assign makes of the book with its groups.
    planned = apportion.assign(customers, managers, rulebook, as_of=AS_OF, groups=groups)
    for side in ("before", "after"):
        assert compared[side].objective.total == planned.objective.total
        assert compared[side].provenance.groups_blake3 == planned.provenance.groups_blake3


@pytest.mark.parametrize(
    ("groups", "managers", "code"),
    [
        ([{"id": "T-1", "parent": "NOWHERE"}], [{"id": "M-1", "capacity": 1, "group": "T-1"}], "unknown_group"),
        ([{"id": "T-1"}], [{"id": "M-1", "capacity": 1, "group": "T-2"}], "unknown_group"),
        ([{"id": "A", "parent": "B"}, {"id": "B", "parent": "A"}], [{"id": "M-1", "capacity": 1}], "group_cycle"),
        ([{"id": "T-1", "capcity": 3}], [{"id": "M-1", "capacity": 1}], "unknown_column"),
        ([{"id": "T-1", "capacity": 1, "segment_minimums": "HNW=2"}], [{"id": "M-1", "capacity": 1}], "invalid_capacity"),
        ([{"id": "T-1"}, {"id": "T-1"}], [{"id": "M-1", "capacity": 1}], "duplicate_group_id"),
    ],
)
def test_bad_groups_are_input_errors_with_their_code(groups, managers, code):
    rules = apportion.Rulebook("fn eligible(c, m) { true }")
    with pytest.raises(apportion.InputError) as caught:
        apportion.assign([{"id": "C-1"}], managers, rules, as_of=AS_OF, groups=groups)
    assert caught.value.code == code


def test_a_teams_minimum_per_segment_is_met_and_an_unmeetable_one_is_a_solve_error():
    # Two teams of one manager each; every customer may go to either, and the first
    # manager suits everyone better: without a minimum, team B gets no HNW customer.
    rules = apportion.Rulebook("""
        fn eligible(c, m) { true }
        fn affinity(c, m) { if m.id == "M-A" { 10 } else { 0 } }
    """)
    customers = [{"id": f"C-{i}", "segment": "HNW" if i < 4 else "MASS"} for i in range(8)]
    managers = [
        {"id": "M-A", "capacity": 6, "group": "A"},
        {"id": "M-B", "capacity": 6, "group": "B"},
    ]
    groups = [{"id": "A"}, {"id": "B", "segment_minimums": "HNW=3"}]
    plan = apportion.assign(customers, managers, rules, as_of=AS_OF, groups=groups)
    rows = plan.assignments
    hnw_in_b = [a for a in rows if a["manager"] == "M-B" and int(a["customer"][2:]) < 4]
    assert len(hnw_in_b) == 3
    assert plan.network.optimality_gap == 0
    groups[1]["segment_minimums"] = "HNW=5"
    with pytest.raises(apportion.SolveError) as caught:
        apportion.assign(customers, managers, rules, as_of=AS_OF, groups=groups)
    assert caught.value.code == "group_minimum_unmet"
    assert "`B`" in str(caught.value) and "`HNW`" in str(caught.value)
