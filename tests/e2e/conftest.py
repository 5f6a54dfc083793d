"""End-to-end fixtures: the sandbox in-process (and on loopback for CLI runs) and example projects.

The provisioner and the sandbox are two independent implementations of the vendor contract;
these tests run the real clients and providers against the real emulator, no fakes. Helpers
(`copy_example`, `free_port`, `LiveSandbox`) live in `harness.py`: import them from there.
"""

from __future__ import annotations

from harness import DEMO_ENV, EXAMPLES, REPO, LiveSandbox, copy_example, free_port
from harness_fixtures import demo_credentials, live_sandbox, quickstart, sandbox

# Re-exported for tests written before the harness module existed; new tests import `harness`.
__all__ = ["DEMO_ENV", "EXAMPLES", "REPO", "LiveSandbox", "copy_example", "demo_credentials", "free_port",
           "live_sandbox", "quickstart", "sandbox"]
