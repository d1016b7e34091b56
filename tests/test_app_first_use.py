"""Issue 17, the app's parts: first load is the README's main job (the 10 Ah EV cell on the GWh
line), no metric on any page in scientific notation, warnings and the fixture block from the
library, ranked bottlenecks, the plan zip, the Compare page and the state in the URL.

Simulations are short (3 days after 1 day of warm-up, 2 replications): the figures are checked
against the library's own functions at the same run length, not against fixed numbers.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from pouchline.display import SCIENTIFIC
from test_app import metrics, start  # the app's AppTest helpers (tests/ is on sys.path under pytest)

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("streamlit.testing.v1")
SHORT = {"days": 3, "warmup": 1, "reps": 2}
ALL_PAGES = ["recipe", "cell", "line", "cost", "plan", "compare", "sizing", "scaleup", "traveler", "sweeps"]


def texts(at) -> list[str]:
    """Every text a reader sees: metrics, markdown, captions, alerts, tables. Code spans (recipe
    hashes such as ``e6e5259ab35e``, commands) are identifiers, not numbers, and are left out; so
    is the Line page's station editor, whose cells are the line file's numbers to edit."""
    import re

    out = [m.value for m in at.metric] + [m.label for m in at.metric]
    for kind in ("markdown", "caption", "info", "warning", "success", "error"):
        out += [re.sub(r"`[^`]*`", "", e.value) for e in at.get(kind)]
    for t in list(at.dataframe) + list(at.table):
        if "cycle_time_s" in t.value.columns:
            continue
        out += [str(v) for v in t.value.astype(str).to_numpy().ravel()] + [str(c) for c in t.value.columns]
    return out


def run_form(at, keys: dict[str, int], button: str):
    for k, v in keys.items():
        at.number_input(key=k).set_value(v)
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    return at


def run_line(at):
    return run_form(at, {"sim_days": SHORT["days"], "sim_warmup": SHORT["warmup"], "sim_reps": SHORT["reps"]},
                    "FormSubmitter:line_sim-Run simulation")


def run_plan(at):
    return run_form(at, {"plan_days": SHORT["days"], "plan_warmup": SHORT["warmup"], "plan_reps": SHORT["reps"]},
                    "FormSubmitter:plan_form-Make the plan")


def run_compare(at):
    return run_form(at, {"cmp_days": SHORT["days"], "cmp_warmup": SHORT["warmup"], "cmp_reps": SHORT["reps"]},
                    "FormSubmitter:cmp_form-Compare")


# -- first load --------------------------------------------------------------------------------------
def test_first_load_is_the_10_Ah_cell_on_the_gwh_line():
    at = start()
    side = " ".join(m.value for m in at.sidebar.markdown)
    assert "10 Ah, ev-300x100" in side and "gwh-line.yaml" in side  # README: --capacity-Ah 10 --format ev-300x100
    at.switch_page("app_pages/cell.py").run()
    assert float(metrics(at)["Capacity"].split()[0]) >= 10.0  # the fewest layers that reach 10 Ah
    at.switch_page("app_pages/line.py").run()
    assert any(m.value.startswith("**gwh-line**") for m in at.markdown)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_no_scientific_notation_on_any_page(page):
    at = start(page)
    if page == "line":
        run_line(at)
    elif page == "plan":
        run_plan(at)
    elif page == "compare":
        run_compare(at)
    assert not at.exception
    shown = texts(at)
    assert shown, "the page shows nothing"
    bad = [t for t in shown if SCIENTIFIC.search(t) or t in ("None", "nan")]
    assert not bad, bad
    assert not [m for m in metrics(at).values() if SCIENTIFIC.search(m)]


# -- the Line page: pairing, warnings, ranked bottlenecks, one MWh/yr ----------------------------------
def test_choosing_a_line_pairs_it_with_its_design_cell():
    at = start("line")
    at.selectbox(key="line_file").set_value("pilot-line.yaml").run()
    assert not at.exception
    assert any("design cell" in i.value for i in at.info)
    assert "1 layer, paper-single" in " ".join(m.value for m in at.sidebar.markdown)
    # the 10 Ah cell on the pilot line is ~170x its 0.18 Wh design cell: warned (plan.CELL_MISMATCH_FACTOR)
    at.session_state["_keep_cell_mode"] = "Capacity"
    at.session_state["_keep_cell_capacity"] = 10.0
    at.session_state["_keep_cell_format"] = "ev-300x100"
    at.run()
    assert any("cell vs line" in w.value for w in at.warning), [w.value for w in at.warning]


def test_line_page_warnings_and_ranked_bottlenecks_match_the_plan():
    sys.path.insert(0, str(ROOT))
    from app_pages._shared import LINE_DESIGN_CELLS  # noqa: F401  (the app's pairing is importable)
    from pouchline.display import fmt_quantity
    from pouchline.line import load_line
    from pouchline.plan import make_plan
    from pouchline.recipe.io import load_recipe_and_materials

    at = run_line(start("line"))
    warn = " ".join(w.value for w in at.warning)
    # the GWh line's dry room against rev A's argon glovebox: one item naming the stations, shown before and after a run
    assert warn.count("**atmosphere**") == 1 and "stacker" in warn
    bt = next(d.value for d in at.dataframe if "line-limit capacity" in d.value.columns)
    assert list(bt["rank"]) == [str(i) for i in range(1, len(bt) + 1)] and "line-limit capacity" in bt.columns
    # the same inputs through the plan give the same MWh/yr
    recipe, materials = load_recipe_and_materials(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    plan = make_plan(recipe, materials, line=load_line(ROOT / "recipes" / "lines" / "gwh-line.yaml"), capacity_Ah=10,
                     format="ev-300x100", days=SHORT["days"], warmup_days=SHORT["warmup"],
                     replications=SHORT["reps"], seed=1, workers=1, rampup_months=0)
    want = fmt_quantity(plan.summary()["annual_output"]["MWh_per_yr"], "MWh") + "/yr"
    assert metrics(at)["Energy / year"] == want
    assert bt.iloc[0]["station"] == plan.summary()["bottlenecks"][0]["name"]
    assert any("simulation noise only" in c.value for c in at.caption)


# -- fixture block on the Cell and Cost pages ----------------------------------------------------------
def test_fixture_block_on_cell_and_cost_pages():
    from pouchline.cell import size_cell
    from pouchline.cost import cost_cell, load_rates
    from pouchline.display import fmt_quantity, fmt_usd
    from pouchline.plan import plan_fixture_headline
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    h = plan_fixture_headline(recipe, materials, cell, cost_cell(recipe, materials, cell, rates=load_rates()))
    at = start("cell")
    m = metrics(at)
    assert m["Clamp force"] == fmt_quantity(h.force_kN, "kN")  # 30 MPa x 300 cm2 of electrode = 900 kN
    assert m["Fixture mass per cell"] == fmt_quantity(h.mass_per_cell_g, "g")
    assert m["Cells per fixture"] == str(h.cells_per_fixture)
    assert any(w.value.lower().startswith("no-go") for w in at.warning)  # README: a no-go for the 10 Ah cell
    at.switch_page("app_pages/cost.py").run()
    assert metrics(at)["Fixture cost per cell"] == fmt_usd(h.cost_per_cell_usd)


# -- plan zip and compare ------------------------------------------------------------------------------
def test_plan_page_offers_the_plan_folder_as_a_zip():
    at = run_plan(start("plan"))
    assert [d.label for d in at.get("download_button")] == ["Download the whole plan (zip)"]
    assert any("**atmosphere**" in w.value for w in at.warning)
    # the bytes behind the button: the folder write_plan writes
    sys.path.insert(0, str(ROOT))
    from app_pages._shared import plan_zip
    from pouchline.line import load_line
    from pouchline.plan import make_plan
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    plan = make_plan(recipe, materials, line=load_line(ROOT / "recipes" / "lines" / "pilot-line.yaml"), layers=1,
                     format="paper-single", days=2, warmup_days=1, replications=1, seed=1, workers=1, rampup_months=0)
    names = zipfile.ZipFile(io.BytesIO(plan_zip(("test",), plan))).namelist()
    assert {"plan/README.md", "plan/summary.json", "plan/bom.xlsx", "plan/traveler.pdf"} <= set(names)
    assert any(n.startswith("plan/charts/") and n.endswith(".png") for n in names)


def test_compare_page_shows_two_scenarios():
    at = run_compare(start("compare"))
    table = at.table[0].value
    assert list(table.columns) == ["Scenario A", "Scenario B"]
    assert table.loc["Line", "Scenario A"] == "pilot-line" and table.loc["Line", "Scenario B"] == "gwh-line"
    assert table.loc["Cell request", "Scenario A"] == "1 layer, paper-single"
    assert table.loc["Cell request", "Scenario B"] == "10 Ah, ev-300x100"


# -- URL state -----------------------------------------------------------------------------------------
def test_state_round_trips_through_the_url():
    at = start(query={"line": "pilot-line.yaml", "cell": "layers=3", "format": "paper-single",
                      "set": "steps.melt_cast.temperature_C=90"})
    side = " ".join(m.value for m in at.sidebar.markdown)
    assert "3 layers, paper-single" in side and "pilot-line.yaml" in side
    assert any("steps.melt_cast.temperature_C" in c.value for c in at.sidebar.caption)
    assert at.query_params["cell"] == "layers=3" and at.query_params["line"] == "pilot-line.yaml"


def test_bad_url_state_is_named_and_left_at_defaults():
    at = start(query={"line": "../../etc/passwd", "set": "steps.melt_cast.temperature_C=80"})
    warn = " ".join(w.value for w in at.warning)
    assert "could not be used" in warn and "not a shipped line" in warn and "temperature_C" in warn
    assert "gwh-line.yaml" in " ".join(m.value for m in at.sidebar.markdown)


# -- the library helpers the pages use -----------------------------------------------------------------
def test_fixture_rows_of_a_plan_equal_the_helper_rows():
    from pouchline.cell import size_cell
    from pouchline.cost import cost_cell, load_rates
    from pouchline.plan import fixture_headline_rows, plan_fixture_headline
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    cell = size_cell(recipe, materials, layers=1, format="paper-single")
    cost = cost_cell(recipe, materials, cell, rates=load_rates())
    h = plan_fixture_headline(recipe, materials, cell, cost)
    assert h.cost_per_cell_usd == cost.fixture_cost_per_cell_usd
    assert h.force_kN == pytest.approx(30 * 17.5 / 10)  # 30 MPa x 17.5 cm2 = 52.5 kN (Liu2025 Methods)
    rows = dict(fixture_headline_rows(h, cell, cost))
    assert "x the cell's cost" in rows["Fixture cost"]
    no_cost = dict(fixture_headline_rows(plan_fixture_headline(recipe, materials, cell), cell))
    assert no_cost["Fixture cost"].startswith("not costed here")
