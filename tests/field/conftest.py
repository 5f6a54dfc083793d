"""Fixtures for the field tests: demo credentials, a fresh sandbox, the quickstart, a live sandbox.
Helpers come from the e2e harness (tests/e2e/harness.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from harness_fixtures import demo_credentials, live_sandbox, quickstart, sandbox

__all__ = ["demo_credentials", "live_sandbox", "quickstart", "sandbox"]
