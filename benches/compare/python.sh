#!/usr/bin/env bash
# apportion from Python (pandas in, pandas out) against OR-Tools fed by numpy, end to end, and
# against apportion's own Rust bench of the same bank.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
customers="${1:-100000}"
managers="${2:-500}"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check ortools numpy pandas pyarrow maturin
cd "$here/../.."
VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
  maturin develop --quiet --release --locked --manifest-path bindings/python/Cargo.toml
bank="$here/target/bank-${customers}x${managers}"
cargo run --quiet --release --locked -p apportion-examples --bin generate-bank -- \
  --customers "$customers" --managers "$managers" --out "$bank"
# Criterion's median estimate for the same bank (`time: [low median high]`), in seconds.
rust=$(cargo bench --quiet --locked -p apportion-benches --bench assign -- \
  "bank_${managers}_managers/${customers}\$" 2>/dev/null |
  awk '/time:/ { v = $4; u = $5; print (u == "ms" ? v / 1000 : v); exit }')
if [ -z "$rust" ]; then
  echo "no Rust bench for ${customers} x ${managers} (benches/benches/assign.rs has 10k and 100k x 500)" >&2
  exit 1
fi
"$venv/bin/python" "$here/python_e2e.py" "$bank" "$rust"
