"""Simulator configuration, device model, reset and the remaining quirks."""

from __future__ import annotations

import time
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from simulator import Quirks


async def test_get_change_configuration_v16(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(
        csms.config(ocpp_version="1.6", password="0123456789abcdef")
    )
    await sim.wait_for_registration()
    central = await csms.central()
    answer = await central.call(
        call16.GetConfiguration(
            key=["ChargeProfileMaxStackLevel", "AuthorizationKey", "Nope"]
        )
    )
    keys = {item["key"]: item for item in answer.configuration_key}
    assert keys["ChargeProfileMaxStackLevel"] == {
        "key": "ChargeProfileMaxStackLevel",
        "readonly": True,
        "value": "8",
    }
    assert "value" not in keys["AuthorizationKey"]  # write-only
    assert answer.unknown_key == ["Nope"]
    full = await central.call(call16.GetConfiguration())
    values = {item["key"]: item.get("value") for item in full.configuration_key}
    assert values["ChargingScheduleAllowedChargingRateUnit"] == "Current,Power"
    assert values["ChargingScheduleMaxPeriods"] == "24"
    assert values["MaxChargingProfilesInstalled"] == "8"
    assert values["ConnectorSwitch3to1PhaseSupported"] == "false"
    assert "SmartCharging" in str(values["SupportedFeatureProfiles"])

    async def change(key: str, value: str) -> str:
        result = await central.call(call16.ChangeConfiguration(key=key, value=value))
        return str(result.status)

    assert await change("HeartbeatInterval", "120") == "Accepted"
    assert sim.config_keys.get("HeartbeatInterval") == "120"
    assert await change("HeartbeatInterval", "soon") == "Rejected"
    assert await change("NumberOfConnectors", "2") == "Rejected"
    assert await change("Unknown", "1") == "NotSupported"
    assert await change("AuthorizationKey", "short") == "Rejected"
    assert await change("AuthorizationKey", "a-new-password-123") == "Accepted"
    assert sim.password == "a-new-password-123"
    data = await central.call(call16.DataTransfer(vendor_id="acme"))
    assert data.status == "UnknownVendorId"


async def test_device_model_and_base_report_v201(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    await sim.wait_for_registration()
    central = await csms.central()
    result = await central.call(
        call201.SetVariables(
            set_variable_data=[
                {
                    "attribute_value": "30",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attribute_value": "1",
                    "component": {"name": "SmartChargingCtrlr"},
                    "variable": {"name": "ProfileStackLevel"},
                },
                {
                    "attribute_value": "x",
                    "component": {"name": "NoSuchCtrlr"},
                    "variable": {"name": "X"},
                },
                {
                    "attribute_value": "a-new-password-123",
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                },
            ]
        )
    )
    statuses = [item["attribute_status"] for item in result.set_variable_result]
    assert statuses == ["Accepted", "Rejected", "UnknownComponent", "Accepted"]
    assert sim.password == "a-new-password-123"
    read = await central.call(
        call201.GetVariables(
            get_variable_data=[
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                },
                {
                    "component": {"name": "SmartChargingCtrlr"},
                    "variable": {"name": "Nope"},
                },
                {
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Power"},
                },
            ]
        )
    )
    items = read.get_variable_result
    assert items[0]["attribute_value"] == "30"
    assert items[1]["attribute_status"] == "Rejected"
    assert items[2]["attribute_status"] == "UnknownVariable"
    assert items[3]["component"] == {"name": "EVSE", "evse": {"id": 1}}
    assert float(items[3]["attribute_value"]) == 16 * 230 * 3

    report = await central.call(
        call201.GetBaseReport(request_id=42, report_base="FullInventory")
    )
    assert report.status == "Accepted"
    parts = [await csms.rec.next("NotifyReport")]
    while parts[-1]["tbc"]:
        parts.append(await csms.rec.next("NotifyReport"))
    assert len(parts) > 1
    assert [p["seq_no"] for p in parts] == list(range(len(parts)))
    assert {p["request_id"] for p in parts} == {42}
    entries = [entry for part in parts for entry in part["report_data"]]
    names = {(e["component"]["name"], e["variable"]["name"]) for e in entries}
    assert ("SmartChargingCtrlr", "RateUnit") in names
    password = next(e for e in entries if e["variable"]["name"] == "BasicAuthPassword")
    assert "value" not in password["variable_attribute"][0]


async def test_reset_reconnects_and_boots_v201(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1", meter_interval=0))
    await sim.wait_for_registration()
    central = await csms.central()
    await csms.rec.next("BootNotification")
    await sim.start_transaction(1)
    answer = await central.call(call201.Reset(type="Immediate"))
    assert answer.status == "Accepted"
    events = [await csms.rec.next("TransactionEvent") for _ in range(3)]
    assert events[-1]["event_type"] == "Ended"
    assert events[-1]["transaction_info"]["stopped_reason"] == "ImmediateReset"
    await csms.central()  # the station came back on a new connection
    boot = await csms.rec.next("BootNotification")
    assert boot["reason"] == "RemoteReset"
    await sim.wait_for_registration("Accepted")
    assert sim.connected


async def test_availability_and_unlock_v201(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    await sim.wait_for_registration()
    await csms.rec.next("StatusNotification")
    central = await csms.central()
    answer = await central.call(
        call201.ChangeAvailability(operational_status="Inoperative", evse={"id": 1})
    )
    assert answer.status == "Accepted"
    status = await csms.rec.next("StatusNotification")
    assert status["connector_status"] == "Unavailable"
    unlock = await central.call(call201.UnlockConnector(evse_id=1, connector_id=1))
    assert unlock.status == "Unlocked"
    unknown = await central.call(call201.UnlockConnector(evse_id=9, connector_id=1))
    assert unknown.status == "UnknownConnector"
    refused = await central.call(
        call201.RequestStartTransaction(
            id_token={"id_token": "X", "type": "ISO14443"}, remote_start_id=1
        )
    )
    assert refused.status == "Rejected"


async def test_slow_answers_and_duplicate_messages(csms: Any, sim_factory: Any) -> None:
    quirks = Quirks(response_delay=0.3, retry_with_new_message_id=True)
    sim = await sim_factory(
        csms.config(ocpp_version="1.6", meter_interval=0, quirks=quirks)
    )
    await sim.wait_for_registration()
    central = await csms.central()
    began = time.monotonic()
    await central.call(call16.ClearCache())
    assert time.monotonic() - began >= 0.3
    await sim.start_transaction(1)
    first = await csms.rec.next("StartTransaction")
    second = await csms.rec.next("StartTransaction")
    assert first == second  # same content, sent again with a new message id
