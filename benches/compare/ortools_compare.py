"""Solve apportion's exported assignment networks with OR-Tools and compare.

Usage: ortools_compare.py NETWORK_FILE APPORTION_SECONDS [LABEL [RUNS]]

Reads a network in the format of README.md, solves it with OR-Tools' SimpleMinCostFlow
(arcs added from numpy arrays in one call, as an OR-Tools user would) RUNS times (default 1),
checks the optimal cost equals apportion's, and prints the median time, apportion's and
their ratio.
"""

import sys
import time

import numpy as np
from ortools.graph.python import min_cost_flow

MAGIC = b"APNET001"


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise SystemExit(f"{path}: not an apportion network file")
    nodes, arcs, cost = np.frombuffer(data, dtype="<i8", count=3, offset=8)
    offset = 32
    supplies = np.frombuffer(data, dtype="<i8", count=nodes, offset=offset)
    offset += 8 * int(nodes)
    tails = np.frombuffer(data, dtype="<u4", count=arcs, offset=offset)
    offset += 4 * int(arcs)
    heads = np.frombuffer(data, dtype="<u4", count=arcs, offset=offset)
    offset += 4 * int(arcs)
    capacities = np.frombuffer(data, dtype="<i8", count=arcs, offset=offset)
    offset += 8 * int(arcs)
    costs = np.frombuffer(data, dtype="<i8", count=arcs, offset=offset)
    return int(cost), supplies, tails, heads, capacities, costs


def min_cost_flow_optimum(supplies, tails, heads, capacities, costs):
    """The optimal cost SimpleMinCostFlow finds, or None when it finds no optimum."""
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities, costs
    )
    flow.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    return flow.optimal_cost() if flow.solve() == flow.OPTIMAL else None


def main():
    path, apportion_seconds = sys.argv[1], float(sys.argv[2])
    label = sys.argv[3] if len(sys.argv) > 3 else path
    runs = max(1, int(sys.argv[4])) if len(sys.argv) > 4 else 1
    expected, *network = read(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        cost = min_cost_flow_optimum(*network)
        times.append(time.perf_counter() - started)
        if cost is None:
            raise SystemExit(f"{label}: OR-Tools did not find an optimum")
    seconds = sorted(times)[runs // 2]
    supplies, tails = network[0], network[1]
    same = "equal" if cost == expected else f"DIFFERENT (apportion {expected})"
    print(
        f"{label}: {len(supplies)} nodes, {len(tails)} arcs; objective {cost} {same}; "
        f"median of {runs}: "
        f"OR-Tools {seconds:.3f} s, apportion {apportion_seconds:.3f} s, "
        f"ratio {seconds / max(apportion_seconds, 1e-9):.1f}x"
    )
    if cost != expected:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
