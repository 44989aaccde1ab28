"""Model calls, cached on hashable inputs (a what-if's canonical JSON text).

Sources do not change results, so they are left out of the cache key. Results are
cached on the key alone: the what-if, the reference and the monthly frame of one
set of assumptions share a single projection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from model.analysis import Results, run
from model.loader import validate_raw
from model.outputs import long_frame

from .catalog import catalog


def cache_key(raw: Mapping[str, Any]) -> str:
    """JSON of an assumptions mapping without its sources.

    Keys keep their order: the order of suppliers in the bills of materials is the
    order of the output's supplier series.
    """
    return json.dumps({k: v for k, v in raw.items() if k != "sources"}, default=str)


LABEL = "what-if"  # the results' scenario name; callers filter by product and party


@st.cache_data(max_entries=128, show_spinner=False)
def results(key: str) -> Results:
    """Totals, inventory and cost of delay of one what-if (see :func:`model.analysis.run`)."""
    return run([validate_raw(json.loads(key), LABEL)], [LABEL])


@st.cache_data(max_entries=64, show_spinner=False)
def monthly(key: str) -> pd.DataFrame:
    """The MODEL_SPEC §5 long frame of one what-if."""
    return long_frame(results(key).projection)


@st.cache_data(show_spinner=False)
def shipped() -> Results:
    """Every shipped scenario, projected together."""
    cat = catalog()
    ids = list(cat.scenarios)
    return run([cat.scenarios[i].assumptions for i in ids], [cat.scenarios[i].name for i in ids])
