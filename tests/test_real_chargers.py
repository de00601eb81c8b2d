"""Replay what real chargers sent (tests/real_chargers/*.json) against the hub.

Each corpus file holds OCPP-J CALL frames copied from public logs of one charger
model. A raw WebSocket client sends every frame text unchanged and checks that
the hub answers each one with a CALLRESULT whose payload is valid for the
action, then compares the entities with what the frames imply. The hub's own
calls to the charger (GetConfiguration, GetVariables, ...) are refused with a
NotSupported CALLERROR, as a charger that supports none of them would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_conversion import EnergyConverter
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    DOMAIN,
)
from custom_components.ocpp_csms.csms.const import OcppVersion
from custom_components.ocpp_csms.csms.validation import load_schemas, schema_error

from .helpers import entity_id, state

CORPUS = Path(__file__).parent / "real_chargers"
CORPUS_FILES = sorted(CORPUS.glob("*.json"))
REPLY_TIMEOUT = 10.0
CALL, CALLRESULT, CALLERROR = 2, 3, 4


@dataclass(frozen=True, kw_only=True)
class ExpectedEvse:
    """What the frames imply for one EVSE; None where they imply nothing."""

    energy_wh: float | None
    status: str | None
    session_open: bool | None
    last_session_energy_wh: float | None
    # True where the frames carry no energy register for this EVSE at all:
    # the energy sensor, if it exists, must then stay unknown.
    no_energy_register: bool = False


@dataclass(frozen=True, kw_only=True)
class Recording:
    """One corpus file: a charger model's frames and what they imply."""

    vendor: str
    model: str
    version: OcppVersion
    frames: tuple[str, ...]
    evses: dict[int, ExpectedEvse]

    @classmethod
    def load(cls, path: Path) -> Recording:
        """Read a corpus file."""
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            vendor=data["vendor"],
            model=data["model"],
            version=OcppVersion("ocpp" + data["ocpp_version"]),
            frames=tuple(data["frames"]),
            evses={
                int(evse_id): ExpectedEvse(**expected)
                for evse_id, expected in data["expect"]["evses"].items()
            },
        )

    def minimal_boot(self) -> str:
        """Return a BootNotification built from vendor and model only."""
        if self.version is OcppVersion.V16:
            payload: dict[str, Any] = {
                "chargePointVendor": self.vendor,
                "chargePointModel": self.model,
            }
        else:
            payload = {
                "reason": "PowerUp",
                "chargingStation": {"vendorName": self.vendor, "model": self.model},
            }
        return json.dumps([CALL, "replay-boot", "BootNotification", payload])


class RawCharger:
    """A raw OCPP-J client: sends frame texts as stored, matches the replies.

    A background reader answers every CALL of the hub with a CALLERROR and
    hands each reply to the send that waits for its message id. Frames are
    sent one at a time, so a message id repeated by a file is never awaited
    twice at once.
    """

    def __init__(self, websocket: ClientConnection) -> None:
        """Start reading the connection."""
        self._websocket = websocket
        self._waiting: dict[str, asyncio.Future[list[Any]]] = {}
        self.unexpected: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self._websocket:
                message = json.loads(raw)
                if message[0] == CALL:
                    await self._websocket.send(
                        json.dumps(
                            [CALLERROR, message[1], "NotSupported", "Replay only", {}]
                        )
                    )
                    continue
                waiter = self._waiting.pop(message[1], None)
                if waiter is None:
                    self.unexpected.append(str(raw))
                else:
                    waiter.set_result(message)

    async def send(self, text: str) -> list[Any]:
        """Send one frame text unchanged; return the hub's reply to it."""
        message_id = json.loads(text)[1]
        waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = waiter
        await self._websocket.send(text)
        async with asyncio.timeout(REPLY_TIMEOUT):
            return await waiter

    async def close(self) -> None:
        """Close the connection and stop reading."""
        await self._websocket.close()
        await self._reader


@pytest.fixture
def hub_options() -> dict[str, Any]:
    """Accept every charger at its first boot."""
    return {CONF_HEARTBEAT_INTERVAL: 300, CONF_AUTO_ACCEPT: True}


@pytest.fixture(autouse=True)
async def schemas(hass: HomeAssistant) -> None:
    """Load the official schemas the replies are checked against."""
    await hass.async_add_executor_job(load_schemas)


@contextlib.asynccontextmanager
async def raw_charger(
    hub_port: int, charger_id: str, version: OcppVersion
) -> AsyncIterator[RawCharger]:
    """Connect a raw client with the recording's subprotocol."""
    websocket = await connect(
        f"ws://127.0.0.1:{hub_port}/{charger_id}",
        subprotocols=[Subprotocol(version.value)],
    )
    assert websocket.subprotocol == version.value
    charger = RawCharger(websocket)
    try:
        yield charger
    finally:
        await charger.close()


def assert_valid_result(version: OcppVersion, frame: str, reply: list[Any]) -> None:
    """Assert the reply is a CALLRESULT whose payload fits the action."""
    action = json.loads(frame)[2]
    assert reply[0] == CALLRESULT, f"{action} answered with {reply}"
    error = schema_error(version, action, reply[2], request=False)
    assert error is None, f"{action} result {reply[2]} is invalid: {error}"


def energy_wh(hass: HomeAssistant, unique_id: str) -> float:
    """Return an energy sensor's state in Wh, whatever unit it displays."""
    current = hass.states.get(entity_id(hass, "sensor", unique_id))
    assert current is not None, unique_id
    return EnergyConverter.convert(
        float(current.state),
        current.attributes[ATTR_UNIT_OF_MEASUREMENT],
        UnitOfEnergy.WATT_HOUR,
    )


def assert_evse(
    hass: HomeAssistant, charger_id: str, evse_id: int, expected: ExpectedEvse
) -> None:
    """Compare one EVSE's entities with what the frames imply."""
    prefix = f"{charger_id}_{evse_id}"
    if expected.status is not None:
        assert state(hass, "sensor", f"{prefix}_status") == expected.status
    if expected.energy_wh is not None:
        energy = energy_wh(hass, f"{prefix}_energy")
        assert energy == pytest.approx(expected.energy_wh)
    if expected.no_energy_register:
        found = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{prefix}_energy"
        )
        current = hass.states.get(found) if found else None
        assert current is None or current.state == "unknown", current
    if expected.session_open is not None:
        transaction = state(hass, "sensor", f"{prefix}_transaction_id")
        assert (transaction != "unknown") is expected.session_open, transaction
    if expected.last_session_energy_wh is not None:
        session = energy_wh(hass, f"{prefix}_session_energy")
        assert session == pytest.approx(expected.last_session_energy_wh)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
async def test_real_charger_frames_are_answered_and_understood(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, path: Path
) -> None:
    """Every recorded frame gets a valid CALLRESULT; entities match the frames."""
    recording = Recording.load(path)
    charger_id = path.stem
    async with raw_charger(hub_port, charger_id, recording.version) as charger:
        if json.loads(recording.frames[0])[2] != "BootNotification":
            # The log starts after the boot: register with a minimal one first.
            boot = recording.minimal_boot()
            reply = await charger.send(boot)
            assert_valid_result(recording.version, boot, reply)
            assert reply[2]["status"] == "Accepted"
        for frame in recording.frames:
            reply = await charger.send(frame)
            assert_valid_result(recording.version, frame, reply)
        await hass.async_block_till_done()
        assert charger.unexpected == []
        for evse_id, expected in recording.evses.items():
            assert_evse(hass, charger_id, evse_id, expected)


def test_corpus_files_are_complete() -> None:
    """Each file names its source and version and holds CALL frames only."""
    assert len(CORPUS_FILES) >= 15
    for path in CORPUS_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["source"].startswith("https://"), path.name
        assert data["note"], path.name
        assert path.stem.endswith(data["ocpp_version"]), path.name
        for frame in data["frames"]:
            message = json.loads(frame)
            assert message[0] == CALL, (path.name, frame)
            assert isinstance(message[3], dict), (path.name, frame)
