"""Every error is an ApportionError with the Rust error's stable code and a message naming
what was wrong and where."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import apportion

from conftest import AS_OF

MANAGERS = [{"id": "M-1", "capacity": 2}]


def test_the_hierarchy():
    for error in (apportion.InputError, apportion.RuleError, apportion.SolveError):
        assert issubclass(error, apportion.ApportionError)
    assert issubclass(apportion.ApportionError, Exception)


def test_a_syntax_error_names_line_and_column():
    with pytest.raises(apportion.RuleError) as caught:
        apportion.Rulebook("fn tier(c) {\n  let x = ;\n}")
    assert caught.value.code == "rule_syntax"
    assert "line 2" in str(caught.value)


def test_a_forbidden_construct_is_refused():
    with pytest.raises(apportion.RuleError) as caught:
        apportion.Rulebook('fn x(c) { eval("1") }')
    assert caught.value.code in {"forbidden_construct", "unknown_function"}


def test_a_failing_rule_names_the_customer_or_is_skipped():
    rules = apportion.Rulebook("fn ratio(c) { 100 / c.n }")
    rows = [{"id": "C-1", "n": 4}, {"id": "C-2", "n": 0}]
    with pytest.raises(apportion.RuleError) as caught:
        rules.profile(rows, as_of=AS_OF)
    assert "`C-2`" in str(caught.value) and "ratio" in str(caught.value)
    profile = rules.profile(rows, as_of=AS_OF, skip_errors=True)
    assert [r["id"] for r in profile.customers] == ["C-1"]
    assert [s["customer"] for s in profile.skipped] == ["C-2"]
    assert profile.skipped[0]["code"] == caught.value.code


def test_a_rule_reading_a_missing_column_is_refused_before_running():
    rules = apportion.Rulebook("fn x(c) { c.nope }")
    with pytest.raises(apportion.RuleError) as caught:
        rules.check(pa.table({"id": ["C-1"]}))
    assert caught.value.code == "unknown_field"
    assert "`nope`" in str(caught.value)


def test_a_rule_returning_several_types_is_named():
    # A profile column has one type: a rule giving text for one customer and a number for
    # another is named. Given one type, it comes out as a column.
    rules = apportion.Rulebook('fn mixed(c) { if c.n > 1 { "many" } else { c.n } }\nfn n2(c) { c.n * 2 }')
    rows = [{"id": "C-1", "n": 1}, {"id": "C-2", "n": 5}]
    with pytest.raises(apportion.InputError) as caught:
        rules.profile(rows, as_of=AS_OF)
    assert caught.value.code == "mixed_field_types"
    assert "`mixed`" in str(caught.value) and "int" in str(caught.value)
    assert rules.profile(rows[:1], as_of=AS_OF).customers == [{"id": "C-1", "mixed": 1, "n2": 2}]


def test_input_errors_name_the_record_and_column():
    rules = apportion.Rulebook("fn x(c) { 1 }")
    with pytest.raises(apportion.InputError) as caught:
        rules.profile([{"id": "C-1"}, {"id": "C-1"}], as_of=AS_OF)
    assert caught.value.code == "duplicate_customer_id"
    with pytest.raises(apportion.InputError) as caught:
        rules.profile([{"id": "C-1"}, {"id": None}], as_of=AS_OF)
    assert caught.value.code == "empty_id"
    assert "#1" in str(caught.value)
    with pytest.raises(apportion.InputError) as caught:
        apportion.assign([{"id": "C-1"}], [{"id": "M-1", "capacity": -3}], rules, as_of=AS_OF)
    assert caught.value.code == "invalid_capacity"
    assert "`M-1`" in str(caught.value) and "`capacity`" in str(caught.value)


def test_bad_options_are_errors():
    rules = apportion.Rulebook("fn x(c) { 1 }")
    rows = [{"id": "C-1"}]
    cases = [
        ({"as_of": "30/06/2026"}, apportion.InputError, "invalid_date"),
        ({"threads": 0}, apportion.InputError, "invalid_threads"),
        ({"threads": 257}, apportion.InputError, "invalid_threads"),
        ({"threads": 100_000}, apportion.InputError, "invalid_threads"),
        ({"types": {"x": "decimal"}}, apportion.InputError, "unknown_type"),
        ({"types": {"nope": "int"}}, apportion.InputError, "unknown_type_column"),
        ({"move_penalty": -1}, apportion.SolveError, "invalid_policy"),
        ({"unassigned_penalty": 0}, apportion.SolveError, "invalid_policy"),
    ]
    for options, error, code in cases:
        with pytest.raises(error) as caught:
            apportion.assign(rows, MANAGERS, rules, **{"as_of": AS_OF, **options})
        assert caught.value.code == code, options


def test_options_are_keyword_only():
    rules = apportion.Rulebook("fn x(c) { 1 }")
    with pytest.raises(TypeError):
        apportion.assign([{"id": "C-1"}], MANAGERS, rules, AS_OF)  # type: ignore[misc]


def test_as_of_is_required_and_today_is_asked_for_by_name():
    # Without a date the same inputs would give another result tomorrow.
    rules = apportion.Rulebook("fn x(c) { 1 }")
    rows = [{"id": "C-1"}]
    calls = {
        "profile": lambda **kw: rules.profile(rows, **kw),
        "assign": lambda **kw: apportion.assign(rows, MANAGERS, rules, **kw),
        "rebalance": lambda **kw: apportion.rebalance(rows, MANAGERS, rules, max_moves=1, **kw),
        "router": lambda **kw: apportion.Router(rows, MANAGERS, rules, **kw),
    }
    for name, call in calls.items():
        with pytest.raises(apportion.InputError) as caught:
            call()
        assert caught.value.code == "missing_as_of", name
        assert "today" in str(caught.value)
        call(as_of="today")
    plan = apportion.assign(rows, MANAGERS, rules, as_of="today")
    assert plan.stats.assigned == 1


def test_a_type_for_a_column_no_input_has_suggests_the_nearest():
    rules = apportion.Rulebook("fn x(c) { 1 }")
    customers = [{"id": "C-1", "products": "a;b"}]
    calls = [
        lambda: rules.profile(customers, as_of=AS_OF, types={"produts": "list"}),
        lambda: rules.check(customers, types={"produts": "list"}),
        lambda: apportion.assign(customers, MANAGERS, rules, as_of=AS_OF, types={"produts": "list"}),
        lambda: apportion.Router(customers, MANAGERS, rules, as_of=AS_OF, types={"produts": "list"}),
        lambda: apportion.rebalance(
            customers, MANAGERS, rules, max_moves=1, as_of=AS_OF, types={"produts": "list"}
        ),
    ]
    for call in calls:
        with pytest.raises(apportion.InputError) as caught:
            call()
        assert caught.value.code == "unknown_type_column"
        assert str(caught.value).endswith("(did you mean `products`?)")
    # A manager's column is known where managers are given, and only there.
    rules.check(customers, MANAGERS, types={"capacity": "int"})


def test_a_date_helper_on_text_names_the_field_and_the_fix():
    customers = pd.DataFrame({"id": ["C-1", "C-2"], "opened": ["2024-01-31", "31/01/2024"]})
    rules = apportion.Rulebook("fn age(c) { days_since(c.opened) }")
    with pytest.raises(apportion.RuleError) as caught:
        rules.profile(customers, as_of=AS_OF)
    assert caught.value.code == "not_a_date"
    message = str(caught.value)
    assert "`opened`" in message and "types={\"opened\": \"date\"}" in message, message
    assert "ImmutableString" not in message and "31/01/2024" not in message
    # Every value a date: the column is one, and the rule runs.
    customers.loc[1, "opened"] = "2024-02-29"
    ages = rules.profile(customers, as_of=AS_OF).customers["age"].tolist()
    assert ages == [881, 852]
