"""Charts of a plan as PNG figures (matplotlib, Agg backend: no screen needed).

Each function takes plain tables or result objects and returns a matplotlib Figure; the caller
saves it (``pouchline.export.plan_report`` writes them atomically; the app shows the same figures).
No calculation happens here beyond arranging what it is given. Every number on an axis or a bar
goes through :mod:`pouchline.display` (no exponents such as ``1e7``).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STATE_COLOURS = {"busy": "#2e7d32", "blocked": "#f9a825", "starved": "#90a4ae", "down": "#c62828",
                 "setup": "#6a1b9a", "zone wait": "#8d6e63", "carrier wait": "#26a69a", "other": "#e0e0e0"}
#: The bottleneck and the stations within its confidence interval, on station charts.
BOTTLENECK_COLOUR = "#c62828"
NEAR_BOTTLENECK_COLOUR = "#ef6c00"


def _fig(w: float = 8.0, h: float = 4.5) -> tuple[Figure, Any]:
    fig, ax = plt.subplots(figsize=(w, h), dpi=110, layout="constrained")
    ax.grid(axis="x", alpha=0.3)
    return fig, ax


def mass_breakdown(mass_breakdown_g: Mapping[str, float], title: str) -> Figure:
    """Horizontal bars of a cell's mass by component, g and share."""
    items = sorted(mass_breakdown_g.items(), key=lambda kv: kv[1])
    total = sum(v for _, v in items) or 1.0
    fig, ax = _fig(8, 0.35 * len(items) + 1.5)
    names = [k.replace("_", " ") for k, _ in items]
    vals = [v for _, v in items]
    ax.barh(names, vals, color="#1565c0")
    for i, v in enumerate(vals):
        ax.text(v, i, f"  {_n(v)} g ({_n(100 * v / total)} %)", va="center", fontsize=8)
    ax.set_xlabel("mass per cell, g")
    ax.set_xlim(0, max(vals) * 1.35 if vals else 1)
    _number_axis(ax.xaxis)
    ax.set_title(title, fontsize=10)
    return fig


#: The paper's own figure on the energy-vs-layers chart: the jellyroll (cathode composite + SE film +
#: alloy) of its one-layer lab cell at 0.2 C (paper: Liu2025 Results, Fig. 6 text: 278.4 Wh/kg,
#: 919.5 Wh/L).
PAPER_JELLYROLL_POINT = {"layers": 1, "Wh_kg": 278.4, "Wh_L": 919.5,
                         "label": "the paper (Liu2025): jellyroll of the lab cell, 0.2 C"}


def energy_vs_layers(df: pd.DataFrame, title: str, *, chosen_layers: int | None = None,
                     paper_point: Mapping[str, Any] | None = PAPER_JELLYROLL_POINT) -> Figure:
    """Cell Wh/kg and Wh/L against the number of layers, with the jellyroll and stack for reference,
    the chosen design marked on the cell curve and the paper's figure as a point.

    The in-fixture figures are left out (they are orders of magnitude lower for one cell per
    fixture); they are in the cell tables and the fixture headline.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.4), dpi=110, layout="constrained")
    x = df["layers"]
    ok = df.get("within_thickness_limit", pd.Series([True] * len(df)))
    for scope, style in (("jellyroll", ":"), ("stack", "--"), ("cell", "-")):
        if f"{scope}_Wh_kg" in df:
            ax.plot(x, df[f"{scope}_Wh_kg"], ls=style, marker="." if scope == "cell" else None, label=scope)
        if f"{scope}_Wh_L" in df:
            ax2.plot(x, df[f"{scope}_Wh_L"], ls=style, marker="." if scope == "cell" else None, label=scope)
    for a, unit, key in ((ax, "specific energy, Wh/kg", "Wh_kg"), (ax2, "energy density, Wh/L", "Wh_L")):
        a.set_xlabel("layers per cell")
        a.set_ylabel(unit)
        a.grid(alpha=0.3)
        if not ok.all():
            first_bad = x[~ok.astype(bool)].min()
            a.axvspan(first_bad - 0.5, x.max() + 0.5, color="red", alpha=0.08, label="over thickness limit")
        col = f"cell_{key}"
        if chosen_layers is not None and col in df and (x == chosen_layers).any():
            y = float(df.loc[x == chosen_layers, col].iloc[0])
            a.plot([chosen_layers], [y], marker="*", ms=16, color="#c62828", ls="none", zorder=5,
                   label=f"this plan: {chosen_layers} layers, {_n(y)} {unit.split(', ')[1]}")
            a.annotate(f"{_n(y)}", (chosen_layers, y), textcoords="offset points", xytext=(0, -16), ha="center",
                       fontsize=8, color="#c62828")
        if paper_point is not None and key in paper_point:
            a.plot([paper_point["layers"]], [paper_point[key]], marker="X", ms=10, color="black", ls="none", zorder=5,
                   label=f"{paper_point['label']}: {_n(paper_point[key])}")
        a.set_ylim(bottom=0, top=a.get_ylim()[1] * 1.04)  # after every point, so the paper's is inside
        a.legend(fontsize=7, loc="lower right")
        _number_axis(a.yaxis)
    fig.suptitle(title, fontsize=10)
    return fig


def _highlight_ticks(ax: Any, names: Sequence[str], bottleneck: str | None, near: Sequence[str]) -> None:
    """Colour and embolden the bottleneck's tick label (and those within its interval)."""
    for tick, name in zip(ax.get_yticklabels(), names):
        if name == bottleneck:
            tick.set_color(BOTTLENECK_COLOUR)
            tick.set_fontweight("bold")
        elif name in near:
            tick.set_color(NEAR_BOTTLENECK_COLOUR)
            tick.set_fontweight("bold")


def station_states(stations: Sequence[Mapping[str, Any]], title: str, *, bottleneck: str | None = None,
                   near: Sequence[str] = ()) -> Figure:
    """Stacked bars of each station's share of scheduled time: busy, setup, down, blocked, starved,
    waiting for its zone or a carrier; the bottleneck (and any station within its confidence
    interval, ``near``) named in red (orange) and marked at the bar's end."""
    names = [s["name"] for s in stations]
    fig, ax = _fig(9, 0.32 * len(names) + 1.8)
    left = [0.0] * len(names)
    for state, key in (("busy", "utilization"), ("setup", "setup_fraction"), ("down", "down_fraction"),
                       ("blocked", "blocked_fraction"), ("starved", "starved_fraction"),
                       ("zone wait", "zone_wait_fraction"), ("carrier wait", "carrier_wait_fraction")):
        vals = [float(s.get(key) or 0.0) for s in stations]
        if not any(vals):
            continue
        ax.barh(names, vals, left=left, color=STATE_COLOURS.get(state, "#bdbdbd"), label=state)
        left = [a + b for a, b in zip(left, vals)]
    for i, name in enumerate(names):
        if name == bottleneck or name in near:
            colour = BOTTLENECK_COLOUR if name == bottleneck else NEAR_BOTTLENECK_COLOUR
            text = "bottleneck" if name == bottleneck else "near (95 % CI)"
            ax.annotate(f"◀ {text}", (1.0, i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8,
                        color=colour, fontweight="bold", annotation_clip=False)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    _highlight_ticks(ax, names, bottleneck, near)
    ax.set_xlabel("share of scheduled time")
    _percent_axis(ax.xaxis)
    ax.legend(fontsize=7, ncol=7, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    ax.set_title(title, fontsize=10)
    return fig


def oee_by_station(stations: Sequence[Mapping[str, Any]], title: str, *, bottleneck: str | None = None,
                   near: Sequence[str] = ()) -> Figure:
    """OEE of each station (availability x performance x quality of scheduled time), with its
    availability behind it; the bottleneck named in red."""
    names = [s["name"] for s in stations]
    oee = [float(s.get("oee") or 0.0) for s in stations]
    avail = [float(s.get("availability") or 0.0) for s in stations]
    fig, ax = _fig(9, 0.32 * len(names) + 1.8)
    ax.barh(names, avail, color="#cfd8dc", label="availability")
    colours = [BOTTLENECK_COLOUR if n == bottleneck else NEAR_BOTTLENECK_COLOUR if n in near else "#1565c0"
               for n in names]
    ax.barh(names, oee, height=0.55, color=colours, label="OEE")
    for i, v in enumerate(oee):
        ax.text(v, i, f" {_n(100 * v)} %", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    _highlight_ticks(ax, names, bottleneck, near)
    ax.set_xlabel("share of scheduled time (OEE = availability x performance x quality)")
    _percent_axis(ax.xaxis)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title, fontsize=10)
    return fig


def capex_by_station(stations: Sequence[Mapping[str, Any]], title: str, *, extra_usd: Mapping[str, float] | None = None,
                     bottleneck: str | None = None) -> Figure:
    """Equipment capex of each station (its machines, glovebox or dry-room share), M USD, largest
    first, with ``extra_usd`` items (e.g. the pressure fixtures in circulation) as their own bars."""
    items = [(s["name"], float(s.get("capex_usd") or 0.0)) for s in stations]
    items += [(k, float(v)) for k, v in (extra_usd or {}).items() if v]
    items.sort(key=lambda kv: kv[1], reverse=True)
    names = [k for k, _ in items]
    vals = [v / 1e6 for _, v in items]
    total = sum(vals) or 1.0
    fig, ax = _fig(9, 0.32 * len(names) + 1.6)
    colours = ["#6a1b9a" if n in (extra_usd or {}) else BOTTLENECK_COLOUR if n == bottleneck else "#00838f"
               for n in names]
    ax.barh(names, vals, color=colours)
    for i, v in enumerate(vals):
        ax.text(v, i, f"  {_n(v)} M USD ({_n(100 * v / total)} %)", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(vals) * 1.35 if vals else 1)
    _highlight_ticks(ax, names, bottleneck, ())
    ax.set_xlabel(f"capex, M USD (total {_n(total)} M USD)")
    _number_axis(ax.xaxis)
    ax.set_title(title, fontsize=10)
    return fig


def yield_loss_by_step(yield_per_step: Mapping[str, float], title: str) -> Figure:
    """Where the rolled throughput yield goes: each step's share of the loss 1 - RTY, in points.

    RTY is the product of the steps' yields, so a step's share of the loss is split in proportion
    to ln(yield) (ln RTY = sum of ln yield): order-independent, and the bars add up to 1 - RTY.
    """
    ys = {k: float(v) for k, v in yield_per_step.items() if v is not None and 0.0 < float(v) <= 1.0}
    rty = math.prod(ys.values()) if ys else 1.0
    logs = {k: -math.log(v) for k, v in ys.items()}
    total_log = sum(logs.values())
    loss = {k: (1.0 - rty) * lv / total_log if total_log > 0 else 0.0 for k, lv in logs.items()}
    items = sorted(((k, v) for k, v in loss.items() if v > 0), key=lambda kv: kv[1])
    fig, ax = _fig(8, 0.32 * max(len(items), 1) + 1.8)
    names = [k.replace("_", " ") for k, _ in items]
    vals = [100 * v for _, v in items]
    ax.barh(names, vals, color="#c62828")
    for i, (k, v) in enumerate(items):
        ax.text(100 * v, i, f"  {_n(100 * v)} points (yield {_n(100 * ys[k], 4)} %)", va="center", fontsize=8)
    ax.set_xlim(0, max(vals) * 1.5 if vals else 1)
    ax.set_xlabel(f"share of the yield loss, percentage points (RTY {_n(100 * rty)} %, loss {_n(100 * (1 - rty))} points)")
    _number_axis(ax.xaxis)
    ax.set_title(title, fontsize=10)
    return fig


def short_material_label(name: str) -> str:
    """A material's name short enough for an axis: no parentheses, no purity or percentage part
    ("Indium metal, >= 99.99 %" -> "Indium metal"; "Li6PS5Cl, nm grade (cathode catholyte)" ->
    "Li6PS5Cl, nm grade")."""
    base = name.split(" (")[0]
    parts = [p for p in base.split(", ") if not p.startswith((">", "<")) and "%" not in p]
    return ", ".join(parts) or name


def cost_waterfall(materials_usd: Mapping[str, float], process_usd: Mapping[str, float], title: str, *,
                   unit: str = "USD per good cell", top_materials: int = 8,
                   names: Mapping[str, str] | None = None) -> Figure:
    """A waterfall from 0 to the cost: each material (the largest ``top_materials``, the rest as one
    bar), then each process category, then the total. ``names``: material id -> the label to show
    (e.g. :func:`short_material_label` of the library's name); ids otherwise."""
    mats = sorted(((k, float(v)) for k, v in materials_usd.items()), key=lambda kv: kv[1], reverse=True)
    shown = mats[:top_materials]
    rest = sum(v for _, v in mats[top_materials:])
    if rest > 0:
        shown.append((f"{len(mats) - top_materials} other materials", rest))
    steps = [(k, v, "#1565c0") for k, v in shown] + [(k, float(v), "#00838f") for k, v in process_usd.items()]
    total = sum(v for _, v, _ in steps)
    fig, ax = _fig(max(8.0, 0.55 * (len(steps) + 1) + 2), 4.8)
    bottom = 0.0
    labels = []
    for i, (k, v, colour) in enumerate(steps):
        ax.bar(i, v, bottom=bottom, color=colour)
        ax.text(i, bottom + v, _n(v), ha="center", va="bottom", fontsize=7)
        bottom += v
        labels.append((names or {}).get(k) or k.replace("_", " "))
    ax.bar(len(steps), total, color="#37474f")
    ax.text(len(steps), total, _n(total), ha="center", va="bottom", fontsize=8, fontweight="bold")
    labels.append("total")
    ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=8)
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)
    ax.grid(axis="x", visible=False)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="#1565c0", label="materials (scrap included)"), Patch(color="#00838f", label="process"),
                       Patch(color="#37474f", label="total")], fontsize=7, loc="upper left")
    _number_axis(ax.yaxis)
    ax.set_title(title, fontsize=10)
    return fig


def throughput_over_time(series_per_day: Sequence[Sequence[float]], warmup_days: float, title: str, *,
                         target_per_day: float | None = None, target_label: str = "target",
                         mean_per_day: float | None = None) -> Figure:
    """Good cells per day for each replication, with the warm-up shaded, a target line and the
    simulated mean per calendar day over the measured period (maintenance days included), which is
    what compares with a yearly target."""
    fig, ax = _fig()
    for i, s in enumerate(series_per_day):
        ax.plot(range(1, len(s) + 1), s, lw=1, alpha=0.8, label=f"replication {i + 1}")
    if warmup_days:
        ax.axvspan(0, warmup_days, color="grey", alpha=0.15, label="warm-up (not measured)")
    if target_per_day:
        ax.axhline(target_per_day, color="black", lw=1.2, ls="--", label=f"{target_label}: {_n(target_per_day)} per day")
    if mean_per_day:
        ax.axhline(mean_per_day, color="#c62828", lw=1.2, ls=":",
                   label=f"simulated mean per calendar day: {_n(mean_per_day)}")
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("day (calendar, from an empty line)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("good cells per day")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    _number_axis(ax.yaxis)
    ax.set_title(title, fontsize=10)
    return fig


def cost_breakdown(breakdown_usd: Mapping[str, float], title: str, unit: str = "USD per cell") -> Figure:
    """Bars of cost by category."""
    items = sorted(breakdown_usd.items(), key=lambda kv: kv[1])
    fig, ax = _fig(8, 0.4 * len(items) + 1.5)
    vals = [v for _, v in items]
    ax.barh([k.replace("_", " ") for k, _ in items], vals, color="#00838f")
    total = sum(vals) or 1.0
    for i, v in enumerate(vals):
        ax.text(v, i, f"  {_n(v)} ({_n(100 * v / total)} %)", va="center", fontsize=8)
    ax.set_xlim(0, max(vals) * 1.3 if vals else 1)
    ax.set_xlabel(unit)
    _number_axis(ax.xaxis)
    ax.set_title(title, fontsize=10)
    return fig


def tornado(df: pd.DataFrame, base_usd_per_kWh: float, title: str, top: int = 12) -> Figure:
    """Each input at its low and high (the rest at base): $/kWh, largest swing on top."""
    d = df.head(top).iloc[::-1]
    fig, ax = _fig(9, 0.38 * len(d) + 1.6)
    labels = [str(s)[:48] for s in d["input"]]
    lo = d["cost_per_kWh_low_usd"] - base_usd_per_kWh
    hi = d["cost_per_kWh_high_usd"] - base_usd_per_kWh
    ax.barh(labels, lo, left=base_usd_per_kWh, color="#43a047", label="input at low")
    ax.barh(labels, hi, left=base_usd_per_kWh, color="#e53935", label="input at high")
    ax.axvline(base_usd_per_kWh, color="black", lw=1)
    ax.set_xlabel(f"cost, USD/kWh (base {_n(base_usd_per_kWh)})")
    ax.legend(fontsize=7, loc="lower right")
    _number_axis(ax.xaxis)
    ax.set_title(title, fontsize=10)
    return fig


def _n(value: float, sig: int = 3) -> str:
    from pouchline.display import fmt_number

    return fmt_number(value, sig)


def _percent_axis(axis: Any) -> None:
    """Tick labels of a share axis (0-1) as percentages."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{_n(100 * v)} %"))


def _number_axis(axis: Any) -> None:
    """Tick labels through :func:`pouchline.display.fmt_number` (no exponents)."""
    from matplotlib.ticker import FuncFormatter

    from pouchline.display import fmt_number

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(v)))


def scaleup_cost_and_capex(table: pd.DataFrame, title: str) -> Figure:
    """The scale-up table against volume (log axis): USD/kWh (total, materials, process) and
    equipment capex per GWh/yr."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110, layout="constrained")
    x = table["target_GWh_per_yr"]
    for col, name, style in (("cost_per_kWh_usd", "cell", "-"), ("material_cost_per_kWh_usd", "materials", "--"),
                             ("process_cost_per_kWh_usd", "process", ":")):
        ax.plot(x, table[col], ls=style, marker="o", label=name)
    ax2.plot(x, table["capex_per_GWh_usd"] / 1e6, marker="o", color="#6a1b9a")
    for a, unit in ((ax, "cost, USD/kWh"), (ax2, "equipment capex, M USD per GWh/yr")):
        a.set_xscale("log")
        a.set_xlabel("target, GWh/yr (log)")
        a.set_ylabel(unit)
        a.set_ylim(bottom=0)
        a.grid(alpha=0.3, which="both")
        _number_axis(a.xaxis)
        _number_axis(a.yaxis)
    ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


def scaleup_cost_share(table: pd.DataFrame, title: str) -> Figure:
    """Materials and process share of the cell's USD/kWh at each target."""
    from pouchline.display import fmt_number

    fig, ax = _fig(8, 0.45 * len(table) + 1.6)
    labels = [f"{fmt_number(v)} GWh/yr" for v in table["target_GWh_per_yr"]]
    mat = table["material_cost_per_kWh_usd"] / table["cost_per_kWh_usd"]
    ax.barh(labels, mat, color="#1565c0", label="materials")
    ax.barh(labels, 1 - mat, left=mat, color="#00838f", label="process")
    for i, (m, tot) in enumerate(zip(mat, table["cost_per_kWh_usd"])):
        ax.text(0.01, i, f"materials {100 * m:.0f} %", va="center", color="white", fontsize=8)
        ax.text(0.99, i, f"process {100 * (1 - m):.0f} % (of {fmt_number(tot)} USD/kWh)", va="center", ha="right",
                color="white", fontsize=8)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("share of the cell's cost")
    ax.set_title(title, fontsize=10)
    return fig


def rampup(table: pd.DataFrame, nameplate_good_cells_per_month: float, nameplate_cost_per_kWh_usd: float,
           title: str, share: float = 0.9) -> Figure:
    """A ramp-up month by month: good cells (simulated, 95 % interval; and the capacity limit) against
    nameplate, and the cell's USD/kWh against its nameplate cost."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110, layout="constrained")
    m = table.index if "month" not in table else table["month"]
    good = table["good_cells"]
    err = [good - table["good_cells_ci95_low"], table["good_cells_ci95_high"] - good]
    ax.errorbar(m, good, yerr=err, marker="o", ms=3, lw=1, capsize=2, label="good cells (simulated)")
    ax.plot(m, table["capacity_limit_good_cells"], ls=":", color="grey", label="capacity limit")
    ax.axhline(nameplate_good_cells_per_month, color="black", lw=1, label="nameplate (mature line)")
    ax.axhline(share * nameplate_good_cells_per_month, color="black", lw=1, ls="--",
               label=f"{100 * share:.0f} % of nameplate")
    ax.set_ylabel("good cells per month")
    ax2.plot(m, table["cost_per_kWh_usd"], marker="o", ms=3, label="cell")
    ax2.plot(m, table["process_cost_per_kWh_usd"], marker="o", ms=3, ls=":", label="process")
    ax2.axhline(nameplate_cost_per_kWh_usd, color="black", lw=1, label="cell at nameplate")
    ax2.set_ylabel("cost, USD/kWh")
    from matplotlib.ticker import MaxNLocator

    for a in (ax, ax2):
        a.set_xlabel("month after start of production")
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        a.set_ylim(bottom=0)
        a.grid(alpha=0.3)
        a.legend(fontsize=7, loc="best")
        _number_axis(a.yaxis)
    fig.suptitle(title, fontsize=10)
    return fig


def figure_png(fig: Figure) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
