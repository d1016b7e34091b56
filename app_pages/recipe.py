"""Recipe page: choose or upload a recipe, read its route, edit key parameters, download YAML."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages._shared import (
    param_at,
    problem_text,
    recipe_choice,
    recipe_or_stop,
    recipe_overrides,
    set_active_recipe,
    shipped_recipes,
    show_problems,
    try_recipe,
    upload_library,
    upload_size_problem,
)
from pouchline.errors import InputError, Problem
from pouchline.recipe.io import dump_recipe, parse_override
from pouchline.recipe.route import alloy_composition_table, route_table

# (dotted path as in `pouchline ... --set`, label, unit shown, step of the +/- buttons)
CELL_PARAMS = [
    ("cell.cathode.active_loading_mg_cm2", "Cathode active loading (LCO)", "mg/cm²", 0.5),
    ("cell.electrolyte_film.thickness_um", "Solid-electrolyte film thickness", "µm", 1.0),
    ("cell.anode.np_ratio", "N/P ratio", "", 0.05),
    ("cell.conditions.stack_pressure_MPa", "Stack pressure", "MPa", 1.0),
    ("cell.packaging.electrode_length_mm", "Electrode length (tab side)", "mm", 1.0),
    ("cell.packaging.electrode_width_mm", "Electrode width", "mm", 1.0),
]
STEP_PARAMS = [
    ("steps.melt_cast.temperature_C", "Melt-cast temperature", "°C", 1.0),
    ("steps.anode_rolling.target_thickness_um", "Rolled alloy thickness", "µm", 0.5),
    ("steps.se_film_rolling.thickness_um", "SE film rolled thickness", "µm", 1.0),
    ("steps.cathode_hot_rolling.temperature_C", "Cathode hot-rolling temperature", "°C", 5.0),
    ("steps.cathode_hot_rolling.active_loading_mg_cm2", "Cathode hot-rolling loading spec", "mg/cm²", 0.5),
    ("steps.prelithiation.pressure_MPa", "Prelithiation pressure", "MPa", 1.0),
    ("steps.sealing.temperature_C", "Sealing temperature", "°C", 5.0),
    ("steps.clamping.pressure_MPa", "Clamping pressure", "MPa", 1.0),
    ("steps.formation.temperature_C", "Formation temperature", "°C", 1.0),
]
STATUSES = ["draft", "review", "approved", "obsolete"]
EDITS_SOURCE = "your edits on this page (the file itself is valid)"
WIDGET_PREFIX = "rp__"


def _key(path: str) -> str:
    return WIDGET_PREFIX + path


def _clear_edit_widgets() -> None:
    for k in list(st.session_state):
        if isinstance(k, str) and (k.startswith(WIDGET_PREFIX) or k in ("rp_extra", "rp_revision", "rp_status")):
            del st.session_state[k]
    st.session_state.pop("recipe_edit_problems", None)


# -- choosing a recipe -------------------------------------------------------------------------
def _choose_shipped() -> None:
    name = st.session_state.get("recipe_file")
    if not name:
        return
    choice = {"kind": "shipped", "name": name, "data": None}
    try:
        try_recipe(choice, ())
    except InputError as err:
        st.session_state["recipe_load_problems"] = err.problems
        return
    set_active_recipe(choice)
    st.session_state.pop("recipe_load_problems", None)
    _clear_edit_widgets()


def _take_upload() -> None:
    up = st.session_state.get("recipe_upload")
    if up is None:  # the file was removed from the uploader
        st.session_state.pop("recipe_load_problems", None)
        return
    data = up.getvalue()
    err = upload_size_problem(up.name, data, "recipe")
    library = st.session_state.get("materials_upload_choice")
    if err is None:
        choice = {"kind": "upload", "name": up.name, "data": data, "library": library}
        try:
            try_recipe(choice, ())
        except InputError as exc:
            err = exc
    if err is not None:
        st.session_state["recipe_load_problems"] = err.problems
        return
    set_active_recipe(choice)
    st.session_state.pop("recipe_load_problems", None)
    st.session_state.pop("recipe_file", None)  # the shipped-recipe box shows "(an uploaded recipe is active)"
    _clear_edit_widgets()


def _take_library() -> None:
    """A materials library uploaded for the next recipe upload (which names it by file name)."""
    up = st.session_state.get("materials_upload")
    st.session_state.pop("materials_upload_problems", None)
    if up is None:
        st.session_state.pop("materials_upload_choice", None)
        return
    data = up.getvalue()
    err = upload_size_problem(up.name, data, "materials library")
    if err is None:
        try:
            upload_library({"materials_library": up.name}, up.name, (up.name, data))
        except InputError as exc:
            err = exc
    if err is not None:
        st.session_state["materials_upload_problems"] = err.problems
        st.session_state.pop("materials_upload_choice", None)
        return
    st.session_state["materials_upload_choice"] = (up.name, data)


def _reset_edits() -> None:
    set_active_recipe(recipe_choice(), ())
    _clear_edit_widgets()


# -- editing -----------------------------------------------------------------------------------
def _apply_edits() -> None:
    """Form callback: widget values -> overrides -> the library's validation."""
    choice = recipe_choice()
    base, _ = try_recipe(choice, ())  # the file as written (valid: it is the active choice)
    problems: list[Problem] = []
    overrides: dict[str, Any] = {}
    for path, *_ in CELL_PARAMS + STEP_PARAMS:
        k = _key(path)
        if k not in st.session_state:
            continue
        value = float(st.session_state[k])
        p = param_at(base, path)
        if p is not None and abs(value - p.target) > 1e-12 * max(1.0, abs(p.target)):
            overrides[path] = value
    for field, base_value in (("revision", base.revision), ("status", base.status)):
        v = st.session_state.get(f"rp_{field}")
        if v is not None and str(v).strip() != base_value:
            overrides[field] = str(v).strip()
    for line in str(st.session_state.get("rp_extra", "")).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            path, value = parse_override(line.strip())
        except InputError as err:
            problems.extend(err.problems)
            continue
        overrides[path] = value
    if not problems:
        try:
            try_recipe(choice, tuple(overrides.items()))
        except InputError as err:
            problems.extend(err.problems)
    # the file loads without the edits (it is the active recipe), so every problem is the edits':
    # name them, not the file, as where to look
    problems = [Problem(field=p.field, message=p.message, value=p.value, source=EDITS_SOURCE) for p in problems]
    if problems:
        st.session_state["recipe_edit_problems"] = problems
        return
    st.session_state.pop("recipe_edit_problems", None)
    set_active_recipe(choice, tuple(overrides.items()))
    st.session_state["recipe_edit_applied"] = len(overrides)


def _problems_for(path: str, problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.field == path or p.field.startswith(path + ".")]


def _param_inputs(params: list, recipe: Any, problems: list[Problem], used: set[int]) -> None:
    for path, label, unit, step in params:
        p = param_at(recipe, path)
        if p is None or not hasattr(p, "target") or getattr(p, "ref", None):
            continue  # a step value that follows the design is edited there (one source per value)
        src = p.source or "no source given"
        tol = f" ± {p.tol:g}" if p.tol else ""
        ctq = " · **CTQ**" if p.ctq else ""
        st.number_input(f"{label}" + (f" ({unit})" if unit else ""), value=float(p.target), step=float(step),
                        format="%g", key=_key(path),
                        help=f"`{path}`{tol}{ctq}  \nSource: {src}")
        for prob in _problems_for(path, problems):  # at its field: the message says the rest
            used.add(id(prob))
            st.error(prob.message if prob.field == path else problem_text(prob), icon=":material/error:")


# -- page ----------------------------------------------------------------------------------------
st.title("Recipe")
st.caption("The master recipe every other page works on: the cell design and the process route. "
           "Edits go through the same validation as `pouchline ... --set path=value`.")

choice = recipe_choice()
src_col, up_col = st.columns([1, 1], gap="large")
with src_col:
    names = shipped_recipes()
    current = choice["name"] if choice["kind"] == "shipped" and choice["name"] in names else None
    st.selectbox("Shipped recipe", names, index=names.index(current) if current in names else None,
                 key="recipe_file", on_change=_choose_shipped, placeholder="(an uploaded recipe is active)",
                 help="Recipes in the project's `recipes/` folder.")
with up_col:
    st.file_uploader("…or upload a recipe (YAML, at most 1 MB)", type=["yaml", "yml"], key="recipe_upload",
                     on_change=_take_upload,
                     help="Validated like `pouchline validate`; an invalid file leaves the active recipe as it is. "
                          "Its `materials_library` may name a shipped library (materials.yaml) or one uploaded "
                          "below, first.")
    with st.expander("Own materials library (optional)",
                     expanded=bool(st.session_state.get("materials_upload_problems"))):
        st.file_uploader("Materials library (YAML) for the next recipe upload", type=["yaml", "yml"],
                         key="materials_upload", on_change=_take_library,
                         help="Upload it before the recipe; the recipe uses it when its `materials_library` "
                              "is this file's name.")
        if st.session_state.get("materials_upload_problems"):
            st.error("**The materials library was not loaded.**", icon=":material/block:")
            show_problems(st.session_state["materials_upload_problems"])

if st.session_state.get("recipe_load_problems"):
    st.error("**The recipe was not loaded**; the active recipe is unchanged.", icon=":material/block:")
    show_problems(st.session_state["recipe_load_problems"])

recipe, materials, _ = recipe_or_stop()
overrides = recipe_overrides()
if st.session_state.get("recipe_fallback"):
    gone, why = st.session_state["recipe_fallback"]
    st.warning(f"**{gone} no longer loads**, so the pages use the shipped recipe below. Choose or upload a "
               "recipe to continue.", icon=":material/warning:")
    show_problems(why)

st.subheader(recipe.title)
m = st.columns([2.2, 1, 1, 1, 1])
m[0].metric("Recipe", recipe.id, border=True)
m[1].metric("Revision", recipe.revision, border=True)
m[2].metric("Status", recipe.status, border=True)
m[3].metric("Steps", len(recipe.steps), border=True)
m[4].metric("Edited parameters", len(overrides), border=True)
st.caption(f"Author {recipe.author} · {recipe.date.isoformat()} · content hash `{recipe.hash}`"
           + (f" · source `{choice['name']}` (uploaded)" if choice["kind"] == "upload" else ""))

tab_route, tab_edit, tab_design, tab_yaml = st.tabs(["Route and parameters", "Edit parameters",
                                                     "Materials and composition", "YAML"])

with tab_route:
    table = route_table(recipe, materials)
    f1, f2, f3 = st.columns([2, 1, 1])
    step_names = {s.id: f"{n}. {s.name}" for n, s in enumerate(recipe.steps, start=1)}
    pick = f1.multiselect("Steps", list(step_names), format_func=step_names.get, key="route_steps",
                          placeholder="All steps")
    ctq_only = f2.toggle("CTQ parameters only", key="route_ctq")
    assumed_only = f3.toggle("Unconfirmed sources only", key="route_assumed",
                             help="Parameters tagged `assumed` or `estimate`: the ones to confirm on the line.")
    view = table
    if pick:
        view = view[view["step"].isin(pick)]
    if ctq_only:
        view = view[view["ctq"] == "CTQ"]
    if assumed_only:
        view = view[view["source"].isin(["assumed", "estimate"])]
    st.dataframe(view, hide_index=True, width="stretch", height=min(38 * (len(view) + 1), 720), key="route_df",
                 column_config={
                     "no": st.column_config.NumberColumn("#", width=40),
                     "step": None,
                     "name": st.column_config.TextColumn("Step", width=280),
                     "atmosphere": st.column_config.TextColumn("Atmosphere", width=130),
                     "parameter": st.column_config.TextColumn("Parameter", width=180),
                     "value": st.column_config.TextColumn("Set point", width=180),
                     "ctq": st.column_config.TextColumn("CTQ", width=50),
                     "source": st.column_config.TextColumn("Source", width=80),
                 })
    st.caption(f"{len(view)} of {len(table)} parameter rows. Source tags: paper, derived (arithmetic on paper "
               "values), estimate, sourced, assumed (not in the paper, to be confirmed), user (edited here).")

with tab_edit:
    problems = list(st.session_state.get("recipe_edit_problems", []))
    if st.session_state.pop("recipe_edit_applied", None) is not None and not problems:
        st.success(f"Applied: {len(overrides)} parameter{'s' if len(overrides) != 1 else ''} differ from the file. "
                   "Every page now uses the edited recipe.", icon=":material/check_circle:")
    if problems:
        st.error(f"**Not applied: {len(problems)} problem{'s' if len(problems) != 1 else ''}.** The pages keep "
                 "using the last valid recipe. Each problem is shown at its field.", icon=":material/block:")
    used: set[int] = set()
    key_paths = {p for p, *_ in CELL_PARAMS + STEP_PARAMS}
    extra_now = "\n".join(f"{p}={v}" for p, v in overrides if p not in key_paths and p not in ("revision", "status"))
    with st.form("recipe_edit", border=True):
        c1, c2, c3 = st.columns(3, gap="large")
        with c1:
            st.markdown("**Cell design**")
            _param_inputs(CELL_PARAMS, recipe, problems, used)
        with c2:
            st.markdown("**Process steps**")
            _param_inputs(STEP_PARAMS, recipe, problems, used)
        with c3:
            st.markdown("**Document**")
            st.text_input("Revision", value=recipe.revision, key="rp_revision",
                          help="Raise the revision before an edited recipe goes for approval.")
            for prob in _problems_for("revision", problems):
                used.add(id(prob))
                st.error(problem_text(prob), icon=":material/error:")
            st.selectbox("Status", STATUSES, index=STATUSES.index(recipe.status), key="rp_status")
            st.markdown("**Any other field**")
            st.text_area("Overrides, one `dotted.path=value` per line", value=extra_now, key="rp_extra", height=140,
                         placeholder="steps.quench.contact_time_s=10\nmaterials.indium.price.base.value=500",
                         help="The same syntax as `--set` on the command line. Steps are addressed by id.")
            rest = [p for p in problems if id(p) not in used]
            for prob in rest:
                st.error(problem_text(prob), icon=":material/error:")
        st.caption("Step values the design fixes (loadings, film thickness, punch sizes, stack pressure) follow "
                   "the cell design: edit them there. An edit of a revision under review or approved becomes a "
                   "new draft revision (A -> A.1) marked 'modified from rev A'.")
        st.form_submit_button("Apply edits", type="primary", on_click=_apply_edits)
    st.button("Reset to the file's values", on_click=_reset_edits, disabled=not overrides and not problems,
              key="rp_reset")

with tab_design:
    c1, c2 = st.columns(2, gap="large")
    with c1:
        alloy = materials[recipe.cell.anode.alloy]
        st.markdown(f"**Anode alloy: {alloy.name}**")
        comp = alloy_composition_table(recipe, materials)
        st.dataframe(comp, hide_index=True, width="stretch", column_config={
            "element": "Element",
            "at_pct": st.column_config.NumberColumn("at.%", format="%.2f"),
            "wt_pct": st.column_config.NumberColumn("wt%", format="%.2f")})
    with c2:
        cath = recipe.cell.cathode
        st.markdown("**Cathode composite**")
        fr = cath.mass_fractions
        st.dataframe(pd.DataFrame([{"material": c.material, "name": materials[c.material].name
                                    if c.material in materials.ids else c.material,
                                    "parts": c.parts, "wt_pct": 100 * fr[c.material]} for c in cath.composition]),
                     hide_index=True, width="stretch", column_config={
                         "material": "Id", "name": "Material",
                         "parts": st.column_config.NumberColumn("Parts by mass", format="%.1f"),
                         "wt_pct": st.column_config.NumberColumn("wt%", format="%.2f")})
        st.caption(cath.composition_basis)
    st.markdown("**Safety notes**")
    for note in recipe.safety_notes:
        with st.expander(note.title):
            st.write(note.text)
            if note.source:
                st.caption(note.source)

with tab_yaml:
    text = dump_recipe(recipe)
    edited = " (edited)" if overrides else ""
    st.download_button(f"Download recipe YAML{edited}", data=text.encode("utf-8"),
                       file_name=f"{recipe.id}-rev{recipe.revision}.yaml", mime="application/x-yaml",
                       on_click="ignore", type="primary", icon=":material/download:", key="recipe_download")
    st.caption("Values are written in each field's canonical unit with the content hash of this content; "
               "loading the file gives the same recipe." + (" Raise the revision before approval."
                                                            if overrides and "revision" not in dict(overrides) else ""))
    st.code(text, language="yaml", height=520)
