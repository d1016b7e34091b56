"""The validation report: pouchline's figures against the paper, queueing theory and BatPaC.

Each comparison is a :class:`Check`: a reference value with where it comes from, pouchline's
value, a tolerance with the reason for it, and pass or fail. The comparisons are the ones the
test suite makes (``tests/test_cell_paper.py``, ``tests/test_cell_anode.py``,
``tests/test_line_simulation.py``); here they are run once more and written down as
``docs/validation.md`` (:func:`build_report`), so an engineer can read what was compared without
reading the tests.

The report is deterministic: fixed seeds, and every displayed figure rounded so that another
numpy or BLAS build cannot change the text. ``tests/test_validation_report.py`` regenerates it and
fails when the committed file differs.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from pouchline.validation.citations import DOCS_DIR
from pouchline.validation.queueing import (
    availability_fraction_sd,
    large_buffer_rate,
    two_machine_line_rate,
    zero_buffer_rate,
)

REPORT_PATH = DOCS_DIR / "validation.md"

@dataclass(frozen=True)
class Check:
    """One comparison: reference, pouchline's value, tolerance, result."""

    name: str
    reference: float
    value: float
    unit: str
    lower: float  # pass if lower <= value <= upper
    upper: float
    tolerance: str  # the tolerance as the reader sees it ("±3 %", "exact")
    basis: str  # where the reference comes from and why the tolerance is what it is
    digits: int = 4  # significant digits shown

    @property
    def passed(self) -> bool:
        return self.lower <= self.value <= self.upper

    @property
    def deviation(self) -> float:
        return (self.value - self.reference) / self.reference if self.reference else math.nan


def rel_check(name: str, reference: float, value: float, unit: str, rel_tol: float, basis: str,
              digits: int = 4) -> Check:
    """A check that passes within ``rel_tol`` of the reference (0 means exact to 1e-12)."""
    tol = rel_tol if rel_tol > 0 else 1e-12
    half = abs(reference) * tol
    shown = "exact" if rel_tol == 0 else f"±{_pct(rel_tol)}"
    return Check(name, reference, value, unit, reference - half, reference + half, shown, basis, digits)


def band_check(name: str, reference: float, value: float, unit: str, lower: float, upper: float, basis: str,
               digits: int = 4) -> Check:
    """A check with an asymmetric band around the reference, shown as -x / +y."""
    shown = f"−{_sig(reference - lower, 2)} / +{_sig(upper - reference, 2)} {unit}".strip()
    return Check(name, reference, value, unit, lower, upper, shown, basis, digits)


def _sig(x: float, digits: int) -> str:
    """``x`` rounded to ``digits`` significant digits, without exponent notation."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    places = digits - 1 - int(math.floor(math.log10(abs(x))))
    r = round(x, places)
    if places <= 0:
        return f"{r:,.0f}"
    return f"{r:,.{places}f}"


def _pct(frac: float) -> str:
    p = frac * 100
    return f"{_sig(p, 2)} %" if p >= 0.1 else f"{p:.2g} %"


# ------------------------------------------------------------------------------------------------
# the paper
# ------------------------------------------------------------------------------------------------
def paper_checks() -> list[Check]:
    """The paper's reported figures against pouchline's, from the shipped recipe alone."""
    from pouchline.cell import end_phase_capacity_mAh_g, jellyroll, size_cell
    from pouchline.recipe.conversions import atomic_to_weight_fractions
    from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_recipe_and_materials

    def load(*overrides: str):
        return load_recipe_and_materials(DEFAULT_RECIPE_PATH, overrides=list(overrides))

    r, m = load()
    j = jellyroll(r, m)
    cell = size_cell(r, m)
    five_c = next(row for row in cell.rate_table if row["c_rate"] == 5.0)
    j25 = jellyroll(*load("cell.electrolyte_film.thickness_um=25"))
    pouch = size_cell(*load("cell.cathode.active_loading_mg_cm2=19.8",
                            f"cell.cathode.areal_capacity_mAh_cm2={19.8 * 0.153}"))  # the step follows the design
    ev = size_cell(r, m, format="ev-300x100")
    one = size_cell(r, m, layers=1, format="ev-300x100")
    thirty = size_cell(r, m, layers=30, format="ev-300x100")
    wt = atomic_to_weight_fractions({"In": 38, "Sn": 33, "Bi": 29})
    e_frac = five_c["energy_Wh"] / cell.energy_Wh

    comp = "Liu2025 Methods: 38:33:29 at.%; hand calculation with Mendeleev2024 atomic weights; ±0.05 pt is the rounding of the stated wt%"
    checks = [
        Check("alloy In, wt% (from 38:33:29 at.%)", 30.42, 100 * wt["In"], "wt%", 30.37, 30.47, "±0.05 pt", comp),
        Check("alloy Sn, wt%", 27.32, 100 * wt["Sn"], "wt%", 27.27, 27.37, "±0.05 pt", comp),
        Check("alloy Bi, wt%", 42.26, 100 * wt["Bi"], "wt%", 42.21, 42.31, "±0.05 pt", comp),
        rel_check("jellyroll specific energy, 0.2 C", 278.4, j.specific_energy_Wh_kg, "Wh/kg", 0.03,
                  "Liu2025 Results (Practical application in full-cells); ±3 %: the jellyroll masses "
                  "(Supplementary Table 2) are reconstructed, not given"),
        rel_check("jellyroll energy density, 0.2 C", 919.5, j.energy_density_Wh_L, "Wh/L", 0.10,
                  "Liu2025 Results; ±10 %: no layer thickness but the film's is given; the dense cathode "
                  "(no porosity) gives the thickness"),
        rel_check("jellyroll specific energy, 25 µm film", 297.2, j25.specific_energy_Wh_kg, "Wh/kg", 0.03,
                  "Liu2025 Results; ±3 % as above"),
        rel_check("jellyroll energy density, 25 µm film", 1053.7, j25.energy_density_Wh_L, "Wh/L", 0.10,
                  "Liu2025 Results; ±10 % as above", digits=5),
        rel_check("jellyroll specific energy after a 9.5-min (5 C) charge", 203.1,
                  five_c["jellyroll_specific_energy_Wh_kg"], "Wh/kg", 0.02,
                  "Liu2025 Results, Fig. 6b (73.6 % retained); ±2 %: the voltage-ratio slope is fitted to this "
                  "point, so the check is of the arithmetic"),
        rel_check("jellyroll energy density after a 9.5-min (5 C) charge", 670.6,
                  j.energy_density_Wh_L * e_frac, "Wh/L", 0.10,
                  "Liu2025 Results; ±10 % as for the 0.2 C energy density"),
        rel_check("jellyroll specific power at 6 C", 1545.3, j.specific_power_W_kg, "W/kg", 0.05,
                  "Liu2025 Results; ±5 %: reproduced on the 1 C = 145 mAh/g current at 3.62 V "
                  "(docs/model.md#specific-power-at-6-c)", digits=5),
        rel_check("jellyroll power density at 6 C", 5103.8, j.power_density_W_L, "W/L", 0.10,
                  "Liu2025 Results; ±10 % as for the energy density", digits=5),
        rel_check("single-layer pouch capacity (19.8 mg/cm² LCO)", 53.0, pouch.capacity_Ah * 1000, "mAh", 0.03,
                  "Liu2025 Fig. 6d; checks the 35 × 50 mm footprint and layer arithmetic: the 153 mAh/g it "
                  "uses is itself 53 mAh / (17.5 cm² × 19.8 mg/cm²); ±3 %"),
        rel_check("stack force, 35 × 50 mm at 30 MPa", 52.5, cell.stack_force_kN, "kN", 0.0,
                  "F = p × A, 30 MPa (Liu2025 Methods) × 17.5 cm²; exact"),
        rel_check("stack force, 10 × 30 cm at 30 MPa", 900.0, ev.stack_force_kN, "kN", 0.0,
                  "30 MPa × 300 cm²; exact"),
        rel_check("alloy capacity from its end phases (Li3Bi + Li13In3 + Li22Sn5)", 724.0,
                  end_phase_capacity_mAh_g({"In": 38, "Sn": 33, "Bi": 29}), "mAh/g", 0.03,
                  "Liu2025 Results: ~724 mAh/g; ±3 %: the deepest end phases overestimate (with Li17Sn4 "
                  f"{end_phase_capacity_mAh_g({'In': 38, 'Sn': 33, 'Bi': 29}, {'Sn': 'Li17Sn4'}):.1f}); "
                  "pouchline uses the stated 724 (docs/model.md#alloy-capacity-724-mahg-and-the-end-phases)"),
        rel_check("electrolyte film loading, 41.5 µm at 1.64 g/cm³", 7.1, sum(j.electrolyte_film_mg_cm2.values()),
                  "mg/cm²", 0.05, "Liu2025 Methods: rolled to ~7.1 mg/cm²; ±5 % for the '~'"),
        rel_check("30 layers hold 30 × one layer's capacity", 30 * one.capacity_Ah, thirty.capacity_Ah, "Ah", 0.0,
                  "conservation: N layers = N × one layer; exact"),
    ]
    return checks


# ------------------------------------------------------------------------------------------------
# the line simulation
# ------------------------------------------------------------------------------------------------
_STEPS = ["alloy_prep", "melt_cast", "quench", "anode_rolling", "anode_punching", "stacking", "sealing"]


def _line(stations: Sequence[dict], **extra: Any):
    from pouchline.line import Line

    data = {"name": "validation", "stations": [{"name": f"s{i}", "step": _STEPS[i % len(_STEPS)], **s}
                                               for i, s in enumerate(stations)]}
    data.update(extra)
    return Line.from_data(data, "validation")


def line_checks() -> list[Check]:
    """The line simulation against queueing theory (fixed seeds; the same cases as the tests)."""
    from pouchline.line import simulate

    checks: list[Check] = []

    # 1. deterministic serial lines run at the bottleneck rate r_b = min m b / t (Hopp2008 ch. 7)
    cases = [
        ("3 stations, 1-unit machines", [{"cycle_time_s": 10}, {"cycle_time_s": 20, "buffer_capacity": 100},
                                         {"cycle_time_s": 15, "buffer_capacity": 100}], 1),
        ("3 stations, a 2-machine batch oven", [
            {"cycle_time_s": 5}, {"cycle_time_s": 100, "batch_size": 5, "machines": 2, "buffer_capacity": 200},
            {"cycle_time_s": 8, "buffer_capacity": 200}], 3),
        ("3 stations, the first is slowest", [
            {"cycle_time_s": 50, "batch_size": 2, "machines": 3}, {"cycle_time_s": 60, "batch_size": 16, "machines": 2},
            {"cycle_time_s": 4}], 10),
    ]
    for label, st, lot in cases:
        res = simulate(_line(st), days=3, warmup_days=0.5, seed=1, lot_size=lot)
        rb = min(s.get("machines", 1) * s.get("batch_size", 1) * 3600 / s["cycle_time_s"] for s in st)
        checks.append(rel_check(f"deterministic line ({label}): throughput = bottleneck rate", rb,
                                res.throughput_units_per_h, "units/h", 0.01,
                                "r_b = min over stations of machines × batch / cycle time (Hopp2008 ch. 7); ±1 %: "
                                "3 days hold ≥ 13,000 units, the end effect is ≤ 2 jobs"))

    # 2. failures with large buffers: TH = r_b x MTBF / (MTBF + MTTR) (Buzacott1993 ch. 5)
    failing = [{"cycle_time_s": 20}, {"cycle_time_s": 36, "mtbf_h": 2.0, "mttr_h": 0.5, "buffer_capacity": 100000},
               {"cycle_time_s": 20, "buffer_capacity": 100000}]
    res = simulate(_line(failing), days=200, warmup_days=2, seed=11, lot_size=10)
    sd = availability_fraction_sd(2.0, 0.5, res.scheduled_hours) / 0.8
    checks.append(rel_check("unreliable bottleneck, large buffers: throughput = availability × rate", 80.0,
                            res.throughput_units_per_h, "units/h", 4 * sd,
                            "100/h × 2 / (2 + 0.5) (Buzacott1993 ch. 5); ±4 sd of the up fraction over "
                            f"{res.scheduled_hours:,.0f} h, an alternating renewal process"))
    s1 = res.station("s1")
    sd_abs = availability_fraction_sd(2.0, 0.5, res.scheduled_hours)
    checks.append(band_check("unreliable bottleneck: share of time down", 0.2, s1.down_fraction, "",
                             0.2 - 4 * sd_abs, 0.2 + 4 * sd_abs,
                             "MTTR / (MTBF + MTTR) = 0.5 / 2.5; ±4 sd of the down fraction, as above", digits=3))

    # 3. blocking with small buffers: the exact two-machine line (Gershwin1994 ch. 3)
    mu, m1, m2 = 100.0, (3.0, 1.0), (2.0, 1.0)
    loss = 1.0 / m1[0] + 1.0 / m2[0]  # at most one cycle of output per failure (see docs/validation.md)
    for buf in (25, 100):
        line = _line([{"cycle_time_s": 3600 / mu, "mtbf_h": m1[0], "mttr_h": m1[1]},
                      {"cycle_time_s": 3600 / mu, "mtbf_h": m2[0], "mttr_h": m2[1], "buffer_capacity": buf}])
        res = simulate(line, days=800, warmup_days=2, seed=3, lot_size=1)
        lo_ci, hi_ci = res.throughput_ci95_units_per_h
        half = (hi_ci - lo_ci) / 2
        p = [two_machine_line_rate(mu, *m1, *m2, buf + k) for k in (0, 1, 2)]
        checks.append(band_check(
            f"two machines, buffer of {buf} units: throughput", p[1], res.throughput_units_per_h, "units/h",
            p[0] - loss - half, p[2] + half,
            f"exact continuous-flow two-machine line (Gershwin1994 ch. 3) with N = {buf} + 1 (a blocked machine "
            f"holds one more unit); between the limits {zero_buffer_rate(mu, *m1, *m2):.1f} (no buffer) and "
            f"{large_buffer_rate(mu, *m1, *m2):.1f} (infinite); tolerance: the 95 % batch-means interval of "
            f"the run (±{half:.2f}), N ± 1, and ≤ {loss:.2f} units/h lost to discrete units (one cycle per "
            "failure at most)", digits=4))

    # 4. scrap: good ~ started x prod(1 - s_i)
    scrappy = [{"cycle_time_s": 10, "scrap_rate": 0.1}, {"cycle_time_s": 12, "scrap_rate": 0.2, "buffer_capacity": 200},
               {"cycle_time_s": 9, "batch_size": 4, "scrap_rate": 0.05, "buffer_capacity": 200}]
    res = simulate(_line(scrappy), days=5, warmup_days=0.5, seed=2, lot_size=5)
    p = 0.9 * 0.8 * 0.95
    expected = res.started_units * p
    tol = 4 * math.sqrt(res.started_units * p * (1 - p)) + abs(res.wip_end_units - res.wip_start_units)
    checks.append(band_check("scrap: good units = started × product of yields", expected, float(res.good_units),
                             "units", expected - tol, expected + tol,
                             f"{res.started_units:,} started × 0.9 × 0.8 × 0.95; each unit survives independently, "
                             "so good is binomial: ±4 sd plus the change in work in progress", digits=5))
    # delta method: the relative variance of a product of independent binomial proportions is the
    # sum of theirs, (1 - q) / (q n) with n the units processed at the station
    rel_var = 0.0
    for spec, s in zip(scrappy, res.stations):
        q = 1.0 - spec["scrap_rate"]
        rel_var += (1.0 - q) / (q * (s.good_units + s.scrapped_units))
    checks.append(rel_check("scrap: rolled throughput yield", p, res.yield_rty, "", 4 * math.sqrt(rel_var),
                            "product of the stations' good / processed; ±4 sd of that product (delta method over "
                            "the three binomial station yields)", digits=4))

    # 5. a shared zone: two 30 s stations on one glovebox port make 60/h, not 120/h
    zoned = [{"cycle_time_s": 10}, {"cycle_time_s": 30, "zone": "gb", "buffer_capacity": 50},
             {"cycle_time_s": 30, "zone": "gb", "buffer_capacity": 50}]
    res = simulate(_line(zoned, zones={"gb": {"kind": "glovebox", "capacity": 1}}), days=2, warmup_days=0.1, seed=1)
    checks.append(rel_check("shared glovebox port: throughput = port capacity", 60.0, res.throughput_units_per_h,
                            "units/h", 0.01, "each unit needs 2 × 30 s of the one port: 3600 / 60 = 60/h; ±1 % as "
                            "for the deterministic lines"))

    # 6. the calendar: rates per scheduled hour, and per calendar hour x scheduled fraction
    cal = {"hours_per_day": 8, "days_per_week": 5, "planned_maintenance_h_per_week": 4}
    res = simulate(_line([{"cycle_time_s": 10}, {"cycle_time_s": 20, "buffer_capacity": 100}], calendar=cal),
                   days=28, warmup_days=1, seed=1)
    checks.append(rel_check("one shift, 5 days, 4 h maintenance: throughput per scheduled hour", 180.0,
                            res.throughput_units_per_h, "units/h", 0.01,
                            "off-shift time is not scheduled: the line runs at r_b = 180/h while scheduled; ±1 %"))
    checks.append(rel_check("the same line per calendar hour", 180.0 * 36 / 168, res.throughput_units_per_calendar_h,
                            "units/h", 0.01, "180/h × 36 scheduled of 168 h a week; ±1 %"))
    return checks


# ------------------------------------------------------------------------------------------------
# the cost model
# ------------------------------------------------------------------------------------------------
def cost_checks() -> list[Check]:
    """The cost model against BatPaC 5.0's formulas on the same plant and cell.

    The README's main cell (10 Ah, ev-300x100) on the default plant at 1 GWh/yr (the line sized
    for that volume, mature yields): equipment capex, direct labour hours and floor area per
    GWh/yr against BatPaC 5.0's per-step formulas on the same drivers
    (:func:`pouchline.cost.batpac_comparison`). The band is the row's factor either way.
    """
    from pouchline.cell import size_cell
    from pouchline.cost import batpac_comparison
    from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_recipe_and_materials

    r, m = load_recipe_and_materials(DEFAULT_RECIPE_PATH)
    cell = size_cell(r, m, capacity_Ah=10, format="ev-300x100")
    out = []
    for row in batpac_comparison(r, m, cell, annual_MWh=1000.0):
        factor = float(str(row["tolerance"]).split("x")[1].split()[0])
        b = float(row["batpac"])
        c = band_check(str(row["quantity"]), b, float(row["pouchline"]), str(row["unit"]), b / factor, b * factor,
                       f"BatPaC5 formulas on the same drivers ({row['source']}); {row['tolerance']}: "
                       "BatPaC has no solvent-free or sulfide steps, so its steps are mapped to pouchline's", 3)
        out.append(Check(c.name, c.reference, c.value, c.unit, c.lower, c.upper, f"x{factor:g} either way",
                         c.basis, c.digits))
    return out


# ------------------------------------------------------------------------------------------------
# the document
# ------------------------------------------------------------------------------------------------
def _row(i: int, c: Check) -> str:
    dev = c.deviation
    dev_txt = "—" if not math.isfinite(dev) else ("0.00 %" if abs(dev) < 5e-5 else f"{dev * 100:+.2f} %")
    unit = f" {c.unit}" if c.unit else ""
    return (f"| {i} | {c.name} | {_sig(c.reference, c.digits)}{unit} | {_sig(c.value, c.digits)}{unit} | {dev_txt} | "
            f"{c.tolerance} | {'pass' if c.passed else '**FAIL**'} | {c.basis} |")


_HEADER = ("| # | check | reference | pouchline | deviation | tolerance | result | reference and tolerance |\n"
           "|---|---|---|---|---|---|---|---|")



def render(paper_rows: Sequence[Check], line_rows: Sequence[Check], cost_rows: Sequence[Check]) -> str:
    """The Markdown text of ``docs/validation.md``."""
    paper, line, cost = paper_rows, line_rows, cost_rows
    allc = list(paper) + list(line) + list(cost)
    n_pass = sum(c.passed for c in allc)
    n_fail = len(allc) - n_pass
    parts = [
        "# Validation report",
        "",
        "<!-- Generated by `python -m pouchline.validation` (or `pouchline validate-model`). Do not edit: "
        "tests/test_validation_report.py regenerates this file and fails when it differs. -->",
        "",
        "pouchline's figures against the paper they come from (Liu2025), against exact results of queueing "
        "theory, and against BatPaC 5.0's cost formulas. Every row says where its reference comes from and why its "
        "tolerance is what it is; the bibliography ids are in [sources.md](sources.md), the equations in "
        "[model.md](model.md). Inputs: the shipped `recipes/insnbi-lco-pouch.yaml` and `recipes/materials.yaml`; "
        "the simulations use fixed seeds.",
        "",
        f"**{len(allc)} checks: {n_pass} pass, {n_fail} fail.**",
        "",
        "## 1. The paper's figures",
        "",
        "The cell is the recipe's single layer (LCO 21.0 mg/cm², 41.5 µm film, N/P 1.3 on a 185 mAh/g first "
        "charge, 3.44 V); the jellyroll is the paper's accounting (cathode composite, electrolyte film and alloy; "
        "no foils or package).",
        "",
        _HEADER,
    ]
    parts += [_row(i, c) for i, c in enumerate(paper, start=1)]
    parts += [
        "",
        "## 2. The line simulation against queueing theory",
        "",
        "Small synthetic lines whose throughput theory gives exactly, simulated by the same code as the "
        "shipped lines (`pouchline.line.simulate`). A unit is one cell's worth of a step's output. The "
        "two-machine rows compare a discrete simulation (whole units, one cycle per unit) with the "
        "continuous-flow model: a starved or blocked machine restarts one cycle later than fluid would, "
        "so the simulation may fall short by at most one unit per failure.",
        "",
        _HEADER,
    ]
    parts += [_row(i, c) for i, c in enumerate(line, start=len(paper) + 1)]
    parts += [
        "",
        "## 3. The cost model against BatPaC 5.0",
        "",
        "The README's main cell (10 Ah, ev-300x100, 10 layers) on the plant sized for 1 GWh/yr (production "
        "machines, mature yields), per GWh/yr, against BatPaC 5.0's per-step capital, labour and floor formulas "
        "(baseline rate x (driver / baseline driver)^exponent) evaluated on the same drivers (kWh/yr, cathode "
        "kg/yr, electrode m²/yr, cells/yr). BatPaC describes a wet-coated Li-ion plant: its steps are mapped to "
        "pouchline's solvent-free, sulfide ones, so agreement within a factor is what this row can claim "
        "(`pouchline.cost.batpac`).",
        "",
        _HEADER,
    ]
    parts += [_row(i, c) for i, c in enumerate(cost, start=len(paper) + len(line) + 1)]
    parts.append("")
    return "\n".join(parts)


def build_report() -> str:
    """Run every comparison and return the report's text."""
    return render(paper_checks(), line_checks(), cost_checks())


def all_checks_pass(text: str) -> bool:
    return "**FAIL**" not in text


__all__ = ["Check", "REPORT_PATH", "all_checks_pass", "band_check", "build_report", "cost_checks",
           "line_checks", "paper_checks", "rel_check", "render"]
