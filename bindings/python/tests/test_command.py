"""The `apportion` command the package installs is the Rust command line: same output, same
exit codes, from the installed package alone."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import AS_OF, BANK, RULES

BOOK = ["--customers", BANK / "customers.csv", "--managers", BANK / "managers.csv"]


def installed() -> list[str]:
    """The `apportion` script next to this interpreter (pip puts it there)."""
    script = shutil.which("apportion", path=str(pathlib.Path(sys.executable).parent))
    if script is None:
        pytest.fail("the package installed no `apportion` command")
    return [script]


@pytest.mark.parametrize("command", [installed, lambda: [sys.executable, "-m", "apportion"]])
def test_the_installed_command_assigns_the_example_bank(command, tmp_path):
    out = tmp_path / "plan.csv"
    run = subprocess.run(
        [*command(), "assign", *BOOK, "--rules", RULES, "--as-of", AS_OF, "--out", out],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "objective 1555351 =" in run.stdout
    assert len(out.read_text().splitlines()) == 3_001


def test_the_installed_command_fails_with_the_cli_codes(tmp_path):
    # No as-of date: a usage error, exit 2, with its code first on standard error.
    run = subprocess.run(
        [*installed(), "profile", "--customers", BANK / "customers.csv", "--rules", RULES],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.startswith("error[missing_as_of]: ")
    help = subprocess.run([*installed(), "--help"], capture_output=True, text=True)
    assert help.returncode == 0 and help.stdout.startswith("Decides who serves whom")
    assert "Usage: apportion <COMMAND>" in help.stdout
