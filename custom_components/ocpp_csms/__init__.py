"""The OCPP Central System integration: a local CSMS inside Home Assistant."""

from __future__ import annotations

import logging
import ssl
from typing import Any

from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.typing import ConfigType

from .actions import async_setup_actions
from .balancing import SiteBalancer
from .bridge import HubBridge
from .config_actions import async_setup_config_actions
from .const import (
    AUTH_ACCEPT_ALL,
    CONF_ALLOWED_TAGS,
    CONF_AUTHORIZATION,
    CONF_AUTO_ACCEPT,
    CONF_FALLBACK_LIMIT,
    CONF_FUSE_LIMIT,
    CONF_GRID_POWER_SENSOR,
    CONF_HEARTBEAT_INTERVAL,
    CONF_MAX_CONNECTIONS,
    CONF_MAX_FRAME_SIZE,
    CONF_PHASE_SENSORS,
    CONF_PING_INTERVAL,
    CONF_REJECTED_CHARGERS,
    CONF_SECURITY_PROFILE,
    CONF_STRICT_VALIDATION,
    DEFAULT_FALLBACK_LIMIT,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_SIZE,
    DEFAULT_PING_INTERVAL,
    DOMAIN,
    SMART_CHARGING_OPTIONS,
    signal_new_charger,
)
from .csms.central import CentralConfig, CentralSystem
from .csms.security import SecurityProfile, server_ssl_context
from .csms.server import CsmsServer, ServerConfig
from .raw_actions import async_setup_raw_actions
from .runtime import OcppCsmsConfigEntry, OcppCsmsRuntime
from .smart import SmartCharging
from .store import ChargerStore
from .subentries import charger_credentials, charger_subentries, tls_files

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SELECT,
    Platform.SWITCH,
    Platform.TIME,
]


CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions once."""
    async_setup_actions(hass)
    async_setup_raw_actions(hass)
    async_setup_config_actions(hass)
    return True


def _transport_options(entry: OcppCsmsConfigEntry) -> dict[str, int]:
    """Return the server's transport limits (fixed while it runs)."""
    defaults = {
        CONF_PING_INTERVAL: DEFAULT_PING_INTERVAL,
        CONF_MAX_FRAME_SIZE: DEFAULT_MAX_FRAME_SIZE,
        CONF_MAX_CONNECTIONS: DEFAULT_MAX_CONNECTIONS,
    }
    return {
        key: int(entry.options.get(key, default)) for key, default in defaults.items()
    }


def _balancing_options(entry: OcppCsmsConfigEntry) -> dict[str, Any]:
    """Return the balancing and smart-charging inputs (a change reloads)."""
    options = entry.options
    return {key: options.get(key) for key in SMART_CHARGING_OPTIONS} | {
        CONF_FUSE_LIMIT: options.get(CONF_FUSE_LIMIT) or 0,
        CONF_PHASE_SENSORS: list(options.get(CONF_PHASE_SENSORS) or []),
        CONF_GRID_POWER_SENSOR: options.get(CONF_GRID_POWER_SENSOR) or None,
        CONF_FALLBACK_LIMIT: options.get(CONF_FALLBACK_LIMIT, DEFAULT_FALLBACK_LIMIT),
    }


def _central_config(entry: OcppCsmsConfigEntry) -> CentralConfig:
    options = entry.options
    return CentralConfig(
        heartbeat_interval=options.get(
            CONF_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL
        ),
        auto_accept=options.get(CONF_AUTO_ACCEPT, False),
        authorize_all=options.get(CONF_AUTHORIZATION, AUTH_ACCEPT_ALL)
        == AUTH_ACCEPT_ALL,
        allowed_tags=frozenset(options.get(CONF_ALLOWED_TAGS, [])),
        rejected=frozenset(options.get(CONF_REJECTED_CHARGERS, [])),
        strict_validation=options.get(CONF_STRICT_VALIDATION, False),
    )


async def async_setup_entry(hass: HomeAssistant, entry: OcppCsmsConfigEntry) -> bool:
    """Start the OCPP server for this hub entry."""
    accepted = set(charger_subentries(entry))
    store = ChargerStore(hass, entry.entry_id)
    restored = await store.async_load()
    bridge = HubBridge(hass, entry, store)
    central = CentralSystem(
        bridge,
        _central_config(entry),
        accepted,
        {key: value for key, value in restored.items() if key in accepted},
    )
    store.attach(central)
    bridge.known_evses = {
        (charger_id, evse_id)
        for charger_id in accepted
        for evse_id in central.tracker(charger_id).state.evses
        if evse_id
    }
    central.credentials = charger_credentials(entry)
    profile = SecurityProfile(entry.data.get(CONF_SECURITY_PROFILE, 0))
    try:
        ssl_context = await hass.async_add_executor_job(
            server_ssl_context, profile, tls_files(hass, entry.data)
        )
    except (OSError, ValueError, ssl.SSLError) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="invalid_tls",
            translation_placeholders={"error": str(err)},
        ) from err
    transport = _transport_options(entry)
    ping = transport[CONF_PING_INTERVAL] or None
    server = CsmsServer(
        ServerConfig(
            host=entry.data[CONF_HOST],
            port=entry.data[CONF_PORT],
            security_profile=profile,
            ssl_context=ssl_context,
            # A charger silent for two ping intervals is gone (NAT, power).
            ping_interval=ping,
            ping_timeout=ping,
            max_frame_size=transport[CONF_MAX_FRAME_SIZE],
            max_connections=transport[CONF_MAX_CONNECTIONS],
        ),
        central,
    )
    try:
        await server.start()
    except OSError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_listen",
            translation_placeholders={
                "port": str(entry.data[CONF_PORT]),
                "error": str(err),
            },
        ) from err
    entry.runtime_data = OcppCsmsRuntime(
        central=central,
        server=server,
        bridge=bridge,
        store=store,
        accepted=accepted,
        server_options=transport,
        balancing_options=_balancing_options(entry),
    )
    for charger_id, subentry in charger_subentries(entry).items():
        bridge.update_device(charger_id, subentry.subentry_id, None)
    entry.runtime_data.balancer = SiteBalancer(hass, entry)
    entry.runtime_data.balancer.async_start()
    smart = SmartCharging(hass, entry, store.loaded_modes)
    entry.runtime_data.smart = smart
    store.attach(central, smart.snapshot)
    smart.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))

    async def _async_stop(_: Event) -> None:
        # HA stops without unloading: close the chargers' sockets cleanly
        # (they reconnect to the next start) and free the port.
        await server.stop()
        await store.async_save_now()

    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _async_stop))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: OcppCsmsConfigEntry) -> bool:
    """Stop the server and every charger connection."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.server.stop()
        await entry.runtime_data.store.async_save_now()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: OcppCsmsConfigEntry) -> None:
    """Delete the stored charger state with the hub."""
    await ChargerStore(hass, entry.entry_id).async_remove()


async def _async_entry_updated(hass: HomeAssistant, entry: OcppCsmsConfigEntry) -> None:
    """Apply option changes and accepted/removed chargers without a reload."""
    runtime = entry.runtime_data
    if _transport_options(entry) != runtime.server_options or (
        _balancing_options(entry) != runtime.balancing_options
    ):
        # Transport limits are fixed when the server starts.
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    new_config = _central_config(entry)
    # Replaced as a whole: the core reads it on every decision.
    runtime.central.config = new_config
    runtime.central.credentials = charger_credentials(entry)

    current = charger_subentries(entry)
    for charger_id in current.keys() - runtime.accepted:
        _LOGGER.info("Charger %s accepted", charger_id)
        runtime.accepted.add(charger_id)
        runtime.bridge.update_device(charger_id, current[charger_id].subentry_id, None)
        runtime.central.accept(charger_id)
        _abort_discovery(hass, charger_id)
        async_dispatcher_send(
            hass,
            signal_new_charger(entry.entry_id),
            charger_id,
            current[charger_id].subentry_id,
        )
    for charger_id in runtime.accepted - current.keys():
        _LOGGER.info("Charger %s removed", charger_id)
        runtime.accepted.discard(charger_id)
        await runtime.central.forget(charger_id)


def _abort_discovery(hass: HomeAssistant, charger_id: str) -> None:
    """Close a "new charger found" card once the charger is accepted elsewhere."""
    for flow in hass.config_entries.flow.async_progress_by_handler(
        DOMAIN, match_context={"unique_id": charger_id}
    ):
        hass.config_entries.flow.async_abort(flow["flow_id"])


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: OcppCsmsConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Forget the charger behind a device the user deletes."""
    chargers = charger_subentries(entry)
    for domain, charger_id in device.identifiers:
        if domain == DOMAIN and charger_id in chargers:
            hass.config_entries.async_remove_subentry(
                entry, chargers[charger_id].subentry_id
            )
    return True
