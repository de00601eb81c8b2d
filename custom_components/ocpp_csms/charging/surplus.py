"""Solar-surplus controller: charge the car with what the house would export.

Called about every 30 s with the meter readings, it says how many amps on
how many phases the charger should get. Delays on start, stop and phase
switches keep a passing cloud from cycling the car's contactor. The current
goes down at once when the car would import from the grid, but up only by a
worthwhile step that the surplus has held for a while (to the least it held
at), so minute-to-minute cloud noise does not rewrite the charger every
tick. Pure and deterministic: the time comes in with the readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import math

from .profiles import MIN_CURRENT_A, NOMINAL_VOLTAGE_V


class SurplusMode(StrEnum):
    """How the controller treats a shortage of surplus."""

    SOLAR = "solar"  # only surplus; off when there is none
    SOLAR_MIN = "solar_min"  # never below the minimum: min from the grid when short


@dataclass(frozen=True, kw_only=True, slots=True)
class SurplusConfig:
    """Limits and delays of the surplus controller."""

    min_a: float = MIN_CURRENT_A
    max_a: float = 16.0
    voltage_v: float = NOMINAL_VOLTAGE_V
    phases_available: tuple[int, ...] = (1, 3)  # (3,) when the charger cannot switch
    start_delay_s: float = 60.0  # surplus must allow the minimum this long to start
    stop_delay_s: float = 180.0  # surplus must be missing this long to stop
    phase_switch_delay_s: float = 180.0
    start_margin_w: float = 0.0  # extra surplus needed on top of the minimum to start
    significant_change_a: float = 1.0  # smaller increases are not sent
    # Up by at least increase_step_w (and significant_change_a) once the
    # extra surplus has held for increase_delay_s; by a smaller step only
    # after small_increase_delay_s. Either way to the least current the
    # surplus paid for over that time.
    increase_step_w: float = 700.0
    increase_delay_s: float = 60.0
    small_increase_delay_s: float = 900.0
    # Down at once when the EV would import more than this from the grid.
    decrease_tolerance_w: float = 150.0
    battery_priority_soc: float | None = None  # battery below this SoC is served first

    def __post_init__(self) -> None:
        """Reject settings the controller cannot work with."""
        if not self.phases_available or not set(self.phases_available) <= {1, 3}:
            msg = f"phases_available must be drawn from (1, 3): {self.phases_available}"
            raise ValueError(msg)
        if not 0 < self.min_a <= self.max_a:
            msg = f"need 0 < min_a <= max_a: {self.min_a}, {self.max_a}"
            raise ValueError(msg)
        if self.voltage_v <= 0:
            msg = f"voltage_v must be positive: {self.voltage_v}"
            raise ValueError(msg)
        for name in (
            "increase_step_w",
            "increase_delay_s",
            "small_increase_delay_s",
            "decrease_tolerance_w",
        ):
            if getattr(self, name) < 0:
                msg = f"{name} must not be negative: {getattr(self, name)}"
                raise ValueError(msg)


@dataclass(frozen=True, kw_only=True, slots=True)
class SurplusInputs:
    """One set of readings; powers in W."""

    now: datetime
    grid_power_w: float  # positive = import, negative = export
    ev_power_w: float  # what the EV draws now (already inside grid_power_w)
    battery_power_w: float = 0.0  # positive = home battery charging
    battery_soc: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SurplusDecision:
    """What the charger should do now."""

    amps: float  # per phase; 0 = pause
    phases: int
    changed: bool  # differs significantly from the last decision: send a new limit
    reason: str


def available_surplus_w(config: SurplusConfig, inputs: SurplusInputs) -> float:
    """Power the EV could take: the export plus what the EV already draws.

    The home battery's charging counts as surplus unless the battery has
    priority (below ``battery_priority_soc``, or SoC unknown while a priority
    is set). Its discharging is never surplus: that energy would come out of
    the battery, not the sun.
    """
    battery = inputs.battery_power_w
    priority = config.battery_priority_soc
    if priority is not None and (
        inputs.battery_soc is None or inputs.battery_soc < priority
    ):
        battery = min(battery, 0.0)
    return -inputs.grid_power_w + inputs.ev_power_w + battery


class _Hold:
    """Since when a condition has held without a break."""

    __slots__ = ("_since",)

    def __init__(self) -> None:
        self._since: datetime | None = None

    def update(self, condition: bool, now: datetime) -> float | None:
        """Seconds the condition has held at ``now``; None when it does not hold."""
        if not condition:
            self._since = None
            return None
        if self._since is None:
            self._since = now
        return (now - self._since).total_seconds()

    def reset(self) -> None:
        """Forget the condition: it must hold afresh."""
        self._since = None


def _kw(watts: float) -> str:
    return f"{watts / 1000:.1f} kW"


class SurplusController:
    """Turns surplus readings into current and phase decisions for one charger."""

    def __init__(self, config: SurplusConfig, mode: SurplusMode) -> None:
        """Start paused, on the fewest phases the charger offers."""
        self._config = config
        self._mode = mode
        self._charging = False
        self._phases = min(config.phases_available)
        self._amps = 0.0  # last value sent
        self._start = _Hold()
        self._stop = _Hold()
        self._up = _Hold()
        self._down = _Hold()
        self._raise = _Hold()
        self._raise_least = 0.0  # least target while an increase is held
        self._nudge = _Hold()  # the same for a small increase
        self._nudge_least = 0.0

    @property
    def charging(self) -> bool:
        """Whether the last decision lets the car charge."""
        return self._charging

    @property
    def phases(self) -> int:
        """Phases of the last decision (the last used ones while paused)."""
        return self._phases

    @property
    def amps(self) -> float:
        """Current per phase last sent; 0 while paused."""
        return self._amps

    def update(self, inputs: SurplusInputs) -> SurplusDecision:
        """Decide for the readings in ``inputs``; call on every loop tick."""
        available = available_surplus_w(self._config, inputs)
        if self._charging:
            return self._while_charging(inputs.now, available)
        return self._while_paused(inputs.now, available)

    # -- helpers -----------------------------------------------------------

    def _target(self, available: float, phases: int) -> float:
        """Return the current per phase the surplus pays for, capped at max_a."""
        per_phase = available / (self._config.voltage_v * phases)
        return min(self._config.max_a, per_phase)

    def _viable(self, available: float, phases: int, margin_w: float = 0.0) -> bool:
        return self._target(available - margin_w, phases) >= self._config.min_a

    def _amps_for(self, target: float) -> float:
        # Whole amps, rounded down so we never ask for more than the surplus.
        return max(self._config.min_a, float(math.floor(target)))

    def _reset_timers(self) -> None:
        for hold in (
            self._start,
            self._stop,
            self._up,
            self._down,
            self._raise,
            self._nudge,
        ):
            hold.reset()

    def _decision(self, changed: bool, reason: str) -> SurplusDecision:
        return SurplusDecision(
            amps=self._amps, phases=self._phases, changed=changed, reason=reason
        )

    # -- paused ------------------------------------------------------------

    def _while_paused(self, now: datetime, available: float) -> SurplusDecision:
        cfg = self._config
        # Most phases the surplus allows; 1p needs the least power to start.
        viable = [
            p
            for p in cfg.phases_available
            if self._viable(available, p, cfg.start_margin_w)
        ]
        if self._mode is SurplusMode.SOLAR_MIN:
            phases = max(viable, default=min(cfg.phases_available))
            return self._begin(phases, available, f"started, surplus {_kw(available)}")
        held = self._start.update(bool(viable), now)
        if held is None:
            return self._decision(False, f"no surplus ({_kw(available)})")
        if held < cfg.start_delay_s:
            wait = cfg.start_delay_s - held
            return self._decision(False, f"waiting {wait:.0f} s for surplus to hold")
        return self._begin(max(viable), available, f"started, surplus {_kw(available)}")

    def _begin(self, phases: int, available: float, reason: str) -> SurplusDecision:
        self._charging = True
        self._phases = phases
        self._amps = self._amps_for(self._target(available, phases))
        self._reset_timers()
        return self._decision(True, reason)

    # -- charging ----------------------------------------------------------

    def _while_charging(self, now: datetime, available: float) -> SurplusDecision:
        cfg = self._config
        solar_min = self._mode is SurplusMode.SOLAR_MIN
        can_switch = set(cfg.phases_available) == {1, 3}
        on_three = self._phases == 3
        up = self._up.update(
            can_switch and not on_three and self._viable(available, 3), now
        )
        # Down to 1p when 3p cannot hold the minimum; in SOLAR_MIN also when
        # 1p cannot either: the grid then supplies less.
        down = self._down.update(
            can_switch
            and on_three
            and not self._viable(available, 3)
            and (solar_min or self._viable(available, 1)),
            now,
        )
        if up is not None and up >= cfg.phase_switch_delay_s:
            return self._switch(3, available)
        if down is not None and down >= cfg.phase_switch_delay_s:
            return self._switch(1, available)

        short = self._stop.update(
            not solar_min and not self._viable(available, min(cfg.phases_available)),
            now,
        )
        if short is not None and short >= cfg.stop_delay_s:
            self._charging = False
            self._amps = 0.0
            self._reset_timers()
            return self._decision(True, f"stopped: no surplus for {short:.0f} s")

        target = self._target(available, self._phases)
        if short is not None:
            # Keep the minimum meanwhile, a little from the grid: a short
            # cloud must not cycle the car.
            reason = f"surplus short for {short:.0f} s, holding {cfg.min_a:g} A"
        elif target < cfg.min_a:
            reason = f"surplus {_kw(available)} short, {cfg.min_a:g} A minimum"
        else:
            reason = f"surplus {_kw(available)}"
        return self._adjust(now, available, reason)

    def _switch(self, phases: int, available: float) -> SurplusDecision:
        self._phases = phases
        self._amps = self._amps_for(self._target(available, phases))
        self._reset_timers()
        noun = "phase" if phases == 1 else "phases"
        return self._decision(True, f"switched to {phases} {noun}, {_kw(available)}")

    def _adjust(self, now: datetime, available: float, reason: str) -> SurplusDecision:
        """Move the current: down at once on import, up only when it holds.

        Down: as soon as the EV draws more than the surplus plus
        ``decrease_tolerance_w``, to the whole amps the surplus pays for.
        Up: only when the surplus pays for at least ``increase_step_w`` (and
        ``significant_change_a``) more, without a break for
        ``increase_delay_s``, or for at least ``significant_change_a`` more
        for ``small_increase_delay_s``; then to the least current the
        surplus paid for over that time. Minute-to-minute cloud noise thus
        moves the current down at once (no grid import) but up only when the
        sun has come back for a while, instead of a write for each step.
        """
        cfg = self._config
        per_amp_w = cfg.voltage_v * self._phases
        target = max(cfg.min_a, self._target(available, self._phases))
        importing = (self._amps - target) * per_amp_w > cfg.decrease_tolerance_w
        if importing and self._amps > cfg.min_a:
            self._raise.reset()
            self._nudge.reset()
            self._amps = self._amps_for(target)
            return self._decision(True, reason)
        step = max(cfg.significant_change_a, cfg.increase_step_w / per_amp_w)
        small = self._nudge.update(target - self._amps >= cfg.significant_change_a, now)
        if small is not None:
            self._nudge_least = target if small == 0 else min(self._nudge_least, target)
            if small >= cfg.small_increase_delay_s:
                self._nudge.reset()
                self._raise.reset()
                self._amps = self._amps_for(self._nudge_least)
                return self._decision(True, reason)
        held = self._raise.update(target - self._amps >= step, now)
        if held is None:
            return self._decision(False, reason)
        self._raise_least = target if held == 0 else min(self._raise_least, target)
        if held < cfg.increase_delay_s:
            return self._decision(
                False, f"{reason}, raising in {cfg.increase_delay_s - held:.0f} s"
            )
        self._raise.reset()
        self._nudge.reset()
        self._amps = self._amps_for(self._raise_least)
        return self._decision(True, reason)
