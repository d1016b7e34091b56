"""`pouchline --help` loads no heavy library (the 0.3 s goal is measured by benchmarks/bench_cli.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pint", "pandas", "numpy", "pydantic", "simpy", "matplotlib", "scipy", "openpyxl", "reportlab", "yaml",
         "pouchline.cell", "pouchline.recipe", "pouchline.units", "pouchline.equipment")


def _imported_after(argv: list[str]) -> set[str]:
    code = ("import sys\nfrom pouchline.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return set(res.stderr.split())


@pytest.mark.parametrize("argv", [["--help"], ["plan", "--help"], ["size", "--help"], ["rampup", "--help"],
                                  ["completion", "bash"]])
def test_help_imports_no_heavy_module(argv):
    # pint alone took ~0.5 s of the 1.1-1.6 s `pouchline --help` took before (issue 17)
    loaded = _imported_after(argv)
    assert not [m for m in HEAVY if m in loaded], sorted(m for m in HEAVY if m in loaded)
