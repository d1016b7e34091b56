"""The sweep file: forms of parameters, designs, outputs and the messages for mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pouchline.errors import InputError
from pouchline.sweep import count_scenarios, load_sweep, sweep_from_data

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "recipes" / "sweeps" / "example-sweep.yaml"
LINE = ROOT / "recipes" / "lines" / "gwh-line.yaml"


def make(parameters, outputs=("cell.specific_energy_Wh_kg",), **extra):
    data = {"name": "t", "parameters": parameters, "outputs": list(outputs), **extra}
    return sweep_from_data(data, "t.yaml", base_dir=ROOT)


def messages(exc: InputError) -> str:
    return "\n".join(str(p) for p in exc.problems)


def test_example_sweep_loads_with_paths_beside_it():
    sweep = load_sweep(EXAMPLE)
    assert sweep.design.kind == "grid"
    assert list(sweep.parameters) == ["sizing.layers", "cell.electrolyte_film.thickness_um",
                                      "materials.indium.price.base.value"]
    # 5 layer counts x 4 film thicknesses x 3 indium prices
    assert count_scenarios(sweep) == 60
    assert Path(sweep.recipe).is_absolute() and Path(sweep.recipe).name == "insnbi-lco-pouch.yaml"
    assert Path(sweep.line).name == "gwh-line.yaml"
    assert sweep.source == str(EXAMPLE)


def test_validate_command_recognises_a_sweep(capsys):
    from pouchline.cli import main

    assert main(["validate", str(EXAMPLE)]) == 0
    assert "sweep" in capsys.readouterr().out


def test_parameter_forms():
    s = make({
        "sizing.layers": [1, 2],
        "cell.anode.np_ratio": 1.2,  # a fixed value
        "cell.electrolyte_film.thickness_um": {"low": 25, "high": 55, "steps": 4},
        "materials.indium.price.base.value": {"distribution": "triangular", "low": 240, "mode": 350, "high": 850,
                                              "levels": 3},
    })
    p = s.parameters
    assert p["sizing.layers"].kind == "values" and p["sizing.layers"].values == [1, 2]
    assert p["cell.anode.np_ratio"].is_fixed
    assert p["cell.electrolyte_film.thickness_um"].kind == "range"
    assert p["materials.indium.price.base.value"].kind == "distribution"


def test_list_of_paths_form_is_accepted():
    s = make([{"path": "sizing.layers", "values": [1, 2]}, {"path": "cell.anode.np_ratio", "low": 1.1, "high": 1.5,
                                                            "steps": 3}])
    assert list(s.parameters) == ["sizing.layers", "cell.anode.np_ratio"]


def test_whole_number_fields_are_rounded():
    s = make({"sizing.layers": {"low": 1, "high": 20, "steps": 4}})
    assert s.parameters["sizing.layers"].integer


@pytest.mark.parametrize("design, kind", [("lhs", "latin_hypercube"), ("Latin-Hypercube", "latin_hypercube"),
                                          ("mc", "monte_carlo"), ("full_grid", "grid")])
def test_design_aliases(design, kind):
    samples = {} if kind == "grid" else {"samples": 4}
    s = make({"sizing.layers": [1, 2]}, design={"kind": design, **samples})
    assert s.design.kind == kind


@pytest.mark.parametrize("parameters, extra, needle", [
    ({"x": {"distribution": "normal", "mean": 1, "sd": 0.1}}, {}, "levels"),
    ({"x": {"low": 1, "high": 2}}, {}, "steps"),
    ({"x": {"low": 1, "high": 2, "steps": 3, "step": 0.5}}, {}, "not both"),
    ({"x": {"distribution": "triangular", "low": 1, "mode": 5, "high": 2}}, {"design": {"kind": "mc", "samples": 3}},
     "mode"),
    ({"x": {"values": [], "low": 1}}, {}, "exactly one"),
    ({"x": [1, 2]}, {"design": "lhs"}, "samples"),
    ({"sizing.layer": [1, 2]}, {}, "sizing.layers"),
    ({"line.stations.stacker.machines": [1, 2]}, {}, "no line"),
    ({"x": {"distribution": "lognormal", "median": 1, "sigma": 0.2, "mode": 1}}, {"design": "mc"}, "mode"),
])
def test_mistakes_are_explained(parameters, extra, needle):
    with pytest.raises(InputError) as err:
        make(parameters, **extra)
    assert needle in messages(err.value)
    assert "t.yaml" in messages(err.value)


@pytest.mark.parametrize("outputs, needle", [
    (["specific_energy_Wh_kg"], "results start with"),
    (["line.MWh_per_year"], "no line"),
    (["cell.energy_Wh", "cell.energy_Wh"], "twice"),
    (["sizing.layers"], "results start with"),
])
def test_output_mistakes(outputs, needle):
    with pytest.raises(InputError) as err:
        make({"sizing.layers": [1, 2]}, outputs=outputs)
    assert needle in messages(err.value)


def test_missing_base_file_is_named():
    with pytest.raises(InputError) as err:
        make({"sizing.layers": [1]}, line="lines/nope.yaml")
    assert "nope.yaml" in messages(err.value)


def test_grid_can_cross_with_draws_of_distributions():
    s = make({"sizing.layers": [1, 2, 3],
              "materials.indium.price.base.value": {"distribution": "uniform", "low": 240, "high": 850}},
             design={"kind": "grid", "samples": 5})
    assert count_scenarios(s) == 15
