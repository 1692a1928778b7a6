#!/usr/bin/env bash
# The example lender with a minimum of PREMIER borrowers for every team that serves them:
# many binding limits per segment over teams that share borrowers, the hardest case of the
# groups' limits. Generates the lender, plans it without minimums, gives each team a minimum
# of FRACTION of its desk's PREMIER borrowers in that plan (shared by the teams' targets),
# then plans it again with them and prints the two runs' summaries (time, solves, proof).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
customers="${1:-100000}"
fraction="${2:-0.75}"
out="$here/target/lender-minimums-$customers"
cd "$here/../.."
cargo build --quiet --release --locked -p apportion-cli -p apportion-examples --bins
./target/release/generate-lender --customers "$customers" --out "$out" > /dev/null
assign() {
  ./target/release/apportion assign --customers "$out/borrowers.csv" \
    --managers "$out/managers.csv" --rules examples/rules/lender.rhai --as-of 2026-06-30 "$@" \
    | grep -E '^(assigned|objective|network)'
}
./target/release/apportion profile --customers "$out/borrowers.csv" \
  --rules examples/rules/lender.rhai --as-of 2026-06-30 --out "$out/profile.csv"
echo "without minimums:"
assign --groups "$out/groups.csv" --out "$out/plan.csv"
python3 "$here/lender_minimums.py" "$out" "$fraction"
echo "with them:"
assign --groups "$out/groups-premier.csv" --out "$out/plan-premier.csv"
