"""A day of a branch network with pandas: the morning plan, 500 leads routed live, a manager
leaving at noon, and an evening rebalance under a churn budget, printing the book's balance
after each step (the Python twin of `cargo run -p apportion-examples --bin day-of-a-branch`).

Run from the repository root: `.venv/bin/python examples/python/day_of_a_branch.py`.
"""

import pathlib
import statistics

import pandas as pd

import apportion

ROOT = pathlib.Path(__file__).resolve().parents[2]
LISTS = {"products": "list", "languages": "list", "certifications": "list"}
AS_OF = "2026-06-30"
CHURN_BUDGET = 100

customers = pd.read_csv(
    ROOT / "examples/data/customers.csv", parse_dates=["last_txn_date", "onboarded"]
)
managers = pd.read_csv(ROOT / "examples/data/managers.csv")
# The network has made room for the campaign season: every book may grow by a quarter.
managers["capacity"] = (managers["capacity"] * 1.25).round().astype(int)
rules = apportion.Rulebook.from_file(ROOT / "examples/rules/bank.rhai")


def balance(router: apportion.Router) -> str:
    used = [m.load / m.capacity for m in router.loads() if m.capacity and not m.away]
    return (
        f"{sum(m.load for m in router.loads())} customers; utilisation min {min(used):.1%}, "
        f"max {max(used):.1%}, std dev {100 * statistics.pstdev(used):.1f} points"
    )


# Morning: the batch plan is carried out and the router starts from it.
plan = apportion.assign(customers, managers, rules, as_of=AS_OF, types=LISTS)
planned = dict(zip(plan.assignments["customer"], plan.assignments["manager"]))
customers["manager"] = customers["id"].map(planned)
router = apportion.Router(customers, managers, rules, as_of=AS_OF, types=LISTS)
print("morning plan:", balance(router))

# During the day: 500 leads like the bank's customers arrive one at a time.
leads = customers.iloc[::6].head(500).drop(columns=["manager"]).copy()
leads["id"] = "L-" + leads["id"]

def as_lead(row: dict) -> dict:
    """A lead as the router takes it: lists as lists, missing values as None."""
    products = row["products"] if isinstance(row["products"], str) else ""
    return {**row, "products": [p for p in products.split(";") if p]}


decisions = [router.route(as_lead(row)) for row in leads.to_dict("records")]
placed = sum(d.manager is not None for d in decisions)
print(f"{placed} of {len(leads)} leads routed:", balance(router))
assert all(d.reason in ("capacity_exhausted", "no_eligible_manager") for d in decisions if d.manager is None)

# Noon: the manager with the largest book leaves; only their customers move.
loads = router.loads()
leaving = max(loads, key=lambda m: (m.load, [-ord(c) for c in m.manager])).manager
before = router.book()
moved = router.depart(leaving)
after = router.book()
assert all(after.get(c) == m for c, m in before.items() if m != leaving)
print(f"{leaving} left: {sum(d.manager is not None for d in moved)} of {len(moved)} re-placed:", balance(router))

# Evening: the whole book is rebalanced, moving at most CHURN_BUDGET customers.
now = router.book()
evening = pd.concat([customers.drop(columns=["manager"]), leads], ignore_index=True)
evening["manager"] = evening["id"].map(now)
result = apportion.rebalance(
    evening, managers[managers["id"] != leaving], rules, max_moves=CHURN_BUDGET, as_of=AS_OF, types=LISTS
)
stats = result.plan.stats
print(
    f"evening rebalance within {CHURN_BUDGET} moves: {result.moves} moves at move penalty "
    f"{result.move_penalty}, {stats.assigned} of {len(evening)} placed; utilisation min "
    f"{stats.min_utilisation:.1%}, max {stats.max_utilisation:.1%}, std dev "
    f"{100 * stats.utilisation_std_dev:.1f} points"
)
assert result.moves <= CHURN_BUDGET
assert stats.assigned > len(now)
