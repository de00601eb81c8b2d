"""GUIDE §5 connection (1, 2, 8, 9); security profiles 3-7: test_security_profiles.py."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_MAX_CONNECTIONS,
    CONF_MAX_FRAME_SIZE,
    CONF_PING_INTERVAL,
)

from .conftest import HEARTBEAT_INTERVAL, MANUAL_ACCEPT
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
@pytest.mark.parametrize("version", VERSIONS)
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


@pytest.mark.parametrize("version", VERSIONS)
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


LIMITS = {
    CONF_HEARTBEAT_INTERVAL: HEARTBEAT_INTERVAL,
    CONF_AUTO_ACCEPT: True,
    CONF_MAX_FRAME_SIZE: 64 * 1024,
    CONF_MAX_CONNECTIONS: 1,
    CONF_PING_INTERVAL: 1,
}


@pytest.mark.parametrize("hub_options", [LIMITS], ids=["limits"])
@pytest.mark.parametrize("version", VERSIONS)
async def test_b09_oversized_frame_closes_with_1009(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """9: a frame above the configured limit closes the socket with 1009."""
    big = '[2,"big","DataTransfer",{"vendorId":"x","data":"' + "x" * 70_000 + '"}]'
    result = await run_scenario(
        hub_port,
        [*online("CP_1", version), raw(big, none=True), wait_closed(timeout_ms=5000)],
    )
    result.assert_ok()
    closed = result.data["closes"]["main"]
    assert (closed["code"], closed["by"]) == (1009, "csms")


@pytest.mark.parametrize("hub_options", [LIMITS], ids=["limits"])
async def test_b09_connection_limit(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int
) -> None:
    """9: beyond the connection limit a charger is refused before the upgrade."""
    result = await run_scenario(
        hub_port,
        [
            *online("CP_1", V16),
            connect("CP_2", V16, conn="second", refused=503),
            call("Heartbeat", {}, result={"currentTime": "~utc-now"}),
        ],
    )
    result.assert_ok()


@pytest.mark.parametrize("hub_options", [LIMITS], ids=["limits"])
async def test_b09_silent_charger_dropped_after_ping_timeout(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int
) -> None:
    """9: a socket that never answers pings is closed (1011) within two intervals."""
    result = await run_scenario(
        hub_port,
        [
            connect("CP_1", V16, no_pong=True),
            boot(V16),
            wait_closed(timeout_ms=8000),
        ],
    )
    result.assert_ok()
    assert result.data["closes"]["main"]["code"] == 1011
    assert result.data["closes"]["main"]["by"] == "csms"
