"""GUIDE §5 boot & status (20-24)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.ocpp_csms.const import (
    EVENT_SESSION_STARTED,
    EVENT_TAG_PRESENTED,
)

from .conftest import HEARTBEAT_INTERVAL, MANUAL_ACCEPT
from .ha import accept_flow, accepted_ids, state
from .harness import Driver, run_scenario
from .scenario import (
    ALL_VERSIONS,
    V16,
    VERSIONS,
    authorize_payload,
    boot,
    call,
    checkpoint,
    connect,
    online,
    start_v16,
    status,
    status_payload,
    transaction_event,
    wait_call,
)

MAX_SENSIBLE_INTERVAL = 86_400


@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b20_boot_time_is_utc_and_interval_sensible(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """20: currentTime in UTC (within a minute of ours), interval = configured."""
    result = await run_scenario(hub_port, [connect("CP_1", version), boot(version)])
    result.assert_ok()
    answer = result.step(1)["result"]
    assert answer["interval"] == HEARTBEAT_INTERVAL
    assert 0 < answer["interval"] <= MAX_SENSIBLE_INTERVAL


@pytest.mark.parametrize("hub_options", [MANUAL_ACCEPT], ids=["manual"])
@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b21_pending_then_trigger_boot_after_acceptance(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """21: unknown → Pending (retry interval) → accepted in HA → TriggerMessage → Accepted."""
    steps = [
        connect("CP_NEW", version),
        boot(version, "Pending"),
        checkpoint("pending"),
        wait_call(
            "TriggerMessage",
            payload={"requestedMessage": "BootNotification"},
            reply={"status": "Accepted"},
        ),
        boot(version, reason="Triggered"),
        status(version, 1),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("pending")
        assert "CP_NEW" not in accepted_ids(loaded_hub)
        await accept_flow(hass, "CP_NEW")
        result = await driver.result()
    result.assert_ok()
    pending = result.step(1)["result"]
    assert 0 < pending["interval"] <= MAX_SENSIBLE_INTERVAL
    await hass.async_block_till_done()
    assert "CP_NEW" in accepted_ids(loaded_hub)


@pytest.mark.parametrize(
    "hub_options",
    [MANUAL_ACCEPT | {"auto_accept": True, "rejected_chargers": ["CP_BAD"]}],
    ids=["rejected"],
)
@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b21_rejected_boot(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """21: Rejected (with a retry interval) for chargers the user refused."""
    steps = [
        connect("CP_BAD", version),
        boot(version, "Rejected"),
        call("Heartbeat", {}, error="SecurityError"),
        call(
            "StatusNotification",
            status_payload(version, 1, "Available"),
            error="SecurityError",
        ),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()
    await hass.async_block_till_done()
    # Even with automatic acceptance on, a rejected id is never accepted.
    assert "CP_BAD" not in accepted_ids(loaded_hub)
    assert not hass.config_entries.flow.async_progress_by_handler("ocpp_csms")


@pytest.mark.parametrize("hub_options", [MANUAL_ACCEPT], ids=["manual"])
@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b22_calls_before_acceptance_security_error(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """22: before Accepted every CALL but BootNotification → SecurityError, unprocessed."""
    tags = async_capture_events(hass, EVENT_TAG_PRESENTED)
    started = async_capture_events(hass, EVENT_SESSION_STARTED)
    security = {"error": "SecurityError"}
    transaction = (
        call("StartTransaction", start_v16(), **security)
        if version == V16
        else call(
            "TransactionEvent",
            transaction_event("Started", "TX-EARLY", 0, tag="TAG-1"),
            **security,
        )
    )
    steps = [
        connect("CP_NEW", version),
        # Before any BootNotification at all...
        call("Heartbeat", {}, **security),
        boot(version, "Pending"),
        # ...and while Pending.
        call("Heartbeat", {}, **security),
        call("StatusNotification", status_payload(version, 1, "Available"), **security),
        call("Authorize", authorize_payload(version, "TAG-1"), **security),
        transaction,
        call("DataTransfer", {"vendorId": "com.example"}, **security),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()
    await hass.async_block_till_done()
    assert not tags
    assert not started
    assert "CP_NEW" not in accepted_ids(loaded_hub)


@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b23_heartbeat_returns_current_utc_time(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """23: Heartbeat → currentTime, UTC, now."""
    result = await run_scenario(
        hub_port,
        [
            *online("CP_1", version),
            call("Heartbeat", {}, result={"currentTime": "~utc-now"}),
            call("Heartbeat", {}, result={"currentTime": "~utc-now"}),
        ],
    )
    result.assert_ok()


@pytest.mark.parametrize("version", VERSIONS)
async def test_b24_status_notification_connector_zero_and_faulted(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """24: station-level status (connector/EVSE 0) and Faulted with error codes."""
    if version == V16:
        faults = [
            call(
                "StatusNotification",
                {"connectorId": 0, "errorCode": "NoError", "status": "Available"},
                result={},
            ),
            call(
                "StatusNotification",
                {
                    "connectorId": 0,
                    "errorCode": "GroundFailure",
                    "status": "Faulted",
                    "info": "RCD tripped",
                    "vendorId": "com.example",
                    "vendorErrorCode": "E42",
                    "timestamp": "${now}",
                },
                result={},
            ),
            call(
                "StatusNotification",
                {
                    "connectorId": 1,
                    "errorCode": "OverCurrentFailure",
                    "status": "Faulted",
                },
                result={},
            ),
        ]
    else:
        faults = [
            call(
                "StatusNotification",
                {
                    "timestamp": "${now}",
                    "connectorStatus": "Faulted",
                    "evseId": 0,
                    "connectorId": 0,
                },
                result={},
            ),
            call(
                "StatusNotification", status_payload(version, 1, "Faulted"), result={}
            ),
            call(
                "NotifyEvent",
                {
                    "generatedAt": "${now}",
                    "seqNo": 0,
                    "tbc": False,
                    "eventData": [
                        {
                            "eventId": 7,
                            "timestamp": "${now}",
                            "trigger": "Alerting",
                            "actualValue": "true",
                            "techCode": "OverCurrentFailure",
                            "eventNotificationType": "HardWiredMonitor",
                            "component": {
                                "name": "Connector",
                                "evse": {"id": 1, "connectorId": 1},
                            },
                            "variable": {"name": "Problem"},
                        }
                    ],
                },
                result={},
            ),
        ]
    steps = [*online("CP_1", version), *faults, {"op": "signal", "name": "checked"}]
    async with Driver(
        hub_port, [*steps[:-1], checkpoint("faulted"), steps[-1]]
    ) as driver:
        await driver.checkpoint("faulted")
        await hass.async_block_till_done()
        assert state(hass, "sensor", "CP_1_1_status") == "faulted"
        if version == V16:
            assert state(hass, "sensor", "CP_1_1_error_code") == "OverCurrentFailure"
        await driver.signal("checked")
        result = await driver.result()
    result.assert_ok()
