"""Charts of a sweep's results: the Pareto front of $/kWh against Wh/kg, tornado and main effects.

The data functions (:func:`pareto_front`, :func:`main_effects`, :func:`tornado`) take the results
table and return pandas objects; the figure functions return matplotlib ``Figure`` objects built
without pyplot (no global state, safe in the app's threads). :func:`write_plots` is the only
function here that writes files: PNGs beside the results (``results-pareto.png``, ...).

Main effect of a parameter on an output: the mean of the output over all scenarios at each level
of the parameter (over quantile bins when the parameter takes more than ``max_levels`` values,
as in a Latin hypercube). In a full grid this is the classical main effect of a factorial design
(Montgomery, Design and Analysis of Experiments, ch. 5). The tornado shows, per parameter, the
mean output at its lowest and at its highest level, sorted by the size of the swing.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from pouchline.fileio import atomic_write

X_DEFAULTS = ("cell.specific_energy_Wh_kg", "cell.with_fixture.specific_energy_Wh_kg")
Y_DEFAULTS = ("cost.cost_per_kWh_usd",)
#: The outputs a planner asks about first; charts show these before the others.
HEADLINE = ("cost.cost_per_kWh_usd", "cell.specific_energy_Wh_kg", "line.MWh_per_year",
            "line.energy_MWh_per_year", "line.throughput_units_per_h", "cell.energy_density_Wh_L")
_MAX_PANELS = 3


def _ok(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["status"] == "ok"] if "status" in table.columns else table


def _numeric(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def pick_column(table: pd.DataFrame, preferred: Sequence[str], contains: str) -> str | None:
    """The first preferred column present, else the first whose name contains ``contains``."""
    for c in preferred:
        if c in table.columns:
            return c
    for c in table.columns:
        if contains in str(c):
            return c
    return None


def pareto_front(table: pd.DataFrame, x: str, y: str, *, maximize_x: bool = True,
                 minimize_y: bool = True) -> pd.Series:
    """True for the rows no other row beats on both ``x`` and ``y`` (rows that failed are never on it).

    Default sense: more ``x`` (Wh/kg) and less ``y`` ($/kWh) are better.
    """
    xs = _numeric(table[x]).to_numpy(dtype=float)
    ys = _numeric(table[y]).to_numpy(dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if "status" in table.columns:
        ok &= (table["status"] == "ok").to_numpy()
    gx = xs if maximize_x else -xs  # larger is better on both
    gy = -ys if minimize_y else ys
    mask = np.zeros(len(table), dtype=bool)
    idx = np.flatnonzero(ok)
    # sort by x descending, then y descending: a point is on the front if its y beats every earlier one
    order = idx[np.lexsort((-gy[idx], -gx[idx]))]
    best = -math.inf
    for i in order:
        if gy[i] > best:
            mask[i] = True
            best = gy[i]
    return pd.Series(mask, index=table.index, name="pareto")


def varied_parameters(table: pd.DataFrame, parameters: Sequence[str]) -> list[str]:
    """Parameters that take more than one value among the successful rows."""
    ok = _ok(table)
    return [p for p in parameters if p in ok.columns and ok[p].nunique(dropna=True) > 1]


def main_effects(table: pd.DataFrame, parameter: str, output: str, *, max_levels: int = 8,
                 bins: int = 5) -> pd.DataFrame:
    """Mean (and count) of ``output`` at each level of ``parameter``; columns ``level, mean, n``.

    A numeric parameter with more than ``max_levels`` distinct values is cut into ``bins``
    quantile bins, each level being the mean parameter value in the bin.
    """
    ok = _ok(table)
    y = _numeric(ok[output])
    p = ok[parameter]
    keep = y.notna() & p.notna()
    y, p = y[keep], p[keep]
    if y.empty:
        return pd.DataFrame(columns=["level", "mean", "n"])
    pn = _numeric(p)
    numeric = pn.notna().all()
    if numeric and pn.nunique() > max_levels:
        groups = pd.qcut(pn.rank(method="first"), q=min(bins, pn.nunique()), labels=False)
        df = pd.DataFrame({"level": pn, "y": y, "g": groups}).groupby("g").agg(
            level=("level", "mean"), mean=("y", "mean"), n=("y", "size"))
        return df.reset_index(drop=True)
    key = pn if numeric else p.astype(str)
    df = pd.DataFrame({"level": key, "y": y}).groupby("level", sort=numeric).agg(mean=("y", "mean"), n=("y", "size"))
    df = df.reset_index()
    if not numeric:  # categories in the order they first appear
        order = list(dict.fromkeys(key))
        df = df.set_index("level").loc[order].reset_index()
    return df[["level", "mean", "n"]]


def tornado(table: pd.DataFrame, parameters: Sequence[str], output: str) -> pd.DataFrame:
    """Per parameter: the mean ``output`` at its lowest and highest level, and the swing; largest first.

    For a parameter without an order (text values) ``at_low``/``at_high`` are the smallest and
    largest level means.
    """
    rows = []
    for p in varied_parameters(table, parameters):
        me = main_effects(table, p, output)
        if len(me) < 2:
            continue
        if pd.api.types.is_numeric_dtype(me["level"]):
            lo, hi = float(me["mean"].iloc[0]), float(me["mean"].iloc[-1])
            lo_level, hi_level = me["level"].iloc[0], me["level"].iloc[-1]
        else:
            i_lo, i_hi = int(me["mean"].idxmin()), int(me["mean"].idxmax())
            lo, hi = float(me["mean"].iloc[i_lo]), float(me["mean"].iloc[i_hi])
            lo_level, hi_level = me["level"].iloc[i_lo], me["level"].iloc[i_hi]
        rows.append({"parameter": p, "low_level": lo_level, "high_level": hi_level, "at_low": lo, "at_high": hi,
                     "swing": abs(hi - lo)})
    df = pd.DataFrame(rows, columns=["parameter", "low_level", "high_level", "at_low", "at_high", "swing"])
    return df.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def numeric_outputs(table: pd.DataFrame, outputs: Sequence[str]) -> list[str]:
    """Outputs with numbers that vary across the successful scenarios, headline figures first."""
    ok = _ok(table)
    varied = [o for o in outputs if o in ok.columns and _numeric(ok[o]).nunique(dropna=True) > 1]
    first = [o for o in HEADLINE if o in varied]
    return first + [o for o in varied if o not in first]


# -- figures ----------------------------------------------------------------------------------------
def _figure(w: float, h: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=110, layout="constrained")


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def pareto_figure(table: pd.DataFrame, x: str | None = None, y: str | None = None, *,
                  color_by: str | None = None, title: str = ""):
    """Scatter of every successful scenario, the Pareto front highlighted and labelled by scenario."""
    x = x or pick_column(table, X_DEFAULTS, "Wh_kg")
    y = y or pick_column(table, Y_DEFAULTS, "per_kWh")
    if x is None or y is None:
        raise ValueError("a Pareto chart needs a Wh/kg and a $/kWh column "
                         f"(e.g. {X_DEFAULTS[0]} and {Y_DEFAULTS[0]} among the outputs)")
    ok = _ok(table)
    front = pareto_front(ok, x, y)
    fig = _figure(7.0, 4.8)
    ax = fig.add_subplot()
    xs, ys = _numeric(ok[x]), _numeric(ok[y])
    if color_by is not None and color_by in ok.columns and _numeric(ok[color_by]).notna().all():
        sc = ax.scatter(xs, ys, c=_numeric(ok[color_by]), cmap="viridis", s=22, alpha=0.8, label="scenarios")
        fig.colorbar(sc, ax=ax, label=color_by)
    else:
        ax.scatter(xs, ys, color="0.6", s=18, alpha=0.8, label="scenarios")
    fx, fy = xs[front], ys[front]
    order = np.argsort(fx.to_numpy())
    ax.plot(fx.to_numpy()[order], fy.to_numpy()[order], "-o", color="tab:red", ms=5, lw=1.5, label="Pareto front")
    if len(fx) <= 15:
        for sid, px, py in zip(ok.loc[front, "scenario"] if "scenario" in ok.columns else ok.index[front], fx, fy):
            ax.annotate(f"#{sid}", (px, py), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(f"{x} (more is better)")
    ax.set_ylabel(f"{y} (less is better)")
    ax.set_title(title or f"Pareto front: {int(front.sum())} of {len(ok)} scenarios")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def tornado_figure(table: pd.DataFrame, parameters: Sequence[str], outputs: Sequence[str], *, title: str = ""):
    """One tornado per output (at most three): mean output at each parameter's low and high level."""
    outs = numeric_outputs(table, outputs)[:_MAX_PANELS]
    if not outs:
        raise ValueError("a tornado chart needs at least one numeric output with results")
    n_par = max(1, len(varied_parameters(table, parameters)))
    fig = _figure(7.5, len(outs) * (0.9 + 0.5 * n_par) + 0.5)
    overall_ok = _ok(table)
    for k, out in enumerate(outs):
        ax = fig.add_subplot(len(outs), 1, k + 1)
        td = tornado(table, parameters, out)
        base = float(_numeric(overall_ok[out]).mean())
        labels = []
        for i, r in enumerate(td.itertuples(index=False)):
            pos = len(td) - 1 - i
            bars = [(r.at_low, "tab:blue", "lowest level"), (r.at_high, "tab:orange", "highest level")]
            # the longer bar first, so a shorter one on the same side stays visible on top of it
            for z, (v, color, label) in enumerate(sorted(bars, key=lambda b: -abs(b[0] - base))):
                ax.barh(pos, v - base, left=base, height=0.6 if z == 0 else 0.35, color=color, alpha=0.85,
                        zorder=2 + z, label=label if i == 0 else None)
            labels.append((pos, f"{r.parameter}\n{_fmt(r.low_level)} -> {_fmt(r.high_level)}"))
        ax.axvline(base, color="k", lw=0.8, zorder=5)
        if labels:
            ax.set_yticks([p for p, _ in labels], [t for _, t in labels], fontsize=7)
            ax.legend(fontsize=7, loc="best")
        ax.set_xlabel(f"{out}: mean at the level (line: mean of all scenarios)", fontsize=8)
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle(title or "Tornado: mean output at each parameter's lowest and highest level")
    return fig


def main_effects_figure(table: pd.DataFrame, parameters: Sequence[str], outputs: Sequence[str], *,
                        title: str = ""):
    """A grid of main-effect plots: one row per output (at most three), one column per parameter."""
    outs = numeric_outputs(table, outputs)[:_MAX_PANELS]
    pars = varied_parameters(table, parameters)
    if not outs or not pars:
        raise ValueError("a main-effects chart needs a numeric output and a parameter that varies")
    fig = _figure(2.8 * len(pars) + 0.6, 2.3 * len(outs) + 0.6)
    axes = fig.subplots(len(outs), len(pars), squeeze=False, sharey="row")
    for i, out in enumerate(outs):
        for j, par in enumerate(pars):
            ax = axes[i][j]
            me = main_effects(table, par, out)
            if pd.api.types.is_numeric_dtype(me["level"]):
                ax.plot(me["level"], me["mean"], "-o", ms=4)
            else:
                ax.plot(range(len(me)), me["mean"], "-o", ms=4)
                ax.set_xticks(range(len(me)), [str(v) for v in me["level"]], fontsize=7)
            ax.grid(True, alpha=0.3)
            if i == len(outs) - 1:
                ax.set_xlabel(par, fontsize=8)
            if j == 0:
                ax.set_ylabel(out, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(title or "Main effects: mean output at each level of each parameter")
    return fig


def plot_paths(out: str | os.PathLike) -> dict[str, Path]:
    """Where :func:`write_plots` puts each chart for a results file ``out``."""
    out = Path(out)
    return {k: out.with_name(f"{out.stem}-{k}.png") for k in ("pareto", "tornado", "main-effects")}


def write_plots(table: pd.DataFrame, sweep, out: str | os.PathLike) -> list[Path]:
    """Write the charts the results allow as PNG beside ``out``; return the files written.

    The Pareto chart needs a Wh/kg and a $/kWh output; the tornado and main-effects charts need a
    parameter that varies. Charts that do not apply are skipped.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    paths = plot_paths(out)
    params = list(sweep.parameters)
    outputs = [c for c in table.columns if c not in ("scenario", "status", "error", "seed", "key", *params)]
    written: list[Path] = []
    figs = {}
    if pick_column(table, X_DEFAULTS, "Wh_kg") and pick_column(table, Y_DEFAULTS, "per_kWh") and len(_ok(table)):
        first = varied_parameters(table, params)
        figs["pareto"] = lambda: pareto_figure(table, color_by=first[0] if first else None,
                                               title=f"{sweep.name}: Pareto front")
    if varied_parameters(table, params) and numeric_outputs(table, outputs):
        figs["tornado"] = lambda: tornado_figure(table, params, outputs, title=f"{sweep.name}: tornado")
        figs["main-effects"] = lambda: main_effects_figure(table, params, outputs, title=f"{sweep.name}: main effects")
    for name, make in figs.items():
        fig = make()
        written.append(atomic_write(paths[name], lambda tmp, fig=fig: fig.savefig(tmp, format="png")))
    return written
