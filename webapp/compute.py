"""Model calls, cached once per server process for every session, keyed on hashable
inputs (a what-if's canonical JSON text).

Every session of the server shares one cache (``st.cache_resource``: the objects are
handed out as they are, never copied or pickled), so a what-if, its frames and its
charts are computed once whoever asks first, and twenty sessions on the base share one
projection. Callers treat what they get as read-only (pandas' copy-on-write keeps a
derived frame from touching the cached one).

:func:`warm_up` fills the cache in a background thread once per process, a moment after
the first page is out (so the browser draws it undisturbed): the compiled kernel (every
later projection then takes a fraction of a millisecond) and, for the base and every
shipped scenario, the projection, the headline figures and the default timeline chart;
then the shipped vintages.

Sources do not change results, so they are left out of the cache key.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pandas as pd
import streamlit as st

from model.analysis import ALL, Results, run
from model.loader import validate_raw
from model.outputs import fiscal_calendars, long_frame
from model.plausibility import plausibility_warnings
from model.schema import Assumptions

from . import charts, kpis
from .catalog import cache_key, catalog

__all__ = [
    "assumptions",
    "cache_key",
    "checks",
    "figures",
    "monthly",
    "results",
    "shipped",
    "timeline_spec",
    "warm_up",
]

LABEL = "what-if"  # the results' scenario name; callers filter by product and party
ENTRIES = 128  # distinct what-ifs kept per cache (well under 1 MB each)
_log = logging.getLogger(__name__)


@st.cache_resource(max_entries=ENTRIES, show_spinner=False)
def assumptions(key: str) -> Assumptions:
    """The validated assumptions of a what-if (InputError if invalid: never cached)."""
    return validate_raw(json.loads(key), LABEL)


@st.cache_resource(max_entries=ENTRIES, show_spinner=False)
def results(key: str) -> Results:
    """Totals, inventory and cost of delay of one what-if (see :func:`model.analysis.run`)."""
    return run([assumptions(key)], [LABEL])


@st.cache_resource(max_entries=ENTRIES // 2, show_spinner=False)
def monthly(key: str) -> pd.DataFrame:
    """The docs/methodology.md §5 long frame of one what-if."""
    return long_frame(results(key).projection)


@st.cache_resource(max_entries=ENTRIES, show_spinner=False)
def timeline_spec(key: str, period: str, product: str) -> dict[str, Any]:
    """The Timeline tab's chart of one what-if, period and product (see
    :func:`webapp.charts.timeline_chart`) and the note on the periods it shows."""
    a = assumptions(key)
    calendars = fiscal_calendars(results(key).projection)
    shown, fye, note = charts.shown_period(
        calendars, a.horizon.fiscal_year_end_month, period, product
    )
    frame = charts.party_frame(monthly(key), shown, product, fye, a.horizon.as_of)
    spec = charts.timeline_chart(frame, charts.AXIS[shown], a.horizon.as_of)
    return {"spec": spec, "note": note}


@st.cache_resource(max_entries=ENTRIES, show_spinner=False)
def figures(key: str, measure: str) -> dict[str, float]:
    """The headline figures of one what-if in one measure (see :mod:`webapp.kpis`), and
    its stranded units under ``stranded_units``."""
    r = results(key)
    return {**kpis.values(r, measure), kpis.STRANDED_UNITS: kpis.stranded_units(r)}


@st.cache_resource(max_entries=ENTRIES, show_spinner=False)
def checks(key: str) -> tuple[list[str], list[str]]:
    """(implausible values, chips outside the licence policy) of one what-if."""
    a = assumptions(key)
    return plausibility_warnings(a), a.licence_policy_warnings()


@st.cache_resource(show_spinner=False)
def shipped() -> Results:
    """Every shipped scenario, projected together."""
    cat = catalog()
    ids = list(cat.scenarios)
    return run([cat.scenarios[i].assumptions for i in ids], [cat.scenarios[i].name for i in ids])


# ---------------------------------------------------------------- warming the cache

WARM_DELAY_S = 2.0  # seconds the first page gets to be drawn before the warming starts
_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


def _warm() -> None:
    """Compile the kernel, then project every shipped reference and draw its default
    timeline (runs in a background thread; a failure is logged, never raised)."""
    time.sleep(WARM_DELAY_S)
    try:
        from model.recurrence import compiled

        compiled()
        cat = catalog()
        for ref in [cat.base, *cat.scenarios.values()]:
            key = ref.key
            for measure in kpis.MEASURES:
                figures(key, measure)
            timeline_spec(key, "month", ALL)
        shipped()
        from .facts_tab import vintages  # the shipped vintages do not follow the what-if

        vintages()
    except Exception:  # a warm-up must never take the server down
        _log.exception("warming the model cache failed; sessions compute on demand")


def warm_up() -> threading.Thread:
    """Start warming the shared cache, once per server process; returns the thread."""
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            _warm_thread = threading.Thread(target=_warm, name="warm-model-cache", daemon=True)
            _warm_thread.start()
        return _warm_thread
