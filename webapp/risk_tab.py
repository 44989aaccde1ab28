"""The Risk tab: Monte Carlo over the risk file's distributions, in one click.

``render(assumptions, base_name)`` draws the editable distributions (each input named
in words beside its path), the paths and seed controls, and the results (see
:mod:`webapp.risk_view`). A run is computed once for every session that asks for the
same what-if, table, paths and seed; the tab is a fragment, so its controls never
redraw the rest of the page. The table <-> risk-file conversions are small pure
functions, tested without Streamlit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import time
from typing import Any

import pandas as pd
import streamlit as st
from streamlit import runtime

from model.loader import InputError, Problem, read_yaml
from model.risk import (
    KINDS,
    RiskSpec,
    Simulation,
    party_keys,
    party_label,
    simulate,
    validate_risk,
)
from model.schema import Assumptions
from model.shipped import RISK as RISK_FILE

from . import labels, risk_view
from .catalog import catalog
from .notices import problems_text
from .risk_view import KEY, MEASURE_WORDS

PATH_OPTIONS = (1_000, 5_000, 10_000, 20_000, 50_000, 100_000)
#: The paths of a run unless chosen: the Monte Carlo, its tornado and its regression
#: take about a third of a second.
DEFAULT_PATHS = 20_000
#: The distribution table's columns, in display order; the number columns among them.
DIST_COLUMNS = (
    "parameter", "kind", "apply", "values", "probabilities", "low", "mode", "high", "never",
    "mean", "sd", "source",
)  # fmt: skip
NUMBER_COLUMNS = ("never", "mean", "sd")
TEXT_COLUMNS = tuple(c for c in DIST_COLUMNS if c not in NUMBER_COLUMNS)
CORR_COLUMNS = ("first", "second", "rho", "source")
TABLE = "risk table"
INPUT = "input"  # the editor's read-only column naming each row's input in words


def _preload() -> None:
    """Import the regression's statistics library while the tab is read (a second of
    work a first run would otherwise wait for)."""
    with contextlib.suppress(ImportError):  # the regression reports it when asked
        import statsmodels.api  # noqa: F401


if runtime.exists():  # a served app; not a test or a tool that imports this module
    threading.Thread(target=_preload, name="preload-statsmodels", daemon=True).start()


# ---------------------------------------------------------------- table <-> risk file


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def distribution_rows(raw: dict[str, Any]) -> pd.DataFrame:
    """One row per distribution of a raw risk mapping, every cell editable text/number."""
    rows = []
    for path, d in (raw.get("distributions") or {}).items():
        d = d or {}
        row: dict[str, Any] = {c: "" for c in TEXT_COLUMNS} | {c: math.nan for c in NUMBER_COLUMNS}
        row["parameter"] = path
        row["apply"] = "value"
        for k, v in d.items():
            if k in ("values", "probabilities"):
                row[k] = ", ".join(_text(x) for x in v)
            elif k in NUMBER_COLUMNS:
                row[k] = float(v)
            elif k in row:
                row[k] = _text(v)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(DIST_COLUMNS))


def correlation_rows(raw: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "first": c["between"][0],
            "second": c["between"][1],
            "rho": float(c["rho"]),
            "source": c.get("source", ""),
        }
        for c in (raw.get("correlations") or [])
        if len(c.get("between", ())) == 2
    ]
    return pd.DataFrame(rows, columns=list(CORR_COLUMNS))


def _scalar(text: str) -> Any:
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    try:
        return float(t)
    except ValueError:
        return t


def _filled(v: Any) -> bool:
    return not (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def raw_from_rows(
    name: str, description: str, dists: pd.DataFrame, corrs: pd.DataFrame
) -> dict[str, Any]:
    """A raw risk mapping from the edited tables (validated afterwards by the schema).

    Every filled cell becomes a key, so a value that does not belong to the kind is
    reported by the schema rather than silently dropped.
    """
    out: dict[str, Any] = {}
    problems = []
    for i, row in enumerate(dists.to_dict(orient="records"), start=1):
        path = _text(row.get("parameter")).strip()
        if not path:
            continue
        if path in out:
            problems.append(
                Problem(TABLE, f"row {i}", "this parameter has two rows; keep one", path, True)
            )
            continue
        entry: dict[str, Any] = {}
        for col in DIST_COLUMNS[1:]:
            v = row.get(col)
            if not _filled(v) or (col == "apply" and v == "value"):
                continue
            if col in ("values", "probabilities"):
                entry[col] = [_scalar(x) for x in str(v).split(",")]
            elif col in NUMBER_COLUMNS:
                entry[col] = float(v)
            elif col in ("low", "mode", "high"):
                entry[col] = _scalar(str(v))
            else:
                entry[col] = str(v).strip()
        out[path] = entry
    if problems:
        raise InputError(problems)
    correlations = [
        {
            "between": [_text(r.get("first")).strip(), _text(r.get("second")).strip()],
            "rho": float(r["rho"]) if _filled(r.get("rho")) else None,
            **({"source": str(r["source"])} if _filled(r.get("source")) else {}),
        }
        for r in corrs.to_dict(orient="records")
        if _filled(r.get("first")) or _filled(r.get("second"))
    ]
    return {
        "name": name,
        "description": description,
        "distributions": out,
        "correlations": correlations,
    }


# ---------------------------------------------------------------- state


def _shipped_raw() -> dict[str, Any]:
    try:
        return read_yaml(RISK_FILE)
    except InputError:
        return {"name": "New risk file", "distributions": {}}


def _signature(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _editors(raw: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    kinds = st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True)
    apply = st.column_config.SelectboxColumn("apply", options=["value", "scale", "shift"])
    st.caption(
        "Months as YYYY-MM (never = probability it never happens); lists separated "
        "by commas; apply: value, scale (× base) or shift (+ base). Paths as in "
        "scenario files, products.*.<key> for every product."
    )
    rows = distribution_rows(raw)
    rows.insert(
        0, INPUT, [labels.param_label(p, catalog().base.assumptions) for p in rows["parameter"]]
    )
    dists = st.data_editor(
        rows,
        key=KEY + "distributions",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            INPUT: st.column_config.TextColumn("Input", disabled=True, width="medium"),
            "parameter": st.column_config.TextColumn("Path", width="medium"),
            "kind": kinds,
            "apply": apply,
        },
    )
    st.caption("Correlations of the inputs' normal scores (Gaussian copula).")
    corrs = st.data_editor(
        correlation_rows(raw),
        key=KEY + "correlations",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
    )
    return dists, corrs


def without_inapplicable(
    edited: dict[str, Any], problems: list[Problem]
) -> tuple[dict[str, Any], list[Problem]]:
    """The risk mapping without the distributions the problems name (a distribution of
    a value this what-if does not have, say), and those problems; the correlations that
    mention a dropped distribution go too."""
    dists = dict(edited.get("distributions") or {})
    named = {
        key
        for key in dists
        for p in problems
        if p.path == f"distributions.{key}" or p.path.startswith(f"distributions.{key}.")
    }
    if not named or len(named) == len(dists):
        return edited, []
    kept = {k: v for k, v in dists.items() if k not in named}
    corrs = [c for c in edited.get("correlations") or [] if not set(c.get("between", ())) & named]
    out = {**edited, "distributions": kept, "correlations": corrs}
    return out, [p for p in problems if any(p.path.startswith(f"distributions.{k}") for k in named)]


def _spec(assumptions: Assumptions) -> tuple[RiskSpec | None, dict[str, Any]]:
    raw = _shipped_raw()
    with st.expander(f"Distributions: {raw.get('name', 'risk file')}", expanded=False):
        dists, corrs = _editors(raw)
    try:
        edited = raw_from_rows(
            str(raw.get("name", "edited")), str(raw.get("description", "")), dists, corrs
        )
    except InputError as exc:
        st.error(problems_text("The distributions are not valid:", exc.problems))
        return None, {}
    try:
        return validate_risk(edited, assumptions, TABLE), edited
    except InputError as exc:
        problems = exc.problems
    # distributions valid on the base assumptions that this what-if cannot take (a value
    # it does not have) are left out with a warning; anything else is an error
    fits_base = _valid(edited, catalog().base.assumptions) is not None
    trimmed, dropped = without_inapplicable(edited, problems) if fits_base else (edited, [])
    spec = _valid(trimmed, assumptions) if dropped else None
    if spec is None:
        st.error(problems_text("The distributions are not valid:", problems))
        return None, {}
    st.warning(
        problems_text(
            f"{len(dropped)} distribution problems: those distributions are left out of "
            "this run (this what-if cannot take them):",
            dropped,
        )
    )
    return spec, trimmed


def _valid(raw: dict[str, Any], assumptions: Assumptions) -> RiskSpec | None:
    try:
        return validate_risk(raw, assumptions, TABLE)
    except InputError:
        return None


@st.cache_resource(max_entries=32, show_spinner=False)
def _simulation(
    sig: str, _a: Assumptions, _spec: RiskSpec, paths: int, seed: int, base_name: str
) -> Simulation:
    """The Monte Carlo of one what-if, risk table, path count and seed (``sig`` says
    which), run once for every session."""
    return simulate(_a, _spec, paths, seed, base_name=base_name)


# ---------------------------------------------------------------- the tab


def _controls(assumptions: Assumptions) -> tuple[int, int, str, str]:
    """Paths, seed, output party and measure."""
    c1, c2, c3, c4 = st.columns([2, 1, 2, 1])
    paths = int(
        c1.select_slider(
            "Paths",
            options=list(PATH_OPTIONS),
            value=DEFAULT_PATHS,
            key=KEY + "paths",
            format_func=lambda n: f"{n:,}",
            help="More paths narrow the standard error of the mean (it falls as one over "
            "the square root of the paths).",
        )
    )
    seed = int(
        c2.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key=KEY + "seed")
    )
    parties = party_keys(assumptions)
    output = str(
        c3.selectbox(
            "Output",
            parties,
            key=KEY + "output",
            format_func=party_label,
            index=parties.index("vendor_gross_profit"),
        )
    )
    measure = str(
        c4.radio(
            "Measure",
            ["total", "npv"],
            key=KEY + "measure",
            format_func=MEASURE_WORDS.get,
            horizontal=True,
        )
    )
    return paths, seed, output, measure


@st.fragment
def render(assumptions: Assumptions, base_name: str) -> None:
    """Draw the Risk tab for ``assumptions`` (named ``base_name`` in captions); a
    fragment: its controls and runs redraw this tab only."""
    st.markdown(
        "Monte Carlo over the risk file's distributions, through the same core: "
        "each path is one possible world; the results are **simulation results**."
    )
    spec, edited = _spec(assumptions)
    if spec is None:
        return
    paths, seed, output, measure = _controls(assumptions)
    sig = _signature(edited, assumptions.model_dump(mode="json"), paths, seed)
    if st.button("Run simulation", key=KEY + "run", type="primary"):
        started = time.perf_counter()
        with st.spinner(f"Simulating {paths:,} paths…"):
            sim = _simulation(sig, assumptions, spec, paths, seed, base_name)
        took = time.perf_counter() - started
        st.session_state[KEY + "result"] = risk_view.Run(sim, assumptions, spec, sig, took)
    stored = st.session_state.get(KEY + "result")
    if stored is None:
        st.info("Choose the number of paths and the seed, then run the simulation.")
        return
    if stored.sig != sig:
        st.warning("The inputs changed since the last run: run the simulation again.")
        return
    risk_view.results(stored, output, measure)
