"""Charts of a plan as PNG figures (matplotlib, Agg backend: no screen needed).

Each function takes plain tables or result objects and returns a matplotlib Figure; the caller
saves it (``pouchline.export.plan_report`` writes them atomically). No calculation happens here.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STATE_COLOURS = {"busy": "#2e7d32", "blocked": "#f9a825", "starved": "#90a4ae", "down": "#c62828",
                 "setup": "#6a1b9a", "other": "#e0e0e0"}


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
        ax.text(v, i, f"  {v:.3g} g ({100 * v / total:.1f} %)", va="center", fontsize=8)
    ax.set_xlabel("mass per cell, g")
    ax.set_xlim(0, max(vals) * 1.35 if vals else 1)
    ax.set_title(title, fontsize=10)
    return fig


def energy_vs_layers(df: pd.DataFrame, title: str) -> Figure:
    """Cell Wh/kg and Wh/L against the number of layers, with the jellyroll and stack for reference.

    The in-fixture figures are left out (they are orders of magnitude lower for one cell per
    fixture); they are in the cell tables.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110, layout="constrained")
    x = df["layers"]
    ok = df.get("within_thickness_limit", pd.Series([True] * len(df)))
    for scope, style in (("jellyroll", ":"), ("stack", "--"), ("cell", "-")):
        if f"{scope}_Wh_kg" in df:
            ax.plot(x, df[f"{scope}_Wh_kg"], ls=style, marker="." if scope == "cell" else None, label=scope)
        if f"{scope}_Wh_L" in df:
            ax2.plot(x, df[f"{scope}_Wh_L"], ls=style, marker="." if scope == "cell" else None, label=scope)
    for a, unit in ((ax, "specific energy, Wh/kg"), (ax2, "energy density, Wh/L")):
        a.set_xlabel("layers per cell")
        a.set_ylabel(unit)
        a.grid(alpha=0.3)
        a.set_ylim(bottom=0)
        if not ok.all():
            first_bad = x[~ok.astype(bool)].min()
            a.axvspan(first_bad - 0.5, x.max() + 0.5, color="red", alpha=0.08, label="over thickness limit")
        a.legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    return fig


def station_states(stations: Sequence[Mapping[str, Any]], title: str) -> Figure:
    """Stacked bars of each station's share of scheduled time: busy, blocked, starved, down."""
    names = [s["name"] for s in stations]
    fig, ax = _fig(9, 0.32 * len(names) + 1.6)
    left = [0.0] * len(names)
    for state, key in (("busy", "utilization"), ("setup", "setup_fraction"), ("down", "down_fraction"),
                       ("blocked", "blocked_fraction"), ("starved", "starved_fraction")):
        vals = [float(s.get(key) or 0.0) for s in stations]
        if not any(vals):
            continue
        ax.barh(names, vals, left=left, color=STATE_COLOURS[state], label=state)
        left = [a + b for a, b in zip(left, vals)]
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("fraction of scheduled time")
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.set_title(title, fontsize=10)
    return fig


def throughput_over_time(series_per_day: Sequence[Sequence[float]], warmup_days: float, title: str) -> Figure:
    """Good cells per day for each replication, with the warm-up shaded."""
    fig, ax = _fig()
    for i, s in enumerate(series_per_day):
        ax.plot(range(1, len(s) + 1), s, lw=1, alpha=0.8, label=f"replication {i + 1}")
    if warmup_days:
        ax.axvspan(0, warmup_days, color="grey", alpha=0.15, label="warm-up (not measured)")
    ax.set_xlabel("day")
    ax.set_ylabel("good cells per day")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
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
        ax.text(v, i, f"  {v:,.3g} ({100 * v / total:.0f} %)", va="center", fontsize=8)
    ax.set_xlim(0, max(vals) * 1.3 if vals else 1)
    ax.set_xlabel(unit)
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
    ax.set_xlabel(f"cost, USD/kWh (base {base_usd_per_kWh:,.0f})")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title, fontsize=10)
    return fig


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
