"""Run driver.mjs (a strict ocpp-rpc charge point) from a test and read its verdict.

The driver prints one JSON line per ``checkpoint`` step and one final result
line; the test answers ``signal`` steps through the driver's stdin. Every wait
is bounded and the process is always awaited, so nothing outlives the test.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
from pathlib import Path
import shutil
from typing import Any, Self

import pytest

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.mjs")
# One frame list can be large (MeterValues, many steps): allow long lines.
LINE_LIMIT = 32 * 1024 * 1024

type Step = dict[str, Any]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the conformance suite needs Node >= 18")
    for package in ("ocpp-rpc", "typed-ocpp"):
        if not (REPO / "node_modules" / package / "package.json").is_file():
            pytest.fail(f"node_modules/{package} is missing: run ./scripts/setup")
    return node


@dataclass
class Result:
    """The driver's verdict on one scenario."""

    data: dict[str, Any]
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """Return True when every step passed and no frame broke a rule."""
        return bool(self.data.get("ok"))

    @property
    def steps(self) -> list[dict[str, Any]]:
        """Return the step reports, in order."""
        return list(self.data.get("steps", []))

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Return every rule the CSMS (or the scenario) broke."""
        return list(self.data.get("violations", []))

    @property
    def frames(self) -> list[dict[str, Any]]:
        """Return every frame in both directions, in order."""
        return list(self.data.get("frames", []))

    @property
    def vars(self) -> dict[str, Any]:
        """Return the values the scenario saved."""
        return dict(self.data.get("vars", {}))

    def step(self, index: int) -> dict[str, Any]:
        """Return the detail of one step."""
        return dict(self.steps[index].get("detail") or {})

    def messages(self, direction: str, conn: str | None = None) -> list[list[Any]]:
        """Return the parsed frames sent in one direction ("in" = from the CSMS)."""
        found = []
        for frame in self.frames:
            if frame["dir"] != direction or (conn and frame["conn"] != conn):
                continue
            try:
                found.append(json.loads(frame["text"]))
            except ValueError:
                continue
        return found

    def csms_calls(self, action: str | None = None) -> list[list[Any]]:
        """Return the CALLs the CSMS sent (optionally of one action)."""
        return [
            msg
            for msg in self.messages("in")
            if isinstance(msg, list)
            and msg[:1] == [2]
            and (action is None or msg[2] == action)
        ]

    def explain(self) -> str:
        """Return a readable account of what went wrong."""
        lines = ["conformance scenario failed:"]
        lines += [f"  violation: {json.dumps(v)[:900]}" for v in self.violations[:12]]
        lines += [f"  note: {note}" for note in self.data.get("notes", [])]
        lines.append("  frames (last 30):")
        lines += [
            f"    {f['conn']} {'->' if f['dir'] == 'out' else '<-'} {f['text'][:300]}"
            for f in self.frames[-30:]
        ]
        if self.stderr:
            lines.append(f"  driver stderr: {self.stderr[-2000:]}")
        return "\n".join(lines)

    def assert_ok(self) -> Self:
        """Fail the test with the violations and frames unless all passed."""
        assert self.ok, self.explain()
        return self


@dataclass
class Driver:
    """One driver process running one scenario against the hub."""

    port: int
    steps: list[Step]
    path: str = ""
    timeout: float = 25.0
    auto_reply: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    manual: list[str] = field(default_factory=list)
    device: dict[str, Any] = field(default_factory=dict)
    _proc: asyncio.subprocess.Process | None = None
    _result: Result | None = None

    async def __aenter__(self) -> Self:
        """Start the driver."""
        scenario = {
            "url": f"ws://127.0.0.1:{self.port}{self.path}",
            "timeout_ms": int(self.timeout * 1000),
            "steps": self.steps,
            "auto_reply": self.auto_reply,
            "defaults": self.defaults,
            "manual": self.manual,
            "device": self.device,
        }
        self._proc = await asyncio.create_subprocess_exec(
            _node(),
            str(DRIVER),
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
        )
        # The scenario goes in as the first stdin line (argv is limited to
        # 128 KiB per argument; frames for size limits are bigger).
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(scenario).encode() + b"\n")
        await self._proc.stdin.drain()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Make sure the process has ended and been awaited."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        proc.kill()
        await proc.communicate()

    async def _line(self, timeout: float) -> dict[str, Any]:
        assert self._proc is not None
        assert self._proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self._proc.stdout.readline()
                if not raw:
                    stderr = await self._stderr()
                    raise AssertionError(f"driver ended without a result: {stderr}")
                text = raw.decode().strip()
                if text.startswith("{"):
                    return dict(json.loads(text))

    async def _stderr(self) -> str:
        assert self._proc is not None
        _, stderr = await self._proc.communicate()
        return stderr.decode(errors="replace")

    async def checkpoint(self, name: str, timeout: float = 15.0) -> dict[str, Any]:
        """Wait until the driver reaches a checkpoint; return its saved values."""
        data = await self._line(timeout)
        if "checkpoint" not in data:
            self._result = Result(data, await self._stderr())
            raise AssertionError(
                f"driver finished before checkpoint {name!r}\n{self._result.explain()}"
            )
        assert data["checkpoint"] == name, data
        return dict(data.get("vars", {}))

    async def signal(self, name: str) -> None:
        """Let a ``signal`` step of the driver go on."""
        assert self._proc is not None
        assert self._proc.stdin is not None
        self._proc.stdin.write(f"{name}\n".encode())
        await self._proc.stdin.drain()

    async def result(self, timeout: float | None = None) -> Result:
        """Wait for the verdict and for the process to exit."""
        if self._result is not None:
            return self._result
        data = await self._line(timeout or self.timeout + 5)
        assert "checkpoint" not in data, f"unconsumed checkpoint {data}"
        self._result = Result(data, await self._stderr())
        return self._result


async def run_scenario(port: int, steps: list[Step], **kwargs: Any) -> Result:
    """Run a scenario that needs nothing from the test while it runs."""
    async with Driver(port, steps, **kwargs) as driver:
        return await driver.result()
