"""Charging actions: limit, profile, clear and composite schedule."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import DOMAIN
from simulator import Quirks

from .conftest import SimulatorFactory
from .helpers import accepted_charger


def _device(hass: HomeAssistant, charger_id: str = "CP_1") -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, charger_id)})
    assert device is not None
    return device.id


async def _action(
    hass: HomeAssistant, name: str, response: bool = False, **data: Any
) -> Any:
    return await hass.services.async_call(
        DOMAIN, name, data, blocking=True, return_response=response
    )


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_limit_then_composite_then_clear(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """A limit is applied and verified; the composite shows it; clear removes it."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    device = _device(hass)
    result = await _action(
        hass, "set_charging_limit", True, device_id=device, amps=12, duration=3600
    )
    assert result == {
        "limit": 12,
        "unit": "A",
        "purpose": "TxDefaultProfile",
        "verified": True,
    }
    sent = await sim.wait_for_call("SetChargingProfile")
    body = sent.payload.get("csChargingProfiles") or sent.payload["chargingProfile"]
    schedule = body["chargingSchedule"]
    schedule = schedule[0] if isinstance(schedule, list) else schedule
    assert schedule["duration"] == 3600

    composite = await _action(
        hass, "get_composite_schedule", True, device_id=device, duration=600
    )
    assert composite["unit"] == "A"
    assert composite["periods"][0]["limit"] == 12

    await _action(hass, "clear_charging_profile", device_id=device)
    cleared = [
        call for call in sim.received_calls if call.action == "ClearChargingProfile"
    ]
    assert any(1001 in call.payload.values() for call in cleared)
    composite = await _action(
        hass, "get_composite_schedule", True, device_id=device, duration=600
    )
    assert all(period["limit"] != 12 for period in composite["periods"])


async def test_limit_in_watts_for_a_watt_charger(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A power limit reaches a W-only charger in watts."""
    await accepted_charger(
        hass, start_simulator, version="2.0.1", quirks=Quirks(rate_units=("W",))
    )
    result = await _action(
        hass, "set_charging_limit", True, device_id=_device(hass), watts=6900
    )
    assert result["unit"] == "W"
    assert result["limit"] == 6900
    assert result["verified"]


async def test_limit_that_nobody_accepts(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Refused everywhere: a translated error, never a silent success."""
    await accepted_charger(
        hass, start_simulator, version="1.6", quirks=Quirks(rate_units=())
    )
    issues = ir.async_get(hass)
    for attempt in range(3):
        assert issues.async_get_issue(DOMAIN, "limit_not_applied_CP_1") is None
        with pytest.raises(HomeAssistantError) as err:
            await _action(hass, "set_charging_limit", device_id=_device(hass), amps=10)
        assert err.value.translation_key == "limit_not_applied", attempt
    # Persistent: the user is asked to look at the charger.
    assert issues.async_get_issue(DOMAIN, "limit_not_applied_CP_1") is not None


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_user_profile_checked_against_schema(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """A malformed profile is refused before sending; a valid one is sent."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    device = _device(hass)
    with pytest.raises(ServiceValidationError) as err:
        await _action(
            hass,
            "set_charging_profile",
            device_id=device,
            profile={"stackLevel": 0, "chargingProfilePurpose": "Fast"},
        )
    assert err.value.translation_key == "invalid_profile"
    assert not any(c.action == "SetChargingProfile" for c in sim.received_calls)

    schedule = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}],
    }
    profile: dict[str, Any] = {
        "stackLevel": 3,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
    }
    if version == "1.6":
        profile |= {"chargingProfileId": 77, "chargingSchedule": schedule}
    else:
        profile |= {"id": 77, "chargingSchedule": [{"id": 1} | schedule]}
    await _action(hass, "set_charging_profile", device_id=device, profile=profile)
    sent = await sim.wait_for_call("SetChargingProfile")
    assert (
        77
        in (
            sent.payload.get("csChargingProfiles") or sent.payload["chargingProfile"]
        ).values()
    )


async def test_actions_need_an_online_charger(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Offline chargers give a translated error."""
    sim = await accepted_charger(hass, start_simulator)
    device = _device(hass)
    await sim.stop()
    await hass.async_block_till_done()
    from .conftest import wait_for_state
    from .helpers import entity_id

    await wait_for_state(
        hass, entity_id(hass, "binary_sensor", "CP_1_connected"), "off"
    )
    for name, data in (
        ("set_charging_limit", {"amps": 10}),
        ("get_composite_schedule", {}),
        ("clear_charging_profile", {"profile_id": 5}),
        ("set_charging_profile", {"profile": {}}),
    ):
        with pytest.raises(HomeAssistantError) as err:
            await _action(
                hass,
                name,
                name == "get_composite_schedule",
                device_id=device,
                **data,
            )
        assert err.value.translation_key == "charger_offline", name
