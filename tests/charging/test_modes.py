"""Charging modes, stored settings, departure time and energy need rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.ocpp_csms.charging.modes import (
    CAPACITY_MIN_SOC_RISE,
    DEFAULT_CAPACITY_KWH,
    SURPLUS_HOLD,
    ChargingMode,
    EnergyNeed,
    EvseSettings,
    energy_needed,
    estimated_capacity_kwh,
    limit_at,
    next_departure,
    phase_amps_at,
    surplus_can_wait,
    surplus_override,
)
from custom_components.ocpp_csms.charging.planner import Plan, PlannedSlot
from custom_components.ocpp_csms.charging.profiles import LimitStep

AMS = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


# -- ChargingMode ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "plans", "uses_surplus"),
    [
        (ChargingMode.OFF, False, False),
        (ChargingMode.FAST, False, False),
        (ChargingMode.CHEAPEST, True, False),
        (ChargingMode.SOLAR, False, True),
        (ChargingMode.SOLAR_MIN, False, True),
        (ChargingMode.SMART, True, True),
    ],
)
def test_mode_plans_and_uses_surplus(
    mode: ChargingMode, plans: bool, uses_surplus: bool
) -> None:
    assert mode.plans is plans
    assert mode.uses_surplus is uses_surplus


def test_every_mode_is_classified() -> None:
    # A new mode must be added to the table above.
    assert {mode.value for mode in ChargingMode} == {
        "off",
        "fast",
        "cheapest",
        "solar",
        "solar_min",
        "smart",
    }


# -- EvseSettings -----------------------------------------------------------------


def test_settings_defaults() -> None:
    settings = EvseSettings()
    assert settings.mode is ChargingMode.FAST
    assert settings.target_energy_kwh == 20.0
    assert settings.target_soc == 80.0
    assert settings.departure == time(7, 0)


def test_settings_as_dict_is_json_ready() -> None:
    settings = EvseSettings(
        mode=ChargingMode.SMART,
        target_energy_kwh=33.5,
        target_soc=90.0,
        departure=time(6, 45),
    )
    assert settings.as_dict() == {
        "mode": "smart",
        "target_energy_kwh": 33.5,
        "target_soc": 90.0,
        "departure": "06:45:00",
        "price_cap": 0.0,
    }
    assert type(settings.as_dict()["mode"]) is str


@pytest.mark.parametrize("mode", list(ChargingMode))
def test_settings_round_trip(mode: ChargingMode) -> None:
    settings = EvseSettings(
        mode=mode, target_energy_kwh=12.25, target_soc=65.0, departure=time(23, 59)
    )
    assert EvseSettings.from_dict(settings.as_dict()) == settings


def test_settings_from_empty_dict_are_defaults() -> None:
    assert EvseSettings.from_dict({}) == EvseSettings()


def test_settings_from_dict_accepts_numeric_strings_and_ints() -> None:
    settings = EvseSettings.from_dict(
        {"mode": "solar", "target_energy_kwh": "15", "target_soc": 70}
    )
    assert settings.target_energy_kwh == 15.0
    assert settings.target_soc == 70.0
    assert isinstance(settings.target_soc, float)
    assert settings.mode is ChargingMode.SOLAR


STORED = {
    "mode": "cheapest",
    "target_energy_kwh": 30.0,
    "target_soc": 70.0,
    "departure": "08:15:00",
}


@pytest.mark.parametrize(
    ("key", "broken"),
    [
        ("mode", "turbo"),
        ("mode", None),
        ("mode", 3),
        ("departure", "25:00"),
        ("departure", "half past seven"),
        ("departure", None),
        ("departure", 700),
        ("target_energy_kwh", "lots"),
        ("target_energy_kwh", None),
        ("target_energy_kwh", [20]),
        ("target_energy_kwh", float("nan")),
        ("target_soc", "full"),
        ("target_soc", {"value": 80}),
        ("target_soc", float("inf")),
    ],
)
def test_settings_broken_value_falls_back_to_its_default(key: str, broken: Any) -> None:
    settings = EvseSettings.from_dict(STORED | {key: broken})
    good = EvseSettings.from_dict(STORED)
    # The broken value is the default ...
    assert getattr(settings, key) == getattr(EvseSettings(), key)
    # ... and the other, readable values are kept, not reset with it.
    for other in ("mode", "target_energy_kwh", "target_soc", "departure"):
        if other != key:
            assert getattr(settings, other) == getattr(good, other)
    assert good != EvseSettings()  # the stored values differ from the defaults


def test_settings_from_dict_ignores_unknown_keys() -> None:
    settings = EvseSettings.from_dict(STORED | {"transaction_id": 5, "extra": "x"})
    assert settings == EvseSettings.from_dict(STORED)


# -- next_departure ---------------------------------------------------------------


def test_departure_later_today() -> None:
    now = datetime(2026, 6, 1, 5, 30, 12, 345, tzinfo=AMS)
    assert next_departure(now, time(7, 0)) == datetime(2026, 6, 1, 7, 0, tzinfo=AMS)


def test_departure_drops_seconds_of_now() -> None:
    now = datetime(2026, 6, 1, 5, 30, 59, 999999, tzinfo=AMS)
    departure = next_departure(now, time(6, 0))
    assert (departure.second, departure.microsecond) == (0, 0)


def test_departure_already_passed_is_tomorrow() -> None:
    now = datetime(2026, 6, 1, 9, 0, tzinfo=AMS)
    assert next_departure(now, time(7, 0)) == datetime(2026, 6, 2, 7, 0, tzinfo=AMS)


def test_departure_exactly_now_is_tomorrow() -> None:
    now = datetime(2026, 6, 1, 7, 0, tzinfo=AMS)
    assert next_departure(now, time(7, 0)) == datetime(2026, 6, 2, 7, 0, tzinfo=AMS)


def test_departure_less_than_a_minute_away_is_tomorrow() -> None:
    now = datetime(2026, 6, 1, 6, 59, 1, tzinfo=AMS)
    assert next_departure(now, time(7, 0)) == datetime(2026, 6, 2, 7, 0, tzinfo=AMS)


def test_departure_exactly_a_minute_away_is_today() -> None:
    now = datetime(2026, 6, 1, 6, 59, tzinfo=AMS)
    assert next_departure(now, time(7, 0)) == datetime(2026, 6, 1, 7, 0, tzinfo=AMS)


def test_departure_at_midnight_less_than_a_minute_away_is_the_next_one() -> None:
    # Tomorrow's 00:00 is 30 s away: the car is leaving, so the one after.
    now = datetime(2026, 6, 1, 23, 59, 30, tzinfo=AMS)
    assert next_departure(now, time(0, 0)) == datetime(2026, 6, 3, 0, 0, tzinfo=AMS)


def test_departure_keeps_the_zone_of_now() -> None:
    now = datetime(2026, 6, 1, 5, 0, tzinfo=AMS)
    departure = next_departure(now, time(7, 0))
    assert departure.tzinfo is AMS
    assert departure.utcoffset() == timedelta(hours=2)


def test_departure_in_utc_now() -> None:
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert next_departure(now, time(7, 0)) == datetime(2026, 6, 2, 7, 0, tzinfo=UTC)


def _local(moment: datetime) -> tuple[int, int, int, int, int]:
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute)


def test_departure_across_spring_forward_keeps_the_wall_clock() -> None:
    # Amsterdam: 2026-03-29 02:00 CET -> 03:00 CEST.
    now = datetime(2026, 3, 28, 20, 0, tzinfo=AMS)  # +01:00
    departure = next_departure(now, time(7, 0))
    assert _local(departure) == (2026, 3, 29, 7, 0)
    assert departure.utcoffset() == timedelta(hours=2)
    assert departure.astimezone(UTC) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    assert departure - now == timedelta(hours=11)  # wall clock; 10 h real
    assert departure.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=10)


def test_departure_passed_before_spring_forward_is_tomorrow_at_the_wall_clock() -> None:
    now = datetime(2026, 3, 28, 8, 0, tzinfo=AMS)  # 07:00 has passed, CET
    departure = next_departure(now, time(7, 0))
    assert _local(departure) == (2026, 3, 29, 7, 0)
    assert departure.astimezone(UTC) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_departure_across_fall_back_keeps_the_wall_clock() -> None:
    # Amsterdam: 2026-10-25 03:00 CEST -> 02:00 CET.
    now = datetime(2026, 10, 24, 8, 0, tzinfo=AMS)  # 07:00 has passed, CEST
    departure = next_departure(now, time(7, 0))
    assert _local(departure) == (2026, 10, 25, 7, 0)
    assert departure.utcoffset() == timedelta(hours=1)
    assert departure.astimezone(UTC) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)
    assert departure.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=24)


def test_departure_a_minute_away_in_real_time_across_spring_forward() -> None:
    # 01:59:30 CET: 03:00 CEST on the wall clock is only 30 s away.
    now = datetime(2026, 3, 29, 1, 59, 30, tzinfo=AMS)
    departure = next_departure(now, time(3, 0))
    assert _local(departure) == (2026, 3, 30, 3, 0)


def test_departure_an_hour_away_in_real_time_across_fall_back() -> None:
    # 02:59:30 CEST: the wall clock reads 03:00 after one more hour (CET).
    now = datetime(2026, 10, 25, 2, 59, 30, tzinfo=AMS)
    departure = next_departure(now, time(3, 0))
    assert departure.astimezone(UTC) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert _local(departure) == (2026, 10, 25, 3, 0)


def test_departure_in_the_repeated_hour_happens_a_second_time() -> None:
    # 02:40 CEST: 02:30 has passed once, and comes again at 02:30 CET.
    now = datetime(2026, 10, 25, 2, 40, tzinfo=AMS)
    departure = next_departure(now, time(2, 30))
    assert departure.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert departure.fold == 1
    assert departure.utcoffset() == timedelta(hours=1)


def test_departure_in_the_repeated_hour_takes_the_first_one() -> None:
    now = datetime(2026, 10, 25, 1, 0, tzinfo=AMS)
    departure = next_departure(now, time(2, 30))
    assert departure.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert departure.utcoffset() == timedelta(hours=2)


def test_departure_in_the_skipped_hour_is_shifted_by_the_gap() -> None:
    now = datetime(2026, 3, 29, 1, 0, tzinfo=AMS)
    departure = next_departure(now, time(2, 30))
    assert departure.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # A real local time, not the imaginary 02:30.
    assert _local(departure) == (2026, 3, 29, 3, 30)
    assert departure.utcoffset() == timedelta(hours=2)


# -- estimated_capacity_kwh --------------------------------------------------------


def test_capacity_from_energy_and_soc_rise() -> None:
    # 15 kWh for 20 -> 45 % (25 %): 60 kWh.
    assert estimated_capacity_kwh(15_000, 20.0, 45.0) == pytest.approx(60.0)


def test_capacity_needs_the_minimum_soc_rise() -> None:
    assert CAPACITY_MIN_SOC_RISE == 5.0
    assert estimated_capacity_kwh(3_000, 40.0, 45.0) == pytest.approx(60.0)
    assert estimated_capacity_kwh(2_990, 40.0, 44.99) is None


@pytest.mark.parametrize(
    ("session_wh", "soc_start", "soc_now"),
    [
        (10_000, None, 50.0),
        (10_000, 20.0, None),
        (10_000, None, None),
        (10_000, 50.0, 40.0),  # SoC fell
        (0.0, 20.0, 60.0),
        (-100.0, 20.0, 60.0),
    ],
)
def test_capacity_unknown(
    session_wh: float, soc_start: float | None, soc_now: float | None
) -> None:
    assert estimated_capacity_kwh(session_wh, soc_start, soc_now) is None


# -- energy_needed ---------------------------------------------------------------


def test_need_soc_basis_with_learned_capacity() -> None:
    settings = EvseSettings(target_soc=80.0, target_energy_kwh=5.0)
    need = energy_needed(settings, session_wh=9_999.0, soc=30.0, capacity_kwh=50.0)
    # 50 % of 50 kWh; the session energy does not count on the SoC basis.
    assert need == EnergyNeed(energy_wh=25_000.0, basis="soc", capacity_kwh=50.0)


def test_need_soc_basis_with_default_capacity() -> None:
    settings = EvseSettings(target_soc=80.0)
    need = energy_needed(settings, session_wh=0.0, soc=30.0, capacity_kwh=None)
    assert need.basis == "soc"
    assert need.capacity_kwh == DEFAULT_CAPACITY_KWH
    assert need.energy_wh == pytest.approx(0.5 * DEFAULT_CAPACITY_KWH * 1000)


def test_need_soc_basis_zero_capacity_uses_default() -> None:
    need = energy_needed(EvseSettings(), session_wh=0.0, soc=70.0, capacity_kwh=0.0)
    assert need.capacity_kwh == DEFAULT_CAPACITY_KWH
    assert need.energy_wh == pytest.approx(0.1 * DEFAULT_CAPACITY_KWH * 1000)


@pytest.mark.parametrize("soc", [80.0, 95.0])
def test_need_soc_at_or_above_target_is_zero(soc: float) -> None:
    need = energy_needed(
        EvseSettings(target_soc=80.0), session_wh=0.0, soc=soc, capacity_kwh=40.0
    )
    assert need.energy_wh == 0.0
    assert need.basis == "soc"


def test_need_energy_basis_without_soc_subtracts_session() -> None:
    settings = EvseSettings(target_energy_kwh=20.0, target_soc=80.0)
    need = energy_needed(settings, session_wh=7_500.0, soc=None, capacity_kwh=50.0)
    assert need == EnergyNeed(energy_wh=12_500.0, basis="energy", capacity_kwh=None)


def test_need_energy_basis_when_soc_target_is_zero() -> None:
    settings = EvseSettings(target_energy_kwh=10.0, target_soc=0.0)
    need = energy_needed(settings, session_wh=4_000.0, soc=30.0, capacity_kwh=50.0)
    assert need.basis == "energy"
    assert need.energy_wh == 6_000.0
    assert need.capacity_kwh is None


def test_need_energy_basis_never_negative() -> None:
    settings = EvseSettings(target_energy_kwh=10.0)
    need = energy_needed(settings, session_wh=12_000.0, soc=None, capacity_kwh=None)
    assert need.energy_wh == 0.0


# -- limit_at --------------------------------------------------------------------


STEPS = [
    LimitStep(start=T0, amps=6.0),
    LimitStep(start=T0 + timedelta(hours=1), amps=16.0),
    LimitStep(start=T0 + timedelta(hours=2), amps=0.0),
]


def test_limit_before_the_first_step_is_zero() -> None:
    assert limit_at(STEPS, T0 - timedelta(seconds=1)) == 0.0


def test_limit_at_step_boundaries_and_between() -> None:
    assert limit_at(STEPS, T0) == 6.0
    assert limit_at(STEPS, T0 + timedelta(minutes=59)) == 6.0
    assert limit_at(STEPS, T0 + timedelta(hours=1)) == 16.0
    assert limit_at(STEPS, T0 + timedelta(hours=2)) == 0.0
    assert limit_at(STEPS, T0 + timedelta(days=3)) == 0.0


def test_limit_of_no_steps_is_zero() -> None:
    assert limit_at([], T0) == 0.0


# -- surplus_override -----------------------------------------------------------


def test_override_raises_the_plan_to_the_surplus() -> None:
    plan = [LimitStep(start=T0 - timedelta(hours=1), amps=6.0)]
    steps = surplus_override(plan, T0, 10.0, 1, plan_phases=1)
    assert steps == [LimitStep(start=T0, amps=10.0, phases=1)]


def test_override_without_a_plan_is_the_surplus() -> None:
    assert surplus_override([], T0, 8.0, 3) == [LimitStep(start=T0, amps=8.0, phases=3)]


def test_override_keeps_a_higher_plan_current_without_phases() -> None:
    plan = [LimitStep(start=T0 - timedelta(hours=1), amps=16.0)]
    steps = surplus_override(plan, T0, 10.0, 1, plan_phases=1)
    assert steps == [LimitStep(start=T0, amps=16.0, phases=None)]


def test_override_keeps_an_equal_plan_current() -> None:
    plan = [LimitStep(start=T0, amps=10.0)]
    assert surplus_override(plan, T0, 10.0, 3) == [LimitStep(start=T0, amps=10.0)]


def test_override_follows_plan_steps_inside_the_hold() -> None:
    plan = [
        LimitStep(start=T0 - timedelta(hours=1), amps=0.0),
        LimitStep(start=T0 + timedelta(minutes=10), amps=16.0),
        LimitStep(start=T0 + timedelta(minutes=20), amps=4.0),
    ]
    steps = surplus_override(plan, T0, 10.0, 1, plan_phases=1)
    assert steps == [
        LimitStep(start=T0, amps=10.0, phases=1),
        LimitStep(start=T0 + timedelta(minutes=10), amps=16.0),
        LimitStep(start=T0 + timedelta(minutes=20), amps=10.0, phases=1),
    ]


def test_override_ignores_plan_steps_outside_the_hold() -> None:
    assert timedelta(minutes=30) == SURPLUS_HOLD
    plan = [
        LimitStep(start=T0 - timedelta(minutes=5), amps=4.0),
        LimitStep(start=T0 + SURPLUS_HOLD, amps=32.0),  # the hold has ended
        LimitStep(start=T0 + timedelta(hours=2), amps=32.0),
    ]
    steps = surplus_override(plan, T0, 10.0, 3)
    assert steps == [LimitStep(start=T0, amps=10.0, phases=3)]


def test_override_plan_step_at_now_is_not_doubled() -> None:
    plan = [
        LimitStep(start=T0 - timedelta(hours=1), amps=6.0),
        LimitStep(start=T0, amps=20.0),
    ]
    assert surplus_override(plan, T0, 10.0, 3) == [LimitStep(start=T0, amps=20.0)]


def test_override_steps_are_in_time_order_within_the_hold() -> None:
    plan = [
        LimitStep(start=T0 + timedelta(minutes=minute), amps=float(minute % 20))
        for minute in range(-15, 60, 5)
    ]
    steps = surplus_override(plan, T0, 7.0, 1, plan_phases=1)
    starts = [step.start for step in steps]
    assert starts == sorted(starts)
    assert starts[0] == T0
    assert all(T0 <= start < T0 + SURPLUS_HOLD for start in starts)
    for step in steps:
        planned = limit_at(plan, step.start)
        assert step.amps == max(planned, 7.0)
        assert step.phases == (1 if planned < 7.0 else None)


def test_surplus_override_compares_power_not_current() -> None:
    """11 A on one phase (2.5 kW) does not replace a 10 A three-phase plan (6.9 kW)."""
    now = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    plan = [LimitStep(start=now, amps=10.0)]
    steps = surplus_override(plan, now, 11.0, 1, plan_phases=3)
    assert steps == [LimitStep(start=now, amps=10.0)]
    # On three phases the surplus is more power, so it wins.
    steps = surplus_override(plan, now, 11.0, 3, plan_phases=3)
    assert steps == [LimitStep(start=now, amps=11.0, phases=3)]


def test_price_cap_zero_means_no_cap() -> None:
    assert EvseSettings().cap is None
    assert EvseSettings(price_cap=0.25).cap == 0.25
    restored = EvseSettings.from_dict({"price_cap": "broken", "mode": "cheapest"})
    assert restored.cap is None
    assert restored.mode is ChargingMode.CHEAPEST


def _slot(
    start_h: int, price: float, energy_wh: float, reserve: bool = False
) -> PlannedSlot:
    start = T0 + timedelta(hours=start_h)
    return PlannedSlot(
        start=start,
        end=start + timedelta(hours=1),
        amps=16.0,
        energy_wh=energy_wh,
        price=price,
        reserve=reserve,
    )


def _plan(*slots: PlannedSlot) -> Plan:
    return Plan(slots=slots, energy_wh=0.0, cost=0.0, complete=True)


def test_surplus_waits_for_free_slots_that_cover_the_need() -> None:
    plan = _plan(_slot(2, -0.01, 6000), _slot(3, 0.0, 5000), _slot(4, 0.2, 11000))
    assert surplus_can_wait(plan, T0, 11_000)
    assert not surplus_can_wait(plan, T0, 11_001), "dear slots do not count"


def test_surplus_does_not_wait_for_reserve_or_past_slots() -> None:
    plan = _plan(_slot(-2, -0.05, 11000), _slot(2, -0.05, 11000, reserve=True))
    assert not surplus_can_wait(plan, T0, 1000)


def test_surplus_counts_the_rest_of_a_running_free_slot() -> None:
    plan = _plan(_slot(0, -0.05, 10000))
    half = T0 + timedelta(minutes=30)
    assert surplus_can_wait(plan, half, 5000)
    assert not surplus_can_wait(plan, half, 5001)


def test_nothing_needed_keeps_the_surplus_loop() -> None:
    assert not surplus_can_wait(_plan(_slot(2, -0.05, 11000)), T0, 0)


def test_override_counts_a_one_phase_plan_step_at_its_power() -> None:
    """The plan's 6 A on one phase (weak sun) is 1.4 kW: 3 A on three phases beat it."""
    plan = [
        LimitStep(start=T0 - timedelta(minutes=5), amps=6.0, phases=1),
        LimitStep(start=T0 + timedelta(minutes=10), amps=16.0),
    ]
    assert phase_amps_at(plan, T0, 3) == 6.0
    assert phase_amps_at(plan, T0 + timedelta(minutes=10), 3) == 48.0
    assert phase_amps_at(plan, T0 - timedelta(hours=1), 3) == 0.0
    steps = surplus_override(plan, T0, 3.0, 3)
    assert steps == [
        LimitStep(start=T0, amps=3.0, phases=3),
        LimitStep(start=T0 + timedelta(minutes=10), amps=16.0),
    ]
    # Less than the plan's power: the one-phase step is kept as it is.
    steps = surplus_override(plan, T0, 1.5, 3)
    assert steps[0] == LimitStep(start=T0, amps=6.0, phases=1)
