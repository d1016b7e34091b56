"""The recipe follows the product: `derive`, `diff`, `validate RECIPE LINE` and `plan` (issue 14).

Reference numbers: the 10 Ah cell of the GWh line is 10 layers of a 300 x 100 mm electrode
(10 x 300 cm2 x 3.46 mAh/cm2 = 10.38 Ah); 30 MPa x 300 cm2 = 900 kN (Liu2025 Methods pressure);
the composite is 21.0 / (73/100.8) = 29.0 mg/cm2, so a sheet weighs 29.0 x 300 / 1000 = 8.70 g.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from pouchline.cell import size_cell
from pouchline.recipe.io import load_recipe_and_materials

from conftest import DEFAULT_RECIPE, RECIPES

LINE = RECIPES / "lines" / "gwh-line.yaml"


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return _norm(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture(scope="module")
def rev_b(tmp_path_factory):
    """Rev B of the shipped recipe for the GWh line's 10 Ah cell, written to a file and loaded back."""
    from pouchline.line import load_line
    from pouchline.recipe.derive import derive_revision

    r, m = load_recipe_and_materials(DEFAULT_RECIPE)
    cell = size_cell(r, m, capacity_Ah=10, format="ev-300x100")
    d = derive_revision(r, m, cell, line=load_line(LINE), author="test", date=__import__("datetime").date(2026, 12, 1))
    path = tmp_path_factory.mktemp("rev") / "recipe-rev-B.yaml"
    path.write_text(d.yaml_text(path), encoding="utf-8")
    return d, path


def test_the_derived_revision_is_for_the_product(rev_b, recipe):
    d, _ = rev_b
    b = d.recipe
    assert (b.revision, b.status, b.author, b.date.isoformat()) == ("B", "draft", "test", "2026-12-01")
    assert (b.derived_from.id, b.derived_from.revision, b.derived_from.content_hash, b.derived_from.relation) == \
        (recipe.id, "A", recipe.hash, "derived")
    pk = b.cell.packaging
    assert (pk.electrode_length_mm.target, pk.electrode_width_mm.target, pk.layers) == (300, 100, 10)
    # 900 kN needs 12 x M20 8.8 (the table), whose washers need a 1.75 x 20 = 35 mm flange
    assert b.cell.fixture.plate_flange_mm.target == 35
    assert any("plate_flange_mm: 15 mm -> 35 mm" in c for c in d.changes)
    # steps follow the new design: punch 300 x 100, film cut 302 x 102 (1 mm overhang)
    assert (b.step("cathode_punching").length_mm.target, b.step("cathode_punching").width_mm.target) == (300, 100)
    assert (b.step("se_film_cutting").length_mm.target, b.step("se_film_cutting").width_mm.target) == (302, 102)
    assert b.step("clamping").pressure_MPa.target == 30


def test_the_dry_room_revision_carries_the_risk_into_the_steps(rev_b, materials):
    from pouchline.recipe.derive import sulfide_steps

    b = rev_b[0].recipe
    dry = b.atmosphere("dry_room")
    assert dry.kind == "dry_room" and dry.dew_point_C_max == -40
    assert "GM2022" in dry.source and "Morino2024" in dry.source
    assert dry.max_open_time_min.target == 15 and dry.max_open_time_min.source.startswith("estimate:")
    assert dry.h2o_ppm == pytest.approx(127, abs=2)  # -40 degC dew point: ~126 ppm (GM2022)
    exposed = sulfide_steps(b, materials)
    assert exposed == ["se_film_mixing", "se_film_rolling", "se_film_cutting", "cathode_mixing", "cathode_hot_rolling",
                       "cathode_punching", "stacking", "sealing"]
    for sid in exposed:
        s = b.step(sid)
        assert s.atmosphere == "dry_room"
        assert s.max_open_time_min.target == 15 and s.max_open_time_min.ctq and s.max_open_time_min.record
    assert b.step("prelithiation").atmosphere == "dry_room" and b.step("prelithiation").max_open_time_min is None
    assert b.step("clamping").atmosphere == "air"
    assert "argon_glovebox" not in [a.id for a in b.atmospheres]  # no step runs in it any more
    assert "glovebox" not in b.safety_note("lithium_foil").text.lower() or "dry room" in b.safety_note("lithium_foil").text


def test_the_derived_file_validates_loads_equal_and_follows_the_line(rev_b):
    d, path = rev_b
    again, _ = load_recipe_and_materials(path)
    assert again.hash == d.recipe.hash and again.content_hash == d.recipe.hash
    res = run("validate", str(path), str(LINE))
    assert res.returncode == 0, res.stderr
    assert "follows line gwh-line" in res.stdout


def test_validate_recipe_line_reports_every_deviation_as_an_error():
    res = run("validate", str(DEFAULT_RECIPE), str(LINE))
    assert res.returncode == 2
    # nine sulfide and lithium steps in the dry room, and a product the line is not sized for
    assert res.stderr.count("atmosphere of step") == 9 and "format:" in res.stderr
    assert "17.5 cm2" in res.stderr and "2890 cm2" in res.stderr


def test_a_declared_deviation_is_accepted(tmp_path):
    import yaml

    data = yaml.safe_load(DEFAULT_RECIPE.read_text(encoding="utf-8"))
    data["deviations"] = data.get("deviations", []) + [  # the shipped recipe declares its missing release station
                          {"kind": "atmosphere", "line": "gwh-line", "reason": "trial in the dry room, NCR 12"},
                          {"kind": "format", "reason": "line trial with lab cells"}]
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    (tmp_path / "materials.yaml").write_text((RECIPES / "materials.yaml").read_text(encoding="utf-8"))
    res = run("validate", str(path), str(LINE))
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("declared deviation (atmosphere") == 9 and "trial in the dry room, NCR 12" in res.stdout


def test_a_missing_step_is_a_deviation(tmp_path):
    import yaml

    line = yaml.safe_load(LINE.read_text(encoding="utf-8"))
    dropped = next(s for s in line["stations"] if s["step"] == "quench")
    line["stations"] = [s for s in line["stations"] if s is not dropped]
    for s in line["stations"]:  # a graph line: what fed the dropped station feeds what it fed
        if s.get("feeds") == dropped["name"]:
            s["feeds"] = dropped.get("feeds")
    path = tmp_path / "line.yaml"
    path.write_text(yaml.safe_dump(line), encoding="utf-8")
    res = run("validate", str(DEFAULT_RECIPE), str(path))
    assert res.returncode == 2 and "missing_step of step quench" in res.stderr


def test_diff_prints_what_changed_step_by_step_with_units(rev_b):
    _, path = rev_b
    res = run("diff", str(DEFAULT_RECIPE), str(path))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "step 11: cathode_punching" in out
    assert "~ name: Punch cathodes 50 x 35 mm  ->  Punch cathodes 300 x 100 mm" in out
    assert "~ length_mm: 50 mm ± 0.1 mm CTQ [from cell.packaging.electrode_length_mm]  ->  300 mm ± 0.1 mm" in out
    assert "~ clamp_force_kN: 52.5 kN  ->  900 kN" in out and "~ bolt_size: M8  ->  M20" in out
    assert "+ max_open_time_min: 15 min CTQ" in out
    assert out.index("step 5: anode_punching") < out.index("step 11: cathode_punching") < out.index("step 15: clamping")


def test_derive_cli_writes_a_revision_that_validates(tmp_path):
    out = tmp_path / "rev-B.yaml"
    res = run("derive", str(DEFAULT_RECIPE), "--layers", "4", "--format", "lab-100x60", "--revision", "B",
              "--out", str(out), "--diff", str(tmp_path / "diff.txt"))
    assert res.returncode == 0, res.stderr
    assert "rev B (draft), derived from rev A" in res.stdout and (tmp_path / "diff.txt").read_text().count("->") > 3
    b, _ = load_recipe_and_materials(out)
    assert (b.cell.packaging.layers, b.cell.packaging.electrode_length_mm.target) == (4, 100)
    # the same revision label as the parent is refused; a missing folder too
    assert run("derive", str(DEFAULT_RECIPE), "--revision", "A", "--out", str(tmp_path / "a.yaml")).returncode == 2
    res = run("derive", str(DEFAULT_RECIPE), "--out", str(tmp_path / "nope" / "b.yaml"))
    assert res.returncode == 2 and "does not exist" in res.stderr


# -- plan: the README's main command -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan_b(tmp_path_factory):
    out = tmp_path_factory.mktemp("planb") / "plan"
    res = run("plan", str(DEFAULT_RECIPE), "--line", str(LINE), "--capacity-Ah", "10", "--format", "ev-300x100",
              "--out", str(out), "--days", "3", "--warmup-days", "1", "--replications", "1")
    assert res.returncode == 0, res.stderr
    cj = run("cell", str(DEFAULT_RECIPE), "--capacity-Ah", "10", "--format", "ev-300x100", "--json")
    assert cj.returncode == 0, cj.stderr
    return out, json.loads(cj.stdout)


def test_plan_writes_the_revision_the_diff_and_the_travelers_for_the_product(plan_b):
    out, cell = plan_b
    assert (out / "recipe-rev-B.yaml").is_file() and "derived from rev A" in (out / "recipe-rev-B.yaml").read_text()
    assert "Punch cathodes 300 x 100 mm" in (out / "recipe-diff.txt").read_text()
    b, _ = load_recipe_and_materials(out / "recipe-rev-B.yaml")  # it loads where it was written
    assert json.loads((out / "summary.json").read_text())["recipe_revision"] == "B"
    text = _pdf_text((out / "traveler.pdf").read_bytes())
    fx = cell["with_fixture"]["fixture"]
    assert "Punch cathodes 300 x 100 mm" in text and "stores 900 kN" in text
    assert f"at least {fx['plate_thickness_mm']:.4g} mm thick" in text
    assert f"{fx['bolts']} x {fx['bolt_size']} class {fx['bolt_class']}" in text
    # the cathode sheet: composite loading x electrode area
    sheet_g = sum(cell["jellyroll"]["cathode_mg_cm2"].values()) * cell["electrode_area_cm2"] / 1000
    assert sheet_g == pytest.approx(8.70, abs=0.01)
    assert re.search(rf"Check: Cathode sheet mass, 300 x 100 mm [^±]*? {sheet_g:.4g} ± ", text)  # method, then target
    assert "modified from" not in text and "derived from rev A" in text and "SAMPLE - NOT FOR PRODUCTION" in text
    assert not (out / "traveler-note.txt").exists()


def _numbers_on_card(text: str) -> dict[str, float]:
    """Every number on a derived traveler that the cell model also computes, parsed from the PDF text."""
    pats = {
        "electrode_length_mm": r"Punch cathodes ([\d.]+) x [\d.]+ mm",
        "electrode_width_mm": r"Punch cathodes [\d.]+ x ([\d.]+) mm",
        "anode_length_mm": r"Cut anodes to ([\d.]+) x",
        "film_length_mm": r"Cut electrolyte film to ([\d.]+) x",
        "film_width_mm": r"Cut electrolyte film to [\d.]+ x ([\d.]+) mm",
        "layers": r"Stack (\d+) layer",
        "stack_pressure_MPa": r"Clamp between steel plates at ([\d.]+) MPa",
        "clamp_force_kN": r"stores ([\d.]+) kN",
        # a check row prints its label, its method, then the target (the field names are in the appendix)
        "clamp_force_check_kN": r"Check: Clamp force on the load washer [^±]*? ([\d.]+) ± ",
        "plate_length_mm": r"2 steel end plates ([\d.]+) x",
        "plate_width_mm": r"2 steel end plates [\d.]+ x ([\d.]+) mm",
        "plate_thickness_mm": r"at least ([\d.]+) mm thick",
        "bolt_count": r"(\d+) x M\d+ class",
        "bolt_diameter_mm": r"\d+ x M(\d+) class",
        "bolt_preload_kN": r"([\d.]+) kN preload each \(ISO 898-1\)",
        "bolt_torque_Nm": r"Bolt torque, \d+ x M\d+ class [^±]*? from the fixture model ([\d.]+) N·m",
        "cathode_sheet_mass_g": r"Check: Cathode sheet mass, [\d.]+ x [\d.]+ mm [^±]*? ([\d.]+) ± ",
        "cathode_thickness_um": r"Check: Cathode sheet thickness [^±]*? ([\d.]+) ± ",
        "film_loading_mg_cm2": r"Check: Film loading \(punch 10 mm disc and weigh\) [^±]*? ([\d.]+) ± ",
        "anode_thickness_um": r"Check: Alloy thickness \(micrometer, minus Cu\) [^±]*? ([\d.]+) ± ",
        "cathode_loading_mg_cm2": r"balance; ([\d.]+) mg/cm² composite",
        "electrode_area_cm2": r"composite x ([\d.]+) cm²",
    }
    out = {}
    for name, pat in pats.items():
        m = re.search(pat, text)
        assert m, (name, pat)
        out[name] = float(m.group(1))
    return out


def test_every_number_the_cell_model_computes_is_printed_equal(rev_b, materials):
    """Parse the derived traveler's PDF and compare each number with the cell model's own result."""
    from pouchline.cell import jellyroll
    from pouchline.export.traveler import render_traveler_pages
    from pouchline.export.traveler_model import build_traveler
    from pouchline.export.traveler_template import load_template

    b = rev_b[0].recipe
    cell = size_cell(b, materials)  # the revision's own product: 10 layers of 300 x 100 mm
    tr = build_traveler(b, lot="L-B-0001", cells=100, materials=materials, materials_by_step_g=cell.materials_by_step_g)
    text = _pdf_text(render_traveler_pages(tr, load_template("default")).pdf)
    got = _numbers_on_card(text)
    j, fx = jellyroll(b, materials), cell.fixture
    want = {
        "electrode_length_mm": cell.electrode_mm["length"], "electrode_width_mm": cell.electrode_mm["width"],
        "anode_length_mm": cell.electrode_mm["length"] + 2 * b.cell.packaging.anode_overhang_mm.target,
        "film_length_mm": cell.electrode_mm["length"] + 2 * b.cell.packaging.electrolyte_overhang_mm.target,
        "film_width_mm": cell.electrode_mm["width"] + 2 * b.cell.packaging.electrolyte_overhang_mm.target,
        "layers": cell.layers, "stack_pressure_MPa": fx.pressure_MPa,
        "clamp_force_kN": fx.force_kN, "clamp_force_check_kN": fx.force_kN,
        "plate_length_mm": fx.plate_length_mm, "plate_width_mm": fx.plate_width_mm,
        "plate_thickness_mm": fx.plate_thickness_mm, "bolt_count": fx.bolts, "bolt_diameter_mm": fx.bolt_diameter_mm,
        "bolt_preload_kN": fx.bolt_load_kN, "bolt_torque_Nm": fx.bolt_torque_Nm,
        "cathode_sheet_mass_g": cell.mass_breakdown_g["cathode_composite"] / cell.layers,
        "cathode_thickness_um": j.cathode_thickness_um, "film_loading_mg_cm2": sum(j.electrolyte_film_mg_cm2.values()),
        "anode_thickness_um": j.anode_thickness_um, "cathode_loading_mg_cm2": sum(j.cathode_mg_cm2.values()),
        "electrode_area_cm2": cell.electrode_area_cm2,
    }
    for name, value in want.items():
        # printed to 4 significant digits
        assert got[name] == pytest.approx(value, rel=5e-4, abs=1e-9), (name, got[name], value)
    assert (cell.layers, fx.bolts, fx.bolt_size) == (10, 12, "M20") and got["clamp_force_kN"] == 900


def test_a_new_loading_changes_every_dependent_target_with_no_second_edit(rev_b, materials):
    """Law: with only cell.cathode.active_loading_mg_cm2 changed 21 -> 22, every card value that depends on it
    scales by 22/21 (cathode sheet, its thickness, the alloy for the same N/P on the first charge, the rolling
    passes, the material issue), the loading itself reads 22, and nothing else changes."""
    from pouchline.export.traveler_model import build_traveler

    _, path = rev_b

    def card(*overrides):
        r, m = load_recipe_and_materials(path, overrides=list(overrides))
        c = size_cell(r, m)
        tr = build_traveler(r, lot="L-1", cells=100, materials=m, materials_by_step_g=c.materials_by_step_g)
        rows = {(s.id, r_.kind, r_.field): r_ for s in tr.routing for r_ in s.rows}
        issue = {i.material_id: i.per_cell_g for i in tr.issue}
        return rows, issue

    rows21, issue21 = card()
    rows22, issue22 = card("cell.cathode.active_loading_mg_cm2=22", "cell.cathode.areal_capacity_mAh_cm2=3.46")
    k = 22 / 21
    scaled = {("cathode_hot_rolling", "param", "thickness_um"), ("cathode_hot_rolling", "check", "cathode_mass"),
              ("cathode_hot_rolling", "check", "cathode_thickness"), ("anode_rolling", "param", "target_thickness_um"),
              ("anode_rolling", "check", "anode_thickness")}
    passes = {key for key in rows21 if key[1] == "pass"}
    assert len(passes) == 9 and set(rows22) == set(rows21)  # 100 um -> 8.96 um is still 9 passes at 25 %
    for key, r21 in rows21.items():
        r22 = rows22[key]
        if key == ("cathode_hot_rolling", "param", "active_loading_mg_cm2"):
            assert (r21.target, r22.target) == ("21", "22")
        elif key == ("formation", "check", "coulombic_efficiency"):  # 3.46 mAh/cm2 / (loading x 185 mAh/g)
            assert float(r22.target) == pytest.approx(float(r21.target) / k, rel=1e-3), key
        elif key in scaled:
            assert float(r22.target) == pytest.approx(float(r21.target) * k, rel=1e-3), key
        elif key == ("anode_rolling", "pass", "pass_9"):
            assert float(r22.target) == pytest.approx(float(r21.target) * k, rel=1e-2), key
        elif key in passes:
            assert float(r22.target) != float(r21.target), key  # the schedule re-spreads its reductions
        else:
            assert (r22.target, r22.tolerance, r22.limits) == (r21.target, r21.tolerance, r21.limits), key
    assert "30.38 mg/cm² composite" in rows22[("cathode_hot_rolling", "check", "cathode_mass")].method
    # material issue: cathode materials and the alloy's elements scale; PTFE (film and cathode) and the
    # pouch film (its cup walls grow with the thicker stack) grow by less; the tabs do not change
    for mid in ("lco", "vgcf", "indium", "tin", "bismuth"):
        assert issue22[mid] == pytest.approx(issue21[mid] * k, rel=1e-9), mid
    for mid in ("ptfe", "pouch_film"):
        assert issue21[mid] < issue22[mid] < issue21[mid] * k, mid
    assert issue22["tab_al"] == issue21["tab_al"] and issue22["cu_foil"] == pytest.approx(issue21["cu_foil"])
