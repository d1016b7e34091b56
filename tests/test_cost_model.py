"""The cost model: hand-calculated costs, conservation of the totals, scrap and price laws."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_cost_support import (
    ALLOY_WT,
    DEFAULT_RECIPE,
    SMALL_STEPS,
    SMALL_YIELDS,
    small_cell,
    small_recipe,
    zero_process_overrides,
)

from pathlib import Path

from pouchline.cost import CATEGORIES, CostRates, cost_cell, load_rates, start_factors
from pouchline.cost.rates import DEFAULT_RATES_PATH

ROOT = Path(__file__).resolve().parents[1]


# The default plant is the line pouchline sizes; its web machines buy trim as material (area_factor). The
# hand calculations of materials use lab machines (plates and batches, no web trim) so they hold as written.
LAB = "lab"


@pytest.fixture(scope="module")
def rates():
    return CostRates()


@pytest.fixture(scope="module")
def small():
    return small_recipe()


# ------------------------------------------------------------------------------------------------
# hand calculations on the four-step recipe
# ------------------------------------------------------------------------------------------------
def test_start_factors_loss_rate_form(small):
    recipe, _ = small
    # F_k = 1 / prod_{j >= k} (1 - s_j) with yields 0.9, 0.8, 1.0, 0.5
    f = start_factors(recipe, SMALL_YIELDS, "serial")
    assert f["alloy_prep"] == pytest.approx(1 / (0.9 * 0.8 * 1.0 * 0.5))
    assert f["melt_cast"] == pytest.approx(1 / (0.8 * 1.0 * 0.5))
    assert f["cathode_mixing"] == pytest.approx(1 / 0.5)
    assert f["sealing"] == pytest.approx(2.0)


def test_material_cost_by_hand(small, rates):
    recipe, materials = small
    res = cost_cell(recipe, materials, small_cell(), rates=rates, step_yields=SMALL_YIELDS, machine_class=LAB)
    # Base prices (recipes/materials.yaml): In 350, Sn 31, Bi 30, Cu 13.5, LCO 21 USD/kg; pouch 3.5 USD/m2;
    # tab 0.15 USD/each. The alloy is priced from its feedstock (30.42/27.32/42.26 wt%), bought at alloy_prep.
    alloy = (0.3042 * 0.350 + 0.2732 * 0.031 + 0.4226 * 0.030) / 0.36      # 1 g alloy, F = 1/0.36
    cu = 2.0 * 0.0135 * 2.5                                                # 2 g, F = 2.5
    lco = 10.0 * 0.021 * 2.0                                               # 10 g, F = 2
    pouch = 1.0 * 3.5 * 2.0                                                # 1 m2 (203.4 g), F = 2
    tab = 1.0 * 0.15 * 2.0                                                 # one tab, F = 2
    assert res.material_cost_per_cell_usd == pytest.approx(alloy + cu + lco + pouch + tab, rel=1e-12)
    assert res.materials_usd_per_cell["indium"] == pytest.approx(0.3042 * 0.350 / 0.36, rel=1e-12)
    assert res.materials_usd_per_cell["pouch_film"] == pytest.approx(7.0, rel=1e-12)
    assert "insnbi" not in res.materials_usd_per_cell  # the alloy is not bought: its feedstock is
    assert res.material_cost_per_kWh_usd == pytest.approx(res.material_cost_per_cell_usd / 0.010)


PILOT = {"alloy_prep": "alloy_furnace_pilot", "melt_cast": "caster_pilot", "cathode_mixing": "cathode_mixer_pilot",
         "sealing": "sealer_pilot"}


def test_process_cost_by_hand(small, rates):
    recipe, materials = small
    ov = zero_process_overrides(rates)
    ov.update({
        "labour_rate_usd_h": 10.0, "operators_per_station_shift": 1.0, "depreciation_life_yr": 7.0,
        "glovebox_kW_per_station": 2.0, "electricity_usd_kWh": 0.1, "overhead_frac_of_labour": 0.5,
        "building_area_factor": 2.0, "building_usd_m2_yr": 100.0, "maintenance_frac_of_capex_yr": 0.05,
        "glovebox_gas_usd_per_station_yr": 7920.0,
    })
    for mid in PILOT.values():  # the pilot machines of recipes/equipment.yaml, at their own capacity
        ov[f"equipment.{mid}.capex_usd"] = 13_860.0
        ov[f"equipment.{mid}.power_kW"] = 0.0
    # 0.0792 MWh/yr of 10 Wh cells = 7,920 cells/yr; the sized plant's calendar works 24 h on 330 days a year,
    # taken as 16.1 h of planned maintenance a week: (168 - 16.1) x 365 / 7 = 7,920.5 h
    res = cost_cell(recipe, materials, small_cell(10.0), rates=rates, step_yields=SMALL_YIELDS,
                    rate_overrides=ov, annual_volume_MWh=0.0792, machine_class="pilot")
    sched = (168 - 16.1) * 365 / 7
    assert res.scheduled_h_per_year == pytest.approx(sched)
    assert res.annual_good_cells == pytest.approx(7920.0)
    assert [s.machines for s in res.stations] == [1, 1, 1, 1]
    assert [s.machine_id for s in res.stations] == list(PILOT.values())
    # every machine works at its catalogue rate, so capex, crew and footprint are the entry's (ratio 1)
    assert [s.capacity_ratio for s in res.stations] == pytest.approx([1.0] * 4)
    lines = {p.item: p.usd_per_cell for p in res.process_lines}
    # operators (equipment.yaml, pilot): 0.5 (furnace) + 1.0 (caster) + 0.5 (mixer) + 0.5 (sealer) = 2.5 per shift
    assert lines["direct labour"] == pytest.approx(2.5 * sched * 10 / 7920)
    # 4 x 13,860 USD over 7 years = 7,920 USD/yr
    assert lines["equipment (incl. gloveboxes, dry room)"] == pytest.approx(1.0)
    # mixing and sealing are in the Ar glovebox (alloying is in a furnace under Ar flow):
    # 2 x 2 kW x 8,760 h x 0.1 USD/kWh
    assert lines["glovebox conditioning"] == pytest.approx(2 * 2 * 8760 * 0.1 / 7920)
    # melting: (0.185 J/gK x 280 K + 47 J/g) at 300 degC for 1 g x F 1/0.36, (0.185 x 68 + 47) at 88 degC x 2.5
    melt_kWh = ((0.185 * 280 + 47) / 0.36 + (0.185 * 68 + 47) * 2.5) / 3.6e6
    assert lines["melting the alloy"] == pytest.approx(melt_kWh * 0.1)
    assert lines["indirect staff and administration"] == pytest.approx(0.5 * 2.5 * sched * 10 / 7920)
    # footprints (equipment.yaml, pilot) 6 + 15 + 4 + 6 m2 x 2 x 100 USD/(m2 yr)
    assert lines["production floor"] == pytest.approx(31 * 2 * 100 / 7920)
    assert lines["maintenance and spares"] == pytest.approx(0.05 * 4 * 13_860 / 7920)
    assert lines["glovebox gases"] == pytest.approx(2.0)
    assert lines["stations (drives, heaters, chillers)"] == 0.0
    assert res.breakdown_usd_per_cell["labour"] == pytest.approx(2.5 * sched * 10 / 7920)


def test_totals_equal_the_sum_of_lines(small, rates):
    recipe, materials = small
    res = cost_cell(recipe, materials, small_cell(), rates=rates, step_yields=SMALL_YIELDS)
    assert set(res.breakdown_usd_per_cell) == set(CATEGORIES)
    assert res.cost_per_cell_usd == pytest.approx(sum(res.breakdown_usd_per_cell.values()), rel=1e-12)
    assert res.cost_per_cell_usd == pytest.approx(
        res.material_cost_per_cell_usd + sum(p.usd_per_cell for p in res.process_lines), rel=1e-12)
    assert res.material_cost_per_cell_usd == pytest.approx(sum(res.materials_usd_per_cell.values()), rel=1e-12)
    assert res.material_cost_per_cell_usd == pytest.approx(sum(res.components_usd_per_cell.values()), rel=1e-12)
    assert res.cost_per_kWh_usd == pytest.approx(res.cost_per_cell_usd / (res.energy_Wh / 1000))
    d = res.to_dict()
    for key in ("cost_per_cell_usd", "cost_per_kWh_usd", "material_cost_per_kWh_usd", "breakdown_usd_per_cell",
                "materials_usd_per_cell"):
        assert key in d


def test_branch_convention_charges_less_scrap(small, rates):
    recipe, materials = small
    y = {**SMALL_YIELDS, "cathode_mixing": 0.8}
    serial = cost_cell(recipe, materials, small_cell(), rates=rates, step_yields=y, convention="serial")
    branch = cost_cell(recipe, materials, small_cell(), rates=rates, step_yields=y, convention="branch")
    # the anode branch does not pay for cathode scrap: F(alloy_prep) = 1/(0.9 x 0.8 x 0.5), not x 0.8 more
    assert branch.start_factors["alloy_prep"] == pytest.approx(1 / (0.9 * 0.8 * 0.5))
    assert serial.start_factors["alloy_prep"] == pytest.approx(1 / (0.9 * 0.8 * 0.8 * 0.5))
    assert branch.material_cost_per_cell_usd < serial.material_cost_per_cell_usd


def test_fixture_is_optional_and_reported(small, rates):
    recipe, materials = small
    without = cost_cell(recipe, materials, small_cell(), rates=rates, step_yields=SMALL_YIELDS, machine_class=LAB)
    with_ = cost_cell(recipe, materials, small_cell(), rates=rates, step_yields=SMALL_YIELDS, machine_class=LAB,
                      include_fixture=True)
    # 500 g of steel at 4 USD/kg; the four-step recipe has no clamping step, so it is costed at the first
    # step (F = 1/0.36): 2.0 / 0.36 USD per good cell
    assert with_.fixture_cost_per_cell_usd == pytest.approx(0.5 * 4.0 / 0.36)
    assert without.fixture_cost_per_cell_usd == pytest.approx(with_.fixture_cost_per_cell_usd)
    assert with_.material_cost_per_cell_usd - without.material_cost_per_cell_usd == pytest.approx(
        with_.fixture_cost_per_cell_usd)
    assert "fixture_steel" not in without.materials_usd_per_cell


# ------------------------------------------------------------------------------------------------
# laws
# ------------------------------------------------------------------------------------------------
_yield = st.floats(min_value=0.5, max_value=1.0)
_extra = st.floats(min_value=0.0, max_value=0.3)


@settings(max_examples=60, deadline=None)
@given(st.tuples(*[_yield] * 4), st.tuples(*[_extra] * 4), st.sampled_from(["serial", "branch"]))
def test_higher_scrap_never_lowers_cost(yields, extra, convention):
    """Monotonicity: more scrap at any step (lower yield) never makes a good cell cheaper."""
    recipe, materials = _SMALL
    y1 = dict(zip(SMALL_STEPS, yields))
    y2 = {k: max(0.2, v - e) for (k, v), e in zip(y1.items(), extra)}
    a = cost_cell(recipe, materials, small_cell(), rates=_RATES, step_yields=y1, convention=convention)
    b = cost_cell(recipe, materials, small_cell(), rates=_RATES, step_yields=y2, convention=convention)
    assert b.material_cost_per_cell_usd >= a.material_cost_per_cell_usd - 1e-12
    assert b.cost_per_cell_usd >= a.cost_per_cell_usd - 1e-9


@settings(max_examples=30, deadline=None)
@given(st.tuples(*[st.floats(min_value=0.0, max_value=0.4)] * 4), st.integers(min_value=0, max_value=3),
       st.floats(min_value=0.01, max_value=0.3))
def test_higher_line_scrap_never_lowers_cost(scrap, where, more):
    """With a line: a station's higher scrap rate lowers the bottleneck's good output and raises the cost."""
    recipe, materials = _SMALL
    s2 = list(scrap)
    s2[where] = min(0.9, s2[where] + more)
    a = cost_cell(recipe, materials, small_cell(), rates=_RATES, line=_small_line(scrap))
    b = cost_cell(recipe, materials, small_cell(), rates=_RATES, line=_small_line(s2))
    assert b.cost_per_cell_usd >= a.cost_per_cell_usd - 1e-9
    assert b.annual_good_cells <= a.annual_good_cells + 1e-6


_SMALL = small_recipe()
_RATES = CostRates()


def _small_line(scrap):
    from pouchline.line import Line

    stations = [
        {"name": "furnace", "step": "alloy_prep", "cycle_time_s": 3600, "batch_size": 200, "scrap_rate": scrap[0]},
        {"name": "caster", "step": "melt_cast", "cycle_time_s": 30, "scrap_rate": scrap[1], "machines": 2},
        {"name": "mixer", "step": "cathode_mixing", "cycle_time_s": 600, "batch_size": 50, "scrap_rate": scrap[2]},
        {"name": "sealer", "step": "sealing", "cycle_time_s": 20, "scrap_rate": scrap[3]},
    ]
    return Line.from_data({"name": "small", "calendar": {"hours_per_day": 16, "days_per_week": 5}, "stations": stations})


def test_line_costs_its_stations(small, rates):
    recipe, materials = small
    line = _small_line([0.01, 0.02, 0.0, 0.05])
    res = cost_cell(recipe, materials, small_cell(), rates=rates, line=line)
    assert res.plant_mode == "line" and res.line_name == "small"
    assert res.step_yields["sealing"] == pytest.approx(0.95)
    assert [s.machines for s in res.stations] == [1, 2, 1, 1]
    # capacities (units/h in): furnace 200, caster 2 x 120, mixer 300, sealer 180. Good cells/h if each were
    # the only limit = capacity / F: the sealer gives 180 x 0.95 = 171; the furnace 200 x 0.99 x 0.98 x 0.95
    # = 184.3. Scheduled hours: 16 h x 5 d x 365/7 weeks.
    sched = 16 * 5 * 365 / 7
    assert res.scheduled_h_per_year == pytest.approx(sched)
    assert res.annual_good_cells == pytest.approx(180 * 0.95 * sched)
    # The caster has no equipment: entry, so it is costed as the catalogue's melt_cast machine nearest in capacity:
    # 120 units/h x 0.01 m2 x 1.15 web trim = 1.38 m2/h, nearest (in log) to the pilot caster's 24 m2/h (the lab
    # caster makes 0.06 m2/h). Capex scales with capacity^0.6 (equipment.yaml scaling): 2 x 200,000 x (1.38/24)^0.6
    from pouchline.equipment import default_catalogue

    caster = next(s for s in res.stations if s.name == "caster")
    assert caster.machine_id == "caster_pilot" and caster.entry_chosen == "nearest in capacity"
    assert caster.capex_usd == pytest.approx(2 * 200_000 * (1.38 / 24) ** 0.6)
    assert default_catalogue().machines["caster_pilot"].capex_usd.base == 200_000


def test_simulated_kpis_set_yields_and_volume(small, rates):
    recipe, materials = small
    kpis = {"good_units_per_year": 123_456.0, "yield_per_step": {"sealing": 0.9},
            "stations": [{"name": "sealer", "utilization": 0.5}]}
    res = cost_cell(recipe, materials, small_cell(), rates=rates, line=_small_line([0, 0, 0, 0.05]), line_kpis=kpis)
    assert res.annual_good_cells == 123_456.0
    assert res.step_yields["sealing"] == 0.9  # measured wins over the line's planned 0.95
    assert next(s for s in res.stations if s.name == "sealer").utilization == 0.5


def test_price_scenarios_are_ordered(small, rates):
    recipe, materials = small
    c = [cost_cell(recipe, materials, small_cell(), rates=rates, prices=p, step_yields=SMALL_YIELDS)
         for p in ("low", "base", "high")]
    assert c[0].material_cost_per_cell_usd <= c[1].material_cost_per_cell_usd <= c[2].material_cost_per_cell_usd
    # the process rates stay at base
    assert c[0].cost_per_cell_usd - c[0].material_cost_per_cell_usd == pytest.approx(
        c[2].cost_per_cell_usd - c[2].material_cost_per_cell_usd)


def test_indium_price_drives_the_alloy_not_the_library_alloy_price(rates):
    base_r, base_m = small_recipe()
    r_in, m_in = small_recipe(["materials.indium.price.base.value=500"])
    r_al, m_al = small_recipe(["materials.insnbi.price.base.value=300"])
    cell = small_cell()
    a = cost_cell(base_r, base_m, cell, rates=rates, step_yields=SMALL_YIELDS, machine_class=LAB)
    b = cost_cell(r_in, m_in, cell, rates=rates, step_yields=SMALL_YIELDS, machine_class=LAB)
    c = cost_cell(r_al, m_al, cell, rates=rates, step_yields=SMALL_YIELDS, machine_class=LAB)
    # +150 USD/kg on 0.3042 g of In per g of alloy, bought at alloy_prep (F = 1/0.36)
    assert b.material_cost_per_cell_usd - a.material_cost_per_cell_usd == pytest.approx(0.150 * 0.3042 / 0.36)
    assert c.material_cost_per_cell_usd == pytest.approx(a.material_cost_per_cell_usd)
    alloy = a.alloys[0]
    assert alloy.alloy_id == "insnbi"
    assert alloy.weight_fractions == pytest.approx(ALLOY_WT, abs=1e-4)
    # the library's derived alloy price (127.6 USD/kg) is the feedstock price at base (recipes/materials.yaml prices)
    assert alloy.feedstock_price_usd_kg == pytest.approx(127.6, abs=0.1)


def test_shipped_rates_file_equals_the_defaults():
    assert load_rates(DEFAULT_RATES_PATH) == CostRates()
    for name, rate in CostRates().flat().items():
        assert rate.source.split(":")[0] in ("paper", "derived", "estimate", "sourced", "assumed"), name


def test_rates_file_errors_name_the_field(tmp_path):
    from pouchline.errors import InputError

    bad = tmp_path / "rates.yaml"
    bad.write_text("rates:\n  labour_rate_usd_h: {low: 50, base: 35, high: 60, unit: USD/h, source: 'estimate: x'}\n")
    with pytest.raises(InputError) as exc:
        load_rates(bad)
    assert "rates.labour_rate_usd_h" in str(exc.value) and "low <= base <= high" in str(exc.value)


# ------------------------------------------------------------------------------------------------
# the real cell
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def paper():
    from pouchline.cell import size_cell
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(DEFAULT_RECIPE)
    return recipe, materials, size_cell(recipe, materials), size_cell(recipe, materials, capacity_Ah=10,
                                                                      format="ev-300x100")


def test_jellyroll_materials_match_process_data_b5(paper, rates):
    # derived (recipes/materials.yaml base prices): jellyroll materials about 345 USD/kWh at base prices (Li6PS5Cl ~230, In ~60)
    recipe, materials, single, big = paper
    for cell in (single, big):
        res = cost_cell(recipe, materials, cell, rates=rates)
        assert res.jellyroll_material_cost_per_kWh_usd == pytest.approx(345, rel=0.05)
        assert res.material_cost_per_kWh_usd > res.jellyroll_material_cost_per_kWh_usd  # scrap, foils, package


def test_every_gram_of_the_cell_is_costed(paper, rates):
    recipe, materials, single, _ = paper
    res = cost_cell(recipe, materials, single, rates=rates, step_yields={s.id: 1.0 for s in recipe.steps})
    bought: dict[str, float] = {}
    for ln in res.material_lines:
        key = ln.via or ln.material_id
        bought[key] = bought.get(key, 0.0) + ln.g_per_cell
    for mid, g in single.materials_g.items():
        assert bought[mid] == pytest.approx(g, rel=1e-9), mid


def test_per_kWh_falls_with_a_bigger_cell(paper, rates):
    recipe, materials, single, big = paper
    a = cost_cell(recipe, materials, single, rates=rates)
    b = cost_cell(recipe, materials, big, rates=rates)
    assert b.cost_per_kWh_usd < a.cost_per_kWh_usd
    assert math.isfinite(b.cost_per_kWh_usd) and b.cost_per_cell_usd > a.cost_per_cell_usd


def test_web_trim_is_bought_within_its_branch_and_does_not_compound(paper, rates):
    # gwh-line: alloy web 1.15 at cast, quench and rolling (one web: x1.15, not 1.15**3);
    # SE film calender 1.2; cathode calender 1.1; assembly steps (pouch, tabs) untrimmed.
    from pouchline.cost.model import trim_multipliers, web_trim_factors
    from pouchline.line import load_line

    recipe, materials, _single, big = paper
    line = load_line(ROOT / "recipes" / "lines" / "gwh-line.yaml")
    tm = trim_multipliers(recipe, web_trim_factors(line))
    assert tm["melt_cast"] == pytest.approx(1.15) and tm["anode_rolling"] == pytest.approx(1.15)
    assert tm["se_film_mixing"] == pytest.approx(1.2) and tm["cathode_mixing"] == pytest.approx(1.1)
    assert tm["alloy_prep"] == pytest.approx(1.15)
    assert tm["sealing"] == 1.0 and tm["stacking"] == 1.0
    with_trim = cost_cell(recipe, materials, big, rates=rates, line=line)
    untrimmed = line.model_copy(update={"stations": [st.model_copy(update={"area_factor": 1.0})
                                                     for st in line.stations]})
    without = cost_cell(recipe, materials, big, rates=rates, line=untrimmed)
    film = sum(ln.cost_usd_per_cell for ln in with_trim.material_lines if ln.component == "electrolyte_film")
    film0 = sum(ln.cost_usd_per_cell for ln in without.material_lines if ln.component == "electrolyte_film")
    assert film == pytest.approx(1.2 * film0, rel=1e-9)
    pouch = [ln.cost_usd_per_cell for ln in with_trim.material_lines if ln.material_id == "pouch_film"]
    pouch0 = [ln.cost_usd_per_cell for ln in without.material_lines if ln.material_id == "pouch_film"]
    assert pouch == pytest.approx(pouch0)
    assert any("web trim" in a.text for a in with_trim.assumptions)
