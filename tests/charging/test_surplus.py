"""Solar-surplus controller, driven with scripted 30 s ticks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
import random

import pytest

from custom_components.ocpp_csms.charging.surplus import (
    SurplusConfig,
    SurplusController,
    SurplusDecision,
    SurplusInputs,
    SurplusMode,
    available_surplus_w,
)

T0 = datetime(2026, 6, 1, 10, tzinfo=UTC)
V = 230.0


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _tick(
    ctrl: SurplusController,
    seconds: float,
    surplus_w: float,
    **extra: float | None,
) -> SurplusDecision:
    """Feed one reading: the house exports ``surplus_w`` besides the EV's draw."""
    ev_w = ctrl.amps * V * ctrl.phases if ctrl.charging else 0.0
    return ctrl.update(
        SurplusInputs(
            now=_at(seconds),
            grid_power_w=ev_w - surplus_w,
            ev_power_w=ev_w,
            **extra,  # type: ignore[arg-type]
        )
    )


def _run(
    ctrl: SurplusController, surpluses: Iterable[float], start_s: float = 0.0
) -> list[SurplusDecision]:
    return [_tick(ctrl, start_s + 30 * i, watts) for i, watts in enumerate(surpluses)]


def _solar(**config: object) -> SurplusController:
    return SurplusController(SurplusConfig(**config), SurplusMode.SOLAR)  # type: ignore[arg-type]


def _charging_1p(ctrl: SurplusController, watts: float = 2000.0) -> float:
    """Start ``ctrl`` on one phase; returns the time of the start tick."""
    decisions = _run(ctrl, [watts] * 3)
    assert decisions[-1].changed
    assert ctrl.charging
    assert ctrl.phases == 1
    return 60.0


def test_start_delay_honoured() -> None:
    ctrl = _solar()
    first = _tick(ctrl, 0, 2000)
    assert (first.amps, first.changed) == (0.0, False)
    assert first.reason == "waiting 60 s for surplus to hold"
    assert not _tick(ctrl, 30, 2000).changed
    at_59 = _tick(ctrl, 59, 2000)
    assert (at_59.amps, at_59.changed) == (0.0, False)
    at_60 = _tick(ctrl, 60, 2000)
    # 2000 W / 230 V = 8.7 A on one phase, rounded down.
    assert at_60 == SurplusDecision(
        amps=8.0, phases=1, changed=True, reason="started, surplus 2.0 kW"
    )
    assert ctrl.charging
    assert ctrl.amps == 8.0


def test_dip_during_start_delay_restarts_the_wait() -> None:
    ctrl = _solar()
    decisions = _run(ctrl, [2000, 2000, 500, 2000, 2000, 2000])
    assert decisions[2].reason == "no surplus (0.5 kW)"
    assert [d.changed for d in decisions] == [False] * 5 + [True]


def test_no_surplus_never_starts() -> None:
    ctrl = _solar()
    decisions = _run(ctrl, [1000] * 120)
    assert not any(d.changed or d.amps for d in decisions)
    assert not ctrl.charging


def test_start_margin_adds_hysteresis() -> None:
    # 1p minimum is 1380 W; with a 500 W margin 1500 W is not enough to start.
    ctrl = _solar(start_margin_w=500.0)
    assert not any(d.changed for d in _run(ctrl, [1500] * 10))
    assert _run(ctrl, [1900] * 3, start_s=300)[-1].changed


def test_stop_after_stop_delay_holding_minimum_meanwhile() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl)
    decisions = _run(ctrl, [500] * 7, start_s=t + 30)
    # The first short tick drops to the minimum, then it is held for 180 s.
    assert [d.amps for d in decisions[:6]] == [6.0] * 6
    assert decisions[0].changed
    assert not any(d.changed for d in decisions[1:6])
    assert decisions[1].reason == "surplus short for 30 s, holding 6 A"
    assert decisions[6] == SurplusDecision(
        amps=0.0, phases=1, changed=True, reason="stopped: no surplus for 180 s"
    )
    assert not ctrl.charging
    # Paused again: a fresh start delay applies.
    assert not _tick(ctrl, t + 300, 2000).changed


def test_clouds_within_stop_delay_do_not_stop() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl)
    # 150 s of cloud, sun, then another 150 s of cloud: the timer restarts.
    pattern = [2000] + [300] * 5 + [2000] * 2 + [300] * 5 + [2000] * 2
    decisions = _run(ctrl, pattern, start_s=t + 30)
    assert all(d.amps >= 6.0 for d in decisions)
    assert ctrl.charging
    # The sun back for good: up again once it has held 60 s.
    back = _run(ctrl, [3000] * 3, start_s=t + 30 + 30 * len(pattern))
    assert [d.amps for d in back] == [6.0, 6.0, 13.0]


def test_short_dips_below_minimum_only_move_the_current() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl, watts=3000)
    decisions = _run(ctrl, [3000, 1000, 3000, 1000, 3000] * 10, start_s=t + 30)
    assert ctrl.charging
    assert {d.amps for d in decisions} == {6.0, 13.0}


def test_solar_min_never_below_minimum() -> None:
    ctrl = SurplusController(SurplusConfig(), SurplusMode.SOLAR_MIN)
    first = _tick(ctrl, 0, 0)
    # Starts at once with the minimum, on one phase: the least from the grid.
    assert (first.amps, first.phases, first.changed) == (6.0, 1, True)
    decisions = _run(ctrl, [0] * 120, start_s=30)
    assert all(d.amps == 6.0 and not d.changed for d in decisions)
    assert decisions[0].reason == "surplus 0.0 kW short, 6 A minimum"
    assert ctrl.charging
    # Surplus on top raises the current (once it has held 60 s).
    assert _run(ctrl, [2500] * 3, start_s=4000)[-1].amps == 10.0


def test_solar_min_drops_to_one_phase_when_three_cannot_hold() -> None:
    ctrl = SurplusController(SurplusConfig(), SurplusMode.SOLAR_MIN)
    assert _tick(ctrl, 0, 5000).phases == 3
    decisions = _run(ctrl, [500] * 7, start_s=30)
    assert [d.phases for d in decisions] == [3] * 6 + [1]
    assert decisions[-1].changed
    assert decisions[-1].amps == 6.0
    assert ctrl.charging


def test_switch_up_to_three_phases_after_delay() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl)
    # 5 kW: 21.7 A on 1p (capped at 16), 7.2 A on 3p.
    decisions = _run(ctrl, [5000] * 7, start_s=t + 30)
    assert [d.phases for d in decisions] == [1] * 6 + [3]
    assert [d.amps for d in decisions[:3]] == [8.0, 8.0, 16.0]
    assert decisions[5].phases == 1  # 150 s: not yet
    assert decisions[6] == SurplusDecision(
        amps=7.0, phases=3, changed=True, reason="switched to 3 phases, 5.0 kW"
    )


def test_switch_down_to_one_phase_after_delay() -> None:
    ctrl = _solar()
    assert _run(ctrl, [6000] * 3)[-1].phases == 3  # starts on 3p when it can
    # 3 kW: 4.3 A on 3p (below minimum), 13 A on 1p.
    decisions = _run(ctrl, [3000] * 7, start_s=90)
    assert [d.phases for d in decisions] == [3] * 6 + [1]
    assert all(d.amps == 6.0 for d in decisions[:6])
    assert ctrl.charging
    assert decisions[6] == SurplusDecision(
        amps=13.0, phases=1, changed=True, reason="switched to 1 phase, 3.0 kW"
    )


def test_phase_switch_interrupted_restarts_delay() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl)
    decisions = _run(ctrl, [5000] * 5 + [2000] + [5000] * 6, start_s=t + 30)
    assert all(d.phases == 1 for d in decisions)


def test_three_phase_only_charger() -> None:
    ctrl = _solar(phases_available=(3,))
    assert ctrl.phases == 3
    # 3 kW would do on 1p but this charger cannot switch.
    assert not any(d.changed for d in _run(ctrl, [3000] * 10))
    started = _run(ctrl, [4200] * 3, start_s=300)[-1]
    assert (started.amps, started.phases, started.changed) == (6.0, 3, True)
    decisions = _run(ctrl, [3000] * 7, start_s=390)
    assert [d.phases for d in decisions] == [3] * 7
    assert decisions[-1].amps == 0.0
    assert not ctrl.charging


def test_one_phase_only_charger_never_switches() -> None:
    ctrl = _solar(phases_available=(1,))
    _charging_1p(ctrl)
    assert all(d.phases == 1 for d in _run(ctrl, [11000] * 20, start_s=90))


def test_max_cap() -> None:
    ctrl = _solar(phases_available=(3,))
    assert _run(ctrl, [10000] * 3)[-1].amps == 14.0
    assert _run(ctrl, [20000] * 3, start_s=90)[-1].amps == 16.0


def test_sent_current_is_whole_amps_within_the_surplus() -> None:
    ctrl = _solar()
    rng = random.Random(7)
    for i in range(240):
        watts = rng.uniform(1500, 12000)
        decision = _tick(ctrl, 30 * i, watts)
        if decision.changed and decision.amps:
            assert decision.amps == int(decision.amps)
            if decision.amps > 6.0:
                assert decision.amps * V * decision.phases <= watts


def test_decrease_at_once_beyond_the_import_tolerance() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl, watts=2000)  # 8 A = 1840 W
    # 90 W short of what the EV draws: within the 150 W tolerance.
    assert not _tick(ctrl, t + 30, 1750).changed
    # 190 W short: down on the same tick, to what the surplus pays for.
    down = _tick(ctrl, t + 60, 1650)  # 7.2 A
    assert (down.amps, down.changed) == (7.0, True)


def test_decrease_tolerance_is_configurable() -> None:
    ctrl = _solar(decrease_tolerance_w=0.0)
    t = _charging_1p(ctrl, watts=2000)
    assert _tick(ctrl, t + 30, 1830).amps == 7.0  # 10 W short is enough


def test_never_imports_beyond_tolerance_after_a_decision() -> None:
    ctrl = _solar()
    rng = random.Random(3)
    watts = 5000.0
    for i in range(2000):
        watts = min(12000.0, max(0.0, watts + rng.uniform(-600, 600)))
        decision = _tick(ctrl, 30 * i, watts)
        draw = decision.amps * V * decision.phases
        if decision.amps > 6.0:
            assert draw - watts <= 150.0


def test_increase_waits_for_the_delay_and_takes_the_least_held() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl, watts=2000)  # 8 A
    # 15.2 A, 13.0 A, 13.9 A: up after 60 s, to what held throughout.
    decisions = _run(ctrl, [3500, 3000, 3200], start_s=t + 30)
    assert [d.changed for d in decisions] == [False, False, True]
    assert decisions[0].reason == "surplus 3.5 kW, raising in 60 s"
    assert decisions[1].reason == "surplus 3.0 kW, raising in 30 s"
    assert decisions[2].amps == 13.0


def test_a_break_restarts_the_increase_delay() -> None:
    ctrl = _solar()
    t = _charging_1p(ctrl, watts=2000)  # 8 A
    # The dip to 2.0 kW is not worth a step: the wait starts again after it.
    decisions = _run(ctrl, [3500, 2000, 3500, 3500, 3500], start_s=t + 30)
    assert [d.changed for d in decisions] == [False] * 4 + [True]
    assert decisions[-1].amps == 15.0


def test_small_increase_waits_longer() -> None:
    # On 1 phase 700 W is 3.04 A: +2 A is a small step.
    ctrl = _solar()
    t = _charging_1p(ctrl, watts=2000)  # 8 A
    decisions = _run(ctrl, [2300] * 31, start_s=t + 30)  # 10 A for 900 s
    assert not any(d.changed for d in decisions[:30])
    assert (decisions[30].amps, decisions[30].changed) == (10.0, True)


def test_increase_step_is_power_not_amps() -> None:
    # +1.5 A: 1035 W on 3 phases is a full step (up after 60 s), 345 W on
    # 1 phase is a small one (up after 900 s).
    three = _solar(phases_available=(3,))
    assert _run(three, [4900] * 3)[-1].amps == 7.0  # 7.1 A
    assert _run(three, [5900] * 3, start_s=90)[-1].amps == 8.0  # 8.55 A
    one = _solar()
    t = _charging_1p(one, watts=2000)  # 8 A
    decisions = _run(one, [2200] * 31, start_s=t + 30)  # 9.57 A
    assert [d.changed for d in decisions].index(True) == 30


def test_increase_rules_configurable() -> None:
    # Without step or delay the current follows the surplus up at once.
    ctrl = _solar(increase_step_w=0.0, increase_delay_s=0.0)
    t = _charging_1p(ctrl, watts=2000)  # 8 A
    small = _tick(ctrl, t + 30, 2100)  # 9.1 A: 1.1 A above what was sent
    assert (small.amps, small.changed) == (9.0, True)
    assert not _tick(ctrl, t + 60, 2250).changed  # 9.8 A: under 1 A away


def test_steady_sun_with_noise_sends_few_changes() -> None:
    rng = random.Random(42)
    for base in (2500.0, 5000.0, 8000.0):
        ctrl = _solar()
        surpluses = [base + rng.uniform(-100, 100) for _ in range(120)]  # one hour
        changes = sum(d.changed for d in _run(ctrl, surpluses))
        assert 1 <= changes <= 6, (base, changes)


def test_battery_priority() -> None:
    def inputs(soc: float | None, battery_w: float = 2000.0) -> SurplusInputs:
        return SurplusInputs(
            now=T0,
            grid_power_w=-500,
            ev_power_w=1000,
            battery_power_w=battery_w,
            battery_soc=soc,
        )

    shared = SurplusConfig()
    first = SurplusConfig(battery_priority_soc=80.0)
    assert available_surplus_w(shared, inputs(50)) == 3500
    assert available_surplus_w(first, inputs(50)) == 1500
    assert available_surplus_w(first, inputs(None)) == 1500  # unknown SoC: battery
    assert available_surplus_w(first, inputs(80)) == 3500
    # A discharging battery is never surplus, priority or not.
    assert available_surplus_w(shared, inputs(50, -700)) == 800
    assert available_surplus_w(first, inputs(50, -700)) == 800

    ctrl = SurplusController(first, SurplusMode.SOLAR)
    battery = {"battery_power_w": 2000.0, "battery_soc": 50.0}
    assert not any(_tick(ctrl, 30 * i, 500, **battery).changed for i in range(5))
    battery["battery_soc"] = 85.0
    decisions = [_tick(ctrl, 150 + 30 * i, 500, **battery) for i in range(3)]
    assert decisions[-1].changed
    assert decisions[-1].amps == 10.0


def test_deterministic() -> None:
    rng = random.Random(1)
    surpluses = [rng.uniform(0, 9000) for _ in range(300)]
    first = _run(_solar(), surpluses)
    assert first == _run(_solar(), surpluses)
    assert any(d.changed for d in first)


@pytest.mark.parametrize(
    "config",
    [
        {"phases_available": ()},
        {"phases_available": (1, 2)},
        {"min_a": 0.0},
        {"min_a": 20.0},
        {"voltage_v": 0.0},
        {"increase_step_w": -1.0},
        {"increase_delay_s": -1.0},
        {"small_increase_delay_s": -1.0},
        {"decrease_tolerance_w": -1.0},
    ],
)
def test_invalid_config_rejected(config: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        SurplusConfig(**config)  # type: ignore[arg-type]
