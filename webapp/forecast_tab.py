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

from . import fmt
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


def forecast_chart(frame: pd.DataFrame, vendor: str) -> alt.LayerChart:
    """Actual (points marked verified or not), forecast with its band, projection on top."""
    order = list(frame["fiscal_quarter"])
    d = frame.assign(status=frame["verified"].map({True: "verified", False: "unverified"}))
    x = alt.X(
        "fiscal_quarter:O", sort=order, title="Vendor fiscal quarter", axis=alt.Axis(labelAngle=-45)
    )
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
            x=x, y="forecast:Q", tooltip=["fiscal_quarter:N", "forecast:Q", "lower:Q", "upper:Q"]
        )
    )
    actual = (
        alt.Chart(d)
        .mark_line(point=True, color="#1F3864")
        .encode(x=x, y="actual:Q", tooltip=["fiscal_quarter:N", "actual:Q", "status:N"])
    )
    unverified = (
        alt.Chart(d[d["status"] == "unverified"])
        .mark_point(shape="diamond", size=90, color="#C00000", filled=True)
        .encode(x=x, y="actual:Q", tooltip=["fiscal_quarter:N", "actual:Q", "status:N"])
    )
    projected = (
        alt.Chart(d)
        .mark_line(point=True, color="#ED7D31")
        .encode(
            x=x,
            y="projected_usd_billions:Q",
            tooltip=["fiscal_quarter:N", alt.Tooltip("projected_usd_billions:Q", format=",.2f")],
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


def render(assumptions: Assumptions) -> None:
    """Draw the Forecast tab with the scenario ``assumptions`` projected on top."""
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
    st.altair_chart(forecast_chart(frame, vendor), width="stretch")
    st.caption(
        f"History from {fmt.escape_md(name)} (red diamonds: unverified quarters with "
        f"conflicting reports); dashed: {fc.model} forecast with its {level:.0%} "
        "prediction interval (median for a log model); orange: the scenario's "
        f"projected China gross revenue of {fmt.escape_md(vendor)}'s licensed chips, "
        "complete fiscal quarters only. The history covers all of the vendor's China "
        "revenue, the projection only the chips modelled."
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Candidate models** (lowest AICc kept)")
        st.dataframe(fc.candidates.round(2), hide_index=True, width="stretch")
    with right:
        d = fc.diagnostics
        rows = [
            ("Ljung-Box p, lag 4", d.get("ljung_box_4_p")),
            ("Ljung-Box p, lag 8", d.get("ljung_box_8_p")),
            ("Jarque-Bera p", d.get("jarque_bera_p")),
            ("Residual s.d.", d.get("residual_sd")),
        ]
        bt = _backtest(text, name, level)
        if bt is not None:
            rows += [
                ("Hold-out MAE, last 4 quarters ($ B)", bt["mae"]),
                ("Naive MAE, same quarters ($ B)", bt["naive_mae"]),
                ("Hold-out interval coverage", bt["coverage"]),
            ]
        st.markdown("**Diagnostics**")
        st.dataframe(
            pd.DataFrame(rows, columns=["check", "value"]).round(3),
            hide_index=True,
            width="stretch",
        )
    st.download_button(
        "Download the forecast table (CSV)",
        frame.to_csv(index=False, float_format="%.6g"),
        file_name="forecast.csv",
        mime="text/csv",
        key=KEY + "download",
    )
