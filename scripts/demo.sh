#!/usr/bin/env bash
# The README demo: start the sandbox, then validate, plan and apply the examples against it and
# show that a second plan has nothing left to do.
#
# The sandbox listens on 127.0.0.1:8700, or on a free port when 8700 is taken; with
# PROVISION_DEMO_PORT=N on port N or not at all (a taken port is refused: the demo never writes
# into another server). The examples are copied and pointed at the sandbox's port with an env
# overlay (env/demo.yaml), so they work on any port. PROVISION_DEMO_EXAMPLES picks the examples
# to apply (default: quickstart fleet).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${PROVISION_DEMO_PORT:-}" ]; then
  PORT="$(python scripts/demo_port.py --require "$PROVISION_DEMO_PORT")"
else
  PORT="$(python scripts/demo_port.py --prefer 8700)"
fi
EXAMPLES="${PROVISION_DEMO_EXAMPLES:-quickstart fleet}"
STATE_DIR="$(mktemp -d)"
# The sandbox's demo credentials (not secrets; a real tenant's come from your CI's secret store).
export MDSP_CLIENT_ID=sandbox-client MDSP_CLIENT_SECRET=sandbox-secret ITWIN_IOT_API_KEY=sandbox-key

if [ -z "${NO_COLOR:-}" ] && [ -t 1 ]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi

step "provision validate"
provision validate examples/quickstart
provision validate examples/fleet
provision validate examples/environments --env staging

step "provision sandbox (background, port $PORT)"
# a seed of our own: its root asset id tells our sandbox from anything else answering on the port
SEED=$(( (RANDOM << 15) | RANDOM ))
ROOT="$(python -c "from provisioner.sandbox import Sandbox, SandboxSettings as S
print(Sandbox(S(seed=$SEED)).snapshot()['root'])")"
provision sandbox --port "$PORT" --seed "$SEED" --state "$STATE_DIR/sandbox.json" > "$STATE_DIR/sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true; rm -rf "$STATE_DIR"' EXIT
ready=""
for _ in $(seq 1 150); do
  if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
    cat "$STATE_DIR/sandbox.log" >&2
    echo "demo: the sandbox could not start on port $PORT (see above); nothing was written" >&2
    exit 1
  fi
  if python - "$PORT" "$ROOT" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_sandbox/snapshot", timeout=1) as r:
    sys.exit(0 if json.load(r).get("root") == sys.argv[2] else 3)
PY
  then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "demo: port $PORT does not answer as the sandbox started here; nothing was written" >&2
  exit 1
fi
head -n 20 "$STATE_DIR/sandbox.log"

for example in $EXAMPLES; do
  project="$STATE_DIR/examples/$example"
  mkdir -p "$STATE_DIR/examples"
  cp -R "examples/$example" "$project"
  mkdir -p "$project/env"
  printf 'platforms:\n  insights_hub: {gateway: "http://127.0.0.1:%s"}\n  itwin_iot: {url: "http://127.0.0.1:%s"}\n' \
    "$PORT" "$PORT" > "$project/env/demo.yaml"
  step "provision plan examples/$example --env demo (empty tenant: everything is a create)"
  provision plan "$project" --env demo --out "$STATE_DIR/$example.plan.json" | head -n 60
  step "provision apply examples/$example (the saved plan)"
  # per-change log lines go to stderr; the demo shows the first few and the report
  provision apply "$STATE_DIR/$example.plan.json" --project "$project" --env demo --yes 2>&1 \
    | awk '!/^\[/ || ++n <= 5; /^\[/ && n == 6 { print "  …" }'
  step "provision plan examples/$example again: nothing left to do (exit 0 with --detailed-exitcode)"
  provision plan "$project" --env demo --detailed-exitcode
done

# From objects to data flowing: boarding files for the devices, a few seconds of simulated
# devices (with --project also the iTwin sensors' observations and the agents' mapped events), then
# the post-deploy check (exit 0: every agent online, every mapping and event mapping delivering,
# every iTwin sensor metric receiving observations).
if [ -d "$STATE_DIR/examples/quickstart" ]; then
  step "provision boarding examples/quickstart (files 0600 in a 0700 folder; prints paths and expiry)"
  provision boarding "$STATE_DIR/examples/quickstart" --env demo --out "$STATE_DIR/boarding"
  step "provision simulate --project (3 s: every data point, the mapped events, every iTwin sensor metric)"
  provision simulate "$STATE_DIR/boarding" --duration 3s --interval 1s \
    --project "$STATE_DIR/examples/quickstart" --env demo
  step "provision check examples/quickstart: everything flows"
  provision check "$STATE_DIR/examples/quickstart" --env demo --since 5m
fi
step "done"
