"""The Streamlit app driven through ``AppTest``: it runs on every shipped scenario and every
tab, its figures are the core's, the levers and tables change them, links restore the
what-if, and bad input is reported, never raised.

Expected figures are computed from the core on the same inputs, so the tests hold
whatever the shipped numbers are.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from model.analysis import ALL, Results, expected_value, run
from model.loader import Scenario, load, load_many, load_set
from model.outputs import long_frame
from model.schema import param_info
from webapp import files, fmt, kpis, state, uploads
from webapp.catalog import catalog
from webapp.files import XLSX_MIME
from webapp.levers import bound_levers
from webapp.tabs import LABELS

from .conftest import BASE, ROOT, SCENARIOS

APP = str(ROOT / "app.py")
SCENARIO_DIR = ROOT / "assumptions" / "scenarios"
KPI_COUNT = len(kpis.KPIS)


def start(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(markdown: str) -> str:
    """Markdown source without the backslash escapes the app adds to shown messages."""
    return markdown.replace("\\", "")


def kpi_values(at: AppTest) -> dict[str, Any]:
    """Headline metrics by label: (value text, delta text, help text)."""
    return {m.label: (m.value, m.delta, m.help) for m in at.main.metric[:KPI_COUNT]}


def overrides_of(stem: str) -> dict[str, Any]:
    return dict(yaml.safe_load((SCENARIO_DIR / f"{stem}.yaml").read_text())["overrides"])


def core(overrides: dict[str, Any] | None = None, scenario: str | None = None) -> Results:
    """The core's results for the base, with a shipped scenario's and inline overrides."""
    merged = {**(overrides_of(scenario) if scenario else {}), **(overrides or {})}
    lo = load(BASE, Scenario(name="inline", overrides=merged))
    return run([lo.assumptions], ["inline"])


def total(r: Results, party: str, frame: str = "totals", column: str = "total_usd") -> float:
    t = getattr(r, frame)
    return float(t[(t["product"] == ALL) & (t["party"] == party)][column].iloc[0])


def gross(r: Results) -> str:
    return fmt.money(total(r, "china_gross_revenue"))


def every_tab(at: AppTest) -> None:
    """Open each tab in turn, as a person does (the open tab is session state; each
    switch reruns the app and draws that tab alone)."""
    for tab in LABELS:
        at.session_state[state.TAB_KEY] = tab
        ok(at.run())
        assert not at.error, (tab, [e.value for e in at.error])


def _app_with_every_tab_drawn(app: str) -> None:
    """The app with its tabs left stateless, Streamlit's default: every tab's content is
    drawn in the one run (the app itself draws only the open tab)."""
    import runpy

    import streamlit as st

    tabs = st.tabs
    st.tabs = lambda labels, **_: tabs(labels)  # no key, binding or rerun on a switch
    try:
        runpy.run_path(app, run_name="__main__")
    finally:
        st.tabs = tabs


def start_every_tab(**params: str) -> AppTest:
    """The app on a link, every tab drawn in one run: the content of every tab is checked
    for exceptions and errors at some 40 % of the cost of opening the tabs one by one (the
    sidebar is drawn once, not once per tab). :func:`every_tab` keeps the switching."""
    at = AppTest.from_function(_app_with_every_tab_drawn, args=(APP,), default_timeout=90)
    at.query_params.update(params)
    ok(at.run())
    assert [t.label for t in at.tabs] == LABELS
    for tab in at.tabs:
        assert len(list(tab)) > 0, f"{tab.label}: nothing drawn"
        assert not tab.error, (tab.label, [e.value for e in tab.error])
    assert not at.error, [e.value for e in at.error]
    return at


def first_view_warnings(at: AppTest) -> list[Any]:
    """The warnings of the page as it opens: outside the tabs and on the first tab (a
    later tab may warn of what it shows, such as a reported figure the what-if misses)."""
    later = {id(w) for tab in at.tabs[1:] for w in tab.warning}
    return [w for w in at.warning if id(w) not in later]


# ---------------------------------------------------------------- runs everywhere


def test_defaults_run_on_every_tab() -> None:
    at = ok(start())
    assert list(kpi_values(at)) == [k.label for k in kpis.KPIS]
    assert not at.warning and not at.error
    every_tab(at)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_runs_on_every_tab(path: Path) -> None:
    at = start_every_tab(scenario=path.stem)
    assert at.sidebar.selectbox(key="scenario").value == path.stem
    assert not first_view_warnings(at) and not at.error
    assert kpi_values(at)["China gross revenue"][0] == gross(core(scenario=path.stem))


# ---------------------------------------------------------------- figures are the core's


def test_kpis_are_the_core_s_including_delay_and_next_month() -> None:
    at = ok(start())
    shown, r = kpi_values(at), core()
    assert shown["US government"][0] == fmt.money(total(r, "us_government"))
    assert shown["Cost of delay"][0] == fmt.money(
        total(r, "china_gross_revenue", "delay_cost", "total_usd")
    )
    assert shown["Delay cost per month"][0] == fmt.money(
        total(r, "china_gross_revenue", "delay_cost", "total_per_month_usd")
    )
    assert shown["Cost of the next month"][0] == fmt.money(
        total(r, "china_gross_revenue", "next_month", "total_usd")
    )
    at.segmented_control(key=state.MEASURE_KEY).set_value("npv_usd")
    ok(at.run())
    assert kpi_values(at)["Cost of the next month"][0] == fmt.money(
        total(r, "china_gross_revenue", "next_month", "npv_usd")
    )


def test_levy_slider_gives_the_core_us_government_take() -> None:
    at = ok(start())
    before = kpi_values(at)["US government"]
    slider = at.sidebar.slider(key="policy.share_rate")
    assert slider.value == pytest.approx(0.25)
    slider.set_value(0.15)
    ok(at.run())
    value, delta, help_ = kpi_values(at)["US government"]
    expected = total(core({"policy.share_rate": 0.15}), "us_government")
    base_value = total(core(), "us_government")
    assert value == fmt.money(expected) != before[0]
    assert f"What-if: {fmt.exact_money(expected)};" in help_  # exact to the dollar
    assert delta == fmt.signed(fmt.money(expected - base_value), expected - base_value)


def test_preset_button_sets_the_levy() -> None:
    at = ok(start())
    next(b for b in at.sidebar.button if b.label == "15 %").click()
    ok(at.run())
    assert at.sidebar.slider(key="policy.share_rate").value == pytest.approx(0.15)
    assert at.query_params["policy.share_rate"] == "0.15"  # a value set by the app is linked


def test_scenario_switch_changes_the_kpis_and_the_address() -> None:
    at = ok(start())
    at.sidebar.selectbox(key="scenario").set_value("levy_struck_down")
    ok(at.run())
    assert kpi_values(at)["US government"][0] == fmt.money(
        total(core(scenario="levy_struck_down"), "us_government")
    )
    assert at.sidebar.select_slider(key="policy.levy_ends").value == "2027-07"
    assert dict(at.query_params) == {"scenario": "levy_struck_down"}


def test_reset_returns_to_the_scenario() -> None:
    at = ok(start(scenario="licence_revoked"))
    reference = kpi_values(at)
    at.sidebar.slider(key="timeline.test_lag_months").set_value(4)
    at.sidebar.select_slider(key="products.h200.china_approval").set_value("2027-01")
    ok(at.run())
    assert kpi_values(at) != reference
    next(b for b in at.sidebar.button if b.label.startswith("Reset")).click()
    ok(at.run())
    assert kpi_values(at) == reference
    assert at.sidebar.select_slider(key="products.h200.china_approval").value == (
        "inherits timeline"
    )


def test_invalid_what_if_is_reported_not_raised() -> None:
    at = ok(start())
    at.sidebar.number_input(key="products.h200.unit_cost_usd").set_value(1000.0)
    ok(at.run())
    message = plain(at.error[0].value)
    assert "products.h200" in message and "bill of materials" in message
    at.sidebar.number_input(key="products.h200.unit_cost_usd").set_value(4800.0)
    ok(at.run())
    assert not at.error and len(kpi_values(at)) == KPI_COUNT


# ---------------------------------------------------------------- version-2 levers


def test_product_dates_inherit_the_timeline_until_set() -> None:
    at = ok(start())
    dates = at.sidebar.select_slider(key="products.h200.china_approval")
    assert dates.value == "inherits timeline" and dates.options[0] == "inherits timeline"
    dates.set_value("2026-09")
    ok(at.run())
    want = core({"products.h200.china_approval": "2026-09"})
    assert kpi_values(at)["China gross revenue"][0] == gross(want)


def test_production_rule_vendor_tax_and_timeline_licence_end() -> None:
    at = ok(start())
    at.sidebar.selectbox(key="products.h200.production_rule").set_value("capacity")
    at.sidebar.number_input(key="vendors.Nvidia.tax_rate").set_value(0.3)
    at.sidebar.select_slider(key="timeline.licence_ends").set_value("2027-07")
    ok(at.run())
    want = core(
        {
            "products.h200.production_rule": "capacity",
            "vendors.Nvidia.tax_rate": 0.3,
            "timeline.licence_ends": "2027-07",
        }
    )
    assert kpi_values(at)["Stranded inventory"][0] == fmt.money(
        float(want.inventory.loc[want.inventory["product"] == ALL].iloc[0, -1])
    )
    assert kpi_values(at)["China gross revenue"][0] == gross(want)


def _edit_table(at: AppTest, pid: str, edits: dict[str, Any]) -> None:
    key = next(k for k in at.session_state if str(k).startswith(f"products.{pid}.china_all"))
    table = next(
        k for k in at.session_state if str(k).startswith(f"products.{pid}.china_allocations:table:")
    )
    assert key
    at.session_state[table] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits}


def test_allowance_table_edits_change_the_figures_and_the_link() -> None:
    at = ok(start())
    batches = [b.model_dump() for b in load(BASE).assumptions.product("h200").china_allocations]
    _edit_table(at, "h200", {"edited_rows": {0: {"units": 60000}}})
    ok(at.run())
    batches[0]["units"] = 60000.0
    want = core({"products.h200.china_allocations": batches})
    assert kpi_values(at)["China gross revenue"][0] == gross(want)
    text = at.query_params["products.h200.china_allocations"]
    assert text.startswith(f"{batches[0]['month']}:60000,")
    again = ok(start(**{"products.h200.china_allocations": text}))
    assert not again.warning
    assert kpi_values(again)["China gross revenue"][0] == gross(want)


def test_allowance_rows_added_and_deleted() -> None:
    at = ok(start())
    _edit_table(
        at, "h200", {"deleted_rows": [5], "added_rows": [{"month": "2027-03", "units": 5000}]}
    )
    ok(at.run())
    batches = [b.model_dump() for b in load(BASE).assumptions.product("h200").china_allocations]
    want = core(
        {"products.h200.china_allocations": [*batches[:5], {"month": "2027-03", "units": 5000}]}
    )
    assert kpi_values(at)["China gross revenue"][0] == gross(want)


def test_rationing_switched_off_means_unlimited() -> None:
    at = ok(start())
    toggle = next(t for t in at.sidebar.toggle if str(t.key).startswith("products.h200.china_al"))
    toggle.set_value(False)
    ok(at.run())
    assert kpi_values(at)["China gross revenue"][0] == gross(
        core({"products.h200.china_allocations": None})
    )
    assert at.query_params["products.h200.china_allocations"] == "unlimited"


def test_actuals_are_shown_read_only_with_their_source() -> None:
    at = ok(start())
    ref = catalog().base
    reported = ref.assumptions.product("h200").actual_shipments or {}
    tables = [
        d.value for d in at.sidebar.dataframe if list(d.value.columns)[:2] == ["month", "units"]
    ]
    actual = next(t for t in tables if set(t["month"]) == {fmt.month(m) for m in reported})
    month = sorted(reported)[-1]
    row = actual[actual["month"] == fmt.month(month)].iloc[0]
    assert row["units"] == reported[month]
    assert row["source"] == ref.source(f"products.h200.actual_shipments.{month}") != ""


def test_policy_warning_names_the_chip_above_the_limits() -> None:
    at = ok(start(**{"products.h200.tpp": "25000"}))
    notes = plain(" ".join(i.value for i in at.main.info))
    assert "Nvidia H200" in notes and "TPP 25,000" in notes


# ---------------------------------------------------------------- the views


def test_vendor_view_shows_the_core_s_eps_by_fiscal_year() -> None:
    at = ok(start(tab="Vendors"))
    r = core().vendors
    want = r[(r["vendor"] == "AMD") & (r["period_kind"] == "fiscal_year")].iloc[0]
    table = next(t.value for t in at.main.table if "EPS effect ($/share)" in t.value.columns)
    amd = table[table["Vendor"] == "AMD"].iloc[0]
    assert amd["EPS effect ($/share)"] == f"{want['eps_usd']:.4f}"
    assert str(amd["Fiscal year"]).startswith(str(want["period"]))
    nvidia = table[table["Vendor"] == "Nvidia"]
    assert nvidia["Fiscal year"].iloc[0].endswith("(1 mo)")  # cut short by the horizon


def test_compute_view_totals_the_core_s_h100_equivalents() -> None:
    at = ok(start(tab="Compute"))
    frame = long_frame(core().projection)
    h100e = frame.loc[frame["metric"] == "compute_h100_equivalents", "value"].sum()
    metric = next(m for m in at.main.metric if m.label.startswith("Compute exported"))
    assert metric.value == fmt.compact(h100e)


def test_scenarios_tab_shows_the_core_s_expected_value_and_next_month() -> None:
    at = ok(start(tab="Scenarios"))
    ev = {m.label: m.value for m in at.main.metric[KPI_COUNT:]}
    entries = load_set(ROOT / "assumptions/sets/expected_value.yaml")
    loaded = load_many(BASE, [sc for sc, _ in entries])
    res = run([lo.assumptions for lo in loaded], [lo.name for lo in loaded])
    want = expected_value(
        res.totals, {lo.name: p for lo, (_, p) in zip(loaded, entries, strict=True)}
    )
    want = want[want["product"] == ALL].set_index("party")["total_usd"]
    assert ev["US government"] == fmt.money(float(want["us_government"]))
    table = at.main.dataframe[0].value
    row = table[table["Scenario"] == "Levy struck down"].iloc[0]
    nxt = total(core(scenario="levy_struck_down"), "china_gross_revenue", "next_month")
    assert row["Cost of the next month"] == pytest.approx(nxt / 1e6, rel=1e-9, abs=1e-9)
    assert {"Cost of delay", "Cost of the next month"} <= set(table.columns)


# ---------------------------------------------------------------- links


LINK = {
    "scenario": "next_batch_6m",
    "policy.share_rate": "0.15",
    "policy.mechanism": "revenue share",
    "timeline.china_approval": "never",
    "policy.levy_ends": "2027-07",
    "products.h200.asp_usd": "31000",
    "products.h200.us_approval": "2026-02",
    "products.mi325x.licence_cap_units": "120000",
    "products.h200.production_paused": "false",
    "vendors.AMD.fiscal_year_end_month": "Jun",
    "products.mi308.china_allocations": "2026-06:1000,2027-01:500",
    "discount_rate": "0.08",
    "tab": "Split",
    "measure": "NPV",
}
LINK_VALUES = {
    "policy.share_rate": 0.15,
    "policy.mechanism": "revenue_share",
    "timeline.china_approval": "never",
    "policy.levy_ends": "2027-07",
    "products.h200.asp_usd": 31000.0,
    "products.h200.us_approval": "2026-02",
    "products.mi325x.licence_cap_units": 120000.0,
    "products.h200.production_paused": False,
    "vendors.AMD.fiscal_year_end_month": 6,
    "products.mi308.china_allocations": [
        {"month": "2026-06", "units": 1000.0},
        {"month": "2027-01", "units": 500.0},
    ],
    "discount_rate": 0.08,
}


def test_a_link_restores_the_whole_what_if_and_view() -> None:
    at = ok(start(**LINK))
    assert not at.warning
    assert at.sidebar.selectbox(key="scenario").value == "next_batch_6m"
    assert at.sidebar.slider(key="policy.share_rate").value == pytest.approx(0.15)
    assert at.sidebar.select_slider(key="products.h200.us_approval").value == "2026-02"
    assert at.sidebar.selectbox(key="vendors.AMD.fiscal_year_end_month").value == 6
    assert at.session_state[state.TAB_KEY] == "Split"
    want = core(LINK_VALUES, "next_batch_6m")
    assert kpi_values(at)["China gross revenue"][0] == fmt.money(
        total(want, "china_gross_revenue", column="npv_usd")
    )
    # what no widget writes stays in the address; the widgets keep their own
    assert at.query_params["products.mi308.china_allocations"] == "2026-06:1000,2027-01:500"
    assert at.query_params["discount_rate"] == "0.08"


def test_link_words_of_the_schema_are_read_too() -> None:
    at = ok(
        start(
            **{
                "policy.mechanism": "revenue_share",
                "products.h200.us_approval": "null",
                "timeline.test_lag_months": "3.0",
            }
        )
    )
    assert not at.warning
    assert at.sidebar.selectbox(key="policy.mechanism").value == "revenue_share"
    assert at.sidebar.slider(key="timeline.test_lag_months").value == 3
    assert kpi_values(at)["China gross revenue"][0] == gross(
        core({"policy.mechanism": "revenue_share", "timeline.test_lag_months": 3})
    )


BAD_LINK = {
    "scenario": "next_batch_3m",
    "policy.share_rate": "0.2",  # kept
    "policy.bogus": "1",  # unknown parameter
    "products.h999.asp_usd": "1",  # unknown product
    "demand.erosion_per_month": "abc",  # not a number
    "demand.backlog_retention": "1.5",  # out of range
    "timeline.us_approval": "2026-13",  # not a month
    "products.h200.unit_cost_usd": "100",  # below its bill of materials
    "products.h200.china_allocations": "soon:5",  # not month:units
    "discount_rate": "0.08",  # no widget, still a valid override
}


def test_invalid_link_values_are_ignored_with_one_warning() -> None:
    at = ok(start(**BAD_LINK))
    warning = plain(at.warning[0].value)
    assert warning.startswith("7 values ignored from the link:")
    for word in (
        "policy.bogus",
        "h999",
        "erosion_per_month",
        "backlog_retention",
        "us_approval",
        "unit_cost_usd",
        "china_allocations",
    ):
        assert word in warning, word
    assert at.sidebar.slider(key="policy.share_rate").value == pytest.approx(0.2)
    assert at.sidebar.number_input(key="products.h200.unit_cost_usd").value == 4800.0
    want = core({"policy.share_rate": 0.2, "discount_rate": 0.08}, "next_batch_3m")
    assert kpi_values(at)["US government"][0] == fmt.money(total(want, "us_government"))
    for gone in ("policy.bogus", "products.h999.asp_usd", "products.h200.unit_cost_usd"):
        assert gone not in at.query_params, gone


def test_a_long_hostile_link_is_summarised_and_clipped() -> None:
    params = {f"policy.junk{i}": "x" * 500 for i in range(30)}
    params["x" * 3000] = "y" * 3000
    at = ok(start(**params))
    warning = plain(at.warning[0].value)
    assert warning.startswith("31 values ignored from the link:")
    assert "… and 11 more" in warning
    assert max(len(line) for line in warning.splitlines()) < 300
    assert "x" * 61 not in warning and "y" * 61 not in warning


def test_link_warnings_clear_when_the_user_moves_on() -> None:
    at = ok(start(**{"policy.bogus": "1"}))
    assert at.warning
    at.session_state[state.TAB_KEY] = "Split"  # looking around keeps the message
    ok(at.run())
    assert at.warning
    at.sidebar.slider(key="policy.share_rate").set_value(0.2)
    ok(at.run())
    assert not at.warning


def test_an_implausible_link_shows_a_warning_not_300_digit_figures() -> None:
    at = ok(start(**{"products.h200.asp_usd": "1e300"}))
    warning = plain(at.warning[0].value)
    assert "implausible" in warning and "products.h200.asp_usd" in warning
    assert all(len(v[0]) < 16 for v in kpi_values(at).values())
    at = ok(start(**{"products.h200.unit_cost_usd": "30000"}))
    assert "loses money" in plain(at.warning[0].value)


def test_unknown_scenario_in_link_falls_back_to_the_base() -> None:
    at = ok(start(scenario="no_such_thing"))
    assert "no_such_thing" in plain(at.warning[0].value)
    assert at.sidebar.selectbox(key="scenario").value == "base"


def test_custom_link_without_the_file_warns_and_drops_its_changes() -> None:
    at = ok(start(scenario="custom", **{"policy.share_rate": "0.1", "discount_rate": "0.2"}))
    assert "uploaded file" in plain(at.warning[0].value)
    assert at.sidebar.slider(key="policy.share_rate").value == pytest.approx(0.25)
    assert dict(at.query_params) == {}


def test_link_values_beyond_the_widget_ranges_are_kept() -> None:
    at = ok(
        start(
            **{
                "policy.share_rate": "0.8",
                "timeline.china_approval": "2035-01",
                "horizon.months": "24",
            }
        )
    )
    assert not at.warning
    slider = at.sidebar.slider(key="policy.share_rate")
    assert slider.value == pytest.approx(0.8) and slider.max == pytest.approx(0.8)
    assert at.sidebar.select_slider(key="timeline.china_approval").value == "2035-01"
    want = core(
        {"policy.share_rate": 0.8, "timeline.china_approval": "2035-01", "horizon.months": 24}
    )
    assert kpi_values(at)["China gross revenue"][0] == gross(want)
    every_tab(at)
    at.sidebar.slider(key="policy.share_rate").set_value(0.3)  # the range does not shrink
    ok(at.run())
    assert at.sidebar.slider(key="policy.share_rate").max == pytest.approx(0.8)


def test_headline_names_each_change_for_people() -> None:
    at = ok(start(**{"policy.share_rate": "0.15", "products.h200.asp_usd": "31000"}))
    headline = plain(at.main.markdown[0].value)
    assert "US levy rate: 25 % → 15 %" in headline
    assert "Nvidia H200 price: $ 27.0 k → $ 31.0 k" in headline


def _extreme(path: str, high: bool) -> str:
    """The text of a valid value at one end of a parameter's range."""
    info = param_info(path)
    assert info is not None
    if info.kind.startswith("month"):
        return "2100-12" if high else "1990-01"
    if info.kind == "choice":
        return info.choices[-1 if high else 0]
    if info.kind == "bool":
        return "true" if high else "false"
    bound = info.high if high else info.low
    if bound is None:
        return "1e12" if high else "0"
    nudge = 1e-6 if (info.high_open if high else info.low_open) else 0.0
    value = bound - nudge if high else bound + nudge
    return str(int(value)) if info.kind == "integer" else repr(value)


@pytest.mark.parametrize("high", [False, True], ids=["lows", "highs"])
def test_every_lever_at_an_end_of_its_range_never_crashes(high: bool) -> None:
    levers = bound_levers(catalog().base.assumptions)
    start_every_tab(**{b.path: _extreme(b.path, high) for b in levers})


# ---------------------------------------------------------------- uploads


def _upload(at: AppTest, name: str, data: bytes, mime: str = "application/x-yaml") -> AppTest:
    at.sidebar.file_uploader(key="upload").set_value((name, data, mime))
    return ok(at.run())


def test_bad_upload_shows_an_error_and_the_app_keeps_working() -> None:
    at = ok(start())
    _upload(at, "broken.yaml", b"policy: [unclosed")
    assert "broken.yaml" in plain(at.sidebar.error[0].value)
    assert "Traceback" not in at.sidebar.error[0].value
    at.sidebar.slider(key="policy.share_rate").set_value(0.15)
    ok(at.run())
    assert kpi_values(at)["US government"][0] == fmt.money(
        total(core({"policy.share_rate": 0.15}), "us_government")
    )


def test_upload_over_the_limit_is_refused_before_reading() -> None:
    at = ok(start())
    assert any("5 MB" in c.value for c in at.sidebar.caption)
    _upload(at, "huge.yaml", b"#" * (uploads.MAX_UPLOAD_BYTES + 1))
    assert "over the import limit of 5 MB" in plain(at.sidebar.error[0].value)


def test_upload_with_several_invalid_values_lists_them_all() -> None:
    raw = yaml.safe_load(BASE.read_text())
    raw["policy"]["share_rate"] = 7
    raw["products"][0]["asp_usd"] = -1
    raw["timeline"]["ramp_months"] = 0
    at = _upload(ok(start()), "mine.yaml", yaml.safe_dump(raw).encode())
    text = plain(at.sidebar.error[0].value)
    for path in ("policy.share_rate", "products.h200.asp_usd", "timeline.ramp_months"):
        assert f"mine.yaml: {path}" in text, path
    assert at.sidebar.selectbox(key="scenario").value == "base"


def test_assumptions_upload_becomes_the_custom_scenario() -> None:
    raw = yaml.safe_load(BASE.read_text())
    raw["policy"]["share_rate"] = 0.1
    at = _upload(ok(start()), "low levy.yaml", yaml.safe_dump(raw).encode())
    assert at.sidebar.selectbox(key="scenario").value == "custom"
    assert kpi_values(at)["US government"][0] == fmt.money(
        total(core({"policy.share_rate": 0.1}), "us_government")
    )
    assert at.query_params["scenario"] == "custom"


def test_scenario_upload_applies_its_overrides_and_tables() -> None:
    text = (SCENARIO_DIR / "next_batch_12m.yaml").read_bytes()
    at = _upload(ok(start()), "next_batch_12m.yaml", text)
    assert kpi_values(at)["China gross revenue"][0] == gross(core(scenario="next_batch_12m"))
    assert "products.h200.china_allocations" in at.query_params


def test_scenario_upload_renaming_a_product_is_shown_in_the_headline() -> None:
    text = b"name: renamed\noverrides:\n  products.h200.name: H200 (renamed)\n"
    at = _upload(ok(start()), "renamed.yaml", text)
    assert not at.sidebar.error
    assert "Nvidia H200 → H200 (renamed)" in plain(at.main.markdown[0].value)
    assert at.query_params["products.h200.name"] == "H200 (renamed)"


def _edited_workbook(share_rate: float) -> bytes:
    """A workbook downloaded from the app, its levy cell edited and saved (openpyxl)."""
    ref = catalog().base
    raw, whatif = state.whatif(ref, {})
    wb = openpyxl.load_workbook(
        io.BytesIO(files.workbook_bytes(*files.workbook_args(ref, {}, raw, whatif)))
    )
    sheet, cell = wb.defined_names["policy_share_rate"].attr_text.replace("$", "").split("!")
    wb[sheet.strip("'")][cell] = share_rate
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_edited_workbook_upload_becomes_the_custom_scenario() -> None:
    at = _upload(ok(start()), "edited.xlsx", _edited_workbook(0.2), XLSX_MIME)
    assert not at.sidebar.error
    assert at.sidebar.selectbox(key="scenario").value == "custom"
    assert kpi_values(at)["US government"][0] == fmt.money(
        total(core({"policy.share_rate": 0.2}), "us_government")
    )


def test_bad_workbook_upload_shows_an_error_and_the_app_keeps_working() -> None:
    at = _upload(ok(start()), "edited.xlsx", b"PK\x03\x04 broken", XLSX_MIME)
    assert at.sidebar.error[0].value.startswith("The file was not loaded")
    assert "edited.xlsx" in plain(at.sidebar.error[0].value)
    assert at.sidebar.selectbox(key="scenario").value == "base"
    assert len(kpi_values(at)) == KPI_COUNT


def test_emptying_a_required_number_keeps_the_scenario_value() -> None:
    at = ok(start())
    at.sidebar.number_input(key="products.h200.asp_usd").set_value(None)
    ok(at.run())
    assert at.sidebar.number_input(key="products.h200.asp_usd").value == 27000.0
    assert not at.error


def test_an_optional_number_can_be_set_and_emptied() -> None:
    at = ok(start())
    rate = at.sidebar.number_input(key="products.h200.share_rate")
    assert rate.value is None  # the policy rate
    rate.set_value(0.1)
    ok(at.run())
    assert kpi_values(at)["US government"][0] == fmt.money(
        total(core({"products.h200.share_rate": 0.1}), "us_government")
    )
    at.sidebar.number_input(key="products.h200.share_rate").set_value(None)
    ok(at.run())
    assert kpi_values(at)["US government"][0] == fmt.money(total(core(), "us_government"))


def test_view_values_a_link_cannot_show_are_reported() -> None:
    at = ok(start(tab="Bogus", measure="Gross", period="Weekly", product="Nvidia H200 (h200)"))
    warning = plain(at.warning[0].value)
    assert warning.startswith("3 values ignored from the link:")
    for word in (
        "tab: not one of its choices (showing 'Timeline') (got 'Bogus')",
        "measure",
        "period",
    ):
        assert word in warning, word
    assert at.session_state[state.PRODUCT_KEY] == "h200"
    at = ok(start(tab="Scenarios", measure="NPV", party="US government"))
    assert not at.warning
    assert at.session_state[state.PARTY_KEY] == "us_government"


# ---------------------------------------------------------------- words and facts


def test_assumptions_are_shown_in_words() -> None:
    at = ok(start(tab="Assumptions", **{"policy.share_rate": "0.15"}))
    diff = at.main.table[0].value.set_index("Parameter")
    assert (diff.loc["US levy rate", "Base"], diff.loc["US levy rate", "What-if"]) == (
        "25 %",
        "15 %",
    )
    full = at.main.table[1].value.set_index("Parameter")
    assert full.loc["Levy mechanism", "What-if"] == "Import tariff (Section 232)"
    assert full.loc["Levy ends", "What-if"] == "never ends"
    assert full.loc["US minimum share of shipments", "What-if"] == "66.67 %"
    assert full.loc["Date of the latest facts", "What-if"] == "Oct 2026"
    assert "policy.share_rate" not in set(full.index)


def test_facts_tab_reconciles_the_what_if_as_the_core_does() -> None:
    from model.reconcile import read_reported, reconcile
    from model.shipped import REPORTED_DIR
    from webapp.facts_tab import reconciliation_frame

    link = {"products.h200.asp_usd": "31000"}
    at = ok(start(tab="Facts", **link))
    lo = load(BASE, Scenario(name="x", overrides={"products.h200.asp_usd": 31000.0}))
    want = reconciliation_frame(
        reconcile(lo.assumptions, read_reported(REPORTED_DIR)), "with-actuals"
    )
    shown = at.main.table[0].value
    assert list(shown["Modelled"]) == list(want["Modelled"])
    assert "yes" in set(shown["Within the bound"])
    assert len(at.main.get("vega_lite_chart")) == 2  # the vintages and the vendors' EPS


def test_forecast_states_its_record_beside_it() -> None:
    from model.risk.forecast import backtest, load_history
    from model.shipped import HISTORY
    from webapp.forecast_tab import skill_text

    at = ok(start(tab="Forecast"))
    said = plain(" ".join(a.value for a in [*at.main.warning, *at.main.info]))
    assert skill_text(backtest(load_history(HISTORY), 4, 0.9), 0.9) in said


def test_npv_says_stranded_inventory_is_not_discounted() -> None:
    at = ok(start(measure="NPV"))
    note = " ".join(c.value for c in at.main.caption)
    assert "Stranded inventory is not discounted" in note and "10 % a year" in note
    at = ok(start())
    assert "undiscounted" in " ".join(c.value for c in at.main.caption)
