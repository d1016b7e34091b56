"""The catalogue of named cell footprints (``recipes/formats.yaml``).

A format gives either the electrode size (``basis: electrode``, the cathode sheet as punched)
or the outer size of the sealed pouch (``basis: cell``), from which the electrode follows by
subtracting the recipe's tab and seal margins. ``length`` is the side the tabs leave from.
This is the only module of :mod:`pouchline.cell` that reads a file.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pouchline.fileio import read_yaml, validate_model
from pouchline.materials import DEFAULT_MATERIALS_PATH
from pouchline.recipe.params import check_source, quantity

DEFAULT_FORMATS_PATH = DEFAULT_MATERIALS_PATH.parent / "formats.yaml"


class CellFormat(BaseModel):
    """One named footprint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    name: str = ""
    basis: Literal["electrode", "cell"] = Field(description="the size of the electrode or of the sealed pouch")
    # 1,200 mm: longer than the longest cells made (blade-type cells of about 960 mm), so a typo such
    # as 3000 for 300 is refused before the pouch, fixture and line are sized for it
    length_mm: quantity("mm", gt=0, le=1200) = Field(description="along the tab direction")
    width_mm: quantity("mm", gt=0, le=1200)
    source: str

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class FormatCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = "formats"
    revision: str = "A"
    formats: list[CellFormat] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "FormatCatalogue":
        ids = [f.id for f in self.formats]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"format ids must be unique, repeated: {dupes}")
        return self

    @property
    def ids(self) -> list[str]:
        return [f.id for f in self.formats]

    def get(self, format_id: str) -> CellFormat | None:
        for f in self.formats:
            if f.id == format_id:
                return f
        return None


def load_formats(path: str | os.PathLike = DEFAULT_FORMATS_PATH) -> FormatCatalogue:
    """Read and validate a format catalogue."""
    return validate_model(FormatCatalogue, read_yaml(path, what="format catalogue"), str(path))


_CACHE: dict[str, tuple[int, FormatCatalogue]] = {}


def default_formats() -> FormatCatalogue:
    """The shipped catalogue, re-read only when the file changes (sweeps call this often)."""
    key = str(DEFAULT_FORMATS_PATH)
    try:
        stamp = os.stat(key).st_mtime_ns
    except OSError:
        return load_formats(DEFAULT_FORMATS_PATH)  # raises the readable InputError
    hit = _CACHE.get(key)
    if hit is None or hit[0] != stamp:
        hit = (stamp, load_formats(DEFAULT_FORMATS_PATH))
        _CACHE[key] = hit
    return hit[1]


__all__ = ["CellFormat", "DEFAULT_FORMATS_PATH", "FormatCatalogue", "default_formats", "load_formats"]
