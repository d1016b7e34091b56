"""pouchline planning app: ``streamlit run app.py``.

Widgets and charts over library calls only (see ``app_pages/``); every number comes from
:mod:`pouchline`. Pages: Recipe, Cell design, Line, Cost and BOM, Plant sizing, Scale-up, Traveler, Sweeps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # app_pages._shared, also under AppTest
    sys.path.insert(0, str(HERE))

from app_pages._shared import sidebar_summary  # noqa: E402

st.set_page_config(page_title="pouchline planner", page_icon=":material/battery_charging_full:", layout="wide")

PAGES = [
    st.Page("app_pages/recipe.py", title="Recipe", icon=":material/science:", default=True),
    st.Page("app_pages/cell.py", title="Cell design", icon=":material/battery_full:"),
    st.Page("app_pages/line.py", title="Line", icon=":material/factory:"),
    st.Page("app_pages/cost.py", title="Cost and BOM", icon=":material/payments:"),
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
sidebar_summary()
page.run()
