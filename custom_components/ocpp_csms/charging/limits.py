"""Per-charger limit handling: electrical context, learned forms, engine calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ..csms.central import CentralSystem
from ..csms.model import EvseState
from .engine import AppliedLimit, LimitLayer, apply_limit, clear_layer
from .profiles import NOMINAL_VOLTAGE_V, Electrical, LimitStep, ProfileForm

# A phase carrying at least this much current counts as in use.
PHASE_IN_USE_A = 1.0


def electrical_of(evse: EvseState, default_phases: int = 3) -> Electrical:
    """Return phases in use and measured voltage (nominal when unknown)."""
    phases = sum(
        1
        for phase in ("L1", "L2", "L3")
        if evse.current_a.get(phase, 0.0) >= PHASE_IN_USE_A
    )
    voltages = [value for value in evse.voltage_v.values() if value > 100]
    return Electrical(
        phases=phases or default_phases,
        voltage_v=sum(voltages) / len(voltages) if voltages else NOMINAL_VOLTAGE_V,
    )


class ChargerLimiter:
    """Applies limits to one charger's EVSEs and remembers what works."""

    def __init__(self, central: CentralSystem, charger_id: str) -> None:
        """Serve one charger of the central system."""
        self._central = central
        self.charger_id = charger_id
        self.learned: dict[int, ProfileForm] = {}

    async def set_limit(
        self,
        evse_id: int,
        *,
        now: datetime,
        amps: float | None = None,
        watts: float | None = None,
        duration_s: int | None = None,
    ) -> AppliedLimit:
        """Limit an EVSE to ``amps`` per phase (or ``watts`` in total)."""
        state = self._central.tracker(self.charger_id).state
        evse = state.evse(evse_id)
        electrical = electrical_of(evse)
        if amps is None:
            if watts is None:
                raise ValueError("give amps or watts")
            amps = watts / (electrical.voltage_v * electrical.phases)
        return await self.set_steps(
            evse_id,
            [LimitStep(start=now, amps=amps)],
            now=now,
            end=now + timedelta(seconds=duration_s) if duration_s else None,
        )

    async def set_steps(
        self,
        evse_id: int,
        steps: Sequence[LimitStep],
        *,
        now: datetime,
        end: datetime | None = None,
        layer: LimitLayer = LimitLayer.BASE,
    ) -> AppliedLimit:
        """Send limit steps (a plan, or an override) as one profile."""
        state = self._central.tracker(self.charger_id).state
        evse = state.evse(evse_id)
        applied = await apply_limit(
            self._central.commands(self.charger_id),
            evse_id,
            steps,
            state.capabilities,
            electrical_of(evse),
            now=now,
            transaction_id=(
                evse.transaction.transaction_id if evse.transaction else None
            ),
            learned=self.learned.get(evse_id),
            end=end,
            layer=layer,
        )
        self.learned[evse_id] = applied.form
        return applied

    async def clear(self, evse_id: int, layer: LimitLayer) -> None:
        """Remove our profiles of a layer from the EVSE."""
        await clear_layer(self._central.commands(self.charger_id), evse_id, layer)
