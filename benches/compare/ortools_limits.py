"""Solve an apportion network with its side constraints exactly with OR-Tools' CP-SAT.

Usage: ortools_limits.py NETWORK_FILE

The network (README.md's format) comes with NETWORK_FILE's `.limits` beside it: a line per
group's minimum and cap for a segment, "minimum maximum arc arc ...", the flow over those
arcs bounded by the two. CP-SAT, an exact integer solver, finds the optimum of the network
within them; the script checks it equals the plan's objective apportion claimed (the
network file's cost), and prints both times.
"""

import pathlib
import sys
import time

from ortools.sat.python import cp_model

from ortools_compare import read


def limits_beside(path):
    """The side constraints in the `.limits` file beside the network at `path`: per line
    (minimum, maximum, arcs)."""
    limits = []
    for line in pathlib.Path(path).with_suffix(".limits").read_text().splitlines():
        numbers = [int(n) for n in line.split()]
        limits.append((numbers[0], numbers[1], numbers[2:]))
    return limits


def cp_sat_optimum(network, limits):
    """The optimum CP-SAT proves for `network` (supplies, tails, heads, capacities, costs)
    within `limits`, or None when it proves none."""
    supplies, tails, heads, capacities, costs = network
    model = cp_model.CpModel()
    flow = [model.new_int_var(0, int(c), f"f{a}") for a, c in enumerate(capacities)]
    balance = [[] for _ in supplies]
    for a, (tail, head) in enumerate(zip(tails, heads)):
        balance[int(tail)].append(flow[a])
        balance[int(head)].append(-flow[a])
    for node, supply in enumerate(supplies):
        model.add(sum(balance[node]) == int(supply))
    for minimum, maximum, arcs in limits:
        total = sum(flow[a] for a in arcs)
        model.add(total >= minimum)
        if maximum < 2**62:
            model.add(total <= maximum)
    model.minimize(sum(int(c) * f for c, f in zip(costs, flow)))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    if solver.solve(model) != cp_model.OPTIMAL:
        return None
    return round(solver.objective_value)


def main():
    path = sys.argv[1]
    claimed, *network = read(path)
    limits = limits_beside(path)
    started = time.perf_counter()
    optimum = cp_sat_optimum(network, limits)
    seconds = time.perf_counter() - started
    if optimum is None:
        raise SystemExit(f"{path}: CP-SAT found no proven optimum")
    print(
        f"{pathlib.Path(path).name}: {len(limits)} side constraints, {len(network[4])} arcs; "
        f"CP-SAT optimum {optimum} in {seconds:.2f} s; apportion {claimed}"
    )
    if optimum != claimed:
        raise SystemExit(f"objectives differ: CP-SAT {optimum}, apportion {claimed}")


if __name__ == "__main__":
    main()
