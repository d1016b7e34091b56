"""Source tags and the bibliography: find every citation in a set of files and check it.

A *citation* is a source tag followed by its text (the tag, a colon, a space, the text), as
written in the recipe, materials, line and cost-rates files, in code that attaches sources to
figures, and in the documentation. The tags are paper, derived, estimate, sourced, assumed and
user. The grammar (written out for users at the top of ``docs/sources.md``):

* a *paper* or *sourced* citation starts with a bibliography id, then the location in that source;
* a *derived* citation says its arithmetic and names the ids of its inputs in brackets (or a file
  of the repository, e.g. ``recipes/materials.yaml``);
* an *estimate* gives its reasoning and an *assumed* value says what is not known and why this
  value; both may name ids;
* a *user* citation says who or what set the value.

Fenced code blocks of Markdown files are not read: they show syntax, not citations.

The checker reports, per file and line:

* ``external`` (error): the file mentions a document that is not in the repository
  (:data:`EXTERNAL_DOCUMENTS`);
* ``no_id`` (error): a ``paper`` or ``sourced`` citation whose first word is not a bibliography id;
* ``unknown_id`` (error): a word shaped like an id (``AuthorYear``, ``OrgYear``) that the
  bibliography does not list;
* ``derived_inputs`` (warning): a ``derived`` citation that names neither an id nor a repository file;
* ``derived_arithmetic`` (warning): a ``derived`` citation without any arithmetic (a number and an
  operator).

:func:`old_citations` finds the citations of the old, section-numbered reference note that the
project's early files carried ("A6.1", "B6 mature", "[E]"); the repository-wide test
(``tests/test_validation_citations_repo.py``) fails on any of them.

Pure functions over text; :func:`scan_files` is the only one that reads files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from pouchline.recipe.params import SOURCE_TAGS

#: The repository root (``src/pouchline/validation/citations.py`` -> three folders up).
REPO_ROOT = Path(__file__).resolve().parents[3]
DOCS_DIR = REPO_ROOT / "docs"
SOURCES_MD = DOCS_DIR / "sources.md"

#: Files whose text the repository-wide check reads (globs relative to the repository root).
DEFAULT_GLOBS: tuple[str, ...] = (
    "README.md", "docs/*.md", "recipes/**/*.yaml", "src/**/*.py", "app.py", "app_pages/*.py",
    "templates/**/*", "tests/*.py", "benchmarks/*.py",
)

#: Files the repository-wide check skips: the checker's own tests feed it broken citations as
#: synthetic input.
EXCLUDED_FILES: tuple[str, ...] = (
    "tests/test_validation_citations.py", "tests/test_validation_cli.py", "tests/test_validation_citations_repo.py",
)

#: Documents outside the repository that no file may cite (lower case). The names are assembled
#: from parts on purpose: this is the one place that needs them, and once the citation rewrite is
#: done ``git grep -i`` for any of them must find nothing in the repository, this file included.
EXTERNAL_DOCUMENTS: tuple[str, ...] = tuple("".join(parts) for parts in (
    ("process", "-data.md"), ("ecosystem", "-notes.md"), ("paper", ".txt"), ("shared", "/reference"),
    ("..", "/shared"),
))

ERROR_KINDS = ("external", "no_id", "unknown_id")
WARNING_KINDS = ("derived_inputs", "derived_arithmetic")

# A tag at a token boundary (start of a line or string, after a space, quote, bracket or ';'),
# followed by ':' and a space or the end of the text.
_TAG_RE = re.compile(r"(?:^|(?<=[\s\"'(\[{;,`]))(" + "|".join(SOURCE_TAGS) + r"):(?=\s|$|[\"'])")
# An id shaped like AuthorYear / OrgYear / Org-PartYear: a capital, letters, optional '-PART'
# groups, then a year 1800-2099 (optionally a/b). Li6PS5Cl, NCM811, In0.38 do not match.
_ID_SHAPE_RE = re.compile(r"(?<![\w./-])([A-Z][A-Za-z]+(?:-[A-Za-z0-9]+)*?(?:18|19|20)\d\d[a-z]?)(?![\w-])")
_FIRST_WORD_RE = re.compile(r"^\s*([^\s,;:()]+)")
_ARITHMETIC_RE = re.compile(r"=|\s[x×*+/÷]\s|\d\s?[x×*/]\s?\d")
_BIB_ROW_RE = re.compile(r"^\|\s*`([A-Za-z][\w.-]*)`\s*\|")
_REPO_FILE_RE = re.compile(r"(?<![\w/.-])((?:recipes|docs|src|tests|benchmarks|templates)/[\w./#-]+)")


@dataclass(frozen=True)
class Citation:
    """One source tag with its text, where it was found."""

    path: str
    line: int
    tag: str
    text: str  # what follows "tag: " up to the end of the string or line
    ids: tuple[str, ...] = ()  # bibliography ids named in the text (known ones)

    @property
    def first_word(self) -> str:
        m = _FIRST_WORD_RE.match(self.text)
        return m.group(1).rstrip(".") if m else ""

    def __str__(self) -> str:
        return f"{self.tag}: {self.text}"


@dataclass(frozen=True)
class CitationIssue:
    """A citation (or a mention of an outside document) that breaks the grammar."""

    path: str
    line: int
    kind: str  # one of ERROR_KINDS or WARNING_KINDS
    message: str
    excerpt: str = ""

    @property
    def is_error(self) -> bool:
        return self.kind in ERROR_KINDS

    def __str__(self) -> str:
        level = "error" if self.is_error else "warning"
        return f"{self.path}:{self.line}: {level}: {self.kind}: {self.message}"


@dataclass
class CitationReport:
    """Everything :func:`check_texts` found."""

    citations: list[Citation] = field(default_factory=list)
    issues: list[CitationIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[CitationIssue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[CitationIssue]:
        return [i for i in self.issues if not i.is_error]

    def by_tag(self) -> dict[str, int]:
        out = {t: 0 for t in SOURCE_TAGS}
        for c in self.citations:
            out[c.tag] += 1
        return out


# -- the bibliography --------------------------------------------------------------------------
def parse_bibliography(markdown: str) -> dict[str, str]:
    """Bibliography id -> its table row, from ``docs/sources.md``.

    An entry is a Markdown table row whose first cell is the id in backticks::

        | `Ahmed2016` | Ahmed, S.; Nelson, P. A.; Dees, D. W. ... | doi:... | dry room |
    """
    out: dict[str, str] = {}
    for line in markdown.splitlines():
        m = _BIB_ROW_RE.match(line)
        if m:
            out[m.group(1)] = line.strip()
    return out


def load_bibliography(path: str | Path = SOURCES_MD) -> dict[str, str]:
    return parse_bibliography(Path(path).read_text(encoding="utf-8"))


def load_external_documents() -> tuple[str, ...]:
    """The names of documents outside the repository that no file may cite (lower case):
    :data:`EXTERNAL_DOCUMENTS`."""
    return tuple(dict.fromkeys(n.lower() for n in EXTERNAL_DOCUMENTS))


# -- finding citations -------------------------------------------------------------------------
def _text_end(line: str, start: int, quote: str | None) -> int:
    """Index where a citation that starts at ``start`` ends: its closing quote or the line end."""
    if quote is None:
        return len(line)
    i = line.find(quote, start)
    return len(line) if i < 0 else i


def _opening_quote(line: str, tag_start: int) -> str | None:
    j = tag_start - 1
    while j >= 0 and line[j] == " ":
        j -= 1
    return line[j] if j >= 0 and line[j] in "\"'" else None


def find_citations(text: str, path: str, known_ids: Iterable[str] = ()) -> list[Citation]:
    """Every source tag in ``text`` with the text that follows it (to its closing quote or the
    end of the line). ``known_ids`` fills :attr:`Citation.ids`. In a Markdown file (``*.md``)
    fenced code blocks are skipped."""
    known = set(known_ids)
    out: list[Citation] = []
    fenced = False
    markdown = path.endswith(".md")
    for n, line in enumerate(text.splitlines(), start=1):
        if markdown and line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        for m in _TAG_RE.finditer(line):
            start = m.end() + 1 if m.end() < len(line) and line[m.end()] == " " else m.end()
            body = line[start:_text_end(line, start, _opening_quote(line, m.start()))].strip()
            ids = tuple(w for w in re.findall(r"[A-Za-z][\w.-]*[\w]", body) if w in known)
            out.append(Citation(path=path, line=n, tag=m.group(1), text=body, ids=tuple(dict.fromkeys(ids))))
    return out


def _external_issues(text: str, path: str, external: Sequence[str]) -> list[CitationIssue]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        low = line.lower()
        for doc in external:
            if doc and doc in low:
                out.append(CitationIssue(path, n, "external", f"cites {doc!r}, a document outside the repository; "
                                         "cite the original source by its bibliography id instead "
                                         "(docs/sources.md)", line.strip()[:160]))
                break
    return out


def check_citation(c: Citation, known_ids: Mapping[str, object] | Iterable[str],
                   repo_files: Iterable[str] | None = None) -> list[CitationIssue]:
    """The grammar's rules for one citation (see the module docstring)."""
    known = set(known_ids)
    issues: list[CitationIssue] = []
    excerpt = str(c)[:160]
    if c.tag in ("paper", "sourced") and c.first_word not in known:
        issues.append(CitationIssue(c.path, c.line, "no_id",
                                    f"a '{c.tag}' citation starts with a bibliography id (docs/sources.md), "
                                    f"not {c.first_word!r}", excerpt))
    for word in _ID_SHAPE_RE.findall(c.text):
        if word not in known:
            issues.append(CitationIssue(c.path, c.line, "unknown_id",
                                        f"{word!r} looks like a bibliography id but docs/sources.md does not list it",
                                        excerpt))
    if c.tag == "derived":
        files = [f.split("#")[0].rstrip(".,;)") for f in _REPO_FILE_RE.findall(c.text)]
        if repo_files is not None:
            present = set(repo_files)
            files = [f for f in files if f in present]
        if not c.ids and not files:
            issues.append(CitationIssue(c.path, c.line, "derived_inputs",
                                        "a 'derived' citation names the ids of its inputs (or a repository file)",
                                        excerpt))
        if not _ARITHMETIC_RE.search(c.text):
            issues.append(CitationIssue(c.path, c.line, "derived_arithmetic",
                                        "a 'derived' citation says its arithmetic", excerpt))
    return issues


def check_texts(texts: Mapping[str, str], bibliography: Mapping[str, object], *,
                external_documents: Sequence[str] = (), repo_files: Iterable[str] | None = None) -> CitationReport:
    """Find and check every citation in ``{path: text}``; also every mention of an outside document."""
    report = CitationReport()
    files = set(repo_files) if repo_files is not None else None
    for path, text in texts.items():
        cites = find_citations(text, path, bibliography)
        report.citations.extend(cites)
        report.issues.extend(_external_issues(text, path, [d.lower() for d in external_documents]))
        for c in cites:
            report.issues.extend(check_citation(c, bibliography, files))
    report.issues.sort(key=lambda i: (i.path, i.line, i.kind))
    return report


# -- old, section-numbered citations ------------------------------------------------------------
_SECTION_RE = re.compile(r"(?<![\w.])([AB][1-8](?:\.\d{1,2})?)(?:\s*-\s*([AB][1-8](?:\.\d{1,2})?))?(?![\w])")
_BRACKET_RE = re.compile(r"\[(P|D|E)\]")


@dataclass(frozen=True)
class OldCitation:
    """One line that carries old-style citations."""

    path: str
    line: int
    text: str
    sections: tuple[str, ...]  # section numbers of the old note; "document" for the note as a whole
    brackets: tuple[str, ...]  # old bracket tags: "[P]", "[D]", "[E]"
    external: bool  # the line names an external document
    context: str = ""  # the line with the three lines before it (a YAML block's id and text)


#: Words that make "A3"/"A4" a paper size, not a section: "A4 portrait", "printed on A4", "A4 in points".
_PAPER_WORDS = ("portrait", "landscape", "print", "page", "in points", "paper")


def _sections(line: str) -> list[str]:
    out: list[str] = []
    paper = any(w in line.lower() for w in _PAPER_WORDS)
    for a, b in _SECTION_RE.findall(line):
        if paper and a in ("A3", "A4") and not b:
            continue
        out.append(a)
        if b:
            out.append(b)
    return out


def old_citations(texts: Mapping[str, str],
                  external_documents: Sequence[str] = EXTERNAL_DOCUMENTS) -> list[OldCitation]:
    """Every line of ``{path: text}`` that carries an old-style citation:

    * a line that names an external document, with the section numbers it gives;
    * in the data files (``recipes/**.yaml``): any section number ``A1``-``B8`` (``A6.12``, ``B6``),
      ranges such as ``A4-A6`` included, and the bracket tags ``[P]``, ``[D]``, ``[E]``;
    * elsewhere: a section number inside a source tag, or in a ``#`` comment of a Python file.
    """
    ext = [d.lower() for d in external_documents]
    out: list[OldCitation] = []
    for path, text in texts.items():
        data_file = path.startswith("recipes/") and path.endswith((".yaml", ".yml"))
        tagged_lines: dict[int, str] = {}
        if not data_file:
            for c in find_citations(text, path):
                if _sections(c.text):
                    tagged_lines[c.line] = c.text
        python = path.endswith(".py")
        lines = text.splitlines()
        for n, line in enumerate(lines, start=1):
            low = line.lower()
            external = any(d in low for d in ext)
            comment = line[line.index("#"):] if python and "#" in line else ""
            if external or data_file:
                secs = _sections(line)
            elif n in tagged_lines:
                secs = _sections(tagged_lines[n])
            elif comment and _sections(comment):
                secs = _sections(comment)
            else:
                continue
            brackets = tuple(f"[{b}]" for b in _BRACKET_RE.findall(line)) if data_file else ()
            if external and not secs:
                secs = ["document"]
            if secs or brackets:
                context = " ".join(x.strip() for x in lines[max(0, n - 4):n])
                out.append(OldCitation(path, n, line.strip(), tuple(dict.fromkeys(secs)), tuple(dict.fromkeys(brackets)),
                                       external, context))
    return out


def repository_files(root: Path = REPO_ROOT, globs: Sequence[str] = DEFAULT_GLOBS,
                     exclude: Sequence[str] = EXCLUDED_FILES) -> list[str]:
    """Repository-relative paths matched by ``globs`` (files only), without ``exclude``."""
    out: set[str] = set()
    for g in globs:
        for p in root.glob(g):
            if p.is_file() and "__pycache__" not in p.parts:
                rel = p.relative_to(root).as_posix()
                if rel not in exclude:
                    out.add(rel)
    return sorted(out)


def scan_files(paths: Sequence[str] | None = None, *, root: Path = REPO_ROOT,
               bibliography: Mapping[str, object] | None = None,
               external_documents: Sequence[str] | None = None) -> CitationReport:
    """Check the citations of ``paths`` (repository-relative; default: :func:`repository_files`)."""
    rels = list(paths) if paths is not None else repository_files(root)
    bib = bibliography if bibliography is not None else load_bibliography(root / "docs" / "sources.md")
    ext = external_documents if external_documents is not None else load_external_documents()
    texts = {}
    for rel in rels:
        try:
            texts[rel] = (root / rel).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
    return check_texts(texts, bib, external_documents=ext, repo_files=repository_files(root))


__all__ = [
    "Citation", "CitationIssue", "CitationReport", "DEFAULT_GLOBS", "DOCS_DIR", "ERROR_KINDS",
    "EXCLUDED_FILES", "EXTERNAL_DOCUMENTS", "OldCitation", "old_citations",
    "REPO_ROOT", "SOURCES_MD", "WARNING_KINDS", "check_citation", "check_texts", "find_citations",
    "load_bibliography", "load_external_documents", "parse_bibliography", "repository_files", "scan_files",
]
