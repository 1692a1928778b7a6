"""Writes DIR/groups-premier.csv: DIR/groups.csv with a minimum of PREMIER borrowers for
every team that holds some in DIR/plan.csv, FRACTION of its desk's PREMIER borrowers there
shared by the teams' targets.

Usage: lender_minimums.py DIR FRACTION

The segments come from DIR/profile.csv (`apportion profile`), so the rules decide who is
PREMIER. The minimums are met by the plan's desks as a whole, and each team can serve
PREMIER borrowers (it held some): the book with them is feasible, and the limits bind where
the plan spread a desk's PREMIER borrowers unevenly over its teams.
"""

import collections
import csv
import pathlib
import sys


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    book, fraction = pathlib.Path(sys.argv[1]), float(sys.argv[2])
    groups = rows(book / "groups.csv")
    team_of = {m["id"]: m["group"] for m in rows(book / "managers.csv")}
    premier = {c["id"] for c in rows(book / "profile.csv") if c["segment"] == "PREMIER"}
    held = collections.Counter(
        team_of[a["manager"]]
        for a in rows(book / "plan.csv")
        if a["manager"] and a["customer"] in premier
    )
    desk_held, desk_target = collections.Counter(), collections.Counter()
    for g in groups:
        if held[g["id"]] and g["target"]:
            desk_held[g["parent"]] += held[g["id"]]
            desk_target[g["parent"]] += int(g["target"])
    limited = 0
    with open(book / "groups-premier.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", "parent", "capacity", "target", "segment_minimums"])
        for g in groups:
            minimum = 0
            if held[g["id"]] and g["target"]:
                share = desk_held[g["parent"]] * int(g["target"]) / desk_target[g["parent"]]
                minimum = int(fraction * share)
            limited += minimum > 0
            out.writerow(
                [g["id"], g["parent"], g["capacity"], g["target"], f"PREMIER={minimum}" if minimum else ""]
            )
    print(f"{limited} teams with a PREMIER minimum; {sum(held.values())} PREMIER borrowers placed")


if __name__ == "__main__":
    main()
