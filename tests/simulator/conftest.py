"""A tiny throwaway CSMS for the simulator tests, built on the ocpp library.

It is deliberately independent of custom_components.ocpp_csms: the simulator
is tested against the library's central-system side only.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import itertools
from typing import Any

from ocpp.exceptions import InternalError
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16, call_result as result16
from ocpp.v21 import ChargePoint as Cp21
from ocpp.v201 import ChargePoint as Cp201
import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from simulator import ChargePointSimulator, SimulatorConfig


@pytest.fixture(autouse=True)
def _allow_localhost_sockets(request: pytest.FixtureRequest) -> None:
    """pytest-socket (enabled by the HA test plugin) blocks sockets; allow them.

    The HA plugin already restricts connections to 127.0.0.1.
    """
    if request.config.pluginmanager.has_plugin("socket"):
        request.getfixturevalue("socket_enabled")


@pytest.fixture(autouse=True)
async def _no_lingering_tasks() -> AsyncIterator[None]:
    """After the simulators and the CSMS stopped, no task may be left running."""
    before = asyncio.all_tasks()
    yield
    current = asyncio.current_task()
    lingering = [t for t in asyncio.all_tasks() - before if t is not current]
    assert not lingering, f"lingering tasks: {lingering}"


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Recorder:
    """Requests the charger sent, per action, for tests to await in order."""

    def __init__(self) -> None:
        self.queues: defaultdict[str, asyncio.Queue[dict[str, Any]]] = defaultdict(
            asyncio.Queue
        )

    def put(self, action: str, payload: dict[str, Any]) -> None:
        self.queues[action].put_nowait(payload)

    async def next(self, action: str, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            return await self.queues[action].get()

    def pending(self, action: str) -> int:
        return self.queues[action].qsize()


@dataclass
class Behaviour:
    """How the CSMS answers: boot answers in order (status, interval), then Accepted."""

    boots: list[tuple[str, int]] = field(default_factory=list)
    heartbeat_interval: int = 300
    # Answer this many TransactionEvents with a CALLERROR (InternalError).
    refuse_transaction_events: int = 0
    tx_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def boot(self) -> tuple[str, int]:
        return (
            self.boots.pop(0) if self.boots else ("Accepted", self.heartbeat_interval)
        )


class Csms16(Cp16):  # type: ignore[misc]
    def __init__(self, cp_id: str, ws: Any, rec: Recorder, beh: Behaviour) -> None:
        super().__init__(cp_id, ws)
        self.rec, self.beh = rec, beh

    @on("BootNotification")
    def on_boot(self, **kw: Any) -> Any:
        self.rec.put("BootNotification", kw)
        status, interval = self.beh.boot()
        return result16.BootNotification(
            current_time=now(), interval=interval, status=status
        )

    @on("Heartbeat")
    def on_heartbeat(self, **kw: Any) -> Any:
        self.rec.put("Heartbeat", kw)
        return result16.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, **kw: Any) -> Any:
        self.rec.put("StatusNotification", kw)
        return result16.StatusNotification()

    @on("Authorize")
    def on_authorize(self, **kw: Any) -> Any:
        self.rec.put("Authorize", kw)
        return result16.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    def on_start(self, **kw: Any) -> Any:
        self.rec.put("StartTransaction", kw)
        return result16.StartTransaction(
            transaction_id=next(self.beh.tx_ids), id_tag_info={"status": "Accepted"}
        )

    @on("StopTransaction")
    def on_stop(self, **kw: Any) -> Any:
        self.rec.put("StopTransaction", kw)
        return result16.StopTransaction()

    @on("MeterValues")
    def on_meter_values(self, **kw: Any) -> Any:
        self.rec.put("MeterValues", kw)
        return result16.MeterValues()


class Csms2x:
    """2.0.1 and 2.1 handlers (answers from the version's call_result module)."""

    rec: Recorder
    beh: Behaviour
    _call_result: Any

    @on("BootNotification")
    def on_boot(self, **kw: Any) -> Any:
        self.rec.put("BootNotification", kw)
        status, interval = self.beh.boot()
        return self._call_result.BootNotification(
            current_time=now(), interval=interval, status=status
        )

    @on("Heartbeat")
    def on_heartbeat(self, **kw: Any) -> Any:
        self.rec.put("Heartbeat", kw)
        return self._call_result.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, **kw: Any) -> Any:
        self.rec.put("StatusNotification", kw)
        return self._call_result.StatusNotification()

    @on("Authorize")
    def on_authorize(self, **kw: Any) -> Any:
        self.rec.put("Authorize", kw)
        return self._call_result.Authorize(id_token_info={"status": "Accepted"})

    @on("TransactionEvent")
    def on_transaction_event(self, **kw: Any) -> Any:
        if self.beh.refuse_transaction_events > 0:
            self.beh.refuse_transaction_events -= 1
            raise InternalError(description="refused by the test")
        self.rec.put("TransactionEvent", kw)
        return self._call_result.TransactionEvent()

    @on("MeterValues")
    def on_meter_values(self, **kw: Any) -> Any:
        self.rec.put("MeterValues", kw)
        return self._call_result.MeterValues()

    @on("NotifyReport")
    def on_notify_report(self, **kw: Any) -> Any:
        self.rec.put("NotifyReport", kw)
        return self._call_result.NotifyReport()


class Csms201(Csms2x, Cp201):  # type: ignore[misc]
    def __init__(self, cp_id: str, ws: Any, rec: Recorder, beh: Behaviour) -> None:
        Cp201.__init__(self, cp_id, ws)
        self.rec, self.beh = rec, beh


class Csms21(Csms2x, Cp21):  # type: ignore[misc]
    def __init__(self, cp_id: str, ws: Any, rec: Recorder, beh: Behaviour) -> None:
        Cp21.__init__(self, cp_id, ws)
        self.rec, self.beh = rec, beh


_CLASSES = {"ocpp1.6": Csms16, "ocpp2.0.1": Csms201, "ocpp2.1": Csms21}


@dataclass
class Harness:
    """A running CSMS: its URL, what it received and its charger connections."""

    url: str
    rec: Recorder
    beh: Behaviour
    connections: asyncio.Queue[Any]

    async def central(self, timeout: float = 5.0) -> Any:
        """The CSMS-side ChargePoint of the next charger connection."""
        async with asyncio.timeout(timeout):
            return await self.connections.get()

    def config(self, **kwargs: Any) -> SimulatorConfig:
        kwargs.setdefault("charger_id", "CP_1")
        return SimulatorConfig(url=self.url, call_timeout=5.0, **kwargs)


def _handler(harness: Harness) -> Callable[[ServerConnection], Awaitable[None]]:
    async def handler(ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else "/"
        central = _CLASSES[str(ws.subprotocol)](
            path.strip("/"), ws, harness.rec, harness.beh
        )
        harness.connections.put_nowait(central)
        with contextlib.suppress(ConnectionClosed):
            await central.start()

    return handler


@pytest.fixture
async def csms() -> AsyncIterator[Harness]:
    harness = Harness("", Recorder(), Behaviour(), asyncio.Queue())
    async with serve(
        _handler(harness), "127.0.0.1", 0, subprotocols=list(_CLASSES)[::-1]
    ) as server:
        port = server.sockets[0].getsockname()[1]
        harness.url = f"ws://127.0.0.1:{port}"
        yield harness


class FlakyCsms(Harness):
    """A CSMS that can go away and come back on the same port."""

    def __init__(self) -> None:
        super().__init__("", Recorder(), Behaviour(), asyncio.Queue())
        self._server: Server | None = None
        self._port = 0

    async def up(self) -> None:
        self._server = await serve(
            _handler(self), "127.0.0.1", self._port, subprotocols=list(_CLASSES)[::-1]
        )
        self._port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{self._port}"

    async def down(self) -> None:
        """Stop listening and close every connection (going away)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


@pytest.fixture
async def flaky_csms() -> AsyncIterator[FlakyCsms]:
    server = FlakyCsms()
    await server.up()
    yield server
    await server.down()


@pytest.fixture
async def sim_factory() -> AsyncIterator[Any]:
    """Create simulators that are always stopped at the end of the test."""
    sims: list[ChargePointSimulator] = []

    async def make(config: SimulatorConfig) -> ChargePointSimulator:
        sim = ChargePointSimulator(config)
        sims.append(sim)
        await sim.start()
        return sim

    yield make
    for sim in sims:
        await sim.stop()
