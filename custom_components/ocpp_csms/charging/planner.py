"""Cheapest-slots plan: the energy a car needs by its departure, at least cost.

Pure and deterministic: the same request gives the same plan. The plan is a
list of limit steps (amps per phase over time, 0 in the gaps) that the limit
engine sends as ONE Absolute profile, so the charger follows it even when
Home Assistant is gone.

Rules:
- only slots between now and the departure count; the current slot counts
  from now;
- cheapest slots first; among equal prices the earlier slot (a plan that is
  done earlier leaves margin for estimate errors);
- the last slot needed may be used partly: at reduced current (never below
  the 6 A minimum) or at minimum current for part of the slot;
- a slot that is being charged keeps at least the minimum current when
  re-planning (a re-plan never interrupts a charge in progress); more of
  it is bought only at its price;
- latest end: the planned charge ends early enough that the free slots
  after it, before the departure, can hold ``GUARANTEED_RESERVE_SHARE`` of
  the reserve at the maximum current. An estimate that was too low (15%
  too low: 17.6% more) and the car's slower charging near full (taper)
  only show once the planned charge is done, so this room must come after
  it; a plan whose cheapest slots are the last ones before the departure
  would otherwise miss it;
- deadline guarantee: when the free slots cannot hold the energy plus that
  guaranteed part, the plan takes every slot, so charging starts now;
- an optional price cap leaves out dearer slots (the plan then says it
  falls short);
- reserve: on top of the energy asked for, the plan also allows the car
  to charge in the cheapest slots *after* the planned charge ends (never
  before it: an unneeded reserve must not displace the planned charge), up
  to ``reserve_wh``, in whole slots at the maximum current. The car stops by itself when full, so an unused reserve
  costs nothing; it catches an estimate that was too low and the car's
  slower charging near full (taper), which the plan cannot see. It works
  without Home Assistant, since it is part of the one profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .prices import PriceSlot
from .profiles import MIN_CURRENT_A, LimitStep

_NEVER = datetime.max.replace(tzinfo=UTC)

# Default reserve, as a share of the session's energy estimate. The plan
# then allows twice the estimate: enough for an estimate 15% too low on a
# charge ending at 100% SoC, where the car's taper above 80% can make the
# last few kWh take two to three times as long as at full power.
DEFAULT_RESERVE_SHARE = 1.0
# Share of the reserve that must fit after the planned charge (the "latest
# end" rule). Year benchmark (cheapest, 366 sessions): 0 -> 349/366
# deadlines (347 with a ±15% estimate error), +0.23% vs the optimum's cost;
# 0.3 -> 361 (363), +0.90%; 0.5 -> 365 (363), +1.63%; 0.8 -> 366 (366),
# +3.24%. Most of the cost is on days with negative prices, where the room
# takes the last (cheapest) slots.
GUARANTEED_RESERVE_SHARE = 0.3


def reserve_for(
    estimate_wh: float, delivered_wh: float, share: float = DEFAULT_RESERVE_SHARE
) -> float:
    """Return the reserve still open for a session (``PlanRequest.reserve_wh``).

    ``estimate_wh`` is the session's whole estimate, ``delivered_wh`` what
    the meter counted since plug-in. The reserve shrinks only by what was
    delivered beyond the estimate, so a re-plan after the estimate is
    delivered keeps the car charging while it still takes energy.
    """
    return max(0.0, share * estimate_wh - max(0.0, delivered_wh - estimate_wh))


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanRequest:
    """What the car needs and what the charger can do."""

    now: datetime
    departure: datetime
    energy_wh: float
    prices: Sequence[PriceSlot]
    max_a: float = 16.0
    min_a: float = MIN_CURRENT_A
    phases: int = 3
    voltage_v: float = 230.0
    price_cap: float | None = None
    # The slot being charged now (kept on re-plan), if any.
    charging_slot_start: datetime | None = None
    # Windows left to the surplus controller: the grid plan avoids them
    # unless the deadline cannot be met otherwise.
    excluded: tuple[tuple[datetime, datetime], ...] = ()
    # Extra energy the car may take after the planned charge (see the module
    # rules); None: DEFAULT_RESERVE_SHARE x energy_wh. Across re-plans, pass
    # ``reserve_for(session estimate, delivered)`` so it does not shrink.
    reserve_wh: float | None = None
    # The charger can switch to one phase: weak sun is then taken at the
    # one-phase minimum, where it pays for most of the car's power.
    phase_switching: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedSlot:
    """A time window of the plan with its current."""

    start: datetime
    end: datetime
    amps: float
    energy_wh: float
    price: float
    # Reserve slot: only used if the car is not full by then.
    reserve: bool = False
    phases: int | None = None  # None: the request's phases


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """The chosen windows, in time order."""

    slots: tuple[PlannedSlot, ...]
    energy_wh: float  # planned energy, without the reserve
    cost: float  # of the planned energy, without the reserve
    complete: bool
    reserve_wh: float = 0.0  # energy the reserve slots allow on top

    @property
    def next_start(self) -> datetime | None:
        """Return when charging starts next."""
        return self.slots[0].start if self.slots else None

    def steps(self, now: datetime, end: datetime) -> list[LimitStep]:
        """Return the plan as limit steps: the slots' currents, 0 elsewhere."""
        steps = [LimitStep(start=now, amps=0.0)]
        for slot in self.slots:
            step = LimitStep(start=slot.start, amps=slot.amps, phases=slot.phases)
            if steps[-1].start == slot.start:
                steps[-1] = step
            else:
                steps.append(step)
            steps.append(LimitStep(start=slot.end, amps=0.0))
        return [step for step in steps if step.start < end]


def _window(request: PlanRequest) -> list[PriceSlot]:
    """Return the price slots inside [now, departure), clipped to it."""
    window = []
    for slot in sorted(request.prices, key=lambda slot: slot.start):
        start = max(slot.start, request.now)
        end = min(slot.end, request.departure)
        if start < end:
            window.append(PriceSlot(start=start, end=end, price=slot.price))
    return window


def _overlaps(slot: PriceSlot, windows: Sequence[tuple[datetime, datetime]]) -> bool:
    return any(start < slot.end and slot.start < end for start, end in windows)


def _hours(slot: PriceSlot) -> float:
    return (slot.end - slot.start).total_seconds() / 3600


def plan_cheapest(request: PlanRequest) -> Plan:
    """Return the least-cost plan delivering ``energy_wh`` by the departure."""
    return plan_slots(request)


def _overlap_wh(
    slot: PriceSlot, windows: Sequence[tuple[datetime, datetime, float]]
) -> float:
    """Return the energy of (start, end, watts) windows inside the slot."""
    return sum(
        (min(end, slot.end) - max(start, slot.start)).total_seconds() / 3600 * watts
        for start, end, watts in windows
        if start < slot.end and slot.start < end
    )


@dataclass(frozen=True, slots=True)
class _Piece:
    """Part of a slot's room, chosen as a whole by its price per car kWh."""

    slot: PriceSlot
    room_wh: float
    price: float  # per kWh the car takes (weak sun in it is free)


@dataclass(frozen=True, slots=True)
class SlotRooms:
    """What each price slot can hold for the grid plan.

    ``sun``: (start, end, watts) the car is expected to take from the
    surplus anyway; a slot's grid room is what the maximum leaves on top.
    ``weak``: surplus too weak for the surplus controller to start on, which
    the car takes only while the plan charges it: the minimum-current part
    of such a slot (one phase where the charger can switch) is priced for
    its grid share alone, so a slot with weak sun can beat a cheaper one.
    """

    request: PlanRequest
    sun: Sequence[tuple[datetime, datetime, float]] = ()
    weak: Sequence[tuple[datetime, datetime, float]] = ()

    @property
    def watts_per_amp(self) -> float:
        """Return the power of one amp on the request's phases."""
        return self.request.voltage_v * self.request.phases

    def full(self, slot: PriceSlot) -> float:
        """Return the slot's energy at the maximum current."""
        return _hours(slot) * self.request.max_a * self.watts_per_amp

    def sunny(self, slot: PriceSlot) -> float:
        """Return the counted sun in the slot (Wh)."""
        return min(_overlap_wh(slot, self.sun), self.full(slot))

    def room(self, slot: PriceSlot) -> float:
        """Return what the maximum leaves on top of the counted sun."""
        return self.full(slot) - self.sunny(slot)

    def weak_wh(self, slot: PriceSlot) -> float:
        """Return the weak sun in a slot without counted sun (Wh)."""
        return 0.0 if self.sunny(slot) > 0 else _overlap_wh(slot, self.weak)

    def least(self, slot: PriceSlot, phases: int | None = None) -> float:
        """Return the slot's energy at the minimum (default: one phase if possible)."""
        request = self.request
        if phases is None:
            phases = 1 if request.phase_switching else request.phases
        return _hours(slot) * request.min_a * request.voltage_v * phases

    def whole(self, slot: PriceSlot) -> _Piece:
        """Return the slot's room as one piece at its price."""
        return _Piece(slot, self.room(slot), slot.price)

    def _split(self, slot: PriceSlot, first_wh: float, price: float) -> list[_Piece]:
        """Return the slot as a first piece at ``price`` and the rest at its own."""
        first_wh = min(first_wh, self.room(slot))
        return [
            _Piece(slot, first_wh, price),
            _Piece(slot, self.room(slot) - first_wh, slot.price),
        ]

    def pieces(self, slot: PriceSlot) -> list[_Piece]:
        """Return the slot as pieces: with weak sun, the minimum part apart."""
        bonus = self.weak_wh(slot)
        if bonus <= 0:
            return [self.whole(slot)]
        # The minimum current takes the weak sun; above it, all is grid.
        least = self.least(slot)
        return self._split(slot, least, slot.price * max(0.0, least - bonus) / least)

    def running_pieces(self, slot: PriceSlot) -> list[_Piece]:
        """Return a running slot's pieces: the minimum first (kept), then the rest.

        Keeping the minimum is enough for "a re-plan never interrupts a
        charge in progress"; more of the slot is bought only at its price.
        """
        if self.weak_wh(slot) > 0:
            return self.pieces(slot)
        # The surplus controller keeps a sunny slot going.
        kept = 0.0 if self.sunny(slot) > 0 else self.least(slot, self.request.phases)
        return self._split(slot, kept, slot.price)

    def fill(self, slot: PriceSlot, energy_wh: float) -> PlannedSlot:
        """Return the planned slot for ``energy_wh`` of its room."""
        if (
            self.request.phase_switching
            and self.weak_wh(slot) > 0
            and energy_wh <= self.least(slot) + 1e-6
        ):
            return _at_minimum(
                slot, energy_wh, self.request, self.request.voltage_v, phases=1
            )
        return _fill(
            slot, energy_wh, self.request, self.watts_per_amp, self.sunny(slot)
        )


def _cheapest_order(
    rooms: SlotRooms, window: Sequence[PriceSlot], free: Sequence[PriceSlot]
) -> list[_Piece] | None:
    """Return the pieces in buying order, or None when time runs short.

    Latest end: the plan leaves the last free slots before the departure
    for the guaranteed part of the reserve. A running slot keeps its
    minimum (a re-plan never interrupts a charge); the rest of it
    competes as usual.
    """
    request = rooms.request
    guaranteed = GUARANTEED_RESERVE_SHARE * _reserve_wanted(request)
    if sum(rooms.room(slot) for slot in free) <= request.energy_wh + guaranteed:
        return None
    cutoff = request.departure
    left = guaranteed
    for slot in reversed(free):
        if left <= 0:
            break
        cutoff = slot.start
        left -= rooms.room(slot)
    running = request.charging_slot_start
    # The running slot was clipped to start now; match it by "now".
    running_pieces = [
        rooms.running_pieces(slot)
        for slot in window
        if running is not None and slot.start <= max(running, request.now) < slot.end
    ]
    kept = [split[0] for split in running_pieces]
    kept_slots = [piece.slot for piece in kept]
    rest = [piece for split in running_pieces for piece in split[1:]] + [
        piece
        for slot in free
        if slot.end <= cutoff and slot not in kept_slots and rooms.room(slot) > 0
        for piece in rooms.pieces(slot)
    ]
    return kept + sorted(rest, key=lambda piece: (piece.price, piece.slot.start))


def _take(
    order: Sequence[_Piece], energy_wh: float, deferred_wh: float, after: datetime
) -> dict[PriceSlot, float]:
    """Fill the pieces in order; ``deferred_wh`` of it first from ``after`` on."""
    left = {id(piece): piece.room_wh for piece in order}
    taken: dict[PriceSlot, float] = {}

    def take(pieces: Iterable[_Piece], wanted: float) -> float:
        for piece in pieces:
            if wanted <= 0:
                break
            energy = min(left[id(piece)], wanted)
            if energy > 0:
                left[id(piece)] -= energy
                taken[piece.slot] = taken.get(piece.slot, 0.0) + energy
                wanted -= energy
        return wanted

    late = [piece for piece in order if piece.slot.start >= after]
    short = take(order, energy_wh - deferred_wh)
    take(order, take(late, deferred_wh) + short)
    return taken


def plan_slots(
    request: PlanRequest,
    reserve_after: datetime | None = None,
    rooms: SlotRooms | None = None,
    deferred: tuple[float, datetime] | None = None,
) -> Plan:
    """Plan the cheapest slots; the reserve not before ``reserve_after``.

    ``deferred``: (energy, time): that much of the energy is bought from
    that time on where there is room (only when time does not run short).
    """
    rooms = rooms or SlotRooms(request)
    window = _window(request)
    if request.price_cap is not None:
        window = [slot for slot in window if slot.price <= request.price_cap]
    free = [slot for slot in window if not _overlaps(slot, request.excluded)]
    order = _cheapest_order(rooms, window, free)
    if order is None:
        # Deadline guarantee: everything, starting now.
        whole = [rooms.whole(slot) for slot in window]
        taken = _take(whole, request.energy_wh, 0.0, _NEVER)
    else:
        late_wh, after = deferred or (0.0, _NEVER)
        late_wh = min(max(0.0, late_wh), request.energy_wh)
        taken = _take(order, request.energy_wh, late_wh, after)
    chosen = [
        rooms.fill(slot, energy)
        for slot, energy in sorted(taken.items(), key=lambda item: item[0].start)
    ]
    energy = sum(slot.energy_wh for slot in chosen)
    # Weak sun the plan takes is free.
    cost = sum(
        max(0.0, wh - rooms.weak_wh(slot)) / 1000 * slot.price
        for slot, wh in taken.items()
    )
    reserve = _reserve(rooms, free, chosen, reserve_after)
    slots = sorted(chosen + reserve, key=lambda slot: slot.start)
    return Plan(
        slots=tuple(slots),
        energy_wh=energy,
        cost=cost,
        complete=energy >= request.energy_wh - 1e-6,
        reserve_wh=sum(slot.energy_wh for slot in reserve),
    )


def _reserve_wanted(request: PlanRequest) -> float:
    if request.reserve_wh is None:
        return DEFAULT_RESERVE_SHARE * request.energy_wh
    return max(0.0, request.reserve_wh)


def _reserve(
    rooms: SlotRooms,
    free: Sequence[PriceSlot],
    chosen: Sequence[PlannedSlot],
    not_before: datetime | None = None,
) -> list[PlannedSlot]:
    """Cheapest free slots after the planned charge, up to the reserve.

    In a slot with counted sun the reserve allows only what that sun pays
    for: more would fill the car from the grid while the sun shines.
    """
    request, watts_per_amp = rooms.request, rooms.watts_per_amp
    wanted = _reserve_wanted(request)
    if wanted <= 0:
        return []
    after = max((slot.end for slot in chosen), default=request.now)

    def cheapest(slots: Iterable[PriceSlot]) -> list[PriceSlot]:
        return sorted(slots, key=lambda slot: (slot.price, slot.start))

    # Only after the planned charge: a reserve placed before it would be
    # used first and push the planned (cheaper) energy out. The rest of a
    # slot the planned charge ends in counts too (a car charging slower
    # than planned, near full, goes on there instead of waiting for the
    # next reserve slot).
    candidates = cheapest(
        [slot for slot in free if slot.start >= after]
        + [
            PriceSlot(start=after, end=slot.end, price=slot.price)
            for slot in free
            if slot.start < after < slot.end
        ]
    )
    if not_before is not None and not_before > after:
        later = [slot for slot in candidates if slot.start >= not_before]
        room = sum(_hours(slot) for slot in later) * request.max_a * watts_per_amp
        # Not before ``not_before`` while that leaves the guaranteed part.
        if room >= GUARANTEED_RESERVE_SHARE * wanted:
            candidates = later
    # Whole slots at the maximum: the car itself stops when it is full.
    reserve: list[PlannedSlot] = []
    for slot in candidates:
        if wanted <= 0:
            break
        amps = request.max_a
        if (sun_wh := rooms.sunny(slot)) > 0:
            sun_a = sun_wh / (_hours(slot) * watts_per_amp)
            amps = min(amps, max(request.min_a, round(sun_a, 1)))
        energy = _hours(slot) * amps * watts_per_amp
        reserve.append(
            PlannedSlot(
                start=slot.start,
                end=slot.end,
                amps=amps,
                energy_wh=energy,
                price=slot.price,
                reserve=True,
            )
        )
        wanted -= energy
    return reserve


def _fill(
    slot: PriceSlot,
    needed_wh: float,
    request: PlanRequest,
    watts_per_amp: float,
    sun_wh: float = 0.0,
) -> PlannedSlot:
    """Use a slot fully, or just enough of it for the energy still needed.

    ``sun_wh``: what the car takes from the surplus in the slot anyway; the
    slot's energy is the grid part on top of it.
    """
    hours = _hours(slot)
    full_wh = hours * request.max_a * watts_per_amp - sun_wh
    if needed_wh >= full_wh:
        return PlannedSlot(
            start=slot.start,
            end=slot.end,
            amps=request.max_a,
            energy_wh=full_wh,
            price=slot.price,
        )
    amps = (needed_wh + sun_wh) / (hours * watts_per_amp)
    if amps >= request.min_a:
        return PlannedSlot(
            start=slot.start,
            end=slot.end,
            amps=round(amps, 1),
            energy_wh=needed_wh,
            price=slot.price,
        )
    # Too little for the whole slot: minimum current for part of it.
    return _at_minimum(slot, needed_wh, request, watts_per_amp)


def _at_minimum(
    slot: PriceSlot,
    needed_wh: float,
    request: PlanRequest,
    watts_per_amp: float,
    phases: int | None = None,
) -> PlannedSlot:
    """Use the minimum current for as much of the slot as ``needed_wh`` takes."""
    seconds = needed_wh / (request.min_a * watts_per_amp) * 3600
    end = min(slot.end, slot.start + timedelta(seconds=max(60, round(seconds))))
    return PlannedSlot(
        start=slot.start,
        end=end,
        amps=request.min_a,
        energy_wh=needed_wh,
        price=slot.price,
        phases=phases,
    )
