#!/usr/bin/env bash
# The README demo: validate and render the examples (later: sandbox, plan, apply, plan again).
set -euo pipefail
cd "$(dirname "$0")/.."
provision validate examples/quickstart
provision validate examples/fleet
provision render examples/fleet | head -n 40
