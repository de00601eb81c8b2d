"""Simulator after a lost CSMS or a power cycle: redial, offline queue, reboot effects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
import pytest

from simulator import ChargePointSimulator, EnergyUnit, Quirks, TxOnReboot
from simulator.__main__ import build_parser, config_from_args
from simulator.profiles import parse_profile

from .conftest import FlakyCsms, Harness

_TX_DEFAULT: dict[str, Any] = {
    "charging_profile_id": 1,
    "stack_level": 0,
    "charging_profile_purpose": "TxDefaultProfile",
    "charging_profile_kind": "Relative",
    "charging_schedule": {
        "charging_rate_unit": "A",
        "charging_schedule_period": [{"start_period": 0, "limit": 10}],
    },
}


def _register(meter_values: list[dict[str, Any]]) -> float:
    for sample in meter_values[0]["sampled_value"]:
        if sample["measurand"] == "Energy.Active.Import.Register":
            # The car also draws power while the test runs (a few ms of it on
            # a busy machine: a fraction of a Wh); whole Wh are what we add.
            return float(int(float(sample["value"])))
    raise AssertionError("no energy register")


async def _charging(
    harness: Harness, sim_factory: Any, version: str, **kwargs: Any
) -> ChargePointSimulator:
    sim: ChargePointSimulator = await sim_factory(
        harness.config(
            ocpp_version=version,
            meter_interval=0,
            auto_reconnect=True,
            offline_queue=True,
            **kwargs,
        )
    )
    await sim.wait_until_ready()
    await sim.plug_in(1)
    await sim.start_transaction(1, "TAG")
    return sim


async def test_profiles_and_availability_persist_by_default(
    csms: Harness, sim_factory: Any
) -> None:
    sim = await sim_factory(csms.config(ocpp_version="1.6", evses=2))
    await sim.wait_until_ready()
    central = await csms.central()
    answer = await central.call(
        call16.SetChargingProfile(connector_id=1, cs_charging_profiles=_TX_DEFAULT)
    )
    assert answer.status == "Accepted"
    answer = await central.call(
        call16.ChangeAvailability(connector_id=2, type="Inoperative")
    )
    assert answer.status == "Accepted"
    await sim.power_cycle()
    await sim.wait_until_ready()
    assert (await csms.rec.next("BootNotification")) is not None
    assert len(sim.profiles.installed) == 1
    assert not sim.evse(2).operative


async def test_volatile_profiles_are_forgotten_on_reboot(
    csms: Harness, sim_factory: Any
) -> None:
    sim = await sim_factory(
        csms.config(ocpp_version="2.0.1", quirks=Quirks(volatile_profiles=True))
    )
    await sim.wait_until_ready()
    central = await csms.central()
    answer = await central.call(
        call201.ChangeAvailability(operational_status="Inoperative", evse={"id": 1})
    )
    assert answer.status == "Accepted"
    sim.profiles.install(parse_profile(_TX_DEFAULT), 1)
    await sim.power_cycle()
    await sim.wait_until_ready()
    assert sim.profiles.installed == []
    assert sim.evse(1).operative
    boots = [await csms.rec.next("BootNotification") for _ in range(2)]
    assert boots[1]["reason"] == "PowerUp"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_redial_after_drop_keeps_transaction_without_boot(
    flaky_csms: FlakyCsms, sim_factory: Any, version: str
) -> None:
    sim = await _charging(flaky_csms, sim_factory, version)
    tx_id = sim.evse(1).transaction_id
    central = await flaky_csms.central()
    central._connection.transport.abort()  # the socket dies under the charger
    await sim.wait_for_disconnect()
    await flaky_csms.central()  # it dialled in again by itself
    await sim.wait_until_ready()
    assert flaky_csms.rec.pending("BootNotification") == 1  # the first boot only
    assert sim.evse(1).transaction_id == tx_id
    sim.add_energy(1, 500)
    await sim.send_meter_values(1)
    await sim.wait_for_delivery()
    if version == "1.6":
        sample = await flaky_csms.rec.next("MeterValues")
        while sample["meter_value"][0]["sampled_value"][0]["context"] != (
            "Sample.Periodic"
        ):
            sample = await flaky_csms.rec.next("MeterValues")
        assert sample["transaction_id"] == tx_id
    else:
        events = [await flaky_csms.rec.next("TransactionEvent") for _ in range(3)]
        assert [e["seq_no"] for e in events] == [0, 1, 2]
        assert events[2]["transaction_info"]["transaction_id"] == tx_id


async def test_offline_queue_v201_in_order_after_csms_returns(
    flaky_csms: FlakyCsms, sim_factory: Any
) -> None:
    sim = await _charging(flaky_csms, sim_factory, "2.0.1", reconnect_delay=0.02)
    for _ in range(2):
        await flaky_csms.rec.next("TransactionEvent")
    await flaky_csms.down()
    await sim.wait_for_disconnect()
    for wh in (100, 200, 300):
        sim.add_energy(1, wh)
        await sim.send_meter_values(1)
    await sim.stop_transaction(1)
    assert sim.queued == 4
    await flaky_csms.up()
    await sim.wait_for_delivery()
    events = [await flaky_csms.rec.next("TransactionEvent") for _ in range(4)]
    assert [e["seq_no"] for e in events] == [2, 3, 4, 5]
    assert [e["event_type"] for e in events][-1] == "Ended"
    assert all(e["offline"] for e in events)
    assert _register(events[-1]["meter_value"]) == 600
    assert flaky_csms.rec.pending("BootNotification") == 1  # no second boot


async def test_offline_start_v16_gets_its_id_on_delivery(
    flaky_csms: FlakyCsms, sim_factory: Any
) -> None:
    sim = await sim_factory(
        flaky_csms.config(
            ocpp_version="1.6",
            meter_interval=0,
            auto_reconnect=True,
            offline_queue=True,
        )
    )
    await sim.wait_until_ready()
    await flaky_csms.down()
    await sim.wait_for_disconnect()
    await sim.plug_in(1)
    local_id = await sim.start_transaction(1, "TAG")
    assert isinstance(local_id, int)
    assert local_id < 0
    sim.add_energy(1, 700)
    await sim.stop_transaction(1)
    await flaky_csms.up()
    await sim.wait_for_delivery()
    start = await flaky_csms.rec.next("StartTransaction")
    stop = await flaky_csms.rec.next("StopTransaction")
    begin = await flaky_csms.rec.next("MeterValues")
    assert begin["transaction_id"] == stop["transaction_id"] == 1
    assert stop["meter_stop"] - start["meter_start"] == 700


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
async def test_power_cycle_ends_transaction_with_queued_stop(
    csms: Harness, sim_factory: Any, version: str
) -> None:
    sim = await _charging(csms, sim_factory, version)
    tx_id = sim.evse(1).transaction_id
    sim.add_energy(1, 1234)
    await sim.power_cycle(TxOnReboot.END)
    await sim.wait_until_ready()
    await sim.wait_for_delivery()
    boots = [await csms.rec.next("BootNotification") for _ in range(2)]
    if version == "1.6":
        stop = await csms.rec.next("StopTransaction")
        assert (stop["transaction_id"], stop["reason"]) == (tx_id, "PowerLoss")
        assert stop["meter_stop"] == 1234
        return
    assert boots[1]["reason"] == "PowerUp"
    events = [await csms.rec.next("TransactionEvent") for _ in range(3)]
    ended = events[-1]
    assert ended["event_type"] == "Ended"
    assert ended["transaction_info"]["transaction_id"] == tx_id
    assert ended["transaction_info"]["stopped_reason"] == "PowerLoss"
    assert "evse" not in ended  # after the boot the EVSE is not named
    assert _register(ended["meter_value"]) == 1234
    assert not sim.evse(1).in_transaction


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
async def test_power_cycle_resumes_transaction(
    csms: Harness, sim_factory: Any, version: str
) -> None:
    sim = await _charging(csms, sim_factory, version)
    tx_id = sim.evse(1).transaction_id
    sim.add_energy(1, 400)
    await sim.power_cycle(TxOnReboot.RESUME)
    await sim.wait_until_ready()
    await sim.wait_for_delivery()
    assert sim.evse(1).transaction_id == tx_id
    if version == "1.6":
        for _ in range(2):
            resumed = await csms.rec.next("MeterValues")
        assert resumed["transaction_id"] == tx_id
        assert _register(resumed["meter_value"]) == 400
        return
    events = [await csms.rec.next("TransactionEvent") for _ in range(3)]
    resumed = events[-1]
    assert resumed["event_type"] == "Updated"
    assert resumed["seq_no"] == 2
    assert resumed["trigger_reason"] == (
        "TxResumed" if version == "2.1" else "MeterValuePeriodic"
    )
    assert "evse" not in resumed
    assert _register(resumed["meter_value"]) == 400
    await sim.stop_transaction(1)
    ended = await csms.rec.next("TransactionEvent")
    assert (ended["event_type"], ended["seq_no"]) == ("Ended", 3)
    assert ended["transaction_info"]["transaction_id"] == tx_id


async def test_power_cycle_while_csms_is_down(
    flaky_csms: FlakyCsms, sim_factory: Any
) -> None:
    """Queued events of before and of the reboot follow the boot, in order."""
    sim = await _charging(flaky_csms, sim_factory, "2.0.1")
    for _ in range(2):
        await flaky_csms.rec.next("TransactionEvent")
    await flaky_csms.down()
    await sim.wait_for_disconnect()
    sim.add_energy(1, 100)
    await sim.send_meter_values(1)
    sim.add_energy(1, 50)
    await sim.power_cycle(TxOnReboot.END)
    await flaky_csms.up()
    await sim.wait_until_ready(timeout=10)
    await sim.wait_for_delivery()
    assert [
        (await flaky_csms.rec.next("BootNotification"))["reason"] for _ in "ab"
    ] == [
        "PowerUp",
        "PowerUp",
    ]
    events = [await flaky_csms.rec.next("TransactionEvent") for _ in range(2)]
    assert [e["event_type"] for e in events] == ["Updated", "Ended"]
    assert [_register(e["meter_value"]) for e in events] == [100, 150]


def test_cli_flags_reach_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--auto-reconnect",
            "--offline-queue",
            "--volatile-profiles",
            "--reconnect-delay",
            "0.1",
            "--clock-skew",
            "-86400",
            "--energy-unit",
            "kWh",
            "--meter-reset-on-boot",
        ]
    )
    config = config_from_args(args)
    assert config.auto_reconnect
    assert config.offline_queue
    assert config.quirks.volatile_profiles
    assert config.reconnect_delay == 0.1
    assert config.faults.clock_skew == timedelta(days=-1)
    assert config.faults.energy_unit is EnergyUnit.KWH
    assert config.faults.meter_reset_on_boot
