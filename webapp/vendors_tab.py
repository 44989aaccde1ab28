"""The Vendors tab: each vendor's gross profit from China sales, its profit after tax and
the effect on its earnings per share, by the vendor's own fiscal year or quarter
(docs/methodology.md §3, "Per-vendor view"), beside the selected scenario's."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from model.calendar import month_labels

from . import charts, fmt
from .state import BIND, VENDOR_PERIOD_KEY, shown_view
from .view import View

KINDS = {"fiscal_year": "Fiscal year", "fiscal_quarter": "Fiscal quarter"}
FULL = {"fiscal_year": 12, "fiscal_quarter": 3}


def vendor_frame(view: View, kind: str) -> pd.DataFrame:
    """The what-if's vendor view for one kind of period, with the reference's EPS beside
    it and each period's basis (reported or forecast)."""
    now = view.results.vendors
    now = now[now["period_kind"] == kind].drop(columns=["scenario", "period_kind"])
    ref = view.ref_results.vendors
    ref = ref[ref["period_kind"] == kind][["vendor", "period", "eps_usd", "gross_profit_usd"]]
    ref = ref.rename(columns={"eps_usd": "ref_eps_usd", "gross_profit_usd": "ref_gp_usd"})
    out = now.merge(ref, on=["vendor", "period"], how="left")
    a = view.whatif
    months = month_labels(a.horizon.start, a.horizon.months)
    basis = {
        vendor: charts.period_basis(months, kind, a.fiscal_year_end(vendor), view.as_of)
        for vendor in a.vendor_names
    }
    out["basis"] = [
        basis[v].get(p, charts.FORECAST) for v, p in zip(out["vendor"], out["period"], strict=True)
    ]
    n = out["months_in_period"].astype(int)
    return out.assign(
        label=[charts.period_text(p, c, kind) for p, c in zip(out["period"], n, strict=True)],
        partial=n < FULL[kind],
        coverage=[charts.coverage_text(c, kind) for c in n],
    )


def table(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The frame for people: money in $ millions, EPS in dollars per share."""
    return pd.DataFrame(
        {
            "Vendor": frame["vendor"],
            KINDS[kind]: frame["label"],
            "Gross profit ($ M)": frame["gross_profit_usd"] / 1e6,
            "After tax ($ M)": frame["profit_after_tax_usd"] / 1e6,
            "EPS effect ($/share)": frame["eps_usd"],
            "EPS vs scenario ($/share)": frame["eps_usd"] - frame["ref_eps_usd"],
            "Basis": frame["basis"],
        }
    )


def table_text(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`table` as text: money to a tenth of a million, EPS to a hundredth of a cent."""

    def number(fmt_: str) -> Any:
        return lambda v: "n/a" if v != v else format(v, fmt_)

    out = frame.copy()
    for column in ("Gross profit ($ M)", "After tax ($ M)"):
        out[column] = frame[column].map(number(",.1f"))
    out["EPS effect ($/share)"] = frame["EPS effect ($/share)"].map(number(".4f"))
    out["EPS vs scenario ($/share)"] = frame["EPS vs scenario ($/share)"].map(number("+.4f"))
    return out


def _vendor_chart(sub: pd.DataFrame, vendor: str, kind: str, as_of: str | None) -> None:
    """One vendor's EPS effect (or gross profit) by fiscal period."""
    has_eps = bool(sub["eps_usd"].notna().any())
    data = sub.assign(vendor=vendor, gp_billions=sub["gross_profit_usd"] / 1e9)
    value, title = ("eps_usd", "EPS, $/share") if has_eps else ("gp_billions", "$ B")
    st.markdown(f"**{fmt.escape_md(vendor)}**")
    charts.show(charts.period_bars(data, value, title, "vendor", KINDS[kind], as_of, 260, False))
    if not has_eps:
        st.caption("Gross profit: no tax rate or share count, so no EPS effect.")


@st.fragment
def render(view: View) -> None:
    """Draw the Vendors tab: a chart per vendor and the table (a fragment: choosing the
    fiscal period redraws this tab only)."""
    kind = str(
        st.segmented_control(
            "Fiscal period",
            list(KINDS),
            key=VENDOR_PERIOD_KEY,
            default="fiscal_year",
            format_func=lambda k: KINDS[k],
            required=True,
            bind=BIND,
        )
        or "fiscal_year"
    )
    shown_view(VENDOR_PERIOD_KEY, KINDS[kind])
    frame = vendor_frame(view, kind)
    vendors = list(dict.fromkeys(frame["vendor"]))
    for col, vendor in zip(st.columns(len(vendors)), vendors, strict=True):
        with col:
            _vendor_chart(frame[frame["vendor"] == vendor], vendor, kind, view.as_of)
    st.table(table_text(table(frame, kind)), hide_index=True)
    calendars = ", ".join(
        f"{v} {charts.month_name(view.whatif.fiscal_year_end(v))}" for v in vendors
    )
    st.caption(
        "Each vendor on its own fiscal calendar (year ends: "
        f"{calendars}); a fiscal year is named after the calendar year in which it ends, "
        "and periods the horizon cuts short show their months and are outlined in the "
        "charts: their totals are not comparable with whole periods. Undiscounted dollars "
        "of each period. EPS effect = gross profit "
        "from China × (1 − tax rate) / diluted shares; n/a without a tax rate and share "
        f"count (set them under Vendors). Compared with '{view.reference.name}'."
    )
