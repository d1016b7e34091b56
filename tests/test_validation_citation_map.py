"""The map from old, section-numbered citations to the citation grammar (docs/citation-map.yaml)."""

from __future__ import annotations

import pytest

from pouchline.validation.citation_map import (
    load_citation_map,
    old_citations,
    repository_old_citations,
    resolve,
    rewrite_table,
)
from pouchline.validation.citations import check_citation, find_citations, load_bibliography

CMAP = load_citation_map()
EXTERNAL = CMAP["external_documents"]
NOTE = EXTERNAL[0]  # the old note's file name, read from the map so no other file names it


def test_old_citations_in_data_files_code_comments_and_external_mentions():
    texts = {
        "recipes/x.yaml": f'a: {{target: 1, source: "estimate: {NOTE} B6, glovebox"}}\n'
                          "b: 0.01   # B6 mature: punching 99 %\n"
                          "c: 4 h    # [E] heat-up\n"
                          "d: 1\n",
        "src/m.py": "x = 1  # A6.4: scale by 0.976\n"
                    "y = 'assumed: B6 gives no clamping yield'\n"
                    "z = 'A2'  # an Excel cell is not a citation without a comment\n",
        "tests/t.py": f'"""Checks ({NOTE} A1, A6.4)."""\n',
    }
    occ = {(o.path, o.line): o for o in old_citations(texts, EXTERNAL)}
    assert set(occ) == {("recipes/x.yaml", 1), ("recipes/x.yaml", 2), ("recipes/x.yaml", 3), ("src/m.py", 1),
                        ("src/m.py", 2), ("tests/t.py", 1)}
    assert occ[("recipes/x.yaml", 1)].external and occ[("recipes/x.yaml", 1)].sections == ("B6",)
    assert occ[("recipes/x.yaml", 3)].brackets == ("[E]",) and occ[("recipes/x.yaml", 3)].sections == ()
    assert occ[("tests/t.py", 1)].sections == ("A1", "A6.4")


def test_ranges_give_both_ends_and_a_bare_mention_is_the_whole_note():
    occ = old_citations({"recipes/l.yaml": f'source: "estimate: sized from {NOTE} A4-A6, B6-B8"\n# tags of {NOTE}\n'},
                        EXTERNAL)
    assert occ[0].sections == ("A4", "A6", "B6", "B8")
    assert occ[1].sections == ("document",)


def test_topics_are_chosen_by_keyword_then_default():
    occ = old_citations({"recipes/x.yaml": "a: 1  # B7: M8 class 8.8 proof load\nb: 2  # B7\n"
                         "c: {target: 0.55, source: \"estimate: bolts at 55 % of proof (B7)\"}\n"}, EXTERNAL)
    first, second, third = (resolve(o, CMAP)[0] for o in occ)
    assert first.topic == "bolt proof loads" and first.new.startswith("sourced: ISO898-1")
    assert second.topic == "default"
    assert third.topic == "bolt utilisation"  # "55 %" is listed before "proof"


def test_a_yaml_source_line_is_resolved_from_the_block_above_it():
    text = ("  - id: lithium_foil\n    title: Lithium foil\n    text: \"water-reactive\"\n"
            f"    source: \"sourced: {NOTE} B8\"\n")
    (occ,) = old_citations({"recipes/r.yaml": text}, EXTERNAL)
    assert resolve(occ, CMAP)[0].topic == "lithium foil"


def test_unknown_sections_are_a_gap_in_the_map():
    (occ,) = old_citations({"recipes/x.yaml": "a: 1  # B8.7, a subsection the map does not list\n"}, EXTERNAL)
    assert resolve(occ, CMAP)[0].old == "B8.7"  # resolved by its section, B8
    bad = {"sections": {}, "bracket_tags": {}}
    with pytest.raises(KeyError, match="not in the citation map"):
        resolve(occ, bad)


def test_every_old_citation_in_the_repository_resolves():
    # the map is complete: the rewrite has a replacement for every occurrence found today (phase 1
    # of the rewrite left only the files other branches were editing; this test goes with the map)
    occ = repository_old_citations()
    assert occ
    for o in occ:
        assert resolve(o, CMAP), o
    table = rewrite_table(occ, CMAP)
    assert table.count("\n") > 2 and "| where | old | new |" in table


def test_every_replacement_in_the_map_is_a_valid_citation():
    # a replacement without placeholders must pass the checker: listed ids, ids first where required
    bib = load_bibliography()
    news = [t["new"] for e in CMAP["sections"].values() for t in [e, *e.get("topics", [])] if "new" in t]
    news += [e["default"] for e in CMAP["sections"].values()]
    checked = 0
    for new in news:
        if "<" in new or new.startswith(("unresolved", "docs/", "state the", "Tags", "remove")):
            continue
        for c in find_citations(f'"{new}"', "map", bib):
            problems = [i for i in check_citation(c, bib) if i.is_error]
            assert problems == [], (new, [str(p) for p in problems])
            checked += 1
    assert checked > 40
