"""Ramp-up: a line from start of production (SOP) to its mature figures, month by month.

::

    res = ramp_up(line, recipe, materials, cell, months=24)   # RampUpResult
    res.table()                 # per month: good cells, scrap, share of nameplate, $/kWh, ...
    res.month_at_90pct          # the first month at >= 90 % of nameplate (simulated)
    res.cumulative_materials_t  # tonnes of every purchased material bought during the ramp

**Learning curve** (``form: exponential``, the catalogue's ``rampup:`` section, overridable in the
line file's ``rampup:``). Every station's yield ``y`` and availability ``A = MTBF / (MTBF + MTTR)``
follow, in months ``t`` after SOP::

    x(t) = x_mature - (x_mature - x_start) * exp(-t / tau)

* yield: mature = the line's ``1 - scrap_rate``; start = mature x (catalogue ``yield_pilot`` /
  ``yield_mature`` of the step kind), the ratio shared out over the stations of one step, or the
  line file's ``rampup.stations.<name>.yield_start``; time constant ``yield_tau_months``;
* availability: mature = the line's MTBF and MTTR; at SOP the MTBF is ``mtbf_start_frac`` x the
  mature MTBF at the same MTTR; time constant ``availability_tau_months``; the month's MTBF is
  ``MTTR x A / (1 - A)``. A machine without failures (no MTBF) stays at A = 1.

Month ``m`` (1, 2, ...) takes the figures at its middle, ``t = m - 0.5``.

**Quasi-static approximation.** Each month is simulated as a line of its own: from an empty line,
``warmup_days`` at that month's figures (left out of every figure of the month), then
``days_per_month`` (365/12) measured days, ``replications`` times with the same seed in every
month (common random numbers, so month-to-month differences are not noise). Work in progress is
not carried from one month to the next and the figures do not change within a month; with
time constants of several months and a line whose lead time is a few days this is a small error.

Per month: good cells and scrapped units (cell-equivalents: a unit is one cell's worth of the step's
output), the rolled throughput yield, the share of nameplate (the same simulation at the mature
figures), and the cost from :func:`pouchline.cost.cost_cell` on the month's line and simulation:
annual labour, depreciation, building and overhead over the month's good cells x 12, i.e. the
month's fixed costs over the month's good cells. Materials bought in the month are
:func:`pouchline.demand.material_demand` of that cost at the month's rate, over 12.

A deterministic **capacity limit** needs no simulation: good cells per hour are at most
``min_k capacity_k(t) / u_k(t)``, with ``capacity_k`` the station's units per scheduled hour
(machines x rate x availability) and ``u_k`` the units it starts per good cell along its own route
to the end: ``u_end = 1 / y_end``, ``u_k = kit x u_(station k feeds) / y_k`` (its own branch's
yields and the assembly's after the merge, not the other branches'). It rises monotonically with t
and tends to the mature line's limit; the simulated months scatter around a curve just below it.

Pure: no file I/O, no printing (``pouchline rampup`` and the app call it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from pouchline.errors import InputError
from pouchline.line.defaults import RAMP_REPLICATIONS, RAMP_WARMUP_DAYS

#: Days of a month (a year of 365 days over 12).
DAYS_PER_MONTH = 365.0 / 12.0
#: A month is "at nameplate" from this share of the mature line's good cells on.
NAMEPLATE_SHARE = 0.9
#: Months ``plan`` and the app show. Replications per month and the warm-up before each month are the
#: run defaults of :mod:`pouchline.line.defaults` (``RAMP_REPLICATIONS``, ``RAMP_WARMUP_DAYS``).
RAMP_MONTHS = 24

QUASI_STATIC = ("each month is simulated from an empty line with a warm-up at that month's yields "
                "and availabilities (left out of the month's figures); work in progress is not carried from month "
                "to month")

ProgressCallback = Callable[[float], None]


def check_months(months: Any) -> int:
    """A number of months to simulate: a whole number from 1 to 240, or an InputError."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 240:
        raise InputError.single("", "months", f"{months!r} is not allowed: give a whole number of months from 1 to "
                                "240 (20 years)", months)
    return months


def learning_curve(start: float, mature: float, tau_months: float, t_months: float) -> float:
    """``mature - (mature - start) * exp(-t / tau)``; ``tau = 0`` is mature from SOP on.

    >>> round(learning_curve(0.9, 0.97, 12.0, 12.0), 6)  # one time constant: 63.2 % of the gap closed
    0.944248
    """
    if tau_months <= 0 or t_months == math.inf:
        return mature
    return mature - (mature - start) * math.exp(-t_months / tau_months)


@dataclass(frozen=True)
class StationCurve:
    """One station's ramp: its yields and availabilities at SOP and mature, and its time constants."""

    station: str
    step: str
    kind: str
    yield_start: float
    yield_mature: float
    yield_tau_months: float
    availability_start: float
    availability_mature: float
    availability_tau_months: float
    mttr_h: float | None
    yield_source: str
    availability_source: str

    def yield_at(self, t_months: float) -> float:
        return learning_curve(self.yield_start, self.yield_mature, self.yield_tau_months, t_months)

    def availability_at(self, t_months: float) -> float:
        return learning_curve(self.availability_start, self.availability_mature, self.availability_tau_months,
                              t_months)

    def mtbf_h_at(self, t_months: float) -> float | None:
        """The MTBF that gives the month's availability at the mature MTTR: MTTR x A / (1 - A)."""
        if self.mttr_h is None:
            return None
        a = self.availability_at(t_months)
        return self.mttr_h * a / (1.0 - a)


def station_curves(line: Any, recipe: Any, catalogue: Any = None, override: Any = None,
                   source: str = "") -> tuple[tuple[StationCurve, ...], Any]:
    """Every station's ramp from the catalogue's ``rampup`` and the line file's ``override``
    (:class:`pouchline.equipment.RampUpOverride`); returns the curves and the line-wide
    :class:`pouchline.equipment.RampUp` used."""
    from pouchline.equipment import default_catalogue

    cat = catalogue or default_catalogue()
    if cat.rampup is None:
        raise InputError.single(f"equipment catalogue {cat.id} rev {cat.revision}", "rampup",
                                "is missing: the ramp-up needs its learning curve (form, yield_tau_months, "
                                "availability_tau_months, mtbf_start_frac)")
    base = override.applied_to(cat.rampup) if override is not None else cat.rampup
    per_station = dict(getattr(override, "stations", None) or {})
    names = [st.name for st in line.stations]
    unknown = [n for n in per_station if n not in names]
    if unknown:
        raise InputError.single(source, f"rampup.stations.{unknown[0]}", f"{unknown[0]!r} is not a station of line "
                                f"{line.name}; stations: {', '.join(names)}", unknown[0])
    line.validate_steps(recipe.step_ids, source=source)
    n_of_step: dict[str, int] = {}
    for st in line.stations:
        n_of_step[st.step] = n_of_step.get(st.step, 0) + 1
    ov_src = getattr(override, "source", None) or "user: the line file's rampup section"
    out: list[StationCurve] = []
    for st in line.stations:
        kind = recipe.step(st.step).kind
        own = per_station.get(st.name)
        y_m = 1.0 - float(st.scrap_rate)
        if own is not None and own.yield_start is not None:
            y0, ysrc = own.yield_start, ov_src
            if y0 > y_m + 1e-12:
                raise InputError.single(source, f"rampup.stations.{st.name}.yield_start",
                                        f"{y0:g} is above the station's mature yield {y_m:g} (1 - scrap_rate); a ramp "
                                        "starts at or below it", y0)
        else:
            k = cat.kinds.get(kind)
            if k is None:
                y0, ysrc = y_m, f"assumed: the catalogue has no yields for step kind {kind}; no learning"
            else:
                ratio = (k.yield_pilot / k.yield_mature) ** (1.0 / n_of_step[st.step])
                y0 = y_m * ratio
                ysrc = (f"derived: line yield x {k.yield_pilot:g} / {k.yield_mature:g} (recipes/equipment.yaml kinds: "
                        f"pilot / mature yield of {kind}; {k.source})")
        frac = own.mtbf_start_frac if own is not None and own.mtbf_start_frac is not None else base.mtbf_start_frac
        if st.mtbf_h is None or st.mttr_h is None:
            a0 = a_m = 1.0
            asrc = "the station's machines never fail (no MTBF): availability 1 throughout"
        else:
            a_m = st.mtbf_h / (st.mtbf_h + st.mttr_h)
            m0 = st.mtbf_h * frac
            a0 = m0 / (m0 + st.mttr_h)
            asrc = (f"MTBF at SOP {frac:g} x {st.mtbf_h:g} h, MTTR {st.mttr_h:g} h ("
                    + (ov_src if own is not None and own.mtbf_start_frac is not None
                       else base.source_of("mtbf_start_frac")) + ")")
        ytau = own.yield_tau_months if own is not None and own.yield_tau_months is not None else base.yield_tau_months
        atau = (own.availability_tau_months if own is not None and own.availability_tau_months is not None
                else base.availability_tau_months)
        out.append(StationCurve(st.name, st.step, kind, y0, y_m, ytau, a0, a_m, atau, st.mttr_h, ysrc, asrc))
    return tuple(out), base


def line_at(line: Any, curves: tuple[StationCurve, ...], t_months: float) -> Any:
    """The line with every station's scrap rate and MTBF at ``t_months`` after SOP (``math.inf``:
    the mature line). Only ``scrap_rate`` and ``mtbf_h`` change (``Line.model_copy``)."""
    by_name = {c.station: c for c in curves}
    stations = []
    for st in line.stations:
        c = by_name[st.name]
        upd: dict[str, Any] = {"scrap_rate": min(max(1.0 - c.yield_at(t_months), 0.0), 1.0 - 1e-12)}
        mtbf = c.mtbf_h_at(t_months)
        if mtbf is not None:
            upd["mtbf_h"] = mtbf
        stations.append(st.model_copy(update=upd))
    return line.model_copy(update={"stations": stations})


def capacity_limit_good_cells_per_h(line: Any, area_per_cell_cm2: float | None = None) -> tuple[float, str]:
    """Good cells per scheduled hour the line can make at most, and the station that limits it:
    ``min_k capacity_k / u_k``, with ``u_k`` the units station ``k`` starts per good cell along its own
    route to the line's end (its branch and the assembly after the merge, kits included:
    :meth:`pouchline.line.Topology.units_started_per_good`), the line limits the simulation reports
    (:func:`pouchline.line.kpis.line_limits`)."""
    from pouchline.line.kpis import line_limits

    specs = line.station_specs(area_per_cell_cm2=area_per_cell_cm2)
    limits = line_limits(specs)
    k = min(range(len(specs)), key=lambda i: limits[i])
    return limits[k], specs[k].name


def scheduled_h_per_month(line: Any) -> float:
    """Scheduled hours in a month of the line's calendar (a year of 365 days over 12)."""
    return line.calendar.scheduled_h_per_week * 365.0 / 7.0 / 12.0


@dataclass(frozen=True)
class RampMonth:
    """One month of the ramp (figures per month unless the name says otherwise)."""

    month: int  # 1 = the first month after SOP
    t_months: float  # the time the month's figures are taken at (its middle)
    good_cells: float  # simulated, mean over replications
    good_cells_ci95: tuple[float, float]
    started_units: float  # at the first station
    scrapped_units: float  # all stations, cell-equivalents
    yield_rty: float  # measured rolled throughput yield
    MWh: float
    share_of_nameplate_frac: float  # good cells / the mature line's
    capacity_limit_good_cells: float  # deterministic upper bound
    capacity_limit_share_frac: float  # of the mature line's capacity limit
    mean_availability_frac: float  # machines' availability, mean over stations weighted by machines
    bottleneck: str
    cost_per_cell_usd: float
    cost_per_kWh_usd: float
    material_cost_per_kWh_usd: float
    process_cost_per_kWh_usd: float
    materials_t: dict[str, float]  # tonnes of each purchased material bought in the month

    def row(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("materials_t")
        d["good_cells_ci95_low"], d["good_cells_ci95_high"] = d.pop("good_cells_ci95")
        return d


@dataclass(frozen=True)
class RampUpResult:
    """A line's ramp from SOP, month by month, against its mature (nameplate) figures."""

    line_name: str
    recipe_id: str
    energy_Wh: float
    months: tuple[RampMonth, ...]
    nameplate_good_cells_per_month: float  # the mature line, simulated the same way
    nameplate_capacity_limit_good_cells_per_month: float
    nameplate_cost_per_kWh_usd: float
    month_at_90pct: int | None  # first month whose simulated good cells reach 90 % of nameplate
    month_at_90pct_capacity_limit: int | None  # the same on the deterministic capacity limit
    cumulative_good_cells: float
    cumulative_scrapped_units: float
    cumulative_materials_t: dict[str, float]
    curve: Any  # pouchline.equipment.RampUp: the line-wide figures used
    stations: tuple[StationCurve, ...]
    simulation: dict[str, Any]
    approximation: str = QUASI_STATIC
    notes: tuple[str, ...] = field(default=())

    def table(self):
        """One row per month (pandas), units in the column names."""
        import pandas as pd

        return pd.DataFrame([m.row() for m in self.months]).set_index("month")

    def materials_table(self):
        """Tonnes of every purchased material bought in each month (pandas, months as rows)."""
        import pandas as pd

        return pd.DataFrame([{"month": m.month, **m.materials_t} for m in self.months]).set_index("month").fillna(0.0)

    def headline(self) -> str:
        from pouchline.display import fmt_count, fmt_number, fmt_pct

        first = self.months[0] if self.months else None
        at = (f"reaches {fmt_pct(NAMEPLATE_SHARE, 2)} of nameplate in month {self.month_at_90pct}"
              if self.month_at_90pct is not None else
              f"does not reach {fmt_pct(NAMEPLATE_SHARE, 2)} of nameplate within {len(self.months)} months")
        cap = (f"month {self.month_at_90pct_capacity_limit}" if self.month_at_90pct_capacity_limit is not None
               else f"after month {len(self.months)}")
        out = f"Line {self.line_name} {at} (capacity limit: {cap})"
        if first is not None:
            out += (f"; month 1 makes {fmt_pct(first.share_of_nameplate_frac)} of nameplate at "
                    f"{fmt_number(first.cost_per_kWh_usd)} USD/kWh (nameplate {fmt_number(self.nameplate_cost_per_kWh_usd)})"
                    f", with {fmt_pct(1 - first.yield_rty)} scrap")
        return out + f"; {fmt_count(self.cumulative_good_cells)} good cells in {len(self.months)} months."

    def to_dict(self) -> dict[str, Any]:
        from pouchline.fileio import jsonable

        return jsonable({
            "line": self.line_name, "recipe": self.recipe_id, "energy_Wh": self.energy_Wh,
            "nameplate_good_cells_per_month": self.nameplate_good_cells_per_month,
            "nameplate_capacity_limit_good_cells_per_month": self.nameplate_capacity_limit_good_cells_per_month,
            "nameplate_cost_per_kWh_usd": self.nameplate_cost_per_kWh_usd,
            "nameplate_share_frac": NAMEPLATE_SHARE,
            "month_at_90pct": self.month_at_90pct,
            "month_at_90pct_capacity_limit": self.month_at_90pct_capacity_limit,
            "cumulative_good_cells": self.cumulative_good_cells,
            "cumulative_scrapped_units": self.cumulative_scrapped_units,
            "cumulative_materials_t": dict(self.cumulative_materials_t),
            "curve": self.curve.model_dump(),
            "stations": [asdict(c) for c in self.stations],
            "months": [{**m.row(), "materials_t": dict(m.materials_t)} for m in self.months],
            "simulation": dict(self.simulation),
            "approximation": self.approximation,
            "notes": list(self.notes),
            "headline": self.headline(),
        })


def _mean_availability(line: Any) -> float:
    total = sum(st.machines for st in line.stations)
    return sum(st.machines * st.availability for st in line.stations) / total if total else 1.0


def ramp_up(
    line: Any,
    recipe: Any,
    materials: Any,
    cell: Any,
    *,
    months: int,
    override: Any = None,
    catalogue: Any = None,
    rates: Any = None,
    prices: str = "base",
    days_per_month: float = DAYS_PER_MONTH,
    warmup_days: float = RAMP_WARMUP_DAYS,
    replications: int = RAMP_REPLICATIONS,
    seed: int = 1,
    workers: int | None = None,
    source: str = "",
    progress: ProgressCallback | None = None,
) -> RampUpResult:
    """Simulate ``line`` month by month for ``months`` months from SOP (see the module docstring).

    ``override``: the line file's ``rampup:`` section (:func:`pouchline.equipment.line_rampup`).
    ``days_per_month`` measured days stand for each month; ``warmup_days`` before them are left
    out. ``progress`` receives the fraction of months simulated (0-1). ``source`` names the line
    file in messages.
    """
    from pouchline.cost import cost_cell, load_rates
    from pouchline.demand import material_demand
    from pouchline.line import run_experiment

    check_months(months)
    rates = rates if rates is not None else load_rates()
    curves, curve = station_curves(line, recipe, catalogue, override, source)
    area = getattr(cell, "area_per_cell_cm2", None)
    sched_month = scheduled_h_per_month(line)
    run_kw = dict(replications=replications, days=days_per_month, warmup_days=warmup_days, seed=seed,
                  workers=workers, area_per_cell_cm2=area, materials_per_unit_g=cell.materials_by_step_g,
                  cell_energy_Wh=cell.energy_Wh)

    def run(line_t: Any) -> tuple[Any, Any]:
        exp = run_experiment(line_t, **run_kw)
        try:
            cost = cost_cell(recipe, materials, cell, rates=rates, line=line_t, line_kpis=exp, prices=prices,
                             catalogue=catalogue)
        except ValueError as exc:  # a month that makes no good cell
            raise InputError.single(source, "", f"the ramp cannot be costed: {exc}") from None
        return exp, cost

    mature_line = line_at(line, curves, math.inf)
    mature_exp, mature_cost = run(mature_line)
    nameplate = mature_exp.good_units_per_year / 12.0
    cap_mature = capacity_limit_good_cells_per_h(mature_line, area)[0] * sched_month
    out: list[RampMonth] = []
    cum_mat: dict[str, float] = {}
    for m in range(1, months + 1):
        t = m - 0.5
        line_t = line_at(line, curves, t)
        exp, cost = run(line_t)
        good = exp.good_units_per_year / 12.0
        scale = days_per_month / exp.days  # the measured days stand for a month
        th = exp.throughput_units_per_h
        ci = tuple(x / th * good if th > 0 else math.nan for x in exp.throughput_ci95_units_per_h)
        dem = material_demand(cost, materials)
        mats = {r.material_id: float(r.demand_t_per_yr) / 12.0 for r in dem.materials.itertuples()}
        for k, v in mats.items():
            cum_mat[k] = cum_mat.get(k, 0.0) + v
        cap = capacity_limit_good_cells_per_h(line_t, area)[0] * sched_month
        out.append(RampMonth(
            month=m, t_months=t, good_cells=good, good_cells_ci95=(float(ci[0]), float(ci[1])),
            started_units=exp.started_units * scale, scrapped_units=exp.scrapped_units * scale,
            yield_rty=exp.yield_rty, MWh=good * cell.energy_Wh / 1e6,
            share_of_nameplate_frac=good / nameplate if nameplate > 0 else math.nan,
            capacity_limit_good_cells=cap, capacity_limit_share_frac=cap / cap_mature if cap_mature > 0 else math.nan,
            mean_availability_frac=_mean_availability(line_t), bottleneck=exp.bottleneck,
            cost_per_cell_usd=cost.cost_per_cell_usd, cost_per_kWh_usd=cost.cost_per_kWh_usd,
            material_cost_per_kWh_usd=cost.material_cost_per_kWh_usd,
            process_cost_per_kWh_usd=cost.process_cost_per_kWh_usd, materials_t=mats))
        if progress is not None:
            progress(m / months)
    first = next((r.month for r in out if r.good_cells >= NAMEPLATE_SHARE * nameplate), None)
    first_cap = next((r.month for r in out if r.capacity_limit_good_cells >= NAMEPLATE_SHARE * cap_mature), None)
    notes = ["quasi-static approximation: " + QUASI_STATIC + ".",
             f"nameplate: the same line at its mature yields and availabilities, simulated the same way "
             f"({nameplate:,.0f} good cells a month)",
             "scrapped units are cell-equivalents at every station (a unit is one cell's worth of a step's output)",
             "cost per month: cost_cell on the month's line and simulation (annual fixed costs over 12 x the month's "
             "good cells); materials bought: the demand module at the month's rate, over 12"]
    return RampUpResult(
        line_name=line.name, recipe_id=recipe.id, energy_Wh=float(cell.energy_Wh), months=tuple(out),
        nameplate_good_cells_per_month=nameplate, nameplate_capacity_limit_good_cells_per_month=cap_mature,
        nameplate_cost_per_kWh_usd=mature_cost.cost_per_kWh_usd, month_at_90pct=first,
        month_at_90pct_capacity_limit=first_cap, cumulative_good_cells=sum(r.good_cells for r in out),
        cumulative_scrapped_units=sum(r.scrapped_units for r in out),
        cumulative_materials_t=dict(sorted(cum_mat.items(), key=lambda kv: -kv[1])), curve=curve, stations=curves,
        simulation={"days_per_month": days_per_month, "warmup_days": warmup_days, "replications": replications,
                    "seed": seed, "common_random_numbers": True, "lot_size": mature_exp.lot_size},
        notes=tuple(notes))


__all__ = ["check_months", "DAYS_PER_MONTH", "NAMEPLATE_SHARE", "RAMP_MONTHS", "RAMP_REPLICATIONS", "RAMP_WARMUP_DAYS", "QUASI_STATIC", "RampMonth", "RampUpResult", "StationCurve",
           "capacity_limit_good_cells_per_h", "learning_curve", "line_at", "ramp_up", "scheduled_h_per_month",
           "station_curves"]
