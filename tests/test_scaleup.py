"""The scale-up table: each row is `size` and `cost` at its target, process $/kWh falls with volume,
the supply share is the demand module's, bad targets are refused, and the CLI writes its files."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from test_cost_support import DEFAULT_RECIPE

from pouchline.errors import InputError

TARGETS = [0.01, 0.1, 1.0, 10.0]
# Shorter runs than the sizing defaults (30 days x 5 after 7, pouchline.line.defaults) keep the module short
# (the 10 GWh/yr plant of ~4,600 machines dominates); three replications, because with two the Student t factor of the 95 % interval (12.7) makes the
# sizing add machines at random.
RUN = dict(days=10.0, warmup_days=4.0, replications=3, seed=3)


@pytest.fixture(scope="module")
def cell10(recipe, materials):
    from pouchline.cell import size_cell

    return size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")


@pytest.fixture(scope="module")
def table(recipe, materials, cell10):
    from pouchline.plant.scaleup import scale_up

    return scale_up(recipe, materials, cell10, TARGETS, **RUN)


# -- issue 13 Done-when: process $/kWh falls with volume -------------------------------------------------
def test_process_cost_per_kWh_falls_with_volume(table):
    rows = table.rows
    assert [r["target_GWh_per_yr"] for r in rows] == TARGETS
    assert all(r["met"] for r in rows)
    proc = [r["process_cost_per_kWh_usd"] for r in rows]
    # strictly falls from 0.01 to 10 GWh/yr: larger machines (auto class), capex x capacity^0.6 and crews
    # x capacity^0.2 (recipes/equipment.yaml scaling) spread over more cells
    assert all(a > b for a, b in zip(proc, proc[1:])), proc
    cap = [r["capex_per_GWh_usd"] for r in rows]
    assert cap[0] > cap[1] > cap[2]  # capex per GWh/yr falls too (the last decade: within a top-up machine)
    for r in rows:  # the split adds up
        assert r["cost_per_kWh_usd"] == pytest.approx(r["material_cost_per_kWh_usd"] + r["process_cost_per_kWh_usd"])
        assert r["material_share_frac"] == pytest.approx(r["material_cost_per_kWh_usd"] / r["cost_per_kWh_usd"])
    # auto picks pilot machines where a production one would idle, production machines at scale
    # 17 steps: the paper's 16 and the end-of-line test (its testers are in recipes/equipment.yaml)
    assert "pilot" in rows[0]["machine_classes"] and rows[-1]["machine_classes"] == "production 17"


# -- issue 13 Done-when: every row agrees with `size` and `cost` run alone on that target ------------------
def test_a_row_is_size_plant_alone_on_that_target(table, recipe, materials, cell10):
    from pouchline.plant import size_plant
    from pouchline.plant.scaleup import scale_up_row

    i = TARGETS.index(0.1)
    alone = size_plant(recipe, materials, cell10, target_GWh_per_yr=0.1, **RUN)
    assert scale_up_row(alone, table.demands[i]) == table.rows[i]  # every figure, bit for bit
    assert alone.row() == table.sizings[i].row()


def test_a_row_equals_the_size_and_cost_commands(table, tmp_path, capsys):
    from pouchline.cli import main

    row = table.rows[TARGETS.index(0.1)]
    opts = ["--capacity-Ah", "10", "--format", "ev-300x100", "--days", f"{RUN['days']:g}", "--warmup-days",
            f"{RUN['warmup_days']:g}", "--replications", f"{RUN['replications']}", "--seed", f"{RUN['seed']}"]
    assert main(["size", str(DEFAULT_RECIPE), "--target-GWh", "0.1", *opts, "--json"]) == 0
    size = json.loads(capsys.readouterr().out)
    assert main(["cost", str(DEFAULT_RECIPE), "--annual-MWh", "100", "--simulate", *opts, "--json"]) == 0
    cost = json.loads(capsys.readouterr().out)
    for key in ("cells_per_yr", "MWh_per_yr", "MWh_per_yr_lower95", "machines", "equipment_capex_usd", "floor_m2",
                "dry_room_m2", "operators_per_shift", "electricity_MWh_per_yr", "cost_per_cell_usd",
                "cost_per_kWh_usd", "material_cost_per_kWh_usd", "process_cost_per_kWh_usd", "bottleneck"):
        if isinstance(row[key], float):
            assert size[key] == pytest.approx(row[key], rel=1e-12), key
        else:
            assert size[key] == row[key], key
    plant = cost["plant"]
    same = {"cost_per_cell_usd": cost["cost_per_cell_usd"], "cost_per_kWh_usd": cost["cost_per_kWh_usd"],
            "material_cost_per_kWh_usd": cost["material_cost_per_kWh_usd"],
            "process_cost_per_kWh_usd": cost["process_cost_per_kWh_usd"], "cells_per_yr": plant["annual_good_cells"],
            "equipment_capex_usd": plant["equipment_capex_usd"], "operators_per_shift": plant["operators_per_shift"],
            "floor_m2": plant["floor_m2"], "dry_room_m2": plant["dry_room_m2"],
            "electricity_MWh_per_yr": plant["electricity_MWh_per_yr"]}
    for key, value in same.items():
        assert value == pytest.approx(row[key], rel=1e-12), key
    assert "simulation" in plant["volume_basis"]


def test_a_row_agrees_with_cost_on_paper(table, recipe, materials, cell10):
    # `pouchline cost --annual-MWh X` without --simulate costs the same design before simulation, at the
    # target: the same machine entry at every station, the sized plant only adds the machines its
    # iterations say; a machine costs the same in both (capex x (capacity / reference)^0.6 per machine).
    from pouchline.cost import cost_cell, load_rates

    rates = load_rates()
    for s in table.sizings:
        paper = cost_cell(recipe, materials, cell10, rates=rates, annual_volume_MWh=s.target_GWh_per_yr * 1000)
        assert "requested volume" in paper.volume_basis
        added = 0
        for a, b in zip(s.stations, paper.stations):
            assert (a.station, a.machine_id) == (b.name, b.machine_id)
            assert a.machines >= b.machines and a.machines_on_paper == b.machines
            assert a.capex_usd / a.machines == pytest.approx(b.capex_usd / b.machines, rel=1e-9)
            added += a.machines - b.machines
        assert added == len(s.iterations) - 1  # one machine per iteration after the first simulation
        if added == 0:
            # the same plant: costed on paper with the yields the simulation measured (scrap and sheets past the dry
            # room's exposure limit), its materials per good cell are the sized plant's exactly, and its annual
            # process cost too but for formation energy (per good cell); per kWh the paper plant spreads it over
            # the target, the sized one over its simulated output
            same = cost_cell(recipe, materials, cell10, rates=rates, annual_volume_MWh=s.target_GWh_per_yr * 1000,
                             step_yields=s.experiment.yield_per_step)
            assert s.material_cost_per_cell_usd == pytest.approx(same.material_cost_per_cell_usd, rel=1e-9)
            assert s.fixtures == same.fixtures_in_circulation == paper.fixtures_in_circulation
            assert s.process_cost_per_cell_usd * s.cells_per_yr == pytest.approx(
                same.process_cost_per_cell_usd * same.annual_good_cells, rel=0.005)
            assert s.process_cost_per_kWh_usd * s.MWh_per_yr == pytest.approx(
                paper.process_cost_per_kWh_usd * s.target_GWh_per_yr * 1000, rel=0.005)


def test_defaults_are_the_rates_plant(table):
    from pouchline.cost import load_rates

    plant = load_rates().plant
    assert (plant.machine_class, plant.yield_maturity) == ("auto", "mature")
    assert {(s.machine_class, s.maturity) for s in table.sizings} == {("auto", "mature")}


# -- supply ------------------------------------------------------------------------------------------------
def test_supply_share_is_the_demand_module_at_the_target(table, materials):
    from pouchline.demand import demand_at_GWh_per_yr

    for row, s in zip(table.rows, table.sizings):
        d = demand_at_GWh_per_yr(s.cost, materials, row["target_GWh_per_yr"])
        assert row["tightest_element"] == d.tightest["element"] == "In"
        # by hand: indium bought per good cell (the cost model's lines, scrap and trim included) x good cells at
        # the target / the library's world refinery output
        w_in = materials["insnbi"].element_mass_fractions()["In"]
        g_in = sum(ln.g_per_good_cell for ln in s.cost.material_lines if ln.material_id == "indium")
        g_in += sum(ln.g_per_good_cell * w_in for ln in s.cost.material_lines if ln.material_id == "insnbi")
        cells = row["target_GWh_per_yr"] * 1e9 / s.energy_Wh
        world = materials.element("In").world_production.value_t_per_yr
        assert row["tightest_share_of_world_frac"] == pytest.approx(g_in * cells / 1e6 / world, rel=1e-9)
    assert table.rows[-1]["supply_risks"].startswith("In")


# -- sizing lots ------------------------------------------------------------------------------------------
def test_the_ten_gigawatt_row_shares_its_lots_among_machines(table):
    # the default lot (5 min of the slowest station's output: 2,000 cells at 10 GWh/yr) is kept, and no
    # machine takes more than 2 h of a lot's batches (pouchline.line.model.job_units): a formation rack takes
    # one batch of 256 cells, a stacker (18 s a cell) 400, a sealer (4 cells per 12 s) the whole lot
    ten = table.sizings[-1]
    assert ten.simulation["lot_size"] == 2000 and "lot_size" not in ten.line_data
    jobs = {s.name: s.job_units for s in ten.experiment.stations}
    assert jobs["formation"] == 256 and jobs["stacking"] == 400 and jobs["sealing"] == 2000


# -- refusals --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, what", [("", "no target"), ("1,x", "not a number"), ("0,1", "> 0"),
                                        ("1,1", "twice"), ("inf", "finite"), ("1", None)])
def test_targets_are_checked(text, what):
    from pouchline.plant.scaleup import parse_targets

    if what is None:
        assert parse_targets(text) == [1.0]
        return
    with pytest.raises(InputError) as exc:
        parse_targets(text)
    assert what in str(exc.value) and "--targets" in str(exc.value)


def test_targets_are_sorted_and_limited():
    from pouchline.plant.scaleup import MAX_TARGETS, check_targets

    assert check_targets([10, 0.1, 1]) == [0.1, 1.0, 10.0]
    with pytest.raises(InputError, match="too many"):
        check_targets([0.1 * (i + 1) for i in range(MAX_TARGETS + 1)])


def test_a_plant_too_big_to_simulate_is_refused_before_it_starts(recipe, materials):
    from pouchline.cell import size_cell
    from pouchline.cost import load_rates
    from pouchline.plant.scaleup import MAX_SIMULATED_CELLS_PER_H, check_simulated_volume, scale_up

    one = size_cell(recipe, materials)  # the paper's 1-layer cell, ~0.21 Wh
    rates = load_rates()
    # 1 GWh/yr / 0.208 Wh / (24 h x 330 d) = 606,000 cells/h > 100,000
    sched = (168 - 16.1) * 365 / 7
    assert check_simulated_volume(one, 0.01, rates) == pytest.approx(0.01e9 / one.energy_Wh / sched, rel=1e-9)
    with pytest.raises(InputError, match="cells per hour"):
        scale_up(recipe, materials, one, [0.01, 1.0])  # refused as a whole, before the 0.01 GWh/yr sizing
    assert 1e9 / one.energy_Wh / sched > MAX_SIMULATED_CELLS_PER_H


# -- the command -------------------------------------------------------------------------------------------
def test_scaleup_cli_prints_json_and_writes_its_files(tmp_path, capsys):
    from pouchline.cli import main
    from pouchline.display import SCIENTIFIC

    out = tmp_path / "su"
    argv = ["scaleup", str(DEFAULT_RECIPE), "--capacity-Ah", "10", "--format", "ev-300x100", "--targets",
            "0.02,0.01", "--days", "10", "--warmup-days", "3", "--replications", "3", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "0.01 GWh/yr" in text and "0.02 GWh/yr" in text and "Each column is `pouchline size" in text
    assert not SCIENTIFIC.search(text)
    assert sorted(p.name for p in out.iterdir()) == ["charts", "scaleup.csv", "scaleup.json"]  # no temporary files
    assert sorted(p.name for p in (out / "charts").iterdir()) == ["scaleup_cost_capex.png", "scaleup_cost_share.png"]
    import pandas as pd

    from pouchline.plant.scaleup import COLUMNS

    csv = pd.read_csv(out / "scaleup.csv")
    assert list(csv.columns) == list(COLUMNS) and list(csv["target_GWh_per_yr"]) == [0.01, 0.02]
    assert main([*argv[:-2], "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["target_GWh_per_yr"] for r in d["rows"]] == [0.01, 0.02]
    assert d["rows"][0]["cost_per_kWh_usd"] == pytest.approx(csv["cost_per_kWh_usd"][0])
    assert d["options"]["machine_class"] == "auto" and d["options"]["maturity"] == "mature"


@pytest.mark.parametrize("argv, what", [
    (["--targets", "1,-2"], "-2"),
    (["--targets", "10"], "cells per hour"),  # the 1-layer cell at 10 GWh/yr
    (["--targets", "0.001", "--threshold-pct", "200"], "--threshold-pct"),
])
def test_scaleup_cli_refuses_bad_input_with_exit_2(argv, what, capsys):
    from pouchline.cli import main

    assert main(["scaleup", str(DEFAULT_RECIPE), *argv]) == 2
    assert what in capsys.readouterr().err


def test_scaleup_cli_refuses_a_file_as_out_folder(tmp_path, capsys):
    from pouchline.cli import main

    f = tmp_path / "file.txt"
    f.write_text("x")
    assert main(["scaleup", str(DEFAULT_RECIPE), "--targets", "0.001", "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err
