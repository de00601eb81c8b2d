"""Charging modes end to end: real HA core, real WebSocket, simulated charger.

The simulated charger evaluates the profiles it holds, so these tests ask
the charger (not our code) what it will do at each moment.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    State,
    SupportsResponse,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_GRID_POWER_SENSOR,
    CONF_HEARTBEAT_INTERVAL,
    CONF_PRICE_ENTITY,
    DOMAIN,
)
from simulator import ChargePointSimulator
from simulator.composite import CompositePeriod, RateUnit as SimUnit, effective_limit
from simulator.model import Car

from .conftest import SimulatorFactory
from .helpers import Clock, entity_id, meter_v16, reload_hub

PRICES = "sensor.electricity_price"
GRID = "sensor.grid_power"


@pytest.fixture
def hub_options() -> dict[str, Any]:
    return {
        CONF_HEARTBEAT_INTERVAL: 300,
        CONF_AUTO_ACCEPT: True,
        CONF_PRICE_ENTITY: PRICES,
        CONF_GRID_POWER_SENSOR: GRID,
    }


async def _load_hub(
    hass: HomeAssistant, hub_entry: MockConfigEntry, options: dict[str, Any]
) -> None:
    """Set the hub up with these options (instead of the module's)."""
    hub_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(hub_entry, options=options)
    assert await hass.config_entries.async_setup(hub_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def _hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _set_prices(hass: HomeAssistant, start: datetime, prices: list[float]) -> None:
    """Publish prices in the generic format (what a template sensor gives)."""
    hass.states.async_set(
        PRICES,
        str(prices[0]),
        {
            "unit_of_measurement": "EUR/kWh",
            "prices": [
                {
                    "start": (start + timedelta(hours=i)).isoformat(),
                    "end": (start + timedelta(hours=i + 1)).isoformat(),
                    "price": price,
                }
                for i, price in enumerate(prices)
            ],
        },
    )


async def _charger(
    hass: HomeAssistant,
    start_simulator: SimulatorFactory,
    version: str = "2.0.1",
    **config: Any,
) -> ChargePointSimulator:
    sim = await start_simulator(
        "CP_1", version, max_current=32.0, meter_interval=0, **config
    )
    await sim.wait_until_ready(timeout=10)
    await hass.async_block_till_done(wait_background_tasks=True)
    return sim


def _charger_period(sim: ChargePointSimulator, moment: datetime) -> CompositePeriod:
    """Return the limit (A) and phases the charger itself applies at ``moment``."""
    return effective_limit(
        sim.profiles.installed,
        sim.situation(1),
        moment,
        moment,
        SimUnit.AMPERE,
        sim.electrical,
    )


def _charger_limit(sim: ChargePointSimulator, moment: datetime) -> float:
    """Return the current the charger itself will allow at ``moment``."""
    return float(_charger_period(sim, moment).limit)


async def _service(hass: HomeAssistant, domain: str, service: str, **data: Any) -> None:
    await hass.services.async_call(domain, service, data, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _select_mode(hass: HomeAssistant, mode: str) -> None:
    await _service(
        hass,
        "select",
        "select_option",
        entity_id=entity_id(hass, "select", "CP_1_1_charging_mode"),
        option=mode,
    )


async def _set_targets(
    hass: HomeAssistant, *, departure: time, energy_kwh: float
) -> None:
    """Set the EVSE's departure time of day and target energy."""
    await _service(
        hass,
        "time",
        "set_value",
        entity_id=entity_id(hass, "time", "CP_1_1_departure"),
        time=departure.isoformat(),
    )
    await _service(
        hass,
        "number",
        "set_value",
        entity_id=entity_id(hass, "number", "CP_1_1_target_energy"),
        value=energy_kwh,
    )


def _plan_state(hass: HomeAssistant) -> State:
    """Return the Charging plan sensor's state."""
    plan = hass.states.get(entity_id(hass, "sensor", "CP_1_1_charging_plan"))
    assert plan is not None
    return plan


def _assert_charger_follows_plan(
    hass: HomeAssistant, sim: ChargePointSimulator, start: datetime, hours: int
) -> list[dict[str, Any]]:
    plan = _plan_state(hass)
    slots = plan.attributes["slots"]
    assert slots, plan.attributes
    for hour in range(hours):
        middle = start + timedelta(hours=hour, minutes=30)
        planned = [
            slot
            for slot in slots
            if datetime.fromisoformat(slot["start"])
            <= middle
            < datetime.fromisoformat(slot["end"])
        ]
        expected = planned[0]["current_a"] if planned else 0.0
        assert _charger_limit(sim, middle) == pytest.approx(expected, abs=0.1), (
            hour,
            slots,
        )
    return list(slots)


async def test_cheapest_plan_follows_the_price_sensor(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Cheapest mode plans from the price sensor; new prices move the plan."""
    start = _hour() + timedelta(hours=1)
    _set_prices(hass, start, [0.30, 0.10, 0.32, 0.31, 0.33, 0.34, 0.35, 0.36])
    sim = await _charger(hass, start_simulator)
    departure = dt_util.as_local(start + timedelta(hours=8)).time()
    await _set_targets(hass, departure=departure, energy_kwh=15)
    await _select_mode(hass, "cheapest")
    plan_entity = entity_id(hass, "sensor", "CP_1_1_charging_plan")
    plan = hass.states.get(plan_entity)
    assert plan is not None
    assert plan.attributes["status"] == "planned"
    assert plan.attributes["planned_energy_kwh"] == pytest.approx(15, abs=0.01)
    # 15 kWh fit in the 0.10 hour at 32 A on three phases (22 kW).
    assert datetime.fromisoformat(plan.state) == start + timedelta(hours=1)
    assert plan.attributes["expected_cost"] == pytest.approx(1.5, abs=0.01)
    _assert_charger_follows_plan(hass, sim, start, 8)
    writes = [c for c in sim.received_calls if c.action == "SetChargingProfile"]

    # Tomorrow's prices arrive: the cheap hour is now later. Re-plan, resend.
    _set_prices(hass, start, [0.30, 0.29, 0.32, 0.31, 0.33, 0.05, 0.35, 0.36])
    await hass.async_block_till_done(wait_background_tasks=True)
    plan = hass.states.get(plan_entity)
    assert plan is not None
    assert datetime.fromisoformat(plan.state) == start + timedelta(hours=5)
    _assert_charger_follows_plan(hass, sim, start, 8)
    after = [c for c in sim.received_calls if c.action == "SetChargingProfile"]
    assert len(after) == len(writes) + 1, "one profile per plan"

    # The same prices again change nothing on the wire.
    _set_prices(hass, start, [0.30, 0.29, 0.32, 0.31, 0.33, 0.05, 0.35, 0.36])
    await hass.async_block_till_done(wait_background_tasks=True)
    again = [c for c in sim.received_calls if c.action == "SetChargingProfile"]
    assert len(again) == len(after)


async def test_modes_and_targets_survive_a_restart(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Mode, targets and departure are stored with the charger state."""
    _set_prices(hass, _hour(), [0.2] * 24)
    await _charger(hass, start_simulator)
    mode = entity_id(hass, "select", "CP_1_1_charging_mode")
    soc = entity_id(hass, "number", "CP_1_1_target_soc")
    departure = entity_id(hass, "time", "CP_1_1_departure")
    await _service(hass, "select", "select_option", entity_id=mode, option="off")
    await _service(hass, "number", "set_value", entity_id=soc, value=65)
    await _service(hass, "time", "set_value", entity_id=departure, time="06:15:00")
    await reload_hub(hass, loaded_hub)
    assert (state := hass.states.get(mode)) is not None
    assert state.state == "off"
    assert (state := hass.states.get(soc)) is not None
    assert float(state.state) == 65
    assert (state := hass.states.get(departure)) is not None
    assert state.state == "06:15:00"


async def test_off_mode_holds_the_charger_at_zero(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Off sends a 0 A limit; fast gives the maximum back."""
    sim = await _charger(hass, start_simulator)
    mode = entity_id(hass, "select", "CP_1_1_charging_mode")
    await _service(hass, "select", "select_option", entity_id=mode, option="off")
    assert _charger_limit(sim, datetime.now(UTC)) == 0
    plan = _plan_state(hass)
    assert plan.attributes["status"] == "off"
    await _service(hass, "select", "select_option", entity_id=mode, option="fast")
    assert _charger_limit(sim, datetime.now(UTC)) == 32


async def test_solar_mode_follows_the_surplus(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """Export starts charging after the delay, on an override the charger drops."""
    hass.states.async_set(GRID, "-5000", {"unit_of_measurement": "W"})
    sim = await _charger(hass, start_simulator)
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    await sim.wait_for_transaction(1)
    await hass.async_block_till_done(wait_background_tasks=True)
    await _select_mode(hass, "solar")
    assert _charger_limit(sim, datetime.now(UTC)) == 0

    # Start in the past so the stepped clock never runs ahead of the
    # charger's: its profiles then start when the charger says it is.
    clock = dt_util.utcnow() - timedelta(minutes=10)
    smart = loaded_hub.runtime_data.smart
    assert smart is not None
    # The loop's clock, stepped here, times the delays (firing HA's timers
    # 30 s ahead would also fire the WebSocket keep-alive timeouts).
    smart.clock = lambda: clock

    async def tick() -> datetime:
        nonlocal clock
        clock += timedelta(seconds=30)
        smart.surplus_round()  # what the 30 s interval runs
        await hass.async_block_till_done(wait_background_tasks=True)
        return clock

    for _ in range(3):  # 60 s of surplus before starting
        await tick()
    now = datetime.now(UTC)
    # 5 kW on three phases at 230 V: 7 A (whole amps, rounded down).
    assert _charger_limit(sim, now) == 7
    # The override ends by itself: a charger cut off from HA stops charging.
    assert _charger_limit(sim, now + timedelta(minutes=31)) == 0
    plan = _plan_state(hass)
    assert "surplus" in plan.attributes["reason"]

    hass.states.async_set(GRID, "2000", {"unit_of_measurement": "W"})
    for _ in range(6):  # 180 s without surplus before stopping
        await tick()
    assert _charger_limit(sim, datetime.now(UTC)) == 6, "a cloud: hold the minimum"
    await tick()
    assert _charger_limit(sim, datetime.now(UTC)) == 0


async def test_leaving_solar_mode_removes_its_override(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Off right after the sun started the car: off wins at once."""
    hass.states.async_set(GRID, "-5000", {"unit_of_measurement": "W"})
    sim = await _charger(hass, start_simulator)
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    await sim.wait_for_transaction(1)
    mode = entity_id(hass, "select", "CP_1_1_charging_mode")
    await _service(hass, "select", "select_option", entity_id=mode, option="solar_min")
    smart = loaded_hub.runtime_data.smart
    assert smart is not None
    smart.clock = lambda: dt_util.utcnow() - timedelta(minutes=5)
    smart.surplus_round()  # solar + minimum starts at once
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _charger_limit(sim, datetime.now(UTC)) == 7
    await _service(hass, "select", "select_option", entity_id=mode, option="off")
    assert _charger_limit(sim, datetime.now(UTC)) == 0


async def test_modes_without_their_sensors_are_refused(
    hass: HomeAssistant, hub_entry: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A clear, translated error instead of a mode that cannot work."""
    await _load_hub(
        hass, hub_entry, {CONF_HEARTBEAT_INTERVAL: 300, CONF_AUTO_ACCEPT: True}
    )
    await _charger(hass, start_simulator)
    mode = entity_id(hass, "select", "CP_1_1_charging_mode")
    for option, key in (("cheapest", "no_price_entity"), ("solar", "no_grid_sensor")):
        with pytest.raises(ServiceValidationError) as err:
            await _service(
                hass, "select", "select_option", entity_id=mode, option=option
            )
        assert err.value.translation_key == key
    assert (state := hass.states.get(mode)) is not None
    assert state.state == "fast"
    await hass.config_entries.async_unload(hub_entry.entry_id)


async def test_unreadable_prices_raise_a_repair_issue(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """The user is told which entity is wrong and why; fixing it clears it."""
    hass.states.async_set(PRICES, "0.2", {"prices": [{"start": "tomorrow"}]})
    await hass.async_block_till_done()
    issue_id = f"price_entity_unreadable_{loaded_hub.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "prices[0]" in issue.translation_placeholders["error"]
    _set_prices(hass, _hour(), [0.2] * 4)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_session_cost_counts_energy_at_the_slot_price(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Each kWh is priced at the slot it arrives in."""
    _set_prices(hass, _hour(), [0.25] * 3)
    sim = await _charger(hass, start_simulator, "1.6")
    cost = entity_id(hass, "sensor", "CP_1_1_session_cost")
    clock = Clock()
    started = await sim.call(
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": "CARD",
            "meterStart": 1000,
            "timestamp": clock.iso(),
        },
    )
    transaction = started["transactionId"]
    for wh in (1000, 3000, 5000):
        await sim.call(
            "MeterValues",
            meter_v16(1, clock.advance(minutes=5), wh, transaction_id=transaction),
        )
    await hass.async_block_till_done()
    assert (state := hass.states.get(cost)) is not None
    assert float(state.state) == pytest.approx(4 * 0.25)
    assert state.attributes["unit_of_measurement"] == "EUR"


FORECAST = "sensor.solar_forecast"


def _set_forecast(
    hass: HomeAssistant, start: datetime, kw: dict[int, float], periods: int
) -> None:
    """Publish a Solcast forecast: kW per 30-minute period (0 where not given)."""
    hass.states.async_set(
        FORECAST,
        str(sum(kw.values()) / 2),
        {
            "detailedForecast": [
                {
                    "period_start": (start + timedelta(minutes=30 * i)).isoformat(),
                    "pv_estimate": kw.get(i, 0.0),
                }
                for i in range(periods)
            ]
        },
    )


async def test_smart_plan_counts_the_forecast_and_respects_the_maximum(
    hass: HomeAssistant, hub_entry: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Smart buys only what the forecast sun will not bring; capped by max current."""
    await _load_hub(
        hass,
        hub_entry,
        dict(hub_entry.options)
        | {"pv_forecast_entity": FORECAST, "pv_power_sensor": "sensor.pv"},
    )
    start = _hour() + timedelta(hours=1)
    _set_prices(hass, start, [0.30, 0.10, 0.32, 0.31, 0.33, 0.34, 0.35, 0.36])
    # Solcast: 10 kW expected in hours 3 and 4 (30-minute periods, kW).
    _set_forecast(hass, start, dict.fromkeys(range(6, 10), 10.0), 16)
    sim = await _charger(hass, start_simulator)
    await _set_targets(
        hass,
        departure=dt_util.as_local(start + timedelta(hours=8)).time(),
        energy_kwh=20,
    )
    await _select_mode(hass, "smart")
    plan = _plan_state(hass)
    solar = plan.attributes["expected_solar_kwh"]
    # 2 h x (10 kW - 0.5 kW household) x 70 % confidence.
    assert solar == pytest.approx(13.3, abs=0.1)
    assert plan.attributes["planned_energy_kwh"] == pytest.approx(20 - solar, abs=0.1)
    _assert_charger_follows_plan(hass, sim, start, 8)

    # A lower maximum current caps the plan on the charger.
    await _service(
        hass,
        "number",
        "set_value",
        entity_id=entity_id(hass, "number", "CP_1_1_max_current"),
        value=10,
    )
    plan = _plan_state(hass)
    assert max(slot["current_a"] for slot in plan.attributes["slots"]) <= 10
    _assert_charger_follows_plan(hass, sim, start, 8)
    await hass.config_entries.async_unload(hub_entry.entry_id)


async def test_smart_takes_weak_sun_on_one_phase(
    hass: HomeAssistant, hub_entry: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Weak sun is bought at the one-phase minimum on a phase-switching charger.

    Hour 1 has 1.5 kW of PV: after the 0.5 kW household and the 70 %
    confidence 0.7 kW, too little for the surplus controller, but 6 A on one
    phase (1.38 kW) there costs 0.15 x 0.68 / 1.38 = 0.074 per kWh, less
    than the 0.10 of hour 3; the charger is told numberPhases 1 for it.
    """
    await _load_hub(
        hass,
        hub_entry,
        dict(hub_entry.options) | {"pv_forecast_entity": FORECAST},
    )
    start = _hour() + timedelta(hours=1)
    _set_prices(hass, start, [0.30, 0.15, 0.30, 0.10, 0.35])
    _set_forecast(hass, start, {2: 1.5, 3: 1.5}, 10)
    sim = await _charger(hass, start_simulator, phase_switching=True)
    await _set_targets(
        hass,
        departure=dt_util.as_local(start + timedelta(hours=5)).time(),
        energy_kwh=5,
    )
    await _select_mode(hass, "smart")
    slots = [
        (
            datetime.fromisoformat(slot["start"]) - start,
            slot["current_a"],
            slot["phases"],
        )
        for slot in _plan_state(hass).attributes["slots"]
        if not slot["reserve"]
    ]
    assert slots[0] == (timedelta(hours=1), 6.0, 1)
    assert slots[1][0] == timedelta(hours=3)
    limit = _charger_period(sim, start + timedelta(hours=1, minutes=30))
    assert (limit.limit, limit.number_phases) == (6.0, 1)
    await hass.config_entries.async_unload(hub_entry.entry_id)


async def test_a_rebooted_charger_gets_its_mode_back(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """After a boot (profiles may be lost) the mode's limit is sent again."""
    sim = await _charger(hass, start_simulator)
    mode = entity_id(hass, "select", "CP_1_1_charging_mode")
    await _service(hass, "select", "select_option", entity_id=mode, option="off")
    sim.profiles.installed.clear()  # a reboot that forgot them
    await sim.call(
        "BootNotification",
        {
            "reason": "PowerUp",
            "chargingStation": {"vendorName": "OcppCsmsSim", "model": "SimCharger"},
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _charger_limit(sim, datetime.now(UTC)) == 0


async def test_solar_reads_kw_sensors_and_the_export_sign(
    hass: HomeAssistant, hub_entry: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A meter in kW that counts export as positive, with battery and PV."""
    await _load_hub(
        hass,
        hub_entry,
        dict(hub_entry.options)
        | {
            "grid_export_positive": True,
            "pv_power_sensor": "sensor.pv",
            "battery_power_sensor": "sensor.battery",
            "battery_soc_sensor": "sensor.battery_soc",
            "battery_priority_soc": 50,
        },
    )
    hass.states.async_set(GRID, "3.5", {"unit_of_measurement": "kW"})
    hass.states.async_set("sensor.pv", "6", {"unit_of_measurement": "kW"})
    # The battery takes 2 kW but is below its priority SoC: not surplus.
    hass.states.async_set("sensor.battery", "2000", {"unit_of_measurement": "W"})
    hass.states.async_set("sensor.battery_soc", "30", {"unit_of_measurement": "%"})
    sim = await _charger(hass, start_simulator)
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    await sim.wait_for_transaction(1)
    await _select_mode(hass, "solar_min")
    smart = hub_entry.runtime_data.smart
    assert smart is not None
    smart.clock = lambda: dt_util.utcnow() - timedelta(minutes=5)
    smart.surplus_round()
    await hass.async_block_till_done(wait_background_tasks=True)
    # 3.5 kW export on three phases: 5 A, so the minimum (6 A) at once.
    assert _charger_limit(sim, datetime.now(UTC)) == 6
    await hass.config_entries.async_unload(hub_entry.entry_id)


async def test_core_nord_pool_prices_come_from_its_action(
    hass: HomeAssistant, hub_entry: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """The core Nord Pool sensor has no forecast attributes: its action is asked."""
    nordpool = MockConfigEntry(domain="nordpool")
    nordpool.add_to_hass(hass)
    sensor = (
        er.async_get(hass)
        .async_get_or_create(
            "sensor", "nordpool", "SE3-current_price", config_entry=nordpool
        )
        .entity_id
    )
    start = _hour() + timedelta(hours=1)
    today = dt_util.now().date()
    asked: list[str] = []

    async def get_prices(call: ServiceCall) -> ServiceResponse:
        asked.append(call.data["date"])
        if call.data["date"] != today.isoformat():
            raise ServiceValidationError("no prices for tomorrow yet")
        assert call.data["config_entry"] == nordpool.entry_id
        return {
            "SE3": [
                {
                    "start": (start + timedelta(hours=i)).isoformat(),
                    "end": (start + timedelta(hours=i + 1)).isoformat(),
                    "price": price,  # per MWh
                }
                for i, price in enumerate([300.0, 90.0, 310.0, 320.0])
            ]
        }

    hass.services.async_register(
        "nordpool",
        "get_prices_for_date",
        get_prices,
        supports_response=SupportsResponse.ONLY,
    )
    hass.states.async_set(sensor, "0.3", {"unit_of_measurement": "SEK/kWh"})
    await _load_hub(
        hass, hub_entry, dict(hub_entry.options) | {CONF_PRICE_ENTITY: sensor}
    )
    assert asked == [today.isoformat(), (today + timedelta(days=1)).isoformat()]

    sim = await _charger(hass, start_simulator)
    await _set_targets(
        hass,
        departure=dt_util.as_local(start + timedelta(hours=4)).time(),
        energy_kwh=10,
    )
    await _select_mode(hass, "cheapest")
    plan = _plan_state(hass)
    assert datetime.fromisoformat(plan.state) == start + timedelta(hours=1)
    assert plan.attributes["expected_cost"] == pytest.approx(10 * 0.09, abs=0.01)
    cost = hass.states.get(entity_id(hass, "sensor", "CP_1_1_session_cost"))
    assert cost is not None
    assert cost.attributes["unit_of_measurement"] == "SEK"
    _assert_charger_follows_plan(hass, sim, start, 4)

    # The sensor's next price: today is not asked again, tomorrow is.
    hass.states.async_set(sensor, "0.09", {"unit_of_measurement": "SEK/kWh"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert asked[2:] == [(today + timedelta(days=1)).isoformat()]
    await hass.config_entries.async_unload(hub_entry.entry_id)


async def test_price_cap_leaves_dear_hours_out(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """With a maximum price the plan may fall short, and says so."""
    start = _hour() + timedelta(hours=1)
    _set_prices(hass, start, [0.30, 0.10, 0.32, 0.15, 0.33, 0.34, 0.35, 0.36])
    sim = await _charger(hass, start_simulator)
    cap = entity_id(hass, "number", "CP_1_1_price_cap")
    assert (state := hass.states.get(cap)) is not None
    assert state.attributes["unit_of_measurement"] == "EUR/kWh"
    for domain, key, data in (
        (
            "time",
            "CP_1_1_departure",
            {"time": dt_util.as_local(start + timedelta(hours=8)).time().isoformat()},
        ),
        ("number", "CP_1_1_target_energy", {"value": 60}),
        ("number", "CP_1_1_price_cap", {"value": 0.2}),
    ):
        service = "set_value"
        await _service(
            hass, domain, service, entity_id=entity_id(hass, domain, key), **data
        )
    await _select_mode(hass, "cheapest")
    plan = _plan_state(hass)
    assert plan.attributes["complete"] is False
    assert {slot["price"] for slot in plan.attributes["slots"]} == {0.10, 0.15}
    _assert_charger_follows_plan(hass, sim, start, 8)


async def test_a_reconnected_charger_is_brought_up_to_date(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """New prices while the charger was away reach it when it dials in again."""
    start = _hour() + timedelta(hours=1)
    _set_prices(hass, start, [0.30, 0.10, 0.32, 0.31, 0.33, 0.34, 0.35, 0.36])
    sim = await _charger(hass, start_simulator)
    await _set_targets(
        hass,
        departure=dt_util.as_local(start + timedelta(hours=8)).time(),
        energy_kwh=15,
    )
    await _select_mode(hass, "cheapest")
    await sim.stop()
    await hass.async_block_till_done(wait_background_tasks=True)
    _set_prices(hass, start, [0.30, 0.29, 0.32, 0.31, 0.33, 0.05, 0.35, 0.36])
    await hass.async_block_till_done(wait_background_tasks=True)
    plan = _plan_state(hass)
    assert plan.attributes["status"] == "charger_offline"
    sim = await _charger(hass, start_simulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    plan = _plan_state(hass)
    assert plan.attributes["status"] == "planned"
    assert datetime.fromisoformat(plan.state) == start + timedelta(hours=5)
    _assert_charger_follows_plan(hass, sim, start, 8)


async def test_reserve_stays_on_the_charger_once_the_estimate_is_delivered(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A car that needs more than estimated keeps its reserve slots."""
    start = _hour() + timedelta(hours=1)
    prices = [0.30, 0.10, 0.32, 0.15, 0.33, 0.34, 0.35, 0.36]
    _set_prices(hass, start, prices)
    sim = await _charger(hass, start_simulator, "1.6")
    await _set_targets(
        hass,
        departure=dt_util.as_local(start + timedelta(hours=8)).time(),
        energy_kwh=5,
    )
    await sim.plug_in(1, Car(reports_soc=False))  # the energy target rules
    await sim.start_transaction(1, "CARD")
    await sim.wait_for_transaction(1)
    await _select_mode(hass, "cheapest")
    # The meter says the estimate is in (the car took 6 kWh of 5).
    evse = sim.evse(1)
    await sim.call(
        "MeterValues",
        meter_v16(
            1,
            Clock().advance(minutes=5),
            evse.meter_start_wh + 6000,
            transaction_id=int(str(evse.transaction_id)),
        ),
    )
    # Any re-plan (here new prices for the last hour) sees the estimate delivered.
    _set_prices(hass, start, [*prices[:-1], 0.37])
    await hass.async_block_till_done(wait_background_tasks=True)
    plan = _plan_state(hass)
    assert plan.attributes["status"] == "done"
    slots = _assert_charger_follows_plan(hass, sim, start, 8)
    assert slots
    assert all(slot["reserve"] for slot in slots)
