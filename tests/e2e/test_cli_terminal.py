"""The CLI on a real pseudo-terminal: colour unless NO_COLOR or --no-color, width respected, -h."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from harness import DEMO_ENV, LiveSandbox, copy_example

ESC = b"\x1b["


def run_on_tty(args: list[str], *, extra_env: dict[str, str] | None = None, columns: int = 200,
               answer: bytes = b"", codes: tuple[int, ...] = (0, 2)) -> bytes:
    """Run `provision ARGS` with stdin, stdout and stderr on a pseudo-terminal (typing `answer`);
    all it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR")}
    env.update(DEMO_ENV, TERM="xterm-256color", **(extra_env or {}))
    proc = subprocess.Popen([sys.executable, "-m", "provisioner", *args], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    if answer:
        os.write(master, answer)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) in codes, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks)


def test_no_color_on_a_tty_gives_no_escape_codes(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = str(copy_example("quickstart", tmp_path, port=live_sandbox.port))
    plan = ["plan", project, "--env", "test"]
    coloured = run_on_tty(plan)
    assert b"Plan: 17 to create" in coloured
    assert ESC + b"32m+ insights_hub.aspect_types.Environment" in coloured  # a terminal gets colour
    for variant, extra in (([*plan], {"NO_COLOR": "1"}), ([*plan, "--no-color"], {}),
                           (["--no-color", *plan], {})):
        plain = run_on_tty(variant, extra_env=extra)
        assert b"Plan: 17 to create" in plain
        assert ESC not in plain and b"\x1b" not in plain, variant


def test_long_addresses_fit_the_terminal_and_keep_the_full_address(tmp_path: Path,
                                                                   live_sandbox: LiveSandbox) -> None:
    project = str(copy_example("quickstart", tmp_path, port=live_sandbox.port))
    text = run_on_tty(["plan", project, "--env", "test", "--no-color"], columns=80).decode()
    full = ("insights_hub.agents.acme-motor-agent.event_mappings.acme-motor.sandbox.connectivity.event.type."
            "Overheat.source=MyMachine")
    heads = [line for line in text.splitlines() if line.startswith(("+ ", "~ ", "- "))]
    assert heads and all(len(line) <= 80 for line in heads)
    assert f"    # address: {full}" in text.splitlines()
    assert "+ insights_hub.…" in text


def test_dash_h_is_help_for_the_group_and_every_command() -> None:
    for args in (["-h"], ["plan", "-h"], ["graph", "-h"], ["fmt", "-h"]):
        proc = subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stdout.startswith("Usage: provision"), args
    assert "--no-color" in subprocess.run([sys.executable, "-m", "provisioner", "-h"], capture_output=True,
                                          text=True, timeout=60).stdout


def test_the_apply_prompt_repeats_the_summary(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = str(copy_example("quickstart", tmp_path, port=live_sandbox.port))
    out = run_on_tty(["apply", project, "--env", "test", "--no-color"], answer=b"n\n", codes=(1,)).decode()
    lines = out.replace("\r\n", "\n").splitlines()
    prompt = next(i for i, line in enumerate(lines) if line.startswith("Apply these changes?"))
    headlines = [i for i, line in enumerate(lines) if line.startswith("Plan: 17 to create")]
    assert len(headlines) == 2 and headlines[0] < prompt  # (the terminal may echo the typed answer first)
    assert headlines[1] == prompt - 1  # the headline again, right above the question
    assert "apply cancelled; nothing was written" in out
    endpoints = live_sandbox.sandbox.counts()["endpoints"]
    assert endpoints and all(key.startswith(("GET ", "POST /oauth", "POST /api/technicaltokenmanager"))
                             for key in endpoints), endpoints  # reads only: nothing was written
