"""What every part of a loaded hub shares, without knowing those parts.

The bridge, the charging modes and the load balancer all reach the central
system, the limiters and each other through this core. It names the modes
and the balancer only by the little each needs of the other (protocols), so
none of them imports the full runtime (``runtime.py``), which imports them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .charging.limits import ChargerLimiter
from .const import LIMIT_FAILURE_REPAIR_THRESHOLD
from .csms.central import CentralSystem
from .csms.server import CsmsServer
from .failure_streak import FailureStreak
from .smart_state import EvseKey
from .store import ChargerStore


class ModeControl(Protocol):
    """What others ask of the charging modes (``SmartCharging``)."""

    def controls(self, key: EvseKey) -> bool:
        """Return True when a mode other than fast drives the EVSE's limit."""

    def charger_online(self, charger_id: str) -> None:
        """Give a (re)connected charger its modes again."""

    def evse_changed(self, charger_id: str, evse_id: int) -> None:
        """Follow an EVSE's new state."""


class SiteControl(Protocol):
    """What others ask of the site load balancer (``SiteBalancer``)."""

    fuse_a: float
    sent: dict[Hashable, float]

    @property
    def enabled(self) -> bool:
        """Return True when load balancing is configured."""

    def schedule(self) -> None:
        """Balance again soon."""

    async def async_protect(self, charger_id: str) -> None:
        """Install the fuse as the charger's station maximum."""


@dataclass(kw_only=True)
class HubCore:
    """The shared state of a loaded hub entry."""

    central: CentralSystem
    server: CsmsServer
    store: ChargerStore
    accepted: set[str] = field(default_factory=set)
    # Transport options the server was started with (a change reloads).
    server_options: dict[str, Any] = field(default_factory=dict)
    balancing_options: dict[str, Any] = field(default_factory=dict)
    limiters: dict[str, ChargerLimiter] = field(default_factory=dict)
    # The user's maximum current per (charger, EVSE); balancing stays below.
    user_limits: dict[EvseKey, float] = field(default_factory=dict)
    # User limits a rebooted charger lost and refused to take back.
    limits_lost: set[EvseKey] = field(default_factory=set)
    limit_failures: FailureStreak = field(
        default_factory=lambda: FailureStreak(
            "limit_not_applied",
            LIMIT_FAILURE_REPAIR_THRESHOLD,
            ir.IssueSeverity.ERROR,
            "limit_not_applied_",
        )
    )
    balancer: SiteControl | None = None
    smart: ModeControl | None = None

    def limit_result(self, hass: HomeAssistant, charger_id: str, ok: bool) -> None:
        """Track limit failures; a charger that keeps refusing needs the user."""
        if ok:
            self.limit_failures.succeeded(hass, charger_id)
        else:
            self.limit_failures.failed(hass, charger_id, {"charger_id": charger_id})

    def limiter(self, charger_id: str) -> ChargerLimiter:
        """Return the charger's limiter (it remembers the working form)."""
        if charger_id not in self.limiters:
            self.limiters[charger_id] = ChargerLimiter(self.central, charger_id)
        return self.limiters[charger_id]


def loaded_hub(entry: ConfigEntry[Any]) -> HubCore | None:
    """Return the hub's shared state, or None before it is set up."""
    data = getattr(entry, "runtime_data", None)
    return data if isinstance(data, HubCore) else None


def hub_of(entry: ConfigEntry[Any]) -> HubCore:
    """Return the shared state of a set-up hub."""
    hub = loaded_hub(entry)
    if hub is None:
        raise RuntimeError(f"{entry.entry_id} is not set up")
    return hub
