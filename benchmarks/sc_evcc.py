"""An evcc-style PV controller, the reference the solar mode is compared with.

Modelled on evcc's loadpoint in PV mode (``pvMaxCurrent`` and
``pvScalePhases``) with its defaults: a 30 s loop; target current = present
(measured) current + grid export / (230 V x active phases); 6 A minimum,
16 A maximum; enable and disable thresholds 0 W; enable delay 60 s, disable
delay 180 s; 1p -> 3p when the surplus carries 3 x 6 A for the enable delay,
3p -> 1p when it cannot for the disable delay. While the disable timer runs
the car is held at the minimum (from the grid). Currents are sent with 0.1 A
resolution, and every change is one charger write (evcc sends a single-period
profile per change). Pure: the clock comes in with the readings.
"""

from __future__ import annotations

from dataclasses import dataclass

VOLTAGE_V = 230.0


@dataclass
class EvccDecision:
    """Current per phase (0 = disabled), phases, and whether a write is sent."""

    amps: float
    phases: int
    changed: bool


class EvccPv:
    """One loadpoint in PV mode with a 1p/3p switching charger."""

    def __init__(
        self,
        *,
        min_a: float = 6.0,
        max_a: float = 16.0,
        enable_delay_s: float = 60.0,
        disable_delay_s: float = 180.0,
        enable_threshold_w: float = 0.0,
        disable_threshold_w: float = 0.0,
    ) -> None:
        """Start disabled on one phase."""
        self.min_a = min_a
        self.max_a = max_a
        self.enable_delay_s = enable_delay_s
        self.disable_delay_s = disable_delay_s
        self.enable_threshold_w = enable_threshold_w
        self.disable_threshold_w = disable_threshold_w
        self.enabled = False
        self.phases = 1
        self.amps = 0.0
        self._pv_timer: float | None = None
        self._phase_timer: float | None = None

    def _scale_phases(self, now_s: float, available_w: float) -> bool:
        """Switch 1p <-> 3p after the delays; return True on a switch."""
        three_viable = available_w / (VOLTAGE_V * 3) >= self.min_a
        if self.phases == 3 and not three_viable:
            delay = self.disable_delay_s
        elif self.phases == 1 and three_viable:
            delay = self.enable_delay_s
        else:
            self._phase_timer = None
            return False
        if not self.enabled:  # evcc switches a stopped charger at once
            self.phases = 3 if three_viable else 1
            self._phase_timer = None
            return False
        if self._phase_timer is None:
            self._phase_timer = now_s
        if now_s - self._phase_timer >= delay:
            self.phases = 3 if three_viable else 1
            self._phase_timer = None
            self._pv_timer = None
            return True
        return False

    def update(self, now_s: float, grid_w: float, ev_w: float) -> EvccDecision:
        """One loop tick: ``grid_w`` > 0 is import (the EV's draw included)."""
        before = (self.amps, self.phases)
        switched = self._scale_phases(now_s, ev_w - grid_w)
        effective_a = ev_w / (VOLTAGE_V * self.phases)
        if switched:
            target = (ev_w - grid_w) / (VOLTAGE_V * self.phases)
        else:
            target = max(0.0, effective_a - grid_w / (VOLTAGE_V * self.phases))
        if self.enabled and target < self.min_a:
            if grid_w >= self.disable_threshold_w and self._phase_timer is None:
                if self._pv_timer is None:
                    self._pv_timer = now_s
                if now_s - self._pv_timer >= self.disable_delay_s:
                    self._pv_timer = None
                    self.enabled = False
                    self.amps = 0.0
                else:
                    self.amps = self.min_a
            else:
                self._pv_timer = None
                self.amps = self.min_a
        elif not self.enabled:
            start = (
                target >= self.min_a
                if self.enable_threshold_w == 0
                else grid_w <= -self.enable_threshold_w
            )
            if start:
                if self._pv_timer is None:
                    self._pv_timer = now_s
                if now_s - self._pv_timer >= self.enable_delay_s:
                    self._pv_timer = None
                    self.enabled = True
                    self.amps = self.min_a
            else:
                self._pv_timer = None
        else:
            self._pv_timer = None
            self.amps = round(min(self.max_a, target), 1)
        return EvccDecision(
            amps=self.amps,
            phases=self.phases,
            changed=(self.amps, self.phases) != before,
        )
