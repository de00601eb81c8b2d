"""Reading and changing a charger's configuration: 1.6 keys, 2.x variables."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ocpp_csms.config_actions import reboot_issue_id
from custom_components.ocpp_csms.const import DOMAIN
from custom_components.ocpp_csms.diagnostics import async_get_device_diagnostics

from .conftest import SimulatorFactory
from .helpers import accepted_charger, charger_action, charger_device


async def test_v16_get_keys_and_unknown_ones(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Named keys come back with value and read-only flag; unknown ones are listed."""
    await accepted_charger(hass, start_simulator, version="1.6")
    response = await charger_action(
        hass,
        "get_configuration",
        keys=["HeartbeatInterval", "NumberOfConnectors", "Nope"],
    )
    by_key = {item["key"]: item for item in response["configuration"]}
    assert by_key["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "value": "1",
        "readonly": True,
    }
    assert by_key["HeartbeatInterval"]["readonly"] is False
    assert response["unknown_keys"] == ["Nope"]
    everything = await charger_action(hass, "get_configuration")
    assert len(everything["configuration"]) > 10


async def test_v16_set_key_takes_effect_on_the_charger(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Accepted, and the charger really has the new value."""
    sim = await accepted_charger(hass, start_simulator, version="1.6")
    response = await charger_action(
        hass, "set_configuration", settings={"MeterValueSampleInterval": 30}
    )
    assert response == {
        "results": [{"key": "MeterValueSampleInterval", "status": "Accepted"}]
    }
    assert sim.config_keys.get("MeterValueSampleInterval") == "30"


@pytest.mark.parametrize(
    ("version", "settings", "key"),
    [
        ("1.6", {"NoSuchKey": "1", "HeartbeatInterval": "60"}, "unknown_configuration"),
        (
            "1.6",
            {"NumberOfConnectors": "2", "HeartbeatInterval": "60"},
            "read_only_configuration",
        ),
        (
            "2.0.1",
            {"NoSuchCtrlr.Enabled": "true", "OCPPCommCtrlr.HeartbeatInterval": "60"},
            "unknown_configuration",
        ),
        ("2.0.1", {"NoDotHere": "1"}, "invalid_variable_name"),
    ],
)
async def test_bad_names_are_refused_before_anything_changes(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
    settings: dict[str, str],
    key: str,
) -> None:
    """Unknown, read-only or malformed names: a translated error, nothing set."""
    sim = await accepted_charger(hass, start_simulator, version=version)

    def changes() -> int:
        return sum(
            call.action in ("ChangeConfiguration", "SetVariables")
            for call in sim.received_calls
        )

    before = changes()
    with pytest.raises(ServiceValidationError) as err:
        await charger_action(hass, "set_configuration", settings=settings)
    assert err.value.translation_key == key
    await sim.heartbeat()  # a round trip: a change would have arrived by now
    assert changes() == before


async def test_v201_get_and_set_variables(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Component.Variable names, instances, the charger's statuses."""
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    response = await charger_action(
        hass,
        "get_configuration",
        keys=[
            "SampledDataCtrlr.TxUpdatedInterval",
            "DeviceDataCtrlr.ItemsPerMessage:GetReport",
        ],
    )
    values = {item["variable"]: item for item in response["variables"]}
    assert values["TxUpdatedInterval"]["status"] == "Accepted"
    assert values["ItemsPerMessage"]["instance"] == "GetReport"
    assert values["ItemsPerMessage"]["value"] == "20"
    changed = await charger_action(
        hass, "set_configuration", settings={"SampledDataCtrlr.TxUpdatedInterval": 45}
    )
    assert changed["results"][0]["status"] == "Accepted"
    assert sim.device_model.value("SampledDataCtrlr", "TxUpdatedInterval") == "45"


async def test_v201_full_device_model_from_a_multi_part_report(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """No names: GetBaseReport, every NotifyReport part collected; in diagnostics."""
    sim = await accepted_charger(hass, start_simulator, version="2.0.1", evses=2)
    response = await charger_action(hass, "get_configuration")
    reports = [call for call in sim.received_calls if call.action == "GetBaseReport"]
    assert reports[-1].payload["reportBase"] == "FullInventory"
    items = response["variables"]
    # More than one part's worth (the simulator sends 20 per NotifyReport).
    assert len(items) > 20
    evse_tier = [item for item in items if item["evse_id"] == 2]
    assert evse_tier
    heartbeat = next(item for item in items if item["variable"] == "HeartbeatInterval")
    assert heartbeat["attributes"][0]["mutability"] == "ReadWrite"

    diagnostics = await async_get_device_diagnostics(
        hass, loaded_hub, charger_device(hass)
    )
    model = diagnostics["device_model"]
    assert "OCPPCommCtrlr" in model["station"]
    assert "HeartbeatInterval" in model["station"]["OCPPCommCtrlr"]
    assert any(tier.startswith("evse 2") for tier in model)


@pytest.mark.parametrize(
    ("version", "name"),
    [("1.6", "AuthorizationCacheEnabled"), ("2.0.1", "AuthCtrlr.LocalPreAuthorize")],
)
async def test_reboot_required_raises_a_repair_that_reboots(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    hass_client: ClientSessionGenerator,
    version: str,
    name: str,
) -> None:
    """A setting applied at the next boot: the repair's fix restarts the charger."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    response = await charger_action(hass, "set_configuration", settings={name: "true"})
    assert response["results"][0]["status"] == "RebootRequired"
    issue_id = reboot_issue_id(loaded_hub.entry_id, "CP_1")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    started = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await started.json()
    assert flow["step_id"] == "confirm"
    done = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await done.json())["type"] == "create_entry"
    call = await sim.wait_for_call("Reset")
    assert call.payload["type"] in ("Soft", "OnIdle")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
