"""pouchline planning app: ``streamlit run app.py``.

Widgets and charts over library calls only (see ``app_pages/``); every number comes from
:mod:`pouchline`. Pages: Recipe, Cell design, Line, Cost and BOM, Plan (the whole plan as a zip), Compare (two
scenarios side by side), Plant sizing, Scale-up, Traveler, Sweeps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # app_pages._shared, also under AppTest
    sys.path.insert(0, str(HERE))

from app_pages._shared import load_url_state, save_url_state, sidebar_summary  # noqa: E402

# an emoji icon: nothing is fetched from the internet (plants are offline)
st.set_page_config(page_title="pouchline planner", page_icon="🔋", layout="wide")

PAGES = [
    st.Page("app_pages/recipe.py", title="Recipe", icon=":material/science:", default=True),
    st.Page("app_pages/cell.py", title="Cell design", icon=":material/battery_full:"),
    st.Page("app_pages/line.py", title="Line", icon=":material/factory:"),
    st.Page("app_pages/cost.py", title="Cost and BOM", icon=":material/payments:"),
    st.Page("app_pages/plan.py", title="Plan", icon=":material/folder_zip:"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("app_pages/sizing.py", title="Plant sizing", icon=":material/precision_manufacturing:"),
    st.Page("app_pages/scaleup.py", title="Scale-up", icon=":material/trending_up:"),
    st.Page("app_pages/traveler.py", title="Traveler", icon=":material/description:"),
    st.Page("app_pages/sweeps.py", title="Sweeps", icon=":material/scatter_plot:"),
]

page = st.navigation(PAGES)
# Denser headline numbers than Streamlit's default: an engineering dashboard shows many at once.
st.markdown("""<style>
[data-testid="stMetricValue"] { font-size: 1.6rem; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
</style>""", unsafe_allow_html=True)
st.sidebar.markdown("**pouchline** · InSnBi ‖ Li₆PS₅Cl ‖ LiCoO₂ pouch cell  \n"
                    "_Liu et al., Nat. Commun. 2025_")
url_problems = load_url_state()  # a shared link: recipe, edits, cell, line
if url_problems:
    st.warning("**Parts of the link could not be used** and were left at their defaults:  \n"
               + "  \n".join(f"- {p}" for p in url_problems), icon=":material/link_off:")
save_url_state()
sidebar_summary()
page.run()
