"""``pouchline validate-model``: regenerate (or check) docs/validation.md and the table of figures a
pilot line should measure first (docs/sources.md); check the repository's citations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

DOCUMENTS = ("report", "measure-first")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a generated document differs from the committed one")
    parser.add_argument("--only", choices=DOCUMENTS, help="regenerate one document only")
    parser.add_argument("--root", metavar="DIR", default=None,
                        help="the project folder holding docs/ and recipes/ (default: this checkout)")
    parser.add_argument("--citations", action="store_true",
                        help="check every source tag of the project against docs/sources.md instead")


def _root(args: argparse.Namespace) -> Path:
    from pouchline.errors import InputError
    from pouchline.validation.citations import REPO_ROOT

    root = Path(args.root) if args.root else REPO_ROOT
    if not (root / "docs").is_dir() or not (root / "recipes").is_dir():
        raise InputError.single(str(root), "--root", "is not a pouchline project folder (no docs/ and recipes/)")
    return root


def run(args: argparse.Namespace) -> int:
    root = _root(args)
    if args.citations:
        from pouchline.validation.citations import scan_files

        rep = scan_files(root=root)
        for issue in rep.issues:
            print(issue)
        counts = ", ".join(f"{k} {v}" for k, v in rep.by_tag().items())
        print(f"{len(rep.citations)} citations ({counts}); {len(rep.errors)} errors, {len(rep.warnings)} warnings",
              file=sys.stderr)
        return 1 if rep.errors else 0

    from pouchline.fileio import atomic_write

    stale = []
    if args.only in (None, "report"):
        from pouchline.validation.report import all_checks_pass, build_report

        path = root / "docs" / "validation.md"
        text = build_report()
        if not all_checks_pass(text):
            print(f"warning: {path}: some checks fail", file=sys.stderr)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            atomic_write(path, text)
            print(f"wrote {path}")
    if args.only in (None, "measure-first"):
        from pouchline.validation.measure_first import current_sources_md

        path = root / "docs" / "sources.md"
        text = current_sources_md(root)
        if args.check:
            if path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            atomic_write(path, text)
            print(f"wrote {path} (the measure-first table)")
    for p in stale:
        print(f"{p} is out of date: run python -m pouchline.validation", file=sys.stderr)
    return 1 if stale else 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate-model", help="regenerate docs/validation.md and the measure-first table; check citations",
        description=__doc__)
    add_arguments(parser)
    parser.set_defaults(func=run)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pouchline.validation``: the same options, with the CLI's error handling."""
    from pouchline.cli import main as cli_main

    return cli_main(["validate-model", *(sys.argv[1:] if argv is None else argv)])
