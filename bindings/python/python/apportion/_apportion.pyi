"""The native module; use the package `apportion` instead."""

from os import PathLike
from typing import Any, Callable, final

import pyarrow as pa
from typing_extensions import disjoint_base

__all__ = [
    "ApportionError",
    "BookError",
    "InputError",
    "Router",
    "RuleError",
    "Rulebook",
    "SolveError",
    "_buffer_addresses",
    "_read_in_blocks",
    "_command",
    "assign",
    "rebalance",
    "route_tickets",
]

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

# (assignments, unassigned, loads, orphans, objective, stats, network, timings or None)
_PlanTuple = tuple[
    pa.Table,
    pa.Table,
    pa.Table,
    pa.Table,
    dict[str, int],
    dict[str, Any],
    dict[str, int],
    dict[str, float] | None,
]

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
) -> _PlanTuple: ...

_Decision = tuple[
    str,
    str | None,
    str | None,
    str,
    int | None,
    int | None,
    int,
    list[str],
    list[tuple[str, str]],
    list[str],
    str | None,
]

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
    ) -> Router: ...
    def route(self, lead: dict[str, Any]) -> _Decision: ...
    def route_many(self, leads: Any) -> list[_Decision]: ...
    def join(self, manager: dict[str, Any]) -> None: ...
    def summary(self) -> tuple[int, int, str]: ...
    def follow_forecast(self, forecast: Any) -> int: ...
    def release(self, customer: str) -> str: ...
    def start_leave(self, manager: str) -> list[_Decision]: ...
    def end_leave(self, manager: str) -> int: ...
    def depart(self, manager: str) -> list[_Decision]: ...
    def loads(self) -> list[tuple[str, int, int, int, bool]]: ...
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
) -> tuple[
    _PlanTuple,
    int,
    int,
    list[tuple[int, int]],
]: ...

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
