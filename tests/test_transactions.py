"""Transactions, de-duplication, late messages and authorization (GUIDE §5 25-30)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.ocpp_csms.const import (
    AUTH_LISTED_TAGS,
    CONF_ALLOWED_TAGS,
    CONF_AUTHORIZATION,
)
from simulator import ChargePointSimulator

from .conftest import SimulatorFactory
from .helpers import Clock, accepted_charger, entity_id, state


async def _start_v16(sim: ChargePointSimulator, clock: Clock, tag: str = "T1") -> Any:
    return await sim.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": tag, "meterStart": 100, "timestamp": clock.iso()},
    )


async def test_v16_start_retried_with_new_message_id_counts_once(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Same content, new message id: same transaction, one session event."""
    started = async_capture_events(hass, "ocpp_csms_session_started")
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    first = await _start_v16(sim, clock)
    again = await _start_v16(sim, clock)
    assert first == again
    await hass.async_block_till_done()
    assert len(started) == 1
    assert started[0].data["transaction_id"] == str(first["transactionId"])
    assert started[0].data["id_tag"] == "T1"
    assert started[0].data["device_id"]


async def test_v16_late_offline_start_is_accepted(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A start sent hours later (offline queue) keeps its own timestamp."""
    started = async_capture_events(hass, "ocpp_csms_session_started")
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    clock.advance(hours=-5)
    result = await _start_v16(sim, clock)
    assert result["idTagInfo"]["status"] == "Accepted"
    await hass.async_block_till_done()
    assert started[0].data["started_at"] == clock.now.isoformat()


@pytest.mark.parametrize(
    ("extra", "answer"),
    [({}, {}), ({"idTag": "T1"}, {"idTagInfo": {"status": "Accepted"}})],
)
async def test_v16_stop_of_unknown_transaction_is_acknowledged(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    extra: dict[str, Any],
    answer: dict[str, Any],
) -> None:
    """StopTransaction for a transaction we never saw is answered normally."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator)
    result = await sim.call(
        "StopTransaction",
        {"transactionId": 4242, "meterStop": 10, "timestamp": Clock().iso()} | extra,
    )
    assert result == answer
    await hass.async_block_till_done()
    assert ended == []


def _event(
    clock: Clock,
    event_type: str,
    seq_no: int,
    transaction_id: str = "TX-1",
    *,
    wh: float | None = None,
    charging_state: str | None = None,
    stopped_reason: str | None = None,
    evse: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    info: dict[str, Any] = {"transactionId": transaction_id}
    if charging_state:
        info["chargingState"] = charging_state
    if stopped_reason:
        info["stoppedReason"] = stopped_reason
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": clock.iso(),
        "triggerReason": "Authorized"
        if event_type == "Started"
        else "MeterValuePeriodic",
        "seqNo": seq_no,
        "transactionInfo": info,
    } | extra
    if evse:
        payload["evse"] = {"id": 1, "connectorId": 1}
    if wh is not None:
        payload["meterValue"] = [
            {
                "timestamp": clock.iso(),
                "sampledValue": [
                    {"value": wh, "measurand": "Energy.Active.Import.Register"}
                ],
            }
        ]
    return payload


async def test_v201_transaction_events_dedup_gaps_and_order(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """seqNo retries count once; gaps and reordering do not break the session."""
    started = async_capture_events(hass, "ocpp_csms_session_started")
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    clock = Clock()
    await sim.call(
        "TransactionEvent",
        _event(clock, "Started", 0, wh=1_000, charging_state="Charging"),
    )
    # The same message retried with a new message id.
    await sim.call(
        "TransactionEvent",
        _event(clock, "Started", 0, wh=1_000, charging_state="Charging"),
    )
    clock.advance(minutes=10)
    await sim.call("TransactionEvent", _event(clock, "Updated", 5, wh=2_000))
    # An older event (stamped 5 minutes earlier) arriving late, then a gap.
    clock.advance(minutes=-5)
    await sim.call("TransactionEvent", _event(clock, "Updated", 3, wh=1_500))
    clock.advance(minutes=15)
    await sim.call(
        "TransactionEvent",
        _event(
            clock, "Ended", 9, wh=3_000, stopped_reason="EVDisconnected", evse=False
        ),
    )
    await hass.async_block_till_done()
    assert len(started) == 1
    assert len(ended) == 1
    assert ended[0].data["stop_reason"] == "EVDisconnected"
    assert ended[0].data["energy_kwh"] == 2.0
    assert state(hass, "sensor", "CP_1_1_energy") == "3.0"


async def test_v201_offline_transaction_without_started(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """An Updated for an unseen transaction starts it; seqNo restarts per session."""
    started = async_capture_events(hass, "ocpp_csms_session_started")
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    clock = Clock()
    await sim.call(
        "TransactionEvent",
        _event(clock, "Updated", 4, "OFFLINE-1", wh=500, offline=True),
    )
    await sim.call(
        "TransactionEvent",
        _event(clock, "Ended", 5, "OFFLINE-1", wh=800, evse=False),
    )
    await sim.call("TransactionEvent", _event(clock, "Started", 0, "TX-2", wh=800))
    await hass.async_block_till_done()
    assert [event.data["transaction_id"] for event in started] == ["OFFLINE-1", "TX-2"]
    assert state(hass, "sensor", "CP_1_1_transaction_id") == "TX-2"
    # Ended for a transaction nobody knows: acknowledged.
    assert await sim.call("TransactionEvent", _event(clock, "Ended", 1, "GHOST")) == {}


async def test_v201_meter_values_outside_transaction(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """MeterValues outside a transaction update the EVSE; EVSE 0 is ignored."""
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    sampled = [
        {
            "value": 7_200,
            "measurand": "Power.Active.Import",
            "unitOfMeasure": {"unit": "W"},
        },
        {
            "value": 4.2,
            "measurand": "Energy.Active.Import.Register",
            "unitOfMeasure": {"unit": "kWh"},
        },
        {"value": 64, "measurand": "SoC", "location": "EV"},
    ]
    clock = Clock()
    await sim.call(
        "MeterValues",
        {
            "evseId": 1,
            "meterValue": [{"timestamp": clock.iso(), "sampledValue": sampled}],
        },
    )
    await sim.call(
        "MeterValues",
        {
            "evseId": 0,
            "meterValue": [
                {"timestamp": clock.iso(), "sampledValue": [{"value": 99_999}]}
            ],
        },
    )
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP_1_1_power") == "7200.0"
    assert state(hass, "sensor", "CP_1_1_energy") == "4.2"
    assert state(hass, "sensor", "CP_1_1_soc") == "64.0"


async def test_v201_inventory_report_adds_evse(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """An EVSE named in NotifyReport gets its entities."""
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    await sim.call(
        "NotifyReport",
        {
            "requestId": 1,
            "generatedAt": Clock().iso(),
            "seqNo": 0,
            "reportData": [
                {
                    "component": {"name": "EVSE", "evse": {"id": 2}},
                    "variable": {"name": "Available"},
                    "variableAttribute": [{"value": "true"}],
                }
            ],
        },
    )
    await hass.async_block_till_done()
    assert entity_id(hass, "sensor", "CP_1_2_status")


async def test_listed_tags_policy_and_tag_event(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Only listed tags are accepted; every presented tag fires an event."""
    hass.config_entries.async_update_entry(
        loaded_hub,
        options=dict(loaded_hub.options)
        | {CONF_AUTHORIZATION: AUTH_LISTED_TAGS, CONF_ALLOWED_TAGS: ["GOOD"]},
    )
    await hass.async_block_till_done()
    presented = async_capture_events(hass, "ocpp_csms_tag_presented")
    sim = await accepted_charger(hass, start_simulator)
    assert await sim.authorize("GOOD") == "Accepted"
    assert await sim.authorize("BAD") == "Invalid"
    result = await _start_v16(sim, Clock(), tag="BAD")
    assert result["idTagInfo"]["status"] == "Invalid"
    await hass.async_block_till_done()
    assert [(e.data["id_tag"], e.data["status"]) for e in presented] == [
        ("GOOD", "Accepted"),
        ("BAD", "Invalid"),
        ("BAD", "Invalid"),
    ]
    v201 = await accepted_charger(hass, start_simulator, "CP_2", "2.0.1")
    result = await v201.call(
        "Authorize", {"idToken": {"idToken": "BAD", "type": "ISO14443"}}
    )
    assert result["idTokenInfo"]["status"] == "Invalid"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_data_transfer_unknown_vendor(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """We define no vendor extensions."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    result = await sim.call("DataTransfer", {"vendorId": "com.example"})
    assert result == {"status": "UnknownVendorId"}
