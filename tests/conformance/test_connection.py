"""GUIDE §5 connection & security (1-9), checked by an independent strict client."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import MANUAL_ACCEPT
from .ha import accepted_ids, service, state
from .harness import Driver, run_scenario
from .scenario import (
    ALL_VERSIONS,
    V16,
    VERSIONS,
    boot,
    call,
    checkpoint,
    connect,
    online,
    raw,
    signal,
    status,
    wait_call,
    wait_closed,
)

# Characters that must be percent-encoded in a path segment; 1.6 allows any
# identity, 2.x identifierString allows ":" "@" "*" "|" and friends.
IDENTITIES = {V16: "CP 1#Ä/x", "2.0.1": "CP:1@home|*", "2.1": "CP:2@home=+"}


@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b01_identity_is_last_path_segment_percent_decoded(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """1: /some/prefix/<percent-encoded id> → the charger id is the decoded segment."""
    identity = IDENTITIES[version]
    result = await run_scenario(
        hub_port,
        [
            connect(identity, version, path="/ocpp/central"),
            boot(version),
            status(version, 1),
        ],
    )
    result.assert_ok()
    await hass.async_block_till_done()
    assert identity in accepted_ids(loaded_hub)


@pytest.mark.parametrize("hub_options", [MANUAL_ACCEPT], ids=["manual"])
@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b01_unknown_identity_is_not_accepted(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """1: an identity nobody accepted boots Pending, never Accepted."""
    result = await run_scenario(
        hub_port, [connect("CP_STRANGER", version), boot(version, "Pending")]
    )
    result.assert_ok()
    await hass.async_block_till_done()
    assert "CP_STRANGER" not in accepted_ids(loaded_hub)


async def test_b02_subprotocol_preference_and_refusal(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int
) -> None:
    """2: newest common version wins (2.1 > 2.0.1 > 1.6); no common one → refused."""
    offers: list[tuple[str, list[str], str | None]] = [
        ("all", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"], "ocpp2.1"),
        ("old-first", ["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        ("new-first", ["ocpp2.0.1", "ocpp1.6"], "ocpp2.0.1"),
        ("only-16", ["ocpp1.6"], "ocpp1.6"),
        ("none", [], None),
        ("unknown", ["ocpp1.5", "wamp"], None),
    ]
    steps: list[dict[str, Any]] = []
    for name, protocols, expected in offers:
        if expected is None:
            steps.append(
                connect(f"CP_{name}", V16, conn=name, protocols=protocols, refused=True)
            )
            continue
        steps.append(
            connect(
                f"CP_{name}", V16, conn=name, protocols=protocols, protocol=expected
            )
        )
        # The session really speaks the negotiated version.
        steps.append(boot(expected.removeprefix("ocpp"), conn=name))
    result = await run_scenario(hub_port, steps)
    result.assert_ok()
    assert result.data["protocols"] == {name: expected for name, _, expected in offers}
    for index, step in enumerate(result.steps):
        if "refused" in (step.get("detail") or {}):
            refused = result.step(index)["refused"]
            assert isinstance(refused, int)
            assert 400 <= refused < 500, refused


async def test_b03_basic_auth_checked_before_upgrade() -> None:
    """3: profile 1/2 HTTP Basic auth, username = charger id, 401 on mismatch."""
    pytest.skip("security profiles: not implemented yet")


async def test_b04_tls_1_2_minimum() -> None:
    """4: TLS >= 1.2 only."""
    pytest.skip("security profiles: not implemented yet")


async def test_b05_client_certificate_cn_is_charger_id() -> None:
    """5: profile 3 client certificate chain checked, CN = charger id."""
    pytest.skip("security profiles: not implemented yet")


async def test_b06_never_accept_a_lower_profile() -> None:
    """6: never accept a lower security profile than configured."""
    pytest.skip("security profiles: not implemented yet")


async def test_b07_password_rotation() -> None:
    """7: 1.6 AuthorizationKey / 2.0.1 BasicAuthPassword rotation."""
    pytest.skip("security profiles: not implemented yet")


@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b08_reconnect_replaces_stale_socket(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """8: a second connection closes the first; its in-flight call fails cleanly."""
    steps = [
        *online("CP_1", version, conn="old"),
        checkpoint("ready"),
        # Hold the unlock request on the old socket: it is in flight when the
        # charger comes back on a new one.
        wait_call("UnlockConnector", hold="unlock", conn="old"),
        connect("CP_1", version, conn="new"),
        wait_closed("old"),
        boot(version, conn="new"),
        call("Heartbeat", {}, result={"currentTime": "~utc-now"}, conn="new"),
        checkpoint("reconnected"),
        signal("checked"),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        press = hass.loop.create_task(service(hass, "button", "press", "CP_1_1_unlock"))
        await driver.checkpoint("reconnected")
        with pytest.raises(HomeAssistantError) as err:
            await press
        assert err.value.translation_key == "charger_offline"
        await hass.async_block_till_done()
        # The charger's state survived the new connection.
        assert state(hass, "binary_sensor", "CP_1_connected") == "on"
        assert state(hass, "sensor", "CP_1_1_status") == "available"
        await driver.signal("checked")
        result = await driver.result()
    result.assert_ok()
    assert result.data["closes"]["old"]["code"] == 1000


@pytest.mark.parametrize("version", VERSIONS)
async def test_b09_oversized_frame_closes_with_1009(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """9 (frame-size part): a frame above the limit closes the socket with 1009."""
    big = '[2,"big","DataTransfer",{"vendorId":"x","data":"' + "x" * 400_000 + '"}]'
    result = await run_scenario(
        hub_port,
        [*online("CP_1", version), raw(big, none=True), wait_closed(timeout_ms=5000)],
    )
    result.assert_ok()
    assert result.data["closes"]["main"]["code"] == 1009
