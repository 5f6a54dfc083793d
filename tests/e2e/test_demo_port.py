"""`make demo`'s port: a taken port is refused (nothing reaches the other server) or avoided, and
the examples follow the port the sandbox really uses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import REPO, free_port

DEMO = REPO / "scripts" / "demo.sh"
PICK = REPO / "scripts" / "demo_port.py"


class Listener:
    """Another program on a loopback port: accepts connections and keeps every byte it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.received = b""
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.settimeout(0.5)
                try:
                    while chunk := conn.recv(65536):
                        self.received += chunk
                except OSError:
                    pass


@pytest.fixture
def other_server() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.sock.close()


def demo_env(**extra: str) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISION_DEMO")}
    env.update(PATH=f"{bin_dir}:{env.get('PATH', '')}", NO_COLOR="1", **extra)
    return env


def test_a_taken_port_is_refused_clearly_and_nothing_is_sent_to_it(other_server: Listener) -> None:
    proc = subprocess.run(["bash", str(DEMO)], capture_output=True, text=True, timeout=60,
                          env=demo_env(PROVISION_DEMO_PORT=str(other_server.port)))
    assert proc.returncode == 1
    assert f"port {other_server.port} on 127.0.0.1 is already in use by another program" in proc.stderr
    assert "the demo will not write into it" in proc.stderr
    assert "provision validate" not in proc.stdout  # it stops before doing anything
    assert other_server.received == b""


def test_the_preferred_port_gives_way_to_a_free_one(other_server: Listener) -> None:
    proc = subprocess.run([sys.executable, str(PICK), "--prefer", str(other_server.port)],
                          capture_output=True, text=True, timeout=30, check=True)
    chosen = int(proc.stdout)
    assert chosen != other_server.port
    assert f"port {other_server.port} is in use by another program" in proc.stderr
    with socket.socket() as s:  # the chosen port is really free
        s.bind(("127.0.0.1", chosen))
    free = free_port()
    assert subprocess.run([sys.executable, str(PICK), "--prefer", str(free)], capture_output=True, text=True,
                          timeout=30, check=True).stdout.strip() == str(free)
    assert other_server.received == b""


@pytest.mark.slow
def test_the_demo_on_another_port_applies_the_quickstart_there(other_server: Listener) -> None:
    port = free_port()
    proc = subprocess.run(["bash", str(DEMO)], capture_output=True, text=True, timeout=120,
                          env=demo_env(PROVISION_DEMO_PORT=str(port), PROVISION_DEMO_EXAMPLES="quickstart"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"provision sandbox listening on http://127.0.0.1:{port}" in proc.stdout
    assert "Plan: 17 to create" in proc.stdout
    assert "No changes. The live platforms match the configuration (17 unchanged)." in proc.stdout
    assert other_server.accepted == 0 and other_server.received == b""
    assert not list((REPO / "examples" / "quickstart").glob("env/demo.yaml"))  # the copies changed, not these
