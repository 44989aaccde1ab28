"""The Forecast tab: the vendor's China revenue history, an ETS forecast with its
prediction interval, and the scenario's projected chip revenue on top, by fiscal quarter.

``render(assumptions)`` draws it. The history is the shipped Nvidia series unless the
user uploads their own CSV (same columns); a bad file is reported, never raised.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from model.gate import check_size, decode_utf8
from model.loader import InputError
from model.risk.forecast import (
    Forecast,
    backtest,
    chart_frame,
    default_quarters,
    fit_forecast,
    parse_history,
    projected_revenue,
)
from model.schema import Assumptions
from model.shipped import HISTORY as HISTORY_FILE

from . import charts, fmt
from .notices import clip, problems_text
from .uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

LEVELS = (0.80, 0.90, 0.95)
KEY = "forecast_"


@st.cache_data(show_spinner=False, max_entries=8)
def _history(text: str, name: str) -> pd.DataFrame:
    return parse_history(text, name)


@st.cache_data(show_spinner="Fitting the forecast models…", max_entries=8)
def _fit(text: str, name: str, quarters: int, level: float) -> Forecast:
    return fit_forecast(_history(text, name), quarters, level)


@st.cache_data(show_spinner=False, max_entries=8)
def _backtest(text: str, name: str, level: float) -> dict[str, Any] | None:
    try:
        return backtest(_history(text, name), 4, level)
    except InputError:
        return None


MODEL_WORDS = {
    "ETS(A,N,N)": "Level only (simple exponential smoothing)",
    "ETS(A,A,N)": "Level and trend",
    "ETS(A,Ad,N)": "Level and damped trend",
}


def model_words(model: str) -> str:
    """A candidate model for people: ``log ETS(A,A,N)`` -> ``Level and trend, on the
    logarithm of revenue``."""
    log = model.startswith("log ")
    core = model.removeprefix("log ")
    words = MODEL_WORDS.get(core, core)
    return f"{words}, on the logarithm of revenue" if log else words


def candidates_frame(fc: Forecast) -> pd.DataFrame:
    """The candidate models in words: the penalised fit (AICc, lower is better), the
    parameters fitted, whether the fit converged and which one is kept."""
    c = fc.candidates
    return pd.DataFrame(
        {
            "Model": [model_words(m) for m in c["model"]],
            "Fit penalty (AICc)": [f"{v:,.1f}" for v in c["aicc"]],
            "Parameters": [str(int(v)) for v in c["params"]],
            "Converged": ["yes" if v else "no" for v in c["converged"]],
            "Kept": ["yes" if m == fc.model else "" for m in c["model"]],
        }
    )


def _p_reading(p: float | None, fine: str, bad: str) -> str:
    """What a test's p-value says, in words (5 % threshold)."""
    if p is None or p != p:
        return "n/a"
    return fine if p >= 0.05 else bad


def diagnostics_frame(d: dict[str, float]) -> pd.DataFrame:
    """The chosen model's residual checks in words: what each asks, its result, what it
    says."""
    lb4, lb8, jb = d.get("ljung_box_4_p"), d.get("ljung_box_8_p"), d.get("jarque_bera_p")
    pattern = ("no pattern left", "a pattern is left: the band may be too narrow")
    rows = [
        ("Pattern left in the errors, 4 quarters (Ljung-Box)", f"p = {fmt.p_value(lb4)}",
         _p_reading(lb4, *pattern)),
        ("Pattern left in the errors, 8 quarters (Ljung-Box)", f"p = {fmt.p_value(lb8)}",
         _p_reading(lb8, *pattern)),
        ("Errors bell-shaped (Jarque-Bera)", f"p = {fmt.p_value(jb)}",
         _p_reading(jb, "yes", "no: the band may be off")),
        ("Typical error of the fit", _billions(d.get("residual_sd")), "one standard deviation"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["Check", "Result", "Reads"])


def _billions(v: float | None) -> str:
    """``$ 0.43 B`` (n/a when missing)."""
    return fmt.MISSING if v is None or v != v else f"$ {v:,.2f} B"


def skill_text(bt: dict[str, Any], level: float) -> str:
    """The forecast's record on the quarters held out, computed from the backtest: its
    mean absolute error against the naive forecast's and the band's coverage."""
    n, mae, naive = int(bt["holdout"]), float(bt["mae"]), float(bt["naive_mae"])
    covered = round(float(bt["coverage"]) * n)
    if naive <= 0 or abs(mae - naive) <= 0.02 * naive:
        verdict = "equal to the naive forecast's"
    elif mae < naive:
        verdict = f"{1 - mae / naive:.0%} below the naive forecast's"
    else:
        verdict = f"{mae / naive - 1:.0%} above the naive forecast's: the naive forecast did better"
    return (
        f"Refitted without the last {n} quarters and scored on them, its mean absolute "
        f"error was {_billions(mae)} against {_billions(naive)} for the naive forecast (the "
        f"last quarter carried forward): {verdict}. The {level:.0%} band covered {covered} "
        f"of {n} held-out quarters."
    )


def _honesty(bt: dict[str, Any] | None, level: float) -> None:
    """How far to trust the forecast, beside it: a warning when it does not beat the
    naive forecast or its band missed more than one held-out quarter."""
    if bt is None:
        st.info("Too few quarters to hold some out: the forecast's record is unknown.")
        return
    text = skill_text(bt, level)
    missed = int(bt["holdout"]) - round(float(bt["coverage"]) * int(bt["holdout"]))
    weak = float(bt["mae"]) >= 0.98 * float(bt["naive_mae"]) or missed > 1
    (st.warning if weak else st.info)(f"**How far to trust it.** {text}", icon=":material/balance:")


def _actual_tooltip() -> list[alt.Tooltip]:
    """The tooltip of a reported quarter."""
    return [
        alt.Tooltip("fiscal_quarter:N", title="Fiscal quarter"),
        alt.Tooltip("actual:Q", title="Reported ($ B)", format=",.2f"),
        alt.Tooltip("status:N", title="Figure"),
    ]


def forecast_chart(frame: pd.DataFrame, vendor: str) -> alt.LayerChart:
    """Actual (points marked verified or not), forecast with its band, projection on top."""
    order = list(frame["fiscal_quarter"])
    d = frame.assign(status=frame["verified"].map({True: "verified", False: "unverified"}))
    x = alt.X("fiscal_quarter:O", sort=order, title="Fiscal quarter", axis=alt.Axis(labelAngle=-45))
    y_title = f"{vendor} China revenue, $ billions"
    band = (
        alt.Chart(d)
        .mark_area(opacity=0.2)
        .encode(x=x, y=alt.Y("lower:Q", title=y_title), y2="upper:Q")
    )
    fc = (
        alt.Chart(d)
        .mark_line(strokeDash=[5, 3])
        .encode(
            x=x,
            y="forecast:Q",
            tooltip=[
                alt.Tooltip("fiscal_quarter:N", title="Fiscal quarter"),
                alt.Tooltip("forecast:Q", title="Forecast ($ B)", format=",.2f"),
                alt.Tooltip("lower:Q", title="Band low ($ B)", format=",.2f"),
                alt.Tooltip("upper:Q", title="Band high ($ B)", format=",.2f"),
            ],
        )
    )
    actual = (
        alt.Chart(d)
        .mark_line(point=True, color="#1F3864")
        .encode(x=x, y="actual:Q", tooltip=_actual_tooltip())
    )
    unverified = (
        alt.Chart(d[d["status"] == "unverified"])
        .mark_point(shape="diamond", size=90, color="#C00000", filled=True)
        .encode(x=x, y="actual:Q", tooltip=_actual_tooltip())
    )
    projected = (
        alt.Chart(d)
        .mark_line(point=True, color="#ED7D31")
        .encode(
            x=x,
            y="projected_usd_billions:Q",
            tooltip=[
                alt.Tooltip("fiscal_quarter:N", title="Fiscal quarter"),
                alt.Tooltip(
                    "projected_usd_billions:Q", title="Scenario's projection ($ B)", format=",.2f"
                ),
            ],
        )
    )
    return alt.LayerChart(layer=[band, fc, actual, unverified, projected], height=340)


def _history_text(upload: Any) -> tuple[str, str]:
    """The history's text and name: the upload (its size checked before it is decoded)
    or the shipped file."""
    if upload is None:
        return HISTORY_FILE.read_text(encoding="utf-8"), HISTORY_FILE.name
    name = clip(upload.name, 100)
    data = upload.getvalue()
    check_size(len(data), MAX_UPLOAD_BYTES, name, "uploads")
    return decode_utf8(data, name, "a CSV file"), name


@st.fragment
def render(assumptions: Assumptions) -> None:
    """Draw the Forecast tab with the scenario ``assumptions`` projected on top (a
    fragment: its controls redraw this tab only)."""
    vendors = sorted({p.vendor for p in assumptions.products})
    c1, c2, c3 = st.columns([2, 1, 1])
    upload = c1.file_uploader(
        "Your own history (CSV: fiscal_quarter, revenue_usd_billions, verified, source)",
        type="csv",
        key=KEY + "upload",
        max_upload_size=MAX_UPLOAD_MB,
    )
    c1.caption(f"Up to {MAX_UPLOAD_MB} MB: .csv.")
    vendor = str(
        c2.selectbox(
            "Projected vendor",
            vendors,
            key=KEY + "vendor",
            index=vendors.index("Nvidia") if "Nvidia" in vendors else 0,
        )
    )
    level = float(
        c3.select_slider(
            "Interval",
            options=list(LEVELS),
            value=0.90,
            format_func=lambda v: f"{v:.0%}",
            key=KEY + "level",
        )
    )
    try:
        text, name = _history_text(upload)
        projected = projected_revenue(assumptions, vendor)
        quarters = default_quarters(_history(text, name), projected)
        fc = _fit(text, name, quarters, level)
    except InputError as exc:
        st.error(problems_text("The history cannot be used:", exc.problems))
        return
    frame = chart_frame(fc, projected)
    bt = _backtest(text, name, level)
    left, right = st.columns([3, 2])
    with left:
        charts.show(forecast_chart(frame, vendor))
    with right:
        _honesty(bt, level)
    st.caption(
        f"History from {fmt.escape_md(name)} (red diamonds: unverified quarters with "
        f"conflicting reports); dashed: the forecast ({model_words(fc.model).lower()}) with "
        f"its {level:.0%} prediction interval (median for a log model); orange: the "
        f"scenario's projected China gross revenue of {fmt.escape_md(vendor)}'s licensed "
        "chips, complete fiscal quarters only, undiscounted. The history covers all of "
        "the vendor's China revenue, the projection only the chips modelled."
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Models compared** (the lowest penalty is kept)")
        st.table(candidates_frame(fc), hide_index=True)
    with right:
        st.markdown("**Checks on the chosen model**")
        st.table(diagnostics_frame(fc.diagnostics), hide_index=True)
    st.download_button(
        "Download the forecast table (CSV)",
        frame.to_csv(index=False, float_format="%.6g"),
        file_name="forecast.csv",
        mime="text/csv",
        key=KEY + "download",
    )
