"""apportion: tier and tag customers with sandboxed Rhai rules, and assign them to
relationship managers with a provably optimal plan.

Tables go in as anything that speaks the Arrow PyCapsule interface (pyarrow, polars, pandas)
or as a list of dicts, and come back in the same flavour.
"""

from importlib.metadata import version as _version

from ._apportion import (
    ApportionError,
    BookError,
    Decision,
    InputError,
    ManagerLoad,
    Provenance,
    RuleError,
    SolveError,
)
from ._live import Rebalance, Router, rebalance
from ._run import Rulebook, assign, compare
from ._results import Network, Objective, Plan, Profile, Stats, Timings
from ._tickets import TicketPlan, route_tickets
from ._types import ArrowStreamExportable, TableLike

__version__: str = _version("apportion")

__all__ = [
    "ApportionError",
    "ArrowStreamExportable",
    "BookError",
    "Decision",
    "InputError",
    "ManagerLoad",
    "Network",
    "Objective",
    "Plan",
    "Profile",
    "Provenance",
    "Rebalance",
    "Router",
    "RuleError",
    "Rulebook",
    "SolveError",
    "Stats",
    "TableLike",
    "TicketPlan",
    "Timings",
    "__version__",
    "assign",
    "compare",
    "rebalance",
    "route_tickets",
]
