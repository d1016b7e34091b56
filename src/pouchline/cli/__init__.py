"""The ``pouchline`` command line: argument parsing and printing only.

Each subcommand lives in its own module in this package and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func`` (a callable taking the
parsed ``argparse.Namespace`` and returning an exit code). Modules are discovered, so adding a
command never means editing this file.

Exit codes: 0 success, 2 bad input (an :class:`~pouchline.errors.InputError`, a usage error, a
path the operating system refuses, a number too large to compute with or input nested too
deeply), 1 an unexpected internal failure (reported in one line, never a traceback, unless
``POUCHLINE_DEBUG=1``).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import pkgutil
import re
import sys
from typing import Any, Sequence

from pouchline import __version__
from pouchline.errors import InputError, Problem, excerpt, printable

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2


_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)' \(choose from (?P<choices>.*)\)")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors already
        m = _INVALID_CHOICE.search(message)
        if m:  # a misspelt command or choice: "did you mean ...?"
            from pouchline.suggest import did_you_mean

            message += did_you_mean(m["word"], re.findall(r"'([^']*)'", m["choices"]))
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")

    def option_strings(self) -> list[str]:
        return [o for a in self._actions for o in a.option_strings]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pouchline",
        description="Plan the InSnBi || Li6PS5Cl || LiCoO2 all-solid-state pouch cell from lab to factory.",
    )
    parser.add_argument("--version", action="version", version=f"pouchline {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    pkg_path = os.path.dirname(__file__)
    for info in sorted(pkgutil.iter_modules([pkg_path]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


class _PrintableText(io.TextIOBase):
    """A text stream that writes through :func:`pouchline.errors.printable`: a title or a name
    from a file that holds ``\x1b[...`` cannot drive the user's terminal."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", "utf-8")


def _subparser(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            return action.choices[name]
    return None


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``parser.parse_args``, with "did you mean ...?" for misspelt commands and options."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        sub = _subparser(parser, getattr(args, "command", None)) or parser
        from pouchline.suggest import did_you_mean

        known = sub.option_strings() if isinstance(sub, _Parser) else []
        hints = "".join(did_you_mean(x.partition("=")[0], known).replace(" (", f" ({x}: ", 1)
                        for x in extras if x.startswith("--"))
        sub.error(f"unrecognized arguments: {' '.join(extras)}{hints}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse_args(parser, argv)
    stdout = sys.stdout
    sys.stdout = _PrintableText(stdout)  # what commands print; stderr's messages are printable() already
    try:
        return _run(args)
    finally:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        sys.stdout = stdout


#: The source the cell package gives the problems of sizing a recipe's cell.
CELL_SOURCE = "cell"


def _name_the_recipe(exc: InputError, args: argparse.Namespace) -> InputError:
    """Problems found while sizing the cell name the recipe file they come from, not "cell"."""
    recipe = getattr(args, "recipe", None)
    if not recipe or not any(p.source == CELL_SOURCE for p in exc.problems):
        return exc
    return InputError([Problem(p.field, p.message, p.value, f"{recipe} (cell sizing)" if p.source == CELL_SOURCE
                               else p.source) for p in exc.problems])


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        exc = _name_the_recipe(exc, args)
        print(f"error: {exc}", file=sys.stderr) if len(exc.problems) <= 1 else print(
            "error: the input has these problems:\n" + "\n".join(f"  - {p}" for p in exc.problems),
            file=sys.stderr,
        )
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # a path the system refuses (no permission, a file where a folder should be, disk full)
        if os.environ.get("POUCHLINE_DEBUG"):
            raise
        where = exc.filename if exc.filename is not None else "a file"
        print(printable(f"error: {excerpt(str(where), 300)}: {exc.strerror or type(exc).__name__}"), file=sys.stderr)
        return EXIT_INPUT
    except (OverflowError, RecursionError) as exc:  # a number or a nesting beyond what can be computed
        if os.environ.get("POUCHLINE_DEBUG"):
            raise
        what = "nested too deeply" if isinstance(exc, RecursionError) else "a number too large to compute with"
        print(printable(f"error: the input holds {what} ({excerpt(exc, 200)}); check the values given on the "
                        "command line and in the files it names"), file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # an internal bug: one line, not a traceback
        if os.environ.get("POUCHLINE_DEBUG"):
            raise
        print(
            printable(f"internal error: {type(exc).__name__}: {excerpt(exc, 500)} "
                      "(this is a pouchline bug; rerun with POUCHLINE_DEBUG=1 for a traceback)"),
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
