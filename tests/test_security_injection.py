"""Formula injection (CWE-1236) and control characters in what pouchline writes (issue 19).

User text is text in every sheet and every CSV: a station named ``=HYPERLINK(...)`` became a live
formula in the BOM's Summary, ``"=1+1"`` reached the sweep CSV and a carriage return in a source
split a row of ``sensitivity.csv`` so that a line began with ``=2+2``. A title holding ``\\x00`` or
``\\x1b`` crashed ``bom`` (openpyxl's IllegalCharacterError).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import DEFAULT_RECIPE, RECIPES
from pouchline.export.excel import Formula, put_formula, put_text
from pouchline.fileio import CSV_DANGEROUS, csv_safe_text, csv_text

PAYLOAD = '=HYPERLINK("http://example.invalid/x","click")'


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *args], capture_output=True, text=True,
                          timeout=timeout)


def live_formulas(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, formula) of every formula cell in a workbook."""
    wb = load_workbook(path)
    return [(ws.title, c.coordinate, str(c.value)) for ws in wb for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def assert_csv_safe(text: str) -> None:
    """No line of the file and no cell starts with a formula trigger, unless it is a plain number."""
    for line in text.splitlines():
        assert not line.startswith(("=", "+", "@", "\t")), line
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(CSV_DANGEROUS):
                float(cell)  # -5 or +1e3 are numbers; anything else fails here


# -- Excel ------------------------------------------------------------------------------------------------
def test_user_text_starting_with_equals_is_text_even_in_the_summary(tmp_path):
    # the pilot line's bottleneck (the 120-min prelithiation press) renamed to a payload
    line_text = (RECIPES / "lines" / "pilot-line.yaml").read_text(encoding="utf-8")
    line = tmp_path / "line.yaml"
    assert "prelithiation_press" in line_text  # its name, and where other stations feed it
    line.write_text(line_text.replace("prelithiation_press", f"'{PAYLOAD}'"), encoding="utf-8")
    out = tmp_path / "bom.xlsx"
    res = cli("bom", str(DEFAULT_RECIPE), "--line", str(line), "--simulate", "--days", "5", "--warmup-days", "1",
              "--out", str(out))
    assert res.returncode == 0, res.stderr
    formulas = live_formulas(out)
    assert formulas, "the BOM's totals are formulas pouchline builds"
    assert not [f for f in formulas if "HYPERLINK" in f[2]], formulas
    wb = load_workbook(out)
    texts = [c for ws in wb for row in ws.iter_rows() for c in row if c.value == PAYLOAD]
    assert texts and all(c.data_type == "s" and c.quotePrefix for c in texts)
    assert any(c.parent.title == "Summary" for c in texts)  # the bottleneck row of the Summary


def test_only_a_formula_marker_reaches_the_formula_writer():
    from openpyxl import Workbook

    ws = Workbook().active
    put_text(ws["A1"], "=1+1")
    put_text(ws["A2"], Formula("=1+1"))  # a Formula given as text is still text
    put_formula(ws["A3"], Formula("=B1*2"))
    assert ws["A1"].data_type == "s" and ws["A2"].data_type == "s" and ws["A3"].data_type == "f"
    with pytest.raises(ValueError):
        put_formula(ws["A4"], "1+1")


def recipe_titled(tmp_path: Path, prefix: str) -> Path:
    """A copy of the shipped recipe (with its library) whose title starts with ``prefix``, written
    in a YAML double-quoted string, where escapes such as ``\\x1b`` become control characters."""
    text = DEFAULT_RECIPE.read_text(encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text.replace("title: InSnBi", f'title: "{prefix}InSnBi', 1)
                      .replace("(Liu et al., Nat. Commun. 2025)\n", '(Liu et al., Nat. Commun. 2025)"\n', 1),
                      encoding="utf-8")
    (tmp_path / "materials.yaml").write_bytes((RECIPES / "materials.yaml").read_bytes())
    return recipe


def test_control_characters_in_a_title_do_not_crash_bom(tmp_path):
    recipe = recipe_titled(tmp_path, "A\\0B\\x1bC\\x07 ")
    out = tmp_path / "bom.xlsx"
    res = cli("bom", str(recipe), "--out", str(out))
    assert res.returncode == 0, res.stderr
    wb = load_workbook(out)
    note = next(ws["D2"].value for ws in wb if ws.title == "Summary")  # the recipe row's note (Quantity, Value, Unit, Note)
    assert note.startswith("A\ufffdB\ufffdC\ufffd InSnBi")


# -- CSV --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=2+2", "' =2+2"), ("a\r=2+2", "a =2+2"), ("a\n=2+2", "a =2+2"), ("a\r\nb", "a b"),
    ("-5", "-5"), ("+1e3", "+1e3"), ("ok", "ok"),
])
def test_csv_text_is_neutralised_and_numbers_stay_numbers(text, expected):
    assert csv_safe_text(text) == expected


def test_csv_text_writes_every_column_safely():
    df = pd.DataFrame({"n": [1.5, -2.0], "s": ["=1+1", "x\r=2+2"], "b": [True, False], PAYLOAD: ["@x", None]})
    out = csv_text(df)
    assert_csv_safe(out)
    back = pd.read_csv(io.StringIO(out))
    assert back["n"].tolist() == [1.5, -2.0]  # numbers stay numbers
    assert back["s"].tolist() == ["'=1+1", "x =2+2"]


def test_sweep_csv_string_parameters_and_errors_are_neutralised(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"""name: injection
recipe: {DEFAULT_RECIPE}
design: grid
parameters:
  sizing.format: ["=1+1", "ev-300x100", "{PAYLOAD.replace('"', "'")}"]
outputs: [cell.energy_Wh]
""", encoding="utf-8")
    out = tmp_path / "results.csv"
    res = cli("sweep", str(sweep), "--executor", "serial", "--out", str(out), "--no-plots")
    assert res.returncode == 0, res.stderr
    text = out.read_text(encoding="utf-8")
    assert "'=1+1" in text
    assert_csv_safe(text)


def test_plan_sensitivity_csv_is_neutralised(tmp_path):
    # a price source with a carriage return and a material named like a formula
    out = tmp_path / "plan"
    res = cli("plan", str(DEFAULT_RECIPE), "--set", "materials.indium.name==1+1",
              "--set", 'materials.indium.price.low.source="sourced: x\\r=2+2"', "--out", str(out))
    assert res.returncode == 0, res.stderr
    text = (out / "sensitivity.csv").read_text(encoding="utf-8")
    assert "sourced: x =2+2" in text and "price: =1+1" in text  # the carriage return became a space
    assert_csv_safe(text)


def test_escape_sequences_from_a_file_never_reach_the_terminal(tmp_path):
    # a title or an author holding ESC [ 31 m (or NUL, bell) would drive the terminal that `show` prints to
    recipe = recipe_titled(tmp_path, "\\x1b]0;owned\\x07\\x1b[31m")
    for args in (["show", str(recipe)], ["cell", str(recipe)], ["validate", str(recipe), "--set", "x=\x1b[2J"]):
        res = cli(*args)
        assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\x1b" not in res.stderr, args
    assert "\ufffd]0;owned" in cli("show", str(recipe)).stdout
