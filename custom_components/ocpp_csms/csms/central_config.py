"""Settings of the central system that may change while chargers are connected."""

from __future__ import annotations

from dataclasses import dataclass

from .const import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_HEARTBEAT_INTERVAL,
    PENDING_BOOT_INTERVAL,
)


@dataclass(kw_only=True)
class CentralConfig:
    """Settings that may change while chargers are connected."""

    heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL
    auto_accept: bool = False
    pending_boot_interval: int = PENDING_BOOT_INTERVAL
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    # Authorization policy: every tag, or only the listed ones.
    authorize_all: bool = True
    allowed_tags: frozenset[str] = frozenset()
    # Chargers the user blocked: BootNotification Rejected, nothing processed.
    rejected: frozenset[str] = frozenset()
    rejected_boot_interval: int = 3600
    # Refuse every schema violation (certification) instead of reading what
    # is understood in a frame (GUIDE §5 item 15).
    strict_validation: bool = False
