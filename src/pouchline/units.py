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


def _normalise_text(text: str) -> str:
    s = text.strip()
    s = s.replace("µ", "u").replace("μ", "u").replace("°C", "degC").replace("°", "deg")
    s = s.replace("²", "**2").replace("³", "**3").replace("·", "*")
    s = _PERCENT.sub(" percent", s)
    return s


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> pint.Quantity:
    s = _normalise_text(text)
    num, _, unit = s.partition(" ")
    try:
        magnitude = float(num)
    except ValueError:
        # "1e3mm" or "88degC": let pint split it; a plain expression otherwise
        q = ureg.Quantity(s)
        if not isinstance(q, ureg.Quantity):
            return ureg.Quantity(float(q), "dimensionless")
        return q
    return ureg.Quantity(magnitude, unit.strip() or "dimensionless")


def parse_quantity(value: Any) -> pint.Quantity:
    """Parse ``value`` (a quantity string, a number or a pint Quantity) into a Quantity.

    Raises ``ValueError`` with a readable message for anything pint cannot read.
    """
    if isinstance(value, ureg.Quantity):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a yes/no value, not a quantity")
    if isinstance(value, (int, float)):
        return ureg.Quantity(float(value), "dimensionless")
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a quantity (write a number with its unit, e.g. '30 MPa')")
    try:
        return _parse_cached(value)
    except Exception as exc:  # pint raises many types (even AssertionError) for odd text
        detail = f" ({exc})" if str(exc) else ""
        raise ValueError(f"{value!r} is not a quantity pint can read{detail}; write a number and a unit, "
                         "e.g. '30 MPa'") from None


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
             "m2_h": "m²/h", "J_g": "J/g", "J_gK": "J/(g·K)"}.get(unit_key, unit_key)
    txt = f"{value:.{digits}g}"
    return f"{txt} {shown}".strip() if shown not in ("%",) else f"{txt} %"
