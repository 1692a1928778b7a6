"""Tier the example bank with pandas and assign it, then report like a branch head would.

Run from the repository root: `.venv/bin/python examples/python/assign_bank.py`.
"""

import pathlib

import pandas as pd

import apportion

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Plain read_csv: text columns are typed as the CLI types the same file (dates, `a;b` lists).
customers = pd.read_csv(ROOT / "examples/data/customers.csv")
managers = pd.read_csv(ROOT / "examples/data/managers.csv")
rules = apportion.Rulebook.from_file(ROOT / "examples/rules/bank.rhai")

profile = rules.profile(customers, as_of="2026-06-30")
print("customers per tier:", profile.customers["tier"].value_counts().to_dict())

plan = apportion.assign(customers, managers, rules, as_of="2026-06-30")
loads = plan.loads.sort_values("utilisation")
print(f"objective {plan.objective.total}: {plan.stats.assigned} placed, {plan.stats.moved} moved")
print("least loaded:", loads.head(3)[["manager", "load", "capacity"]].to_dict("records"))
print("most loaded:", loads.tail(3)[["manager", "load", "capacity"]].to_dict("records"))

# What a branch head checks: everyone placed, nobody over capacity, every move explained.
assert plan.stats.assigned == len(customers)
assert (plan.loads["load"] <= plan.loads["capacity"]).all()
moved = plan.assignments[plan.assignments["moved"]]
assert moved["previous_manager"].notna().all()
