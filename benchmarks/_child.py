"""What both server processes share: the control channel to the load generator.

The parent talks to a server process over its stdin (commands) and a copy of
its stdout (answers), one JSON object per line. Real stdout is pointed at
stderr so a stray print cannot corrupt the channel. Commands:

- ``mark``: answer the process's CPU time (``time.process_time``, every thread,
  exact to the nanosecond clock) and any extra figures the server reports;
- ``profile_start`` / ``profile_stop``: run cProfile on the event loop thread
  (``profile_stop`` writes the pstats file given at start-up);
- ``settle``: let the server finish pending work (HA: ``async_block_till_done``);
- ``quit``: stop serving and exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import cProfile
import json
import logging
import os
import resource
import sys
import time
from typing import Any, TextIO

_LOGGER = logging.getLogger(__name__)

type Extra = Callable[[], dict[str, Any]]
type Settle = Callable[[], Awaitable[None]]


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard limit; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def setup_logging() -> None:
    """Log WARNING and above to stderr (the parent sends it to a file)."""
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    )
    for name in ("custom_components.ocpp_csms", "homeassistant", "websockets"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Control:
    """The command channel of a server process."""

    def __init__(self) -> None:
        """Keep a private copy of stdout for answers; stdout goes to stderr."""
        self._out: TextIO = os.fdopen(os.dup(sys.stdout.fileno()), "w")
        sys.stdout.flush()
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        self._reader: asyncio.StreamReader | None = None

    async def open(self) -> None:
        """Start reading commands from stdin."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
        )
        self._reader = reader

    def send(self, message: dict[str, Any]) -> None:
        """Write one answer line."""
        self._out.write(json.dumps(message) + "\n")
        self._out.flush()

    async def serve(
        self,
        *,
        lifetime: float,
        extra: Extra,
        settle: Settle | None = None,
        profile_path: str | None = None,
    ) -> None:
        """Answer commands until ``quit``, end of input or ``lifetime`` seconds."""
        assert self._reader is not None
        profiler: cProfile.Profile | None = None
        try:
            async with asyncio.timeout(lifetime):
                while line := await self._reader.readline():
                    command = json.loads(line)["cmd"]
                    answer: dict[str, Any] = {"cmd": command}
                    if command == "quit":
                        self.send(answer)
                        return
                    if command == "mark":
                        answer |= {
                            "cpu": time.process_time(),
                            "wall": time.monotonic(),
                        } | extra()
                    elif command == "settle" and settle is not None:
                        await settle()
                    elif command == "profile_start" and profile_path:
                        profiler = cProfile.Profile()
                        profiler.enable()
                    elif command == "profile_stop" and profiler and profile_path:
                        profiler.disable()
                        profiler.dump_stats(profile_path)
                        profiler = None
                    self.send(answer)
        except TimeoutError:
            _LOGGER.error("Lifetime of %.0f s reached; stopping", lifetime)
        finally:
            if profiler is not None:
                profiler.disable()
