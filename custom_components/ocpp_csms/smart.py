"""Charging modes in Home Assistant: read the sensors, run the brain, send.

One ``SmartCharging`` per hub keeps every EVSE's settings (persisted with
the charger state), re-plans when prices, the forecast, a session or a
setting change, runs the 30 s surplus loop, and sends through the limiter:
a plan as ONE base profile, the surplus as a short-lived override on the
next stack level (the charger falls back to the plan when HA is gone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util

from .charging.engine import LimitLayer, LimitNotAppliedError, LimitNotEffectiveError
from .charging.modes import (
    SURPLUS_HOLD,
    ChargingMode,
    estimated_capacity_kwh,
    limit_at,
    next_departure,
    phase_amps_at,
    surplus_can_wait,
    surplus_override,
)
from .charging.planner import PlanRequest, plan_cheapest, reserve_for
from .charging.profiles import MIN_CURRENT_A, LimitStep
from .charging.smart_plan import plan_smart
from .charging.surplus import (
    SurplusController,
    SurplusMode,
)
from .const import (
    CONF_GRID_POWER_SENSOR,
    CONF_PRICE_ENTITY,
    CONF_PV_FORECAST_ENTITY,
    DOMAIN,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
    signal_plan_update,
)
from .csms.errors import CallFailedError, ConnectionLostError
from .hub import hub_of
from .smart_inputs import SiteInputs
from .smart_state import (
    EvseCharging,
    EvseKey,
    PlanView,
    same_steps,
    slot_view,
    storage_key,
)

_LOGGER = logging.getLogger(__name__)

SURPLUS_INTERVAL = timedelta(seconds=30)
# Re-plan this often: delivered energy and SoC move the need.
REPLAN_INTERVAL = timedelta(minutes=15)
# Renew a surplus override this long before it runs out.
RENEW_MARGIN = timedelta(minutes=5)
# Without a PV sensor, the household is assumed to use this much.
DEFAULT_HOUSE_LOAD_W = 500.0
HOUSE_LOAD_SMOOTHING = 0.05


class SmartCharging:
    """Charging modes of every EVSE of one hub."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        stored: Mapping[str, Any],
    ) -> None:
        """Restore the EVSEs' settings and session bookkeeping."""
        self._hass = hass
        self._entry = entry
        self._stored = dict(stored)
        self.evses: dict[EvseKey, EvseCharging] = {}
        self.inputs = SiteInputs(hass, entry)
        # What the surplus delays are measured with (a test can step it).
        self.clock: Callable[[], datetime] = dt_util.utcnow

    # -- settings ------------------------------------------------------------

    def evse(self, key: EvseKey) -> EvseCharging:
        """Return an EVSE's state, restoring it on first use."""
        if key not in self.evses:
            self.evses[key] = EvseCharging.restored(
                self._stored.get(storage_key(key), {})
            )
        return self.evses[key]

    def snapshot(self) -> dict[str, Any]:
        """Return every EVSE's persisted state (for the store)."""
        data = dict(self._stored)
        for key, state in self.evses.items():
            data[storage_key(key)] = state.persisted()
        return data

    def controls(self, key: EvseKey) -> bool:
        """Return True when a mode other than fast drives the EVSE's limit."""
        state = self.evses.get(key)
        return state is not None and state.settings.mode is not ChargingMode.FAST

    @property
    def _options(self) -> Mapping[str, Any]:
        return self._entry.options

    def check_mode(self, mode: ChargingMode) -> None:
        """Refuse a mode whose inputs are not configured (a clear error)."""
        if mode.plans and not self._options.get(CONF_PRICE_ENTITY):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_price_entity",
                translation_placeholders={"mode": mode.value},
            )
        if mode.uses_surplus and not self._options.get(CONF_GRID_POWER_SENSOR):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_grid_sensor",
                translation_placeholders={"mode": mode.value},
            )

    async def async_update_settings(self, key: EvseKey, **changes: Any) -> None:
        """Change an EVSE's settings, persist them and act on them."""
        state = self.evse(key)
        if "mode" in changes:
            self.check_mode(changes["mode"])
        state.settings = replace(state.settings, **changes)
        if "mode" in changes:
            state.surplus = None
            state.sent_steps = None
        hub_of(self._entry).store.schedule_save()
        await self.async_apply(key, explicit="mode" in changes)

    # -- listeners -------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Follow prices, forecast and sessions; run the loops."""
        entry = self._entry
        entry.async_create_background_task(
            self._hass, self._async_prices_changed(), "ocpp_csms prices"
        )
        watched = [
            entity
            for entity in (
                self._options.get(CONF_PRICE_ENTITY),
                self._options.get(CONF_PV_FORECAST_ENTITY),
            )
            if entity
        ]
        if watched:
            entry.async_on_unload(
                async_track_state_change_event(
                    self._hass, watched, self._inputs_changed
                )
            )
        for event in (EVENT_SESSION_STARTED, EVENT_SESSION_ENDED):
            entry.async_on_unload(self._hass.bus.async_listen(event, self._session))
        entry.async_on_unload(
            async_track_time_interval(
                self._hass,
                self._surplus_tick,
                SURPLUS_INTERVAL,
                name="ocpp_csms surplus",
            )
        )
        entry.async_on_unload(
            async_track_time_interval(
                self._hass, self._replan_tick, REPLAN_INTERVAL, name="ocpp_csms re-plan"
            )
        )

    @callback
    def _inputs_changed(self, event: Event[Any]) -> None:
        if event.data["entity_id"] == self._options.get(CONF_PRICE_ENTITY):
            self._entry.async_create_background_task(
                self._hass, self._async_prices_changed(), "ocpp_csms prices"
            )
            return
        self.schedule_all(plans_only=True)

    @callback
    def _session(self, event: Event[Any]) -> None:
        key = (str(event.data["charger_id"]), int(event.data["evse_id"]))
        if key in self.evses or storage_key(key) in self._stored:
            state = self.evse(key)
            state.sent_steps = None  # a new transaction needs its own profile
            state.surplus = None
            self.schedule(key)

    @callback
    def _replan_tick(self, _: datetime) -> None:
        self.schedule_all(plans_only=True)

    @callback
    def _surplus_tick(self, _: datetime) -> None:
        self.surplus_round()

    @callback
    def surplus_round(self) -> None:
        """Run the surplus controller of every EVSE in a solar mode once."""
        now = self.clock()
        for key, state in self.evses.items():
            if state.settings.mode.uses_surplus and self._online(key):
                self._entry.async_create_background_task(
                    self._hass, self._async_surplus(key, now), "ocpp_csms surplus"
                )

    @callback
    def schedule_all(self, *, plans_only: bool = False) -> None:
        """Re-apply the modes of every EVSE (plan modes only if asked)."""
        for key, state in self.evses.items():
            if not plans_only or state.settings.mode.plans:
                self.schedule(key)

    @callback
    def charger_online(self, charger_id: str) -> None:
        """Give a (re)connected charger its EVSEs' modes again."""
        for key, state in self.evses.items():
            if key[0] == charger_id and state.settings.mode is not ChargingMode.FAST:
                state.sent_steps = None
                # A rebooted charger lost the override too: the next surplus
                # tick sends it again.
                state.override_until = None
                self.schedule(key)

    @callback
    def schedule(self, key: EvseKey) -> None:
        """Apply an EVSE's mode in the background."""
        self._entry.async_create_background_task(
            self._hass, self.async_apply(key), f"ocpp_csms mode {key}"
        )

    @callback
    def evse_changed(self, charger_id: str, evse_id: int) -> None:
        """Count the session's cost as energy arrives."""
        key = (charger_id, evse_id)
        if key not in self.evses:
            return
        state = self.evses[key]
        evse = hub_of(self._entry).central.tracker(charger_id).state.evse(evse_id)
        transaction = evse.transaction
        if transaction is None:
            return
        if transaction.transaction_id != state.transaction_id:
            state.transaction_id = transaction.transaction_id
            state.session_cost = 0.0
            state.counted_wh = 0.0
            state.soc_start = evse.soc_percent
            state.capacity_kwh = None
            state.estimate_wh = None
            self._notify(key)
        if state.soc_start is None:
            state.soc_start = evse.soc_percent
        session_wh = evse.session_energy_wh or 0.0
        delta = session_wh - state.counted_wh
        if delta > 0:
            price = self.inputs.price_at(dt_util.utcnow())
            state.counted_wh = session_wh
            learned = estimated_capacity_kwh(
                session_wh, state.soc_start, evse.soc_percent
            )
            state.capacity_kwh = learned or state.capacity_kwh
            if price is not None:
                state.session_cost += delta / 1000 * price
                self._notify(key)  # only the cost sensor's state changed

    @property
    def currency(self) -> str:
        """Return the price entity's currency."""
        return self.inputs.currency

    async def _async_prices_changed(self) -> None:
        await self.inputs.async_read_prices()
        self.schedule_all(plans_only=True)

    def _online(self, key: EvseKey) -> bool:
        return hub_of(self._entry).central.connection(key[0]) is not None

    # -- applying a mode -------------------------------------------------------

    async def async_apply(self, key: EvseKey, *, explicit: bool = False) -> None:
        """Bring the charger in line with the EVSE's mode (one at a time)."""
        state = self.evse(key)
        async with state.lock:
            mode = state.settings.mode
            if not mode.uses_surplus:
                # Leaving a solar mode: its override must not outlive it.
                await self._clear_override(key, state)
            if mode.plans:
                await self._apply_plan(key, state)
            elif mode is ChargingMode.FAST:
                state.view = PlanView(mode=mode, status="charging_now")
                if explicit:
                    await self._send_fast(key, state)
            else:
                base = MIN_CURRENT_A if mode is ChargingMode.SOLAR_MIN else 0.0
                now = dt_util.utcnow()
                state.plan_steps = [LimitStep(start=now, amps=base)]
                status = "off" if mode is ChargingMode.OFF else "following_surplus"
                state.view = PlanView(mode=mode, status=status)
                if state.sent_steps is None or explicit:
                    await self._send(key, state, state.plan_steps, now, None)
            self._notify(key)

    async def _send_fast(self, key: EvseKey, state: EvseCharging) -> None:
        now = dt_util.utcnow()
        steps = [LimitStep(start=now, amps=self.inputs.max_a(key))]
        await self._send(key, state, steps, now, None)
        await self._clear_override(key, state)

    async def _apply_plan(self, key: EvseKey, state: EvseCharging) -> None:
        now = dt_util.utcnow()
        departure = next_departure(
            dt_util.as_local(now), state.settings.departure
        ).astimezone(now.tzinfo)
        need = self.inputs.need(key, state)
        mode = state.settings.mode
        if not self.inputs.prices:
            state.view = PlanView(
                mode=mode, status="no_prices", need=need, departure=departure
            )
            return
        evse = hub_of(self._entry).central.tracker(key[0]).state.evse(key[1])
        delivered = (evse.session_energy_wh or 0.0) if evse.transaction else 0.0
        if state.estimate_wh is None or not evse.transaction:
            state.estimate_wh = need.energy_wh + delivered
        phases, voltage = self.inputs.phases(key)
        running = state.plan_steps and limit_at(state.plan_steps, now) > 0
        request = PlanRequest(
            now=now,
            departure=departure,
            energy_wh=need.energy_wh,
            prices=self.inputs.prices,
            max_a=self.inputs.max_a(key),
            phases=phases,
            voltage_v=voltage,
            charging_slot_start=now if running else None,
            price_cap=state.settings.cap,
            reserve_wh=reserve_for(state.estimate_wh, delivered),
            phase_switching=self.inputs.phase_switching(key),
        )
        expected_solar = 0.0
        if mode is ChargingMode.SMART:
            smart = plan_smart(request, self.inputs.solar_forecast())
            plan, expected_solar = smart.grid, smart.expected_solar_wh
        else:
            plan = plan_cheapest(request)
        state.plan = plan
        # Reserve slots stay on the charger once the estimate is delivered: a
        # car that needed more than estimated keeps charging, a full one stops.
        state.plan_steps = (
            plan.steps(now, departure)
            if plan.slots
            else [LimitStep(start=now, amps=0.0)]
        )
        status = "planned" if plan.slots else "done"
        if need.energy_wh <= 0:
            status = "done"
        state.view = PlanView(
            mode=mode,
            status=status,
            next_start=plan.next_start,
            energy_wh=plan.energy_wh,
            cost=plan.cost,
            expected_solar_wh=expected_solar,
            complete=plan.complete,
            slots=tuple(slot_view(slot) for slot in plan.slots),
            need=need,
            departure=departure,
        )
        if same_steps(state.sent_steps, state.plan_steps, now):
            return
        if not await self._send(key, state, state.plan_steps, now, departure):
            state.view = replace(state.view, status=state.send_failure)

    async def _send(
        self,
        key: EvseKey,
        state: EvseCharging,
        steps: list[LimitStep],
        now: datetime,
        end: datetime | None,
        layer: LimitLayer = LimitLayer.BASE,
    ) -> bool:
        """Send steps through the limiter; failures are logged and counted."""
        runtime = hub_of(self._entry)
        state.send_failure = "charger_offline"
        if not self._online(key):
            return False
        try:
            await runtime.limiter(key[0]).set_steps(
                key[1], steps, now=now, end=end, layer=layer
            )
        except ConnectionLostError:
            return False  # sent again when it is back (charger_online)
        except CallFailedError as err:
            _LOGGER.warning("Could not send the %s plan to %s: %s", key, key[0], err)
            state.send_failure = "failed"
            return False
        except (LimitNotAppliedError, LimitNotEffectiveError) as err:
            _LOGGER.warning("%s does not apply the plan: %s", key[0], err)
            state.send_failure = "failed"
            runtime.limit_result(self._hass, key[0], ok=False)
            return False
        runtime.limit_result(self._hass, key[0], ok=True)
        if layer is LimitLayer.BASE:
            state.sent_steps = list(steps)
        return True

    # -- solar surplus -----------------------------------------------------------

    async def _async_surplus(self, key: EvseKey, now: datetime) -> None:
        state = self.evse(key)
        if state.lock.locked():
            return  # a plan is being sent; the next tick decides
        async with state.lock:
            await self._surplus_once(key, state, now)

    async def _surplus_once(
        self, key: EvseKey, state: EvseCharging, now: datetime
    ) -> None:
        mode = state.settings.mode
        evse = hub_of(self._entry).central.tracker(key[0]).state.evse(key[1])
        if evse.transaction is None:
            return
        inputs = self.inputs.surplus_inputs(key, now)
        if inputs is None:
            # No meter reading: let the base (plan, 0 or minimum) rule.
            await self._clear_override(key, state)
            return
        if (
            mode is ChargingMode.SMART
            and state.plan is not None
            and surplus_can_wait(
                state.plan, now, self.inputs.need(key, state).energy_wh
            )
        ):
            await self._clear_override(key, state)
            return
        if state.surplus is None:
            state.surplus = SurplusController(
                self.inputs.surplus_config(key),
                SurplusMode.SOLAR_MIN
                if mode is ChargingMode.SOLAR_MIN
                else SurplusMode.SOLAR,
            )
        decision = state.surplus.update(inputs)
        state.view = replace(state.view, reason=decision.reason)
        self._notify(key)
        if decision.amps <= 0:
            await self._clear_override(key, state)
            return
        renew = (
            state.override_until is None or now >= state.override_until - RENEW_MARGIN
        )
        if not decision.changed and not renew:
            return
        plan_phases = self.inputs.phases(key)[0]
        if (
            mode is ChargingMode.SMART
            and phase_amps_at(state.plan_steps, now, plan_phases)
            >= decision.amps * decision.phases
        ):
            await self._clear_override(key, state)
            return
        steps = surplus_override(
            state.plan_steps, now, decision.amps, decision.phases, plan_phases
        )
        if await self._send(
            key, state, steps, now, now + SURPLUS_HOLD, LimitLayer.OVERRIDE
        ):
            state.override_until = now + SURPLUS_HOLD

    async def _clear_override(self, key: EvseKey, state: EvseCharging) -> None:
        if state.override_until is None:
            return
        try:
            await hub_of(self._entry).limiter(key[0]).clear(key[1], LimitLayer.OVERRIDE)
        except CallFailedError as err:
            _LOGGER.debug("Could not clear the surplus override: %s", err)
            return
        state.override_until = None

    @callback
    def _notify(self, key: EvseKey) -> None:
        async_dispatcher_send(
            self._hass, signal_plan_update(self._entry.entry_id, key[0], key[1])
        )
