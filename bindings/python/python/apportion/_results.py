"""What profiling and assignment return: plain frozen dataclasses holding tables in the
caller's flavour, so they pickle and travel between processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Objective:
    """The objective the plan minimises (see the design's contract) and its parts."""

    total: int
    affinity: int
    moves: int
    balance: int
    unassigned: int


@dataclass(frozen=True)
class Stats:
    """How balanced the book is after the plan."""

    assigned: int
    unassigned: int
    moved: int
    """Customers who had a manager and get another: ``paid_moves + rehomed``."""
    paid_moves: int
    """Customers taken from a manager still here; each pays the move penalty."""
    rehomed: int
    """Customers whose manager left, placed anew at no penalty."""
    min_utilisation: float
    max_utilisation: float
    utilisation_std_dev: float


@dataclass(frozen=True)
class Network:
    """How large the assignment's network was: what aggregation made of the customers."""

    pair_classes: int
    """Distinct customers as the pair rules see them: the rules ran once per class."""
    supply_nodes: int
    """Groups of interchangeable customers, split by current manager (customers kept at
    their current manager's node count in none)."""
    nodes: int
    arcs: int
    """Every eligible pair's arc, whether the solve held it or not."""
    arcs_held: int
    """Arcs the solve started from: on a large network, a few manager arcs per group."""
    arcs_priced_in: int
    """Manager arcs left out at the start and brought in because the optimum needed them."""
    pricing_rounds: int
    """Rounds of solving and bringing in the arcs that would pay."""
    pivots: int
    """Simplex pivots the solve took: how hard the network was (the same on any thread count)."""


@dataclass(frozen=True)
class Timings:
    """Where an assignment's time went, in seconds: never part of a plan's equality, which
    depends on the inputs alone."""

    rules_seconds: float
    """Profiling the customers and running the pair rules."""
    solve_seconds: float
    """Building the network, solving it (pricing rounds included) and writing the plan."""


@dataclass(frozen=True)
class Plan:
    """An optimal assignment.

    ``assignments``: customer, manager, previous_manager, moved, affinity, move_penalty.
    ``unassigned``: customer, previous_manager, reason, full_managers, full_segments, message.
    ``loads``: manager, load, capacity, target, utilisation, segments.
    ``orphans``: customer, former_manager (current managers who are not in the book).
    """

    assignments: Any
    unassigned: Any
    loads: Any
    orphans: Any
    objective: Objective
    stats: Stats
    network: Network
    timings: Timings | None = field(default=None, compare=False)
    """How long :func:`assign` took; ``None`` for a plan made otherwise (a rebalance)."""


@dataclass(frozen=True)
class Profile:
    """Derived fields per customer (``id`` and one column per rule), and the customers skipped
    for a failing rule (with ``skip_errors=True``) as dicts of customer, code and message."""

    customers: Any
    skipped: list[dict[str, str]]
