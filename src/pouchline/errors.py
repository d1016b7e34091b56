"""One error type for everything a user can get wrong.

The CLI turns :class:`InputError` into a message and exit code 2; the app shows it inline.
Every problem names the file, the field path, the value and what is allowed, as in::

    recipes/my-cell.yaml: steps.melt_cast.temperature_C: 80 degC is below the alloy's
    melting point (85 degC); casting needs 86-150 degC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one input."""

    field: str
    message: str
    value: Any = None
    source: str = ""

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        fld = f"{self.field}: " if self.field else ""
        return f"{where}{fld}{self.message}"


@dataclass
class InputError(Exception):
    """A user's input (file, option, upload, override) is invalid.

    Holds every problem found, so a user can fix them all in one go.
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @classmethod
    def single(cls, source: str, field: str, message: str, value: Any = None) -> "InputError":
        return cls([Problem(field=field, message=message, value=value, source=source)])

    def with_source(self, source: str) -> "InputError":
        """The same problems, attributed to ``source`` (a file path) where none is set."""
        return InputError([Problem(p.field, p.message, p.value, p.source or source) for p in self.problems])

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems) or "invalid input"

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)
