"""A repair issue for chargers that keep sending frames that break the schema.

The core processes such frames when it understands their essential content
and logs each kind of deviation once. Once a charger has sent enough of them
to be a habit rather than a glitch, the user learns which charger it is, what
it sends and what we do with it: they may want a firmware update, or strict
validation.
"""

from __future__ import annotations

from collections.abc import Sequence

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DEVIATION_REPAIR_THRESHOLD, DOMAIN
from .csms.tolerance import Deviation

# The issue names this many kinds at most; diagnostics have all of them.
MAX_LISTED = 10


class DeviationIssues:
    """Count tolerated frames per charger; raise an issue at the threshold."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Track the chargers of one hub."""
        self._hass = hass
        self._prefix = f"schema_deviations_{entry_id}_"
        self._frames: dict[str, int] = {}
        # Per charger: deviation kind -> one line describing the last example.
        self._lines: dict[str, dict[str, str]] = {}
        self._listed: dict[str, frozenset[str]] = {}

    @callback
    def seen(
        self, charger_id: str, action: str, deviations: Sequence[Deviation]
    ) -> None:
        """Count one tolerated frame; raise or refresh the charger's issue."""
        frames = self._frames[charger_id] = self._frames.get(charger_id, 0) + 1
        lines = self._lines.setdefault(charger_id, {})
        for deviation in deviations:
            if deviation.kind in lines or len(lines) < MAX_LISTED:
                lines[deviation.kind] = (
                    f"- {action} `{deviation.path}` = {deviation.value} "
                    f"({deviation.kind}): {deviation.detail}"
                )
        if frames < DEVIATION_REPAIR_THRESHOLD:
            return
        kinds = frozenset(lines)
        if frames > DEVIATION_REPAIR_THRESHOLD and kinds == self._listed.get(
            charger_id
        ):
            # Already raised and nothing new to say.
            return
        self._listed[charger_id] = kinds
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            f"{self._prefix}{charger_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="schema_deviations",
            translation_placeholders={
                "charger_id": charger_id,
                "count": str(frames),
                "deviations": "\n".join(lines[kind] for kind in sorted(lines)),
            },
        )
