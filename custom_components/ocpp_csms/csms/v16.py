"""OCPP 1.6J adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .adapter import ActionHandler, VersionAdapter, utc_now_iso
from .model import BootInfo


class V16Adapter(VersionAdapter):
    """Translate OCPP 1.6 payloads."""

    @property
    def handlers(self) -> Mapping[str, ActionHandler]:
        """Return the 1.6 actions we handle."""
        return {
            "BootNotification": self.boot_notification,
            "Heartbeat": self.heartbeat,
            "StatusNotification": self.status_notification,
        }

    async def boot_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register the charger's identity and answer with our decision."""
        info = BootInfo(
            vendor=payload["chargePointVendor"],
            model=payload["chargePointModel"],
            serial_number=payload.get("chargePointSerialNumber")
            or payload.get("chargeBoxSerialNumber"),
            firmware_version=payload.get("firmwareVersion"),
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
