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


# Parametrize ``hub_options`` with this (ids=["manual"]) where acceptance is
# what the test is about: unknown chargers then stay Pending until accepted.
MANUAL_ACCEPT: dict[str, Any] = {
    CONF_HEARTBEAT_INTERVAL: HEARTBEAT_INTERVAL,
    CONF_AUTO_ACCEPT: False,
}
