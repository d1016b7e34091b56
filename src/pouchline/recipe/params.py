"""Process parameters: a target with its unit, tolerance, limits, CTQ flag and source.

A parameter's canonical unit is fixed by the model field that holds it and is part of the
field's name (``temperature_C``, ``pressure_MPa``). In a recipe file it may be written

* as a quantity string in any compatible unit: ``temperature_C: 88 degC`` or ``361.15 K``;
* as a bare number, taken in the field's unit: ``temperature_C: 88``;
* as a mapping with shop-floor metadata::

      temperature_C: {target: 88 degC, tol: 2 K, ctq: true, record: true,
                      source: "paper: Liu2025 Methods, melted in air in a tube furnace at 88 °C"}

pint parses it once, at load time (see :mod:`pouchline.units`); the model then holds floats.

A parameter that the cell design fixes is not typed twice: ``from`` names where its target comes
from, and the loader (:mod:`pouchline.recipe.refs`) fills the target in::

      active_loading_mg_cm2: {from: cell.cathode.active_loading_mg_cm2, tol: 0.5, ctq: true}
      thickness_um: {from: derived.cathode_thickness_um, tol: 5, record: true}

``tol_frac`` is a tolerance relative to the target (0.024 = ± 2.4 %), for checks that scale with
the product (a sheet mass). A CTQ parameter is always recorded (``ctq`` implies ``record``).

Sources carry the tags of ``docs/sources.md``: ``paper`` (Liu2025), ``derived``
(arithmetic on paper values), ``estimate`` (engineering estimate), ``sourced`` (a named
outside source), ``assumed`` (the paper does not give it; a placeholder to confirm) and ``user``
(set by a user for one run, e.g. ``--set``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import math

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from pouchline.units import format_value, to_canonical

SOURCE_TAGS = ("paper", "derived", "estimate", "sourced", "assumed", "user")
_SOURCE_RE = re.compile(r"^(paper|derived|estimate|sourced|assumed|user)\s*(:|$)")

Source = Annotated[
    str,
    Field(
        description="Where the figure comes from: 'paper: ...', 'derived: ...', 'estimate: ...', "
        "'sourced: <source, year>' or 'assumed: ...'",
    ),
]


def source_tag(source: str | None) -> str | None:
    """The tag of a source string (``'paper: Liu2025 Methods'`` -> ``'paper'``)."""
    if not source:
        return None
    m = _SOURCE_RE.match(source.strip())
    return m.group(1) if m else None


def check_source(v: str | None) -> str | None:
    if v is None:
        return v
    if not isinstance(v, str) or not _SOURCE_RE.match(v.strip()):
        raise ValueError(
            f"{v!r} must start with one of the source tags {', '.join(SOURCE_TAGS)} followed by ':' "
            "(e.g. 'paper: Liu2025 Methods')"
        )
    return v.strip()


class Param(BaseModel):
    """A process parameter in its canonical unit ``unit``.

    ``tol`` is a symmetric tolerance; ``low``/``high`` are explicit limits (they win over
    ``tol``). ``ctq`` marks a critical-to-quality parameter; ``record`` asks the operator to
    record the actual value on the batch traveler.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True)

    target: float
    unit: str
    tol: float | None = None
    tol_frac: float | None = Field(default=None, ge=0, le=1, description="tolerance relative to the target")
    low: float | None = None
    high: float | None = None
    ctq: bool = False
    record: bool = False
    source: str | None = None
    note: str | None = None
    ref: str | None = Field(default=None, validation_alias=AliasChoices("from", "ref"), serialization_alias="from",
                            description="where the target comes from (cell.<path>, derived.<name>, ...)")

    _check_source = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="before")
    @classmethod
    def _implied(cls, data: Any) -> Any:
        """ctq implies record; tol_frac gives tol (relative to the target)."""
        if not isinstance(data, dict):
            return data
        if data.get("ctq") is True:
            if data.get("record") is False:
                raise ValueError("a CTQ parameter is always recorded on the traveler: drop 'record: false'")
            data = {**data, "record": True}
        frac, t = data.get("tol_frac"), data.get("target")
        if frac is not None:
            if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 <= frac <= 1:
                raise ValueError(f"tol_frac: {frac!r} must be a fraction from 0 to 1 (0.024 = ± 2.4 %)")
            if isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t):
                tol = abs(t) * frac
                given = data.get("tol")
                if isinstance(given, (int, float)) and not math.isclose(given, tol, rel_tol=1e-9, abs_tol=1e-12):
                    raise ValueError(f"gives tol {given:g} and tol_frac {frac:g} (= {tol:g}); give one of them")
                data = {**data, "tol": tol}
        return data

    @model_validator(mode="after")
    def _limits(self) -> "Param":
        if self.tol is not None and self.tol < 0:
            raise ValueError(f"tol: {self.tol:g} {self.unit} is negative; a tolerance is >= 0")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low:g} {self.unit} is above high {self.high:g} {self.unit}")
        if self.low is not None and self.target < self.low:
            raise ValueError(f"target {self.target:g} {self.unit} is below its low limit {self.low:g}")
        if self.high is not None and self.target > self.high:
            raise ValueError(f"target {self.target:g} {self.unit} is above its high limit {self.high:g}")
        return self

    @property
    def lower(self) -> float:
        """Lowest acceptable value (``low``, else ``target - tol``, else ``target``)."""
        if self.low is not None:
            return self.low
        return self.target - (self.tol or 0.0)

    @property
    def upper(self) -> float:
        """Highest acceptable value (``high``, else ``target + tol``, else ``target``)."""
        if self.high is not None:
            return self.high
        return self.target + (self.tol or 0.0)

    @property
    def source_tag(self) -> str | None:
        return source_tag(self.source)

    def in_spec(self, actual: float) -> bool:
        return self.lower <= actual <= self.upper

    def describe(self) -> str:
        """``'88 °C ± 2'`` or ``'30 MPa (25-35)'`` for people."""
        txt = format_value(self.target, self.unit)
        if self.low is not None or self.high is not None:
            lo = "" if self.low is None else f"{self.low:.4g}"
            hi = "" if self.high is None else f"{self.high:.4g}"
            if self.low is not None and self.high is not None:
                txt += f" (range {lo} to {hi})"
            elif self.low is not None:
                txt += f" (min {lo})"
            else:
                txt += f" (max {hi})"
        elif self.tol:
            txt += f" ± {format_value(self.tol, self.unit, 3)}"
        return txt


#: Physical limits every parameter in a unit obeys, whatever its field's own bounds.
_UNIT_LIMITS: dict[str, dict[str, float]] = {"C": {"ge": -273.15}, "K": {"ge": 0.0}}


def _param_before(unit_key: str, bounds: dict[str, float], value: Any) -> Any:
    """Turn what a file says into the fields of a :class:`Param` in ``unit_key``."""
    if isinstance(value, Param):
        data = value.model_dump()
    elif isinstance(value, dict):
        data = dict(value)
        if "unit" in data and data["unit"] != unit_key:
            raise ValueError(
                f"unit {data['unit']!r} does not match the field's unit {unit_key!r}; "
                "write the value with its unit instead (e.g. target: '88 degC')"
            )
        if data.get("target") is None:
            ref = data.get("from", data.get("ref"))
            if ref is not None:
                raise ValueError(f"'from: {ref}' was not resolved: load the recipe with pouchline.recipe.load_recipe "
                                 "(which fills in targets from the design), or give a target")
            raise ValueError("a parameter mapping needs a 'target' value")
    elif value is None:
        raise ValueError("needs a value (a number in the field's unit or a quantity such as '30 MPa')")
    else:
        data = {"target": value}
    is_temp = unit_key == "C"
    out: dict[str, Any] = {}
    for key, raw in data.items():
        if key in ("target", "low", "high") and raw is not None:
            out[key] = to_canonical(raw, unit_key)
        elif key == "tol" and raw is not None:
            out[key] = to_canonical(raw, unit_key, delta=is_temp)
        else:
            out[key] = raw
    out["unit"] = unit_key
    for key in ("target", "low", "high", "tol", "tol_frac"):
        v = out.get(key)
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{key}: {v!r} is not a finite number")
    t = out["target"]
    shown = format_value(t, unit_key)
    bounds = {**_UNIT_LIMITS.get(unit_key, {}), **bounds}
    if "gt" in bounds and not t > bounds["gt"]:
        raise ValueError(f"{shown} must be greater than {format_value(bounds['gt'], unit_key)}")
    if "ge" in bounds and not t >= bounds["ge"]:
        raise ValueError(f"{shown} must be at least {format_value(bounds['ge'], unit_key)}")
    if "lt" in bounds and not t < bounds["lt"]:
        raise ValueError(f"{shown} must be less than {format_value(bounds['lt'], unit_key)}")
    if "le" in bounds and not t <= bounds["le"]:
        raise ValueError(f"{shown} must be at most {format_value(bounds['le'], unit_key)}")
    return out


def P(unit_key: str, *, gt: float | None = None, ge: float | None = None,
      lt: float | None = None, le: float | None = None, description: str = ""):
    """The type of a parameter field in canonical unit ``unit_key`` with optional bounds."""
    bounds = {k: v for k, v in (("gt", gt), ("ge", ge), ("lt", lt), ("le", le)) if v is not None}
    return Annotated[
        Param,
        BeforeValidator(lambda v, _u=unit_key, _b=bounds: _param_before(_u, _b, v)),
        Field(description=description or f"a parameter in {unit_key}"),
    ]


def quantity(unit_key: str, *, gt: float | None = None, ge: float | None = None,
             lt: float | None = None, le: float | None = None, description: str = ""):
    """The type of a plain float field in canonical unit ``unit_key``, parsed with pint.

    For design data that carries no tolerance (a density, a loading in the cell design).
    """
    bounds = {k: v for k, v in (("gt", gt), ("ge", ge), ("lt", lt), ("le", le)) if v is not None}

    def _conv(v: Any, _u: str = unit_key, _b: dict = bounds) -> float:
        return _param_before(_u, _b, v)["target"] if not isinstance(v, dict) else _bad_mapping(v)

    return Annotated[float, BeforeValidator(_conv), Field(description=description or f"in {unit_key}")]


def count(ge: int, le: int, *, description: str = ""):
    """The type of a whole-number field from ``ge`` to ``le`` (a pass count, cells per fixture).

    ``1e19`` or ``2.5`` is refused with the allowed range in the message.
    """

    def _conv(v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(f"{v!r} is a yes/no value; give a whole number from {ge} to {le}")
        if isinstance(v, float) and (not math.isfinite(v) or v != int(v)) or \
                isinstance(v, (int, float)) and not ge <= v <= le:
            raise ValueError(f"{v!r} must be a whole number from {ge} to {le}")
        return int(v) if isinstance(v, float) else v

    return Annotated[int, BeforeValidator(_conv), Field(ge=ge, le=le, description=description)]


def _bad_mapping(v: dict) -> float:
    raise ValueError(f"{v!r}: expected a number or a quantity string here, not a mapping")


class Check(BaseModel):
    """An in-process check the operator performs and records (e.g. anode thickness)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    spec: Param
    method: str = ""
    frequency: str = "every lot"

    @model_validator(mode="before")
    @classmethod
    def _spec_unit(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("spec"), dict):
            spec = dict(data["spec"])
            unit = spec.pop("unit", None)
            if unit is None:
                raise ValueError("spec needs a 'unit' key (a unit key such as um, mg_cm2, MPa, mm)")
            data = dict(data)
            data["spec"] = _param_before(unit, {}, {**spec})
        return data
