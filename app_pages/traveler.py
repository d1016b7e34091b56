"""Traveler page: a lot number and size -> the batch traveler (control recipe) as a PDF."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app_pages._shared import (
    cell_request,
    describe_request,
    library,
    not_available,
    problem_text,
    recipe_label,
    recipe_or_stop,
    request_key,
    sized_cell,
    sticky,
)
from pouchline.display import fmt_count, fmt_number, fmt_quantity
from pouchline.errors import InputError

st.title("Traveler")
st.caption("The batch traveler of one lot: routing with set points and record fields, material issue, "
           "safety, genealogy and sign-off, with the recipe's hash in a QR code.")

model = library("pouchline.export.traveler_model", "build_traveler", "check_lot", "check_cells")
render = library("pouchline.export.traveler", "render_traveler")


def model_blockers(recipe, materials, cell):
    """The library's reasons not to print this card (steps vs design, routing vs cell format)."""
    from pouchline.export.traveler_model import traveler_blockers

    return traveler_blockers(recipe, materials, cell)


@st.cache_resource(show_spinner=False, max_entries=8)
def derived_for(recipe_key: str, request: tuple, _recipe, _materials, _cell):
    """The draft revision of the recipe for this cell (``pouchline derive``), or None if none can be made."""
    from pouchline.recipe.derive import derive_revision

    try:
        return derive_revision(_recipe, _materials, _cell)
    except InputError:
        return None


templates = library("pouchline.export.traveler_template", "load_template", "available_templates")
if model is None or render is None or templates is None:
    not_available("pouchline.export.traveler", "The PDF traveler")
    st.stop()

recipe, materials, recipe_key = recipe_or_stop()


@st.cache_resource(show_spinner=False, max_entries=8)
def _template(name: str):
    return templates.load_template(name)


@st.cache_data(show_spinner=False, max_entries=16)
def traveler_pdf(key: tuple, _traveler, template: str) -> bytes:
    return render.render_traveler(_traveler, _template(template))


sticky("trav_lot", f"L{dt.date.today():%y%m}-0001")
sticky("trav_cells", 20)
sticky("trav_scrap_pct", 5.0)
names = templates.available_templates() or ["default"]
sticky("trav_template", "default" if "default" in names else names[0])
if st.session_state["trav_template"] not in names:
    st.session_state["trav_template"] = names[0]

left, right = st.columns([1, 2], gap="large")
problems: dict[str, list] = {}
with left:
    st.text_input("Lot number", key="trav_lot", max_chars=32, help="3-32 capital letters, digits and dashes")
    lot = st.session_state["trav_lot"].strip()
    try:
        model.check_lot(lot, field="lot number")
    except InputError as err:
        problems["lot"] = err.problems
        for p in err.problems:
            st.error(problem_text(p), icon=":material/error:")
    st.number_input("Lot size (cells)", min_value=1, max_value=10_000_000, step=10, key="trav_cells")
    st.number_input("Scrap allowance on issued material (%)", min_value=0.0, max_value=100.0, step=1.0,
                    format="%g", key="trav_scrap_pct")
    st.selectbox("Template", names, key="trav_template", help="`templates/traveler-<name>.yaml`")
    issued = st.date_input("Issue date", value=dt.date.today(), key="trav_issued")

cell = None
note = ""
req = cell_request()
if library("pouchline.cell", "size_cell") is not None:
    try:
        cell = sized_cell(recipe_key, recipe, materials, request_key(req))
    except InputError:
        note = "The cell chosen on the Cell design page cannot be built; quantities are left blank."
else:
    note = "Cell sizing (pouchline.cell) is not available; quantities are left blank."

with right:
    st.markdown(f"**Recipe** `{recipe_label(recipe)}` ({recipe.status}) · hash `{recipe.short_hash}`  \n"
                f"**Cell** {describe_request(req) if cell is not None else '—'}"
                + (f" · {fmt_quantity(cell.energy_Wh, 'Wh')} · {fmt_quantity(cell.mass_g, 'g', 4)}" if cell is not None else "")
                + " — change it on the Cell design page.")
    if note:
        st.warning(note)
    purpose = "production" if recipe.status == "approved" else "sample"
    if purpose == "sample":
        st.caption(f":orange[The recipe is **{recipe.status}**, not approved: this prints a **sample** marked "
                   "'SAMPLE - NOT FOR PRODUCTION' on every page. A production traveler needs an approved revision.]")
    if recipe.parent_text:
        st.caption(f"Rev {recipe.revision} is {recipe.parent_text}: every page says so.")
    if problems:
        st.info("Fix the lot number to prepare the traveler.")
        st.stop()
    blockers = model_blockers(recipe, materials, cell)
    if blockers and cell is not None:
        # as `pouchline plan` does: the traveler of the planned cell comes from a draft revision derived for
        # it (pouchline.recipe.derive), never a card that tells the floor to make another cell
        derived = derived_for(recipe_key, request_key(req), recipe, materials, cell)
        if derived is not None:
            st.warning(f"Rev {recipe.revision}'s routing cannot make this cell ({'; '.join(p.message for p in blockers)[:300]}). "
                       f"This traveler is of **draft rev {derived.recipe.revision}**, derived for it as `pouchline plan` "
                       "and `pouchline derive` make it: review and approve it before production.",
                       icon=":material/difference:")
            recipe = derived.recipe
            cell = sized_cell(f"{recipe_key}:derived:{recipe.hash}", recipe, materials, request_key(req))
            purpose = "production" if recipe.status == "approved" else "sample"
            blockers = model_blockers(recipe, materials, cell)
    if blockers:
        st.error("This traveler would contradict itself, so it is not printed:", icon=":material/block:")
        for p in blockers:
            st.error(problem_text(p), icon=":material/error:")
        st.stop()
    try:
        tr = model.build_traveler(
            recipe, lot=lot, cells=int(st.session_state["trav_cells"]), materials=materials,
            materials_g_per_cell=dict(cell.materials_g) if cell is not None else None,
            scrap_allowance=float(st.session_state["trav_scrap_pct"]) / 100.0, issued=issued,
            issue_note=note, purpose=purpose)
    except InputError as err:
        for p in err.problems:
            st.error(problem_text(p), icon=":material/error:")
        st.stop()
    key = (recipe_key, recipe.hash, request_key(req), lot, int(st.session_state["trav_cells"]),
           float(st.session_state["trav_scrap_pct"]), str(issued), st.session_state["trav_template"])
    tmpl = st.session_state["trav_template"]
    st.download_button(f"Download traveler PDF ({lot})", data=lambda: traveler_pdf(key, tr, tmpl),
                       file_name=f"traveler-{lot}.pdf", mime="application/pdf", on_click="ignore", type="primary",
                       icon=":material/download:", key="trav_download")
    k = st.columns(4)
    k[0].metric("Cells", fmt_count(tr.cells, scaled=False), border=True)
    k[1].metric("Route steps", str(len(tr.routing)), border=True)
    k[2].metric("Recorded values", str(sum(1 for s in tr.routing for r in s.rows if r.record)), border=True)
    k[3].metric("CTQ set points", str(sum(1 for s in tr.routing for r in s.rows if r.ctq)), border=True)
    if tr.issue:
        st.markdown(f"**Material issue** (scrap allowance {tr.scrap_text})")
        st.dataframe(pd.DataFrame([{"material": i.name, "id": i.material_id, "used_at": ", ".join(i.used_at),
                                    "per_cell": fmt_number(i.per_cell, 4), "required": fmt_number(i.required, 4), "unit": i.unit,
                                    "hazards": ", ".join(i.hazard_ids)} for i in tr.issue]),
                     hide_index=True, width="stretch", key="trav_issue_df", column_config={
                         "material": st.column_config.TextColumn("Material", width="large"), "id": "Id",
                         "used_at": "Used at", "per_cell": "Per cell", "required": "Issue", "unit": "Unit",
                         "hazards": "Hazards"})
    st.markdown("**Routing**")
    st.dataframe(pd.DataFrame([{"no": s.no, "step": s.name, "atmosphere": s.atmosphere,
                                "set_points": len(s.rows), "record": sum(1 for r in s.rows if r.record),
                                "safety": ", ".join(t for _, t in s.safety)} for s in tr.routing]),
                 hide_index=True, width="stretch", key="trav_routing_df", column_config={
                     "no": st.column_config.NumberColumn("#", width="small"),
                     "step": st.column_config.TextColumn("Step", width="large"), "atmosphere": "Atmosphere",
                     "set_points": "Lines", "record": "To record", "safety": "Safety"})
