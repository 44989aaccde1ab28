"""Chip Export Impact: the what-if app. Run ``streamlit run app.py``.

Thin by design: the sidebar, state, model calls, figures, downloads and tabs
live in the ``webapp`` package.
"""

from __future__ import annotations

import streamlit as st

from model.loader import InputError
from webapp import compute, files, kpis, state, tabs, widgets
from webapp.catalog import catalog
from webapp.levers import lever_map
from webapp.notices import headline, problems_text
from webapp.view import View

st.set_page_config(page_title="Chip Export Impact", page_icon=":material/memory:", layout="wide")
cat = catalog()
state.boot(cat)
ref = widgets.sidebar(cat)
current = state.overrides(ref)
levers = lever_map(ref.assumptions)

st.title("Chip Export Impact")
title, toggle = st.columns([3, 1])
title.markdown(headline(ref.name, [widgets.change_text(ref, k, v) for k, v in current.items()]))
measure = (
    toggle.segmented_control(
        "Measure",
        list(kpis.MEASURES),
        key=state.MEASURE_KEY,
        default="total_usd",
        format_func=lambda m: kpis.MEASURES[m],
        required=True,
        label_visibility="collapsed",
        help=kpis.MEASURE_HELP,
        bind=state.BIND,
    )
    or "total_usd"
)
state.shown_view(state.MEASURE_KEY, kpis.MEASURES[measure])
link_notes = st.empty()  # filled last: the view's widgets below check the link too
try:
    raw, whatif = state.whatif(ref, current)
except InputError as exc:
    state.sync_address(ref.id, current, levers)
    widgets.link_notes(link_notes, ref.id, current)
    st.error(problems_text("The what-if is not valid; change these levers:", exc.problems))
    st.stop()
state.sync_address(ref.id, current, levers)

key = compute.cache_key(raw)
results = compute.results(key)
ref_results = compute.results(compute.cache_key(ref.raw))
kpis.show(results, ref_results, ref.name, measure)
kpis.show_checks(whatif)
files.download_buttons(cat, ref, current, key, raw, whatif)
tabs.show(View(cat, ref, current, key, whatif, results, ref_results, measure))
widgets.link_notes(link_notes, ref.id, current)
