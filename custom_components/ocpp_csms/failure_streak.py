"""Repair issues raised after a run of consecutive failures."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


class FailureStreak:
    """Raise a repair issue at the N-th failure in a row; clear it on success."""

    def __init__(
        self,
        translation_key: str,
        threshold: int,
        severity: ir.IssueSeverity,
        issue_prefix: str,
    ) -> None:
        """Describe the issue this streak raises."""
        self._translation_key = translation_key
        self._threshold = threshold
        self._severity = severity
        self._prefix = issue_prefix
        self._counts: dict[str, int] = {}

    @callback
    def failed(
        self, hass: HomeAssistant, key: str, placeholders: dict[str, str]
    ) -> None:
        """Count a failure for ``key``; at the threshold, ask the user to act."""
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count == self._threshold:
            ir.async_create_issue(
                hass,
                DOMAIN,
                f"{self._prefix}{key}",
                is_fixable=False,
                severity=self._severity,
                translation_key=self._translation_key,
                translation_placeholders=placeholders | {"count": str(count)},
            )

    @callback
    def succeeded(self, hass: HomeAssistant, key: str) -> None:
        """End the streak for ``key`` and remove its issue if it was raised."""
        if self._counts.pop(key, 0) >= self._threshold:
            ir.async_delete_issue(hass, DOMAIN, f"{self._prefix}{key}")
