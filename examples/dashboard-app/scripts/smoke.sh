#!/bin/sh
# Smoke test of the built app: start dist/src/server.js on a free port, run scripts/smoke-check.mjs
# against it, then stop it with SIGTERM and require a clean exit. The EXIT trap stops the server on
# every path (a failed check, a signal from the runner), so no server outlives this script.
set -eu
cd "$(dirname "$0")/.."

if [ ! -f dist/src/server.js ]; then
  echo "smoke: dist/src/server.js is missing; run 'npm run build' first" >&2
  exit 1
fi
mkdir -p reports
log=reports/smoke-server.log
release="${RELEASE_ID:-smoke-$$}"

PORT=0 RELEASE_ID="$release" node dist/src/server.js >"$log" 2>&1 &
server=$!

cleanup() {
  status=$?
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "smoke: server log ($log):" >&2
    cat "$log" >&2 || true
  fi
  exit "$status"
}
trap cleanup EXIT
# Turn signals into an exit so the EXIT trap runs (dash does not run it on a fatal signal).
trap 'exit 130' INT
trap 'exit 143' TERM

node scripts/smoke-check.mjs "$log" "$server" "$release"

kill -TERM "$server"
code=0
wait "$server" || code=$?
if [ "$code" -ne 0 ]; then
  echo "smoke: server exited with code $code after SIGTERM; expected 0 (graceful shutdown)" >&2
  exit 1
fi
echo "smoke: ok (server stopped cleanly)"
