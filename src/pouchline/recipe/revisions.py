"""Change control: revision labels and what an edit of a released revision becomes.

A revision goes draft -> review -> approved (``approved_by``, ``approved_date``) -> obsolete. Any
edit of the technical content of a revision under review, approved or obsolete (``--set`` on the
command line, the app's recipe page: both load through
:func:`pouchline.recipe.io.recipe_from_data`, which calls :func:`as_edit`) is a new *draft*
revision: revision ``A`` becomes ``A.1``, status ``draft``, the approval is dropped, and
``derived_from`` says "modified from rev A (hash ...)", which the traveler prints on every page.
An edit of a draft stays that draft. Approval is not an edit: setting ``status``,
``approved_by`` and ``approved_date`` alone changes no content.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from pouchline.errors import InputError
from pouchline.recipe.document import METADATA_FIELDS

#: Statuses whose content is frozen: editing them makes a new draft revision.
RELEASED = ("review", "approved", "obsolete")


def next_revision(revision: str) -> str:
    """The next major revision label: ``A`` -> ``B``, ``Z`` -> ``AA``, ``3`` -> ``4``, ``B.2`` -> ``C``."""
    base = str(revision).split(".", 1)[0]
    if re.fullmatch(r"[A-Z]+", base):
        letters = list(base)
        i = len(letters) - 1
        while i >= 0 and letters[i] == "Z":
            letters[i] = "A"
            i -= 1
        if i < 0:
            return "A" + "".join(letters)
        letters[i] = chr(ord(letters[i]) + 1)
        return "".join(letters)
    m = re.fullmatch(r"(.*?)(\d+)", base)
    if m:
        return f"{m.group(1)}{int(m.group(2)) + 1}"
    return f"{base}-2"


def edit_revision(revision: str) -> str:
    """The draft an edit makes of a released revision: ``A`` -> ``A.1``, ``A.1`` -> ``A.2``."""
    m = re.fullmatch(r"(.+)\.(\d+)", str(revision))
    if m:
        return f"{m.group(1)}.{int(m.group(2)) + 1}"
    return f"{revision}.1"


def technical(data: Any) -> Any:
    """The part of raw recipe data that the content hash covers (everything but the header)."""
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if k not in METADATA_FIELDS}


def edits_content(before: Any, after: Any) -> bool:
    """Whether raw recipe data changed in its technical content (not only in its header)."""
    return technical(before) != technical(after)


def as_edit(edited: dict, parent: Any, overrides: Iterable[tuple[str, Any]], source: str = "--set") -> dict:
    """Raw data of the draft revision an edit of the released revision ``parent`` makes.

    ``edited`` is the parent's data with the overrides applied; ``parent`` the validated parent
    recipe. A revision label set with the edit is kept if it differs from the parent's; a status
    other than draft is refused (an edit is never approved by the same step).
    """
    out = dict(edited)
    given_status = out.get("status")
    if given_status not in (None, parent.status, "draft"):
        raise InputError.single(source, "status", (
            f"{given_status!r} with an edit of rev {parent.revision}: an edited revision is a draft; approve it "
            "separately (status, approved_by, approved_date) after review"), given_status)
    rev = out.get("revision")
    if rev is None or str(rev) == parent.revision:
        rev = edit_revision(parent.revision)
    out["revision"] = str(rev)
    out["status"] = "draft"
    out.pop("approved_by", None)
    out.pop("approved_date", None)
    out.pop("content_hash", None)
    out["derived_from"] = {"id": parent.id, "revision": parent.revision, "content_hash": parent.hash,
                           "relation": "modified"}
    changes = [f"{path} = {value!r} ({source})" for path, value in overrides
               if path.split(".", 1)[0] not in METADATA_FIELDS]
    out["changes"] = changes
    return out


__all__ = ["RELEASED", "as_edit", "edit_revision", "edits_content", "next_revision", "technical"]
