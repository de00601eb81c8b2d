"""Put the user's limits back when a charger forgot them.

Many chargers keep charging profiles only in memory: after a reboot or a power
cut the car charges at full power while Home Assistant still shows the limit.
After every boot the limits in force are sent again (and verified); after a
reconnect without a boot they are sent again only when the charger's
composite schedule no longer shows them. Charging modes and load balancing
put back their own limits (``SmartCharging.charger_online``, the balancer).
"""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .charging.engine import (
    TOLERANCE,
    VERIFY_WINDOW_S,
    LimitNotAppliedError,
    LimitNotEffectiveError,
)
from .const import signal_evse_update
from .csms.errors import CallFailedError
from .csms.profiles import RateUnit
from .hub import hub_of
from .smart_state import EvseKey

_LOGGER = logging.getLogger(__name__)


def _user_limits(entry: ConfigEntry, charger_id: str) -> dict[EvseKey, float]:
    """Return the user limits of a charger that no mode or balancer manages."""
    runtime = hub_of(entry)
    limits: dict[EvseKey, float] = {}
    for key, amps in runtime.user_limits.items():
        if key[0] != charger_id:
            continue
        if runtime.smart is not None and runtime.smart.controls(key):
            continue  # the mode re-sends its plan, capped at this limit
        evse = runtime.central.tracker(charger_id).state.evse(key[1])
        if (
            runtime.balancer is not None
            and runtime.balancer.enabled
            and (evse.transaction is not None)
        ):
            continue  # the balancer re-sends min(share, limit)
        limits[key] = amps
    return limits


async def async_restore_after_boot(
    hass: HomeAssistant, entry: ConfigEntry, charger_id: str
) -> None:
    """Send every limit of ours again: a booted charger may have lost them."""
    runtime = hub_of(entry)
    if (balancer := runtime.balancer) is not None and balancer.enabled:
        for sent in [
            key
            for key in balancer.sent
            if isinstance(key, tuple) and key[0] == charger_id
        ]:
            del balancer.sent[sent]
        balancer.schedule()
    for key, amps in _user_limits(entry, charger_id).items():
        await _async_apply(hass, entry, key, amps)


async def async_check_after_reconnect(
    hass: HomeAssistant, entry: ConfigEntry, charger_id: str
) -> None:
    """Send a limit again where the charger no longer applies it."""
    central = hub_of(entry).central
    for key, amps in _user_limits(entry, charger_id).items():
        try:
            composite = await central.commands(charger_id).composite_schedule(
                key[1], VERIFY_WINDOW_S, RateUnit.AMPS
            )
        except CallFailedError as err:
            _LOGGER.debug("%s: cannot check the limit in force: %s", charger_id, err)
            composite = None
        if composite is not None and composite.unit is RateUnit.AMPS:
            start = composite.start or dt_util.utcnow()
            offset = (dt_util.utcnow() - start).total_seconds()
            in_force = composite.limit_at(max(0.0, offset))
            if (
                in_force is not None
                and abs(in_force - amps) <= TOLERANCE[RateUnit.AMPS]
            ):
                continue
        _LOGGER.info(
            "%s EVSE %s no longer applies the %s A limit; sending it again",
            charger_id,
            key[1],
            amps,
        )
        await _async_apply(hass, entry, key, amps)


async def _async_apply(
    hass: HomeAssistant, entry: ConfigEntry, key: EvseKey, amps: float
) -> None:
    runtime = hub_of(entry)
    charger_id, evse_id = key
    try:
        await runtime.limiter(charger_id).set_limit(
            evse_id, now=dt_util.utcnow(), amps=amps
        )
    except (CallFailedError, LimitNotAppliedError, LimitNotEffectiveError) as err:
        _LOGGER.warning(
            "%s EVSE %s: could not put the %s A limit back (%s)",
            charger_id,
            evse_id,
            amps,
            err,
        )
        runtime.limits_lost.add(key)
        runtime.limit_result(hass, charger_id, ok=False)
    else:
        runtime.limits_lost.discard(key)
        runtime.limit_result(hass, charger_id, ok=True)
    async_dispatcher_send(hass, signal_evse_update(entry.entry_id, charger_id, evse_id))
