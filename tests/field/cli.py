"""Running `provision` as a user would (a subprocess), for the field tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def provision(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provisioner", *args], capture_output=True, text=True, cwd=cwd, timeout=180
    )
