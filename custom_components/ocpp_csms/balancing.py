"""Site load balancing: feed the fuse-sharing rules with HA sensors."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util

from .charging.balancer import EvseDemand, Site, allocate
from .charging.engine import (
    PROFILE_ID_BASE,
    LimitNotAppliedError,
    LimitNotEffectiveError,
)
from .charging.profiles import (
    NOMINAL_VOLTAGE_V,
    Electrical,
    LimitStep,
    ProfileForm,
    build_profile,
)
from .const import (
    CONF_FALLBACK_LIMIT,
    CONF_FUSE_LIMIT,
    CONF_GRID_EXPORT_POSITIVE,
    CONF_GRID_POWER_SENSOR,
    CONF_PHASE_SENSORS,
    DEFAULT_FALLBACK_LIMIT,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
)
from .csms.errors import CallFailedError
from .csms.profiles import ProfilePurpose, RateUnit
from .hub import hub_of
from .readings import read_number, read_power_w

_LOGGER = logging.getLogger(__name__)

# Limits closer than this to the one in force are not re-sent.
RESEND_THRESHOLD_A = 1.0


class SiteBalancer:
    """Keep the charging EVSEs of one hub under the main fuse."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Balance the chargers of one hub entry."""
        self._hass = hass
        self._entry = entry
        options = entry.options
        self.fuse_a = float(options.get(CONF_FUSE_LIMIT) or 0)
        self._phase_sensors: list[str] = list(options.get(CONF_PHASE_SENSORS) or [])
        self._power_sensor: str | None = options.get(CONF_GRID_POWER_SENSOR)
        self.fallback_a = float(
            options.get(CONF_FALLBACK_LIMIT, DEFAULT_FALLBACK_LIMIT)
        )
        self.sent: dict[Hashable, float] = {}
        self._lock = asyncio.Lock()
        self._again = False

    @property
    def enabled(self) -> bool:
        """Return True when a fuse limit is configured."""
        return self.fuse_a > 0

    @callback
    def async_start(self) -> None:
        """Re-balance when the sensors change or a session starts or ends."""
        if not self.enabled:
            return
        entry = self._entry
        candidates = [*self._phase_sensors, self._power_sensor]
        if sensors := [sensor for sensor in candidates if sensor]:
            entry.async_on_unload(
                async_track_state_change_event(self._hass, sensors, self._changed)
            )
        for event in (EVENT_SESSION_STARTED, EVENT_SESSION_ENDED):
            entry.async_on_unload(self._hass.bus.async_listen(event, self._changed))

    @callback
    def _changed(self, _: Event[Any]) -> None:
        self.schedule()

    @callback
    def schedule(self) -> None:
        """Run a balancing round (one at a time; coalesces bursts)."""
        if self._lock.locked():
            self._again = True
            return
        self._entry.async_create_background_task(
            self._hass, self.async_balance(), "ocpp_csms site balancing"
        )

    def _measured(self) -> tuple[float, float, float] | None:
        """Return the phase currents from the configured sensors, if known."""
        values: list[float] = []
        for sensor in self._phase_sensors:
            if (value := read_number(self._hass, sensor)) is None:
                return None
            values.append(value)
        if len(values) == 3:
            return (values[0], values[1], values[2])
        if len(values) == 1:
            return (values[0], values[0], values[0])
        if self._power_sensor:
            watts = read_power_w(
                self._hass,
                self._power_sensor,
                invert=bool(self._entry.options.get(CONF_GRID_EXPORT_POSITIVE)),
            )
            if watts is None:
                return None
            per_phase = max(0.0, watts) / (NOMINAL_VOLTAGE_V * 3)
            return (per_phase, per_phase, per_phase)
        return None

    def _demands(self) -> list[EvseDemand]:
        runtime = hub_of(self._entry)
        central = runtime.central
        demands = []
        for charger_id in runtime.accepted:
            if central.connection(charger_id) is None:
                continue
            for evse_id, evse in central.tracker(charger_id).state.evses.items():
                if evse.transaction is None:
                    continue
                drawn = tuple(evse.current_a.get(p, 0.0) for p in ("L1", "L2", "L3"))
                phases = sum(1 for value in drawn if value >= 1.0) or 3
                demands.append(
                    EvseDemand(
                        key=(charger_id, evse_id),
                        drawn_a=(drawn[0], drawn[1], drawn[2]),
                        phases=phases,
                        started_at=evse.transaction.started_at,
                        max_a=runtime.user_limits.get((charger_id, evse_id), 32.0),
                    )
                )
        return demands

    async def async_protect(self, charger_id: str) -> None:
        """Install the fuse as the charger's station maximum (the safety net).

        It holds even when Home Assistant is gone. Chargers that refuse
        station-max profiles (some do) are balanced by the per-EVSE limits only.
        """
        central = hub_of(self._entry).central
        state = central.tracker(charger_id).state
        unit = (
            RateUnit.AMPS
            if RateUnit.AMPS in state.capabilities.rate_units
            else RateUnit.WATTS
        )
        profile = build_profile(
            [LimitStep(start=dt_util.utcnow(), amps=self.fuse_a)],
            ProfileForm(purpose=ProfilePurpose.STATION_MAX, unit=unit),
            profile_id=PROFILE_ID_BASE[ProfilePurpose.STATION_MAX],
            stack_level=0,
            electrical=Electrical(),
        )
        try:
            await central.commands(charger_id).set_profile(0, profile)
        except CallFailedError as err:
            _LOGGER.warning(
                "%s refused the station maximum of %s A (%s); load balancing "
                "relies on the per-EVSE limits",
                charger_id,
                self.fuse_a,
                err,
            )

    async def async_balance(self) -> None:
        """Compute the shares and send the ones that changed."""
        async with self._lock:
            while True:
                self._again = False
                await self._balance_once()
                if not self._again:
                    return

    async def _balance_once(self) -> None:
        demands = self._demands()
        measured = self._measured()
        if measured is None:
            if demands:
                _LOGGER.warning(
                    "Load sensors unavailable; holding chargers at %s A",
                    self.fallback_a,
                )
            shares = {demand.key: self.fallback_a for demand in demands}
        else:
            shares = allocate(Site(fuse_a=self.fuse_a, measured_a=measured), demands)
        runtime = hub_of(self._entry)
        for key, amps in shares.items():
            previous = self.sent.get(key)
            if previous is not None and abs(previous - amps) < RESEND_THRESHOLD_A:
                continue
            charger_id, evse_id = _target(key)
            if runtime.smart is not None and runtime.smart.controls(
                (charger_id, evse_id)
            ):
                continue  # its mode stays under the fuse by itself
            try:
                await runtime.limiter(charger_id).set_limit(
                    evse_id, now=dt_util.utcnow(), amps=amps
                )
            except (
                CallFailedError,
                LimitNotAppliedError,
                LimitNotEffectiveError,
            ) as err:
                _LOGGER.warning(
                    "Could not limit %s EVSE %s: %s", charger_id, evse_id, err
                )
                continue
            self.sent[key] = amps


def _target(key: Hashable) -> tuple[str, int]:
    """Return the (charger id, EVSE id) a demand key stands for."""
    if not isinstance(key, tuple) or len(key) != 2:
        raise TypeError(key)
    return str(key[0]), int(key[1])
