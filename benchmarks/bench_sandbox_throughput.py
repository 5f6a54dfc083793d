"""Sandbox throughput: uvicorn on loopback (faults off), keep-alive clients hammering simple GETs.

Prints requests, seconds, requests/s and the ratio to the 1,000 req/s target. Run:
    .venv/bin/python benchmarks/bench_sandbox_throughput.py [--seconds 3] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time

import httpx

TARGET = 1000.0
AM = "/api/assetmanagement/v3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def worker(port: int, requests: list[bytes], deadline: float, counts: list[int]) -> None:
    """One keep-alive connection speaking raw HTTP/1.1, so the client is never the bottleneck."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    while time.perf_counter() < deadline:
        writer.write(requests[i % len(requests)])
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        if status != 200:
            raise RuntimeError(f"unexpected status {status}")
        counts[0] += 1
        i += 1
    writer.close()


def prepare(url: str) -> str:
    token = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                       auth=("sandbox-client", "sandbox-secret")).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": "Bench", "category": "dynamic", "scope": "private",
            "variables": [{"name": "v", "dataType": "DOUBLE", "unit": "m"}]}
    httpx.put(f"{url}{AM}/aspecttypes/sandbox.Bench", json=body, headers=headers).raise_for_status()
    return str(token)


async def drive(port: int, token: str, seconds: float, connections: int) -> tuple[int, float]:
    paths = [f"{AM}/aspecttypes/sandbox.Bench", f"{AM}/assets?size=10", f"{AM}/assets/root"]
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Accept: */*\r\n\r\n".encode() for p in paths]
    counts = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker(port, requests, deadline, counts) for _ in range(connections)))
    return counts[0], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "provisioner", "sandbox", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/token_keys", timeout=0.5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("sandbox did not start") from None
                time.sleep(0.05)
        token = prepare(url)
        asyncio.run(drive(port, token, 0.5, args.connections))  # warm-up
        done, elapsed = asyncio.run(drive(port, token, args.seconds, args.connections))
        counts = httpx.get(f"{url}/_sandbox/counts").json()
    finally:
        server.terminate()
        server.communicate(timeout=10)
    rate = done / elapsed
    print(f"{'requests':>10} {'seconds':>8} {'req/s':>9} {'vs 1,000 req/s':>15}")
    print(f"{done:>10} {elapsed:>8.2f} {rate:>9.0f} {rate / TARGET:>14.2f}x")
    print("server-side counts:", json.dumps(counts["total"]))
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
