"""The native module; use the package `apportion` instead."""

from os import PathLike
from typing import Any, Callable

import pyarrow as pa
from typing_extensions import disjoint_base

__all__ = ["ApportionError", "InputError", "RuleError", "Rulebook", "SolveError", "assign"]

class ApportionError(Exception):
    code: str

class InputError(ApportionError): ...
class RuleError(ApportionError): ...
class SolveError(ApportionError): ...

@disjoint_base
class Rulebook:
    def __new__(cls, source: str) -> Rulebook: ...
    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> Any: ...
    @property
    def source(self) -> str: ...
    @property
    def fields(self) -> list[str]: ...
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
    def __reduce__(self) -> tuple[type[Rulebook], tuple[str]]: ...

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
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table, dict[str, int], dict[str, Any]]: ...
