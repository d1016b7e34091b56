"""The recipe document: a revisioned master recipe (ISA-88) of the cell and its process.

A recipe has a header (id, revision, status, author, date), the atmospheres its steps run in,
safety notes, the cell design and the ordered process steps. Its content hash covers everything
technical (design, steps, atmospheres, safety notes, declared deviations) and none of the
document metadata, so a re-approval does not change it and any change of a number does.

Change control: a revision is ``draft`` -> ``review`` -> ``approved`` (with ``approved_by`` and
``approved_date``) -> ``obsolete``. A revision made from another one names it in ``derived_from``
(id, revision, content hash and whether it was derived for a product or modified by an edit) and
lists what changed in ``changes``; see :mod:`pouchline.recipe.revisions`.
"""

from __future__ import annotations

import datetime as dt
import math
import hashlib
import json
from typing import Annotated, Any, Literal

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from pouchline.recipe.design import CellDesign
from pouchline.recipe.params import P, check_source
from pouchline.recipe.steps import Step

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

#: Fields that describe the document rather than the cell or process; not hashed.
METADATA_FIELDS = frozenset({"id", "revision", "status", "author", "date", "title", "description",
                             "content_hash", "materials_library", "schema_version", "approved_by",
                             "approved_date", "derived_from", "changes"})
#: Revision statuses in their order of life.
STATUSES = ("draft", "review", "approved", "obsolete")


class Atmosphere(BaseModel):
    """Where a step runs: open air, an Ar glovebox with O2/H2O limits, a dry room, or an inert-gas
    flow in closed equipment (a tube furnace under Ar)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: Slug
    kind: Literal["air", "argon_glovebox", "dry_room", "inert_gas"]
    o2_ppm_max: float | None = Field(default=None, ge=0, le=1_000_000)
    h2o_ppm_max: float | None = Field(default=None, ge=0, le=1_000_000)
    dew_point_C_max: float | None = Field(default=None, ge=-120, le=0)
    max_open_time_min: P("min", gt=0, le=10_000) | None = Field(
        default=None, description="longest time a sulfide may stand open in this atmosphere per step (a dry room's "
                                  "exposure limit); steps refer to it with max_open_time_min: {from: ...}")
    source: str | None = None

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _limits(self) -> "Atmosphere":
        if self.kind == "argon_glovebox" and (self.o2_ppm_max is None or self.h2o_ppm_max is None):
            raise ValueError("an argon_glovebox needs o2_ppm_max and h2o_ppm_max")
        if self.kind == "dry_room" and self.dew_point_C_max is None:
            raise ValueError("a dry_room needs dew_point_C_max")
        return self

    @property
    def h2o_ppm(self) -> float | None:
        """Water content at the dew point (Magnus formula over ice), ppm by volume: -40 degC is ~127 ppm."""
        if self.kind != "dry_room" or self.dew_point_C_max is None:
            return self.h2o_ppm_max

        t = self.dew_point_C_max
        p_hpa = 6.112 * math.exp(22.46 * t / (272.62 + t))  # Magnus over ice (WMO 2008)
        return p_hpa / 1013.25 * 1e6

    def describe(self) -> str:
        if self.kind == "air":
            return "air"
        if self.kind == "argon_glovebox":
            return f"Ar glovebox (O2 < {self.o2_ppm_max:g} ppm, H2O < {self.h2o_ppm_max:g} ppm)"
        if self.kind == "inert_gas":
            return "inert gas flow in closed equipment"
        limit = f", sulfide open <= {self.max_open_time_min.target:g} min per step" if self.max_open_time_min else ""
        return f"dry room (dew point <= {self.dew_point_C_max:g} °C{limit})"

    @property
    def protects_sulfides(self) -> bool:
        """Ar with H2O <= 1 ppm, or a dry room at <= -40 °C dew point (Liu2025 Methods; GM2022, Morino2024)."""
        if self.kind == "argon_glovebox":
            return (self.h2o_ppm_max or 0) <= 1.0
        if self.kind == "dry_room":
            return (self.dew_point_C_max or 0) <= -40.0
        return False


class SafetyNote(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=4000)
    source: str | None = None

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Parent(BaseModel):
    """The revision a recipe was made from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    revision: str = Field(min_length=1, max_length=16)
    content_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    relation: Literal["derived", "modified"] = Field(
        description="derived for a product (pouchline derive, plan) or modified by an edit (--set, the app)")

    @field_validator("revision", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    def describe(self) -> str:
        """'modified from rev A (hash 1a2b3c4d5e6f)'."""
        return f"{self.relation} from rev {self.revision} (hash {self.content_hash.split(':', 1)[1][:12]})"


class DeclaredDeviation(BaseModel):
    """A difference between this recipe and a line that the revision accepts (validate RECIPE LINE)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["atmosphere", "format", "missing_step"]
    step: str | None = Field(default=None, description="the step it concerns; None: every step")
    line: str | None = Field(default=None, description="the line's name; None: any line")
    reason: str = Field(min_length=1, max_length=1000)


class Recipe(BaseModel):
    """A master recipe of the cell and its process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64)
    revision: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]*$", max_length=16)
    status: Literal["draft", "review", "approved", "obsolete"]
    author: str = Field(min_length=1, max_length=200)
    date: dt.date
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    materials_library: str = Field(default="materials.yaml", description="path relative to the recipe file")
    content_hash: str | None = Field(default=None, description="sha256 of the technical content, as stored")
    approved_by: str | None = Field(default=None, min_length=1, max_length=200)
    approved_date: dt.date | None = None
    derived_from: Parent | None = None
    changes: list[str] = Field(default_factory=list, description="what changed from derived_from")
    deviations: list[DeclaredDeviation] = Field(
        default_factory=list, description="differences from a line this revision accepts, each with its reason")
    atmospheres: list[Atmosphere] = Field(min_length=1)
    safety_notes: list[SafetyNote] = Field(default_factory=list)
    cell: CellDesign
    steps: list[Step] = Field(min_length=1)

    @field_validator("revision", mode="before")
    @classmethod
    def _revision_text(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(
                f"{v!r} was read as a number; quote the revision in YAML (revision: \"{v}\") so "
                "that '010' or '1.10' keep their meaning"
            )
        return v

    _source_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _approval(self) -> "Recipe":
        if self.status == "approved":
            missing = [f for f in ("approved_by", "approved_date") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"status: an approved revision names who approved it and when; "
                                 f"{' and '.join(missing)} missing")
            if self.content_hash is None:
                raise ValueError("status: an approved revision stores its content_hash (the hash pouchline validate "
                                 "prints), so any later edit of the file is caught; approve in the file, not with "
                                 "--set (an override never approves)")
        elif self.status in ("draft", "review") and (self.approved_by or self.approved_date):
            raise ValueError(f"status: a {self.status} revision is not approved; remove approved_by and "
                             "approved_date (they belong to the approved revision)")
        if self.approved_date is not None and self.approved_date < self.date:
            raise ValueError(f"approved_date: {self.approved_date} is before the revision's date {self.date}")
        if self.derived_from is not None and self.derived_from.id == self.id \
                and self.derived_from.revision == self.revision:
            raise ValueError(f"derived_from: names this revision ({self.revision}) itself; a new revision needs a "
                             "new revision label")
        return self

    @model_validator(mode="after")
    def _references(self) -> "Recipe":
        problems: list[str] = []
        step_ids = [s.id for s in self.steps]
        dupes = sorted({i for i in step_ids if step_ids.count(i) > 1})
        if dupes:
            problems.append(f"steps: step ids must be unique, repeated: {dupes}")
        atm = {a.id for a in self.atmospheres}
        notes = {n.id for n in self.safety_notes}
        for s in self.steps:
            if s.atmosphere not in atm:
                problems.append(f"steps.{s.id}.atmosphere: {s.atmosphere!r} is not one of the atmospheres {sorted(atm)}")
            for n in s.safety:
                if n not in notes:
                    problems.append(f"steps.{s.id}.safety: {n!r} is not one of the safety_notes {sorted(notes)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- lookups ---------------------------------------------------------------------------
    def step(self, step_id: str):
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def steps_of_kind(self, kind: str) -> list:
        return [s for s in self.steps if s.kind == kind]

    def atmosphere(self, atmosphere_id: str) -> Atmosphere:
        for a in self.atmospheres:
            if a.id == atmosphere_id:
                return a
        raise KeyError(atmosphere_id)

    def safety_note(self, note_id: str) -> SafetyNote:
        for n in self.safety_notes:
            if n.id == note_id:
                return n
        raise KeyError(note_id)

    @property
    def step_ids(self) -> list[str]:
        return [s.id for s in self.steps]

    @property
    def materials_library_path(self) -> Path | None:
        """The materials library this recipe was loaded with (absolute), if it was loaded from a file."""
        if self._source_dir is None:
            return None
        p = Path(self.materials_library)
        return p if p.is_absolute() else (self._source_dir / p).resolve()

    @property
    def parent_text(self) -> str:
        """'modified from rev A (hash 1a2b3c4d5e6f)', or '' for a revision made from none."""
        return self.derived_from.describe() if self.derived_from is not None else ""

    # -- hashing ---------------------------------------------------------------------------
    def technical_content(self) -> dict[str, Any]:
        """The hashed part of the recipe as plain JSON data."""
        return self.model_dump(mode="json", exclude=set(METADATA_FIELDS))

    def compute_hash(self) -> str:
        """``sha256:<hex>`` of the technical content (floats to 12 significant digits)."""
        blob = json.dumps(_round_floats(self.technical_content()), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()

    @property
    def hash(self) -> str:
        """The content hash of this recipe as it is (after any overrides)."""
        return self.compute_hash()

    @property
    def short_hash(self) -> str:
        return self.hash.split(":", 1)[1][:12]


def _round_floats(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(f"{obj:.12g}")
    if isinstance(obj, dict):
        return {k: _round_floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round_floats(v) for v in obj]
    return obj
