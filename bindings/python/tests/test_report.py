"""The HTML report as a browser shows it: `apportion report` rendered in headless Chromium
(Debian's package; scripts/python-test installs it when missing). The page Chromium parsed
carries the plan's numbers, and its screenshot is a page of charts and tables, not a blank."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

from conftest import AS_OF, BANK, RULES


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is needed: scripts/python-test installs Debian's package"
    return found


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "apportion", *args], check=True, capture_output=True)


def headless(*args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    return subprocess.run([chromium(), *flags, *args], check=True, capture_output=True,
                          text=True, timeout=120)


def test_the_report_renders_with_the_plans_numbers(tmp_path: Path) -> None:
    plan, page, shot = tmp_path / "plan.json", tmp_path / "report.html", tmp_path / "shot.png"
    run("assign", "--customers", str(BANK / "customers.csv"), "--managers",
        str(BANK / "managers.csv"), "--rules", str(RULES), "--as-of", AS_OF, "--out", str(plan))
    run("report", "--plan", str(plan), "--managers", str(BANK / "managers.csv"),
        "--out", str(page))
    document = json.loads(plan.read_text())
    # The page as Chromium parsed it: every manager's row with the plan's load and price.
    dom = headless("--dump-dom", page.as_uri()).stdout
    rows = re.findall(r'<tr data-manager="([^"]+)" data-load="(\d+)" data-capacity="(\d+)" '
                      r'data-shadow-price="(-?\d*)"', dom)
    expected = [(load["manager"], str(load["load"]), str(load["capacity"]),
                 str(load["shadow_price"])) for load in document["loads"]]
    assert rows == expected
    assigned = re.search(r'data-stat="assigned">(\d+)<', dom)
    assert assigned and int(assigned.group(1)) == document["statistics"]["balance"]["assigned"]
    # The screenshot: a page drawn, with the charts' blue in it.
    headless("--window-size=1200,1600", f"--screenshot={shot}", page.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1600)
    pixels = list(image.get_flattened_data())
    drawn = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
    assert drawn > 0.05, f"only {drawn:.1%} of the page is drawn"
    assert len(set(pixels)) > 50
    assert (0x3B, 0x6F, 0xD8) in set(pixels), "the histogram's bars"


def test_the_report_shows_each_group_with_the_plans_loads(tmp_path: Path) -> None:
    plan, page = tmp_path / "plan.json", tmp_path / "report.html"
    book = ["--customers", str(BANK / "customers.csv"), "--managers", str(BANK / "managers.csv")]
    groups = ["--groups", str(BANK / "groups.csv")]
    run("assign", *book, *groups, "--rules", str(RULES), "--as-of", AS_OF, "--out", str(plan))
    run("report", "--plan", str(plan), "--managers", str(BANK / "managers.csv"), *groups,
        "--out", str(page))
    document = json.loads(plan.read_text())
    dom = headless("--dump-dom", page.as_uri()).stdout
    rows = re.findall(r'<tr data-group="([^"]+)" data-load="(\d+)"', dom)
    assert rows == [(g["group"], str(g["load"])) for g in document["groups"]]
    assert len(rows) == 54
