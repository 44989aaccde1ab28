"""Chip Export Impact: the what-if app. Run ``streamlit run app.py``.

Thin by design: the sidebar, state, model calls, figures, downloads and tabs live in
the ``webapp`` package. The headline figures are drawn first (from the what-if as the
session holds it), then the sidebar, then the open tab; the model's cache is shared by
every session and warmed once the first page is out. The sidebar and the tab are drawn
a few runs at a time (see ``webapp.admission``), so many sessions opened at once all
see their figures first.
"""

from __future__ import annotations

import streamlit as st

from webapp import compute, files, state, tabs, widgets
from webapp.admission import heavy_part
from webapp.catalog import catalog
from webapp.levers import lever_map
from webapp.top import Top
from webapp.view import View

st.set_page_config(page_title="Chip Export Impact", page_icon=":material/memory:", layout="wide")
cat = catalog()
state.boot(cat)
top = Top.draw()
top.show(state.reference(cat), state.early_overrides(state.reference(cat)))
with heavy_part():
    ref = widgets.sidebar(cat)
    current = state.overrides(ref)
    shown = top.show(ref, current)
    state.sync_address(ref.id, current, lever_map(ref.assumptions))
    if shown.valid and shown.whatif is not None and shown.raw is not None:
        files.download_buttons(cat, ref, current, shown.key, shown.raw, shown.whatif)
        results, ref_results = compute.results(shown.key), compute.results(ref.key)
        view = View(cat, ref, current, shown.key, shown.whatif, results, ref_results, top.measure)
        tabs.show(view)
    widgets.link_notes(top.notes, ref.id, current)
compute.warm_up()
