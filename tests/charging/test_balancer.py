"""Fuse sharing rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ocpp_csms.charging.balancer import EvseDemand, Site, allocate

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _evse(key: str, minutes: int, drawn: float = 0.0, phases: int = 3) -> EvseDemand:
    drawn_a = tuple(drawn if p < phases else 0.0 for p in range(3))
    return EvseDemand(
        key=key,
        drawn_a=drawn_a,  # type: ignore[arg-type]
        phases=phases,
        started_at=T0 + timedelta(minutes=minutes),
    )


def test_fair_share_under_the_fuse() -> None:
    evses = [_evse("a", 0, 16), _evse("b", 1, 16)]
    # 40 A measured = 32 A of EVs + 8 A household; 25 A fuse, 1 A margin.
    result = allocate(Site(fuse_a=25, measured_a=(40, 40, 40)), evses)
    assert result == {"a": 8.0, "b": 8.0}


def test_lowest_priority_paused_when_share_below_minimum() -> None:
    evses = [_evse("first", 0), _evse("second", 5), _evse("third", 9)]
    result = allocate(Site(fuse_a=25, measured_a=(10, 10, 10)), evses)
    # 14 A left: 4.6 A each is too little; two get 7 A, the newest pauses.
    assert result == {"first": 7.0, "second": 7.0, "third": 0.0}


def test_single_phase_evse_only_counts_its_phase() -> None:
    evses = [_evse("one", 0, 10, phases=1), _evse("three", 1, 10)]
    result = allocate(Site(fuse_a=32, measured_a=(30, 20, 20)), evses)
    # L1: 32-1-10 household = 21 A for two; L2/L3: 21 A for one (capped 32).
    assert result == {"one": 10.0, "three": 10.0}


def test_capped_at_evse_maximum_and_everything_paused_without_room() -> None:
    assert allocate(Site(fuse_a=63, measured_a=(0, 0, 0)), [_evse("a", 0)]) == {
        "a": 32.0
    }
    assert allocate(Site(fuse_a=16, measured_a=(14, 14, 14)), [_evse("a", 0)]) == {
        "a": 0.0
    }


def test_no_measurement_is_an_error() -> None:
    with pytest.raises(ValueError, match="no measurement"):
        allocate(Site(fuse_a=16, measured_a=None), [_evse("a", 0)])
