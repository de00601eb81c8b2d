"""The automation blueprints in blueprints/automation/ocpp_csms.

Each blueprint is loaded with Home Assistant's own loader and schema, turned
into an automation with example inputs, validated like HA validates a
blueprint automation, and run against faked entities and actions.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config_item,
)
from homeassistant.components.blueprint.errors import InvalidBlueprint
from homeassistant.components.blueprint.models import Blueprint, BlueprintInputs
from homeassistant.components.blueprint.schemas import BLUEPRINT_INSTANCE_FIELDS
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "ocpp_csms"
REPO_URL = "https://github.com/ocpp-csms/ocpp_csms/blob/main/"
MODES = {"off", "fast", "cheapest", "solar", "solar_min", "smart"}

MODE = "select.cp_1_charging_mode"
PRICE = "sensor.electricity_price"
SOC = "sensor.cp_1_soc"
DEPARTURE = "time.cp_1_departure"
TARGET = "number.cp_1_target_energy"
PLUGGED = "binary_sensor.cp_1_plugged_in"
ALARM = "sensor.pixel_next_alarm"
CALENDAR = "calendar.work"

EXAMPLES: dict[str, dict[str, Any]] = {
    "price_below_threshold.yaml": {
        "mode_select": MODE,
        "price_sensor": PRICE,
        "threshold": 0.15,
    },
    "solar_surplus_min_soc.yaml": {
        "mode_select": MODE,
        "soc_sensor": SOC,
        "min_soc": 40,
    },
    "departure_from_calendar_or_alarm.yaml": {
        "source": ALARM,
        "offset": 45,
        "plugged_in": PLUGGED,
        "departure_time": DEPARTURE,
        "target_number": TARGET,
        "target_value": 25,
        "mode_select": MODE,
        "departure_mode": "smart",
        "no_departure_mode": "solar",
    },
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override conftest's fixture: these tests need neither hass nor the hub."""


def load(name: str) -> Blueprint:
    """Load a blueprint the way HA does; raises if it is invalid."""
    path = BLUEPRINTS / name
    return Blueprint(
        load_yaml_dict(path),
        path=str(path),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def automation(name: str, **inputs: Any) -> dict[str, Any]:
    """Return the automation config the blueprint makes from the inputs."""
    instance = BLUEPRINT_INSTANCE_FIELDS(
        {
            "id": name,
            "alias": name,
            "use_blueprint": {
                "path": f"ocpp_csms/{name}",
                "input": EXAMPLES[name] | inputs,
            },
        }
    )
    blueprint_inputs = BlueprintInputs(load(name), instance)
    blueprint_inputs.validate()
    return blueprint_inputs.async_substitute()


def test_all_blueprints_are_tested() -> None:
    """Every blueprint in the folder has example inputs here."""
    assert sorted(p.name for p in BLUEPRINTS.glob("*.yaml")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_blueprint_is_valid(name: str) -> None:
    """HA's schema accepts it; it fits this HA version; its metadata is right."""
    blueprint = load(name)
    assert blueprint.validate() is None
    metadata = blueprint.metadata
    assert metadata["source_url"] == f"{REPO_URL}blueprints/automation/ocpp_csms/{name}"
    assert metadata["description"]
    for key, spec in blueprint.inputs.items():
        assert spec["name"], key
        options = spec["selector"].get("select", {}).get("options")
        if key.endswith("mode_select") or not options:
            continue
        # Every mode offered is one the Charging mode select has.
        assert {o["value"] for o in options} <= MODES | {"unchanged"}, key


def test_a_broken_blueprint_is_refused(tmp_path: Path) -> None:
    """The check above can fail: an unknown selector is an invalid blueprint."""
    source = (BLUEPRINTS / "price_below_threshold.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(source.replace("duration: {}", "no_such_selector: {}"))
    with pytest.raises(InvalidBlueprint, match="no_such_selector"):
        Blueprint(
            load_yaml_dict(broken),
            expected_domain="automation",
            schema=AUTOMATION_BLUEPRINT_SCHEMA,
        )


@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_automation_from_blueprint_is_valid(
    hass: HomeAssistant, name: str
) -> None:
    """HA's automation validation (schema, triggers, conditions, actions) passes."""
    config = await async_validate_config_item(hass, "automation", automation(name))
    assert config is not None
    assert config.validation_status == "ok"


async def test_calendar_variant_is_valid(hass: HomeAssistant) -> None:
    """The departure blueprint without its optional inputs, on a calendar."""
    inputs = EXAMPLES["departure_from_calendar_or_alarm.yaml"]
    name = "departure_from_calendar_or_alarm.yaml"
    instance = {
        "use_blueprint": {
            "path": f"ocpp_csms/{name}",
            "input": {"source": CALENDAR, "departure_time": inputs["departure_time"]},
        }
    }
    blueprint_inputs = BlueprintInputs(load(name), BLUEPRINT_INSTANCE_FIELDS(instance))
    blueprint_inputs.validate()
    config = await async_validate_config_item(
        hass, "automation", blueprint_inputs.async_substitute()
    )
    assert config is not None
    assert config.validation_status == "ok"


# -- behaviour -----------------------------------------------------------------


async def start(hass: HomeAssistant, name: str, **inputs: Any) -> None:
    """Set up the blueprint's automation."""
    config = automation(name, **inputs)
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()


async def set_state(hass: HomeAssistant, entity_id: str, value: str) -> None:
    """Set a state and let the automation run."""
    hass.states.async_set(entity_id, value)
    await hass.async_block_till_done()


async def later(hass: HomeAssistant, **delta: float) -> None:
    """Let time pass (fake time, nothing waits)."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(**delta))
    await hass.async_block_till_done()


def options(calls: list[ServiceCall]) -> list[str]:
    """Return the options the select was set to, in order."""
    return [call.data["option"] for call in calls]


async def test_price_below_threshold(hass: HomeAssistant) -> None:
    """Fast below the threshold, off above it, the fallback only after the grace."""
    calls = async_mock_service(hass, "select", "select_option")
    hass.states.async_set(MODE, "off")
    hass.states.async_set(PRICE, "0.30")
    await start(hass, "price_below_threshold.yaml")

    await set_state(hass, PRICE, "0.10")
    assert options(calls) == ["fast"]
    assert calls[0].data["entity_id"] == [MODE]
    hass.states.async_set(MODE, "fast")
    await set_state(hass, PRICE, "0.12")  # still cheap: nothing to change
    await set_state(hass, PRICE, "0.15")  # not below: off
    assert options(calls) == ["fast", "off"]
    hass.states.async_set(MODE, "off")

    await set_state(hass, PRICE, "unavailable")
    await later(hass, minutes=2)
    assert options(calls) == ["fast", "off"]  # within the grace period
    await later(hass, minutes=6)
    assert options(calls) == ["fast", "off", "cheapest"]
    hass.states.async_set(MODE, "cheapest")

    # A short outage changes nothing; the next price decides.
    await set_state(hass, PRICE, "0.40")
    await set_state(hass, PRICE, "unknown")
    await later(hass, minutes=1)
    await set_state(hass, PRICE, "0.05")
    await later(hass, minutes=20)
    assert options(calls) == ["fast", "off", "cheapest", "off", "fast"]


async def test_price_below_threshold_waits_for_the_charger(hass: HomeAssistant) -> None:
    """No mode is sent to an unavailable charger; it is set when it comes back."""
    calls = async_mock_service(hass, "select", "select_option")
    hass.states.async_set(MODE, "unavailable")
    hass.states.async_set(PRICE, "0.30")
    await start(hass, "price_below_threshold.yaml")
    await set_state(hass, PRICE, "0.05")
    assert calls == []
    await set_state(hass, MODE, "off")
    assert options(calls) == ["fast"]


async def test_solar_min_soc(hass: HomeAssistant) -> None:
    """Solar + minimum below the minimum SoC, solar above; other modes left alone."""
    calls = async_mock_service(hass, "select", "select_option")
    hass.states.async_set(SOC, "20")
    hass.states.async_set(MODE, "solar")
    await start(hass, "solar_surplus_min_soc.yaml")

    await set_state(hass, SOC, "21")
    assert options(calls) == ["solar_min"]
    await set_state(hass, MODE, "solar_min")
    await set_state(hass, SOC, "40")
    assert options(calls) == ["solar_min", "solar"]
    await set_state(hass, MODE, "solar")
    await set_state(hass, SOC, "unavailable")  # unknown: unchanged by default
    assert len(calls) == 2

    await set_state(hass, MODE, "cheapest")  # chosen by hand: left alone
    await set_state(hass, SOC, "10")
    assert len(calls) == 2


async def test_solar_min_soc_fast_and_take_over(hass: HomeAssistant) -> None:
    """Fast below the minimum; with "leave other modes alone" off it takes over."""
    calls = async_mock_service(hass, "select", "select_option")
    hass.states.async_set(SOC, "50")
    hass.states.async_set(MODE, "off")
    await start(
        hass,
        "solar_surplus_min_soc.yaml",
        below_mode="fast",
        leave_other_modes=False,
        unknown_soc_mode="solar_min",
    )
    await set_state(hass, SOC, "30")
    assert options(calls) == ["fast"]
    await set_state(hass, MODE, "fast")
    await set_state(hass, SOC, "unknown")
    assert options(calls) == ["fast", "solar_min"]


def _hms(moment: Any) -> str:
    return str(dt_util.as_local(moment).strftime("%H:%M:%S"))


async def test_departure_from_alarm(hass: HomeAssistant) -> None:
    """The alarm plus the offset becomes the departure; target and mode are set."""
    time_calls = async_mock_service(hass, "time", "set_value")
    number_calls = async_mock_service(hass, "number", "set_value")
    select_calls = async_mock_service(hass, "select", "select_option")
    hass.states.async_set(DEPARTURE, "07:00:00")
    hass.states.async_set(TARGET, "10")
    hass.states.async_set(MODE, "off")
    hass.states.async_set(ALARM, "unavailable")
    await start(hass, "departure_from_calendar_or_alarm.yaml")

    alarm = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=9)
    await set_state(hass, ALARM, alarm.isoformat())
    assert [call.data["time"] for call in time_calls] == [
        _hms(alarm + timedelta(minutes=45))
    ]
    assert [call.data["value"] for call in number_calls] == [25]
    assert options(select_calls) == ["smart"]

    # An alarm two days away is beyond the look-ahead: no departure, solar.
    hass.states.async_set(MODE, "smart")
    await set_state(hass, ALARM, (alarm + timedelta(days=2)).isoformat())
    assert len(time_calls) == 1
    assert options(select_calls) == ["smart", "solar"]


async def test_departure_from_calendar(hass: HomeAssistant) -> None:
    """The first timed event with the keyword that is still ahead is used."""
    now = dt_util.now().replace(microsecond=0)
    office = now + timedelta(hours=5)
    events = [
        {"start": now.date().isoformat(), "summary": "Office holiday"},  # all-day
        {"start": (now - timedelta(minutes=10)).isoformat(), "summary": "Office"},
        {"start": (now + timedelta(hours=2)).isoformat(), "summary": "Dentist"},
        {"start": office.isoformat(), "summary": "Office day"},
    ]
    agenda = async_mock_service(
        hass,
        "calendar",
        "get_events",
        response={CALENDAR: {"events": events}},
        supports_response=SupportsResponse.ONLY,
    )
    time_calls = async_mock_service(hass, "time", "set_value")
    select_calls = async_mock_service(hass, "select", "select_option")
    hass.states.async_set(DEPARTURE, "07:00:00")
    hass.states.async_set(MODE, "solar")
    hass.states.async_set(PLUGGED, "off")
    hass.states.async_set(CALENDAR, "off")
    await start(
        hass,
        "departure_from_calendar_or_alarm.yaml",
        source=CALENDAR,
        keyword="office",
        offset=-30,
        target_number=[],
        departure_mode="cheapest",
    )
    await set_state(hass, PLUGGED, "on")
    assert agenda[0].data["entity_id"] == [CALENDAR]
    assert [call.data["time"] for call in time_calls] == [
        _hms(office - timedelta(minutes=30))
    ]
    assert options(select_calls) == ["cheapest"]
