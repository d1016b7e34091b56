"""``pouchline completion bash|zsh|tcsh``: a shell completion script made from the parser (shtab).

    pouchline completion bash > ~/.local/share/bash-completion/completions/pouchline
    pouchline completion zsh > "${fpath[1]}/_pouchline"

Commands, options and choices complete from the same parser that parses them; arguments that
name files (recipes, lines, sweeps, output files) complete as paths, folders as folders.
"""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "tcsh")
#: Argument destinations completed as file paths, and as folders.
FILE_DESTS = frozenset({"recipe", "line", "sweep", "path", "paths", "a", "b", "formats", "rates", "equipment",
                        "template", "recipe_a", "recipe_b"})
DIR_DESTS = frozenset({"out_dir"})


def _mark_paths(parser: argparse.ArgumentParser, shtab: Any) -> None:
    """Give path-like arguments shtab's file (or folder) completion, in every subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub, shtab)
            continue
        metavar = str(action.metavar or "")
        if action.dest in DIR_DESTS or metavar == "DIR":
            action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]
        elif action.dest in FILE_DESTS or metavar in ("RECIPE", "LINE", "SWEEP", "PATH", "FILE.xlsx", "FILE.yaml",
                                                      "LINE.yaml", "RESULTS", "traveler.pdf") or action.dest == "out":
            action.complete = shtab.FILE  # type: ignore[attr-defined]


def completion_script(shell: str) -> str:
    """The completion script of ``pouchline`` for ``shell`` (bash, zsh or tcsh)."""
    import shtab

    from pouchline.cli import build_parser

    if shell not in SHELLS:
        raise ValueError(f"shell must be one of {', '.join(SHELLS)}, got {shell!r}")
    parser = build_parser()
    _mark_paths(parser, shtab)
    return shtab.complete(parser, shell=shell)


def run(args: argparse.Namespace) -> int:
    print(completion_script(args.shell))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "completion", help="print a shell completion script (bash, zsh, tcsh)",
        description="Print a completion script for pouchline's commands, options and file arguments. Bash: "
                    "`pouchline completion bash > ~/.local/share/bash-completion/completions/pouchline`; zsh: "
                    "`pouchline completion zsh > \"${fpath[1]}/_pouchline\"`; or `eval \"$(pouchline completion "
                    "bash)\"` in your shell's start-up file.")
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(func=run)
