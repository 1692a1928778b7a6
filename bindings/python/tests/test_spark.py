"""A Spark DataFrame passed straight in: read through its own Arrow C stream, no pandas."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator

import pyarrow as pa
import pytest

import apportion

from conftest import AS_OF, CUSTOMER_TYPES, TYPES

pyspark_sql = pytest.importorskip("pyspark.sql")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 or later, which this machine lacks", allow_module_level=True)

# PySpark 4.3 warns on every Arrow export that it does not fully support pandas 3, which the
# suite pins for the pandas tests; warnings are errors here, so that one is let through.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    # Spark's Python workers must run this environment's Python, which has pyarrow.
    before = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", False)
        .config("spark.ui.showConsoleProgress", False)
        .getOrCreate()
    )
    yield session
    session.stop()
    if before is None:
        del os.environ["PYSPARK_PYTHON"]
    else:
        os.environ["PYSPARK_PYTHON"] = before


def test_a_spark_dataframe_gives_the_plan_of_its_arrow_table(spark, rulebook, bank_arrow):
    customers, managers = bank_arrow
    spark_customers = spark.createDataFrame(customers.to_pandas())
    spark_managers = spark.createDataFrame(managers.to_pandas())
    assert hasattr(spark_customers, "__arrow_c_stream__")

    plan = apportion.assign(spark_customers, spark_managers, rulebook, as_of=AS_OF, types=TYPES)
    reference = apportion.assign(customers, managers, rulebook, as_of=AS_OF, types=TYPES)
    # Spark is not a table library of its own here: results come back as pyarrow tables.
    assert isinstance(plan.assignments, pa.Table)
    assert plan.stats.assigned == 3_000
    assert plan.objective == reference.objective
    assert plan.assignments.to_pylist() == reference.assignments.to_pylist()

    profile = rulebook.profile(spark_customers, as_of=AS_OF, types=CUSTOMER_TYPES)
    expected = rulebook.profile(customers, as_of=AS_OF, types=CUSTOMER_TYPES)
    assert profile.customers.to_pylist() == expected.customers.to_pylist()


def test_an_unreadable_spark_column_is_named(spark):
    rules = apportion.Rulebook("fn rich(c) { c.assets > 10 }")
    frame = spark.createDataFrame(
        [("C-1", 20, {"a": 1})], "id string, assets long, extra map<string, int>"
    )
    with pytest.raises(apportion.InputError) as caught:
        rules.profile(frame, as_of=AS_OF)
    assert "`extra`" in str(caught.value)
    readable = spark.createDataFrame([("C-1", 20)], "id string, assets long")
    assert rules.profile(readable, as_of=AS_OF).customers.to_pylist() == [
        {"id": "C-1", "rich": True}
    ]
