"""Numbers and labels for people: one formatter for the CLI, the app, plan READMEs and charts.

Every figure a user reads goes through these functions so that the same quantity looks the same
everywhere:

* 3 significant digits by default, 4 where a count needs them (``3,746`` good cells/h), never an
  exponent (``2.13e+03 M USD`` becomes ``2.13 bn USD``);
* thousands separators (``28,934,112`` cells/yr, or scaled: ``28.9 M``);
* scaled units in their family (``1,110 MWh`` -> ``1.11 GWh``; ``2,130,000 USD`` -> ``2.13 M USD``;
  ``280,000 kg`` -> ``280 t``);
* a dash for a missing value (``None``, NaN), never ``None`` or ``nan``;
* human labels with units for field names (``cost_per_kWh_usd`` -> ``Cost per kWh (USD)``).

Pure functions, no third-party imports: the CLI imports this module before it parses arguments.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping

#: What a missing value shows as.
DASH = "–"

#: Matches scientific notation in text (``2.13e+03``, ``1E-5``): tests assert it never appears.
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")

# unit families: (threshold, prefix) pairs from large to small, applied to the base unit
_FAMILIES: dict[str, tuple[tuple[float, str], ...]] = {
    "Wh": ((1e9, "GWh"), (1e6, "MWh"), (1e3, "kWh"), (1.0, "Wh")),
    "W": ((1e9, "GW"), (1e6, "MW"), (1e3, "kW"), (1.0, "W")),
    "g": ((1e6, "t"), (1e3, "kg"), (1.0, "g"), (1e-3, "mg")),
    "USD": ((1e9, "bn USD"), (1e6, "M USD"), (1e3, "k USD"), (1.0, "USD")),
}
# how a unit relates to its family's base: "MWh" is 1e6 Wh
_TO_BASE: dict[str, tuple[str, float]] = {
    "Wh": ("Wh", 1.0), "kWh": ("Wh", 1e3), "MWh": ("Wh", 1e6), "GWh": ("Wh", 1e9),
    "W": ("W", 1.0), "kW": ("W", 1e3), "MW": ("W", 1e6),
    "mg": ("g", 1e-3), "g": ("g", 1.0), "kg": ("g", 1e3), "t": ("g", 1e6),
    "USD": ("USD", 1.0), "k USD": ("USD", 1e3), "M USD": ("USD", 1e6), "bn USD": ("USD", 1e9),
}


def is_missing(value: Any) -> bool:
    """``None``, NaN, an empty string or an empty collection."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (str, list, tuple, dict, set)) and len(value) == 0:
        return True
    try:  # numpy / pandas missing values without importing them
        return bool(value != value)  # noqa: PLR0124 - NaN is the only value not equal to itself
    except Exception:  # noqa: BLE001 - arrays and odd objects: not missing
        return False


def _round_sig(x: float, sig: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, sig - 1 - int(math.floor(math.log10(abs(x)))))


def fmt_number(value: Any, sig: int = 3) -> str:
    """A number in plain notation with ``sig`` significant digits and thousands separators.

    Values of ``sig`` or more integer digits are shown as integers rounded to ``sig`` (at least
    4) significant digits (``3,746``; ``28,930,000``; use :func:`fmt_count` or
    :func:`fmt_quantity` for scaled units); ``0.000123`` shows as ``0.000123``; NaN and ``None``
    show as a dash; infinities as ``∞``.

    >>> fmt_number(3746.2), fmt_number(0.8173), fmt_number(2130.4, 3), fmt_number(None)
    ('3,746', '0.817', '2,130', '–')
    """
    if is_missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    ax = abs(x)
    if ax >= 10 ** (sig - 1):
        # at least `sig` integer digits: show the integer, rounded to sig digits beyond 4 digits
        digits = int(math.floor(math.log10(ax))) + 1
        keep = max(sig, min(digits, 4))
        r = _round_sig(x, keep)
        return f"{r:,.0f}"
    decimals = sig - 1 - int(math.floor(math.log10(ax)))
    r = _round_sig(x, sig)
    txt = f"{r:,.{max(decimals, 0)}f}"
    if "." in txt:
        txt = txt.rstrip("0").rstrip(".")
    return txt


def fmt_count(value: Any, *, scaled: bool = True) -> str:
    """A count: whole up to 99,999, then scaled (``28.9 M``, ``1.2 bn``) when ``scaled``."""
    if is_missing(value):
        return DASH
    x = float(value)
    if not math.isfinite(x):
        return fmt_number(x)
    ax = abs(x)
    if scaled and ax >= 1e5:
        for threshold, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
            if ax >= threshold:
                return f"{fmt_number(x / threshold, 3)} {suffix}"
    return f"{round(x):,.0f}" if ax >= 1 or x == 0 else fmt_number(x, 3)


def fmt_quantity(value: Any, unit: str = "", sig: int = 3, *, scale: bool = True) -> str:
    """A value with its unit, scaled within its family when ``scale``.

    >>> fmt_quantity(1110, "MWh"), fmt_quantity(2.13e9, "USD"), fmt_quantity(2.8e5, "kg")
    ('1.11 GWh', '2.13 bn USD', '280 t')
    """
    if is_missing(value):
        return DASH
    if unit in ("%", "pct"):
        return f"{fmt_number(value, sig)} %"
    if unit == "frac":
        return fmt_pct(value, sig=sig)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return f"{value} {unit}".strip()
    if scale and unit in _TO_BASE and math.isfinite(x) and x != 0:
        base, factor = _TO_BASE[unit]
        xb = x * factor
        for threshold, shown in _FAMILIES[base]:
            if abs(xb) >= threshold * 0.9995:
                return f"{fmt_number(xb / threshold, sig)} {shown}"
        threshold, shown = _FAMILIES[base][-1]
        return f"{fmt_number(xb / threshold, sig)} {shown}"
    return f"{fmt_number(x, sig)} {unit}".strip()


def fmt_pct(frac: Any, sig: int = 3, *, decimals: int | None = None) -> str:
    """A fraction as a percentage: ``0.8173`` -> ``81.7 %`` (``decimals`` fixes the decimals)."""
    if is_missing(frac):
        return DASH
    x = float(frac) * 100.0
    if decimals is not None:
        return f"{x:,.{decimals}f} %"
    return f"{fmt_number(x, sig)} %"


def fmt_usd(value: Any, sig: int = 3, *, per: str = "") -> str:
    """Money in US dollars, scaled: ``19.41`` -> ``19.4 USD``; ``2.13e9`` -> ``2.13 bn USD``;
    ``per='kWh'`` gives ``544 USD/kWh`` (not scaled)."""
    if is_missing(value):
        return DASH
    if per:
        return f"{fmt_number(value, sig)} USD/{per}"
    return fmt_quantity(value, "USD", sig)


def fmt_ci(mean: Any, half_width: Any, unit: str = "", sig: int = 3) -> str:
    """``mean ± half-width unit``; the half-width with two significant digits."""
    if is_missing(mean):
        return DASH
    u = f" {unit}" if unit else ""
    if is_missing(half_width):
        return f"{fmt_number(mean, sig)}{u}"
    return f"{fmt_number(mean, sig)} ± {fmt_number(half_width, 2)}{u}"


# ---------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------
#: unit suffixes of field names and how a label shows them (longest first when matching)
UNIT_SUFFIXES: dict[str, str] = {
    "usd_per_kWh": "USD/kWh", "usd_per_cell": "USD/cell", "USD_per_kWh": "USD/kWh",
    "t_per_yr": "t/yr", "kg_per_yr": "kg/yr", "g_per_yr": "g/yr", "m2_per_yr": "m²/yr",
    "MWh_per_yr": "MWh/yr", "GWh_per_yr": "GWh/yr", "MWh_per_year": "MWh/yr", "GWh_per_year": "GWh/yr",
    "units_per_h": "units/h", "cells_per_h": "cells/h", "units_per_year": "units/yr", "cells_per_year": "cells/yr",
    "mg_cm2": "mg/cm²", "mAh_cm2": "mAh/cm²", "mAh_g": "mAh/g", "g_cm3": "g/cm³", "Wh_kg": "Wh/kg",
    "Wh_L": "Wh/L", "W_kg": "W/kg", "W_L": "W/L", "m_min": "m/min", "m2_h": "m²/h", "kWh_yr": "kWh/yr",
    "usd_h": "USD/h", "usd_kWh": "USD/kWh", "usd_m2_yr": "USD/(m² yr)", "usd_yr": "USD/yr",
    "usd": "USD", "USD": "USD", "kWh": "kWh", "MWh": "MWh", "GWh": "GWh", "Wh": "Wh", "Ah": "Ah",
    "kN": "kN", "MPa": "MPa", "kPa": "kPa", "kW": "kW", "um": "µm", "mm": "mm", "cm2": "cm²", "m2": "m²",
    "kg": "kg", "g": "g", "t": "t", "h": "h", "s": "s", "min": "min", "C": "°C", "V": "V",
    "frac": "%", "pct": "%",
}
_WORDS = {"kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "wh": "Wh", "oee": "OEE", "rty": "RTY", "wip": "WIP",
          "ci95": "95 % CI", "np": "N/P", "se": "SE", "lco": "LCO", "bom": "BOM", "mtbf": "MTBF", "mttr": "MTTR",
          "capex": "capex", "yr": "yr", "id": "ID", "co2": "CO₂", "usd": "USD", "ptfe": "PTFE", "vgcf": "VGCF"}
_CUSTOM: dict[str, str] = {}


def register_labels(labels: Mapping[str, str]) -> None:
    """Add fixed labels for field names the rules below do not render well."""
    _CUSTOM.update(labels)


def label(key: str) -> str:
    """A human label with its unit for a field name: ``cost_per_kWh_usd`` -> ``Cost per kWh (USD)``,
    ``specific_energy_Wh_kg`` -> ``Specific energy (Wh/kg)``, ``yield_rty`` -> ``Yield RTY``."""
    if key in _CUSTOM:
        return _CUSTOM[key]
    unit = ""
    stem = key
    for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
        if key.endswith("_" + suffix) and len(key) > len(suffix) + 1:
            unit = UNIT_SUFFIXES[suffix]
            stem = key[: -(len(suffix) + 1)]
            break
    words = [w for w in re.split(r"[_.]+", stem) if w]
    out = []
    for i, w in enumerate(words):
        lw = w.lower()
        if lw in _WORDS:
            out.append(_WORDS[lw])
        elif lw == "per":
            out.append("per")
        elif any(c.isupper() for c in w[1:]) or any(c.isdigit() for c in w):
            out.append(w)  # keep symbols such as Li6PS5Cl, In, MWh as written
        else:
            out.append(lw)
    text = " ".join(out)
    if text:
        text = text[0].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def fmt_value(value: Any, sig: int = 3) -> str:
    """Any table value as text: numbers formatted, dicts as ``a = 1, b = 2``, lists joined,
    missing values as a dash."""
    if is_missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) or type(value).__name__ in ("float64", "int64", "float32", "int32"):
        return fmt_number(value, sig)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {fmt_value(v, sig)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(fmt_value(v, sig) for v in value)
    return str(value)


def format_table(rows: Iterable[Mapping[str, Any]], columns: Iterable[str] | None = None,
                 sig: int = 3) -> tuple[list[str], list[list[str]]]:
    """Header labels and text cells of ``rows`` (dicts) for a printed table."""
    rows = list(rows)
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    return [label(c) for c in cols], [[fmt_value(r.get(c), sig) for c in cols] for r in rows]


def text_table(rows: Iterable[Mapping[str, Any]], columns: Iterable[str] | None = None, sig: int = 3) -> str:
    """A plain-text table for the terminal: labelled header, right-aligned numbers."""
    header, cells = format_table(rows, columns, sig)
    if not header:
        return ""
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]

    def numeric(s: str) -> bool:
        return bool(re.match(r"^[-+]?[\d,.]+( ?%| ?[a-zA-Z/µ°²³]+)*$", s)) or s == DASH

    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    for r in cells:
        lines.append("  ".join(c.rjust(w) if numeric(c) else c.ljust(w) for c, w in zip(r, widths)))
    return "\n".join(line.rstrip() for line in lines)


__all__ = ["DASH", "SCIENTIFIC", "UNIT_SUFFIXES", "fmt_ci", "fmt_count", "fmt_number", "fmt_pct", "fmt_quantity",
           "fmt_usd", "fmt_value", "format_table", "is_missing", "label", "register_labels", "text_table"]
