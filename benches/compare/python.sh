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
# The Rust bench of the same bank runs between the Python rounds (see python_e2e.py), so both
# sides are timed in one sitting: this machine's speed drifts by tens of percent between runs.
cargo bench --quiet --locked -p apportion-benches --bench assign --no-run
"$venv/bin/python" "$here/python_e2e.py" "$bank" \
  cargo bench --quiet --locked -p apportion-benches --bench assign -- \
  "bank_${managers}_managers/${customers}\$"
