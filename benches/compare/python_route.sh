#!/usr/bin/env bash
# Route latency from Python next to the Rust route bench, on the same generated banks
# (500 and 5,000 managers, 20 customers each; 4,096 leads from the next seed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check pyarrow maturin
cd "$here/../.."
VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
  maturin develop --quiet --release --locked --manifest-path bindings/python/Cargo.toml
for managers in 500 5000; do
  book="$here/target/route-book-$managers"
  leads="$here/target/route-leads-$managers"
  cargo run --quiet --release --locked -p apportion-examples --bin generate-bank -- \
    --customers $((managers * 20)) --managers "$managers" --out "$book"
  cargo run --quiet --release --locked -p apportion-examples --bin generate-bank -- \
    --customers 4096 --managers "$managers" --seed 8 --out "$leads"
  "$venv/bin/python" "$here/python_route.py" "$book" "$leads"
done
cargo bench --quiet --locked -p apportion-benches --bench route -- "route/latency" 2>/dev/null |
  grep -E "^route/|time:"
