"""GUIDE §5 security profiles (3-7) against an independent client (ocpp-rpc over ws/wss)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

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
from tests.certs import Pki, make_pki

from .conftest import HEARTBEAT_INTERVAL
from .harness import Driver, run_scenario
from .scenario import V16, VERSIONS, boot, checkpoint, close, connect, wait_call

type HubFactory = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A CA, a server certificate for 127.0.0.1 and client certificates."""
    return make_pki(tmp_path, ("CP_1", "OTHER"))


@pytest.fixture
async def secure_hub(hass: HomeAssistant, hub_port: int) -> AsyncIterator[HubFactory]:
    """Start a hub with a security profile; unload it at the end."""
    entries: list[MockConfigEntry] = []

    async def _start(profile: int, pki: Pki | None = None) -> MockConfigEntry:
        data: dict[str, Any] = {
            CONF_HOST: "127.0.0.1",
            CONF_PORT: hub_port,
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
            options={
                CONF_HEARTBEAT_INTERVAL: HEARTBEAT_INTERVAL,
                CONF_AUTO_ACCEPT: False,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        entries.append(entry)
        return entry

    yield _start
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _add_charger(
    hass: HomeAssistant, hub: MockConfigEntry, charger_id: str
) -> str | None:
    """Add a charger as the user would; return the password shown (if any)."""
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_CHARGER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CHARGER_ID: charger_id}
    )
    password: str | None = None
    if result["type"] is FlowResultType.FORM:
        password = str(result["description_placeholders"]["password"])
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return password


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


@pytest.mark.parametrize("version", VERSIONS)
async def test_b03_basic_auth_checked_before_upgrade(
    hass: HomeAssistant, secure_hub: HubFactory, hub_port: int, version: str
) -> None:
    """3: profile 1: username = charger id + its password, else HTTP 401."""
    hub = await secure_hub(1)
    password = await _add_charger(hass, hub, "CP_1")
    assert password
    steps = [
        connect("CP_1", version, password=password),
        boot(version),
        connect(
            "CP_1", version, conn="wrong", password="wrong-password-0000", refused=401
        ),
        connect("CP_1", version, conn="none", refused=401),
        connect("STRANGER", version, conn="stranger", password=password, refused=401),
        # The right password under another user name is refused too.
        connect(
            "CP_1", version, conn="user", headers=_basic("OTHER", password), refused=401
        ),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()


async def test_b04_tls_1_2_minimum(
    hass: HomeAssistant, secure_hub: HubFactory, hub_port: int, pki: Pki
) -> None:
    """4: profile 2 serves TLS 1.2 and 1.3; a TLS 1.1 client is turned away."""
    hub = await secure_hub(2, pki)
    password = await _add_charger(hass, hub, "CP_1")
    url = f"wss://127.0.0.1:{hub_port}"
    ca = {"ca": str(pki.ca)}
    steps = [
        connect(
            "CP_1",
            V16,
            conn="tls12",
            url=url,
            password=password,
            tls=ca | {"min_version": "TLSv1.2", "max_version": "TLSv1.2"},
        ),
        boot(V16, conn="tls12"),
        close("tls12"),
        connect(
            "CP_1",
            V16,
            conn="tls13",
            url=url,
            password=password,
            tls=ca | {"min_version": "TLSv1.3"},
        ),
        boot(V16, conn="tls13"),
        close("tls13"),
        connect(
            "CP_1",
            V16,
            conn="tls11",
            url=url,
            password=password,
            # The client really offers TLS 1.1 (OpenSSL 3 needs SECLEVEL 0).
            tls=ca
            | {
                "min_version": "TLSv1",
                "max_version": "TLSv1.1",
                "ciphers": "DEFAULT@SECLEVEL=0",
            },
            refused=True,
        ),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()
    refusal = result.step(len(steps) - 1)["error"]
    # Refused by the server (protocol version alert), not unsendable locally.
    assert "no protocols available" not in refusal, refusal


async def test_b05_client_certificate_cn_is_charger_id(
    hass: HomeAssistant, secure_hub: HubFactory, hub_port: int, pki: Pki
) -> None:
    """5: profile 3: a certificate of our CA with CN = charger id, nothing else."""
    hub = await secure_hub(3, pki)
    assert await _add_charger(hass, hub, "CP_1") is None
    url = f"wss://127.0.0.1:{hub_port}"
    own_cert, own_key = pki.client_files("CP_1")
    other_cert, other_key = pki.client_files("OTHER")
    steps = [
        connect(
            "CP_1",
            V16,
            url=url,
            tls={"ca": str(pki.ca), "cert": str(own_cert), "key": str(own_key)},
        ),
        boot(V16),
        connect(
            "CP_1",
            V16,
            conn="other-cn",
            url=url,
            tls={"ca": str(pki.ca), "cert": str(other_cert), "key": str(other_key)},
            refused=401,
        ),
        connect(
            "CP_1", V16, conn="no-cert", url=url, tls={"ca": str(pki.ca)}, refused=True
        ),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()


async def test_b06_never_accept_a_lower_profile(
    hass: HomeAssistant, secure_hub: HubFactory, hub_port: int, pki: Pki
) -> None:
    """6: a profile 2 server takes neither plain ws:// nor TLS without a password."""
    hub = await secure_hub(2, pki)
    password = await _add_charger(hass, hub, "CP_1")
    tls = {"ca": str(pki.ca)}
    url = f"wss://127.0.0.1:{hub_port}"
    steps = [
        connect("CP_1", V16, conn="plain", password=password, refused=True),
        connect("CP_1", V16, conn="no-password", url=url, tls=tls, refused=401),
        connect("CP_1", V16, url=url, tls=tls, password=password),
        boot(V16),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()


@pytest.mark.parametrize("version", VERSIONS)
async def test_b07_password_rotation(
    hass: HomeAssistant, secure_hub: HubFactory, hub_port: int, version: str
) -> None:
    """7: rotation sends AuthorizationKey / BasicAuthPassword; old works until the new is used."""
    hub = await secure_hub(1)
    old = await _add_charger(hass, hub, "CP_1")
    assert old
    if version == V16:
        rotation = wait_call(
            "ChangeConfiguration",
            payload={"key": "AuthorizationKey", "value": "~string"},
            save={"new": "value"},
            reply={"status": "Accepted"},
        )
    else:
        target = {
            "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"},
        }
        rotation = wait_call(
            "SetVariables",
            payload={"setVariableData": [target | {"attributeValue": "~string"}]},
            save={"new": "setVariableData.0.attributeValue"},
            reply={"setVariableResult": [target | {"attributeStatus": "Accepted"}]},
        )
    steps = [
        connect("CP_1", version, password=old),
        boot(version),
        checkpoint("ready"),
        rotation,
        close(),
        # Until the charger has used the new password, the old one still works.
        connect("CP_1", version, conn="old", password=old),
        boot(version, conn="old"),
        close("old"),
        connect("CP_1", version, conn="new", password="${new}"),
        boot(version, conn="new"),
        close("new"),
        connect("CP_1", version, conn="stale", password=old, refused=401),
    ]
    manual = ["ChangeConfiguration", "SetVariables"]
    async with Driver(hub_port, steps, manual=manual) as driver:
        await driver.checkpoint("ready")
        device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "CP_1")})
        assert device is not None
        response = await hass.services.async_call(
            DOMAIN,
            "rotate_charger_password",
            {"device_id": device.id},
            blocking=True,
            return_response=True,
        )
        result = await driver.result()
    result.assert_ok()
    assert response is not None
    assert result.vars["new"] == response["password"] != old
