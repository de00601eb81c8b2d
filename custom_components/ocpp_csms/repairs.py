"""Repair flows: reboot a charger whose new settings need it."""

from __future__ import annotations

from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .csms.errors import CallFailedError
from .hub import loaded_hub


class RebootChargerFlow(RepairsFlow):
    """Confirm, then ask the charger to restart when it is idle."""

    def __init__(self, entry_id: str, charger_id: str) -> None:
        """Remember which charger to reboot."""
        self._entry_id = entry_id
        self._charger_id = charger_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Reboot once the user confirms."""
        placeholders = {"charger_id": self._charger_id}
        if user_input is None:
            return self.async_show_form(
                step_id="confirm", description_placeholders=placeholders
            )
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        hub = loaded_hub(entry) if entry is not None else None
        if entry is None or entry.state is not ConfigEntryState.LOADED or hub is None:
            return self.async_abort(reason="hub_not_loaded")
        try:
            await hub.central.commands(self._charger_id).reset(hard=False)
        except CallFailedError:
            return self.async_abort(
                reason="reboot_failed", description_placeholders=placeholders
            )
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the flow of a fixable issue (only "reboot required" is)."""
    # Our issues are created with their data; an empty one cannot be fixed.
    data = data or {}
    return RebootChargerFlow(str(data.get("entry_id")), str(data.get("charger_id")))
