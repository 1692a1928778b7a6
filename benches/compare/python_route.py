"""Route latency from Python: the same book and leads as the Rust route bench (a generated
bank with 20 customers per manager; leads from a bank generated with the next seed), each
call timed with perf_counter_ns, leads released again so the book stays as it was.

Usage: python_route.py BOOK_DIR LEADS_DIR (written by generate-bank).
"""

import pathlib
import statistics
import sys
import time

import pyarrow.csv as pacsv

import apportion

ROOT = pathlib.Path(__file__).resolve().parents[2]
TYPES = {"products": "list", "languages": "list", "certifications": "list"}
CALLS = 20_000

book, leads_dir = (pathlib.Path(p) for p in sys.argv[1:3])
customers = pacsv.read_csv(book / "customers.csv")
managers = pacsv.read_csv(book / "managers.csv")
rules = apportion.Rulebook.from_file(ROOT / "examples/rules/bank.rhai")
router = apportion.Router(customers, managers, rules, as_of="2026-06-30", types=TYPES)

leads = []
for row in pacsv.read_csv(leads_dir / "customers.csv").to_pylist():
    row.pop("manager", None)
    row["id"] = "L-" + row["id"]
    row["products"] = [p for p in (row["products"] or "").split(";") if p]
    leads.append(row)


def timed(lead: dict) -> int:
    started = time.perf_counter_ns()
    decision = router.route(lead)
    elapsed = time.perf_counter_ns() - started
    if decision.manager is not None:
        router.release(lead["id"])
    return elapsed


for lead in leads:  # every class met once, as in a router that has run a while
    timed(lead)
times = sorted(timed(leads[i % len(leads)]) for i in range(CALLS))
p50, p99 = times[len(times) // 2], times[int(0.99 * (len(times) - 1))]
print(
    f"python route/{managers.num_rows} managers: p50 {p50 / 1000:.2f} µs, p99 {p99 / 1000:.2f} µs,"
    f" mean {statistics.fmean(times) / 1000:.2f} µs over {CALLS} calls"
)
