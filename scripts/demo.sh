#!/usr/bin/env bash
# The README demo: start the sandbox, then validate, plan and apply the examples against it and
# show that a second plan has nothing left to do.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PROVISION_DEMO_PORT:-8700}"
STATE_DIR="$(mktemp -d)"
# The sandbox's demo credentials (not secrets; a real tenant's come from your CI's secret store).
export MDSP_CLIENT_ID=sandbox-client MDSP_CLIENT_SECRET=sandbox-secret ITWIN_IOT_API_KEY=sandbox-key

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "provision validate"
provision validate examples/quickstart
provision validate examples/fleet
provision validate examples/environments --env staging

step "provision sandbox (background, port $PORT)"
provision sandbox --port "$PORT" --state "$STATE_DIR/sandbox.json" > "$STATE_DIR/sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true; rm -rf "$STATE_DIR"' EXIT
for _ in $(seq 1 100); do
  if python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/_sandbox/counts', timeout=1)" 2>/dev/null; then break; fi
  sleep 0.1
done
head -n 20 "$STATE_DIR/sandbox.log"

for example in quickstart fleet; do
  step "provision plan examples/$example (empty tenant: everything is a create)"
  provision plan "examples/$example" --out "$STATE_DIR/$example.plan.json" | head -n 60
  step "provision apply examples/$example (the saved plan)"
  # per-change log lines go to stderr; the demo shows the first few and the report
  provision apply "$STATE_DIR/$example.plan.json" --project "examples/$example" --yes 2>&1 \
    | awk '!/^\[/ || ++n <= 5; /^\[/ && n == 6 { print "  …" }'
  step "provision plan examples/$example again: nothing left to do (exit 0 with --detailed-exitcode)"
  provision plan "examples/$example" --detailed-exitcode
done

# From objects to data flowing: boarding files for the devices, a few seconds of simulated
# devices, then the post-deploy check (exit 0: every agent online, every mapping delivering).
step "provision boarding examples/quickstart (files 0600 in a 0700 folder; prints paths and expiry)"
provision boarding examples/quickstart --out "$STATE_DIR/boarding"
step "provision simulate (3 s of field agents uploading every data point)"
provision simulate "$STATE_DIR/boarding" --duration 3s --interval 1s
step "provision check examples/quickstart: everything flows"
provision check examples/quickstart --since 5m
step "done"
