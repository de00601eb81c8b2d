"""Fixtures of the conformance suite: chargers are accepted automatically."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.ocpp_csms.const import CONF_AUTO_ACCEPT, CONF_HEARTBEAT_INTERVAL

HEARTBEAT_INTERVAL = 300


@pytest.fixture
def hub_options() -> dict[str, Any]:
    """Accept every charger unless a test is about acceptance itself."""
    return {CONF_HEARTBEAT_INTERVAL: HEARTBEAT_INTERVAL, CONF_AUTO_ACCEPT: True}
