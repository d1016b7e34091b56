"""What a machine does for one cell, what it costs at its size, and the analytic plant design.

Pure functions over the recipe, the cell (:func:`pouchline.cell.size_cell`), the equipment
catalogue (:mod:`pouchline.equipment`) and the cost rates; no file I/O, no simulation. The sizing
(:mod:`pouchline.plant.sizing`) starts from :func:`design_plant` and simulates; the cost model's
default plant *is* :func:`design_plant` at the requested volume.

**Machines per station** (one station per recipe step, in route order)::

    good cells/h      G = volume / cell energy / scheduled hours per year
    units started/h   d_k = G x F_k            F_k: units started at step k per good cell
    capacity/machine  c_k = rate / (basis units per unit x visits) x availability
    machines          n_k = ceil(d_k / (c_k x u_max))     u_max = 0.97: headroom for blocking and starving

with ``F_k = 1 / prod_{j >= k} (1 - scrap_j)`` over the steps after k in route order (the line
simulation is a serial line for now; ``convention="branch"`` is ready for the line graph),
``visits = ceil(passes / stands)`` and the machine's availability MTBF / (MTBF + MTTR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from pouchline.equipment import MACHINE_CLASSES, Catalogue, Machine

HOURS_PER_YEAR = 8760.0

#: Machine classes to choose from with ``machine_class="auto"``.
AUTO = "auto"
#: No station is planned above this share of its capacity: a serial line with finite buffers loses
#: a few per cent to blocking and starving (estimate: 1-3 % in the simulated GWh lines).
MAX_UTILIZATION = 0.97


# ------------------------------------------------------------------------------------------------
# steps: branches and passes
# ------------------------------------------------------------------------------------------------
_ANODE_KINDS = {"alloy_preparation", "melt_cast", "quench", "rolling_schedule", "prelithiation"}
_FILM_KINDS = {"film_fibrillation", "film_rolling"}
_CATHODE_KINDS = {"cathode_blending", "hot_rolling"}
_PUNCH_PARTS = {"anode": "anode", "electrolyte_film": "electrolyte_film", "se_film": "electrolyte_film",
                "film": "electrolyte_film", "cathode": "cathode"}


def step_branch(step: Any) -> str | None:
    """``'anode'``, ``'electrolyte_film'``, ``'cathode'`` or ``None`` (assembly, after the merge).

    The one place that knows the plant's branch structure: the anode, SE film and cathode
    branches merge at stacking. (When line files gain ``feeds:``, the sized line's stations are
    linked from this function.)
    """
    kind = getattr(step, "kind", "")
    if kind in _ANODE_KINDS:
        return "anode"
    if kind in _FILM_KINDS:
        return "electrolyte_film"
    if kind in _CATHODE_KINDS:
        return "cathode"
    if kind == "punching":
        return _PUNCH_PARTS.get(str(getattr(step, "part", "")).lower())
    return None


def step_passes(step: Any) -> int:
    """Rolling passes a step needs: the alloy schedule's passes, a step's ``passes``, else 1."""
    if getattr(step, "kind", "") == "rolling_schedule":
        try:
            return max(1, len(step.schedule_um()))
        except Exception:  # noqa: BLE001 - a schedule that cannot be computed counts as one pass
            return 1
    p = getattr(step, "passes", 1)
    p = getattr(p, "target", p)
    try:
        return max(1, int(p or 1))
    except (TypeError, ValueError):
        return 1


def formation_hours(step: Any) -> float:
    """Channel-hours one cell holds in formation: charge and discharge per cycle at the C-rate."""
    c = getattr(step, "c_rate", None)
    cycles = getattr(step, "cycles", 1) or 1
    rate = getattr(c, "target", c) if c is not None else None
    if not rate or rate <= 0:
        return 20.0
    return 2.0 * cycles / float(rate)


def start_factors(recipe: Any, yields: Mapping[str, float], convention: str = "branch") -> dict[str, float]:
    """Units started at each step per good cell, F_k = 1 / prod over downstream steps of yield.

    ``serial``: every later step in route order; ``branch``: the steps of k's own branch and the
    assembly steps after the branches merge.
    """
    if convention not in ("serial", "branch"):
        raise ValueError(f"scrap convention {convention!r} is not 'serial' or 'branch'")
    steps = list(recipe.steps)
    branches = [step_branch(s) for s in steps]
    out: dict[str, float] = {}
    for k, s in enumerate(steps):
        prod = 1.0
        for j in range(k, len(steps)):
            if convention == "branch" and not (branches[j] is None or branches[j] == branches[k]):
                continue
            if convention == "branch" and branches[k] is None and branches[j] is not None:
                continue
            prod *= yields.get(steps[j].id, 1.0)
        out[s.id] = 1.0 / prod
    return out


# ------------------------------------------------------------------------------------------------
# one machine and one cell
# ------------------------------------------------------------------------------------------------
def _area_m2(cell: Any, recipe: Any) -> float:
    """Electrode area of one cell (all layers), m2."""
    a = getattr(cell, "area_per_cell_cm2", None)
    if isinstance(a, (int, float)) and a > 0:
        return float(a) / 1e4
    per_layer = getattr(cell, "electrode_area_cm2", None)
    if not (isinstance(per_layer, (int, float)) and per_layer > 0):
        per_layer = float(recipe.cell.packaging.electrode_area_cm2)
    return float(per_layer) * int(cell.layers) / 1e4


def kg_at_step(cell: Any, step_id: str) -> float:
    """kg of material one unit consumes at a step (the cell format's materials by step)."""
    return sum(g for g in (getattr(cell, "materials_by_step_g", None) or {}).get(step_id, {}).values()
               if g and g > 0) / 1000.0


def basis_per_unit(machine: Machine, step: Any, cell: Any, recipe: Any) -> float:
    """Basis units (kg, m2, cells, sheets, channel-h) one unit takes in one visit."""
    unit = machine.rate.unit
    if unit == "kg":
        return kg_at_step(cell, step.id)
    if unit == "m2":
        return _area_m2(cell, recipe) * machine.area_factor
    if unit == "cells":
        return 1.0
    if unit == "sheets":
        return int(cell.layers) * machine.rate.sheets_per_layer
    return formation_hours(step) + machine.rate.extra_h_per_cell  # channel-h


@dataclass(frozen=True)
class MachineWork:
    """What one machine does for one cell's steps: units per hour and how a line file states it."""

    machine_id: str
    machine: Machine
    basis_per_unit: float  # basis units one unit takes in one visit
    visits: int  # ceil(passes / stands)
    passes: int
    units_per_h: float  # nominal units per machine-hour (all visits), before availability
    station_fields: dict[str, Any]  # cycle_time_s + batch_size or a web rate, for a line file
    rate_note: str  # how the station's speed follows from the entry

    @property
    def capacity_units_h(self) -> float:
        """Units per machine-hour with the machine's availability."""
        return self.units_per_h * self.machine.availability


def machine_work(machine_id: str, machine: Machine, step: Any, cell: Any, recipe: Any) -> MachineWork:
    """How many units of this cell one machine makes per hour, and the line-station fields that say so."""
    b = basis_per_unit(machine, step, cell, recipe)
    if not (b > 0 and math.isfinite(b)):
        raise ValueError(f"step {step.id}: one cell takes {b!r} {machine.rate.unit} on {machine_id}; the cell "
                         "format lists no material or area for this step")
    passes = step_passes(step)
    visits = machine.visits(passes)
    r = machine.rate
    pv = f" / {visits} visits ({passes} passes on {machine.stands} stand{'s' if machine.stands > 1 else ''})" \
        if visits > 1 or machine.stands > 1 else ""
    if r.basis == "web":
        speed = r.speed_m_min / visits
        fields = {"rate_m_min": round(speed, 6), "web_width_mm": r.width_mm}
        if machine.area_factor != 1.0:
            fields["area_factor"] = machine.area_factor
        units_h = speed * 60.0 * r.width_mm / 1000.0 / b
        note = f"{r.speed_m_min:g} m/min x {r.width_mm:g} mm{pv}"
    elif r.basis == "area":
        fields = {"rate_m2_h": round(r.rate_m2_h / visits, 6)}
        if machine.area_factor != 1.0:
            fields["area_factor"] = machine.area_factor
        units_h = r.rate_m2_h / visits / b
        note = f"{r.rate_m2_h:g} m2/h{pv}"
    elif r.basis == "batch":
        n = r.batch_size / b
        if n >= 1:
            batch, cycle = int(math.floor(n + 1e-9)), r.cycle_time_s * visits
        else:  # a cell's worth takes several batches
            batch, cycle = 1, r.cycle_time_s * visits * math.ceil(1.0 / n - 1e-9)
        fields = {"cycle_time_s": round(cycle, 6), "batch_size": batch}
        units_h = batch * 3600.0 / cycle
        note = (f"{r.batch_size:g} {r.batch_unit} per {r.cycle_time_s / 60:g} min{pv}; one cell's worth is "
                f"{b:.4g} {r.batch_unit}")
    elif r.basis == "sheets":
        cycle = 60.0 * b / r.sheets_per_min * visits
        fields = {"cycle_time_s": round(cycle, 6), "batch_size": 1}
        units_h = 3600.0 / cycle
        note = f"{r.sheets_per_min:g} sheets/min, {b:g} sheets per cell{pv}"
    else:  # channels
        cycle = b * 3600.0 * visits
        fields = {"cycle_time_s": round(cycle, 6), "batch_size": int(r.channels)}
        units_h = r.channels * 3600.0 / cycle
        note = f"{r.channels} channels, {b:g} h per cell"
    return MachineWork(machine_id, machine, b, visits, passes, units_h, fields, note)


def capacity_ratio(machine: Machine, units_per_h_per_machine: float, basis: float, visits: int) -> float:
    """A machine's capacity over the entry's reference capacity (both in basis units x passes / h)."""
    ref = machine.rate.per_h
    if ref <= 0:
        return 1.0
    return units_per_h_per_machine * basis * visits / ref


@dataclass(frozen=True)
class MachineFigures:
    """One machine at its capacity: capex, power, footprint and crew (scaled from the entry)."""

    capex_usd: float
    power_kW: float
    footprint_m2: float
    operators_per_shift: float
    ratio: float  # capacity / the entry's reference capacity


def machine_figures(catalogue: Catalogue, machine: Machine, ratio: float = 1.0, *, capex_scenario: str = "base",
                    capex_usd: float | None = None, power_kW: float | None = None,
                    footprint_m2: float | None = None, labour_multiplier: float = 1.0) -> MachineFigures:
    """capex x ratio^scaling.capex, footprint x ratio^scaling.floor, operators x ratio^scaling.labour,
    power x ratio (the energy per unit of work does not change with the machine's size).

    ``capex_usd``/``power_kW`` override the entry's figures at the reference capacity (sensitivity);
    ``footprint_m2`` (a line station's own) is taken as it is.
    """
    r = ratio if ratio > 0 and math.isfinite(ratio) else 1.0
    capex = (capex_usd if capex_usd is not None else machine.capex_usd.value(capex_scenario)) \
        * r ** catalogue.exponent(machine, "capex")
    power = (power_kW if power_kW is not None else machine.power_kW) * r  # energy per unit of work is constant
    floor = footprint_m2 if footprint_m2 is not None else machine.footprint_m2 * r ** catalogue.exponent(machine, "floor")
    ops = machine.operators_per_shift * r ** catalogue.exponent(machine, "labour") * labour_multiplier
    return MachineFigures(capex, power, floor, ops, r)


# ------------------------------------------------------------------------------------------------
# the analytic plant
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StationDesign:
    """One station of the designed plant."""

    name: str
    step_id: str
    kind: str
    machine_id: str
    machine_class: str
    machines: int
    work: MachineWork
    demand_units_h: float  # units started per scheduled hour
    capacity_units_h: float  # all machines, with availability
    zone: str | None  # zone id in the line (protective atmosphere), None in air
    atmosphere: str  # air, glovebox or dry_room
    scrap_rate: float
    buffer_units: int | None
    why: str  # how the machine count and class were chosen

    @property
    def utilization(self) -> float:
        return self.demand_units_h / self.capacity_units_h if self.capacity_units_h > 0 else math.inf


@dataclass(frozen=True)
class PlantDesign:
    """Machines per station for a volume, before simulation."""

    volume_MWh_per_yr: float
    cell_energy_Wh: float
    good_cells_per_yr: float
    good_cells_per_h: float
    scheduled_h_per_yr: float
    calendar: dict[str, float]
    machine_class: str
    maturity: str
    convention: str
    yields: dict[str, float]
    yield_sources: dict[str, str]
    start_factors: dict[str, float]
    stations: tuple[StationDesign, ...]
    notes: tuple[str, ...] = field(default=())

    def with_machines(self, machines: Mapping[str, int]) -> "PlantDesign":
        """The same design with other machine counts (station name -> machines)."""
        from dataclasses import replace

        sts = []
        for s in self.stations:
            n = int(machines.get(s.name, s.machines))
            sts.append(replace(s, machines=n, capacity_units_h=n * s.work.capacity_units_h))
        return replace(self, stations=tuple(sts))


def plant_calendar(hours_per_day: float, days_per_year: float) -> dict[str, float]:
    """A line calendar with the plant's scheduled hours: ``hours_per_day`` on every day of the week
    and the days not worked in a year taken as planned maintenance, spread over the weeks."""
    hours_per_day = float(hours_per_day)
    per_week = hours_per_day * 7.0
    scheduled_week = hours_per_day * float(days_per_year) * 7.0 / 365.0
    # rounded to 0.1 h: ShiftClock.off_shift_speedup can stall on a window end that is not exact in
    # binary (e.g. 16.109589 h); 0.1 h a week is 0.06 % of the year
    pm = max(0.0, round(per_week - scheduled_week, 1))
    return {"hours_per_day": hours_per_day, "days_per_week": 7, "planned_maintenance_h_per_week": pm}


def calendar_scheduled_h_per_yr(calendar: Mapping[str, float]) -> float:
    """Scheduled hours per year of a :func:`plant_calendar` (as :class:`pouchline.line.Calendar` counts them)."""
    week = calendar["hours_per_day"] * calendar["days_per_week"] - calendar["planned_maintenance_h_per_week"]
    return week * 365.0 / 7.0


def atmosphere_kind(recipe: Any, step: Any) -> str:
    """``glovebox``, ``dry_room`` or ``air``: the protection the recipe's atmosphere for a step asks for."""
    try:
        kind = recipe.atmosphere(step.atmosphere).kind
    except (KeyError, AttributeError):
        return "air"
    return {"argon_glovebox": "glovebox", "dry_room": "dry_room"}.get(kind, "air")


def step_yields(recipe: Any, catalogue: Catalogue, maturity: str, rates: Any = None) -> tuple[dict[str, float],
                                                                                              dict[str, str]]:
    """Yield of every step: the rates file's ``default_step_yield`` for the step id when it has one,
    else the catalogue's for the step kind, else 100 %."""
    out: dict[str, float] = {}
    src: dict[str, str] = {}
    by_id = getattr(rates, "default_step_yield", None) or {}
    for s in recipe.steps:
        if s.id in by_id:
            d = by_id[s.id]
            out[s.id], src[s.id] = float(getattr(d, maturity)), f"{d.source} ({maturity})"
            continue
        found = catalogue.step_yield(s.kind, maturity)
        if found is None:
            out[s.id], src[s.id] = 1.0, "assumed: no default yield for this step kind; 100 %"
        else:
            out[s.id], src[s.id] = found
    return out, src


def annual_cost_usd(catalogue: Catalogue, machine: Machine, machines: int, atmosphere: str,
                    rv: Mapping[str, float], scheduled_h: float) -> float:
    """Annual cost of ``machines`` of an entry (depreciation, maintenance, labour with overhead, power,
    floor, glovebox or dry-room share): what ``machine_class="auto"`` minimises."""
    f = machine_figures(catalogue, machine, labour_multiplier=rv.get("operators_per_station_shift", 1.0))
    capex = f.capex_usd + (rv["glovebox_capex_usd_per_station"] if atmosphere == "glovebox" else
                           rv["dry_room_capex_usd_per_station"] if atmosphere == "dry_room" else 0.0)
    per = (capex / rv["depreciation_life_yr"] + capex * rv["maintenance_frac_of_capex_yr"]
           + f.operators_per_shift * scheduled_h * rv["labour_rate_usd_h"] * (1 + rv["overhead_frac_of_labour"])
           + f.power_kW * scheduled_h * rv["electricity_usd_kWh"]
           + f.footprint_m2 * rv["building_area_factor"] * rv["building_usd_m2_yr"])
    return machines * per


def design_plant(recipe: Any, cell: Any, catalogue: Catalogue, rates: Any, *, volume_MWh_per_yr: float,
                 machine_class: str = AUTO, maturity: str | None = None, convention: str = "serial",
                 rate_values: Mapping[str, float] | None = None,
                 machine_ids: Mapping[str, str] | None = None,
                 max_utilization: float = MAX_UTILIZATION) -> PlantDesign:
    """Machines per station (one per recipe step) to make ``volume_MWh_per_yr`` of good cells.

    ``machine_class``: ``lab``, ``pilot``, ``production`` or ``auto`` (per station, the class of
    the lowest annual cost at this volume). ``machine_ids`` (step id -> catalogue id) fixes the
    entry of a station. ``rates``: :class:`pouchline.cost.CostRates` (calendar, availability-free
    plant rates used by ``auto``). ``max_utilization``: no station is planned above this share of
    its capacity (headroom for blocking and starving between finite buffers).
    """
    if not 0 < max_utilization <= 1:
        raise ValueError(f"max_utilization {max_utilization!r} is not allowed: it is in (0, 1]")
    if not (isinstance(volume_MWh_per_yr, (int, float)) and math.isfinite(volume_MWh_per_yr) and volume_MWh_per_yr > 0):
        raise ValueError(f"volume {volume_MWh_per_yr!r} MWh/yr is not allowed: it must be a number > 0")
    if machine_class not in MACHINE_CLASSES + (AUTO,):
        raise ValueError(f"machine class {machine_class!r} is not one of {', '.join(MACHINE_CLASSES + (AUTO,))}")
    energy = float(cell.energy_Wh)
    if not energy > 0:
        raise ValueError(f"the cell's energy is {energy!r} Wh; it must be > 0 to size a plant")
    maturity = maturity or rates.plant.yield_maturity
    rv = dict(rate_values) if rate_values is not None else rates.values("base")
    plant = rates.plant
    calendar = plant_calendar(plant.hours_per_day, plant.days_per_year)
    sched = calendar_scheduled_h_per_yr(calendar)
    good_yr = volume_MWh_per_yr * 1e6 / energy
    good_h = good_yr / sched
    yields, ysrc = step_yields(recipe, catalogue, maturity, rates)
    factors = start_factors(recipe, yields, convention)
    notes: list[str] = []
    stations: list[StationDesign] = []
    for s in recipe.steps:
        candidates = catalogue.for_kind(s.kind)
        if machine_ids and s.id in machine_ids:
            mid = machine_ids[s.id]
            candidates = {mid: catalogue.entry(mid, field=f"machine for step {s.id}")}
        elif machine_class != AUTO:
            found = catalogue.of_class(s.kind, machine_class)
            if found is not None:
                candidates = {found[0]: found[1]}
            elif candidates:
                notes.append(f"{s.id}: no {machine_class} machine for step kind {s.kind}; chose among "
                             f"{', '.join(candidates)}")
        if not candidates:
            raise ValueError(f"step {s.id}: the equipment catalogue has no machine for step kind {s.kind!r}")
        demand = good_h * factors[s.id]
        atm = atmosphere_kind(recipe, s)
        best = None
        for mid, m in candidates.items():
            w = machine_work(mid, m, s, cell, recipe)
            n = max(1, math.ceil(demand / (w.capacity_units_h * max_utilization) - 1e-9))
            zone_atm = (m.enclosure if atm in ("glovebox", "dry_room") else "air")
            cost = annual_cost_usd(catalogue, m, n, zone_atm, rv, sched)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, mid, m, w, n, zone_atm)
        cost, mid, m, w, n, zone_atm = best
        why = (f"ceil({demand:,.4g} units/h started / ({w.capacity_units_h:,.4g} units/h per machine at "
               f"{100 * m.availability:.1f} % availability x {max_utilization:g} planned utilisation)) = {n}")
        if len(candidates) > 1:
            why += f"; {m.machine_class} class: the lowest annual cost ({cost:,.0f} USD/yr) among {', '.join(candidates)}"
        zone = None if zone_atm == "air" else ("glovebox" if zone_atm == "glovebox" else "sulfide_dry_room")
        stations.append(StationDesign(
            name=s.id, step_id=s.id, kind=s.kind, machine_id=mid, machine_class=m.machine_class, machines=n, work=w,
            demand_units_h=demand, capacity_units_h=n * w.capacity_units_h, zone=zone, atmosphere=zone_atm,
            scrap_rate=round(1.0 - yields[s.id], 12), buffer_units=None, why=why))
    # buffers: enough to ride out a mean repair of the upstream station, plus a batch of each side
    sized: list[StationDesign] = []
    from dataclasses import replace

    for i, st in enumerate(stations):
        if i == 0:
            sized.append(st)
            continue
        up = stations[i - 1]
        mttr = up.work.machine.mttr_h or 0.0
        b_up = int(up.work.station_fields.get("batch_size", 1))
        b_me = int(st.work.station_fields.get("batch_size", 1))
        buf = math.ceil(mttr * st.demand_units_h + 0.25 * st.demand_units_h) + b_up + b_me
        sized.append(replace(st, buffer_units=int(buf)))
    return PlantDesign(
        volume_MWh_per_yr=float(volume_MWh_per_yr), cell_energy_Wh=energy, good_cells_per_yr=good_yr,
        good_cells_per_h=good_h, scheduled_h_per_yr=sched, calendar=calendar, machine_class=machine_class,
        maturity=maturity, convention=convention, yields=yields, yield_sources=ysrc, start_factors=factors,
        stations=tuple(sized), notes=tuple(notes))


def line_data(design: PlantDesign, *, name: str, cell: Any, source: str, rates: Any = None) -> dict[str, Any]:
    """The design as line-file data (what :func:`pouchline.line.Line.from_data` validates)."""
    zones: dict[str, Any] = {}
    area_factor = rates.values("base")["building_area_factor"] if rates is not None else 2.5
    for st in design.stations:
        if st.zone is None or st.zone in zones:
            continue
        fp = sum(s.machines * s.work.machine.footprint_m2 for s in design.stations if s.zone == st.zone)
        if st.zone == "glovebox":
            zones[st.zone] = {"kind": "glovebox", "atmosphere": "Ar, O2 and H2O < 0.1 ppm (Liu2025 Methods)",
                              "source": "derived: one glovebox per machine of the steps the recipe puts in Ar"}
        else:
            zones[st.zone] = {"kind": "dry_room", "atmosphere": "dew point <= -40 degC with exposure-time limits",
                              "area_m2": round(fp * area_factor, 1),
                              "source": f"derived: machine footprints {fp:,.0f} m2 x floor area factor {area_factor:g}"}
    stations = []
    for st in design.stations:
        m = st.work.machine
        d: dict[str, Any] = {"name": st.name, "step": st.step_id, "equipment": st.machine_id}
        d.update(st.work.station_fields)
        d["machines"] = st.machines
        if m.mtbf_h is not None:
            d.update(mtbf_h=m.mtbf_h, mttr_h=m.mttr_h)
        d["scrap_rate"] = st.scrap_rate
        if st.buffer_units is not None:
            d["buffer_capacity"] = st.buffer_units
        if m.runs_off_shift:
            d["runs_off_shift"] = True
        if st.zone is not None:
            d.update(zone=st.zone, zone_slots=0)
        d["footprint_m2"] = m.footprint_m2
        stations.append(d)
    return {
        "name": name,
        "description": (f"{design.volume_MWh_per_yr / 1000:g} GWh/yr of the {cell.energy_Wh:.3g} Wh, {cell.layers}-layer "
                        f"cell, sized by pouchline ({design.machine_class} machines, {design.maturity} yields)"),
        "source": source,
        "cell_energy_Wh": round(float(cell.energy_Wh), 6),
        "area_per_cell_cm2": round(float(cell.area_per_cell_cm2), 6),
        "calendar": {**design.calendar, "source": "derived: the cost rates' plant calendar (hours per day x days "
                                                  "per year), the days not worked as planned maintenance"},
        "zones": zones,
        "stations": stations,
    }


__all__ = [
    "AUTO", "MAX_UTILIZATION", "MachineFigures", "MachineWork", "PlantDesign", "StationDesign", "annual_cost_usd", "atmosphere_kind", "basis_per_unit",
    "capacity_ratio", "design_plant", "formation_hours", "kg_at_step", "line_data", "machine_figures",
    "machine_work", "plant_calendar", "start_factors", "step_branch", "step_passes", "step_yields",
]
