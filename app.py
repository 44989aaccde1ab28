"""Chip Export Impact: the what-if app. Run ``streamlit run app.py``.

Thin by design: the sidebar, state, model calls, figures, downloads and tabs
live in the ``webapp`` package.
"""

from __future__ import annotations

import streamlit as st

from model.loader import InputError
from webapp import compute, files, kpis, state, tabs, widgets
from webapp.catalog import catalog
from webapp.fmt import escape_md
from webapp.view import View

st.set_page_config(page_title="Chip Export Impact", page_icon=":material/memory:", layout="wide")
cat = catalog()
state.boot(cat)
ref = widgets.sidebar(cat)
current = state.overrides(ref)
state.sync_url(ref.id, current)

st.title("Chip Export Impact")
title, toggle = st.columns([3, 1])
title.markdown(
    f"What-if on **{escape_md(ref.name)}**: "
    + (
        "; ".join(escape_md(widgets.change_text(ref, k, v)) for k, v in current.items())
        if current
        else "no changes yet; move a lever."
    )
)
measure = (
    toggle.segmented_control(
        "Measure",
        list(kpis.MEASURES),
        key="measure",
        default="total_usd",
        format_func=lambda m: kpis.MEASURES[m],
        required=True,
        label_visibility="collapsed",
        help=kpis.MEASURE_HELP,
    )
    or "total_usd"
)
notices = st.session_state.get(state.NOTICE_KEY) or []
if notices:
    st.warning("Ignored from the link:\n\n" + "\n".join(f"- {escape_md(n)}" for n in notices))
try:
    raw, whatif = state.whatif(ref, current)
except InputError as exc:
    st.error(
        "The what-if is not valid; change these levers:\n\n"
        + "\n".join(f"- {escape_md(str(p))}" for p in exc.problems)
    )
    st.stop()

key = compute.cache_key(raw)
results = compute.results(key)
ref_results = compute.results(compute.cache_key(ref.raw))
kpis.show(results, ref_results, ref.name, measure)
files.download_buttons(cat, ref, current, key, raw, whatif)
tabs.show(View(cat, ref, current, key, whatif, results, ref_results, measure))
