"""Simulator boot, heartbeat, registration, raw frames and CLI."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
import pytest
from websockets.asyncio.server import ServerConnection, basic_auth, serve
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from simulator import ChargePointSimulator, OcppCallError, Quirks, SimulatorConfig

from .conftest import Harness


async def test_boot_accepted_v16_heartbeat_and_status(
    csms: Harness, sim_factory: Any
) -> None:
    csms.beh.heartbeat_interval = 1
    sim = await sim_factory(csms.config(ocpp_version="1.6", evses=2))
    assert await sim.wait_for_registration("Accepted") == "Accepted"
    assert sim.negotiated_subprotocol == "ocpp1.6"
    assert sim.connected
    boot = await csms.rec.next("BootNotification")
    assert boot["charge_point_vendor"] == "OcppCsmsSim"
    assert boot["charge_point_model"] == "SimCharger"
    assert boot["charge_point_serial_number"] == "SIM-0001"
    assert boot["firmware_version"] == "1.0.0"
    statuses = [await csms.rec.next("StatusNotification") for _ in range(3)]
    assert [s["connector_id"] for s in statuses] == [0, 1, 2]
    assert {s["status"] for s in statuses} == {"Available"}
    assert {s["error_code"] for s in statuses} == {"NoError"}
    await csms.rec.next("Heartbeat", timeout=3)


async def test_boot_accepted_v201_status(csms: Harness, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    await sim.wait_for_registration()
    boot = await csms.rec.next("BootNotification")
    assert boot["reason"] == "PowerUp"
    assert boot["charging_station"] == {
        "vendor_name": "OcppCsmsSim",
        "model": "SimCharger",
        "serial_number": "SIM-0001",
        "firmware_version": "1.0.0",
    }
    status = await csms.rec.next("StatusNotification")
    assert status["connector_status"] == "Available"
    assert (status["evse_id"], status["connector_id"]) == (1, 1)
    assert status["timestamp"].endswith("Z")


async def test_pending_retry_then_trigger_v201(csms: Harness, sim_factory: Any) -> None:
    # First Pending says "retry in 1 s", the second one "in 300 s": only a
    # TriggerMessage can bring the third, accepted boot quickly.
    csms.beh.boots = [("Pending", 1), ("Pending", 300)]
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    central = await csms.central()
    await sim.wait_for_registration("Pending")
    first = await csms.rec.next("BootNotification")
    second = await csms.rec.next("BootNotification", timeout=5)
    assert first["reason"] == second["reason"] == "PowerUp"
    assert sim.registration_status == "Pending"
    # While Pending the station still answers the CSMS.
    answer = await central.call(
        call201.GetVariables(
            get_variable_data=[
                {
                    "component": {"name": "SmartChargingCtrlr"},
                    "variable": {"name": "RateUnit"},
                }
            ]
        )
    )
    assert answer.get_variable_result[0]["attribute_value"] == "A,W"
    assert csms.rec.pending("StatusNotification") == 0
    trigger = await central.call(
        call201.TriggerMessage(requested_message="BootNotification")
    )
    assert trigger.status == "Accepted"
    third = await csms.rec.next("BootNotification")
    assert third["reason"] == "Triggered"
    await sim.wait_for_registration("Accepted")
    await csms.rec.next("StatusNotification")
    assert (await sim.wait_for_call("TriggerMessage")).payload == {
        "requestedMessage": "BootNotification"
    }
    # F06.FR.17: once accepted, a boot trigger is rejected.
    again = await central.call(
        call201.TriggerMessage(requested_message="BootNotification")
    )
    assert again.status == "Rejected"


async def test_boot_retry_quirk_and_trigger_v16(
    csms: Harness, sim_factory: Any
) -> None:
    csms.beh.boots = [("Pending", 300)]
    sim = await sim_factory(
        csms.config(ocpp_version="1.6", quirks=Quirks(boot_retry_interval=1.0))
    )
    await csms.rec.next("BootNotification")
    await csms.rec.next("BootNotification", timeout=5)  # quirk: 1 s, not 300 s
    await sim.wait_for_registration("Accepted")
    central = await csms.central()
    trigger = await central.call(
        call16.TriggerMessage(requested_message="BootNotification")
    )
    assert trigger.status == "Accepted"  # 1.6 re-boots even when accepted
    await csms.rec.next("BootNotification")


async def test_csms_closes_connection(csms: Any, sim_factory: Any) -> None:
    csms.beh.heartbeat_interval = 1
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    await sim.wait_for_registration()
    central = await csms.central()
    await central._connection.close()
    await sim.wait_for_disconnect()
    assert not sim.connected
    with pytest.raises(ConnectionError):
        await sim.call("Heartbeat", {})


async def test_rejected_subprotocol_raises(csms: Harness) -> None:
    sim = ChargePointSimulator(csms.config(subprotocols=["ocpp9.9"]))
    with pytest.raises(InvalidStatus):
        await sim.start()
    assert not sim.connected
    await sim.stop()


async def test_basic_auth_and_url_encoding() -> None:
    seen: list[tuple[str, str | None]] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        seen.append((ws.request.path, ws.username))
        await ws.wait_closed()

    auth = basic_auth(credentials=("CP 1", "0123456789abcdef"))
    async with serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp1.6")],
        process_request=auth,
    ) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        wrong = ChargePointSimulator(
            SimulatorConfig(
                charger_id="CP 1", url=url, ocpp_version="1.6", password="nope"
            )
        )
        with pytest.raises(InvalidStatus) as err:
            await wrong.start()
        assert err.value.response.status_code == 401
        config = SimulatorConfig(
            charger_id="CP 1", url=url, ocpp_version="1.6", password="0123456789abcdef"
        )
        async with ChargePointSimulator(config) as sim:
            assert sim.connected
            assert sim.url.endswith("/CP%201")
        assert seen == [("/CP%201", "CP 1")]
        assert not sim.connected


async def test_raw_frames_and_call_errors(csms: Harness, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    await sim.wait_for_registration()
    await sim.send_raw('[2,"raw-1","Heartbeat",{}]')
    reply = json.loads(await sim.next_raw_reply())
    assert reply[:2] == [3, "raw-1"]
    assert "currentTime" in reply[2]
    assert "currentTime" in await sim.call("Heartbeat", {})
    with pytest.raises(OcppCallError) as err:
        await sim.call("DataTransfer", {"vendorId": "x"})
    assert err.value.code == "NotImplemented"


async def test_unknown_action_from_csms(csms: Harness, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    await sim.wait_for_registration()
    central = await csms.central()
    # Known to 2.0.1 but not handled by the station -> NotSupported.
    with pytest.raises(Exception, match="NotSupported"):
        await central.call(
            call201.GetLog(
                log={"remote_location": "x"}, log_type="DiagnosticsLog", request_id=1
            ),
            suppress=False,
        )
    received = await sim.wait_for_call("GetLog")
    assert received.payload["requestId"] == 1


def test_cli_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0
    for option in ("--id", "--ocpp", "--evses", "--url", "--password", "--charge"):
        assert option in done.stdout
