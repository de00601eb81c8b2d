"""The charger owns its transactions: a boot does not end them (GUIDE §5 29).

A reboot (or an HA restart the charger answers with a BootNotification) marks
the running transaction interrupted; the charger then resumes it, ends it from
its queue, starts another one, or leaves its EVSE idle past the resumption
window. Only in the last two cases do we close it ourselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.loader import DATA_CUSTOM_COMPONENTS
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.ocpp_csms.csms.tracker import (
    DEFAULT_RESUMPTION_WINDOW_S,
    REASON_IDLE_AFTER_REBOOT,
    REASON_NEW_TRANSACTION,
)
from simulator import ChargePointSimulator
from simulator.device_model import TX_RESUMPTION_TIMEOUT_S

from .conftest import SimulatorFactory
from .helpers import Clock, accepted_charger, meter_v16, start_v16, state

BOOT_V16 = {"chargePointVendor": "OcppCsmsSim", "chargePointModel": "SimCharger"}
BOOT_V201 = {
    "chargingStation": {"vendorName": "OcppCsmsSim", "model": "SimCharger"},
    "reason": "PowerUp",
}


def _energy(hass: HomeAssistant) -> float:
    """Return the Energy sensor in Wh (it shows kWh)."""
    return round(float(state(hass, "sensor", "CP_1_1_energy")) * 1000, 3)


def _session_energy(hass: HomeAssistant) -> float:
    """Return the session energy sensor in Wh (it shows kWh)."""
    return round(float(state(hass, "sensor", "CP_1_1_session_energy")) * 1000, 3)


def _event_v201(
    clock: Clock,
    event: str,
    seq_no: int,
    wh: float,
    *,
    evse: bool = False,
    info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a TransactionEvent of transaction TX-1 with an energy register."""
    payload: dict[str, Any] = {
        "eventType": event,
        "timestamp": clock.advance(minutes=10),
        "triggerReason": "MeterValuePeriodic" if event == "Updated" else "EVDetected",
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": "TX-1"} | (info or {}),
        "meterValue": [
            {
                "timestamp": clock.iso(),
                "sampledValue": [
                    {
                        "value": wh,
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"unit": "Wh"},
                    }
                ],
            }
        ],
    }
    if evse:
        payload["evse"] = {"id": 1, "connectorId": 1}
    return payload


@pytest.fixture
async def second_life(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> AsyncIterator[Any]:
    """Return a function that restarts Home Assistant: stop it, start anew.

    The first core stops as HA does (the config entries, our Store and the
    restore state are written); the second core loads the config entries
    from that storage and sets the hub up from them. (The test harness does
    not reload the entity and device registries: they are built anew.)
    """
    started: list[Any] = []

    async def _restart() -> HomeAssistant:
        await hass.async_stop()
        context = async_test_home_assistant(config_dir=hass.config.config_dir)
        started.append(context)
        new = await context.__aenter__()
        new.data.pop(DATA_CUSTOM_COMPONENTS)
        await new.config_entries.async_initialize()
        entry = new.config_entries.async_get_entry(loaded_hub.entry_id)
        assert entry is not None
        assert entry.subentries  # the accepted charger came back with it
        assert await new.config_entries.async_setup(entry.entry_id)
        await new.async_block_till_done()
        return new

    yield _restart
    for context in started:
        await context.__aexit__(None, None, None)


async def test_ha_restart_and_charger_boot_keep_the_session(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    second_life: Any,
) -> None:
    """The issue's scenario: 7.0 kWh on the meter, one 2.0 kWh session.

    Started 5000 Wh, Updated 6000 Wh; Home Assistant restarts; the charger
    reconnects with BootNotification (PowerUp), then Updated 6500 Wh and
    Ended 7000 Wh, neither carrying ``evse``.
    """
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    clock = Clock()
    await sim.call(
        "TransactionEvent",
        _event_v201(
            clock, "Started", 0, 5000, evse=True, info={"chargingState": "Charging"}
        ),
    )
    await sim.call("TransactionEvent", _event_v201(clock, "Updated", 1, 6000))
    assert _energy(hass) == 6000

    restarted: HomeAssistant = await second_life()
    ended = async_capture_events(restarted, "ocpp_csms_session_ended")
    await sim.reconnect()
    assert (await sim.call("BootNotification", BOOT_V201))["status"] == "Accepted"
    await restarted.async_block_till_done()
    assert ended == []
    assert state(restarted, "sensor", "CP_1_1_transaction_id") == "TX-1"
    await sim.call("TransactionEvent", _event_v201(clock, "Updated", 2, 6500))
    assert _energy(restarted) == 6500
    await sim.call(
        "TransactionEvent",
        _event_v201(clock, "Ended", 3, 7000, info={"stoppedReason": "EVDisconnected"}),
    )
    await restarted.async_block_till_done()
    assert _energy(restarted) == 7000
    assert _session_energy(restarted) == 2000
    (event,) = ended
    assert event.data["energy_kwh"] == 2.0
    assert event.data["stop_reason"] == "EVDisconnected"
    assert event.data["interrupted"] is True
    assert event.data["transaction_id"] == "TX-1"


async def _reboot_v16(hass: HomeAssistant, sim: ChargePointSimulator) -> None:
    assert (await sim.call("BootNotification", BOOT_V16))["status"] == "Accepted"
    await hass.async_block_till_done()


async def _status_v16(sim: ChargePointSimulator, status: str) -> None:
    await sim.call(
        "StatusNotification",
        {"connectorId": 1, "errorCode": "NoError", "status": status},
    )


async def _rebooted_after_900_wh(
    hass: HomeAssistant, start_simulator: SimulatorFactory
) -> tuple[ChargePointSimulator, Clock, int]:
    """Start a 1.6 session, meter 900 Wh, then the charger boots again."""
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    transaction = await start_v16(sim, clock, 0)
    await sim.call(
        "MeterValues",
        meter_v16(1, clock.advance(minutes=5), 900, transaction_id=transaction),
    )
    await _reboot_v16(hass, sim)
    return sim, clock, transaction


async def test_queued_stop_after_reboot_ends_the_session_once(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """1.6: the queue after the boot carries the meter and the true end."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim, clock, transaction = await _rebooted_after_900_wh(hass, start_simulator)
    assert ended == []
    assert state(hass, "sensor", "CP_1_1_transaction_id") == str(transaction)
    await sim.call(
        "MeterValues",
        meter_v16(1, clock.advance(minutes=1), 950, transaction_id=transaction),
    )
    await sim.call(
        "StopTransaction",
        {
            "transactionId": transaction,
            "meterStop": 1000,
            "timestamp": clock.advance(minutes=1),
            "reason": "PowerLoss",
        },
    )
    await hass.async_block_till_done()
    (event,) = ended
    assert event.data["energy_kwh"] == 1.0
    assert event.data["stop_reason"] == "PowerLoss"
    assert event.data["interrupted"] is True
    assert _energy(hass) == 1000


async def test_idle_after_reboot_closes_the_session_and_a_late_stop_corrects_it(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """No cable past the resumption window: we close it; its late end still counts."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim, clock, transaction = await _rebooted_after_900_wh(hass, start_simulator)
    tracker = loaded_hub.runtime_data.central.tracker("CP_1")
    assert tracker.resumption_deadline(1) is None
    before = dt_util.utcnow()
    await _status_v16(sim, "Available")
    deadline = tracker.resumption_deadline(1)
    assert deadline is not None
    assert before + timedelta(seconds=DEFAULT_RESUMPTION_WINDOW_S) <= deadline
    assert ended == []
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=DEFAULT_RESUMPTION_WINDOW_S + 1)
    )
    await hass.async_block_till_done()
    (event,) = ended
    assert event.data["stop_reason"] == REASON_IDLE_AFTER_REBOOT
    assert event.data["energy_kwh"] == 0.9
    assert state(hass, "sensor", "CP_1_1_transaction_id") == "unknown"

    # Its StopTransaction was queued after all: the register counts, the
    # session is corrected, and it is not reported twice.
    result = await sim.call(
        "StopTransaction",
        {"transactionId": transaction, "meterStop": 1200, "timestamp": clock.iso()},
    )
    assert result == {}
    await hass.async_block_till_done()
    assert len(ended) == 1
    assert _energy(hass) == 1200
    assert _session_energy(hass) == 1200


async def test_cable_back_in_stops_the_resumption_clock(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Idle, then plugged again within the window: the transaction stays."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    await start_v16(sim, clock, 0)
    await _reboot_v16(hass, sim)
    await _status_v16(sim, "Available")
    await _status_v16(sim, "SuspendedEV")
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=DEFAULT_RESUMPTION_WINDOW_S + 1)
    )
    await hass.async_block_till_done()
    assert ended == []


async def test_new_transaction_after_reboot_closes_the_interrupted_one(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A new start on the same connector ends the old one, with a reason saying so."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    first = await start_v16(sim, clock, 0)
    await sim.call(
        "MeterValues", meter_v16(1, clock.advance(minutes=5), 700, transaction_id=first)
    )
    await _reboot_v16(hass, sim)
    clock.advance(minutes=1)
    second = await start_v16(sim, clock, 700)
    await hass.async_block_till_done()
    (event,) = ended
    assert event.data["transaction_id"] == str(first)
    assert event.data["stop_reason"] == REASON_NEW_TRANSACTION
    assert event.data["energy_kwh"] == 0.7
    assert state(hass, "sensor", "CP_1_1_transaction_id") == str(second)


async def test_v201_queued_events_of_ended_transaction_keep_its_evse(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """An Updated delivered after the Ended (out of order) lands on its EVSE."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    clock = Clock()
    await sim.call(
        "TransactionEvent", _event_v201(clock, "Started", 0, 1000, evse=True)
    )
    late = _event_v201(clock, "Updated", 1, 1400)
    final = _event_v201(clock, "Ended", 2, 1400, info={"stoppedReason": "Local"})
    del final["meterValue"]
    await sim.call("TransactionEvent", final)
    await hass.async_block_till_done()
    assert _session_energy(hass) == 0
    await sim.call("TransactionEvent", late)
    await hass.async_block_till_done()
    assert len(ended) == 1
    assert _energy(hass) == 1400
    assert _session_energy(hass) == 400
    # Its status is not brought back to life by the late event.
    assert state(hass, "sensor", "CP_1_1_transaction_id") == "unknown"


@pytest.mark.parametrize(
    ("version", "window"),
    [("2.0.1", DEFAULT_RESUMPTION_WINDOW_S), ("2.1", float(TX_RESUMPTION_TIMEOUT_S))],
)
async def test_resumption_window_follows_the_chargers_tx_resumption_timeout(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
    window: float,
) -> None:
    """2.1 stations say how long they try to resume (TxCtrlr); we wait that long."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    await sim.wait_for_call("GetVariables")  # smart-charging settings
    if version == "2.1":
        call = await sim.wait_for_call("GetVariables")
        assert call.payload["getVariableData"][0]["component"]["name"] == "TxCtrlr"
    # A round trip after the answer: the core has taken it in by then.
    await sim.heartbeat()
    tracker = loaded_hub.runtime_data.central.tracker("CP_1")
    assert tracker.resumption_window_s == window


async def test_v201_started_delivered_after_its_updated_moves_the_start_back(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Out-of-order queue: Updated first, then its Started; the session counts from the start."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    clock = Clock()
    started = _event_v201(clock, "Started", 0, 1000, evse=True)
    updated = _event_v201(clock, "Updated", 1, 1200, evse=True)
    await sim.call("TransactionEvent", updated)
    assert _session_energy(hass) == 0
    await sim.call("TransactionEvent", started)
    await hass.async_block_till_done()
    assert _session_energy(hass) == 200
    await sim.call(
        "TransactionEvent",
        _event_v201(clock, "Ended", 2, 1500, info={"stoppedReason": "Local"}),
    )
    await hass.async_block_till_done()
    (event,) = ended
    assert event.data["energy_kwh"] == 0.5
    assert event.data["started_at"] == started["timestamp"].replace("Z", "+00:00")
