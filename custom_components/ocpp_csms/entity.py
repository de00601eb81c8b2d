"""Base entities and the platform helper shared by every platform."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .charging.engine import (
    AppliedLimit,
    LimitNotAppliedError,
    LimitNotEffectiveError,
)
from .const import (
    DOMAIN,
    evse_device_identifier,
    signal_charger_update,
    signal_evse_update,
    signal_new_charger,
    signal_new_evse,
    signal_plan_update,
)
from .csms.central import CentralSystem
from .csms.commands import ChargerCommands
from .csms.errors import CallFailedError
from .csms.model import ChargerState, EvseState
from .errors import command_error, limit_error
from .runtime import OcppCsmsConfigEntry
from .smart import SmartCharging
from .smart_state import EvseCharging
from .subentries import charger_subentries


class ChargerEntity(Entity):
    """An entity of one accepted charger, updated by push."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _last_written: tuple[Any, Any] | None = None

    def __init__(
        self,
        entry: OcppCsmsConfigEntry,
        charger_id: str,
        description: EntityDescription,
    ) -> None:
        """Bind the entity to its charger and description."""
        self.entity_description = description
        self._entry = entry
        self.charger_id = charger_id
        self._attr_unique_id = f"{charger_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, charger_id)})

    @property
    def central(self) -> CentralSystem:
        """Return the central system this charger talks to."""
        return self._entry.runtime_data.central

    @property
    def charger(self) -> ChargerState:
        """Return the charger's neutral state."""
        return self.central.tracker(self.charger_id).state

    @property
    def available(self) -> bool:
        """Return True while the charger is connected."""
        return self.central.connection(self.charger_id) is not None

    async def _limit(
        self,
        evse_id: int,
        *,
        amps: float | None = None,
        watts: float | None = None,
        duration_s: int | None = None,
    ) -> AppliedLimit:
        """Apply a limit through the engine; failures become translated errors."""
        runtime = self._entry.runtime_data
        try:
            applied = await runtime.limiter(self.charger_id).set_limit(
                evse_id,
                now=dt_util.utcnow(),
                amps=amps,
                watts=watts,
                duration_s=duration_s,
            )
        except CallFailedError as err:
            raise command_error(self.charger_id, err) from err
        except (LimitNotAppliedError, LimitNotEffectiveError) as err:
            runtime.limit_result(self.hass, self.charger_id, ok=False)
            raise limit_error(self.charger_id, err) from err
        runtime.limit_result(self.hass, self.charger_id, ok=True)
        return applied

    async def _send(
        self, request: Callable[[ChargerCommands], Awaitable[None]]
    ) -> None:
        """Send a request to the charger; failures become translated errors."""
        try:
            await request(self.central.commands(self.charger_id))
        except CallFailedError as err:
            raise command_error(self.charger_id, err) from err

    async def _set_available(self, evse_id: int, *, operative: bool) -> None:
        """Switch an EVSE (0: the station) on or off; remembered across boots."""
        await self._send(
            lambda commands: commands.set_availability(evse_id, operative=operative)
        )
        inoperative = self.central.tracker(self.charger_id).inoperative
        if operative:
            inoperative.discard(evse_id)
        else:
            inoperative.add(evse_id)
        self._entry.runtime_data.store.schedule_save()

    def _update_signals(self) -> list[str]:
        """Return the dispatcher signals that mean "write your state"."""
        entry_id = self._entry.entry_id
        return [
            signal_charger_update(entry_id, self.charger_id),
            signal_evse_update(entry_id, self.charger_id, 0),
        ]

    async def async_added_to_hass(self) -> None:
        """Follow the updates that concern this entity, and only those."""
        for signal in self._update_signals():
            self.async_on_remove(
                async_dispatcher_connect(self.hass, signal, self._handle_update)
            )

    @callback
    def _handle_update(self) -> None:
        # A meter value changes a few of an EVSE's entities; skip the writes
        # of the others (a state write is the costliest step of the hot path).
        written = (self.available, self.state)
        if written == self._last_written:
            return
        self._last_written = written
        self.async_write_ha_state()


class EvseEntity(ChargerEntity):
    """An entity of one EVSE; only that EVSE's updates write its state."""

    def __init__(
        self,
        entry: OcppCsmsConfigEntry,
        charger_id: str,
        evse_id: int,
        description: EntityDescription,
    ) -> None:
        """Bind the entity to its EVSE."""
        super().__init__(entry, charger_id, description)
        self.evse_id = evse_id
        self._attr_unique_id = f"{charger_id}_{evse_id}_{description.key}"

    @property
    def device_info(self) -> DeviceInfo:
        """Return the charger's device, or the EVSE's when there are several.

        Read when the entity is registered, so an entity added after a second
        EVSE appeared goes straight to its sub-device (earlier ones are moved
        by the bridge).
        """
        if len([evse for evse in self.charger.evses if evse]) < 2:
            return DeviceInfo(identifiers={(DOMAIN, self.charger_id)})
        return DeviceInfo(
            identifiers={
                (DOMAIN, evse_device_identifier(self.charger_id, self.evse_id))
            },
            via_device=(DOMAIN, self.charger_id),
            translation_key="evse",
            translation_placeholders={
                "charger_id": self.charger_id,
                "evse_id": str(self.evse_id),
            },
        )

    @property
    def evse(self) -> EvseState:
        """Return the EVSE's neutral state."""
        return self.charger.evse(self.evse_id)

    def _update_signals(self) -> list[str]:
        """Follow connection changes of the charger and this EVSE's updates."""
        entry_id = self._entry.entry_id
        return [
            signal_charger_update(entry_id, self.charger_id),
            signal_evse_update(entry_id, self.charger_id, self.evse_id),
        ]


type ChargerFactory = Callable[[OcppCsmsConfigEntry, str], Iterable[Entity]]
type EvseFactory = Callable[[OcppCsmsConfigEntry, str, int], Iterable[Entity]]


def _no_entities(*_: object) -> Iterable[Entity]:
    return ()


@callback
def async_setup_charger_entities(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    *,
    charger_factory: ChargerFactory = _no_entities,
    evse_factory: EvseFactory = _no_entities,
) -> None:
    """Add a platform's entities for every charger and EVSE, now and later."""
    central = entry.runtime_data.central
    subentries = charger_subentries(entry)
    for charger_id, subentry in subentries.items():
        entities = list(charger_factory(entry, charger_id))
        for evse_id in sorted(central.tracker(charger_id).state.evses):
            if evse_id:
                entities.extend(evse_factory(entry, charger_id, evse_id))
        async_add_entities(entities, config_subentry_id=subentry.subentry_id)

    @callback
    def _add_charger(charger_id: str, subentry_id: str) -> None:
        async_add_entities(
            charger_factory(entry, charger_id), config_subentry_id=subentry_id
        )

    @callback
    def _add_evse(charger_id: str, evse_id: int) -> None:
        subentry = charger_subentries(entry).get(charger_id)
        if subentry is not None:
            async_add_entities(
                evse_factory(entry, charger_id, evse_id),
                config_subentry_id=subentry.subentry_id,
            )

    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_new_charger(entry.entry_id), _add_charger)
    )
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_new_evse(entry.entry_id), _add_evse)
    )


class ModeEntity(EvseEntity):
    """An entity of an EVSE's charging mode, plan or targets."""

    @property
    def available(self) -> bool:
        """Settings stay editable while the charger is offline."""
        return True

    @property
    def smart(self) -> SmartCharging:
        """Return the hub's charging modes."""
        smart = self._entry.runtime_data.smart
        if smart is None:  # set up before the platforms; never None here
            raise RuntimeError("charging modes not set up")
        return smart

    @property
    def charging(self) -> EvseCharging:
        """Return this EVSE's mode state."""
        return self.smart.evse((self.charger_id, self.evse_id))

    def _update_signals(self) -> list[str]:
        """Follow the charger's connection and the EVSE's plan, not its meter.

        Meter values are the hot path; the modes notify when the cost or
        plan they show changed.
        """
        entry_id = self._entry.entry_id
        return [
            signal_charger_update(entry_id, self.charger_id),
            signal_plan_update(entry_id, self.charger_id, self.evse_id),
        ]

    @callback
    def _handle_update(self) -> None:
        # The plan's attributes can change while its state does not.
        written = (self.state, self.extra_state_attributes)
        if written == self._last_written:
            return
        self._last_written = written
        self.async_write_ha_state()
