"""The native module; use the package `apportion` instead."""

from os import PathLike
from typing import Any, Callable, Generic, TypeVar, final

import pyarrow as pa
from typing_extensions import disjoint_base

__all__ = [
    "DEFAULT_BALANCE",
    "DEFAULT_MOVE_PENALTY",
    "ApportionError",
    "BookError",
    "Decision",
    "InputError",
    "ManagerLoad",
    "Network",
    "Objective",
    "Plan",
    "Profile",
    "Provenance",
    "Router",
    "RuleError",
    "Rulebook",
    "SolveError",
    "Stats",
    "Timings",
    "_buffer_addresses",
    "_read_in_blocks",
    "_command",
    "assign",
    "compare",
    "rebalance",
    "route_tickets",
]

DEFAULT_MOVE_PENALTY: int
DEFAULT_BALANCE: int

class ApportionError(Exception):
    code: str

class InputError(ApportionError): ...
class RuleError(ApportionError): ...
class SolveError(ApportionError): ...
class BookError(ApportionError): ...

@disjoint_base
class Rulebook:
    def __new__(
        cls, source: str, *, private: list[str] = ..., reveal_values: bool = False
    ) -> Rulebook: ...
    @classmethod
    def from_file(
        cls, path: str | PathLike[str], *, private: list[str] = ..., reveal_values: bool = False
    ) -> Any: ...
    @property
    def source(self) -> str: ...
    @property
    def fields(self) -> list[str]: ...
    @property
    def private(self) -> list[str]: ...
    def check(
        self, customers: Any, managers: Any = None, *, types: dict[str, str] | None = None
    ) -> None: ...
    def _profile(
        self,
        customers: Any,
        *,
        as_of: str,
        types: dict[str, str] | None,
        skip_errors: bool,
        threads: int | None,
        progress: Callable[[int, int], object] | None,
    ) -> tuple[pa.Table, list[dict[str, str]]]: ...
    def __reduce__(self) -> tuple[Callable[..., Any], tuple[type[Rulebook], str, dict[str, Any]]]: ...

@final
class Objective:
    total: int
    affinity: int
    moves: int
    balance: int
    unassigned: int
    model_scores: int | None
    def __new__(
        cls,
        total: int,
        affinity: int,
        moves: int,
        balance: int,
        unassigned: int,
        model_scores: int | None = None,
    ) -> Objective: ...
    def __reduce__(
        self,
    ) -> tuple[type[Objective], tuple[int, int, int, int, int, int | None]]: ...

@final
class Stats:
    assigned: int
    unassigned: int
    moved: int
    paid_moves: int
    rehomed: int
    min_utilisation: float
    max_utilisation: float
    utilisation_std_dev: float
    def __new__(
        cls,
        assigned: int,
        unassigned: int,
        moved: int,
        paid_moves: int,
        rehomed: int,
        min_utilisation: float,
        max_utilisation: float,
        utilisation_std_dev: float,
    ) -> Stats: ...
    def __reduce__(self) -> tuple[type[Stats], tuple[Any, ...]]: ...

@final
class Network:
    pair_classes: int
    supply_nodes: int
    nodes: int
    arcs: int
    arcs_held: int
    arcs_priced_in: int
    pricing_rounds: int
    pivots: int
    parts: int
    joined_by_links: bool
    limit_solves: int
    optimality_gap: int
    def __new__(
        cls,
        pair_classes: int,
        supply_nodes: int,
        nodes: int,
        arcs: int,
        arcs_held: int,
        arcs_priced_in: int,
        pricing_rounds: int,
        pivots: int,
        parts: int,
        joined_by_links: bool,
        limit_solves: int,
        optimality_gap: int,
    ) -> Network: ...
    def __reduce__(self) -> tuple[type[Network], tuple[int | bool, ...]]: ...

@final
class Timings:
    rules_seconds: float
    solve_seconds: float
    def __new__(cls, rules_seconds: float, solve_seconds: float) -> Timings: ...
    def __reduce__(self) -> tuple[type[Timings], tuple[float, float]]: ...

@final
class Decision:
    customer: str
    manager: str | None
    runner_up: str | None
    basis: str
    cost: int | None
    affinity: int | None
    ineligible: int
    full: list[str]
    segment_full: list[tuple[str, str]]
    away: list[str]
    group_full: list[tuple[str, str]]
    reason: str | None
    group_segment_full: list[tuple[str, str, str]] | None
    def __new__(
        cls,
        customer: str,
        manager: str | None,
        runner_up: str | None,
        basis: str,
        cost: int | None,
        affinity: int | None,
        ineligible: int,
        full: list[str],
        segment_full: list[tuple[str, str]],
        away: list[str],
        group_full: list[tuple[str, str]],
        reason: str | None,
        group_segment_full: list[tuple[str, str, str]] | None = None,
    ) -> Decision: ...
    def __reduce__(self) -> tuple[type[Decision], tuple[Any, ...]]: ...

@final
class ManagerLoad:
    manager: str
    load: int
    capacity: int
    target: int
    away: bool
    def __new__(
        cls, manager: str, load: int, capacity: int, target: int, away: bool
    ) -> ManagerLoad: ...
    def __reduce__(self) -> tuple[type[ManagerLoad], tuple[str, int, int, int, bool]]: ...

@final
class Provenance:
    engine_version: str
    rulebook_sha256: str
    as_of: str
    move_penalty: int
    balance: int
    unassigned_penalty: int | None
    customers_blake3: str
    managers_blake3: str
    private_fields: list[str]
    threads: int
    groups_blake3: str | None
    scores_blake3: str | None
    def __new__(
        cls,
        engine_version: str,
        rulebook_sha256: str,
        as_of: str,
        move_penalty: int,
        balance: int,
        unassigned_penalty: int | None,
        customers_blake3: str,
        managers_blake3: str,
        private_fields: list[str],
        threads: int,
        groups_blake3: str | None = None,
        scores_blake3: str | None = None,
    ) -> Provenance: ...
    def __reduce__(self) -> tuple[type[Provenance], tuple[Any, ...]]: ...

_TableT = TypeVar("_TableT")

@final
class Plan(Generic[_TableT]):
    @property
    def assignments(self) -> _TableT: ...
    @property
    def unassigned(self) -> _TableT: ...
    @property
    def loads(self) -> _TableT: ...
    @property
    def orphans(self) -> _TableT: ...
    @property
    def groups(self) -> _TableT: ...
    @property
    def objective(self) -> Objective: ...
    @property
    def stats(self) -> Stats: ...
    @property
    def network(self) -> Network: ...
    @property
    def provenance(self) -> Provenance: ...
    @property
    def timings(self) -> Timings | None: ...
    def __new__(
        cls,
        assignments: _TableT,
        unassigned: _TableT,
        loads: _TableT,
        orphans: _TableT,
        groups: _TableT,
        objective: Objective,
        stats: Stats,
        network: Network,
        provenance: Provenance,
        timings: Timings | None = None,
        explainer: Any = None,
    ) -> Plan[_TableT]: ...
    def __reduce__(self) -> tuple[type[Plan[_TableT]], tuple[Any, ...]]: ...
    def _repr_html_(self) -> str: ...
    def explain(self, customer: str) -> dict[str, Any]: ...
    def diff(self, other: Plan[Any]) -> dict[str, Any]: ...
    @classmethod
    def __class_getitem__(cls, key: Any) -> Any: ...

@final
class Profile(Generic[_TableT]):
    @property
    def customers(self) -> _TableT: ...
    @property
    def skipped(self) -> list[dict[str, str]]: ...
    def __new__(cls, customers: _TableT, skipped: list[dict[str, str]]) -> Profile[_TableT]: ...
    def __reduce__(self) -> tuple[type[Profile[_TableT]], tuple[Any, Any]]: ...
    def _repr_html_(self) -> str: ...
    @classmethod
    def __class_getitem__(cls, key: Any) -> Any: ...

# The plan's parts by name: "assignments", "unassigned", "loads", "orphans" (pyarrow tables),
# "objective", "stats", "network" and "timings" (or None).
_PlanParts = dict[str, Any]

def assign(
    customers: Any,
    managers: Any,
    rulebook: Rulebook,
    *,
    as_of: str,
    types: dict[str, str] | None,
    move_penalty: int,
    balance: int,
    unassigned_penalty: int | None,
    skip_errors: bool,
    threads: int | None,
    progress: Callable[[int, int], object] | None,
    groups: Any | None,
    scores: Any | None,
) -> _PlanParts: ...

# "before" and "after": each a plan's parts; "diff", "tiers", "segments", "eligibility":
# plain values.
def compare(
    customers: Any,
    managers: Any,
    rulebook: Rulebook,
    after_rulebook: Rulebook,
    as_of: str,
    types: dict[str, str] | None,
    before: tuple[int, int, int | None],
    after: tuple[int, int, int | None],
    threads: int | None,
    groups: Any | None,
    scores: Any | None,
) -> dict[str, Any]: ...

@final
class Router:
    def __new__(
        cls,
        customers: Any,
        managers: Any,
        rulebook: Rulebook,
        *,
        as_of: str,
        balance: int,
        types: dict[str, str] | None,
        groups: Any | None,
        scores: Any | None,
    ) -> Router: ...
    def route(self, lead: dict[str, Any], scores: dict[str, Any] | None = None) -> Decision: ...
    def route_many(self, leads: Any) -> list[Decision]: ...
    def join(self, manager: dict[str, Any]) -> None: ...
    def summary(self) -> tuple[int, int, str]: ...
    def follow_forecast(self, forecast: Any) -> int: ...
    def release(self, customer: str) -> str: ...
    def start_leave(self, manager: str) -> list[Decision]: ...
    def end_leave(self, manager: str) -> int: ...
    def depart(self, manager: str) -> list[Decision]: ...
    def loads(self) -> list[ManagerLoad]: ...
    def book(self) -> dict[str, str]: ...

def rebalance(
    customers: Any,
    managers: Any,
    rulebook: Rulebook,
    *,
    max_moves: int,
    as_of: str,
    types: dict[str, str] | None,
    balance: int,
    unassigned_penalty: int | None,
    threads: int | None,
    groups: Any | None,
    scores: Any | None,
) -> dict[str, Any]: ...

def _buffer_addresses(table: Any) -> list[list[int]]: ...
def _read_in_blocks(table: Any, block: int) -> list[tuple[str, bool]]: ...
def _command(args: list[str]) -> int: ...
def route_tickets(
    tickets: Any,
    queues: list[tuple[str, int]],
    customers: Any,
    rulebook: Rulebook,
    *,
    as_of: str,
    types: dict[str, str] | None,
) -> tuple[
    list[tuple[str, str | None, str | None, str | None]],
    list[tuple[str, int, int]],
]: ...
