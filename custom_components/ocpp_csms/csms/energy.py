"""A lifetime energy counter that never goes back and never spikes.

Chargers reset their register on reboot or firmware update, get their meter
replaced, mix Wh and kWh, or report a wild value once. The counter follows the
charger's register while it behaves and rebases (keeps its total, takes the
new register as baseline) when it does not, so the Energy dashboard sees a
smooth ``total_increasing`` series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any

_LOGGER = logging.getLogger(__name__)

# Readings that dip by less than this are rounding noise, not a reset.
NOISE_WH = 1.0
# Faster than any charger (350 kW DC plus margin) means a bogus reading.
MAX_PLAUSIBLE_POWER_W = 400_000.0
# Allowance on top, for clock skew between sample timestamps.
PLAUSIBLE_SLACK_WH = 1_000.0
# A lower reading stamped at most this much before the last one is a late
# (re-ordered) message, not a reset. A charger clock reset after a reboot
# jumps back far more than this.
REORDER_WINDOW = timedelta(hours=1)


@dataclass(kw_only=True, slots=True)
class EnergyCounter:
    """Monotonic Wh counter fed with a charger's energy register."""

    total_wh: float | None = None
    last_register_wh: float | None = None
    last_time: datetime | None = None

    def update(self, register_wh: float, at: datetime, label: str = "") -> float:
        """Feed a register reading taken at ``at``; return the total."""
        if self.total_wh is None or self.last_register_wh is None:
            # First reading ever: mirror the charger's own meter.
            if self.total_wh is None:
                self.total_wh = max(0.0, register_wh)
            self._rebase(register_wh, at)
            return self.total_wh
        delta = register_wh - self.last_register_wh
        if -NOISE_WH < delta < 0 or (delta < 0 and self._is_late(at)):
            return self.total_wh
        if delta < 0:
            _LOGGER.info(
                "%s: energy register went back from %.0f to %.0f Wh "
                "(reset or new meter); continuing from %.0f Wh",
                label,
                self.last_register_wh,
                register_wh,
                self.total_wh,
            )
            self._rebase(register_wh, at)
            return self.total_wh
        if delta > self._plausible_wh(at):
            _LOGGER.warning(
                "%s: energy register jumped by %.0f Wh; ignoring the jump",
                label,
                delta,
            )
            self._rebase(register_wh, at)
            return self.total_wh
        self.total_wh += delta
        self._rebase(register_wh, at)
        return self.total_wh

    def _is_late(self, at: datetime) -> bool:
        return (
            self.last_time is not None
            and self.last_time - REORDER_WINDOW <= at < self.last_time
        )

    def _plausible_wh(self, at: datetime) -> float:
        if self.last_time is None:
            return PLAUSIBLE_SLACK_WH
        hours = max(0.0, (at - self.last_time).total_seconds() / 3600)
        return MAX_PLAUSIBLE_POWER_W * hours + PLAUSIBLE_SLACK_WH

    def _rebase(self, register_wh: float, at: datetime) -> None:
        # The time of the reading we follow, not the latest time ever seen: a
        # charger whose clock jumped back (a day off, then corrected) keeps
        # its late re-ordered readings recognisable after the jump.
        self.last_register_wh = register_wh
        self.last_time = at

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-able form for persistence."""
        return {
            "total_wh": self.total_wh,
            "last_register_wh": self.last_register_wh,
            "last_time": self.last_time.isoformat() if self.last_time else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnergyCounter:
        """Restore from ``as_dict`` output."""
        last_time = data.get("last_time")
        return cls(
            total_wh=data.get("total_wh"),
            last_register_wh=data.get("last_register_wh"),
            last_time=datetime.fromisoformat(last_time) if last_time else None,
        )
