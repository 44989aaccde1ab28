"""The Risk tab: Monte Carlo over the risk file's distributions, in one click.

``render(assumptions, base_name)`` draws the editable distributions, the paths and
seed controls with a progress bar, and the results: percentile table, histogram,
fan chart, tornado, regression sensitivity and the first-shipment distribution.
The table <-> risk-file conversions are small pure functions, tested without Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from model.fileio import json_text
from model.loader import InputError, Problem, read_yaml
from model.risk import (
    DEFAULT_FAN,
    KINDS,
    NO_SHIPMENT,
    PERCENTILES,
    RiskSpec,
    Simulation,
    Tornado,
    party_keys,
    party_label,
    regression_sensitivity,
    simulate,
    tornado,
    validate_risk,
)
from model.schema import Assumptions
from model.shipped import RISK as RISK_FILE

from . import fmt
from .catalog import catalog
from .notices import problems_text

PATH_OPTIONS = (1_000, 5_000, 10_000, 20_000, 50_000, 100_000)
BILLION = 1e9
TEXT_COLUMNS = (
    "parameter",
    "kind",
    "apply",
    "values",
    "probabilities",
    "low",
    "mode",
    "high",
    "source",
)
NUMBER_COLUMNS = ("never", "mean", "sd")
DIST_COLUMNS = (
    "parameter",
    "kind",
    "apply",
    "values",
    "probabilities",
    "low",
    "mode",
    "high",
    "never",
    "mean",
    "sd",
    "source",
)
CORR_COLUMNS = ("first", "second", "rho", "source")
TABLE = "risk table"
KEY = "risk_"  # prefix of every widget and state key of this tab


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


# ---------------------------------------------------------------- charts


def histogram_frame(values: np.ndarray, bins: int = 40) -> pd.DataFrame:
    """Pre-binned histogram in $ billions (the chart never carries one row per path)."""
    b = values / BILLION
    lo, hi = float(b.min()), float(b.max())
    counts, edges = np.histogram(b, bins=bins, range=(lo, hi if hi > lo else lo + 1.0))
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "share": counts / len(b)})


def histogram_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    return (
        alt.Chart(frame.assign(zero=0.0))
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title=f"{title}, $ billions"),
            x2="end:Q",
            y=alt.Y("share:Q", title="Share of paths", axis=alt.Axis(format="%")),
            y2="zero:Q",
            tooltip=[
                alt.Tooltip("start:Q", format=",.2f"),
                alt.Tooltip("end:Q", format=",.2f"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
        .properties(height=280)
    )


def fan_chart(bands: pd.DataFrame, title: str) -> alt.LayerChart:
    """P5–P95 and P10–P90 bands, the median and the mean of a monthly series ($ billions)."""
    d = bands.copy()
    for c in d.columns:
        if c != "month":
            d[c] = d[c] / BILLION
    d["date"] = pd.to_datetime(d["month"] + "-01")
    base = alt.Chart(d).encode(x=alt.X("date:T", title="Month", axis=alt.Axis(format="%b %Y")))
    outer = base.mark_area(opacity=0.18).encode(
        y=alt.Y("p5:Q", title=f"{title}, $ billions"), y2="p95:Q"
    )
    inner = base.mark_area(opacity=0.35).encode(y="p10:Q", y2="p90:Q")
    median = base.mark_line().encode(y="p50:Q")
    mean = base.mark_line(strokeDash=[4, 3], color="#555555").encode(
        y="mean:Q",
        tooltip=[
            "month:N",
            alt.Tooltip("p5:Q", format=",.2f"),
            alt.Tooltip("p50:Q", format=",.2f"),
            alt.Tooltip("mean:Q", format=",.2f"),
            alt.Tooltip("p95:Q", format=",.2f"),
        ],
    )
    return alt.LayerChart(layer=[outer, inner, median, mean], height=300)


def tornado_frame(t: Tornado) -> pd.DataFrame:
    rows = []
    for r in t.table.itertuples():
        for side, value, label in (("low", r.output_low, r.low), ("high", r.output_high, r.high)):
            rows.append(
                {
                    "parameter": r.parameter,
                    "side": f"input at {side}",
                    "start": t.base / BILLION,
                    "end": value / BILLION,
                    "input": label,
                    "swing": r.swing / BILLION,
                }
            )
    return pd.DataFrame(rows)


def tornado_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Bars from the base value to the output at each input's low and high."""
    order = list(dict.fromkeys(frame["parameter"]))
    base = (
        alt.Chart(pd.DataFrame({"base": [float(frame["start"].iloc[0])]}))
        .mark_rule(color="#555555", strokeDash=[4, 3])
        .encode(x="base:Q")
    )
    bars = (
        alt.Chart(frame)
        .mark_bar(opacity=0.8)
        .encode(
            y=alt.Y("parameter:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            yOffset=alt.YOffset("side:N"),
            x=alt.X("start:Q", title=f"{title}, $ billions"),
            x2="end:Q",
            color=alt.Color("side:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["parameter:N", "input:N", alt.Tooltip("end:Q", format=",.2f")],
        )
        .properties(height=alt.Step(16))
    )
    return alt.LayerChart(layer=[bars, base])


def percentile_frame(sim: Simulation, measure: str) -> pd.DataFrame:
    s = sim.summary()
    s = s[s["measure"] == measure]
    out = pd.DataFrame({"Party": s["label"]})
    for q in PERCENTILES:
        out[f"P{q}"] = s[f"p{q}"].map(fmt.money)
    out["Mean"] = s["mean"].map(fmt.money)
    out["± s.e."] = s["se"].map(fmt.money)
    return out.reset_index(drop=True)


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
    dists = st.data_editor(
        distribution_rows(raw),
        key=KEY + "distributions",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={"kind": kinds, "apply": apply},
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


def _run(
    assumptions: Assumptions, spec: RiskSpec, paths: int, seed: int, base_name: str
) -> Simulation:
    bar = st.progress(0.0, text="Simulating…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Simulating… {done:,} of {total:,} paths")

    sim = simulate(assumptions, spec, paths, seed, progress=progress, base_name=base_name)
    bar.empty()
    return sim


# ---------------------------------------------------------------- the tab


def render(assumptions: Assumptions, base_name: str) -> None:
    """Draw the Risk tab for ``assumptions`` (named ``base_name`` in captions)."""
    st.markdown(
        "Monte Carlo over the risk file's distributions, through the same core: "
        "each path is one possible world; the results are **simulation results**."
    )
    spec, edited = _spec(assumptions)
    if spec is None:
        return
    c1, c2, c3, c4 = st.columns([2, 1, 2, 1])
    paths = int(
        c1.select_slider("Paths", options=list(PATH_OPTIONS), value=10_000, key=KEY + "paths")
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
            format_func={"total": "Total", "npv": "NPV"}.get,
            horizontal=True,
        )
    )
    sig = _signature(edited, assumptions.model_dump(mode="json"), paths, seed)
    if st.button("Run simulation", key=KEY + "run", type="primary"):
        st.session_state[KEY + "result"] = (sig, _run(assumptions, spec, paths, seed, base_name))
    stored = st.session_state.get(KEY + "result")
    if stored is None:
        st.info("Choose the number of paths and the seed, then run the simulation.")
        return
    if stored[0] != sig:
        st.warning("The inputs changed since the last run: run the simulation again.")
        return
    _results(stored[1], assumptions, spec, output, measure)


def _results(sim: Simulation, a: Assumptions, spec: RiskSpec, output: str, measure: str) -> None:
    label = party_label(output) + (" NPV" if measure == "npv" else " total")
    values = sim.values(output, measure)
    fs = sim.first_shipment_distribution()
    shipped = fs[fs["month"] != NO_SHIPMENT]
    median = shipped[shipped["cumulative"] >= 0.5]["month"]
    m1, m2, m3 = st.columns(3)
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    m1.metric(
        f"Mean {label}",
        fmt.money(float(values.mean())),
        help=f"± {fmt.money(se)} standard error of the mean",
    )
    m2.metric("Probability of no China revenue", fmt.pct(sim.p_no_revenue))
    m3.metric(
        "Median first China shipment",
        str(median.iloc[0]) if len(median) else NO_SHIPMENT,
        help="Month by which half of the paths have shipped to China.",
    )
    st.subheader("Percentiles")
    st.dataframe(percentile_frame(sim, measure), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.altair_chart(histogram_chart(histogram_frame(values), label), width="stretch")
        st.caption(f"Distribution of {label} over {sim.n_paths:,} paths (seed {sim.seed}).")
    with right:
        fan_party = st.selectbox(
            "Fan chart",
            [p for p in DEFAULT_FAN if p in sim.monthly],
            key=KEY + "fan",
            format_func=party_label,
        )
        st.altair_chart(fan_chart(sim.bands(fan_party), party_label(fan_party)), width="stretch")
        st.caption("Monthly P5–P95 and P10–P90 bands, median (line) and mean (dashed).")
    st.subheader("What drives it")
    t = tornado(a, output, measure, parameters=list(spec.paths), spec=spec)
    st.altair_chart(tornado_chart(tornado_frame(t), label), width="stretch")
    st.caption(
        f"One input at a time at its P10 and P90, every other input at the base "
        f"({fmt.money(t.base)})."
    )
    reg = regression_sensitivity(sim, output, measure)
    table = reg.table.assign(
        std_coef=reg.table["std_coef"].round(3),
        p_value=reg.table["p_value"].map(lambda p: f"{p:.2g}"),
    )
    st.dataframe(table[["parameter", "std_coef", "p_value"]], hide_index=True, width="stretch")
    st.caption(
        f"Standardised OLS coefficients of {label} on the draws (R² = "
        f"{reg.r_squared:.2f}); never is coded as the month after the horizon."
    )
    st.subheader("First China shipment")
    chart = (
        alt.Chart(shipped.assign(date=pd.to_datetime(shipped["month"] + "-01")))
        .mark_bar()
        .encode(
            x=alt.X("date:T", title="Month", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("probability:Q", axis=alt.Axis(format="%"), title="Probability"),
            tooltip=["month:N", alt.Tooltip("cumulative:Q", format=".1%")],
        )
    )
    st.altair_chart(chart.properties(height=220), width="stretch")
    st.download_button(
        "Download the results (JSON)",
        json_text(sim.to_dict()),
        file_name="simulation.json",
        mime="application/json",
        key=KEY + "download",
    )
