"""The optimum checked by another solver: the min-cost flow network a plan is the optimum of
(``apportion assign --network-out``) is solved again with OR-Tools' ``SimpleMinCostFlow``,
which must find exactly the plan's objective. For small random books with three nested levels
of groups whose caps bind, segment caps and targets, current managers and a model's scores;
and for the example bank with its teams, desks and business lines."""

from __future__ import annotations

import csv
import json
import pathlib
import random
import subprocess
import sys
from typing import Any

import pytest

from conftest import AS_OF, BANK, ROOT, RULES

# The comparison scripts' reader and models: the test checks with what the benches run.
sys.path.insert(0, str(ROOT / "benches" / "compare"))
from ortools_compare import min_cost_flow_optimum, read  # noqa: E402
from ortools_limits import cp_sat_optimum, limits_beside  # noqa: E402

RULEBOOK = """
fn segment(c) { c.tier }
fn eligible(c, m) { c.region == m.region && (c.tier != "A" || m.senior) }
fn affinity(c, m) {
    let score = 0;
    score += (c.taste * m.bit) % 7 - 3;
    if c.manager == m.id { score += 4; }
    if pair_score(c, m) != () { score += pair_score(c, m); }
    score
}
"""


def ortools_optimum(path: pathlib.Path) -> tuple[int, int]:
    """(the optimum OR-Tools' SimpleMinCostFlow finds for the network, the optimum the file
    claims)."""
    claimed, *network = read(path)
    found = min_cost_flow_optimum(*network)
    assert found is not None
    return found, claimed


def write_csv(path: pathlib.Path, rows: list[dict[str, Any]]) -> pathlib.Path:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def small_book(seed: int) -> dict[str, list[dict[str, Any]]]:
    """A random small book: two lines, a desk or two each, a team or two per desk, every
    manager in a team; desks and teams capped below their managers' capacity, so caps bind."""
    rng = random.Random(seed)
    regions = ["north", "south"]
    groups: list[dict[str, Any]] = []
    teams: list[str] = []
    for line in range(2):
        groups.append({"id": f"L{line}", "parent": "", "capacity": "", "target": ""})
        for desk in range(rng.randint(1, 2)):
            desk_id = f"L{line}-D{desk}"
            groups.append({"id": desk_id, "parent": f"L{line}", "capacity": "", "target": ""})
            for team in range(rng.randint(1, 2)):
                teams.append(f"{desk_id}-T{team}")
                groups.append({"id": teams[-1], "parent": desk_id, "capacity": "", "target": ""})
    managers = []
    for j in range(rng.randint(2, 6)):
        managers.append(
            {
                "id": f"M-{j}",
                "capacity": rng.randint(1, 5),
                "region": rng.choice(regions),
                "senior": rng.random() < 0.5,
                "bit": 1 + j,
                "segment_caps": rng.choice(["", "", "A=1"]),
                "segment_targets": rng.choice(["", "", "A=2;B=3"]),
                "group": rng.choice(teams),
            }
        )
    members: dict[str, int] = {}
    for manager in managers:
        group = manager["group"]
        while group:
            members[group] = members.get(group, 0) + manager["capacity"]
            group = next(g["parent"] for g in groups if g["id"] == group)
    for group in groups:
        room = members.get(group["id"], 0)
        if room and group["parent"] and rng.random() < 0.6:
            group["capacity"] = rng.randint(0, max(room - 1, 0))
        if rng.random() < 0.3:
            group["target"] = rng.randint(1, 6)
    customers = []
    for i in range(rng.randint(1, 14)):
        current = rng.choice([""] + [m["id"] for m in managers] + ["M-gone"])
        customers.append(
            {
                "id": f"C-{i}",
                "manager": current,
                "region": rng.choice(regions),
                "tier": rng.choice(["A", "B", "B"]),
                "taste": rng.randint(0, 9),
            }
        )
    pairs = {(c["id"], m["id"]) for c in customers for m in managers if rng.random() < 0.3}
    scores = [{"customer": c, "manager": m, "score": rng.randint(-3, 9)} for c, m in sorted(pairs)]
    return {"customers": customers, "managers": managers, "groups": groups, "scores": scores}


@pytest.mark.parametrize("seed", range(40))
def test_small_books_with_binding_groups_solve_to_the_ortools_optimum(cli, tmp_path, seed):
    book = small_book(seed)
    rules = tmp_path / "rules.rhai"
    rules.write_text(RULEBOOK)
    paths = {name: write_csv(tmp_path / f"{name}.csv", rows) for name, rows in book.items() if rows}
    plan, network = tmp_path / "plan.json", tmp_path / "network.apnet"
    command = [cli, "assign", "--customers", paths["customers"], "--managers", paths["managers"]]
    command += ["--groups", paths["groups"], "--rules", rules, "--as-of", AS_OF]
    command += ["--balance", str(seed % 3), "--out", plan, "--network-out", network]
    if "scores" in paths:
        command += ["--scores", paths["scores"]]
    subprocess.run(command, check=True, capture_output=True)
    document = json.loads(plan.read_text())
    found, claimed = ortools_optimum(network)
    # Customers with no eligible manager are decided before the solve: the plan pays their
    # unassigned penalty outside the network.
    objective = document["objective"]
    left_out = [row for row in document["assignments"] if row["manager"] is None]
    decided = sum(row["unassigned_reason"] == "no_eligible_manager" for row in left_out)
    penalty = objective["unassigned"] // len(left_out) if left_out else 0
    assert found == claimed == objective["total"] - penalty * decided
    # No group holds more than its capacity, and everyone is accounted for.
    for group in document["groups"]:
        assert group["capacity"] is None or group["load"] <= group["capacity"]
    assert len(document["assignments"]) == len(book["customers"])


def cp_sat_limits_optimum(path: pathlib.Path) -> tuple[int, int]:
    """(the optimum CP-SAT proves for the network within the side constraints in the
    `.limits` file beside it, the optimum the file claims)."""
    claimed, *network = read(path)
    found = cp_sat_optimum(network, limits_beside(path))
    assert found is not None
    return found, claimed


def test_the_example_bank_with_its_groups_solves_to_the_ortools_optimum(cli, tmp_path):
    plan, network = tmp_path / "plan.json", tmp_path / "network.apnet"
    command = [cli, "assign", "--customers", BANK / "customers.csv", "--managers", BANK / "managers.csv"]
    command += ["--groups", BANK / "groups.csv", "--rules", RULES, "--as-of", AS_OF]
    command += ["--out", plan, "--network-out", network]
    subprocess.run(command, check=True, capture_output=True)
    document = json.loads(plan.read_text())
    # Its private-banking teams' minimums of HNW customers bind: the network is no min-cost
    # flow with them, and CP-SAT, an exact integer solver, finds the same optimum within them.
    assert document["statistics"]["network"]["limit_solves"] > 0
    found, claimed = cp_sat_limits_optimum(network)
    assert found == claimed == document["objective"]["total"]
    # Three levels, and the desks' caps bind.
    full = [g for g in document["groups"] if g["capacity"] is not None and g["load"] == g["capacity"]]
    assert full and all(g["parent"] is not None for g in full)
