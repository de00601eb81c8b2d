"""Security profiles 1-3 with real passwords and certificates (GUIDE §5 3-7)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from websockets.exceptions import InvalidStatus

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_CAFILE,
    CONF_CERTFILE,
    CONF_CHARGER_ID,
    CONF_HEARTBEAT_INTERVAL,
    CONF_KEYFILE,
    CONF_SECURITY_PROFILE,
    DOMAIN,
    SUBENTRY_CHARGER,
)

from .certs import Pki, make_pki
from .conftest import SimulatorFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path, ("CP_1", "OTHER"))


async def _hub(
    hass: HomeAssistant, port: int, profile: int, pki: Pki | None = None
) -> MockConfigEntry:
    data: dict[str, Any] = {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: port,
        CONF_SECURITY_PROFILE: profile,
    }
    if pki is not None:
        data |= {
            CONF_CERTFILE: str(pki.server_cert),
            CONF_KEYFILE: str(pki.server_key),
            CONF_CAFILE: str(pki.ca),
        }
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=data,
        options={CONF_HEARTBEAT_INTERVAL: 300, CONF_AUTO_ACCEPT: False},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def unload_all(hass: HomeAssistant) -> AsyncIterator[None]:
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _add_charger(
    hass: HomeAssistant, hub: MockConfigEntry, charger_id: str
) -> str:
    """Add a charger by id; return the password the dialog shows once."""
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_CHARGER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CHARGER_ID: charger_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "password"
    password = str(result["description_placeholders"]["password"])
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return password


async def _device_id(hass: HomeAssistant, charger_id: str) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, charger_id)})
    assert device is not None
    return device.id


@pytest.mark.usefixtures("unload_all")
async def test_profile1_basic_auth(
    hass: HomeAssistant, hub_port: int, start_simulator: SimulatorFactory
) -> None:
    """Right password connects; wrong, missing or unknown ids get 401."""
    hub = await _hub(hass, hub_port, 1)
    password = await _add_charger(hass, hub, "CP_1")
    assert len(password) == 40

    sim = await start_simulator("CP_1", "1.6", password=password)
    await sim.wait_for_registration("Accepted", timeout=10)
    for charger_id, given in (
        ("CP_1", "wrong-password-0000"),
        ("CP_1", None),
        ("STRANGER", password),
    ):
        with pytest.raises(InvalidStatus) as err:
            await start_simulator(charger_id, "1.6", password=given)
        assert err.value.response.status_code == 401

    response = await hass.services.async_call(
        DOMAIN,
        "get_charger_password",
        {"device_id": await _device_id(hass, "CP_1")},
        blocking=True,
        return_response=True,
    )
    assert response == {"charger_id": "CP_1", "password": password}


@pytest.mark.usefixtures("unload_all")
async def test_repeated_failures_raise_a_repair_issue(
    hass: HomeAssistant, hub_port: int, start_simulator: SimulatorFactory
) -> None:
    """Five refusals in a row ask the user to act; success clears it."""
    hub = await _hub(hass, hub_port, 1)
    password = await _add_charger(hass, hub, "CP_1")
    issues = ir.async_get(hass)
    issue_id = f"auth_failed_{hub.entry_id}_CP_1"
    for attempt in range(5):
        assert issues.async_get_issue(DOMAIN, issue_id) is None, attempt
        with pytest.raises(InvalidStatus):
            await start_simulator("CP_1", "2.0.1", password="x" * 20)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "charger_id": "CP_1",
        "reason": "wrong password",
        "count": "5",
    }
    sim = await start_simulator("CP_1", "2.0.1", password=password)
    await sim.wait_for_registration("Accepted", timeout=10)
    assert issues.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.usefixtures("unload_all")
async def test_password_rotation_without_lockout(
    hass: HomeAssistant,
    hub_port: int,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """The charger gets a new password; the old one works until it is used."""
    hub = await _hub(hass, hub_port, 1)
    old = await _add_charger(hass, hub, "CP_1")
    sim = await start_simulator("CP_1", version, password=old)
    await sim.wait_until_ready(timeout=10)
    response = await hass.services.async_call(
        DOMAIN,
        "rotate_charger_password",
        {"device_id": await _device_id(hass, "CP_1")},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    new = str(response["password"])
    assert new != old
    received = await sim.wait_for_call(
        "ChangeConfiguration" if version == "1.6" else "SetVariables"
    )
    assert new in str(received.payload)
    assert sim.password == new
    # Until the charger has used the new password, the old one still works.
    await sim.stop()
    stale = await start_simulator("CP_1", version, password=old)
    await stale.wait_for_registration("Accepted", timeout=10)
    await stale.stop()
    fresh = await start_simulator("CP_1", version, password=new)
    await fresh.wait_for_registration("Accepted", timeout=10)
    await hass.async_block_till_done()
    with pytest.raises(InvalidStatus):
        await start_simulator("CP_1", version, password=old)


@pytest.mark.usefixtures("unload_all")
async def test_rotation_errors_are_reported(
    hass: HomeAssistant, hub_port: int, start_simulator: SimulatorFactory
) -> None:
    """Offline chargers and unknown devices give translated errors."""
    hub = await _hub(hass, hub_port, 1)
    await _add_charger(hass, hub, "CP_1")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "rotate_charger_password",
            {"device_id": await _device_id(hass, "CP_1")},
            blocking=True,
        )
    assert err.value.translation_key == "charger_offline"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "get_charger_password",
            {"device_id": "nope"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "not_a_charger"


@pytest.mark.usefixtures("unload_all")
async def test_profile2_tls_and_password(
    hass: HomeAssistant, hub_port: int, start_simulator: SimulatorFactory, pki: Pki
) -> None:
    """wss:// with our CA works; plain ws:// cannot reach a TLS-only server."""
    hub = await _hub(hass, hub_port, 2, pki)
    password = await _add_charger(hass, hub, "CP_1")
    url = f"wss://127.0.0.1:{hub_port}"
    sim = await start_simulator(
        "CP_1", "2.0.1", password=password, url=url, ssl=pki.client_context()
    )
    await sim.wait_for_registration("Accepted", timeout=10)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any handshake failure
        await start_simulator("CP_1", "2.0.1", password=password)


@pytest.mark.usefixtures("unload_all")
async def test_profile3_client_certificate(
    hass: HomeAssistant, hub_port: int, start_simulator: SimulatorFactory, pki: Pki
) -> None:
    """The certificate's CN must be the charger id; no certificate, no entry."""
    hub = await _hub(hass, hub_port, 3, pki)
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_CHARGER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CHARGER_ID: "CP_1"}
    )
    # No password step: certificates identify chargers in profile 3.
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    url = f"wss://127.0.0.1:{hub_port}"
    sim = await start_simulator("CP_1", "1.6", url=url, ssl=pki.client_context("CP_1"))
    await sim.wait_for_registration("Accepted", timeout=10)
    with pytest.raises(InvalidStatus) as err:
        await start_simulator("CP_1", "1.6", url=url, ssl=pki.client_context("OTHER"))
    assert err.value.response.status_code == 401
    with pytest.raises(Exception):  # noqa: B017, PT011 - TLS alert, no certificate
        await start_simulator("CP_1", "1.6", url=url, ssl=pki.client_context())


@pytest.mark.usefixtures("unload_all")
async def test_bad_tls_files(
    hass: HomeAssistant, hub_port: int, tmp_path: Path
) -> None:
    """Unreadable TLS files: the flow says so; a stored entry retries setup."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: "127.0.0.1",
            CONF_PORT: hub_port,
            CONF_HEARTBEAT_INTERVAL: 60,
            CONF_SECURITY_PROFILE: "2",
            CONF_CERTFILE: str(tmp_path / "missing.pem"),
            CONF_KEYFILE: str(tmp_path / "missing.key"),
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_tls"}
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_HOST: "127.0.0.1", CONF_PORT: hub_port, CONF_SECURITY_PROFILE: 3},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("unload_all")
async def test_user_flow_with_tls(hass: HomeAssistant, hub_port: int, pki: Pki) -> None:
    """Valid TLS files create a profile 2 hub."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: "127.0.0.1",
            CONF_PORT: hub_port,
            CONF_HEARTBEAT_INTERVAL: 60,
            CONF_SECURITY_PROFILE: "2",
            CONF_CERTFILE: str(pki.server_cert),
            CONF_KEYFILE: str(pki.server_key),
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SECURITY_PROFILE] == 2


@pytest.mark.usefixtures("unload_all")
async def test_security_events(
    hass: HomeAssistant, hub_port: int, start_simulator: SimulatorFactory
) -> None:
    """Security events become HA events; critical ones a repair issue."""
    hub = await _hub(hass, hub_port, 0)
    events = async_capture_events(hass, "ocpp_csms_security_event")
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_CHARGER), context={"source": SOURCE_USER}
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CHARGER_ID: "CP_1"}
    )
    sim = await start_simulator("CP_1", "2.0.1")
    await sim.wait_until_ready(timeout=10)
    for kind in ("SettingSystemTime", "TamperDetectionActivated"):
        await sim.call(
            "SecurityEventNotification",
            {"type": kind, "timestamp": "2026-01-01T00:00:00Z", "techInfo": "lid"},
        )
    await hass.async_block_till_done()
    assert [(e.data["type"], e.data["critical"]) for e in events] == [
        ("SettingSystemTime", False),
        ("TamperDetectionActivated", True),
    ]
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"security_event_{hub.entry_id}_CP_1"
    )
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL
