"""The bridge from the OCPP core's callbacks to Home Assistant changes."""

from __future__ import annotations

from collections.abc import Sequence
import logging
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import (
    SOURCE_INTEGRATION_DISCOVERY,
    ConfigEntry,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import (
    device_registry as dr,
    discovery_flow,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import slugify

from .const import (
    AUTH_FAILURE_REPAIR_THRESHOLD,
    CONF_CHARGER_ID,
    CONF_FIRMWARE_VERSION,
    CONF_HUB_ENTRY_ID,
    CONF_MODEL,
    CONF_OCPP_VERSION,
    CONF_PASSWORD,
    CONF_PREVIOUS_PASSWORD,
    CONF_SERIAL_NUMBER,
    CONF_VENDOR,
    DOMAIN,
    EVENT_DATA_TRANSFER,
    EVENT_SECURITY_EVENT,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
    EVENT_TAG_PRESENTED,
    SUBENTRY_CHARGER,
    evse_device_identifier,
    signal_charger_update,
    signal_evse_update,
    signal_new_evse,
)
from .csms.const import OcppVersion
from .csms.events import (
    ChargerEvent,
    DataTransferReceived,
    SecurityEvent,
    SessionEnded,
    SessionStarted,
    TagPresented,
)
from .csms.model import BootInfo, RegistrationStatus
from .csms.security import new_password
from .csms.tolerance import Deviation
from .deviation_issues import DeviationIssues
from .failure_streak import FailureStreak
from .hub import ModeControl, hub_of, loaded_hub
from .limit_restore import async_check_after_reconnect, async_restore_after_boot
from .store import ChargerStore
from .subentries import charger_subentries, charger_subentry_data, charger_title

_LOGGER = logging.getLogger(__name__)


class HubBridge:
    """Receive the core's callbacks and turn them into HA changes."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, store: ChargerStore
    ) -> None:
        """Bridge for one hub entry."""
        self._hass = hass
        self._entry = entry
        self._store = store
        # EVSEs that have entities; a new one makes the platforms add some.
        self.known_evses: set[tuple[str, int]] = set()
        self._auth_failures = FailureStreak(
            "auth_failed",
            AUTH_FAILURE_REPAIR_THRESHOLD,
            ir.IssueSeverity.WARNING,
            f"auth_failed_{entry.entry_id}_",
        )
        self._deviation_issues = DeviationIssues(hass, entry.entry_id)

    @callback
    def charger_auth_failed(self, charger_id: str, reason: str) -> None:
        """Ask the user to act once a charger keeps failing to authenticate."""
        self._auth_failures.failed(
            self._hass, charger_id, {"charger_id": charger_id, "reason": reason}
        )

    @callback
    def charger_deviated(
        self, charger_id: str, action: str, deviations: Sequence[Deviation]
    ) -> None:
        """Count a frame that broke the schema; raise an issue if it is a habit."""
        self._deviation_issues.seen(charger_id, action, deviations)

    @callback
    def charger_authenticated(self, charger_id: str, password: str | None) -> None:
        """Clear failure counts; retire an old password once the new one works."""
        self._auth_failures.succeeded(self._hass, charger_id)
        subentry = charger_subentries(self._entry).get(charger_id)
        if (
            password is not None
            and subentry is not None
            and CONF_PREVIOUS_PASSWORD in subentry.data
            and password == subentry.data[CONF_PASSWORD]
        ):
            data = dict(subentry.data)
            del data[CONF_PREVIOUS_PASSWORD]
            self._hass.config_entries.async_update_subentry(
                self._entry, subentry, data=data
            )

    @callback
    def evse_changed(self, charger_id: str, evse_id: int) -> None:
        """Update only the entities of this EVSE (the hot path)."""
        entry_id = self._entry.entry_id
        if evse_id and (charger_id, evse_id) not in self.known_evses:
            if charger_id not in charger_subentries(self._entry):
                return
            self.known_evses.add((charger_id, evse_id))
            self._split_evse_devices(charger_id)
            async_dispatcher_send(
                self._hass, signal_new_evse(entry_id), charger_id, evse_id
            )
        async_dispatcher_send(
            self._hass, signal_evse_update(entry_id, charger_id, evse_id)
        )
        if (smart := self._smart) is not None:
            smart.evse_changed(charger_id, evse_id)
        self._store.schedule_save()

    @callback
    def _split_evse_devices(self, charger_id: str) -> None:
        """Give each EVSE its own device once a charger has more than one.

        Entities of a single-EVSE charger live on the charger's device; when a
        second EVSE appears (rare: first boot or an inventory report) the
        existing EVSE entities move to their EVSE's sub-device.
        """
        evse_ids = [
            evse_id for charger, evse_id in self.known_evses if charger == charger_id
        ]
        subentry = charger_subentries(self._entry).get(charger_id)
        if len(evse_ids) < 2 or subentry is None:
            return
        device_registry = dr.async_get(self._hass)
        entity_registry = er.async_get(self._hass)
        entities = [
            entity
            for entity in er.async_entries_for_config_entry(
                entity_registry, self._entry.entry_id
            )
            if entity.config_subentry_id == subentry.subentry_id
        ]
        for evse_id in evse_ids:
            device = device_registry.async_get_or_create(
                config_entry_id=self._entry.entry_id,
                config_subentry_id=subentry.subentry_id,
                identifiers={(DOMAIN, evse_device_identifier(charger_id, evse_id))},
                via_device=(DOMAIN, charger_id),
                translation_key="evse",
                translation_placeholders={
                    "charger_id": charger_id,
                    "evse_id": str(evse_id),
                },
            )
            prefix = f"{charger_id}_{evse_id}_"
            charger_slug = slugify(charger_id)
            for entity in entities:
                if not entity.unique_id.startswith(prefix) or (
                    entity.device_id == device.id
                ):
                    continue
                changes: dict[str, Any] = {"device_id": device.id}
                domain, object_id = entity.entity_id.split(".", 1)
                if object_id.startswith(f"{charger_slug}_"):
                    # Still the generated id: name it like its new device's
                    # siblings ("sensor.cp_1_evse_1_status").
                    suffix = object_id.removeprefix(f"{charger_slug}_")
                    wanted = f"{domain}.{charger_slug}_evse_{evse_id}_{suffix}"
                    if entity_registry.async_is_registered(wanted) is False:
                        changes["new_entity_id"] = wanted
                entity_registry.async_update_entity(entity.entity_id, **changes)

    @callback
    def charger_event(self, charger_id: str, event: ChargerEvent) -> None:
        """Fire the HA event automations listen for."""
        device = dr.async_get(self._hass).async_get_device(
            identifiers={(DOMAIN, charger_id)}
        )
        base: dict[str, Any] = {
            "charger_id": charger_id,
            "device_id": device.id if device else None,
        }
        match event:
            case SessionStarted():
                self._hass.bus.async_fire(
                    EVENT_SESSION_STARTED,
                    base
                    | {
                        "evse_id": event.evse_id,
                        "transaction_id": event.transaction_id,
                        "id_tag": event.id_tag,
                        "started_at": event.started_at.isoformat(),
                    },
                )
            case SessionEnded(summary=summary):
                self._hass.bus.async_fire(
                    EVENT_SESSION_ENDED,
                    base
                    | {
                        "evse_id": summary.evse_id,
                        "transaction_id": summary.transaction_id,
                        "id_tag": summary.id_tag,
                        "started_at": summary.started_at.isoformat(),
                        "ended_at": summary.ended_at.isoformat(),
                        "energy_kwh": round(summary.energy_wh / 1000, 3),
                        "duration_s": round(
                            (summary.ended_at - summary.started_at).total_seconds()
                        ),
                        "stop_reason": summary.stop_reason,
                        "interrupted": summary.interrupted,
                    },
                )
            case SecurityEvent():
                self._hass.bus.async_fire(
                    EVENT_SECURITY_EVENT,
                    base
                    | {
                        "type": event.kind,
                        "timestamp": event.timestamp.isoformat(),
                        "tech_info": event.tech_info,
                        "critical": event.critical,
                    },
                )
                if event.critical:
                    ir.async_create_issue(
                        self._hass,
                        DOMAIN,
                        f"security_event_{self._entry.entry_id}_{charger_id}",
                        is_fixable=False,
                        severity=ir.IssueSeverity.CRITICAL,
                        translation_key="security_event",
                        translation_placeholders={
                            "charger_id": charger_id,
                            "type": event.kind,
                            "tech_info": event.tech_info or "-",
                        },
                    )
            case DataTransferReceived():
                self._hass.bus.async_fire(
                    EVENT_DATA_TRANSFER,
                    base
                    | {
                        "vendor_id": event.vendor_id,
                        "message_id": event.message_id,
                        "data": event.data,
                    },
                )
            case TagPresented():
                self._hass.bus.async_fire(
                    EVENT_TAG_PRESENTED,
                    base
                    | {
                        "id_tag": event.id_tag,
                        "status": event.status.value,
                        "evse_id": event.evse_id,
                    },
                )
        self._store.schedule_save()

    @property
    def _smart(self) -> ModeControl | None:
        hub = loaded_hub(self._entry)
        return hub.smart if hub is not None else None

    @callback
    def charger_connected(self, charger_id: str, version: OcppVersion) -> None:
        """Tell the charger's entities it is online; bring its modes up to date."""
        self._notify(charger_id)
        if (smart := self._smart) is not None and charger_id in hub_of(
            self._entry
        ).accepted:
            # Re-plans may have waited for it (e.g. after an HA restart).
            smart.charger_online(charger_id)

    @callback
    def charger_disconnected(self, charger_id: str) -> None:
        """Tell the charger's entities it went offline."""
        self._notify(charger_id)

    @callback
    def charger_booted(
        self,
        charger_id: str,
        version: OcppVersion,
        info: BootInfo,
        status: RegistrationStatus,
    ) -> None:
        """Offer unknown chargers to the user; keep accepted ones up to date."""
        if status is RegistrationStatus.PENDING:
            discovery_flow.async_create_flow(
                self._hass,
                DOMAIN,
                context={"source": SOURCE_INTEGRATION_DISCOVERY},
                data={
                    CONF_HUB_ENTRY_ID: self._entry.entry_id,
                    CONF_CHARGER_ID: charger_id,
                    CONF_VENDOR: info.vendor,
                    CONF_MODEL: info.model,
                    CONF_SERIAL_NUMBER: info.serial_number,
                    CONF_FIRMWARE_VERSION: info.firmware_version,
                    CONF_OCPP_VERSION: version.value,
                },
            )
            return
        if status is not RegistrationStatus.ACCEPTED:
            return
        subentry = charger_subentries(self._entry).get(charger_id)
        data = charger_subentry_data(
            charger_id,
            info,
            version,
            subentry.data[CONF_PASSWORD] if subentry else new_password(),
        )
        if subentry is not None and CONF_PREVIOUS_PASSWORD in subentry.data:
            data[CONF_PREVIOUS_PASSWORD] = subentry.data[CONF_PREVIOUS_PASSWORD]
        if subentry is None:
            # Accepted automatically: record it as if the user had accepted.
            self._hass.config_entries.async_add_subentry(
                self._entry,
                ConfigSubentry(
                    data=MappingProxyType(data),
                    subentry_type=SUBENTRY_CHARGER,
                    title=charger_title(charger_id, info),
                    unique_id=charger_id,
                ),
            )
            self._protect(charger_id)
            return
        if dict(subentry.data) != data:
            self._hass.config_entries.async_update_subentry(
                self._entry, subentry, data=data
            )
        self.update_device(charger_id, subentry.subentry_id, info)
        self._notify(charger_id)
        self._protect(charger_id)
        if (smart := self._smart) is not None:
            # After a reboot the charger may have lost our profiles.
            smart.charger_online(charger_id)
        if info.reason != "Triggered":
            self._entry.async_create_background_task(
                self._hass,
                async_restore_after_boot(self._hass, self._entry, charger_id),
                f"ocpp_csms restore limits {charger_id}",
            )

    @callback
    def charger_resumed(self, charger_id: str) -> None:
        """Check our limits still hold on a charger that reconnected without booting."""
        self._entry.async_create_background_task(
            self._hass,
            async_check_after_reconnect(self._hass, self._entry, charger_id),
            f"ocpp_csms check limits {charger_id}",
        )

    @callback
    def _protect(self, charger_id: str) -> None:
        """With load balancing, give an accepted charger the fuse as its maximum."""
        hub = loaded_hub(self._entry)
        if hub is not None and hub.balancer and hub.balancer.enabled:
            self._entry.async_create_background_task(
                self._hass,
                hub.balancer.async_protect(charger_id),
                f"ocpp_csms station max {charger_id}",
            )

    @callback
    def update_device(
        self, charger_id: str, subentry_id: str, info: BootInfo | None
    ) -> None:
        """Create or refresh the charger's device from what it told us."""
        device_registry = dr.async_get(self._hass)
        kwargs: dict[str, Any] = {}
        if info is not None:
            kwargs = {
                "manufacturer": info.vendor,
                "model": info.model,
                "serial_number": info.serial_number,
                "sw_version": info.firmware_version,
            }
        device_registry.async_get_or_create(
            config_entry_id=self._entry.entry_id,
            config_subentry_id=subentry_id,
            identifiers={(DOMAIN, charger_id)},
            name=charger_id,
            **kwargs,
        )

    @callback
    def _notify(self, charger_id: str) -> None:
        async_dispatcher_send(
            self._hass, signal_charger_update(self._entry.entry_id, charger_id)
        )
