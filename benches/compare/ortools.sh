#!/usr/bin/env bash
# apportion's network simplex against OR-Tools' SimpleMinCostFlow on the same networks.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
customers="${1:-100000}"
managers="${2:-500}"
book="${3:-bank}"  # or lender, bank-groups, bank-limits, lender-groups, lender-national
out="$here/target"
mkdir -p "$out"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet ortools numpy
cd "$here/../.."
# With side constraints (the private-banking teams' minimums of HNW customers), the network
# is no min-cost flow: CP-SAT, an exact integer solver, checks the optimum of the aggregated
# network within them (a small book: 3,000 × 50 solves in seconds).
if [ "$book" = bank-limits ]; then
  line=$(cargo run --quiet --release --locked -p apportion-benches --bin export-network -- \
    --customers "$customers" --managers "$managers" --book "$book" --out "$out" \
    --only aggregated --runs 1)
  echo "$line"
  (cd "$here" && "$here/.venv/bin/python" ortools_limits.py "$(echo "$line" | cut -d' ' -f3)")
  exit
fi
# The aggregated network solves in well under a second: both sides report the median of
# five solves. The per-customer network takes seconds: one solve each.
: > "$out/apportion.txt"
for kind_runs in aggregated:5 per_customer:1; do
  cargo run --quiet --release --locked -p apportion-benches --bin export-network -- \
    --customers "$customers" --managers "$managers" --book "$book" --out "$out" \
    --only "${kind_runs%:*}" --runs "${kind_runs#*:}" | sed "s/\$/ ${kind_runs#*:}/" >> "$out/apportion.txt"
done
cat "$out/apportion.txt"
while read -r kind file seconds runs; do
  "$here/.venv/bin/python" "$here/ortools_compare.py" "$file" "$seconds" "$kind" "$runs"
done < <(grep '^network ' "$out/apportion.txt" | cut -d' ' -f2-)
