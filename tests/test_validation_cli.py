"""``pouchline validate-model`` / ``python -m pouchline.validation``: the thin command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pouchline.cli import main
from pouchline.validation.citations import EXTERNAL_DOCUMENTS


@pytest.fixture
def project(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "recipes").mkdir()
    (tmp_path / "docs" / "sources.md").write_text("| id | reference | DOI / URL | used for |\n|---|---|---|---|\n"
                                                  "| `Liu2025` | the paper | doi:10.1038/s41467-025-67352-w | all |\n")
    return tmp_path


def test_citations_exit_1_on_errors_and_0_when_fixed(project, capsys):
    data = project / "recipes" / "a.yaml"
    data.write_text(f'x: {{target: 1, source: "paper: Methods"}}\ny: 2  # {EXTERNAL_DOCUMENTS[0]} B6\n')
    assert main(["validate-model", "--root", str(project), "--citations"]) == 1
    out, err = capsys.readouterr()
    assert "recipes/a.yaml:1: error: no_id" in out and "recipes/a.yaml:2: error: external" in out
    assert "2 errors" in err
    data.write_text('x: {target: 1, source: "paper: Liu2025 Methods"}\n')
    assert main(["validate-model", "--root", str(project), "--citations"]) == 0


def test_a_folder_that_is_not_a_project_is_an_input_error(tmp_path, capsys):
    assert main(["validate-model", "--root", str(tmp_path / "nowhere"), "--citations"]) == 2
    assert "not a pouchline project folder" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command(project):
    (project / "recipes" / "a.yaml").write_text('x: "estimate: fine"\n')
    proc = subprocess.run([sys.executable, "-m", "pouchline.validation", "--root", str(project), "--citations"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "1 citations" in proc.stderr
