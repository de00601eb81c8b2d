"""Simulator transactions: 1.6 and 2.0.1/2.1 sessions, meter values, remote start."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
import pytest

from simulator import ChargingState, EvseStatus


def _register(meter_value: dict[str, Any]) -> float:
    """Energy register (Wh) of one snake_case meter value."""
    for sample in meter_value["sampled_value"]:
        if sample["measurand"] == "Energy.Active.Import.Register":
            return float(sample["value"])
    raise AssertionError("no energy register")


async def test_transaction_v16(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="1.6", meter_interval=0.1))
    await sim.wait_for_registration()
    for _ in range(2):
        await csms.rec.next("StatusNotification")
    await sim.plug_in(1)
    assert (await csms.rec.next("StatusNotification"))["status"] == "Preparing"
    assert await sim.authorize("TAG1") == "Accepted"
    assert (await csms.rec.next("Authorize"))["id_tag"] == "TAG1"

    tx_id = await sim.start_transaction(1, "TAG1")
    start = await csms.rec.next("StartTransaction")
    assert (start["connector_id"], start["id_tag"], start["meter_start"]) == (
        1,
        "TAG1",
        0,
    )
    assert tx_id == 1
    begin = await csms.rec.next("MeterValues")
    assert begin["transaction_id"] == 1
    assert begin["meter_value"][0]["sampled_value"][0]["context"] == "Transaction.Begin"
    assert (await csms.rec.next("StatusNotification"))["status"] == "Charging"
    evse = sim.evse(1)
    assert evse.status is EvseStatus.CHARGING
    assert evse.power_w == pytest.approx(16 * 230 * 3)

    samples = [await csms.rec.next("MeterValues") for _ in range(3)]
    registers = [_register(s["meter_value"][0]) for s in samples]
    assert registers == sorted(registers)
    assert registers[-1] > registers[0]
    sampled = samples[-1]["meter_value"][0]["sampled_value"]
    assert {s["context"] for s in sampled} == {"Sample.Periodic"}
    measurands = {(s["measurand"], s.get("phase")) for s in sampled}
    assert ("Current.Import", "L3") in measurands
    assert ("Voltage", "L1-N") in measurands
    assert ("SoC", None) in measurands
    assert ("Power.Active.Import", None) in measurands

    await sim.stop_transaction(1, reason="Local")
    stop = await csms.rec.next("StopTransaction")
    assert stop["transaction_id"] == 1
    assert stop["reason"] == "Local"
    assert stop["meter_stop"] >= registers[-1] - 1
    assert stop["transaction_data"][0]["sampled_value"][0]["context"] == (
        "Transaction.End"
    )
    assert (await csms.rec.next("StatusNotification"))["status"] == "Finishing"
    await sim.unplug(1)
    assert (await csms.rec.next("StatusNotification"))["status"] == "Available"

    # The meter is a real register: the next transaction starts where we stopped.
    await sim.start_transaction(1, "TAG1")
    again = await csms.rec.next("StartTransaction")
    assert again["meter_start"] == stop["meter_stop"]


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_transaction_v2x(csms: Any, sim_factory: Any, version: str) -> None:
    sim = await sim_factory(csms.config(ocpp_version=version, meter_interval=0.1))
    await sim.wait_for_registration()
    assert sim.negotiated_subprotocol == f"ocpp{version}"
    await csms.rec.next("StatusNotification")

    await sim.plug_in(1)
    assert (await csms.rec.next("StatusNotification"))["connector_status"] == "Occupied"
    started = await csms.rec.next("TransactionEvent")
    assert started["event_type"] == "Started"
    assert started["trigger_reason"] == "CablePluggedIn"
    assert started["seq_no"] == 0
    assert started["offline"] is False
    assert started["evse"] == {"id": 1, "connector_id": 1}
    info = started["transaction_info"]
    assert info["charging_state"] == "EVConnected"
    tx_id = info["transaction_id"]

    assert await sim.start_transaction(1, "TAG2") == tx_id
    authorized = await csms.rec.next("TransactionEvent")
    assert authorized["event_type"] == "Updated"
    assert authorized["trigger_reason"] == "Authorized"
    assert authorized["seq_no"] == 1
    assert authorized["id_token"] == {"id_token": "TAG2", "type": "ISO14443"}
    assert authorized["transaction_info"]["charging_state"] == "Charging"
    assert sim.evse(1).charging_state is ChargingState.CHARGING

    periodic = [await csms.rec.next("TransactionEvent") for _ in range(3)]
    assert [p["seq_no"] for p in periodic] == [2, 3, 4]
    assert {p["trigger_reason"] for p in periodic} == {"MeterValuePeriodic"}
    registers = [_register(p["meter_value"][0]) for p in periodic]
    assert registers == sorted(registers)
    assert registers[-1] > registers[0]

    await sim.stop_transaction(1)
    ended = await csms.rec.next("TransactionEvent")
    while ended["event_type"] != "Ended":  # a periodic event may have raced
        ended = await csms.rec.next("TransactionEvent")
    assert ended["trigger_reason"] == "StopAuthorized"
    assert ended["transaction_info"]["stopped_reason"] == "Local"
    assert ended["transaction_info"]["transaction_id"] == tx_id
    assert ended["seq_no"] > periodic[-1]["seq_no"]
    await sim.unplug(1)
    assert (await csms.rec.next("StatusNotification"))["connector_status"] == (
        "Available"
    )


async def test_remote_start_stop_v16(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="1.6", meter_interval=0))
    await sim.wait_for_registration()
    central = await csms.central()
    answer = await central.call(
        call16.RemoteStartTransaction(id_tag="REMOTE", connector_id=1)
    )
    assert answer.status == "Accepted"
    start = await csms.rec.next("StartTransaction")
    assert start["id_tag"] == "REMOTE"
    await csms.rec.next("MeterValues")  # Transaction.Begin
    busy = await central.call(call16.RemoteStartTransaction(id_tag="X", connector_id=1))
    assert busy.status == "Rejected"
    unknown = await central.call(call16.RemoteStopTransaction(transaction_id=999))
    assert unknown.status == "Rejected"
    stop = await central.call(call16.RemoteStopTransaction(transaction_id=1))
    assert stop.status == "Accepted"
    stopped = await csms.rec.next("StopTransaction")
    assert stopped["reason"] == "Remote"
    assert not sim.evse(1).in_transaction


async def test_remote_start_stop_v201(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1", meter_interval=0))
    await sim.wait_for_registration()
    central = await csms.central()
    answer = await central.call(
        call201.RequestStartTransaction(
            id_token={"id_token": "REMOTE", "type": "ISO14443"},
            remote_start_id=7,
            evse_id=1,
        )
    )
    assert answer.status == "Accepted"
    # The car plugs in first (cable-started transaction), then RemoteStart.
    started = await csms.rec.next("TransactionEvent")
    assert started["trigger_reason"] == "CablePluggedIn"
    remote = await csms.rec.next("TransactionEvent")
    assert remote["trigger_reason"] == "RemoteStart"
    assert remote["transaction_info"]["remote_start_id"] == 7
    assert remote["id_token"]["id_token"] == "REMOTE"
    tx_id = remote["transaction_info"]["transaction_id"]

    stop = await central.call(call201.RequestStopTransaction(transaction_id=tx_id))
    assert stop.status == "Accepted"
    ended = await csms.rec.next("TransactionEvent")
    assert ended["event_type"] == "Ended"
    assert ended["trigger_reason"] == "RemoteStop"
    assert ended["transaction_info"]["stopped_reason"] == "Remote"
    status = await central.call(call201.GetTransactionStatus(transaction_id=tx_id))
    assert status.ongoing_indicator is False
