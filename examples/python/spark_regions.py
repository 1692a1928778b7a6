"""Tier and assign the example bank on a local Spark cluster, one region per task, and check
that splitting by region loses nothing against a single-process run.

The bank's rulebook only lets a customer be served by a manager of their own region, so the
bank is six independent problems: Spark tiers customers per partition (`mapInArrow`), solves
each region in a task of its own (`cogroup(...).applyInArrow`), and the regions' plans are
exactly the whole bank's plan.

Run from the repository root: `.venv/bin/python examples/python/spark_regions.py` (needs
pyspark 4 and Java 17+).
"""

import os
import pathlib
import sys
import warnings

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv
from pyspark.sql import SparkSession

import apportion

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Each partition is typed from its own rows: say which columns are lists, so that a partition
# whose values hold no `;` still reads them as lists. (The customers' alone for `profile`.)
LISTS = {"products": "list", "languages": "list", "certifications": "list"}
CUSTOMER_LISTS = {"products": "list"}
AS_OF = "2026-06-30"

customers = csv.read_csv(ROOT / "examples/data/customers.csv")
managers = csv.read_csv(ROOT / "examples/data/managers.csv")
# A Rulebook pickles as its source, so the functions below carry it to Spark's workers.
rules = apportion.Rulebook.from_file(ROOT / "examples/rules/bank.rhai")


def plain(table: pa.Table) -> pa.Table:
    """Spark has no dictionary type: categorical columns go back to their plain values."""
    columns = zip(table.column_names, table.columns)
    return pa.table(
        {
            name: pc.cast(col, col.type.value_type) if pa.types.is_dictionary(col.type) else col
            for name, col in columns
        }
    )


def mapping(table: pa.Table, key: str, value: str) -> dict:
    return dict(zip(table[key].to_pylist(), table[value].to_pylist()))


TIERS = "id string, tier string, segment string, lead_score long"


def tier(batches):
    """One partition of customers in, their tiers out."""
    batches = list(batches)
    if not batches:
        return
    profile = rules.profile(pa.Table.from_batches(batches), as_of=AS_OF, types=CUSTOMER_LISTS)
    tiers = profile.customers.select(["id", "tier", "segment", "lead_score"])
    yield from plain(tiers).to_batches()


PLAN = "region string, customer string, manager string, moved boolean, objective long"
NO_PLAN = pa.schema(
    {
        "region": pa.string(),
        "customer": pa.string(),
        "manager": pa.string(),
        "moved": pa.bool_(),
        "objective": pa.int64(),
    }
).empty_table()


def assign_region(region_customers: pa.Table, region_managers: pa.Table) -> pa.Table:
    """One region's customers and managers in, its plan out; every row carries the region's
    objective so that the driver can add them up."""
    if region_customers.num_rows == 0:
        return NO_PLAN
    # Equally good plans are common (a customer often scores the same with several managers)
    # and the solver picks among them by row order, which a shuffle does not keep: sort, so
    # that every run of the job gives the same plan.
    region_customers = region_customers.sort_by("id")
    region_managers = region_managers.sort_by("id")
    plan = apportion.assign(region_customers, region_managers, rules, as_of=AS_OF, types=LISTS)
    rows = plain(plan.assignments.select(["customer", "manager", "moved"]))
    rows = rows.add_column(0, "region", pa.repeat(region_customers["region"][0], len(rows)))
    return rows.append_column("objective", pa.repeat(pa.scalar(plan.objective.total), len(rows)))


# Spark's Python workers must import apportion too: run them on this (the venv's) interpreter.
os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # a local run needs no network
# Only pyarrow crosses between Spark and apportion here; pyspark's pandas check does not apply.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
spark = (
    SparkSession.builder.master("local[2]")
    .appName("apportion-regions")
    .config("spark.sql.shuffle.partitions", 6)  # one per region
    .config("spark.ui.enabled", False)
    .config("spark.ui.showConsoleProgress", False)
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
try:
    customers_df = spark.createDataFrame(customers)
    managers_df = spark.createDataFrame(managers)
    tiers = customers_df.mapInArrow(tier, TIERS).toArrow()
    plans = (
        customers_df.groupBy("region")
        .cogroup(managers_df.groupBy("region"))
        .applyInArrow(assign_region, PLAN)
        .toArrow()
    )
finally:
    spark.stop()

# Tiering goes row by row, so Spark's tiers are exactly the single-process ones.
whole_tiers = rules.profile(customers, as_of=AS_OF, types=CUSTOMER_LISTS).customers
assert mapping(tiers, "id", "tier") == mapping(whole_tiers, "id", "tier")
counts = {row["values"]: row["counts"] for row in pc.value_counts(tiers["tier"]).to_pylist()}
print("customers per tier:", counts)

# The same regions solved one after another in this process give exactly Spark's plan:
# distributing the work changes nothing.
spark_plan = mapping(plans, "customer", "manager")
looped_plan = {}
for region in pc.unique(customers["region"]).to_pylist():
    plan = apportion.assign(
        customers.filter(pc.field("region") == region),
        managers.filter(pc.field("region") == region),
        rules,
        as_of=AS_OF,
        types=LISTS,
    )
    looped_plan.update(mapping(plan.assignments, "customer", "manager"))
assert spark_plan == looped_plan

# Against the whole bank in one solve: the same plan, customer by customer. The solver itself
# solves parts of the network that meet only at the sink (here, the regions) one by one, so a
# region solved alone gets exactly its part of the whole plan; and the regions' objectives add
# up to the whole optimum.
whole = apportion.assign(customers, managers, rules, as_of=AS_OF, types=LISTS)
whole_plan = mapping(whole.assignments, "customer", "manager")
assert len(spark_plan) == customers.num_rows
assert spark_plan == whole_plan
objectives = dict(sorted(mapping(plans, "region", "objective").items()))
assert sum(objectives.values()) == whole.objective.total, (objectives, whole.objective)
print("objective by region:", objectives)
print(
    f"{len(objectives)} regions on Spark: objective {sum(objectives.values())} and all "
    f"{len(spark_plan)} assignments the same as the whole bank in one solve"
)
