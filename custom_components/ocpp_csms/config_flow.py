"""Config flows: the hub (server), discovered chargers and added chargers."""

from __future__ import annotations

import errno
import socket
import ssl
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
)
import voluptuous as vol

from .const import (
    AUTH_ACCEPT_ALL,
    AUTH_LISTED_TAGS,
    CONF_ALLOWED_TAGS,
    CONF_AUTHORIZATION,
    CONF_AUTO_ACCEPT,
    CONF_BATTERY_POWER_SENSOR,
    CONF_BATTERY_PRIORITY_SOC,
    CONF_BATTERY_SOC_SENSOR,
    CONF_CAFILE,
    CONF_CERTFILE,
    CONF_CHARGER_ID,
    CONF_FALLBACK_LIMIT,
    CONF_FUSE_LIMIT,
    CONF_GRID_EXPORT_POSITIVE,
    CONF_GRID_POWER_SENSOR,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HUB_ENTRY_ID,
    CONF_KEYFILE,
    CONF_MAX_CONNECTIONS,
    CONF_MAX_FRAME_SIZE,
    CONF_MODEL,
    CONF_OCPP_VERSION,
    CONF_PHASE_SENSORS,
    CONF_PING_INTERVAL,
    CONF_PRICE_ENTITY,
    CONF_PV_FORECAST_ENTITY,
    CONF_PV_POWER_SENSOR,
    CONF_REJECTED_CHARGERS,
    CONF_REMOTE_ID_TAG,
    CONF_SECURITY_PROFILE,
    CONF_SMART_CHARGING,
    CONF_STRICT_VALIDATION,
    CONF_VENDOR,
    DEFAULT_FALLBACK_LIMIT,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_HOST,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_SIZE,
    DEFAULT_PING_INTERVAL,
    DEFAULT_PORT,
    DEFAULT_REMOTE_ID_TAG,
    DOMAIN,
    MAX_HEARTBEAT_INTERVAL,
    MIN_HEARTBEAT_INTERVAL,
    SMART_CHARGING_OPTIONS,
    SUBENTRY_CHARGER,
)
from .csms.const import OcppVersion
from .csms.model import BootInfo
from .csms.security import SecurityProfile, new_password, server_ssl_context
from .subentries import (
    charger_subentries,
    charger_subentry_data,
    charger_title,
    tls_files,
)

PORT_SCHEMA = vol.All(vol.Coerce(int), vol.Range(min=1, max=65535))
HEARTBEAT_SCHEMA = vol.All(
    vol.Coerce(int), vol.Range(min=MIN_HEARTBEAT_INTERVAL, max=MAX_HEARTBEAT_INTERVAL)
)


def _try_bind(host: str, port: int) -> str | None:
    """Return an error key when (host, port) cannot be listened on."""
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as err:
        return "port_in_use" if err.errno == errno.EADDRINUSE else "cannot_bind"
    return None


async def _async_check_listen(hass: HomeAssistant, host: str, port: int) -> str | None:
    return await hass.async_add_executor_job(_try_bind, host, port)


PROFILE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[str(profile.value) for profile in SecurityProfile],
        translation_key=CONF_SECURITY_PROFILE,
    )
)
SERVER_FIELDS = (
    CONF_HOST,
    CONF_PORT,
    CONF_SECURITY_PROFILE,
    CONF_CERTFILE,
    CONF_KEYFILE,
    CONF_CAFILE,
)


def _server_schema() -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST): cv.string,
            vol.Required(CONF_PORT): PORT_SCHEMA,
            vol.Required(CONF_SECURITY_PROFILE, default="0"): PROFILE_SELECTOR,
            vol.Optional(CONF_CERTFILE): cv.string,
            vol.Optional(CONF_KEYFILE): cv.string,
            vol.Optional(CONF_CAFILE): cv.string,
        }
    )


def _server_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the hub data from a form: profile as a number, no empty paths."""
    data = {key: user_input[key] for key in SERVER_FIELDS if user_input.get(key)}
    data[CONF_SECURITY_PROFILE] = int(user_input[CONF_SECURITY_PROFILE])
    return data


async def _async_check_server(
    hass: HomeAssistant, data: dict[str, Any], *, check_port: bool
) -> str | None:
    """Return an error key when the server could not run with these settings."""
    profile = SecurityProfile(data[CONF_SECURITY_PROFILE])
    if profile.uses_tls:
        try:
            await hass.async_add_executor_job(
                server_ssl_context, profile, tls_files(hass, data)
            )
        except (OSError, ValueError, ssl.SSLError):
            return "invalid_tls"
    if check_port:
        return await _async_check_listen(hass, data[CONF_HOST], data[CONF_PORT])
    return None


class OcppCsmsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an OCPP server, and accept chargers that dial in."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no discovered charger."""
        self._discovered: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OcppCsmsOptionsFlow:
        """Return the options flow."""
        return OcppCsmsOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Chargers are subentries of the hub."""
        return {SUBENTRY_CHARGER: ChargerSubentryFlow}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where the OCPP server listens and how chargers authenticate."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._async_abort_entries_match({CONF_PORT: user_input[CONF_PORT]})
            data = _server_data(user_input)
            error = await _async_check_server(self.hass, data, check_port=True)
            if error is None:
                return self.async_create_entry(
                    title=f"OCPP server (port {data[CONF_PORT]})",
                    data=data,
                    options={
                        CONF_HEARTBEAT_INTERVAL: user_input[CONF_HEARTBEAT_INTERVAL],
                        CONF_AUTO_ACCEPT: False,
                    },
                )
            errors["base"] = error
        schema = _server_schema().extend(
            {vol.Required(CONF_HEARTBEAT_INTERVAL): HEARTBEAT_SCHEMA}
        )
        defaults = {
            CONF_HOST: DEFAULT_HOST,
            CONF_PORT: DEFAULT_PORT,
            CONF_SECURITY_PROFILE: "0",
            CONF_HEARTBEAT_INTERVAL: DEFAULT_HEARTBEAT_INTERVAL,
        }
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                schema, defaults | (user_input or {})
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the server, or change its security profile."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _server_data(user_input)
            if data[CONF_PORT] != entry.data[CONF_PORT]:
                self._async_abort_entries_match({CONF_PORT: data[CONF_PORT]})
            moved = (data[CONF_HOST], data[CONF_PORT]) != (
                entry.data[CONF_HOST],
                entry.data[CONF_PORT],
            )
            error = await _async_check_server(self.hass, data, check_port=moved)
            if error:
                errors["base"] = error
            else:
                return self.async_update_reload_and_abort(
                    entry, title=f"OCPP server (port {data[CONF_PORT]})", data=data
                )
        current = dict(entry.data) | {
            CONF_SECURITY_PROFILE: str(entry.data.get(CONF_SECURITY_PROFILE, 0))
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _server_schema(), current | (user_input or {})
            ),
            errors=errors,
        )

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """Offer a charger we do not know, which just booted, to the user."""
        hub = self.hass.config_entries.async_get_entry(
            discovery_info[CONF_HUB_ENTRY_ID]
        )
        if hub is None or hub.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="hub_not_loaded")
        charger_id: str = discovery_info[CONF_CHARGER_ID]
        await self.async_set_unique_id(charger_id)
        self._abort_if_unique_id_configured()
        if charger_id in charger_subentries(hub):
            return self.async_abort(reason="already_configured")
        self._discovered = discovery_info
        self.context["title_placeholders"] = self._placeholders()
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Accept the discovered charger."""
        if user_input is None:
            return self.async_show_form(
                step_id="discovery_confirm",
                description_placeholders=self._placeholders(),
            )
        info = self._discovered
        hub = self.hass.config_entries.async_get_entry(info[CONF_HUB_ENTRY_ID])
        if hub is None or hub.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="hub_not_loaded")
        charger_id: str = info[CONF_CHARGER_ID]
        boot = BootInfo(vendor=info[CONF_VENDOR], model=info[CONF_MODEL])
        data = charger_subentry_data(
            charger_id, boot, OcppVersion(info[CONF_OCPP_VERSION]), new_password()
        )
        self.hass.config_entries.async_add_subentry(
            hub,
            ConfigSubentry(
                data=MappingProxyType(data),
                subentry_type=SUBENTRY_CHARGER,
                title=charger_title(charger_id, boot),
                unique_id=charger_id,
            ),
        )
        return self.async_abort(
            reason="charger_accepted", description_placeholders=self._placeholders()
        )

    def _placeholders(self) -> dict[str, str]:
        return {
            "charger_id": self._discovered[CONF_CHARGER_ID],
            "vendor": self._discovered[CONF_VENDOR],
            "model": self._discovered[CONF_MODEL],
            "name": charger_title(
                self._discovered[CONF_CHARGER_ID],
                BootInfo(
                    vendor=self._discovered[CONF_VENDOR],
                    model=self._discovered[CONF_MODEL],
                ),
            ),
        }


def _smart_charging_schema() -> vol.Schema:
    """Return the inputs of the charging modes (prices, meters, forecast)."""
    power = EntitySelectorConfig(domain="sensor", device_class="power")
    return vol.Schema(
        {
            vol.Optional(CONF_PRICE_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["sensor", "event"])
            ),
            vol.Required(CONF_GRID_EXPORT_POSITIVE): cv.boolean,
            vol.Optional(CONF_PV_POWER_SENSOR): EntitySelector(power),
            vol.Optional(CONF_BATTERY_POWER_SENSOR): EntitySelector(power),
            vol.Optional(CONF_BATTERY_SOC_SENSOR): EntitySelector(
                EntitySelectorConfig(domain="sensor", device_class="battery")
            ),
            vol.Optional(CONF_BATTERY_PRIORITY_SOC): vol.All(
                vol.Coerce(int), vol.Range(min=0, max=100)
            ),
            vol.Optional(CONF_PV_FORECAST_ENTITY): EntitySelector(
                EntitySelectorConfig(domain="sensor")
            ),
        }
    )


class OcppCsmsOptionsFlow(OptionsFlow):
    """Settings applied while chargers stay connected."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit heartbeat, acceptance, authorization and the remote-start tag."""
        if user_input is not None:
            for key in (CONF_ALLOWED_TAGS, CONF_REJECTED_CHARGERS):
                values = [value.strip() for value in user_input.get(key, [])]
                user_input[key] = sorted({value for value in values if value})
            # Stored flat: the section is only how the form groups them.
            user_input |= user_input.pop(CONF_SMART_CHARGING, {})
            return self.async_create_entry(data=user_input)
        schema = vol.Schema(
            {
                vol.Required(CONF_HEARTBEAT_INTERVAL): HEARTBEAT_SCHEMA,
                vol.Required(CONF_AUTO_ACCEPT): cv.boolean,
                vol.Required(CONF_AUTHORIZATION): SelectSelector(
                    SelectSelectorConfig(
                        options=[AUTH_ACCEPT_ALL, AUTH_LISTED_TAGS],
                        translation_key=CONF_AUTHORIZATION,
                    )
                ),
                vol.Optional(CONF_ALLOWED_TAGS): TextSelector(
                    TextSelectorConfig(multiple=True)
                ),
                vol.Required(CONF_REMOTE_ID_TAG): vol.All(
                    cv.string, vol.Length(min=1, max=20)
                ),
                vol.Optional(CONF_REJECTED_CHARGERS): TextSelector(
                    TextSelectorConfig(multiple=True)
                ),
                vol.Required(CONF_STRICT_VALIDATION): cv.boolean,
                vol.Required(CONF_PING_INTERVAL): vol.All(
                    vol.Coerce(int), vol.Range(min=0, max=3600)
                ),
                vol.Required(CONF_MAX_FRAME_SIZE): vol.All(
                    vol.Coerce(int), vol.Range(min=4096, max=16 * 1024 * 1024)
                ),
                vol.Required(CONF_MAX_CONNECTIONS): vol.All(
                    vol.Coerce(int), vol.Range(min=1, max=100_000)
                ),
                vol.Required(CONF_FUSE_LIMIT): vol.All(
                    vol.Coerce(int), vol.Range(min=0, max=1000)
                ),
                vol.Optional(CONF_PHASE_SENSORS): EntitySelector(
                    EntitySelectorConfig(
                        domain="sensor", device_class="current", multiple=True
                    )
                ),
                vol.Optional(CONF_GRID_POWER_SENSOR): EntitySelector(
                    EntitySelectorConfig(domain="sensor", device_class="power")
                ),
                vol.Required(CONF_FALLBACK_LIMIT): vol.All(
                    vol.Coerce(int), vol.Range(min=0, max=80)
                ),
                vol.Optional(CONF_SMART_CHARGING): section(
                    _smart_charging_schema(), {"collapsed": True}
                ),
            }
        )
        options = dict(self.config_entry.options)
        smart = {
            key: options.pop(key) for key in SMART_CHARGING_OPTIONS if key in options
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema,
                {
                    CONF_HEARTBEAT_INTERVAL: DEFAULT_HEARTBEAT_INTERVAL,
                    CONF_AUTO_ACCEPT: False,
                    CONF_AUTHORIZATION: AUTH_ACCEPT_ALL,
                    CONF_ALLOWED_TAGS: [],
                    CONF_REJECTED_CHARGERS: [],
                    CONF_REMOTE_ID_TAG: DEFAULT_REMOTE_ID_TAG,
                    CONF_STRICT_VALIDATION: False,
                    CONF_PING_INTERVAL: DEFAULT_PING_INTERVAL,
                    CONF_MAX_FRAME_SIZE: DEFAULT_MAX_FRAME_SIZE,
                    CONF_MAX_CONNECTIONS: DEFAULT_MAX_CONNECTIONS,
                    CONF_FUSE_LIMIT: 0,
                    CONF_FALLBACK_LIMIT: DEFAULT_FALLBACK_LIMIT,
                    CONF_SMART_CHARGING: {CONF_GRID_EXPORT_POSITIVE: False} | smart,
                }
                | options,
            ),
        )


class ChargerSubentryFlow(ConfigSubentryFlow):
    """Accept a charger by its id before it connects."""

    def __init__(self) -> None:
        """Start with no charger chosen."""
        self._charger_id = ""
        self._password = new_password()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the charger id (the last part of its OCPP URL)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            charger_id = user_input[CONF_CHARGER_ID].strip()
            if not charger_id or "/" in charger_id:
                errors[CONF_CHARGER_ID] = "invalid_charger_id"
            elif charger_id in charger_subentries(self._get_entry()):
                return self.async_abort(reason="already_configured")
            else:
                self._charger_id = charger_id
                profile = SecurityProfile(
                    self._get_entry().data.get(CONF_SECURITY_PROFILE, 0)
                )
                if profile.uses_password:
                    return await self.async_step_password()
                return self._create()
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Required(CONF_CHARGER_ID): cv.string}),
            errors=errors,
        )

    async def async_step_password(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the charger's password once; the user types it into the charger."""
        if user_input is not None:
            return self._create()
        return self.async_show_form(
            step_id="password",
            description_placeholders={
                "charger_id": self._charger_id,
                "password": self._password,
            },
        )

    def _create(self) -> SubentryFlowResult:
        return self.async_create_entry(
            title=self._charger_id,
            data=charger_subentry_data(self._charger_id, None, None, self._password),
            unique_id=self._charger_id,
        )
