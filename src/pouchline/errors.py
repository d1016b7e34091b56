"""One error type for everything a user can get wrong.

The CLI turns :class:`InputError` into a message and exit code 2; the app shows it inline.
Every problem names the file, the field path, the value and what is allowed, as in::

    recipes/my-cell.yaml: steps.melt_cast.temperature_C: 80 degC is below the alloy's
    melting point (85 degC); casting needs 86-150 degC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

#: Longest field path, source and message shown per problem: a message never echoes a huge value
#: (a file's content, an expanded alias) in full, whatever a validator put into it.
MAX_FIELD_CHARS = 200
MAX_SOURCE_CHARS = 300
MAX_MESSAGE_CHARS = 800
#: Problems kept per error: the first ones, then one line saying how many more there were.
MAX_PROBLEMS = 100


#: Control characters a terminal would act on (ESC sequences, NUL, bell, 8-bit CSI); tab, line
#: feed and carriage return stay.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every :data:`CONTROL_CHARS` character replaced by U+FFFD, so that text from a
    file cannot drive the terminal it is printed on (``\x1b[...`` sequences) or hide in a message."""
    return CONTROL_CHARS.sub("\ufffd", text)


def excerpt(text: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as a string of at most about ``limit`` characters: its start and its end (where a
    message says what is allowed), with how much was left out between them."""
    s = text if isinstance(text, str) else str(text)
    if len(s) <= limit:
        return s
    head = (2 * limit) // 3
    tail = limit - head
    return f"{s[:head]}... ({len(s) - limit:,} characters left out) ...{s[-tail:]}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one input."""

    field: str
    message: str
    value: Any = None
    source: str = ""

    def __str__(self) -> str:
        where = f"{excerpt(self.source, MAX_SOURCE_CHARS)}: " if self.source else ""
        fld = f"{excerpt(self.field, MAX_FIELD_CHARS)}: " if self.field else ""
        return printable(f"{where}{fld}{excerpt(self.message)}")


@dataclass
class InputError(Exception):
    """A user's input (file, option, upload, override) is invalid.

    Holds every problem found, so a user can fix them all in one go.
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.problems) > MAX_PROBLEMS:
            more = len(self.problems) - MAX_PROBLEMS
            first = self.problems[0]
            self.problems = [*self.problems[:MAX_PROBLEMS],
                             Problem(field="", source=first.source,
                                     message=f"... and {more:,} more problem(s); fix the ones above first")]
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
