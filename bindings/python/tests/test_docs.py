"""The package documents itself: every public function and class has a numpydoc docstring,
and the examples in them run."""

from __future__ import annotations

import doctest
import inspect

import pytest

import apportion
from apportion import _live, _run, _tickets

PUBLIC = [getattr(apportion, name) for name in apportion.__all__ if name != "__version__"]


@pytest.mark.parametrize("module", [_run, _live, _tickets])
def test_the_examples_in_the_docstrings_run(module):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, globs=vars(apportion).copy()) if t.examples]
    assert tests, module.__name__
    for test in tests:
        runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("item", PUBLIC, ids=lambda item: getattr(item, "__name__", str(item)))
def test_every_public_item_has_a_numpydoc_docstring(item):
    if not (inspect.isclass(item) or inspect.isfunction(item)) or getattr(item, "_is_protocol", False):
        return  # a type alias or protocol, such as TableLike
    doc = inspect.getdoc(item) or ""
    assert doc, item
    if inspect.isfunction(item):
        assert "Parameters\n----------" in doc and "Returns\n-------" in doc, item
    elif not issubclass(item, BaseException) and item.__module__.startswith("apportion"):
        sections = ("Attributes\n----------", "Parameters\n----------")
        assert any(section in doc for section in sections), item


def test_results_are_typed_by_the_flavour_of_their_input(tmp_path):
    from mypy import api

    snippet = tmp_path / "typed.py"
    snippet.write_text(
        "import apportion\n"
        "import polars as pl\n"
        "rules = apportion.Rulebook('fn eligible(c, m) { true }')\n"
        "rows = apportion.assign([{'id': 'C-1'}], [{'id': 'M-1', 'capacity': 1}], rules, as_of='2026-06-30')\n"
        "reveal_type(rows)\n"
        "frame = apportion.assign(pl.DataFrame({'id': ['C-1']}), [], rules, as_of='2026-06-30')\n"
        "reveal_type(frame.assignments)\n"
        "reveal_type(rules.profile([{'id': 'C-1'}], as_of='2026-06-30').customers)\n"
    )
    out, err, _ = api.run([str(snippet), "--no-incremental", "--follow-imports=silent"])
    revealed = [line.split("Revealed type is ")[1] for line in out.splitlines() if "Revealed" in line]
    assert revealed == [
        '"apportion._apportion.Plan[list[dict[str, Any]]]"',
        '"polars.dataframe.frame.DataFrame"',
        '"list[dict[str, Any]]"',
    ], out + err
