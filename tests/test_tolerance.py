"""Tolerant reading of frames that break the schema (GUIDE §5 item 15), end to end.

Real HA core, real WebSocket, a simulated charger sending the frames real
chargers send.
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.ocpp_csms.const import (
    CONF_AUTHORIZATION,
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_REMOTE_ID_TAG,
    CONF_STRICT_VALIDATION,
    DEVIATION_REPAIR_THRESHOLD,
    DOMAIN,
)
from custom_components.ocpp_csms.csms.const import OcppVersion
from custom_components.ocpp_csms.csms.validation import schema_error
from simulator import ChargePointSimulator
from simulator.model import OcppCallError

from .conftest import TRANSPORT_DEFAULTS, SimulatorFactory
from .helpers import Clock, accepted_charger, state

MAX_ID = 2**63 - 1
VERSIONS = {"1.6": OcppVersion.V16, "2.0.1": OcppVersion.V201, "2.1": OcppVersion.V21}


async def _call(
    sim: ChargePointSimulator, action: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Send a CALL; check that the answer passes the official schema."""
    result = await sim.call(action, payload)
    version = VERSIONS[sim.config.ocpp_version]
    assert schema_error(version, action, result, request=False) is None, result
    return result


def _alfen_meter_values(clock: Clock, register: str) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": clock.iso(),
                "sampledValue": [
                    {
                        "value": register,
                        "context": "Sample.Periodic",
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                    },
                    {
                        "value": "16",
                        "context": "CurrentMax",
                        "measurand": "Current.Import",
                        "phase": "L1",
                        "unit": "A",
                    },
                ],
            }
        ],
    }


LEGRAND_STATUS = {"connectorId": 1, "errorCode": "Error", "status": "Faulted"}


async def test_alfen_unknown_context_keeps_the_energy_register(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Alfen Eve 1.6: context CurrentMax on one value; the register still counts."""
    sim = await accepted_charger(hass, start_simulator)
    assert await _call(sim, "MeterValues", _alfen_meter_values(Clock(), "12345")) == {}
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP_1_1_energy")) == pytest.approx(12.345)
    evse = loaded_hub.runtime_data.central.tracker("CP_1").state.evse(1)
    # The CurrentMax value is not taken for the present current.
    assert not evse.current_a


async def test_legrand_error_code_keeps_the_status(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Legrand 1.6: errorCode "Error" is read as OtherError; Faulted shows."""
    sim = await accepted_charger(hass, start_simulator)
    assert await _call(sim, "StatusNotification", LEGRAND_STATUS) == {}
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP_1_1_status") == "faulted"
    assert state(hass, "sensor", "CP_1_1_error_code") == "OtherError"


async def test_vestel_empty_sampled_value_keeps_the_other_entries(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Vestel 1.6: an entry with an empty sampledValue list; the rest counts."""
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    register = {"value": "2000", "measurand": "Energy.Active.Import.Register"}
    payload = {
        "connectorId": 1,
        "meterValue": [
            {"timestamp": clock.iso(), "sampledValue": []},
            {"timestamp": clock.iso(), "sampledValue": [register]},
        ],
    }
    assert await _call(sim, "MeterValues", payload) == {}
    only_empty = {
        "connectorId": 1,
        "meterValue": [{"timestamp": clock.iso(), "sampledValue": []}],
    }
    assert await _call(sim, "MeterValues", only_empty) == {}
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP_1_1_energy")) == pytest.approx(2.0)


async def test_v16_strings_missing_timestamp_extra_and_odd_transaction_ids(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Numbers as strings, no timestamp, an extra property; ids -1 and 2^63-1."""
    started = async_capture_events(hass, "ocpp_csms_session_started")
    sim = await accepted_charger(hass, start_simulator)
    for odd in (-1, MAX_ID, "-1", str(MAX_ID)):
        meter = {
            "connectorId": 1,
            "transactionId": odd,
            "meterValue": [{"sampledValue": [{"value": 150}]}],
        }
        assert await _call(sim, "MeterValues", meter) == {}
        stop = {"transactionId": odd, "meterStop": 200, "idTag": "T1"}
        answer = await _call(sim, "StopTransaction", stop)
        assert answer["idTagInfo"]["status"] == "Accepted"
    start = {"connectorId": "1", "idTag": "T1", "meterStart": "100", "vendor": "x"}
    result = await _call(sim, "StartTransaction", start)
    assert result["idTagInfo"]["status"] == "Accepted"
    await hass.async_block_till_done()
    assert len(started) == 1
    assert started[0].data["transaction_id"] == str(result["transactionId"])
    assert state(hass, "sensor", "CP_1_1_transaction_id") == str(
        result["transactionId"]
    )
    kinds = loaded_hub.runtime_data.central.deviation_log("CP_1").kinds
    assert {
        "string_number:connectorId",
        "string_number:meterStart",
        "string_number:transactionId",
        "number_string:value",
        "missing_timestamp:timestamp",
        "extra_property:vendor",
    } <= set(kinds)


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_v2_transaction_ids_as_numbers_and_strings(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """2.x: an integer transactionId (2^63-1, -1) and a seqNo sent as a string."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    for seq_no, transaction_id, event in (
        ("0", MAX_ID, "Started"),
        ("1", MAX_ID, "Ended"),
        ("0", -1, "Updated"),
    ):
        payload = {
            "eventType": event,
            "triggerReason": "Authorized",
            "seqNo": seq_no,
            "transactionInfo": {"transactionId": transaction_id},
            "evse": {"id": 1, "connectorId": 1},
            "unexpected": True,
        }
        assert await _call(sim, "TransactionEvent", payload) == {}
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP_1_1_transaction_id") == "-1"


@pytest.mark.parametrize(
    ("version", "action", "payload", "code"),
    [
        (
            "1.6",
            "StopTransaction",
            {"meterStop": 200, "timestamp": "2026-01-01T00:00:00Z"},
            "OccurenceConstraintViolation",
        ),
        (
            "1.6",
            "StopTransaction",
            {
                "transactionId": "one",
                "meterStop": 200,
                "timestamp": "2026-01-01T00:00:00Z",
            },
            "TypeConstraintViolation",
        ),
        (
            "1.6",
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"},
            "PropertyConstraintViolation",
        ),
        (
            "2.0.1",
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": "2026-01-01T00:00:00Z",
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {},
            },
            "OccurenceConstraintViolation",
        ),
        (
            "2.1",
            "StatusNotification",
            {"timestamp": "2026-01-01T00:00:00Z", "evseId": 1, "connectorId": 1},
            "OccurrenceConstraintViolation",
        ),
    ],
)
async def test_missing_essential_field_still_refused(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
    action: str,
    payload: dict[str, Any],
    code: str,
) -> None:
    """A frame we cannot understand gets the version's CALLERROR."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    with pytest.raises(OcppCallError) as err:
        await sim.call(action, payload)
    assert err.value.code == code
    assert not loaded_hub.runtime_data.central.deviation_log("CP_1").kinds


async def test_warning_once_per_charger_and_kind_counts_in_diagnostics(
    hass: HomeAssistant,
    hass_client: Any,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each kind is logged once per charger; diagnostics count every frame."""
    caplog.set_level(logging.WARNING)
    first = await accepted_charger(hass, start_simulator)
    second = await accepted_charger(hass, start_simulator, "CP_2")
    for _ in range(3):
        await _call(first, "StatusNotification", LEGRAND_STATUS)
    await _call(second, "StatusNotification", LEGRAND_STATUS)
    await _call(first, "Heartbeat", {"extra": 1})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    legrand = [line for line in warnings if "unknown_enum:errorCode" in line]
    assert len(legrand) == 2
    assert any(line.startswith("CP_1 sent StatusNotification") for line in legrand)
    assert any(line.startswith("CP_2 sent StatusNotification") for line in legrand)
    assert 'at errorCode (value "Error")' in legrand[0]
    assert "replaced with OtherError" in legrand[0]
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_hub)
    by_id = {c["charger_id"]: c["schema_deviations"] for c in diagnostics["chargers"]}
    assert by_id["CP_1"]["unknown_enum:errorCode"]["count"] == 3
    assert by_id["CP_1"]["unknown_enum:errorCode"]["handling"] == "catch_all"
    assert by_id["CP_1"]["extra_property:extra"]["count"] == 1
    assert by_id["CP_2"]["unknown_enum:errorCode"]["count"] == 1
    # Below the threshold: no repair issue yet.
    assert not _issues(hass)


def _issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    return [
        issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith("schema_deviations_")
    ]


async def test_repair_issue_after_repeated_deviations(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """The issue names the charger, what it sends and what we do with it."""
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    for _ in range(DEVIATION_REPAIR_THRESHOLD - 1):
        await _call(sim, "StatusNotification", LEGRAND_STATUS)
    assert not _issues(hass)
    await _call(sim, "MeterValues", _alfen_meter_values(clock, "500"))
    (issue,) = _issues(hass)
    assert issue.issue_id == f"schema_deviations_{loaded_hub.entry_id}_CP_1"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_key == "schema_deviations"
    placeholders = issue.translation_placeholders or {}
    assert placeholders["charger_id"] == "CP_1"
    assert placeholders["count"] == str(DEVIATION_REPAIR_THRESHOLD)
    lines = placeholders["deviations"].splitlines()
    assert (
        lines
        == [
            '- StatusNotification `errorCode` = "Error" (unknown_enum:errorCode): '
            "replaced with OtherError, the charger's word kept in vendorErrorCode",
            '- MeterValues `meterValue/0/sampledValue/1/context` = "CurrentMax" '
            "(unknown_enum:context): dropped meterValue/0/sampledValue/1",
        ][::-1]
    )
    # More of the same does not re-raise; a new kind refreshes the text.
    await _call(sim, "StatusNotification", LEGRAND_STATUS)
    assert _issues(hass)[0].translation_placeholders == placeholders
    await _call(sim, "Heartbeat", {"extra": 1})
    refreshed = _issues(hass)[0].translation_placeholders or {}
    assert refreshed["count"] == str(DEVIATION_REPAIR_THRESHOLD + 2)
    assert "extra_property:extra" in refreshed["deviations"]


async def test_strict_option_refuses_and_applies_without_restart(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Strict OCPP validation: the same frames get the version's CALLERROR."""
    sim = await accepted_charger(hass, start_simulator)
    server = loaded_hub.runtime_data.server
    result = await hass.config_entries.options.async_init(loaded_hub.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEARTBEAT_INTERVAL: 300,
            CONF_AUTO_ACCEPT: False,
            CONF_AUTHORIZATION: "accept_all",
            CONF_REMOTE_ID_TAG: "HomeAssistant",
        }
        | TRANSPORT_DEFAULTS
        | {CONF_STRICT_VALIDATION: True},
    )
    await hass.async_block_till_done()
    assert loaded_hub.options[CONF_STRICT_VALIDATION] is True
    assert loaded_hub.runtime_data.server is server
    refused = {
        "StatusNotification": (LEGRAND_STATUS, "PropertyConstraintViolation"),
        "MeterValues": (
            _alfen_meter_values(Clock(), "1"),
            "PropertyConstraintViolation",
        ),
        "Heartbeat": ({"extra": 1}, "FormationViolation"),
        "StopTransaction": (
            {"transactionId": "-1", "meterStop": 1, "timestamp": Clock().iso()},
            "TypeConstraintViolation",
        ),
    }
    for action, (payload, code) in refused.items():
        with pytest.raises(OcppCallError) as err:
            await sim.call(action, payload)
        assert err.value.code == code, action
    assert not loaded_hub.runtime_data.central.deviation_log("CP_1").kinds
