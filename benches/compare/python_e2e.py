"""End to end from Python: apportion on pandas DataFrames against OR-Tools fed by numpy.

Usage: python_e2e.py BANK_DIR RUST_BENCH_COMMAND...

Both paths start from the same pandas DataFrames of the generated bank and end with an
optimal plan. apportion runs its rulebook and solver (`apportion.assign`, pandas in, pandas
out). The OR-Tools path is what a user of OR-Tools would write: the pair rules of
examples/rules/bank.rhai (region, private_banking for HNW, sme_credit for SME, the affinity
points) vectorised with pandas and numpy, one arc per eligible (customer, manager) pair, unit
arcs for the balance term and an overflow arc per customer, solved with SimpleMinCostFlow. It
is handed apportion's derived fields (tier, segment, priority, main need) for free: only the
assignment is compared. Prints both times, checks the objectives are equal, and compares the
Python path with the Rust bench of the same bank: RUST_BENCH_COMMAND runs that criterion bench,
and runs between the Python rounds, so that each round's ratio is of two times taken minutes
apart at most.
"""

import re
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow

import apportion

AS_OF = "2026-06-30"
LISTS = {"products": "list", "languages": "list", "certifications": "list"}
MOVE_PENALTY, BALANCE, UNASSIGNED = 500, 1, 1_000_000_000
WARM_UP_SECONDS, SAMPLES, ROUNDS = 3.0, 10, 5


def ortools_plan(customers, managers, derived):
    """The bank's assignment as a min-cost flow built with pandas and numpy, solved by OR-Tools."""
    c = customers[["id", "manager", "region", "language"]].join(
        derived.set_index("id")[["tier", "segment", "priority", "main_need"]], on="id"
    )
    m = managers.assign(
        target=managers["target"].fillna(managers["capacity"]).astype(np.int64),
        certifications=managers["certifications"].fillna(""),
        languages=managers["languages"].fillna(""),
        segment_caps=managers["segment_caps"].fillna(""),
    )
    n, k = len(c), len(m)
    m_index = np.arange(k)
    pairs = c.assign(ci=np.arange(n)).merge(m.assign(mi=m_index), on="region", suffixes=("", "_m"))
    certs = pairs["certifications"]
    pb = certs.str.contains("private_banking", regex=False).to_numpy()
    sme = certs.str.contains("sme_credit", regex=False).to_numpy()
    tier, segment = pairs["tier"].to_numpy(), pairs["segment"].to_numpy()
    eligible = np.where(tier == "HNW", pb, np.where(segment == "SME", sme, True))
    pairs = pairs[eligible]
    speaks = np.fromiter(
        (lang in langs.split(";") for lang, langs in zip(pairs["language"], pairs["languages"])),
        dtype=bool,
        count=len(pairs),
    )
    certs = pairs["certifications"]
    need = pairs["main_need"].to_numpy()
    affinity = (
        30 * speaks
        + 20 * ((need == "mortgage") & certs.str.contains("mortgage", regex=False).to_numpy())
        + 20 * ((need == "investment") & certs.str.contains("investment", regex=False).to_numpy())
        + 15 * ((pairs["priority"].to_numpy() == "high") & (pairs["seniority_years"].to_numpy() >= 10))
    )
    present = set(m["id"])
    current = pairs["manager"].to_numpy()
    breaks = np.fromiter((cur in present for cur in current), dtype=bool, count=len(pairs))
    moved = breaks & (current != pairs["id_m"].to_numpy())
    cost = MOVE_PENALTY * moved - affinity

    # Nodes: customers, managers, one per capped (manager, segment), the sink.
    caps = {}
    for mi, text in enumerate(m["segment_caps"]):
        for part in filter(None, text.split(";")):
            segment_name, cap = part.split("=")
            caps[(mi, segment_name.strip())] = int(cap)
    cap_node = {key: n + k + i for i, key in enumerate(caps)}
    sink = n + k + len(caps)
    via = np.array([cap_node.get(key, -1) for key in zip(pairs["mi"], pairs["segment"])])
    arcs_tail = [pairs["ci"].to_numpy()]
    arcs_head = [np.where(via >= 0, via, n + pairs["mi"].to_numpy())]
    arcs_cap = [np.ones(len(pairs), dtype=np.int64)]
    arcs_cost = [cost.astype(np.int64)]
    # A capped segment's node feeds its manager up to the cap.
    arcs_tail.append(np.array(list(cap_node.values()), dtype=np.int64))
    arcs_head.append(np.array([n + mi for mi, _ in caps], dtype=np.int64))
    arcs_cap.append(np.array(list(caps.values()), dtype=np.int64))
    arcs_cost.append(np.zeros(len(caps), dtype=np.int64))
    # Balance: the k-th customer of a manager costs λ·⌈1000k/target⌉.
    capacity = m["capacity"].to_numpy()
    target = np.maximum(m["target"].to_numpy(), 1)
    owner = np.repeat(m_index, capacity)
    kth = np.concatenate([np.arange(1, c_ + 1) for c_ in capacity])
    arcs_tail.append(n + owner)
    arcs_head.append(np.full(len(owner), sink))
    arcs_cap.append(np.ones(len(owner), dtype=np.int64))
    arcs_cost.append(BALANCE * ((1000 * kth + target[owner] - 1) // target[owner]))
    # Overflow: leaving a customer out costs U.
    arcs_tail.append(np.arange(n))
    arcs_head.append(np.full(n, sink))
    arcs_cap.append(np.ones(n, dtype=np.int64))
    arcs_cost.append(np.full(n, UNASSIGNED, dtype=np.int64))

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(arcs_tail).astype(np.int32),
        np.concatenate(arcs_head).astype(np.int32),
        np.concatenate(arcs_cap),
        np.concatenate(arcs_cost),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    if flow.solve() != flow.OPTIMAL:
        raise SystemExit("OR-Tools found no optimum")
    return flow.optimal_cost(), len(pairs)


def rust_bench_seconds(command):
    """Criterion's estimate (`time: [low estimate high]`) printed by the Rust bench command."""
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = re.search(r"time:\s+\[\S+ \S+ (\S+) (ms|s) ", out)
    if not found:
        raise SystemExit(f"no criterion estimate in the output of {' '.join(command)}:\n{out}")
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "ms" else value


def main():
    bank, rust_command = sys.argv[1], sys.argv[2:]
    customers = pd.read_csv(f"{bank}/customers.csv", parse_dates=["last_txn_date", "onboarded"])
    managers = pd.read_csv(f"{bank}/managers.csv")
    rules = apportion.Rulebook.from_file("examples/rules/bank.rhai")
    options = dict(as_of=AS_OF, types=LISTS, move_penalty=MOVE_PENALTY, balance=BALANCE)

    def run():
        started = time.perf_counter()
        plan = apportion.assign(customers, managers, rules, unassigned_penalty=UNASSIGNED, **options)
        return plan, time.perf_counter() - started

    def python_seconds():
        """Timed as criterion times the Rust bench (benches/benches/assign.rs): warm up for
        three seconds, then the median of ten runs."""
        warm_until = time.perf_counter() + WARM_UP_SECONDS
        while time.perf_counter() < warm_until:
            run()
        return statistics.median(run()[1] for _ in range(SAMPLES))

    # The first call, before any warm-up, is shown too.
    plan, first = run()
    rounds = []
    for number in range(1, ROUNDS + 1):
        ours, rust = python_seconds(), rust_bench_seconds(rust_command)
        rounds.append((ours, rust))
        print(
            f"round {number}: Python path {ours:.3f} s, Rust bench {rust:.3f} s: "
            f"{ours / rust:.2f}x its time",
            flush=True,
        )
    ours = statistics.median(python for python, _ in rounds)
    ratio = statistics.median(python / rust for python, rust in rounds)

    derived = rules.profile(customers, as_of=AS_OF, types=LISTS).customers
    started = time.perf_counter()
    cost, pairs = ortools_plan(customers, managers, derived)
    theirs = time.perf_counter() - started

    same = "equal" if cost == plan.objective.total else f"DIFFERENT (OR-Tools {cost})"
    print(
        f"{len(customers)} customers x {len(managers)} managers ({pairs} eligible pairs); "
        f"objective {plan.objective.total} {same}"
    )
    print(
        f"apportion from pandas to pandas {ours:.3f} s (median of {ROUNDS} rounds, each the "
        f"median of {SAMPLES} after warming up; first call {first:.3f} s); OR-Tools path "
        f"{theirs:.3f} s; apportion is {theirs / ours:.1f}x faster"
    )
    print(
        f"against the Rust bench of the same bank, round by round: the Python path takes "
        f"{ratio:.2f}x its time (median of {ROUNDS} rounds)"
    )
    if cost != plan.objective.total:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
