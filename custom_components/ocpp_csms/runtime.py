"""Runtime data of a hub entry: the shared core and the parts built on it."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .balancing import SiteBalancer
from .bridge import HubBridge
from .hub import HubCore
from .smart import SmartCharging


@dataclass(kw_only=True)
class OcppCsmsRuntime(HubCore):
    """Everything a loaded hub entry owns."""

    bridge: HubBridge
    balancer: SiteBalancer | None = None
    smart: SmartCharging | None = None


type OcppCsmsConfigEntry = ConfigEntry[OcppCsmsRuntime]
