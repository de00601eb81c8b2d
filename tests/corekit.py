"""A running OCPP core without Home Assistant, for core-level tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from custom_components.ocpp_csms.csms.central import CentralSystem
from custom_components.ocpp_csms.csms.const import OcppVersion
from custom_components.ocpp_csms.csms.events import ChargerEvent
from custom_components.ocpp_csms.csms.model import BootInfo, RegistrationStatus
from custom_components.ocpp_csms.csms.server import CsmsServer
from custom_components.ocpp_csms.csms.tolerance import Deviation


@dataclass
class RecordingListener:
    """Records what the core tells the integration."""

    events: list[tuple[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def charger_connected(self, charger_id: str, version: OcppVersion) -> None:
        self.events.append(("connected", (charger_id, version)))

    def charger_disconnected(self, charger_id: str) -> None:
        self.events.append(("disconnected", charger_id))
        self.changed.set()

    def charger_booted(
        self,
        charger_id: str,
        version: OcppVersion,
        info: BootInfo,
        status: RegistrationStatus,
    ) -> None:
        self.events.append(("booted", (charger_id, info, status)))

    def evse_changed(self, charger_id: str, evse_id: int) -> None:
        self.events.append(("evse", (charger_id, evse_id)))

    def charger_event(self, charger_id: str, event: ChargerEvent) -> None:
        self.events.append(("event", event))

    def charger_auth_failed(self, charger_id: str, reason: str) -> None:
        self.events.append(("auth_failed", (charger_id, reason)))

    def charger_authenticated(self, charger_id: str, password: str | None) -> None:
        self.events.append(("authenticated", charger_id))

    def charger_resumed(self, charger_id: str) -> None:
        self.events.append(("resumed", charger_id))

    def charger_deviated(
        self, charger_id: str, action: str, deviations: Sequence[Deviation]
    ) -> None:
        self.events.append(("deviated", (charger_id, action, tuple(deviations))))

    def of(self, kind: str) -> list[Any]:
        return [value for name, value in self.events if name == kind]


@dataclass
class Core:
    """A running core for one test."""

    central: CentralSystem
    server: CsmsServer
    listener: RecordingListener

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}"
