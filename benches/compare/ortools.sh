#!/usr/bin/env bash
# apportion's network simplex against OR-Tools' SimpleMinCostFlow on the same networks.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
customers="${1:-100000}"
managers="${2:-500}"
out="$here/target"
mkdir -p "$out"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet ortools numpy
cd "$here/../.."
cargo run --quiet --release --locked -p apportion-benches --bin export-network -- \
  --customers "$customers" --managers "$managers" --out "$out" > "$out/apportion.txt"
cat "$out/apportion.txt"
while read -r kind file seconds; do
  "$here/.venv/bin/python" "$here/ortools_compare.py" "$file" "$seconds" "$kind"
done < <(grep '^network ' "$out/apportion.txt" | cut -d' ' -f2-)
