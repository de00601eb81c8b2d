"""The reference server: a bare ``websockets`` server answering every OCPP frame.

It parses each frame with ``json.loads`` and answers a CALLRESULT: ``{}`` for
everything except BootNotification (Accepted) and StartTransaction (a fresh
transaction id, which the load generator needs). Transport settings (ping
interval, frame size) match the integration's server so that both sides do
the same WebSocket work. Run by ``benchmarks.load``; not meant to be started
by hand.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import itertools
import json
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from ._child import Control, raise_fd_limit, setup_logging

_TRANSACTIONS = itertools.count(1)


def _answer(action: str) -> dict[str, Any]:
    if action == "BootNotification":
        return {
            "status": "Accepted",
            "currentTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "interval": 300,
        }
    if action == "StartTransaction":
        return {
            "transactionId": next(_TRANSACTIONS),
            "idTagInfo": {"status": "Accepted"},
        }
    return {}


async def _handle(connection: ServerConnection) -> None:
    try:
        async for raw in connection:
            message = json.loads(raw)
            if message[0] == 2:
                await connection.send(json.dumps([3, message[1], _answer(message[2])]))
    except ConnectionClosed:
        pass


async def _main(args: argparse.Namespace) -> None:
    control = Control()
    await control.open()
    connections = 0

    async def handle(connection: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        try:
            await _handle(connection)
        finally:
            connections -= 1

    async with serve(
        handle,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp1.6")],
        ping_interval=60.0,
        ping_timeout=60.0,
        max_size=256 * 1024,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        control.send({"cmd": "ready", "port": port})
        await control.serve(
            lifetime=args.lifetime,
            extra=lambda: {"connections": connections},
            profile_path=args.profile,
        )
        server.close(close_connections=True)
        await server.wait_closed()


def main() -> None:
    """Serve until the load generator says quit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lifetime", type=float, default=3600)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    raise_fd_limit()
    setup_logging()
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
