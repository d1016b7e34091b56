"""docs/model.md against the code it describes.

* every ``pouchline.<module>.<name>`` the document names imports, and every ``Class.attribute`` in
  backticks is an attribute (or a dataclass / pydantic field) of a class of those modules;
* every repository file it names exists;
* every link into it (from itself, the other documents, the code) lands on one of its headings;
* the figures it works through on paper (no simulation) are what the code computes from the
  shipped files now: when the model changes, the paragraph that quotes the old figure fails here.

The simulated figures the document quotes (the GWh line's 3,894 good cells/h, the sized plant's
1,028.6 MWh/yr, the ramp-up's month 21) come from the commands it names with their default seeds and
are not re-run here: a simulation of the GWh line takes tens of seconds, a sizing or a ramp-up minutes.
"""

from __future__ import annotations

import importlib
import re

import pytest

from conftest import ROOT

MODEL_MD = ROOT / "docs" / "model.md"
GWH = ROOT / "recipes" / "lines" / "gwh-line.yaml"

_DOTTED_RE = re.compile(r"\bpouchline(?:\.[A-Za-z_]\w*)+")
_SPAN_RE = re.compile(r"`([^`\n]+)`")
_CLASS_ATTR_RE = re.compile(r"^([A-Z][A-Za-z0-9]+)\.([A-Za-z_]\w*)$")
_REPO_PATH_RE = re.compile(r"(?<![\w/.-])((?:recipes|docs|src|tests|benchmarks|templates)/[\w./-]*\w)")
_HEADING_RE = re.compile(r"^#{1,6} +(.+?) *$", re.M)
_OWN_LINK_RE = re.compile(r"\]\(#([^)\s]+)\)")
_MODEL_LINK_RE = re.compile(r"model\.md#([a-z0-9][a-z0-9_-]*)")


def _text() -> str:
    return MODEL_MD.read_text(encoding="utf-8")


def _flat() -> str:
    """The document with every run of whitespace as one space (quoted figures may wrap)."""
    return re.sub(r"\s+", " ", _text())


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", lambda m: "_" if m.group(0) == "_" else "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _module_of(dotted: str) -> tuple[object, list[str]]:
    """The module of the longest importable prefix of ``dotted`` and the names after it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            return importlib.import_module(".".join(parts[:cut])), parts[cut:]
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(dotted)


def _resolve(dotted: str) -> object:
    obj, rest = _module_of(dotted)
    for name in rest:
        obj = _attribute(obj, name)
    return obj


def _attribute(obj: object, name: str) -> object:
    if hasattr(obj, name):
        return getattr(obj, name)
    fields = dict(getattr(obj, "__dataclass_fields__", {}) or {})
    fields.update(getattr(obj, "model_fields", {}) or {})
    if name in fields:
        return fields[name]
    raise AttributeError(f"{obj!r} has no attribute {name!r}")


def test_slug_matches_the_anchors_github_makes():
    # anchors other files already link to, as GitHub renders the headings
    assert github_slug("The cathode composite (the 100.8 parts)") == "the-cathode-composite-the-1008-parts"
    assert github_slug("Alloy capacity: 724 mAh/g and the end phases") == "alloy-capacity-724-mahg-and-the-end-phases"
    assert github_slug("Casting, quench and rolling (process estimates)") == \
        "casting-quench-and-rolling-process-estimates"


def test_every_module_and_function_the_document_names_exists():
    names = sorted(set(_DOTTED_RE.findall(_text())))
    assert len(names) > 60  # the document cites its code throughout
    missing = []
    for name in names:
        try:
            _resolve(name)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{name}: {exc}")
    assert missing == []


def test_every_class_attribute_the_document_names_exists():
    # the classes of every module the document names (the longest importable prefix of each name)
    modules = {_module_of(n)[0] for n in set(_DOTTED_RE.findall(_text()))}
    classes: dict[str, list[type]] = {}
    for mod in modules:
        for value in vars(mod).values():
            if isinstance(value, type):
                classes.setdefault(value.__name__, []).append(value)
    spans = [m.group(1) for m in _SPAN_RE.finditer(_text())]
    pairs = sorted({m.groups() for s in spans if (m := _CLASS_ATTR_RE.match(s))})
    assert pairs, "the document names no Class.attribute in backticks"
    missing = []
    for cls_name, attr in pairs:
        found = classes.get(cls_name, [])
        if not any(_has(c, attr) for c in found):
            why = "" if found else " (no module the document names defines the class)"
            missing.append(f"{cls_name}.{attr}{why}")
    assert missing == []


def _has(cls: type, attr: str) -> bool:
    try:
        _attribute(cls, attr)
        return True
    except AttributeError:
        return False


def test_every_repository_file_the_document_names_exists():
    paths = sorted({p.split("#", 1)[0].rstrip(".") for p in _REPO_PATH_RE.findall(_text())})
    assert "recipes/lines/gwh-line.yaml" in paths
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_every_link_into_the_document_lands_on_a_heading():
    anchors = {github_slug(h) for h in _HEADING_RE.findall(_text())}
    own = set(_OWN_LINK_RE.findall(_text()))
    assert own - anchors == set()
    outside = {}
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("*.yaml")),
             *sorted((ROOT / "src").rglob("*.py"))]
    for path in files:
        for anchor in _MODEL_LINK_RE.findall(path.read_text(encoding="utf-8")):
            if anchor not in anchors:
                outside.setdefault(str(path.relative_to(ROOT)), []).append(anchor)
    assert outside == {}


# -- the figures it works through on paper -------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan10(recipe, materials):
    """The README's main plan: the 10 Ah cell (10 x 300 x 100 mm), the GWh line, its cost on paper."""
    from types import SimpleNamespace

    from pouchline.cell import size_cell
    from pouchline.cost import cost_cell, load_rates
    from pouchline.line import load_line

    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    line = load_line(GWH)
    return SimpleNamespace(cell=cell, line=line, cost=cost_cell(recipe, materials, cell, rates=load_rates(), line=line))


def _quoted(text: str) -> None:
    assert text in _flat(), f"docs/model.md no longer quotes {text!r}"


def test_the_line_model_figures_on_paper(plan10):
    # docs/model.md "Capacity on paper" and "Units, lots and jobs": the GWh line at its own 2,890 cm2
    from pouchline.line.kpis import line_limits
    from pouchline.line.model import default_lot_size, topology_of

    gwh = plan10.line
    specs = gwh.station_specs()
    by = {s.name: s for s in specs}
    limits = dict(zip((s.name for s in specs), line_limits(specs)))
    u = dict(zip((s.name for s in specs), topology_of(specs).units_started_per_good([s.scrap_rate for s in specs])))
    table = (("casting", "5,310", "4,727", "1.1232"), ("alloy_rolling_mill", "4,698", "4,268", "1.1007"),
             ("prelithiation_press", "4,441", "4,201", "1.0570"), ("stacker", "4,051", "3,911", "1.0359"),
             ("formation_rack", "4,462", "4,373", "1.0204"))
    for name, cap, lim, ui in table:
        assert f"{by[name].capacity_units_per_h:,.0f}" == cap, name
        assert f"{limits[name]:,.0f}" == lim, name
        assert f"{u[name]:.4f}" == ui, name
        _quoted(f"= {cap} | {ui} | {lim} |")
    assert default_lot_size(specs) == 200
    _quoted("so L = 200")
    # 168 / 160 scheduled hours: a 24-h unattended job runs through the weekly maintenance shift
    assert by["formation_rack"].off_shift_speedup == pytest.approx(1.05, abs=0.0005)
    assert gwh.calendar.scheduled_h_per_week * 365 / 7 == pytest.approx(8343, abs=0.5)


def test_the_cost_figures_on_paper(plan10):
    # docs/model.md "The cost model" ... "From cost to price": the 10 Ah cell on the GWh line on paper
    r = plan10.cost
    assert f"{r.cost_per_cell_usd:.2f}" == "18.71" and f"{r.cost_per_kWh_usd:.2f}" == "524.03"
    _quoted("18.71 USD per good cell, 524.03 USD/kWh")
    assert f"{r.process_cost_per_cell_usd:.2f}" == "2.06" and f"{r.process_cost_per_kWh_usd:.2f}" == "57.64"
    _quoted("process 2.06 USD (57.64 USD/kWh)")
    assert f"{r.price_per_cell_usd:.2f}" == "20.81" and f"{r.price_per_kWh_usd:.2f}" == "582.70"
    _quoted("price 20.81 USD (582.70 USD/kWh)")
    assert f"{r.annual_good_cells / 1e6:.2f}" == "31.43"
    _quoted("= 31.43 million cells")
    assert f"{r.equipment_capex_usd / 1e6:.1f}" == "219.2"
    _quoted("219.2 MUSD / 7 yr")
    # the investment arithmetic: equipment + fixtures + building + launch + working capital (BatPaC5 layers)
    inv = {k: f"{v / 1e6:.1f}" for k, v in r.investment_usd.items()}
    assert (inv["equipment_usd"], inv["fixtures_usd"], inv["launch_usd"], inv["working_capital_usd"]) == \
        ("219.2", "1.9", "27.8", "82.9")
    assert f"{sum(r.investment_usd.values()) / 1e6:.1f}" == "331.8"
    _quoted("219.2 + 1.9 + 0 + 27.8 + 82.9 = 331.8 MUSD")
    # the fixtures the cost pays for are the GWh line's whole pool (carriers: 11,000 of 10 cells)
    pool = plan10.line.carriers["fixtures"]
    assert r.fixtures_in_circulation == pool.count == 11_000
    assert f"{r.investment_usd['fixtures_usd'] / 1e6:.2f}" == "1.86"
    _quoted("11,000 × 169 USD = 1.86 MUSD")
    assert f"{r.start_factors['alloy_prep']:.4f}" == "1.1288" and f"{r.start_factors['stacking']:.4f}" == "1.0359"
    _quoted("F = 1.1288 at alloy preparation")
    indium = next(m for m in r.material_lines if m.material_id == "indium")
    assert f"{indium.g_per_good_cell:.3f}" == "8.265" and f"{indium.cost_usd_per_cell:.2f}" == "2.89"
    _quoted("8.265 g per good cell, at 350 USD/kg 2.89 USD")
    mill = next(s for s in r.stations if s.name == "alloy_rolling_mill")
    # the simulation runs the mill's 2 visits, so the cost reads it as the catalogue entry itself
    assert mill.visits == 2 and mill.capacity_ratio == pytest.approx(1.0) and mill.machines == 6
    assert f"{mill.capex_usd / mill.machines / 1e6:.0f}" == "5"
    _quoted("so the mill is the entry itself, r = 1.0, capex 5 MUSD")
    assert f"{r.electricity_MWh_per_yr:,.0f}" == "40,914"
    _quoted("40,914 MWh of electricity a year")
    # the process-cost table's rows (USD per good cell)
    rows = {(ln.category, ln.item): ln.usd_per_cell for ln in r.process_lines}
    assert f"{rows[('depreciation', 'equipment (incl. gloveboxes, dry room)')]:.3f}" == "0.996"
    assert f"{rows[('depreciation', 'pressure fixtures in circulation')]:.4f}" == "0.0085"
    assert f"{r.breakdown_usd_per_cell['labour']:.3f}" == "0.329"
    assert f"{r.breakdown_usd_per_cell['overhead']:.3f}" == "0.476"
    _quoted("| depreciation, equipment | 219.2 MUSD / 7 yr | 0.996 |")
    _quoted("| overhead | 0.6 × labour + 0.04 × 219.2 MUSD | 0.476 |")
    _quoted("| process cost | | 2.06 |")


def test_the_demand_figures_on_paper(plan10, materials):
    # docs/model.md "Material demand": indium against the world's refinery output
    from pouchline.demand import material_demand

    d = material_demand(plan10.cost, materials)
    t = d.tightest
    assert t["element"] == "In" and f"{100 * t['share_of_world_frac']:.1f}" == "24.1"
    assert f"{t['GWh_per_yr_at_world_output']:.2f}" == "4.67"
    _quoted("24.1 % of the 1,080 t refined in 2024")


def test_the_fixture_and_design_figures(recipe, materials, plan10):
    # docs/model.md "The pressure fixture" and "Recipe revisions and design references"
    from pouchline.cell.design_values import design_values

    fx = plan10.cell.fixture
    assert (fx.bolts, fx.bolt_size, fx.bolt_class) == (12, "M20", "8.8")
    assert f"{fx.bolt_torque_Nm:.0f}" == "300" and f"{fx.mass_g / 1000:.1f}" == "42.4"
    _quoted("900 kN needs 12 × M20 class 8.8")
    v = design_values(recipe, materials)
    assert (v["bolt_count"].value, v["bolt_size"].value) == (6, "M8")
    assert f"{v['bolt_torque_Nm'].value:.0f}" == "14" and f"{v['cathode_sheet_mass_g'].value:.4f}" == "0.5075"
    _quoted("| 6 × M8 8.8 | 12 × M20 8.8 |")


def test_the_sizing_figures_on_paper(recipe, plan10):
    # docs/model.md "Plant sizing": machines on paper for 1 GWh/yr of the 10 Ah cell
    from pouchline.cost import load_rates
    from pouchline.equipment import default_catalogue
    from pouchline.plant.design import design_plant

    d = design_plant(recipe, plan10.cell, default_catalogue(), load_rates(), volume_MWh_per_yr=1000.0)
    n = {s.name: s.machines for s in d.stations}
    assert (n["stacking"], n["formation"]) == (20, 351)
    assert n["release"] == 4 and len(n) == 17
    assert sum(n.values()) == 476
    assert {s.machine_class for s in d.stations} == {"production"}
    assert f"{d.good_cells_per_h:,.0f}" == "3,536" and f"{d.scheduled_h_per_yr:,.1f}" == "7,920.5"
    _quoted("⌈19.35⌉ = 20")
    _quoted("= 4. All 17 stations take production machines; 476 machines in all")
