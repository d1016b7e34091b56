"""The citation checker on synthetic inputs, and the bibliography it checks against."""

from __future__ import annotations

import re

import pytest

from pouchline.validation.citations import (
    ERROR_KINDS,
    REPO_ROOT,
    check_texts,
    find_citations,
    load_bibliography,
    parse_bibliography,
    scan_files,
)

BIB_MD = """
| id | reference | DOI / URL | used for |
|---|---|---|---|
| `Liu2025` | Liu, T. et al. Nat. Commun. 2025 | doi:10.1038/s41467-025-67352-w | the cell |
| `Ahmed2016` | Ahmed, S. et al. J. Power Sources 2016 | not verified | dry room |
| `ISO898-1` | ISO 898-1:2013 | - | bolts |
"""
BIB = parse_bibliography(BIB_MD)
EXTERNAL = ["notes-elsewhere.md", "../outside"]


def kinds(text: str, path: str = "recipes/x.yaml", **kw) -> list[str]:
    return [i.kind for i in check_texts({path: text}, BIB, external_documents=EXTERNAL, **kw).issues]


def test_bibliography_rows_are_found_by_their_backticked_id():
    assert set(BIB) == {"Liu2025", "Ahmed2016", "ISO898-1"}
    assert "dry room" in BIB["Ahmed2016"]


def test_tags_are_found_in_yaml_python_and_comments_with_their_text():
    text = ('a: {target: 1, source: "paper: Liu2025 Methods, 30 MPa"}\n'
            "b: 2  # estimate: two of them\n"
            "    msg = 'sourced: Ahmed2016 p. 3'\n"
            "newspaper: not a tag; paper without colon is not either\n")
    cites = find_citations(text, "f.yaml", BIB)
    assert [(c.line, c.tag, c.text) for c in cites] == [
        (1, "paper", "Liu2025 Methods, 30 MPa"), (2, "estimate", "two of them"), (3, "sourced", "Ahmed2016 p. 3")]
    assert cites[0].ids == ("Liu2025",) and cites[0].first_word == "Liu2025"


def test_fenced_code_in_markdown_is_not_read():
    md = "```\nsourced: <Id> <location>\n```\nsourced: Ahmed2016 dry room\n"
    assert [c.line for c in find_citations(md, "doc.md")] == [4]
    assert len(find_citations(md, "doc.txt")) == 2


def test_valid_citations_raise_nothing():
    text = ('s1: "paper: Liu2025 Fig. 6b"\n'
            's2: "sourced: ISO898-1 M8 class 8.8, 21 kN"\n'
            's3: "derived: 30 MPa x 300 cm2 = 900 kN (Liu2025 Methods)"\n'
            's4: "estimate: 20-30 % per pass; Li6PS5Cl, NCM811 and In0.38Sn0.33Bi0.29 are not ids"\n'
            's5: "assumed: not given; confirm"\n'
            's6: "user: --set"\n')
    assert kinds(text) == []


def test_paper_and_sourced_must_start_with_a_listed_id():
    assert kinds('s: "paper: Methods, 88 degC"') == ["no_id"]
    assert kinds('s: "sourced: mendeleev element database (2024)"') == ["no_id"]


def test_id_shaped_words_must_be_listed():
    assert kinds('s: "estimate: as Degen2023 reports"') == ["unknown_id"]
    assert kinds('s: "sourced: Ahmed2016 and USGS-MCS2025"') == ["unknown_id"]
    # an unlisted id in first place is both: not a listed id, and id-shaped
    assert sorted(kinds('s: "sourced: Smith2020 p. 4"')) == ["no_id", "unknown_id"]


def test_derived_needs_inputs_and_arithmetic():
    assert sorted(kinds('s: "derived: paper-implied film density"')) == ["derived_arithmetic", "derived_inputs"]
    assert kinds('s: "derived: 11.91 / 3.46 = 3.44 V"') == ["derived_inputs"]
    assert kinds('s: "derived: from the jellyroll (Liu2025 Results)"') == ["derived_arithmetic"]
    # a repository file is an input when it exists
    ok = 's: "derived: 0.30 x 350 USD/kg (recipes/materials.yaml)"'
    assert kinds(ok, repo_files=["recipes/materials.yaml"]) == []
    assert kinds(ok, repo_files=["recipes/other.yaml"]) == ["derived_inputs"]


def test_documents_outside_the_repository_are_errors_anywhere_in_a_file():
    issues = check_texts({"src/m.py": "x = 1\n# see NOTES-ELSEWHERE.md B6 for this\n"}, BIB,
                         external_documents=EXTERNAL).issues
    assert [(i.path, i.line, i.kind) for i in issues] == [("src/m.py", 2, "external")]
    assert issues[0].is_error and "outside the repository" in str(issues[0])


def test_errors_and_warnings_are_told_apart():
    rep = check_texts({"a.yaml": 's: "paper: Methods"\nt: "derived: something (Liu2025)"'}, BIB)
    assert [i.kind for i in rep.errors] == ["no_id"]
    assert [i.kind for i in rep.warnings] == ["derived_arithmetic"]
    assert set(ERROR_KINDS) == {"external", "no_id", "unknown_id"}
    assert rep.by_tag()["paper"] == 1 and rep.by_tag()["derived"] == 1


# -- the real bibliography ------------------------------------------------------------------------
PREAMBLE_IDS = """Liu2025 BatPaC5 Nelson2019 Ahmed2016 Degen2023 Bryntesen2021 Kalpakjian2014 Roark2012 ISO898-1
USGS-MCS2025 Deiseroth2008 Mendeleev2024 CRC Reuters2024 Taipu2023 SVOLT2022 FFB2024 Factorial2025 CommunEng2024
Doux2020 GM2022 Morino2024 NitricOxide2017 SMM2025 EnergyTrend2024 ChemAnalyst2024 Xinhua2024 Fang2023 CICC2021
LME2024""".split()


def test_the_bibliography_lists_the_projects_ids():
    bib = load_bibliography()
    assert set(PREAMBLE_IDS) <= set(bib), sorted(set(PREAMBLE_IDS) - set(bib))
    # every entry has a reference and says where it can be found or that it was not verified
    for key, row in bib.items():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        assert len(cells) == 4 and cells[1], key
        assert re.search(r"doi:|https?://|not verified|ISBN|—|OSTI", cells[2]), (key, cells[2])


def test_the_documentation_cites_only_listed_sources_and_nothing_outside_the_repository():
    # the files this branch owns; the rest of the repository is rewritten in a later step
    paths = ["docs/sources.md", "docs/model.md", "docs/validation.md",
             *sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "src/pouchline/validation").glob("*.py")),
             "src/pouchline/cli/validate_model.py"]
    rep = scan_files(paths)
    assert [str(i) for i in rep.errors] == []
    assert len(rep.citations) > 20  # the grammar's examples and the model's citations are read


@pytest.mark.parametrize("id_", ["Liu2025", "Gershwin1994", "Roark2012"])
def test_ids_the_validation_report_uses_are_listed(id_):
    assert id_ in load_bibliography()
