"""Buttons: reset the charger, unlock an EVSE's connector."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .csms.commands import ChargerCommands
from .entity import ChargerEntity, EvseEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class ChargerButtonDescription(ButtonEntityDescription):
    """Describes a charger button and the request it sends."""

    press_fn: Callable[[ChargerCommands], Awaitable[None]]


RESET_BUTTONS: tuple[ChargerButtonDescription, ...] = (
    ChargerButtonDescription(
        key="soft_reset",
        translation_key="soft_reset",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda commands: commands.reset(hard=False),
    ),
    ChargerButtonDescription(
        key="hard_reset",
        translation_key="hard_reset",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        press_fn=lambda commands: commands.reset(hard=True),
    ),
)
UNLOCK = ButtonEntityDescription(key="unlock", translation_key="unlock")


class ChargerButton(ChargerEntity, ButtonEntity):
    """A button that sends one request to the charger."""

    entity_description: ChargerButtonDescription

    async def async_press(self) -> None:
        """Send the request."""
        await self._send(self.entity_description.press_fn)


class UnlockButton(EvseEntity, ButtonEntity):
    """Release the cable of an EVSE."""

    async def async_press(self) -> None:
        """Send UnlockConnector."""
        await self._send(lambda commands: commands.unlock(self.evse_id))


def _charger_entities(
    entry: OcppCsmsConfigEntry, charger_id: str
) -> Iterable[ChargerEntity]:
    return [ChargerButton(entry, charger_id, d) for d in RESET_BUTTONS]


def _evse_entities(
    entry: OcppCsmsConfigEntry, charger_id: str, evse_id: int
) -> Iterable[EvseEntity]:
    return [UnlockButton(entry, charger_id, evse_id, UNLOCK)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up buttons for every accepted charger and EVSE."""
    async_setup_charger_entities(
        hass,
        entry,
        async_add_entities,
        charger_factory=_charger_entities,
        evse_factory=_evse_entities,
    )
