"""Per-charger record of schema deviations we tolerated.

Each kind of deviation (e.g. ``unknown_enum:context``) is logged once per
charger at WARNING: a charger repeats the same quirk in every frame, and a log
line per frame would bury everything else. Counts and the last example per
kind stay here for diagnostics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
import logging
from typing import Any, Protocol

from .tolerance import Deviation

_LOGGER = logging.getLogger(__name__)

# A charger inventing property names could otherwise grow this without end.
MAX_KINDS = 64


@dataclass(slots=True)
class KindRecord:
    """How often one kind of deviation was seen, and its last example."""

    count: int
    action: str
    last: Deviation
    last_seen: datetime


class DeviationLog:
    """What one charger sends that breaks the schema, and what we did with it."""

    def __init__(self, charger_id: str) -> None:
        """Start empty for one charger."""
        self.charger_id = charger_id
        self.kinds: dict[str, KindRecord] = {}

    def record(self, action: str, deviations: Sequence[Deviation]) -> None:
        """Count the deviations of one frame; log each new kind once."""
        now = datetime.now(UTC)
        for deviation in deviations:
            entry = self.kinds.get(deviation.kind)
            if entry is not None:
                entry.count += 1
                entry.action, entry.last, entry.last_seen = action, deviation, now
                continue
            if len(self.kinds) >= MAX_KINDS:
                continue
            self.kinds[deviation.kind] = KindRecord(1, action, deviation, now)
            _LOGGER.warning(
                "%s sent %s with %s at %s (value %s) that breaks the OCPP schema; "
                "we %s and processed the rest. Logged once per charger and kind; "
                "counts are in the diagnostics",
                self.charger_id,
                action,
                deviation.kind,
                deviation.path,
                deviation.value,
                deviation.detail,
            )

    def as_dict(self) -> dict[str, Any]:
        """Return the counts and last example per kind (for diagnostics)."""
        return {
            kind: {
                "count": entry.count,
                "action": entry.action,
                "path": entry.last.path,
                "value": entry.last.value,
                "handling": entry.last.handling.value,
                "detail": entry.last.detail,
                "last_seen": entry.last_seen.isoformat(),
            }
            for kind, entry in sorted(self.kinds.items())
        }


class DeviationSink(Protocol):
    """Where a charger's tolerance reports to (the central system)."""

    @property
    def strict_validation(self) -> bool:
        """Return True when every schema violation is refused."""

    def deviated(
        self, charger_id: str, action: str, deviations: Sequence[Deviation]
    ) -> None:
        """Record and report the deviations of one frame."""


@dataclass(frozen=True, slots=True)
class ChargerTolerance:
    """A session's view of the hub's validation policy, for one charger.

    ``strict`` is read for every invalid frame, so changing the option applies
    to connected chargers at once.
    """

    charger_id: str
    sink: DeviationSink

    @property
    def strict(self) -> bool:
        """Return True when the hub refuses every schema violation."""
        return self.sink.strict_validation

    def deviated(self, action: str, deviations: Sequence[Deviation]) -> None:
        """Pass one frame's deviations on."""
        self.sink.deviated(self.charger_id, action, deviations)
