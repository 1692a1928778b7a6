"""The bad-input matrix shared with the Rust and CLI suites (engine/tests/data/bad_inputs.json),
read the way a data team would — with pyarrow's CSV reader or json — and handed to apportion:
the same stable codes. Where the reader itself turns a file into something else (pyarrow
reads an unclosed quote, Python's json reads 1e999 as infinity), the case says what apportion
then sees (`python`); a file the reader cannot parse at all never reaches apportion and is
skipped with the reader's reason."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import apportion

from conftest import AS_OF, ROOT

CASES = json.loads((ROOT / "engine" / "tests" / "data" / "bad_inputs.json").read_text())
RULES = apportion.Rulebook("fn one(c) { 1 }")
BOOK = [{"id": "C-1", "assets": 5}]


def table(case: dict) -> pa.Table | list[dict]:
    if "bytes" in case:
        data = bytes(case["bytes"])
    else:
        data = case["text"].replace("<10MB>", "x" * (10 << 20)).encode()
    if case["file"].endswith(".json"):
        try:
            return json.loads(data)
        except ValueError as error:
            pytest.skip(f"not a table: {error}")
    try:
        # Only a blank cell is null, as in apportion's own reader: `NaN` stays a float.
        options = pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True)
        return pacsv.read_csv(io.BytesIO(data), convert_options=options)
    except pa.ArrowInvalid as error:
        pytest.skip(f"not a table: {error}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_bad_input_raises_its_code(case):
    rows = table(case)
    types = case["types"] or None
    code = case.get("python", {}).get("code", case["code"])

    def run():
        if case["input"] == "customers":
            return RULES.profile(rows, as_of=AS_OF, types=types)
        return apportion.assign(BOOK, rows, RULES, as_of=AS_OF, types=types)

    if code == "ok":
        run()
        return
    with pytest.raises(apportion.InputError) as raised:
        run()
    assert raised.value.code == code, str(raised.value)
    assert "Ada" not in str(raised.value) and "lots" not in str(raised.value)
