"""What a pilot line should measure first: every `estimate` and `assumed` figure of the shipped
files, ranked by how much it moves $/kWh or Wh/kg.

The figures are found in the data files (:func:`tagged_figures`): every mapping whose ``source``
(or ``*_source``) starts with ``estimate:`` or ``assumed:``, and in the line files every value
whose comment carries the old estimate marks (``[E]``, ``B6 mature`` / ``B6 pilot``) until the
citation rewrite gives them ``source`` fields.

Each figure is moved one at a time (:func:`effects`), everything else at base:

* a figure with a low / base / high range (cost rates, prices) from its low to its high value,
  as :func:`pouchline.cost.sensitivity.sensitivity` does;
* a default step yield between its pilot and mature values;
* any other number by ±10 %; a number that is 0 by a stated step (``ZERO_STEPS``);
* text (safety notes, headers) not at all: it is listed with no effect.

and the swing is recorded as a percentage of the base value, the largest over three reference
cases: the 10-layer cell on the 300 x 100 mm electrode costed on the default plant (D) and on the
GWh line (G, its on-paper bottleneck rate), and the recipe's single-layer cell on the pilot line
(P). Wh/kg is the cell's (stack, tabs and pouch), the larger of the 10-layer (EV) and the
single-layer (1L) cell, and of the 10-layer cell in its pressure fixture (EVF); Wh/L is shown but
does not rank.

:func:`update_sources_md` writes the table between the markers of ``docs/sources.md``.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from pouchline.errors import InputError
from pouchline.validation.citations import REPO_ROOT, SOURCES_MD

BEGIN = "<!-- BEGIN GENERATED: measure-first -->"
END = "<!-- END GENERATED: measure-first -->"
RELATIVE_STEP = 0.10
#: Perturbation of a figure whose value is 0, by the suffix of its field name.
ZERO_STEPS: dict[str, float] = {"_frac": 0.10, "_mm": 1.0, "_um": 1.0}
EV_LAYERS = 10
EV_FORMAT = "ev-300x100"
CASES = {"D": "default plant, 10-layer EV cell", "G": "GWh line, 10-layer EV cell", "P": "pilot line, single layer"}

_TAGS = ("estimate", "assumed")
_TAG_RE = re.compile(r"^\s*(estimate|assumed)\s*:")
_OLD_ESTIMATE_RE = re.compile(r"\[E\]|\bB6 (?:mature|pilot)\b|^\s*estimate:")  # old marks, or a comment tagged estimate:


@dataclass(frozen=True)
class TaggedFigure:
    """A figure tagged ``estimate`` or ``assumed`` in a shipped file."""

    file: str  # repository-relative
    path: str  # dotted field path within the file
    tag: str
    value: str  # as written
    source: str  # the tag's text (or the comment)
    perturb: tuple = ()  # how to move it (see effects); () for text
    line: int = 0  # line of a comment tag (line files)
    origin: str = ""  # the tagged field as "mapping.path#key" (see _origin)


@dataclass
class Effect:
    figure: TaggedFigure
    varied: str  # "low-high", "±10 %", "pilot-mature", "" (text)
    cost_pct: float = 0.0
    cost_case: str = ""
    whkg_pct: float = 0.0
    whkg_case: str = ""
    whl_pct: float = 0.0
    note: str = ""

    @property
    def rank_pct(self) -> float:
        return max(self.cost_pct, self.whkg_pct)


# ------------------------------------------------------------------------------------------------
# finding the figures
# ------------------------------------------------------------------------------------------------
def _tag(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    m = _TAG_RE.match(text)
    return m.group(1) if m else None


def _walk(node: Any, path: list[str]) -> Iterator[tuple[list[str], dict]]:
    """Every mapping in a YAML tree with its path; list items by their id or name."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, path + [str(k)])
    elif isinstance(node, list):
        for i, v in enumerate(node):
            key = str(v.get("id", v.get("name", i))) if isinstance(v, dict) else str(i)
            yield from _walk(v, path + [key])


def _origin(path: list[str], key: str = "source") -> str:
    return ".".join(path) + "#" + key


def _shown(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _range(d: dict) -> str:
    unit = f" {d['unit']}" if d.get("unit") else ""
    return f"{_shown(d['low'])} / {_shown(d['base'])} / {_shown(d['high'])}{unit}"


def _recipe_figures(rel: str, data: dict) -> list[TaggedFigure]:
    out = []
    for path, d in _walk(data, []):
        tag = _tag(d.get("source"))
        if tag is None:
            continue
        dotted = ".".join(path)
        if "target" in d:
            out.append(TaggedFigure(rel, dotted, tag, _shown(d["target"]), d["source"], ("recipe", dotted),
                                    origin=_origin(path)))
        else:
            what = d.get("title") or d.get("text") or "(text)"
            out.append(TaggedFigure(rel, dotted, tag, f"text: {str(what)[:40]}", d["source"], origin=_origin(path)))
    return out


def _materials_figures(rel: str, data: dict) -> list[TaggedFigure]:
    out = []
    for m in data.get("materials", []):
        mid = m.get("id")
        for key, val_key in (("density_source", "density_g_cm3"), ("capacity_source", "specific_capacity_mAh_g")):
            tag = _tag(m.get(key))
            if tag:
                out.append(TaggedFigure(rel, f"materials.{mid}.{val_key}", tag, _shown(m.get(val_key)), m[key],
                                        ("material", mid, val_key, float(m.get(val_key))),
                                        origin=_origin(["materials", str(mid)], key)))
        price = m.get("price") or {}
        for point in ("low", "base", "high"):
            p = price.get(point) or {}
            tag = _tag(p.get("source"))
            if tag:
                out.append(TaggedFigure(rel, f"materials.{mid}.price.{point}", tag,
                                        f"{_shown(p.get('value'))} {price.get('unit', '')}".strip(), p["source"],
                                        ("price", mid), origin=_origin(["materials", str(mid), "price", point])))
        for h in m.get("hazards", []) or []:
            tag = _tag(h.get("source"))
            if tag:
                out.append(TaggedFigure(rel, f"materials.{mid}.hazards.{h.get('id')}", tag,
                                        f"text: {str(h.get('text'))[:40]}", h["source"],
                                        origin=_origin(["materials", str(mid), "hazards", str(h.get("id"))])))
    return out


def _rates_figures(rel: str, data: dict) -> list[TaggedFigure]:
    out = []
    for name, r in (data.get("rates") or {}).items():
        tag = _tag(r.get("source"))
        if tag:
            out.append(TaggedFigure(rel, f"rates.{name}", tag, _range(r), r["source"], ("rate", name),
                                    origin=_origin(["rates", name])))
    for kind, st in (data.get("stations") or {}).items():
        for fld in ("throughput", "capex_usd", "power_kW"):
            r = st.get(fld) or {}
            tag = _tag(r.get("source"))
            if tag:
                out.append(TaggedFigure(rel, f"stations.{kind}.{fld}", tag, _range(r), r["source"],
                                        ("rate", f"stations.{kind}.{fld}"), origin=_origin(["stations", kind, fld])))
        tag = _tag(st.get("source"))
        if tag:
            out.append(TaggedFigure(rel, f"stations.{kind}.operator_factor, footprint_m2", tag,
                                    f"{_shown(st.get('operator_factor'))} operators/machine, "
                                    f"{_shown(st.get('footprint_m2'))} m2", st["source"], ("station_kind", kind),
                                    origin=_origin(["stations", kind])))
    for step, y in (data.get("default_step_yield") or {}).items():
        tag = _tag(y.get("source"))
        if tag:
            out.append(TaggedFigure(rel, f"default_step_yield.{step}", tag,
                                    f"pilot {_shown(y['pilot'])} / mature {_shown(y['mature'])}", y["source"],
                                    ("yield", step, float(y["pilot"]), float(y["mature"])),
                                    origin=_origin(["default_step_yield", step])))
    for block, kind in (("plant", "plant"), ("alloy_thermal", "alloy_thermal")):
        b = data.get(block) or {}
        tag = _tag(b.get("source"))
        if tag:
            nums = ", ".join(f"{k} {_shown(v)}" for k, v in b.items() if isinstance(v, (int, float))
                             and not isinstance(v, bool))
            out.append(TaggedFigure(rel, block, tag, nums, b["source"], (kind,), origin=_origin([block])))
    return out


def _formats_figures(rel: str, data: dict) -> list[TaggedFigure]:
    out = []
    for f in data.get("formats", []):
        tag = _tag(f.get("source"))
        if tag:
            out.append(TaggedFigure(rel, f"formats.{f.get('id')}", tag,
                                    f"{_shown(f.get('length_mm'))} x {_shown(f.get('width_mm'))} mm ({f.get('basis')})",
                                    f["source"], ("format", f.get("id")), origin=_origin(["formats", str(f.get("id"))])))
    return out


_KEY_RE = re.compile(r"^(\s*)(-\s+)?([A-Za-z_][\w]*):\s*(.*)$")


def _line_figures(rel: str, text: str, data: dict) -> list[TaggedFigure]:
    """Tagged ``source`` fields of a line file, and values whose comment marks them as estimates."""
    out = []
    tag = _tag(data.get("source"))
    if tag:
        out.append(TaggedFigure(rel, "source", tag, "text: the line as a whole", data["source"], origin=_origin([])))
    cal = data.get("calendar") or {}
    tag = _tag(cal.get("source"))
    if tag:
        out.append(TaggedFigure(rel, "calendar", tag,
                                ", ".join(f"{k} {_shown(v)}" for k, v in cal.items() if k != "source"),
                                cal["source"], ("line", rel, "calendar", None, "planned_maintenance_h_per_week"),
                                origin=_origin(["calendar"])))
    for zid, z in (data.get("zones") or {}).items():
        tag = _tag(z.get("source"))
        if tag:
            out.append(TaggedFigure(rel, f"zones.{zid}", tag, f"text: {z.get('kind')}", z["source"],
                                    origin=_origin(["zones", str(zid)])))
    block, item, seen = "", None, set()
    for n, raw in enumerate(text.splitlines(), start=1):
        m = _KEY_RE.match(raw)
        if not m or raw.lstrip().startswith("#"):
            continue
        indent, dash, key, rest = m.groups()
        value, _, comment = rest.partition("#")
        value = value.strip()
        if not indent and not dash:
            block, item = key, None
            continue
        if block == "stations" and dash and key == "name":
            item = value
            continue
        if block == "zones" and len(indent) == 2 and not value:
            item = key
            continue
        if key == "source" or not value or value.startswith(("[", "{")) or not _OLD_ESTIMATE_RE.search(comment):
            continue  # (a list or mapping, e.g. a zone's exposure_starts_at, is not a figure to move)
        path = ".".join(x for x in (block, item, key) if x)
        if path in seen:
            continue
        seen.add(path)
        out.append(TaggedFigure(rel, path, "estimate", value, comment.strip(), ("line", rel, block, item, key), line=n))
    return out


def _remaining_figures(rel: str, data: Any, done: set[str]) -> list[TaggedFigure]:
    """Tagged fields no specific rule covers (e.g. fields added after this module was written):
    listed with their numbers, not moved."""
    out = []
    for path, d in _walk(data, []):
        for key, text in d.items():
            if not (isinstance(key, str) and key.endswith("source")):
                continue
            tag = _tag(text)
            if tag is None or _origin(path, key) in done:
                continue
            nums = ", ".join(f"{k} {_shown(v)}" for k, v in d.items() if isinstance(v, (int, float))
                             and not isinstance(v, bool)) or "text"
            out.append(TaggedFigure(rel, ".".join(path) + ("" if key == "source" else f".{key}"), tag, nums, text,
                                    origin=_origin(path, key)))
    return out


def tagged_figures(root: Path = REPO_ROOT) -> list[TaggedFigure]:
    """Every figure tagged ``estimate`` or ``assumed`` in the shipped files (``recipes/``)."""
    import yaml

    out: list[TaggedFigure] = []
    rec = root / "recipes"
    for path in sorted(rec.rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
        if rel.startswith("recipes/lines/"):
            found = _line_figures(rel, text, data)
        elif path.name == "materials.yaml":
            found = _materials_figures(rel, data)
        elif path.name == "cost-rates.yaml":
            found = _rates_figures(rel, data)
        elif path.name == "formats.yaml":
            found = _formats_figures(rel, data)
        elif isinstance(data, dict) and "steps" in data and "cell" in data:
            found = _recipe_figures(rel, data)
        else:
            found = []
        found += _remaining_figures(rel, data, {f.origin for f in found if f.origin})
        out += found
    return out


# ------------------------------------------------------------------------------------------------
# moving them
# ------------------------------------------------------------------------------------------------
@dataclass
class _Inputs:
    recipe: Any
    materials: Any
    rates: Any
    formats: Any
    lines: dict[str, Any]
    step_yields: dict[str, float] | None = None  # default plant only
    price_overrides: dict[str, float] | None = None
    rate_overrides: dict[str, float] | None = None
    volume_MWh: float | None = None


@dataclass
class _Outputs:
    cost: dict[str, float] = field(default_factory=dict)  # case -> $/kWh
    whkg: dict[str, float] = field(default_factory=dict)  # "EV" / "1L" -> Wh/kg
    whl: dict[str, float] = field(default_factory=dict)


def _evaluate(x: _Inputs) -> _Outputs:
    from pouchline.cell import size_cell
    from pouchline.cost import cost_cell

    ev = size_cell(x.recipe, x.materials, layers=EV_LAYERS, format=EV_FORMAT, formats=x.formats)
    one = size_cell(x.recipe, x.materials)
    kw = dict(rates=x.rates, price_overrides=x.price_overrides, rate_overrides=x.rate_overrides)
    out = _Outputs()
    out.cost["D"] = cost_cell(x.recipe, x.materials, ev, step_yields=x.step_yields, annual_volume_MWh=x.volume_MWh,
                              **kw).cost_per_kWh_usd
    out.cost["G"] = cost_cell(x.recipe, x.materials, ev, line=x.lines["recipes/lines/gwh-line.yaml"], **kw).cost_per_kWh_usd
    out.cost["P"] = cost_cell(x.recipe, x.materials, one, line=x.lines["recipes/lines/pilot-line.yaml"],
                              **kw).cost_per_kWh_usd
    out.whkg = {"EV": ev.specific_energy_Wh_kg, "EVF": ev.with_fixture["specific_energy_Wh_kg"],
                "1L": one.specific_energy_Wh_kg}
    out.whl = {"EV": ev.energy_density_Wh_L, "1L": one.energy_density_Wh_L}
    return out


def _swing(lo: Mapping[str, float], hi: Mapping[str, float], base: Mapping[str, float]) -> tuple[float, str]:
    best, case = 0.0, ""
    for k in base:
        s = abs(hi[k] - lo[k]) / abs(base[k]) * 100 if base[k] else 0.0
        if s > best + 1e-12:
            best, case = s, k
    return best, case


def _scaled(v: float, factor: float, name: str) -> float:
    if v == 0:
        for suffix, step in ZERO_STEPS.items():
            if name.endswith(suffix):
                return step if factor > 1 else 0.0
        raise ValueError("is 0 and has no stated step")
    return v * factor


def _model_value(recipe: Any, dotted: str) -> float:
    node: Any = recipe
    parts = dotted.split(".")
    i = 0
    while i < len(parts):
        p = parts[i]
        if p == "steps" and i + 1 < len(parts):
            node = recipe.step(parts[i + 1])
            i += 2
            continue
        node = getattr(node, p)
        i += 1
    return float(getattr(node, "target", node))


class _Context:
    """The base inputs, loaded once, and the ways to move one figure."""

    def __init__(self, root: Path) -> None:
        import yaml

        from pouchline.cell.formats import load_formats
        from pouchline.cost.rates import load_rates
        from pouchline.line import load_line
        from pouchline.recipe.io import recipe_from_data

        self.root = root
        self.recipe_path = root / "recipes" / "insnbi-lco-pouch.yaml"
        self.recipe_data = yaml.safe_load(self.recipe_path.read_text(encoding="utf-8"))
        self._recipe_from_data = recipe_from_data
        self.recipe, self.materials = recipe_from_data(copy.deepcopy(self.recipe_data), str(self.recipe_path),
                                                       base_dir=self.recipe_path.parent)
        self.rates = load_rates(root / "recipes" / "cost-rates.yaml")
        self.formats = load_formats(root / "recipes" / "formats.yaml")
        self.lines = {f"recipes/lines/{p.name}": load_line(p) for p in sorted((root / "recipes" / "lines").glob("*.yaml"))}
        self.base = _evaluate(self._inputs())

    def _inputs(self, **kw: Any) -> _Inputs:
        x = _Inputs(self.recipe, self.materials, self.rates, self.formats, dict(self.lines))
        for k, v in kw.items():
            setattr(x, k, v)
        return x

    def _reload(self, overrides: list[tuple[str, Any]]):
        return self._recipe_from_data(copy.deepcopy(self.recipe_data), str(self.recipe_path),
                                      base_dir=self.recipe_path.parent, overrides=overrides)

    # each returns (varied text, inputs at the low end, inputs at the high end)
    def moves(self, fig: TaggedFigure) -> tuple[str, _Inputs, _Inputs]:
        kind = fig.perturb[0]
        step = f"±{RELATIVE_STEP:.0%}".replace("%", " %")
        if kind == "recipe":
            dotted = fig.perturb[1]
            v = _model_value(self.recipe, dotted)
            lo, hi = (self._reload([(dotted, _scaled(v, f, dotted))]) for f in (1 - RELATIVE_STEP, 1 + RELATIVE_STEP))
            return (step if v else f"0 to {_scaled(v, 2, dotted):g}"), self._inputs(recipe=lo[0], materials=lo[1]), \
                self._inputs(recipe=hi[0], materials=hi[1])
        if kind == "material":
            _, mid, key, v = fig.perturb
            lo, hi = (self._reload([(f"materials.{mid}.{key}", v * f)]) for f in (1 - RELATIVE_STEP, 1 + RELATIVE_STEP))
            return step, self._inputs(recipe=lo[0], materials=lo[1]), self._inputs(recipe=hi[0], materials=hi[1])
        if kind == "price":
            m = self.materials[fig.perturb[1]]
            return ("low-high", self._inputs(price_overrides={m.id: m.price.low.value}),
                    self._inputs(price_overrides={m.id: m.price.high.value}))
        if kind == "rate":
            r = self.rates.flat()[fig.perturb[1]]
            return ("low-high", self._inputs(rate_overrides={fig.perturb[1]: r.low}),
                    self._inputs(rate_overrides={fig.perturb[1]: r.high}))
        if kind == "station_kind":
            k = fig.perturb[1]

            def moved(f: float):
                st = self.rates.stations[k]
                new = st.model_copy(update={"operator_factor": st.operator_factor * f,
                                            "footprint_m2": st.footprint_m2 * f})
                return self.rates.model_copy(update={"stations": {**self.rates.stations, k: new}})
            return step, self._inputs(rates=moved(1 - RELATIVE_STEP)), self._inputs(rates=moved(1 + RELATIVE_STEP))
        if kind == "yield":
            _, sid, pilot, mature = fig.perturb
            return ("pilot-mature", self._inputs(step_yields={sid: pilot}), self._inputs(step_yields={sid: mature}))
        if kind == "plant":
            v = self.rates.plant.annual_volume_MWh
            return (f"{step} volume", self._inputs(volume_MWh=v * (1 - RELATIVE_STEP)),
                    self._inputs(volume_MWh=v * (1 + RELATIVE_STEP)))
        if kind == "alloy_thermal":
            def thermal(f: float):
                t = self.rates.alloy_thermal
                return self.rates.model_copy(update={"alloy_thermal": t.model_copy(update={
                    "specific_heat_J_gK": t.specific_heat_J_gK * f, "heat_of_fusion_J_g": t.heat_of_fusion_J_g * f})})
            return step, self._inputs(rates=thermal(1 - RELATIVE_STEP)), self._inputs(rates=thermal(1 + RELATIVE_STEP))
        if kind == "format":
            fid = fig.perturb[1]

            def fmt(f: float):
                return self.formats.model_copy(update={"formats": [
                    x.model_copy(update={"length_mm": x.length_mm * f}) if x.id == fid else x
                    for x in self.formats.formats]})
            return f"{step} length", self._inputs(formats=fmt(1 - RELATIVE_STEP)), \
                self._inputs(formats=fmt(1 + RELATIVE_STEP))
        if kind == "line":
            _, name, block, station, key = fig.perturb
            (lo, lo_v), (hi, hi_v) = (_moved_line(self.lines[name], block, station, key, f)
                                      for f in (1 - RELATIVE_STEP, 1 + RELATIVE_STEP))
            varied = step if isinstance(lo_v, float) else f"{lo_v} to {hi_v}"  # whole numbers move by >= 1
            return (varied, self._inputs(lines={**self.lines, name: lo}),
                    self._inputs(lines={**self.lines, name: hi}))
        raise ValueError(f"unknown perturbation {kind!r}")


def _moved_line(line: Any, block: str, station: str | None, key: str, factor: float) -> tuple[Any, Any]:
    """The line with one station (zone, calendar) field scaled, and the new value; whole numbers
    stay whole and move by at least one."""
    def scale(v: Any) -> Any:
        if isinstance(v, bool) or v is None:
            raise ValueError("is not a number")
        if isinstance(v, int):
            floor = 0 if v == 0 else 1
            moved = int(round(v * factor))
            return max(floor, moved if moved != v else v + (1 if factor > 1 else -1))
        return v * factor

    if block == "calendar":
        cal = line.calendar
        v = scale(getattr(cal, key))
        new = cal.model_copy(update={key: v})
        if new.hours_per_day > 24 or new.planned_maintenance_h_per_week >= new.hours_per_day * new.days_per_week:
            raise ValueError("±10 % leaves the calendar impossible")
        if new.hours_per_day < 24 and any(st.runs_off_shift for st in line.stations):
            # ShiftClock.off_shift_speedup does not terminate for some shift calendars (a float at a
            # week's end makes a job last ~0 s); the line branch owns that code
            raise ValueError("shift calendars with unattended stations are not varied (pouchline.line.clock)")
        return line.model_copy(update={"calendar": new}), v
    if block == "zones":
        zone = line.zones[station]
        v = scale(getattr(zone, key))
        return line.model_copy(update={"zones": {**line.zones, station: zone.model_copy(update={key: v})}}), v
    if block == "stations":
        stations, v = [], None
        for st in line.stations:
            if st.name == station:
                v = scale(getattr(st, key))
                if key == "scrap_rate" and not 0 <= v < 1:
                    raise ValueError("is not a fraction")
                st = st.model_copy(update={key: v})
            stations.append(st)
        if v is None:
            raise KeyError(f"no station {station!r}")
        return line.model_copy(update={"stations": stations}), v
    v = scale(getattr(line, key))
    return line.model_copy(update={key: v}), v


def effects(root: Path = REPO_ROOT, figures: list[TaggedFigure] | None = None) -> list[Effect]:
    """Every tagged figure with its one-at-a-time effect on $/kWh and Wh/kg, largest first."""
    figs = figures if figures is not None else tagged_figures(root)
    ctx = _Context(root)
    out: list[Effect] = []
    for fig in figs:
        if not fig.perturb:
            out.append(Effect(fig, "", note="text"))
            continue
        try:
            varied, lo_in, hi_in = ctx.moves(fig)
            lo, hi = _evaluate(lo_in), _evaluate(hi_in)
        except (InputError, ValueError, KeyError, AttributeError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            msg = msg.replace(f"{root}/", "")  # the same table in every checkout
            out.append(Effect(fig, "", note=f"not moved: {msg[:80]}"))
            continue
        e = Effect(fig, varied)
        e.cost_pct, e.cost_case = _swing(lo.cost, hi.cost, ctx.base.cost)
        e.whkg_pct, e.whkg_case = _swing(lo.whkg, hi.whkg, ctx.base.whkg)
        e.whl_pct, _ = _swing(lo.whl, hi.whl, ctx.base.whl)
        out.append(e)
    out.sort(key=lambda e: (-_rounded(e.rank_pct), e.figure.file, e.figure.path))
    return out


def _rounded(pct: float) -> float:
    """Two significant digits: the ranking and the text must not depend on float noise."""
    if pct < 0.005:
        return 0.0
    return float(f"{pct:.2g}")


def _pct_text(pct: float, case: str) -> str:
    r = _rounded(pct)
    if r == 0:
        return "0" if pct < 1e-9 else "< 0.01 %"
    return f"{r:g} % ({case})"


_SEC = r"(?:[AB]\d(?:\.\d{1,2})?(?:\s*-\s*[AB]\d(?:\.\d{1,2})?)?|part [AB]|\[[PDE]\])"


def _clean_source(text: str, external: tuple[str, ...]) -> str:
    """The source text without its references to documents outside the repository."""
    out = text
    for doc in external:
        pat = (r"(?:as quoted in |of |in )?" + re.escape(doc) + r"(?:\s*(?:,\s*|\s+and\s+)?" + _SEC + r")*:?")
        out = re.sub(pat, "", out, flags=re.IGNORECASE)
    out = re.sub(r"\(\s*[,;]?\s*\)", "", out)  # emptied brackets
    out = re.sub(r"\(\s*[,;:]?\s*", "(", out)
    out = re.sub(r":\s*[,;]\s*", ": ", out)
    out = re.sub(r"\s+([,;)])", r"\1", out)
    out = re.sub(r"[,;]\s*\)", ")", out)
    out = re.sub(r"\s{2,}", " ", out).strip(" ,;:")
    return out if out == text else f"{out} †"


def render_table(rows: list[Effect]) -> str:
    """The Markdown table (and its explanation) that goes between the markers of sources.md."""
    lines = [
        "Each figure is moved on its own, everything else at base: a low / base / high figure from low to high, a "
        "default step yield between pilot and mature, any other number by ±10 % (a zero by "
        + ", ".join(f"{v:g} for `*{k}`" for k, v in ZERO_STEPS.items()) + "). The effect is the swing of the result "
        "as a percentage of its base value, the largest of: $/kWh of the 10-layer 300 × 100 mm cell on the default "
        "plant (D) and on the GWh line (G, its bottleneck rate without simulation), and of the single-layer cell on "
        "the pilot line (P); Wh/kg of the 10-layer cell (EV), of the same cell in its 30 MPa steel fixture (EVF) and "
        "of the single-layer cell (1L). The cost leaves the fixture out (module hardware, as `pouchline cost` does). "
        "Text has no effect, and neither have process settings that neither model uses (sealing temperature, "
        "voltage window): those show 0. A figure that cannot be moved says why. Line-file figures are found by their "
        "`estimate:` comments. † marks a source that cited a document outside the repository; the citation is left "
        "out here.",
        "",
        f"{len(rows)} figures; {sum(1 for r in rows if _rounded(r.rank_pct) > 0)} move $/kWh or Wh/kg by 0.01 % or more.",
        "",
        "| # | figure | tag | value | varied | $/kWh | Wh/kg | Wh/L | source as written |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    from pouchline.validation.citations import load_external_documents

    external = load_external_documents()
    for i, r in enumerate(rows, start=1):
        f = r.figure
        src = _clean_source(f.source, external).replace("|", "/")
        if len(src) > 90:
            src = src[:87] + "..."
        where = f"{f.file}: `{f.path}`" + (f" (line {f.line})" if f.line else "")
        whl = _pct_text(r.whl_pct, "").replace(" ()", "")
        lines.append(f"| {i} | {where} | {f.tag} | {f.value.replace('|', '/')} | {r.varied or r.note} | "
                     f"{_pct_text(r.cost_pct, r.cost_case)} | {_pct_text(r.whkg_pct, r.whkg_case)} | {whl} | {src} |")
    return "\n".join(lines) + "\n"


def splice(markdown: str, table: str) -> str:
    """``markdown`` with the text between the markers replaced by ``table``."""
    if BEGIN not in markdown or END not in markdown:
        raise InputError.single(str(SOURCES_MD), "", f"has no {BEGIN} ... {END} markers to write the table between")
    head, rest = markdown.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table}{END}{tail}"


def current_sources_md(root: Path = REPO_ROOT) -> str:
    """``docs/sources.md`` as it should be: the committed text with a freshly generated table."""
    path = root / "docs" / "sources.md"
    return splice(path.read_text(encoding="utf-8"), render_table(effects(root)))


def update_sources_md(root: Path = REPO_ROOT) -> Path:
    from pouchline.fileio import atomic_write

    return atomic_write(root / "docs" / "sources.md", current_sources_md(root))


__all__ = ["BEGIN", "CASES", "END", "Effect", "TaggedFigure", "current_sources_md", "effects", "render_table",
           "splice", "tagged_figures", "update_sources_md"]
