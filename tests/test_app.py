"""The Streamlit app driven through ``AppTest``: it runs on every shipped scenario and every
tab, its figures are the core's, links restore the what-if, and bad input is reported."""

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
from model.schema import param_info
from webapp import files, fmt, state
from webapp.catalog import catalog
from webapp.files import XLSX_MIME
from webapp.levers import bound_levers

from .conftest import BASE, ROOT, SCENARIOS

APP = str(ROOT / "app.py")
TABS = ("Timeline", "Split", "Volumes", "Scenarios", "Assumptions", "Risk", "Forecast")


def start(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(markdown: str) -> str:
    """Markdown source without the backslash escapes the app adds to shown messages."""
    return markdown.replace("\\", "")


def kpis(at: AppTest) -> dict[str, Any]:
    """Headline metrics by label: (value text, delta text, help text)."""
    return {m.label: (m.value, m.delta, m.help) for m in at.main.metric[:10]}


def core(overrides: dict[str, Any] | None = None, scenario: Path | None = None) -> Results:
    """The calculation core's results for the base, a scenario file or inline overrides."""
    sc = Scenario(name="inline", overrides=overrides) if overrides is not None else scenario
    lo = load(BASE, sc)
    return run([lo.assumptions], [lo.name])


def party_total(r: Results, party: str) -> float:
    t = r.totals
    return float(t[(t["product"] == ALL) & (t["party"] == party)]["total_usd"].iloc[0])


# ---------------------------------------------------------------- runs everywhere


def test_defaults_run_on_every_tab() -> None:
    at = ok(start())
    assert len(kpis(at)) == 10
    assert not at.warning and not at.error
    for tab in TABS:
        at.session_state["tab"] = tab
        ok(at.run())
        assert not at.error, (tab, [e.value for e in at.error])


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_runs(path: Path) -> None:
    at = ok(start(scenario=path.stem))
    assert at.sidebar.selectbox(key="scenario").value == path.stem
    assert not at.warning and not at.error
    expected = core(scenario=path)
    assert kpis(at)["China gross revenue"][0] == fmt.money(
        party_total(expected, "china_gross_revenue")
    )
    for tab in TABS[1:]:
        at.session_state["tab"] = tab
        ok(at.run())
        assert not at.error, (tab, [e.value for e in at.error])


# ---------------------------------------------------------------- figures are the core's


def test_levy_slider_25_to_15_gives_the_core_us_government_take() -> None:
    at = ok(start())
    before = kpis(at)["US government"]
    assert at.sidebar.slider(key="policy.share_rate").value == 25.0
    at.sidebar.slider(key="policy.share_rate").set_value(15.0)
    ok(at.run())
    value, delta, help_ = kpis(at)["US government"]
    expected = party_total(core({"policy.share_rate": 0.15}), "us_government")
    base_value = party_total(core({}), "us_government")
    assert value == fmt.money(expected) != before[0]
    assert f"What-if: {fmt.exact_money(expected)};" in help_  # exact to the dollar
    assert delta == fmt.signed(fmt.money(expected - base_value), expected - base_value)
    assert delta.startswith("-")


def test_preset_button_sets_the_levy() -> None:
    at = ok(start())
    next(b for b in at.sidebar.button if b.label == "15 %").click()
    ok(at.run())
    assert at.sidebar.slider(key="policy.share_rate").value == 15.0
    assert at.query_params["policy.share_rate"] == "0.15"


def test_scenario_switch_changes_the_kpis() -> None:
    at = ok(start())
    before = kpis(at)
    at.sidebar.selectbox(key="scenario").set_value("approved_now")
    ok(at.run())
    after = kpis(at)
    expected = core(scenario=ROOT / "assumptions/scenarios/approved_now.yaml")
    assert after["China gross revenue"][0] == fmt.money(
        party_total(expected, "china_gross_revenue")
    )
    assert after["China gross revenue"][0] != before["China gross revenue"][0]
    assert after["Cost of delay"][0] == fmt.money(0.0)
    assert at.query_params == {"scenario": "approved_now"}


def test_reset_returns_to_the_scenario() -> None:
    at = ok(start(scenario="us_delay_6m"))
    reference = kpis(at)
    at.sidebar.slider(key="timeline.test_lag_months").set_value(4)
    ok(at.run())
    assert kpis(at) != reference
    next(b for b in at.sidebar.button if b.label.startswith("Reset")).click()
    ok(at.run())
    assert kpis(at) == reference
    assert at.query_params == {"scenario": "us_delay_6m"}


def test_invalid_what_if_is_reported_not_raised() -> None:
    at = ok(start())
    at.sidebar.number_input(key="products.h200.unit_cost_usd").set_value(1000.0)
    ok(at.run())
    assert "products.h200" in at.error[0].value and "bill of materials" in at.error[0].value
    at.sidebar.number_input(key="products.h200.unit_cost_usd").set_value(4800.0)
    ok(at.run())
    assert not at.error and len(kpis(at)) == 10


# ---------------------------------------------------------------- links


def test_url_round_trip_restores_the_same_what_if() -> None:
    at = ok(start(scenario="us_delay_6m"))
    sb = at.sidebar
    sb.slider(key="policy.share_rate").set_value(15.0)
    sb.select_slider(key="timeline.china_approval").set_value("never")
    sb.select_slider(key="policy.levy_ends").set_value("2027-07")
    sb.number_input(key="products.h200.asp_usd").set_value(31000.0)
    sb.number_input(key="products.mi325x.licence_cap_units").set_value(120000.0)
    sb.toggle(key="products.h200.production_paused").set_value(False)
    sb.number_input(key="policy.us_min_share").set_value(0.5)
    ok(at.run())
    params = dict(at.query_params)
    assert params == {
        "scenario": "us_delay_6m",
        "policy.share_rate": "0.15",
        "policy.levy_ends": "2027-07",
        "policy.us_min_share": "0.5",
        "timeline.china_approval": "never",
        "products.h200.asp_usd": "31000",
        "products.h200.production_paused": "false",
        "products.mi325x.licence_cap_units": "120000",
    }
    again = ok(start(**params))
    assert not again.warning
    assert dict(again.query_params) == params
    assert kpis(again) == kpis(at)
    for key in (
        "policy.share_rate",
        "timeline.china_approval",
        "products.h200.asp_usd",
        "products.h200.production_paused",
        "products.mi325x.licence_cap_units",
    ):
        widgets = [w for w in again.sidebar.get(_kind(key)) if w.key == key]
        assert widgets[0].value == at.session_state[key], key


def _kind(key: str) -> str:
    return {
        "policy.share_rate": "slider",
        "timeline.china_approval": "select_slider",
        "products.h200.production_paused": "toggle",
    }.get(key, "number_input")


def test_invalid_link_parameters_are_ignored_with_a_warning() -> None:
    at = ok(
        start(
            **{
                "scenario": "us_delay_3m",
                "policy.share_rate": "0.2",  # kept
                "policy.bogus": "1",  # unknown parameter
                "products.h999.asp_usd": "1",  # unknown product
                "demand.erosion_per_month": "abc",  # not a number
                "demand.backlog_retention": "1.5",  # out of range
                "timeline.us_approval": "2026-13",  # not a month
                "products.h200.unit_cost_usd": "100",  # below its bill of materials
                "discount_rate": "0.08",  # no widget, still a valid override
            }
        )
    )
    warning = plain(at.warning[0].value)
    for word in (
        "policy.bogus",
        "h999",
        "erosion_per_month",
        "backlog_retention",
        "us_approval",
        "unit_cost_usd",
    ):
        assert word in warning, word
    assert at.sidebar.slider(key="policy.share_rate").value == 20.0
    assert dict(at.query_params) == {
        "scenario": "us_delay_3m",
        "policy.share_rate": "0.2",
        "discount_rate": "0.08",
    }
    sc = yaml.safe_load((ROOT / "assumptions/scenarios/us_delay_3m.yaml").read_text())
    expected = core({**sc["overrides"], "policy.share_rate": 0.2, "discount_rate": 0.08})
    assert kpis(at)["US government"][0] == fmt.money(party_total(expected, "us_government"))


def test_unknown_scenario_in_link_falls_back_to_the_base() -> None:
    at = ok(start(scenario="no_such_thing"))
    assert "no_such_thing" in plain(at.warning[0].value)
    assert at.sidebar.selectbox(key="scenario").value == "base"


# ---------------------------------------------------------------- uploads


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.sidebar.file_uploader(key="upload").set_value((name, data, "application/x-yaml"))
    return ok(at.run())


def test_bad_upload_shows_an_error_and_the_app_keeps_working() -> None:
    at = ok(start())
    _upload(at, "broken.yaml", b"policy: [unclosed")
    assert "broken.yaml: malformed YAML" in at.sidebar.error[0].value
    assert "Traceback" not in at.sidebar.error[0].value
    at.sidebar.slider(key="policy.share_rate").set_value(15.0)
    ok(at.run())
    expected = party_total(core({"policy.share_rate": 0.15}), "us_government")
    assert kpis(at)["US government"][0] == fmt.money(expected)


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
    expected = party_total(core({"policy.share_rate": 0.1}), "us_government")
    assert kpis(at)["US government"][0] == fmt.money(expected)
    assert at.query_params == {"scenario": "custom"}


def test_scenario_upload_applies_its_overrides_to_the_base() -> None:
    text = (ROOT / "assumptions/scenarios/us_delay_12m.yaml").read_bytes()
    at = _upload(ok(start()), "us_delay_12m.yaml", text)
    expected = core(scenario=ROOT / "assumptions/scenarios/us_delay_12m.yaml")
    assert kpis(at)["China gross revenue"][0] == fmt.money(
        party_total(expected, "china_gross_revenue")
    )
    assert at.query_params["timeline.us_approval"] == "2027-03"


def test_scenario_upload_renaming_a_product_is_shown_in_the_headline() -> None:
    text = b"name: renamed\noverrides:\n  products.h200.name: H200 (renamed)\n"
    at = _upload(ok(start()), "renamed.yaml", text)
    assert not at.sidebar.error
    assert "Nvidia H200 → H200 (renamed)" in plain(at.main.markdown[0].value)
    assert at.query_params == {"products.h200.name": "H200 (renamed)"}


def test_custom_link_without_the_file_warns() -> None:
    at = ok(start(scenario="custom", **{"policy.share_rate": "0.1"}))
    assert "uploaded file" in at.warning[0].value
    assert at.query_params == {}


# ---------------------------------------------------------------- scenarios tab


def test_scenarios_tab_expected_value_is_the_core_s() -> None:
    at = start()
    at.session_state["tab"] = "Scenarios"
    ok(at.run())
    ev = {m.label: m.value for m in at.main.metric[10:]}
    entries = load_set(ROOT / "assumptions/sets/expected_value.yaml")
    loaded = load_many(BASE, [sc for sc, _ in entries])
    res = run([lo.assumptions for lo in loaded], [lo.name for lo in loaded])
    want = expected_value(
        res.totals, {lo.name: p for lo, (_, p) in zip(loaded, entries, strict=True)}
    )
    want = want[want["product"] == ALL].set_index("party")["total_usd"]
    assert ev["US government"] == fmt.money(float(want["us_government"]))
    assert ev["China gross revenue"] == fmt.money(float(want["china_gross_revenue"]))


def test_emptying_a_required_number_restores_the_scenario_value() -> None:
    at = ok(start())
    at.sidebar.number_input(key="products.h200.asp_usd").set_value(None)
    ok(at.run())
    assert at.sidebar.number_input(key="products.h200.asp_usd").value == 27000.0
    assert not at.error and at.query_params == {}


def test_optional_numbers_can_be_emptied() -> None:
    at = ok(start(scenario="cap_75k"))
    at.sidebar.number_input(key="products.h200.licence_cap_units").set_value(None)
    ok(at.run())
    assert at.query_params["products.h200.licence_cap_units"] == "null"
    expected = core({"products.mi325x.licence_cap_units": 150000.0})
    assert kpis(at)["China gross revenue"][0] == fmt.money(
        party_total(expected, "china_gross_revenue")
    )


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
    at = ok(start())
    at.sidebar.file_uploader(key="upload").set_value(
        ("edited.xlsx", _edited_workbook(0.2), XLSX_MIME)
    )
    ok(at.run())
    assert not at.sidebar.error
    assert at.sidebar.selectbox(key="scenario").value == "custom"
    expected = party_total(core({"policy.share_rate": 0.2}), "us_government")
    assert kpis(at)["US government"][0] == fmt.money(expected)


def test_bad_workbook_upload_shows_an_error_and_the_app_keeps_working() -> None:
    at = ok(start())
    at.sidebar.file_uploader(key="upload").set_value(
        ("edited.xlsx", b"PK\x03\x04 broken", XLSX_MIME)
    )
    ok(at.run())
    assert at.sidebar.error[0].value.startswith("The file was not loaded")
    assert "edited.xlsx" in plain(at.sidebar.error[0].value)
    assert at.sidebar.selectbox(key="scenario").value == "base" and len(kpis(at)) == 10


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
    assert at.sidebar.slider(key="policy.share_rate").value == 80.0
    assert at.sidebar.slider(key="policy.share_rate").max == 80.0
    assert at.sidebar.select_slider(key="timeline.china_approval").value == "2035-01"
    expected = core(
        {"policy.share_rate": 0.8, "timeline.china_approval": "2035-01", "horizon.months": 24}
    )
    assert kpis(at)["China gross revenue"][0] == fmt.money(
        party_total(expected, "china_gross_revenue")
    )
    for tab in TABS:
        at.session_state["tab"] = tab
        ok(at.run())
        assert not at.error, tab
    at.sidebar.slider(key="policy.share_rate").set_value(30.0)  # the range does not shrink
    ok(at.run())
    assert at.sidebar.slider(key="policy.share_rate").max == 80.0
    assert at.query_params["policy.share_rate"] == "0.3"


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
    at = ok(start(**{b.path: _extreme(b.path, high) for b in levers}))
    for tab in TABS:
        at.session_state["tab"] = tab
        ok(at.run())
    # whatever the link kept is what the app shows and puts back in the address
    kept = dict(at.query_params)
    again = ok(start(**kept))
    assert dict(again.query_params) == kept
    assert not again.warning
