# Sourced by the test scripts: `timed CMD...` runs a step and says on stderr how long it took,
# so a slow suite shows where its time goes.
timed() {
  local started=$SECONDS
  "$@"
  echo "[timing] $((SECONDS - started)) s: $*" >&2
}
