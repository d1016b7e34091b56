"""Scale-up page: the sized plant at several volumes (pouchline scaleup) and a line's ramp-up (pouchline rampup)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages._shared import (
    describe_request,
    library,
    line_choice,
    line_overrides,
    load_line_cached,
    not_available,
    page_cell_or_stop,
    recipe_label,
    recipe_or_stop,
    request_key,
    show_problems,
    sticky,
)
from pouchline.display import fmt_count, fmt_number, fmt_pct, fmt_usd, fmt_value
from pouchline.errors import InputError

st.title("Scale-up")
st.caption("What it takes to make each volume: the plant of `pouchline size` at every target (machines per station, "
           "simulated until the lower 95 % bound meets the target, costed at its simulated output) with the "
           "tightest element's share of world production; and how a line ramps up from start of production. Same "
           "functions as `pouchline scaleup` and `pouchline rampup`.")

su_mod = library("pouchline.plant.scaleup", "scale_up", "parse_targets")
ru_mod = library("pouchline.plant.rampup", "ramp_up", "RAMP_MONTHS", "RAMP_REPLICATIONS")
cost_mod = library("pouchline.cost", "load_rates")
if su_mod is None or ru_mod is None or cost_mod is None:
    not_available("pouchline.plant.scaleup" if su_mod is None else "pouchline.plant.rampup" if ru_mod is None
                  else "pouchline.cost", "Scale-up")
    st.stop()

recipe, materials, recipe_key = recipe_or_stop()
req, cell = page_cell_or_stop(recipe, materials, recipe_key)
st.caption(f"{recipe_label(recipe)} · cell of the Cell design page: {describe_request(req)} "
           f"({cell.layers} layers, {fmt_number(cell.energy_Wh)} Wh)")


@st.cache_resource(show_spinner=False)
def _rates():
    return cost_mod.load_rates()


try:
    rates = _rates()
except InputError as err:
    st.error("The cost rates (recipes/cost-rates.yaml) cannot be loaded:")
    show_problems(err)
    st.stop()

# -- the scale-up table ---------------------------------------------------------------------------------
for k, v in {"su_targets": "0.01,0.1,1,10", "su_class": rates.plant.machine_class,
             "su_maturity": rates.plant.yield_maturity, "su_days": 30, "su_reps": 5}.items():
    sticky(k, v)

with st.form("scaleup_form"):
    c1, c2, c3, c4, c5 = st.columns([2, 1.2, 1, 1, 1])
    c1.text_input("Targets, GWh/yr", key="su_targets", help="annual volumes of good cells, separated by commas; each "
                  "is a simulated sizing (about 40 s at 10 GWh/yr of the 10 Ah cell)")
    c2.selectbox("Machines", ["auto", "production", "pilot", "lab"], key="su_class",
                 help="class of recipes/equipment.yaml; auto: per station the class of lowest annual cost at each volume")
    c3.selectbox("Yields", ["mature", "pilot"], key="su_maturity", help="step yields of the catalogue")
    c4.number_input("Days simulated", min_value=5, max_value=365, step=5, key="su_days")
    c5.number_input("Replications", min_value=2, max_value=20, step=1, key="su_reps")
    go = st.form_submit_button("Run the scale-up", type="primary")


@st.cache_resource(show_spinner=False, max_entries=4)
def scaled(key: tuple, _recipe, _materials, _cell, targets: tuple, machine_class: str, maturity: str, days: int,
           reps: int):
    return su_mod.scale_up(_recipe, _materials, _cell, list(targets), rates=_rates(), machine_class=machine_class,
                           maturity=maturity, days=float(days), warmup_days=min(5.0, days / 4),
                           replications=int(reps), workers=1)  # in this threaded server: no process pool


SHOWN = (("cells_per_yr", "Good cells per year", fmt_count), ("MWh_per_yr", "Simulated output (MWh/yr)", fmt_number),
         ("machines", "Machines", fmt_count), ("machine_classes", "Stations per machine class", fmt_value),
         ("equipment_capex_usd", "Equipment capex", fmt_usd), ("capex_per_GWh_usd", "Capex per GWh/yr", fmt_usd),
         ("floor_m2", "Floor (m²)", fmt_number), ("dry_room_m2", "of which dry room (m²)", fmt_number),
         ("operators_per_shift", "Operators per shift", fmt_number),
         ("electricity_MWh_per_yr", "Electricity (MWh/yr)", fmt_number),
         ("cost_per_cell_usd", "Cost per cell (USD)", fmt_number), ("cost_per_kWh_usd", "Cost per kWh (USD)", fmt_number),
         ("material_cost_per_kWh_usd", "materials (USD/kWh)", fmt_number),
         ("process_cost_per_kWh_usd", "process (USD/kWh)", fmt_number), ("bottleneck", "Bottleneck", fmt_value),
         ("tightest_element", "Tightest element", fmt_value),
         ("tightest_share_of_world_frac", "its share of world output", fmt_pct))

try:
    targets = tuple(su_mod.parse_targets(st.session_state["su_targets"], "Targets"))
except InputError as err:
    show_problems(err)
    targets = None
args = (targets, st.session_state["su_class"], st.session_state["su_maturity"], int(st.session_state["su_days"]),
        int(st.session_state["su_reps"]))
key = (recipe_key, request_key(req), *args)
if go and targets is not None:
    st.session_state["su_key"] = key
if targets is None:
    pass
elif st.session_state.get("su_key") != key:
    st.info("Set the targets and press **Run the scale-up** (each target is a simulated sizing: seconds at small "
            "volumes, about a minute at 10 GWh/yr).", icon=":material/trending_up:")
else:
    try:
        with st.spinner("Sizing and simulating every target…"):
            res = scaled(key, recipe, materials, cell, *args)
    except InputError as err:
        show_problems(err)
        res = None
    except ValueError as exc:
        st.error(f"This plant cannot be sized: {exc}", icon=":material/block:")
        res = None
    if res is not None:
        rows = res.rows
        st.markdown(f"**{res.headline()}**")
        missed = [fmt_number(r["target_GWh_per_yr"]) for r in rows if not r["met"]]
        if missed:
            st.warning(f"Not met at the lower 95 % bound: {', '.join(missed)} GWh/yr.", icon=":material/warning:")
        heads = [f"{fmt_number(r['target_GWh_per_yr'])} GWh/yr" for r in rows]
        shown = pd.DataFrame([{"quantity": label, **{h: f(r[k]) for h, r in zip(heads, rows)}}
                              for k, label, f in SHOWN])
        st.dataframe(shown, hide_index=True, width="stretch", key="su_table")
        tbl = res.table()
        long = tbl.melt(id_vars=["target_GWh_per_yr"], value_vars=["cost_per_kWh_usd", "material_cost_per_kWh_usd",
                                                                   "process_cost_per_kWh_usd"],
                        var_name="part", value_name="usd_per_kWh")
        long["part"] = long["part"].map({"cost_per_kWh_usd": "cell", "material_cost_per_kWh_usd": "materials",
                                         "process_cost_per_kWh_usd": "process"})
        x = alt.X("target_GWh_per_yr:Q", scale=alt.Scale(type="log"), title="target, GWh/yr (log)")
        g1, g2, g3 = st.columns(3, gap="medium")
        g1.markdown("**USD/kWh against volume**")
        g1.altair_chart(alt.Chart(long).mark_line(point=True).encode(
            x=x, y=alt.Y("usd_per_kWh:Q", title="USD/kWh"), color=alt.Color("part:N", title=None),
            tooltip=["target_GWh_per_yr", "part", alt.Tooltip("usd_per_kWh:Q", format=",.1f")]).properties(height=280),
            width="stretch", key="su_cost_chart")
        cap = tbl.assign(capex_MUSD_per_GWh=tbl["capex_per_GWh_usd"] / 1e6)
        g2.markdown("**Equipment capex per GWh/yr**")
        g2.altair_chart(alt.Chart(cap).mark_line(point=True, color="#6a1b9a").encode(
            x=x, y=alt.Y("capex_MUSD_per_GWh:Q", title="M USD per GWh/yr"),
            tooltip=["target_GWh_per_yr", alt.Tooltip("capex_MUSD_per_GWh:Q", format=",.1f")]).properties(height=280),
            width="stretch", key="su_capex_chart")
        share = tbl.assign(materials=tbl["material_share_frac"], process=1 - tbl["material_share_frac"]).melt(
            id_vars=["target_GWh_per_yr"], value_vars=["materials", "process"], var_name="part", value_name="share")
        share["target"] = share["target_GWh_per_yr"].map(lambda v: f"{fmt_number(v)} GWh/yr")
        g3.markdown("**Materials and process share**")
        g3.altair_chart(alt.Chart(share).mark_bar().encode(
            y=alt.Y("target:N", sort=heads, title=None), x=alt.X("share:Q", stack="normalize", title="share of cost"),
            color=alt.Color("part:N", title=None), tooltip=["target", "part", alt.Tooltip("share:Q", format=".1%")])
            .properties(height=280), width="stretch", key="su_share_chart")
        st.download_button("Download table (csv)", tbl.to_csv(index=False).encode("utf-8"), file_name="scaleup.csv",
                           mime="text/csv", on_click="ignore", key="su_download")
        with st.expander("How each target was sized"):
            for s in res.sizings:
                st.markdown(f"**{fmt_number(s.target_GWh_per_yr)} GWh/yr**")
                for it in s.iterations:
                    st.text(it)

# -- ramp-up of a line ------------------------------------------------------------------------------------
st.subheader("Ramp-up of the line")
choice = line_choice()
try:
    ramp_line, ramp_raw = load_line_cached(choice["kind"], choice["name"], choice.get("data"), line_overrides())
except InputError as err:
    st.error("The line of the Line page cannot be loaded; fix it there.")
    show_problems(err)
    st.stop()
st.caption(f"The line of the Line page: **{ramp_line.name}** ({choice['name']}). Yields and availabilities follow "
           "x(t) = mature − (mature − start) · exp(−t/τ) from the catalogue's pilot yields to the line's own; each "
           "month is simulated from an empty line after a warm-up at that month's figures (a quasi-static "
           "approximation, the warm-up left out).")
sticky("ru_months", int(ru_mod.RAMP_MONTHS))
sticky("ru_reps", int(ru_mod.RAMP_REPLICATIONS))
with st.form("rampup_form"):
    r1, r2 = st.columns(2)
    r1.number_input("Months", min_value=1, max_value=120, step=1, key="ru_months")
    r2.number_input("Replications per month", min_value=1, max_value=10, step=1, key="ru_reps")
    go_ramp = st.form_submit_button("Ramp up", type="primary")


@st.cache_resource(show_spinner=False, max_entries=4)
def ramped(key: tuple, _line, _raw, _recipe, _materials, _cell, months: int, reps: int, source: str):
    from pouchline.equipment import line_rampup

    return ru_mod.ramp_up(_line, _recipe, _materials, _cell, months=int(months), override=line_rampup(_raw, source),
                          rates=_rates(), replications=int(reps), workers=1, source=source)


rkey = (recipe_key, request_key(req), choice["kind"], choice["name"], line_overrides(),
        int(st.session_state["ru_months"]), int(st.session_state["ru_reps"]))
if go_ramp:
    st.session_state["ru_key"] = rkey
if st.session_state.get("ru_key") != rkey:
    st.info("Press **Ramp up** to simulate the line month by month (a month of the GWh line takes about a second per "
            "replication).", icon=":material/stacked_line_chart:")
    st.stop()
try:
    with st.spinner("Simulating month by month…"):
        ramp = ramped(rkey, ramp_line, ramp_raw, recipe, materials, cell, int(st.session_state["ru_months"]),
                      int(st.session_state["ru_reps"]), choice["name"])
except InputError as err:
    show_problems(err)
    st.stop()

m = st.columns(4)
m[0].metric("Month at 90 % of nameplate", "–" if ramp.month_at_90pct is None else str(ramp.month_at_90pct),
            border=True, help=f"capacity limit: {ramp.month_at_90pct_capacity_limit or '–'}")
first = ramp.months[0]
m[1].metric("Month 1", fmt_pct(first.share_of_nameplate_frac), border=True,
            help=f"of nameplate, with {fmt_pct(1 - first.yield_rty)} scrap")
m[2].metric("Cost in month 1", f"{fmt_number(first.cost_per_kWh_usd)} USD/kWh", border=True,
            help=f"nameplate {fmt_number(ramp.nameplate_cost_per_kWh_usd)} USD/kWh")
m[3].metric("Good cells during the ramp", fmt_count(ramp.cumulative_good_cells), border=True,
            help=f"nameplate {fmt_count(ramp.nameplate_good_cells_per_month)} a month")
rt = ramp.table().reset_index()
base = alt.Chart(rt).encode(x=alt.X("month:Q", title="month after start of production"))
band = base.mark_area(opacity=0.2).encode(y=alt.Y("good_cells_ci95_low:Q", title="good cells per month"),
                                          y2="good_cells_ci95_high:Q")
line_ = base.mark_line(point=True).encode(y="good_cells:Q", tooltip=[
    "month", alt.Tooltip("good_cells:Q", format=",.0f"), alt.Tooltip("share_of_nameplate_frac:Q", format=".1%"),
    alt.Tooltip("cost_per_kWh_usd:Q", format=",.0f")])
cap_line = base.mark_line(strokeDash=[2, 2], color="grey").encode(y="capacity_limit_good_cells:Q")
rules = alt.Chart(pd.DataFrame({"y": [ramp.nameplate_good_cells_per_month, 0.9 * ramp.nameplate_good_cells_per_month],
                                "what": ["nameplate", "90 % of nameplate"]})).mark_rule(color="black").encode(
    y="y:Q", strokeDash=alt.StrokeDash("what:N", title=None))
k1, k2 = st.columns(2, gap="medium")
k1.markdown("**Good cells per month** (band: 95 % interval; dotted: capacity limit)")
k1.altair_chart((band + line_ + cap_line + rules).properties(height=300), width="stretch", key="ru_chart")
cost_long = rt.melt(id_vars=["month"], value_vars=["cost_per_kWh_usd", "process_cost_per_kWh_usd"], var_name="part",
                    value_name="usd_per_kWh")
cost_long["part"] = cost_long["part"].map({"cost_per_kWh_usd": "cell", "process_cost_per_kWh_usd": "process"})
k2.markdown("**USD/kWh per month** (fixed costs over that month's good cells)")
k2.altair_chart(alt.Chart(cost_long).mark_line(point=True).encode(
    x=alt.X("month:Q", title="month after start of production"), y=alt.Y("usd_per_kWh:Q", title="USD/kWh"),
    color=alt.Color("part:N", title=None)).properties(height=300), width="stretch", key="ru_cost_chart")
st.markdown(f"_{ramp.headline()}_")
t1, t2 = st.tabs(["Months", "Material bought during the ramp"])
with t1:
    st.dataframe(rt, hide_index=True, width="stretch", key="ru_table", column_config={
        "share_of_nameplate_frac": st.column_config.NumberColumn("of nameplate", format="percent"),
        "capacity_limit_share_frac": st.column_config.NumberColumn("capacity limit", format="percent"),
        "yield_rty": st.column_config.NumberColumn("RTY", format="percent"),
        "mean_availability_frac": st.column_config.NumberColumn("availability", format="percent")})
with t2:
    st.dataframe(pd.DataFrame([{"material": k, "bought": f"{fmt_number(v)} t"}
                               for k, v in ramp.cumulative_materials_t.items()]), hide_index=True, key="ru_materials")
