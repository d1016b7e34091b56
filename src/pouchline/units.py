"""Unit parsing at the file boundary.

pint parses what users write (``88 degC``, ``30 MPa``, ``0.8 wt%``, ``7.1 mg/cm**2``) exactly
once, when a file or an override is read, into a plain float in the canonical unit of the field.
That unit is part of the field's name (``temperature_C``, ``pressure_MPa``, ``loading_mg_cm2``).
Calculations and the simulation only see floats: pint costs microseconds per operation.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import pint

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("cell = [cell_count]")
ureg.define("unit_count = [unit_count] = units")
ureg.define("USD = [currency] = usd = dollar")

# Canonical units used in field names, as pint expressions.
UNIT_ALIASES: dict[str, str] = {
    "C": "degC",
    "degC": "degC",
    "K": "kelvin",
    "um": "micrometer",
    "mm": "millimeter",
    "cm": "centimeter",
    "m": "meter",
    "nm": "nanometer",
    "cm2": "centimeter**2",
    "mm2": "millimeter**2",
    "m2": "meter**2",
    "mg_cm2": "milligram/centimeter**2",
    "g_m2": "gram/meter**2",
    "mAh_cm2": "milliampere_hour/centimeter**2",
    "mAh_g": "milliampere_hour/gram",
    "mAh": "milliampere_hour",
    "Ah": "ampere_hour",
    "g_cm3": "gram/centimeter**3",
    "g_mol": "gram/mole",
    "MPa": "megapascal",
    "kPa": "kilopascal",
    "Pa": "pascal",
    "GPa": "gigapascal",
    "kN": "kilonewton",
    "N": "newton",
    "s": "second",
    "min": "minute",
    "h": "hour",
    "rpm": "revolution/minute",
    "V": "volt",
    "mohm": "milliohm",
    "ohm_cm2": "ohm*centimeter**2",
    "mV_day": "millivolt/day",
    "W": "watt",
    "kW": "kilowatt",
    "ppm": "ppm",
    "frac": "dimensionless",
    "pct": "percent",
    "ratio": "dimensionless",
    "C_rate": "1/hour",
    "m_min": "meter/minute",
    "m2_h": "meter**2/hour",
    "J_g": "joule/gram",
    "J_gK": "joule/gram/kelvin",
    "kg": "kilogram",
    "g": "gram",
    "mg": "milligram",
    "mL": "milliliter",
    "count": "dimensionless",
}

_PERCENT = re.compile(r"\s*(wt\.?\s*%|at\.?\s*%|vol\.?\s*%|mol\.?\s*%|%)\s*$")
# "cm2", "mg/cm2", "g/m2", "cm3": a unit name followed by 2 or 3 is that unit squared or cubed
_POWER_SUFFIX = re.compile(r"(?<=[A-Za-z])([23])(?![0-9.])")
#: What a quantity may look like: a plain decimal number, then optionally a unit. Nothing else
#: reaches pint, whose parser would otherwise evaluate expressions ("3==4" is 12, "pi" 3.14).
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_QUANTITY = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>(?:1\s*/\s*)?[A-Za-z_(][A-Za-z0-9_ /*^().-]*)?\s*$")
#: A unit may be at most this long (the longest the project writes is "milliampere_hour/gram").
MAX_UNIT_CHARS = 48
#: Dimensionless units a value may carry; other dimensionless names are constants (pi, ...).
DIMENSIONLESS_UNITS = frozenset({"percent", "ppm", "ppb", "dimensionless", "permille"})
QUANTITY_SYNTAX = "a number, optionally followed by a unit (e.g. 88, '30 MPa', '7.1 mg/cm2', '0.8 wt%')"


def _normalise_text(text: str) -> str:
    s = text.strip()
    s = s.replace("µ", "u").replace("μ", "u").replace("°C", "degC").replace("°", "deg")
    s = s.replace("²", "**2").replace("³", "**3").replace("·", "*")
    s = _PERCENT.sub(" percent", s)
    return s


def _check_unit(unit: pint.Unit, text: str) -> None:
    if unit.dimensionless:
        for name in unit._units:  # noqa: SLF001 - pint's public API has no iterator over the factors
            if name not in DIMENSIONLESS_UNITS and ureg.Unit(name).dimensionless:
                raise ValueError(f"{name!r} in {text!r} is a constant, not a unit")


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> pint.Quantity:
    s = _normalise_text(text)
    m = _QUANTITY.match(s)
    if m is None:
        raise ValueError(f"is not {QUANTITY_SYNTAX}")
    magnitude = float(m.group("num"))
    if not math.isfinite(magnitude):
        raise ValueError("is not a finite number")
    unit_text = (m.group("unit") or "").strip()
    if not unit_text:
        return ureg.Quantity(magnitude, "dimensionless")
    if len(unit_text) > MAX_UNIT_CHARS:
        raise ValueError(f"has a unit of {len(unit_text)} characters; at most {MAX_UNIT_CHARS}")
    unit = ureg.parse_units(_POWER_SUFFIX.sub(r"**\1", unit_text))
    _check_unit(unit, text)
    return ureg.Quantity(magnitude, unit)


def parse_quantity(value: Any) -> pint.Quantity:
    """Parse ``value`` (a quantity string, a number or a pint Quantity) into a Quantity.

    A string must be a plain decimal number optionally followed by a unit (``88``, ``88 degC``,
    ``7.1 mg/cm2``, ``0.8 wt%``, ``1e3mm``); expressions (``3==4``, ``2*3 mm``), constants
    (``pi``) and non-finite numbers are refused. Raises ``ValueError`` with a readable message.
    """
    if isinstance(value, ureg.Quantity):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a yes/no value, not a quantity")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return ureg.Quantity(float(value), "dimensionless")
    if not isinstance(value, str):
        raise ValueError(f"{_shown(value)} is not a quantity (write a number with its unit, e.g. '30 MPa')")
    if len(value) > 200:
        raise ValueError(f"{_shown(value)} is not a quantity: {len(value):,} characters; write {QUANTITY_SYNTAX}")
    try:
        return _parse_cached(value)
    except Exception as exc:  # pint raises many types (even AssertionError) for odd text
        detail = str(exc).strip() or type(exc).__name__
        if detail.startswith("is "):
            raise ValueError(f"{_shown(value)} {detail}") from None
        raise ValueError(f"{_shown(value)} is not a quantity pint can read ({detail}); write {QUANTITY_SYNTAX}") from None


def _shown(value: Any) -> str:
    txt = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
    return txt if len(txt) <= 60 else txt[:57] + "..."


def to_canonical(value: Any, unit_key: str, *, delta: bool = False) -> float:
    """Convert ``value`` to a float in the canonical unit named by ``unit_key``.

    A bare number is taken to be in the canonical unit already (the unit is in the field name).
    ``delta=True`` converts a temperature *difference* (a tolerance): ``2 K`` and ``2 degC``
    both mean 2 degC of difference.
    """
    if not isinstance(unit_key, str) or not unit_key:
        raise ValueError(f"unit {unit_key!r} is not a unit name (e.g. um, mg_cm2, MPa, mm)")
    unit = UNIT_ALIASES.get(unit_key, unit_key)
    if unit_key not in UNIT_ALIASES:
        try:
            ureg.Unit(unit)
        except Exception:
            raise ValueError(f"unit {unit_key!r} is not known; use one of {', '.join(sorted(UNIT_ALIASES))}") from None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a yes/no value; expected a number in {unit_key}")
    if isinstance(value, (int, float)):
        f = float(value)
    else:
        q = parse_quantity(value)
        if str(q.units) == "dimensionless" and unit not in ("dimensionless",):
            # '88' as a string with no unit: take it in the field's unit
            f = float(q.magnitude)
        else:
            target = ureg.Unit(unit)
            try:
                if delta and unit == "degC":
                    src = q.units
                    if src in (ureg.degC, ureg.degF):
                        q = ureg.Quantity(q.magnitude, "delta_degC" if src == ureg.degC else "delta_degF")
                    f = float(q.to("delta_degC").magnitude)
                else:
                    f = float(q.to(target).magnitude)
            except pint.errors.DimensionalityError:
                raise ValueError(
                    f"{value!r} has the wrong dimension: expected a quantity convertible to {unit_key} "
                    f"({target:~P}), got {q.units:~P} ({q.dimensionality})"
                ) from None
            except pint.errors.PintError as exc:
                raise ValueError(f"{value!r} cannot be converted to {unit_key}: {exc}") from None
    if not math.isfinite(f):
        raise ValueError(f"{value!r} is not a finite number")
    return f


def format_value(value: float, unit_key: str, digits: int = 4) -> str:
    """A float in canonical unit ``unit_key`` as text for people: ``88 degC``, ``30 MPa``."""
    shown = {"C": "°C", "um": "µm", "mg_cm2": "mg/cm²", "mAh_cm2": "mAh/cm²", "mAh_g": "mAh/g",
             "g_cm3": "g/cm³", "g_mol": "g/mol", "cm2": "cm²", "mm2": "mm²", "m2": "m²",
             "frac": "", "ratio": "", "count": "", "pct": "%", "C_rate": "C", "m_min": "m/min",
             "m2_h": "m²/h", "J_g": "J/g", "J_gK": "J/(g·K)",
             "mohm": "mΩ", "ohm_cm2": "Ω·cm²", "mV_day": "mV/day"}.get(unit_key, unit_key)
    txt = f"{value:.{digits}g}"
    return f"{txt} {shown}".strip() if shown not in ("%",) else f"{txt} %"
