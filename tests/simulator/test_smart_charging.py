"""Simulator smart charging: profile store, composite schedule, quirks, power."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
import pytest

from simulator import ChargePointSimulator, Quirks, SimulatorConfig
from simulator.profiles import parse_profile


def _profile_201(
    profile_id: int,
    purpose: str,
    periods: list[tuple[int, float]],
    *,
    unit: str = "A",
    stack_level: int = 0,
    start: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": profile_id,
        "stack_level": stack_level,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute",
        "charging_schedule": [
            {
                "id": profile_id,
                "start_schedule": (start or datetime.now(UTC)).isoformat(),
                "charging_rate_unit": unit,
                "charging_schedule_period": [
                    {"start_period": offset, "limit": limit}
                    for offset, limit in periods
                ],
            }
        ],
    }


async def test_composite_schedule_v201(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="2.0.1"))
    await sim.wait_for_registration()
    central = await csms.central()
    start = datetime.now(UTC) - timedelta(seconds=5)
    tx_default = _profile_201(
        1, "TxDefaultProfile", [(0, 10.0), (3600, 6.0)], start=start
    )
    answer = await central.call(
        call201.SetChargingProfile(evse_id=1, charging_profile=tx_default)
    )
    assert answer.status == "Accepted"
    station_max = _profile_201(
        2, "ChargingStationMaxProfile", [(0, 8.0), (1800, 16.0)], start=start
    )
    answer = await central.call(
        call201.SetChargingProfile(evse_id=0, charging_profile=station_max)
    )
    assert answer.status == "Accepted"

    composite = await central.call(
        call201.GetCompositeSchedule(duration=7200, evse_id=1, charging_rate_unit="A")
    )
    assert composite.status == "Accepted"
    schedule = composite.schedule
    assert schedule["charging_rate_unit"] == "A"
    assert schedule["duration"] == 7200
    periods = [
        (p["start_period"], p["limit"]) for p in schedule["charging_schedule_period"]
    ]
    # min(station max, tx default): 8 A, 10 A after 30 min, 6 A after 1 h.
    assert [limit for _, limit in periods] == [8.0, 10.0, 6.0]
    assert periods[0][0] == 0
    assert 1790 <= periods[1][0] <= 1800
    assert 3590 <= periods[2][0] <= 3600

    watts = await central.call(
        call201.GetCompositeSchedule(duration=60, evse_id=1, charging_rate_unit="W")
    )
    assert watts.schedule["charging_schedule_period"][0]["limit"] == pytest.approx(
        8 * 230 * 3
    )
    cleared = await central.call(call201.ClearChargingProfile(charging_profile_id=2))
    assert cleared.status == "Accepted"
    unknown = await central.call(call201.ClearChargingProfile(charging_profile_id=2))
    assert unknown.status == "Unknown"


async def test_power_follows_limit_v16(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(csms.config(ocpp_version="1.6", meter_interval=0))
    await sim.wait_for_registration()
    central = await csms.central()
    await sim.start_transaction(1)
    assert sim.evse(1).current == (16.0, 16.0, 16.0)
    profile = {
        "charging_profile_id": 5,
        "transaction_id": 1,
        "stack_level": 0,
        "charging_profile_purpose": "TxProfile",
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "W",
            "charging_schedule_period": [
                {"start_period": 0, "limit": 2760.0, "number_phases": 1}
            ],
        },
    }
    answer = await central.call(
        call16.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
    )
    assert answer.status == "Accepted"
    evse = sim.evse(1)
    assert evse.phases_used == 1
    assert evse.current == (12.0, 0.0, 0.0)  # 2760 W / 230 V on 1 phase
    assert evse.power_w == pytest.approx(2760.0)
    composite = await central.call(
        call16.GetCompositeSchedule(
            connector_id=1, duration=300, charging_rate_unit="A"
        )
    )
    assert composite.status == "Accepted"
    period = composite.charging_schedule["charging_schedule_period"][0]
    assert (period["limit"], period["number_phases"]) == (12.0, 1)
    cleared = await central.call(call16.ClearChargingProfile(id=5))
    assert cleared.status == "Accepted"
    assert sim.evse(1).power_w == pytest.approx(16 * 230 * 3)


async def test_watt_only_quirk_rejects_amp_profile(csms: Any, sim_factory: Any) -> None:
    sim = await sim_factory(
        csms.config(
            ocpp_version="2.0.1", quirks=Quirks(rate_units=("W",), max_periods=2)
        )
    )
    await sim.wait_for_registration()
    central = await csms.central()

    async def install(profile: dict[str, Any]) -> str:
        answer = await central.call(
            call201.SetChargingProfile(evse_id=1, charging_profile=profile)
        )
        return str(answer.status)

    amps = _profile_201(1, "TxDefaultProfile", [(0, 10.0)])
    assert await install(amps) == "Rejected"
    watts = _profile_201(1, "TxDefaultProfile", [(0, 6900.0)], unit="W")
    assert await install(watts) == "Accepted"
    too_long = _profile_201(
        2,
        "TxDefaultProfile",
        [(0, 1.0), (60, 2.0), (120, 3.0)],
        unit="W",
        stack_level=1,
    )
    assert await install(too_long) == "Rejected"
    composite = await central.call(
        call201.GetCompositeSchedule(duration=60, evse_id=1, charging_rate_unit="A")
    )
    assert composite.status == "Rejected"
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
    assert answer.get_variable_result[0]["attribute_value"] == "W"


async def test_station_max_and_tx_profile_quirks(csms: Any, sim_factory: Any) -> None:
    quirks = Quirks(
        reject_station_max_profile=True, tx_profile_only_in_transaction=True
    )
    sim = await sim_factory(csms.config(ocpp_version="1.6", quirks=quirks))
    await sim.wait_for_registration()
    central = await csms.central()

    async def install(connector: int, purpose: str) -> str:
        profile = {
            "charging_profile_id": 9,
            "stack_level": 1,
            "charging_profile_purpose": purpose,
            "charging_profile_kind": "Relative",
            "charging_schedule": {
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": 10.0}],
            },
        }
        answer = await central.call(
            call16.SetChargingProfile(
                connector_id=connector, cs_charging_profiles=profile
            )
        )
        return str(answer.status)

    assert await install(0, "ChargePointMaxProfile") == "Rejected"
    assert await install(1, "TxProfile") == "Rejected"  # no transaction yet
    assert sim.evse(1).in_transaction is False


@pytest.mark.parametrize(
    ("quirks", "expected"),
    [
        (Quirks(), (12.0, 1)),
        (Quirks(ignore_number_phases=True), (4.0, 3)),
        (Quirks(ignore_number_phases=True, suspend_below_min_current=True), (0.0, 3)),
    ],
)
def test_offer_follows_number_phases_quirks(
    quirks: Quirks, expected: tuple[float, int]
) -> None:
    sim = ChargePointSimulator(
        SimulatorConfig(charger_id="CP_Q", ocpp_version="1.6", quirks=quirks)
    )
    profile = parse_profile(
        {
            "charging_profile_id": 1,
            "stack_level": 0,
            "charging_profile_purpose": "TxDefaultProfile",
            "charging_profile_kind": "Relative",
            "charging_schedule": {
                "charging_rate_unit": "W",
                "charging_schedule_period": [
                    {"start_period": 0, "limit": 2760.0, "number_phases": 1}
                ],
            },
        }
    )
    sim.profiles.install(profile, 0)
    offer = sim.offer_for(sim.evse(1))
    assert (offer.current, offer.phases) == expected
