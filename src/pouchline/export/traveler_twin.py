"""The traveler's machine-readable twin: the same control recipe as the PDF, for an MES or eBR.

:func:`traveler_twin` turns the :class:`~pouchline.export.traveler_model.Traveler` the PDF is
drawn from into plain JSON data: the lot, the recipe (id, revision, status, content hash), the
material issue, the parent lots, the route step by step with every value's target and limits (in
the unit printed, rounded as printed, so the paper and the electronic record hold the same
limits), every box the operator fills in (capture fields) and the sign-offs and lot release.
:func:`capture_rows` flattens the capture fields into a template for an electronic batch record:
one row per value to capture (``step, field, target, low, high, unit, ctq`` and what it is).

:func:`write_twin` writes both beside the PDF (``traveler.pdf`` -> ``traveler.json`` and
``traveler-capture.csv``), atomically. Pure apart from :func:`write_twin`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from pouchline.export.traveler_model import (
    CAPTURE_VALUE,
    RoutingRow,
    RoutingStep,
    Traveler,
    release_criteria,
)
from pouchline.fileio import atomic_write, csv_text, jsonable

#: The format of :func:`traveler_twin` (bumped when a field changes meaning).
TWIN_SCHEMA = "pouchline.traveler/1"
#: Columns of :func:`capture_rows`, in order (the first seven are the ones an eBR needs).
CAPTURE_COLUMNS = ("step", "field", "target", "low", "high", "unit", "ctq", "no", "label", "kind", "capture")

#: The boxes of the lot summary, the material issue, the genealogy and the lot release.
LOT_RECORDS = (("planned_start", "Planned start"), ("released_to_line_by", "Released to the line by"),
               ("released_to_line_date", "Date"))
ISSUE_RECORDS = (("supplier_lot", "Supplier lot no."), ("weighed", "Weighed / counted"),
                 ("issued_by", "Issued by, date"))
GENEALOGY_RECORDS = (("lot", "Parent lot no."), ("qty_used", "Quantity used"), ("verified_by", "Verified by"))
RELEASE_RECORDS = (("cells_started", "Cells started", "cells"), ("cells_good", "Cells good", "cells"),
                   ("cells_scrapped", "Cells scrapped (attach NCRs)", "cells"),
                   ("disposition", "QA disposition: released / hold / scrap", ""),
                   ("qa_signature", "QA name and signature", ""), ("release_date", "Date", ""))


def capture_id(step: RoutingStep, row: RoutingRow, what: str) -> str:
    """The id of one box: ``melt_cast.temperature_C``, ``formation.discharge_capacity.min``."""
    base = f"{step.id}.{row.field}"
    return base if row.capture == CAPTURE_VALUE else f"{base}.{what}"


def capture_unit(row: RoutingRow, what: str) -> str:
    """The unit of what is written: the row's, ``cells`` for rejected cells, none for a tick."""
    if what == "rejected":
        return "cells"
    if what == "done":
        return ""
    return row.unit


def _value(step: RoutingStep, row: RoutingRow) -> dict[str, Any]:
    return {
        "no": row.no, "kind": row.kind, "field": row.field, "label": row.label, "target": row.target_value,
        "target_text": row.target, "low": row.low, "high": row.high, "limits_text": row.limits, "unit": row.unit,
        "ctq": row.ctq, "method": row.method, "source": row.source,
        "capture": [{"id": capture_id(step, row, w), "what": w, "unit": capture_unit(row, w)} for w in row.capture],
    }


def _step(step: RoutingStep) -> dict[str, Any]:
    return {
        "no": step.no, "id": step.id, "name": step.name, "kind": step.kind, "atmosphere": step.atmosphere,
        "equipment": step.equipment, "inputs": list(step.inputs), "output": step.output,
        "safety": [{"id": sid, "title": title} for sid, title in step.safety], "notes": step.notes,
        "quantity_unit": step.qty_unit, "time_limit": step.time_limit, "verifier_required": step.has_ctq,
        "values": [_value(step, r) for r in step.rows],
        "records": [{"id": f"{step.id}.{r.field}", "label": r.label, "unit": r.unit} for r in step.records],
    }


def traveler_twin(tr: Traveler) -> dict[str, Any]:
    """The traveler of one lot as JSON data (see the module). Every limit is the one the PDF prints."""
    issue = []
    for k, (mid, name) in enumerate(tr.issue_materials if tr.issue is None else
                                    [(ln.material_id, ln.name) for ln in tr.issue], start=1):
        line = tr.issue[k - 1] if tr.issue is not None else None
        issue.append({
            "no": k, "material_id": mid, "name": name,
            "used_at": list(line.used_at) if line else [], "per_cell": line.per_cell if line else None,
            "per_cell_g": line.per_cell_g if line else None, "scrap_allowance": line.scrap_allowance if line else None,
            "required": line.required if line else None, "unit": line.unit if line else "",
            "capture": [{"id": f"issue.{mid}.{f}", "label": lab} for f, lab in ISSUE_RECORDS],
        })
    return jsonable({
        "schema": TWIN_SCHEMA,
        "lot": tr.lot, "cells": tr.cells, "issued": tr.issued.isoformat(), "purpose": tr.purpose,
        "sample": tr.is_sample, "qr": tr.qr, "cell_format": tr.cell_format, "scrap_allowance_text": tr.scrap_text,
        "recipe": {"id": tr.recipe_id, "revision": tr.revision, "status": tr.status, "title": tr.title,
                   "content_hash": tr.content_hash, "parent": tr.parent_text},
        "lot_records": [{"id": f"lot.{f}", "label": lab} for f, lab in LOT_RECORDS],
        "issue_note": tr.issue_note,
        "materials": issue,
        "genealogy": [{"role": g.role, "description": g.description, "produced_at": list(g.produced_at), "lot": g.lot,
                       "capture": [{"id": f"genealogy.{g.role}.{f}", "label": lab} for f, lab in GENEALOGY_RECORDS
                                   if not (f == "lot" and g.lot)]} for g in tr.genealogy],
        "safety": [{"id": n.id, "title": n.title, "text": n.text, "steps": list(n.steps), "source": n.source}
                   for n in (*tr.safety, *tr.hazards)],
        "route": [_step(s) for s in tr.routing],
        "release": {
            "requires": [{"id": f"lot_release.{s.id}.{r.field}.met", "criterion": f"{s.id}.{r.field}", "step": s.id,
                          "no": r.no, "label": r.label, "low": r.low, "high": r.high, "unit": r.unit,
                          "limits_text": r.limits} for s, r in release_criteria(tr.routing)],
            "all_ctq_in_range": "lot_release.all_ctq_in_range",
            "records": [{"id": f"lot_release.{f}", "label": lab, "unit": unit} for f, lab, unit in RELEASE_RECORDS],
        },
    })


def capture_rows(tr: Traveler) -> pd.DataFrame:
    """One row per value to capture: the template of an electronic batch record (:data:`CAPTURE_COLUMNS`)."""
    rows: list[dict[str, Any]] = []

    def add(step: str, field: str, label: str, kind: str, capture: str, unit: str = "", target: Any = None,
            low: Any = None, high: Any = None, ctq: bool = False, no: str = "") -> None:
        rows.append({"step": step, "field": field, "target": target, "low": low, "high": high, "unit": unit,
                     "ctq": ctq, "no": no, "label": label, "kind": kind, "capture": capture})

    for f, lab in LOT_RECORDS:
        add("lot", f"lot.{f}", lab, "record", "value")
    for ln in (tr.issue or []):
        for f, lab in ISSUE_RECORDS:
            add("issue", f"issue.{ln.material_id}.{f}", f"{ln.name}: {lab}", "record", "value",
                unit=ln.unit if f == "weighed" else "", target=ln.required if f == "weighed" else None)
    for g in tr.genealogy:
        for f, lab in GENEALOGY_RECORDS:
            if not (f == "lot" and g.lot):
                add("genealogy", f"genealogy.{g.role}.{f}", f"{g.description}: {lab}", "record", "value")
    for s in tr.routing:
        for r in s.rows:
            for w in r.capture:
                add(s.id, capture_id(s, r, w), r.label, r.kind, w, unit=capture_unit(r, w),
                    target=r.target_value if w in ("actual", "min", "max") else (0 if w == "rejected" else None),
                    low=r.low if w in ("actual", "min", "max") else None,
                    high=r.high if w in ("actual", "min", "max") else None, ctq=r.ctq, no=r.no)
        for rec in s.records:
            add(s.id, f"{s.id}.{rec.field}", rec.label, "record", "value", unit=rec.unit, no=str(s.no))
    for s, r in release_criteria(tr.routing):
        add("lot_release", f"lot_release.{s.id}.{r.field}.met", f"{r.label}: met for every released cell", "release", "yes/no",
            ctq=r.ctq, no=r.no)
    add("lot_release", "lot_release.all_ctq_in_range", "Every CTQ actual in range, every step signed, NCRs closed", "release",
        "yes/no", ctq=True)
    for f, lab, unit in RELEASE_RECORDS:
        add("lot_release", f"lot_release.{f}", lab, "record", "value", unit=unit)
    return pd.DataFrame(rows, columns=list(CAPTURE_COLUMNS))


def twin_paths(pdf_path: str | os.PathLike) -> tuple[Path, Path]:
    """Where the twin of a traveler PDF goes: ``lot.pdf`` -> ``lot.json``, ``lot-capture.csv``."""
    p = Path(pdf_path)
    return p.with_suffix(".json"), p.with_name(f"{p.stem}-capture.csv")


def twin_json_text(tr: Traveler) -> str:
    return json.dumps(traveler_twin(tr), indent=2, ensure_ascii=False) + "\n"


def write_twin(pdf_path: str | os.PathLike, tr: Traveler) -> list[Path]:
    """Write the JSON twin and the capture template beside ``pdf_path``, atomically; return both paths."""
    json_path, csv_path = twin_paths(pdf_path)
    return [atomic_write(json_path, twin_json_text(tr)), atomic_write(csv_path, csv_text(capture_rows(tr)))]


__all__ = ["CAPTURE_COLUMNS", "TWIN_SCHEMA", "capture_id", "capture_rows", "traveler_twin", "twin_json_text",
           "twin_paths", "write_twin"]
