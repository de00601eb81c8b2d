"""OCPP 2.0.1 adapter; OCPP 2.1 sessions use it too (same payload shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .adapter import ActionHandler, VersionAdapter, utc_now_iso
from .model import BootInfo


class V201Adapter(VersionAdapter):
    """Translate OCPP 2.0.1 / 2.1 payloads."""

    @property
    def handlers(self) -> Mapping[str, ActionHandler]:
        """Return the 2.x actions we handle."""
        return {
            "BootNotification": self.boot_notification,
            "Heartbeat": self.heartbeat,
            "StatusNotification": self.status_notification,
        }

    async def boot_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register the station's identity and answer with our decision."""
        station = payload["chargingStation"]
        info = BootInfo(
            vendor=station["vendorName"],
            model=station["model"],
            serial_number=station.get("serialNumber"),
            firmware_version=station.get("firmwareVersion"),
            reason=payload.get("reason"),
        )
        status, interval = self._host.boot(info)
        return {
            "status": status.value,
            "currentTime": utc_now_iso(),
            "interval": interval,
        }

    async def status_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Acknowledge a connector status."""
        return {}
