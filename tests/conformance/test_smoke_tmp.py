from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .harness import run_scenario
from .scenario import VERSIONS, boot, call, connect, status


@pytest.mark.parametrize("version", VERSIONS)
async def test_smoke(hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str) -> None:
    result = await run_scenario(hub_port, [connect("CP_1", version), boot(version), status(version, 1), call("Heartbeat", {}, result={"currentTime": "~utc-now"}), {"op": "raw", "frame": "{broken", "expect": {"error": ["RpcFrameworkError", "FormationViolation"]}}])
    print(result.explain())
    print(result.data["steps"])
    result.assert_ok()
