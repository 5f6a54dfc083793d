"""Choose the demo's sandbox port: the one asked for if it is free, else refuse; or the
preferred one if free, else any free loopback port. Prints the port; exit 1 with a message.

    python scripts/demo_port.py --require 8800   # PROVISION_DEMO_PORT=8800: that port or nothing
    python scripts/demo_port.py --prefer 8700    # default: 8700, or a free one when it is taken

A port is taken when something accepts connections on 127.0.0.1 there or it cannot be bound.
The check connects but sends nothing, so it writes nothing to another server.
"""

from __future__ import annotations

import argparse
import socket
import sys


def taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as trial:
        trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the sandbox's server does
        try:
            trial.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--require", type=int)
    group.add_argument("--prefer", type=int)
    args = parser.parse_args()
    if args.require is not None:
        if not 1 <= args.require <= 65535:
            print(f"PROVISION_DEMO_PORT={args.require} is not a port (1-65535)", file=sys.stderr)
            return 1
        if taken(args.require):
            print(f"port {args.require} on 127.0.0.1 is already in use by another program; the demo will "
                  "not write into it. Stop that program, choose another port "
                  "(PROVISION_DEMO_PORT=8800 make demo), or unset PROVISION_DEMO_PORT to let the demo "
                  "pick a free one.", file=sys.stderr)
            return 1
        print(args.require)
        return 0
    if taken(args.prefer):
        port = free_port()
        print(f"port {args.prefer} is in use by another program: the demo's sandbox uses port {port} "
              "instead", file=sys.stderr)
        print(port)
        return 0
    print(args.prefer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
