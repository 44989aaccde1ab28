"""The app's pure helpers: number formats, link values, overrides, downloads and uploads."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from model.cli import main as cli
from model.loader import load
from model.schema import param_info
from webapp import files, fmt, state
from webapp.catalog import BASE_ID, catalog
from webapp.compute import cache_key
from webapp.levers import bound_levers, from_display, to_display, value_at, widget_range

from .conftest import BASE, SCENARIOS

# ---------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.34e9, "$ 12.3 B"),
        (1.234e9, "$ 1.23 B"),
        (123.4e9, "$ 123 B"),
        (999.96e6, "$ 1.00 B"),
        (-4e6, "-$ 4.00 M"),
        (153_000_000, "$ 153 M"),
        (950.0, "$ 950"),
        (0.0, "$ 0"),
        (0.25, "$ 0.25"),
        (-0.001, "$ 0"),
        (2.5e12, "$ 2.50 T"),
        (float("nan"), "n/a"),
    ],
)
def test_money(value: float, text: str) -> None:
    assert fmt.money(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.25, "25 %"), (0.125, "12.5 %"), (2 / 3, "66.7 %"), (0.0, "0 %"), (1.5, "150 %")],
)
def test_pct(value: float, text: str) -> None:
    assert fmt.pct(value) == text


def test_units_and_signs() -> None:
    assert fmt.units(1.2e6) == "1.20 M units"
    assert fmt.signed(fmt.money(2e9), 2e9) == "+$ 2.00 B"
    assert fmt.signed(fmt.money(-2e9), -2e9) == "-$ 2.00 B"
    assert fmt.months(math.inf) == "never" and fmt.months(1) == "1 month"
    assert fmt.escape_md("a_b *c* $5") == "a\\_b \\*c\\* \\$5"


@given(st.floats(min_value=-9.99e14, max_value=9.99e14, allow_nan=False))
def test_money_has_three_significant_digits(v: float) -> None:
    text = fmt.money(v)
    digits = "".join(c for c in text if c.isdigit())
    assert len(digits.lstrip("0") or "0") <= 3
    assert text.startswith("-$ ") == (v < 0 and text != "$ 0")
    assert (text == "$ 0") == (abs(v) < 0.005)


# ---------------------------------------------------------------- link values


@pytest.mark.parametrize(
    ("path", "text", "value"),
    [
        ("policy.share_rate", "0.15", 0.15),
        ("policy.levy_ends", "null", None),
        ("policy.levy_ends", "2027-07", "2027-07"),
        ("timeline.us_approval", "never", "never"),
        ("timeline.ramp_months", "4", 4),
        ("products.h200.production_paused", "false", False),
        ("products.h200.licence_cap_units", "null", None),
        ("policy.quota_basis", "monthly", "monthly"),
    ],
)
def test_link_text_round_trip(path: str, text: str, value: object) -> None:
    info = param_info(path)
    assert info is not None
    assert state.parse_text(info, text) == value
    assert state.encode_value(value) == text


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        ("policy.share_rate", "abc", "is not a number"),
        ("policy.share_rate", "nan", "finite"),
        ("timeline.ramp_months", "2.5", "whole number"),
        ("timeline.us_approval", "2026-13", "YYYY-MM or 'never'"),
        ("policy.mechanism", "bribe", "one of revenue_share, import_tariff"),
        ("products.h200.production_paused", "maybe", "true or false"),
        ("products.h200.name", "x", "cannot be changed"),
    ],
)
def test_link_text_rejected(path: str, text: str, reason: str) -> None:
    info = param_info(path)
    assert info is not None
    with pytest.raises(ValueError, match=reason):
        state.parse_text(info, text)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_encoded_floats_read_back_exactly(v: float) -> None:
    info = param_info("products.h200.asp_usd")
    assert info is not None
    assert state.parse_text(info, state.encode_value(v)) == v


def test_link_values_outside_the_schema_range_are_dropped_with_the_rule() -> None:
    kept, messages = state.clean_link(
        catalog().base,
        {"policy.us_min_share": "0", "demand.backlog_retention": "1.5", "policy.share_rate": "0.2"},
    )
    assert kept == {"policy.share_rate": 0.2}
    assert len(messages) == 2
    assert any(
        m.startswith("link: policy.us_min_share: ") and "greater than 0" in m for m in messages
    ), messages
    assert any(m.startswith("link: demand.backlog_retention: ") and "1.5" in m for m in messages), (
        messages
    )


def test_prune_drops_only_the_culprits() -> None:
    ref = catalog().base
    kept, messages = state.prune(
        ref.raw,
        {
            "products.h200.unit_cost_usd": 100.0,
            "products.h200.asp_usd": 30000.0,
            "products.nope.asp_usd": 1.0,
        },
        "link",
    )
    assert kept == {"products.h200.asp_usd": 30000.0}
    assert any("unknown product id 'nope'" in m for m in messages)
    assert any("bill of materials" in m for m in messages)


def test_url_params_leave_the_untouched_base_clean() -> None:
    assert state.url_params(BASE_ID, {}) == {}
    assert state.url_params("cap_75k", {"policy.share_rate": 0.2}) == {
        "scenario": "cap_75k",
        "policy.share_rate": "0.2",
    }


# ---------------------------------------------------------------- levers


def test_every_lever_reads_back_its_reference_value() -> None:
    for ref in [catalog().base, *catalog().scenarios.values()]:
        for b in bound_levers(ref.assumptions):
            value = value_at(ref.assumptions, b.path)
            shown = to_display(b, value)
            assert from_display(b, shown, value) == value or value is None, b.path
            lo, hi = widget_range(b, shown)
            if isinstance(shown, (int, float)) and not isinstance(shown, bool):
                assert (lo is None or lo <= shown) and (hi is None or shown <= hi), b.path


def test_levy_widget_range_is_0_to_50_percent_unless_the_value_is_higher() -> None:
    b = next(b for b in bound_levers(catalog().base.assumptions) if b.path == "policy.share_rate")
    assert widget_range(b, 25.0) == (0.0, 50.0)
    assert widget_range(b, 70.0) == (0.0, 70.0)
    assert from_display(b, 15.0, 0.25) == 0.15


# ---------------------------------------------------------------- downloads


@pytest.mark.parametrize("path", SCENARIOS[:4], ids=[p.stem for p in SCENARIOS[:4]])
def test_csv_download_equals_the_cli_output(path: Path, tmp_path: Path) -> None:
    ref = catalog().get(path.stem)
    assert ref is not None
    out = tmp_path / "cli.csv"
    assert cli(["project", str(BASE), "--scenario", str(path), "--csv", str(out)]) == 0
    assert files.csv_text(cache_key(ref.raw)) == out.read_text()


def _without_sources(a: object) -> dict:
    data = a.model_dump()  # type: ignore[attr-defined]
    data.pop("sources")
    return data


@pytest.mark.parametrize(
    ("ref_id", "current"),
    [
        ("base", {}),
        ("us_delay_6m", {"policy.share_rate": 0.15, "products.h200.asp_usd": 31000.0}),
        # a lever returning a scenario override to the base value leaves it out of the file
        ("us_delay_6m", {"timeline.us_approval": "2026-05", "discount_rate": 0.08}),
        ("cap_75k", {"products.mi325x.licence_cap_units": None}),
    ],
)
def test_scenario_yaml_reproduces_the_what_if(ref_id: str, current: dict, tmp_path: Path) -> None:
    cat = catalog()
    ref = cat.get(ref_id)
    assert ref is not None
    _, whatif = state.whatif(ref, current)
    text = files.scenario_yaml(cat, ref, current, whatif)
    doc = yaml.safe_load(text)
    base = cat.base.assumptions
    assert all(value_at(whatif, k) != value_at(base, k) for k in doc["overrides"])
    out = tmp_path / "whatif.yaml"
    out.write_text(text)
    assert _without_sources(load(BASE, out).assumptions) == _without_sources(whatif)


def test_scenario_yaml_of_the_us_delay_lists_only_what_differs_from_base() -> None:
    cat = catalog()
    ref = cat.get("us_delay_6m")
    assert ref is not None
    current = {"timeline.us_approval": "2026-05"}
    _, whatif = state.whatif(ref, current)
    doc = yaml.safe_load(files.scenario_yaml(cat, ref, current, whatif))
    assert doc["overrides"] == {"timeline.china_approval": "2026-03"}
    assert doc["sources"]["timeline.china_approval"] == ref.source("timeline.china_approval")


# ---------------------------------------------------------------- uploads


def test_read_upload_kinds() -> None:
    up = files.read_upload("base.yaml", BASE.read_bytes())
    assert up.kind == "assumptions" and up.reference is not None
    assert up.reference.name == "base.yaml"
    sc = files.read_upload("s.yml", b"name: x\noverrides:\n  policy.share_rate: 0.2\n")
    assert sc.kind == "scenario" and sc.overrides == {"policy.share_rate": 0.2}
    bad = files.read_upload("s.yml", b"name: x\noverrides:\n  policy.share_rate: 2\n")
    assert bad.kind == "invalid" and bad.problems[0].startswith("s.yml: policy.share_rate")
    other = files.read_upload("notes.txt", b"hello")
    assert other.kind == "invalid" and "unsupported file type" in other.problems[0]
    binary = files.read_upload("x.yaml", b"\xff\xfe\x00")
    assert binary.kind == "invalid" and "UTF-8" in binary.problems[0]
    sets = files.read_upload("set.yaml", (BASE.parent / "sets/expected_value.yaml").read_bytes())
    assert sets.kind == "invalid" and "scenario set" in sets.problems[0]


def test_upload_problems_never_name_temporary_or_absolute_paths() -> None:
    up = files.read_upload("../../etc/odd name.yaml", b"name: x\noverrides:\n  nope.x: 1\n")
    assert up.kind == "invalid"
    assert all(p.startswith("../../etc/odd name.yaml: ") for p in up.problems)
    assert not any("/tmp" in p or str(BASE.parent) in p for p in up.problems)


def _defined(wb: object, name: str) -> object:
    sheet, cell = wb.defined_names[name].attr_text.replace("$", "").split("!")  # type: ignore[attr-defined]
    return wb[sheet.strip("'")][cell].value  # type: ignore[index]


def test_workbook_download_holds_the_what_if_and_its_reference(tmp_path: Path) -> None:
    import openpyxl

    ref = catalog().get("us_delay_6m")
    assert ref is not None
    current = {"policy.share_rate": 0.15}
    raw, whatif = state.whatif(ref, current)
    args = files.workbook_args(ref, current, raw, whatif)
    assert args[1] == ("What-if on US delay 6 months", "US delay 6 months")
    out = tmp_path / "whatif.xlsx"
    out.write_bytes(files.workbook_bytes(*args))
    wb = openpyxl.load_workbook(out, data_only=True)
    assert {"Inputs", "Summary", "Scenarios", "Checks"} <= set(wb.sheetnames)
    assert _defined(wb, "policy_share_rate") == 0.15
    assert _defined(wb, "timeline_us_approval") is not None
    assert _defined(wb, "checks_ok") is True
    # without changes, the workbook holds the reference alone
    raw0, whatif0 = state.whatif(ref, {})
    assert files.workbook_args(ref, {}, raw0, whatif0)[1] == ("What-if on US delay 6 months",)


# ---------------------------------------------------------------- chart frames


@pytest.mark.parametrize("period", ["month", "calendar_quarter", "fiscal_quarter"])
def test_timeline_frame_adds_up_to_the_party_totals(period: str) -> None:
    from model.analysis import run
    from model.outputs import long_frame
    from webapp import charts

    a = catalog().base.assumptions
    res = run([a], ["base"])
    frame = charts.party_frame(long_frame(res.projection), period, "all", 1)
    t = res.totals[res.totals["product"] == "all"].set_index("party")["total_usd"]
    stacked = frame[frame["stacked"]]["usd"].sum()
    assert stacked == pytest.approx(t["china_gross_revenue"] + t["china_tariff"], rel=1e-12)
    assert frame[~frame["stacked"]]["usd"].sum() == pytest.approx(t["suppliers"], rel=1e-12)
    # 2026-01 … 2028-12: fiscal quarters (January year end) run FY2026-Q4 … FY2029-Q4
    assert (
        frame["period"].nunique()
        == {"month": 36, "calendar_quarter": 12, "fiscal_quarter": 13}[period]
    )


def test_waterfall_frame_steps_from_revenue_to_profit() -> None:
    from webapp import charts

    frame = charts.waterfall_frame(
        [
            ("R", 100e9, True),
            ("G", -25e9, False),
            ("L", -1e9, False),
            ("V", 74e9, True),
            ("COGS", -20e9, False),
            ("GP", 54e9, True),
        ]
    )
    assert list(frame["start"]) == [0, 100, 75, 0, 74, 0]
    assert list(frame["end"]) == [100, 75, 74, 74, 54, 54]
    assert list(frame["kind"]) == ["total", "decrease", "decrease", "total", "decrease", "total"]


def test_stock_frame_shows_the_cap_of_a_capped_product() -> None:
    from model.analysis import run
    from model.outputs import long_frame
    from webapp import charts

    ref = catalog().get("cap_75k")
    assert ref is not None
    res = run([ref.assumptions], ["cap"])
    frame = charts.stock_frame(long_frame(res.projection), "h200", 600000.0)
    cum = frame[frame["series"] == charts.CUMULATIVE]["value"]
    assert cum.is_monotonic_increasing and cum.iloc[-1] <= 600000.0 + 1e-6
    assert set(frame["series"]) == {charts.CUMULATIVE, charts.CAP, "Inventory (end of month)"}


def test_workbook_upload_reads_the_what_if_back() -> None:
    ref = catalog().get("us_delay_6m")
    assert ref is not None
    current = {"policy.share_rate": 0.15, "products.h200.asp_usd": 31000.0}
    raw, whatif = state.whatif(ref, current)
    data = files.workbook_bytes(*files.workbook_args(ref, current, raw, whatif))
    up = files.read_upload("whatif.xlsx", data)
    assert up.kind == "assumptions" and up.reference is not None
    assert _without_sources(up.reference.assumptions) == _without_sources(whatif)
    assert up.reference.id == "custom" and up.reference.name == "whatif.xlsx"


def test_broken_workbook_upload_is_a_readable_problem() -> None:
    up = files.read_upload("edited.xlsx", b"this is not a workbook")
    assert up.kind == "invalid"
    assert up.problems and all(p.startswith("edited.xlsx") for p in up.problems)


def test_every_chart_builder_gives_a_valid_vega_lite_spec() -> None:
    """The app draws specs without Altair's validation, so validate them here."""
    from model.analysis import run
    from model.outputs import long_frame
    from webapp import charts

    ref = catalog().get("cap_75k")
    assert ref is not None
    monthly = long_frame(run([ref.assumptions], ["cap"]).projection)
    built = [
        charts.timeline_chart(
            charts.party_frame(monthly, "fiscal_quarter", "all", 1), "Vendor fiscal quarter"
        ),
        charts.waterfall_chart(
            charts.waterfall_frame([("R", 1e9, True), ("G", -2e8, False), ("V", 8e8, True)])
        ),
        charts.lines_chart(
            charts.volume_frame(monthly, "h200", list(charts.FLOW_METRICS)), "units"
        ),
        charts.lines_chart(charts.stock_frame(monthly, "h200", 600000.0), "units"),
        charts.scenario_bars(
            pd.DataFrame({"scenario": ["a", "b"], "billions": [1.0, 2.0]}), "US government", 1.5e9
        ),
    ]
    for chart in built:
        assert chart.to_dict(validate=True)["$schema"].startswith("https://vega.github.io")
