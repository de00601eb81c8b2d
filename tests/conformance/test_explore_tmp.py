from __future__ import annotations

import json
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from .harness import run_scenario
from .scenario import *


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_explore(hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str) -> None:
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    steps = online("CP_1", version)
    if version == V16:
        steps += [
            call("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": "${now}"}),
            call("StartTransaction", start_v16(), save={"tx": "transactionId"}),
            call("MeterValues", {"connectorId": 1, "transactionId": "${tx}", "meterValue": [{"timestamp": "${now}", "sampledValue": [
                {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": "AB12CD34==", "format": "SignedData", "measurand": "Energy.Active.Import.Register", "context": "Sample.Clock"},
            ]}]}),
        ]
    else:
        steps += [
            call("TransactionEvent", transaction_event("Started", "TX-C", 0)),
            call("TransactionEvent", transaction_event("Updated", "TX-C", 1)),
            call("TransactionEvent", transaction_event("Ended", "TX-C", 0, stopped_reason="Local")),
        ]
    result = await run_scenario(hub_port, steps)
    print(result.explain())
    await hass.async_block_till_done()
    print("ENDED", [e.data for e in ended])
