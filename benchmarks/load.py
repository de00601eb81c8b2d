"""Load benchmark: simulated OCPP 1.6 chargers against Home Assistant.

Starts N lightweight chargers (raw WebSocket clients, not the full simulator)
that each boot, report connector 1 Available, start a transaction and then
send MeterValues every ``--interval`` seconds (a random initial offset spreads
the load). The same load runs, one after the other in the same run, against:

- ``bare``: a ``websockets`` server that only parses and answers each frame
  (``benchmarks/bare_server.py``), the floor for any Python OCPP server;
- ``ha``: a real Home Assistant core with the ``ocpp_csms`` hub, auto-accept on,
  so each charger is a subentry, a device and its entities
  (``benchmarks/ha_server.py``).

Each server runs in its own process, so its CPU time (``time.process_time``
in that process: every thread, including HA's executor and recorder) is
measured without the load generator's. Ramp-up (connect, boot, first entity
creation) is not measured: once every charger has its transaction, the load
runs ``--settle`` seconds to warm up (HA: at least 15 s, so that the
registries' delayed writes of the ramp-up happen before), then ``--duration``
seconds are measured. Messages counted are the
MeterValues sent in that window; round trip is send to matching CALLRESULT.

Examples (from the repository root)::

    .venv/bin/python -m benchmarks.load --chargers 5 --interval 1 --duration 3
    .venv/bin/python -m benchmarks.load                      # 200 chargers
    .venv/bin/python -m benchmarks.load --chargers 1000 --json /tmp/load.json
    .venv/bin/python -m benchmarks.load --servers ha --profile /tmp/ha.pstats

Targets (from the issue): 1000 chargers at 10 s, p99 below 200 ms, HA CPU per
message within 3x of the bare server.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import contextlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
import io
import json
import math
from pathlib import Path
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
from typing import Any
import uuid

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVERS = {"bare": "benchmarks.bare_server", "ha": "benchmarks.ha_server"}
TARGET_P99_MS = 200.0
TARGET_CPU_RATIO = 3.0
# Seconds a server process gets to start, answer a command or stop.
SERVER_START_TIMEOUT = 180.0
COMMAND_TIMEOUT = 120.0
SERVER_STOP_TIMEOUT = 120.0
# Default warm-up of the HA server (seconds), see settle_seconds.
HA_SETTLE = 15.0
# Logged by every run of a custom integration; not worth a mention.
EXPECTED_LOG_LINES = ("We found a custom integration ocpp_csms",)


class CallFailedError(Exception):
    """A CALL got no CALLRESULT; ``kind`` says why (table column "errors")."""

    def __init__(self, kind: str, detail: str = "") -> None:
        """Failure of one kind: callerror, timeout, disconnect."""
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def utc_now_iso() -> str:
    """Return the current time as OCPP wants it (ISO 8601, UTC, Z)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard limit; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(slots=True)
class Record:
    """One MeterValues CALL: when it was sent and how it ended."""

    sent: float
    rtt: float | None
    error: str | None = None


class Charger:
    """One simulated OCPP 1.6 charger: a WebSocket and the CALLs in flight."""

    def __init__(self, index: int, url: str, timeout: float, rng: random.Random):
        """Charger BENCH_<index> dialling ``url``."""
        self.charger_id = f"BENCH_{index:05d}"
        self._url = f"{url}/{self.charger_id}"
        self._timeout = timeout
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[tuple[float, list[Any]]]] = {}
        self._closing = False
        self.lost = False
        self.server_calls = 0
        self.transaction_id: int | None = None
        self.records: list[Record] = []
        self.skipped = 0
        self._energy_wh = 0.0
        self._soc = rng.uniform(10, 60)
        self._rng = rng

    async def start(self) -> float:
        """Connect, boot, report Available and start a transaction.

        Returns the BootNotification round trip (seconds); raises on failure.
        """
        self._ws = await connect(
            self._url,
            subprotocols=[Subprotocol("ocpp1.6")],
            compression=None,
            proxy=None,
            open_timeout=self._timeout,
            ping_interval=None,
            close_timeout=5,
        )
        self._reader = asyncio.create_task(self._read(self._ws))
        boot_rtt, boot = await self._call(
            "BootNotification",
            {"chargePointVendor": "Bench", "chargePointModel": "Load"},
        )
        if boot.get("status") != "Accepted":
            raise CallFailedError("boot", f"status {boot.get('status')}")
        await self._call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
        )
        _, started = await self._call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "BENCH",
                "meterStart": 0,
                "timestamp": utc_now_iso(),
            },
        )
        self.transaction_id = int(started["transactionId"])
        return boot_rtt

    async def run_meter_values(
        self, first: float, interval: float, stop_at: float
    ) -> None:
        """Send MeterValues at ``first`` and every ``interval`` s until ``stop_at``.

        One CALL at a time, as OCPP-J requires: a slot that passes while an
        answer is awaited is skipped (counted), not queued.
        """
        loop = asyncio.get_running_loop()
        due = first
        while due < stop_at and not self.lost:
            await asyncio.sleep(max(0.0, due - loop.time()))
            sent = loop.time()
            try:
                rtt, _ = await self._call("MeterValues", self._meter_values(interval))
            except CallFailedError as err:
                self.records.append(Record(sent, None, err.kind))
            else:
                self.records.append(Record(sent, rtt))
            due += interval
            now = loop.time()
            if due <= now:
                missed = math.floor((now - due) / interval) + 1
                self.skipped += missed
                due += missed * interval

    async def close(self) -> None:
        """Close the connection (an expected close, not counted as lost)."""
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(5):
                    await self._reader
            self._reader.cancel()

    def _meter_values(self, interval: float) -> dict[str, Any]:
        power = self._rng.uniform(7000, 7400)
        self._energy_wh += power * interval / 3600
        self._soc = min(100.0, self._soc + power * interval / 3600 / 600)
        current = power / 3 / 230
        sampled: list[dict[str, str]] = [
            {
                "value": f"{self._energy_wh:.1f}",
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
                "context": "Sample.Periodic",
            },
            {
                "value": f"{power:.1f}",
                "measurand": "Power.Active.Import",
                "unit": "W",
                "context": "Sample.Periodic",
            },
        ]
        sampled.extend(
            {
                "value": f"{current + self._rng.uniform(-0.2, 0.2):.2f}",
                "measurand": "Current.Import",
                "phase": phase,
                "unit": "A",
                "context": "Sample.Periodic",
            }
            for phase in ("L1", "L2", "L3")
        )
        sampled.extend(
            {
                "value": f"{self._rng.uniform(226, 234):.1f}",
                "measurand": "Voltage",
                "phase": phase,
                "unit": "V",
                "context": "Sample.Periodic",
            }
            for phase in ("L1-N", "L2-N", "L3-N")
        )
        sampled.append(
            {
                "value": f"{self._soc:.0f}",
                "measurand": "SoC",
                "unit": "Percent",
                "location": "EV",
                "context": "Sample.Periodic",
            }
        )
        return {
            "connectorId": 1,
            "transactionId": self.transaction_id,
            "meterValue": [{"timestamp": utc_now_iso(), "sampledValue": sampled}],
        }

    async def _call(
        self, action: str, payload: dict[str, Any]
    ) -> tuple[float, dict[str, Any]]:
        """Send a CALL; return (round trip in s, CALLRESULT payload)."""
        if self._ws is None or self.lost:
            raise CallFailedError("disconnect", "not connected")
        message_id = str(uuid.uuid4())
        future: asyncio.Future[tuple[float, list[Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[message_id] = future
        text = json.dumps([2, message_id, action, payload])
        try:
            sent = time.perf_counter()
            await self._ws.send(text)
            async with asyncio.timeout(self._timeout):
                received, frame = await future
        except ConnectionClosed as err:
            raise CallFailedError("disconnect", str(err)) from err
        except TimeoutError as err:
            raise CallFailedError("timeout", action) from err
        finally:
            self._pending.pop(message_id, None)
        if frame[0] == 4:
            raise CallFailedError("callerror", f"{action}: {frame[2]} {frame[3]}")
        result: dict[str, Any] = frame[2]
        return received - sent, result

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                received = time.perf_counter()
                frame = json.loads(raw)
                if frame[0] == 2:
                    self.server_calls += 1
                    await ws.send(json.dumps(_answer_server_call(frame)))
                elif (future := self._pending.get(frame[1])) and not future.done():
                    future.set_result((received, frame))
        except ConnectionClosed:
            pass
        finally:
            if not self._closing:
                self.lost = True
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionClosed(None, None))


def _answer_server_call(frame: list[Any]) -> list[Any]:
    """Answer a CALL from the CSMS: no configuration keys, nothing else supported."""
    if frame[2] == "GetConfiguration":
        unknown = frame[3].get("key", [])
        return [3, frame[1], {"configurationKey": [], "unknownKey": unknown}]
    return [4, frame[1], "NotImplemented", "load charger", {}]


class ServerProcess:
    """A server child process and its line-based JSON command channel."""

    def __init__(
        self, kind: str, process: asyncio.subprocess.Process, log_path: Path
    ) -> None:
        """Wrap a started process writing its log to ``log_path``."""
        self.kind = kind
        self._process = process
        self._log_path = log_path

    @classmethod
    async def start(
        cls, kind: str, args: argparse.Namespace, log_path: Path, lifetime: float
    ) -> tuple[ServerProcess, int]:
        """Start the server; return it and the port it listens on."""
        command = [
            sys.executable,
            "-m",
            SERVERS[kind],
            "--lifetime",
            str(lifetime),
        ]
        if kind == "ha" and args.profile:
            command += ["--profile", args.profile]
        if kind == "ha" and args.recorder:
            command.append("--recorder")
        if kind == "ha":
            command += ["--chargers", str(args.chargers)]
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=REPO_ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        server = cls(kind, process, log_path)
        try:
            ready = await server._receive(SERVER_START_TIMEOUT)
        except BaseException:
            await server.stop()
            raise
        return server, int(ready["port"])

    async def command(self, name: str) -> dict[str, Any]:
        """Send a command and return the answer."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"cmd": name}).encode() + b"\n")
        await self._process.stdin.drain()
        return await self._receive(COMMAND_TIMEOUT)

    async def _receive(self, timeout: float) -> dict[str, Any]:
        assert self._process.stdout is not None
        async with asyncio.timeout(timeout):
            line = await self._process.stdout.readline()
        if not line:
            tail = self._log_path.read_text(errors="replace").splitlines()[-25:]
            raise RuntimeError(
                f"The {self.kind} server exited; the end of its log:\n"
                + "\n".join(tail)
            )
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def stop(self) -> None:
        """Ask the server to quit; kill it if it does not within the timeout."""
        if self._process.returncode is None:
            with contextlib.suppress(Exception):
                await self.command("quit")
            try:
                async with asyncio.timeout(SERVER_STOP_TIMEOUT):
                    await self._process.wait()
            except TimeoutError:
                self._process.kill()
                await self._process.wait()


@dataclass
class Result:
    """The figures of one server under the load."""

    server: str
    chargers: int
    ready: int
    interval: float
    duration: float
    messages: int = 0
    answered: int = 0
    msg_per_s: float = 0.0
    cpu_s: float = 0.0
    cpu_s_per_1000: float | None = None
    cpu_percent: float = 0.0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    errors: dict[str, int] = field(default_factory=dict)
    skipped_slots: int = 0
    server_calls: int = 0
    ramp_s: float = 0.0
    boot_p50_ms: float | None = None
    boot_p99_ms: float | None = None
    generator_cpu_percent: float = 0.0
    server_info: dict[str, Any] = field(default_factory=dict)
    log_warnings: int = 0
    log_excerpt: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        """Return the number of errors of every kind."""
        return sum(self.errors.values())


async def ramp_up(
    chargers: list[Charger], concurrency: int, deadline: float
) -> tuple[list[float], Counter[str]]:
    """Start every charger, ``concurrency`` at a time; return boot RTTs, failures."""
    semaphore = asyncio.Semaphore(concurrency)
    boot_rtts: list[float] = []
    failures: Counter[str] = Counter()

    async def start(charger: Charger) -> None:
        async with semaphore:
            try:
                boot_rtts.append(await charger.start())
            except CallFailedError as err:
                failures[f"setup {err.kind}"] += 1
            except (OSError, TimeoutError, ConnectionClosed) as err:
                failures[f"setup {type(err).__name__}"] += 1

    tasks = [asyncio.create_task(start(charger)) for charger in chargers]
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
        failures["setup ramp timeout"] += 1
    await asyncio.gather(*pending, return_exceptions=True)
    return boot_rtts, failures


def settle_seconds(kind: str, args: argparse.Namespace) -> float:
    """Return the warm-up before the window: ``--settle`` or the default."""
    if args.settle is not None:
        return float(args.settle)
    # HA writes the entity and device registries 10 s after their last change
    # (the ramp-up): that one-off write must not land in the window.
    return HA_SETTLE if kind == "ha" else min(args.interval, HA_SETTLE)


async def sleep_until(when: float) -> None:
    """Sleep until the event loop's clock reads ``when``."""
    await asyncio.sleep(max(0.0, when - asyncio.get_running_loop().time()))


def summarize_log(log_path: Path) -> tuple[int, list[str]]:
    """Count WARNING/ERROR records in a server log; return a few distinct ones."""
    count = 0
    excerpt: list[str] = []
    seen: set[str] = set()
    with log_path.open(errors="replace") as log:
        for line in log:
            if (" WARNING " not in line and " ERROR " not in line) or any(
                expected in line for expected in EXPECTED_LOG_LINES
            ):
                continue
            count += 1
            # Without the timestamp, to tell distinct messages apart.
            message = line.split(" ", 2)[-1].strip()[:240]
            if message not in seen and len(excerpt) < 5:
                seen.add(message)
                excerpt.append(message)
    return count, excerpt


def fill_figures(
    result: Result,
    chargers: list[Charger],
    window: tuple[float, float],
    failures: Counter[str],
) -> None:
    """Set the message counts, round trips and errors of a finished run."""
    records = [
        record
        for charger in chargers
        if charger.transaction_id is not None
        for record in charger.records
    ]
    in_window = [record for record in records if window[0] <= record.sent < window[1]]
    rtts = sorted(record.rtt for record in in_window if record.rtt is not None)
    errors: Counter[str] = Counter(
        record.error for record in records if record.error is not None
    )
    errors.update(failures)
    if lost := sum(charger.lost for charger in chargers):
        errors["connections lost"] = lost
    result.errors = dict(errors)
    result.messages = len(in_window)
    result.answered = len(rtts)
    result.msg_per_s = result.answered / (window[1] - window[0])
    result.p50_ms = _ms(percentile(rtts, 0.5))
    result.p90_ms = _ms(percentile(rtts, 0.9))
    result.p99_ms = _ms(percentile(rtts, 0.99))
    result.max_ms = _ms(rtts[-1] if rtts else None)
    result.skipped_slots = sum(charger.skipped for charger in chargers)
    result.server_calls = sum(charger.server_calls for charger in chargers)


async def _ramp_up_phase(
    kind: str,
    server: ServerProcess,
    chargers: list[Charger],
    args: argparse.Namespace,
    result: Result,
) -> Counter[str]:
    """Bring every charger to a running transaction; return the failures."""
    loop = asyncio.get_running_loop()
    print(f"[{kind}] ramping up {args.chargers} chargers", file=sys.stderr)
    ramp_start = loop.time()
    boot_rtts, failures = await ramp_up(chargers, args.concurrency, args.ramp_timeout)
    await server.command("settle")
    result.ramp_s = loop.time() - ramp_start
    boot_rtts.sort()
    result.boot_p50_ms = _ms(percentile(boot_rtts, 0.5))
    result.boot_p99_ms = _ms(percentile(boot_rtts, 0.99))
    result.ready = sum(charger.transaction_id is not None for charger in chargers)
    print(
        f"[{kind}] {result.ready} chargers ready in {result.ramp_s:.1f} s; "
        f"warming up {settle_seconds(kind, args):g} s, "
        f"then measuring {args.duration:g} s",
        file=sys.stderr,
    )
    return failures


async def _measured_phase(
    kind: str,
    server: ServerProcess,
    chargers: list[Charger],
    args: argparse.Namespace,
    result: Result,
    rng: random.Random,
) -> tuple[float, float]:
    """Run the warm-up and the measured window; return the window."""
    loop = asyncio.get_running_loop()
    profile = kind == "ha" and bool(args.profile)
    start = loop.time() + 0.1
    window_start = start + settle_seconds(kind, args)
    window_end = window_start + args.duration
    senders = [
        asyncio.create_task(
            charger.run_meter_values(
                start + rng.uniform(0, args.interval), args.interval, window_end
            )
        )
        for charger in chargers
        if charger.transaction_id is not None
    ]
    try:
        await sleep_until(window_start)
        if profile:
            await server.command("profile_start")
        begin = await server.command("mark")
        generator_cpu = time.process_time()
        await sleep_until(window_end)
        # The window's last CALLs are answered (or time out) before CPU is read.
        if senders:
            await asyncio.wait(senders, timeout=args.timeout + 5)
        end = await server.command("mark")
        generator_cpu = time.process_time() - generator_cpu
        if profile:
            await server.command("profile_stop")
    finally:
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
    wall = end["wall"] - begin["wall"]
    result.cpu_s = end["cpu"] - begin["cpu"]
    result.cpu_percent = 100 * result.cpu_s / wall if wall > 0 else 0.0
    result.generator_cpu_percent = 100 * generator_cpu / wall if wall > 0 else 0.0
    result.server_info = {
        key: value for key, value in end.items() if key not in {"cmd", "cpu", "wall"}
    }
    return window_start, window_end


async def measure(kind: str, args: argparse.Namespace, log_dir: Path) -> Result:
    """Run the whole load against one server and return its figures."""
    rng = random.Random(args.seed)
    result = Result(
        server=kind,
        chargers=args.chargers,
        ready=0,
        interval=args.interval,
        duration=args.duration,
    )
    lifetime = (
        SERVER_START_TIMEOUT
        + args.ramp_timeout
        + settle_seconds(kind, args)
        + args.duration
        + args.timeout
        + 6 * COMMAND_TIMEOUT
    )
    log_path = log_dir / f"{kind}.log"
    print(f"[{kind}] starting server", file=sys.stderr)
    server, port = await ServerProcess.start(kind, args, log_path, lifetime)
    chargers = [
        Charger(index, f"ws://127.0.0.1:{port}", args.timeout, rng)
        for index in range(1, args.chargers + 1)
    ]
    try:
        failures = await _ramp_up_phase(kind, server, chargers, args, result)
        window = await _measured_phase(kind, server, chargers, args, result, rng)
        fill_figures(result, chargers, window, failures)
        if result.answered:
            result.cpu_s_per_1000 = result.cpu_s / result.answered * 1000
    finally:
        print(f"[{kind}] closing chargers and stopping server", file=sys.stderr)
        await asyncio.gather(
            *(charger.close() for charger in chargers), return_exceptions=True
        )
        await server.stop()
    result.log_warnings, result.log_excerpt = summarize_log(log_path)
    return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def cpu_ratio(results: list[Result]) -> float | None:
    """Return HA CPU per message over bare CPU per message, if both ran."""
    by_server = {result.server: result for result in results}
    if "ha" not in by_server or "bare" not in by_server:
        return None
    ha, bare = by_server["ha"].cpu_s_per_1000, by_server["bare"].cpu_s_per_1000
    if ha is None or not bare:
        return None
    return ha / bare


def report(results: list[Result]) -> str:
    """Return the printed table and the notes under it."""
    header = (
        f"{'chargers':>8}  {'interval':>8}  {'duration':>8}  {'server':<6}  "
        f"{'msgs':>7}  {'msg/s':>7}  {'CPU s/1000 msgs':>15}  {'CPU %':>6}  "
        f"{'p50 ms':>7}  {'p99 ms':>7}  {'max ms':>7}  {'errors':>6}"
    )
    lines = [header]
    for result in results:
        chargers = (
            str(result.chargers)
            if result.ready == result.chargers
            else f"{result.ready}/{result.chargers}"
        )
        lines.append(
            f"{chargers:>8}  {f'{result.interval:g} s':>8}  "
            f"{f'{result.duration:g} s':>8}  {result.server:<6}  "
            f"{result.messages:>7}  {result.msg_per_s:>7.1f}  "
            f"{_fmt(result.cpu_s_per_1000, 3):>15}  {result.cpu_percent:>6.1f}  "
            f"{_fmt(result.p50_ms):>7}  {_fmt(result.p99_ms):>7}  "
            f"{_fmt(result.max_ms):>7}  {result.error_count:>6}"
        )
    ratio = cpu_ratio(results)
    if ratio is not None:
        lines.append(
            f"ratio HA/bare CPU per message: {ratio:.2f} "
            f"(target <= {TARGET_CPU_RATIO:g}: "
            f"{'met' if ratio <= TARGET_CPU_RATIO else 'MISSED'})"
        )
    for result in results:
        if result.server == "ha" and result.p99_ms is not None:
            met = result.p99_ms < TARGET_P99_MS and not result.error_count
            lines.append(
                f"HA p99 {result.p99_ms:.1f} ms with {result.ready} chargers "
                f"(target < {TARGET_P99_MS:g} ms at 1000 chargers, no errors: "
                f"{'met' if met else 'MISSED'})"
            )
    for result in results:
        notes = [
            f"ramp-up {result.ramp_s:.1f} s (boot p50 {_fmt(result.boot_p50_ms)} ms,"
            f" p99 {_fmt(result.boot_p99_ms)} ms)",
            f"load generator CPU {result.generator_cpu_percent:.0f} %",
        ]
        if result.skipped_slots:
            notes.append(f"{result.skipped_slots} send slots skipped (slow answers)")
        if result.server_calls:
            notes.append(f"{result.server_calls} CALLs from the server")
        info = ", ".join(f"{key} {value}" for key, value in result.server_info.items())
        if info:
            notes.append(info)
        lines.append(f"{result.server}: " + "; ".join(notes))
        if result.errors:
            lines.append(
                f"{result.server}: ERRORS "
                + ", ".join(f"{kind} {count}" for kind, count in result.errors.items())
            )
        if result.log_warnings:
            lines.append(
                f"{result.server}: {result.log_warnings} warning/error log lines, e.g.:"
            )
            lines.extend(f"    {line}" for line in result.log_excerpt)
    return "\n".join(lines)


def profile_report(path: str, limit: int = 15) -> str:
    """Return the top functions of a pstats file: ours/HA's, then overall."""
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("cumulative")
    out.write(f"--- top {limit} cumulative (ocpp_csms, homeassistant) ---\n")
    stats.print_stats(r"ocpp_csms|homeassistant", limit)
    stats.sort_stats("tottime")
    out.write(f"--- top {limit} own time (all code but the idle epoll wait) ---\n")
    stats.print_stats(r"^(?!.*select\.epoll)", limit)
    return out.getvalue()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--chargers", type=int, default=200, help="simulated chargers (200)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=10.0,
        help="seconds between two MeterValues of a charger (10)",
    )
    parser.add_argument(
        "--duration", type=float, default=60.0, help="measured seconds (60)"
    )
    parser.add_argument(
        "--servers",
        default="bare,ha",
        help="comma-separated servers to measure, in order: bare, ha (bare,ha)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--settle",
        type=float,
        default=None,
        help="seconds of load after ramp-up before measuring (default: 15 for ha, "
        "which covers the registries' delayed writes; one interval, at most 15, "
        "for bare)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=50,
        help="chargers connecting and booting at the same time (50)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for a CALLRESULT or a connection (30)",
    )
    parser.add_argument(
        "--ramp-timeout",
        type=float,
        default=600.0,
        help="seconds allowed for connecting and booting all chargers (600)",
    )
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="cProfile the HA process's event loop during the measured window "
        "and write pstats to PATH (inflates HA's CPU figures)",
    )
    parser.add_argument(
        "--recorder",
        action="store_true",
        help="also run HA's recorder (SQLite), as a real installation does",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed (offsets, values) (1)"
    )
    parser.add_argument(
        "--log-dir",
        metavar="DIR",
        help="keep the server processes' logs here (default: a temporary "
        "directory, removed at the end; warnings are summarized)",
    )
    args = parser.parse_args(argv)
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    if not servers or any(name not in SERVERS for name in servers):
        parser.error(f"--servers takes a list of {', '.join(SERVERS)}")
    args.servers = servers
    for name in ("chargers", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    for name in ("interval", "duration", "timeout", "ramp_timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.settle is not None and args.settle < 0:
        parser.error("--settle must not be negative")
    if args.profile:
        # The server process runs in the repository root.
        args.profile = str(Path(args.profile).resolve())
    return args


async def run(args: argparse.Namespace) -> list[Result]:
    """Measure every requested server, one after the other."""
    if args.log_dir:
        return [await measure(kind, args, Path(args.log_dir)) for kind in args.servers]
    temp_dir = Path(tempfile.mkdtemp(prefix="ocpp_bench_logs_"))
    try:
        return [await measure(kind, args, temp_dir) for kind in args.servers]
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when any error was counted."""
    args = parse_args(argv)
    limit = raise_fd_limit()
    # Each charger is one socket here and one in the server process.
    if limit < args.chargers + 100:
        print(
            f"Open-files limit {limit} is too low for {args.chargers} chargers",
            file=sys.stderr,
        )
        return 2
    if args.log_dir:
        Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    results = asyncio.run(run(args))
    print(report(results))
    if args.profile and any(result.server == "ha" for result in results):
        print(
            f"\nprofile of the HA event loop during the window: {args.profile}\n"
            "(the profiler slows HA down: its CPU and latency figures above are "
            "inflated; measure without --profile)"
        )
        print(profile_report(args.profile))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "config": {
                        key: value
                        for key, value in vars(args).items()
                        if key not in {"json", "log_dir"}
                    },
                    "results": [asdict(result) for result in results],
                    "cpu_ratio_ha_bare": cpu_ratio(results),
                    "targets": {
                        "p99_ms": TARGET_P99_MS,
                        "cpu_ratio": TARGET_CPU_RATIO,
                    },
                },
                indent=2,
            )
            + "\n"
        )
    return 1 if any(result.error_count for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
