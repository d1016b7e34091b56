"""The map from the old, section-numbered citations to the new citation grammar.

Early versions of the project cited the sections of a reference note that never was part of the
repository ("A6.1", "B6 mature", "[E]"). ``docs/citation-map.yaml`` says, for each section and
topic, what the citation becomes in the grammar of ``docs/sources.md``. This module resolves each
old-style citation (found by :func:`pouchline.validation.citations.old_citations`) to its
replacement (:func:`resolve`); :func:`rewrite_table` prints the per-occurrence table the
repository-wide rewrite works from (``python -m pouchline.validation --old-citations``).

The module, the map and the ``--old-citations`` option go once the rewrite is done; the finder
stays in :mod:`pouchline.validation.citations` for the repository-wide test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from pouchline.validation.citations import CITATION_MAP, REPO_ROOT, OldCitation, old_citations


@dataclass(frozen=True)
class Replacement:
    """What one section reference of an old citation becomes."""

    old: str  # the section number or bracket tag
    new: str  # the citation in the new grammar (a template where the occurrence must fill in)
    topic: str  # the topic of the map entry that matched
    unresolved: bool  # the map has no citable source for it yet


def load_citation_map(path: str | Path = CITATION_MAP) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def resolve(occurrence: OldCitation, cmap: Mapping[str, Any]) -> list[Replacement]:
    """The replacements of an occurrence's sections and bracket tags.

    A section entry of the map has a ``default`` and optional ``topics``, each with ``keywords``;
    the first topic with a keyword in the occurrence's line (case-insensitive) wins, else the
    first with a keyword in the lines just before it when the line is a bare ``source:`` (a YAML
    block's id and text are above it). Raises
    ``KeyError`` for a section the map does not know (the map is incomplete).
    """
    low = occurrence.text.lower()
    context = (occurrence.context or occurrence.text).lower()
    out: list[Replacement] = []
    sections = cmap.get("sections", {})
    for sec in occurrence.sections:
        entry = sections.get(sec)
        if entry is None and "." in sec:
            entry = sections.get(sec.split(".")[0])
        if entry is None:
            raise KeyError(f"{occurrence.path}:{occurrence.line}: section {sec!r} is not in the citation map")
        chosen, topic = entry.get("default"), "default"
        topics = entry.get("topics", ()) or ()
        texts = (low, context) if occurrence.text.startswith("source:") else (low,)
        for text in texts:
            hit = next((t for t in topics if any(str(k).lower() in text for k in t.get("keywords", ()))), None)
            if hit is not None:
                chosen, topic = hit["new"], hit.get("topic", ", ".join(hit.get("keywords", ())))
                break
        if chosen is None:
            raise KeyError(f"{occurrence.path}:{occurrence.line}: section {sec!r} has no default and no topic "
                           "matches the line")
        out.append(Replacement(sec, str(chosen), topic, str(chosen).startswith("unresolved")))
    for b in occurrence.brackets:
        new = cmap.get("bracket_tags", {}).get(b)
        if new is None:
            raise KeyError(f"{occurrence.path}:{occurrence.line}: bracket tag {b} is not in the citation map")
        out.append(Replacement(b, str(new), "bracket tag", False))
    return out


def rewrite_table(occurrences: Sequence[OldCitation], cmap: Mapping[str, Any], *, brackets: bool = False) -> str:
    """A Markdown table: file:line, the old text, each section's replacement.

    Bracket-tag-only lines (``# [E]``) are left out unless ``brackets``; their replacement is the
    same for every line (``bracket_tags`` of the map).
    """
    rows = ["| where | old | new |", "|---|---|---|"]
    for occ in occurrences:
        reps = [r for r in resolve(occ, cmap) if brackets or not r.old.startswith("[")]
        if not reps:
            continue
        new = "<br>".join(f"**{r.old}** → {r.new}" for r in reps)
        old = occ.text.replace("|", "\\|")
        rows.append(f"| {occ.path}:{occ.line} | `{old[:140]}` | {new.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def repository_old_citations(root: Path = REPO_ROOT) -> list[OldCitation]:
    """:func:`old_citations` over the repository's files (the map itself excluded)."""
    from pouchline.validation.citations import load_external_documents, repository_files

    texts = {}
    for rel in repository_files(root):
        if rel.startswith(("docs/", "src/pouchline/validation/")):
            continue
        try:
            texts[rel] = (root / rel).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
    return old_citations(texts, load_external_documents(root / "docs" / "citation-map.yaml"))


__all__ = ["OldCitation", "Replacement", "load_citation_map", "old_citations", "repository_old_citations", "resolve",
           "rewrite_table"]
