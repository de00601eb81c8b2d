"""A re-plan is sent only when it changes what the charger does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.ocpp_csms.charging.profiles import LimitStep
from custom_components.ocpp_csms.smart_state import same_steps

T0 = datetime(2026, 6, 1, 10, tzinfo=UTC)


def _steps(*items: tuple[int, float, int | None]) -> list[LimitStep]:
    return [
        LimitStep(start=T0 + timedelta(minutes=m), amps=a, phases=p)
        for m, a, p in items
    ]


def test_same_steps_within_the_tolerances() -> None:
    old = _steps((0, 0.0, None), (60, 16.0, None), (120, 0.0, None))
    assert same_steps(old, old, T0)
    # Less than 1 A apart and moved by a minute: the same plan.
    new = _steps((0, 0.0, None), (61, 15.5, None), (120, 0.0, None))
    assert same_steps(old, new, T0)
    assert not same_steps(None, new, T0)
    assert not same_steps(old, _steps((0, 0.0, None), (60, 10.0, None)), T0)


def test_a_change_of_phases_is_a_new_plan() -> None:
    """6 A on one phase (weak sun) and 6 A on three are not the same limit."""
    old = _steps((0, 0.0, None), (60, 6.0, 1), (120, 0.0, None))
    new = _steps((0, 0.0, None), (60, 6.0, None), (120, 0.0, None))
    assert not same_steps(old, new, T0)
    # A stopped step has no phases to compare.
    assert same_steps(
        _steps((0, 0.0, 1), (60, 6.0, 1)), _steps((0, 0.0, None), (60, 6.0, 1)), T0
    )
