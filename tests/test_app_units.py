"""The app's pure helpers, without Streamlit: number formats, messages, reading a link,
the allowance tables, the levers, downloads, uploads and chart frames."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from model.analysis import run
from model.cli import main as cli
from model.loader import load
from model.outputs import long_frame
from webapp import allowances, charts, files, fmt, links, notices, state, uploads
from webapp.catalog import BASE_ID, catalog
from webapp.compute import cache_key
from webapp.levers import (
    bound_levers,
    equivalent,
    from_widget,
    label,
    lever_map,
    options,
    read_link,
    to_widget,
    value_at,
    widget_range,
)

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
        (9.54e304, "$ 9.54e304"),
        (-1e15, "-$ 1.00e15"),
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
    assert fmt.exact_money(1e300) == "$1.000000e+300"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_money_is_short_whatever_the_value(v: float) -> None:
    assert len(fmt.money(v)) <= 12


@given(st.floats(min_value=-9.99e14, max_value=9.99e14, allow_nan=False))
def test_money_has_three_significant_digits(v: float) -> None:
    text = fmt.money(v)
    digits = "".join(c for c in text if c.isdigit())
    assert len(digits.lstrip("0") or "0") <= 3
    assert text.startswith("-$ ") == (v < 0 and text != "$ 0")
    assert (text == "$ 0") == (abs(v) < 0.005)


# ---------------------------------------------------------------- messages


def test_clip_cuts_long_values_to_one_line() -> None:
    assert notices.clip("a" * 100) == "a" * 59 + "…"
    assert notices.clip("two\nlines") == "two lines"
    assert notices.clip("short") == "short"


def test_long_lists_are_summarised() -> None:
    text = notices.problems_text("Problems:", [f"p{i}" for i in range(25)])
    assert text.startswith("Problems: (the first 20 of 25)")
    assert "- p19" in text and "- p20" not in text and "… and 5 more" in text
    assert notices.plural(1, "value") == "1 value" and notices.plural(3, "value") == "3 values"


def test_headline_lists_a_few_changes_then_counts() -> None:
    text = notices.headline("Base", [f"change {i}" for i in range(10)])
    assert "change 7" in text and "change 8" not in text and "and 2 more changes" in text
    assert "no changes yet" in notices.headline("Base", [])


# ---------------------------------------------------------------- levers and link text

BASE_REF = catalog().base
LEVERS = lever_map(BASE_REF.assumptions)


@pytest.mark.parametrize(
    ("path", "text", "value"),
    [
        ("policy.share_rate", "0.15", 0.15),
        ("policy.levy_ends", "never ends", None),  # the widget's words
        ("policy.levy_ends", "null", None),  # the schema's
        ("policy.levy_ends", "2027-07", "2027-07"),
        ("timeline.us_approval", "never", "never"),
        ("timeline.ramp_months", "4", 4),
        ("products.h200.production_paused", "false", False),
        ("products.h200.us_approval", "inherits timeline", None),
        ("products.h200.us_approval", "null", None),
        ("products.h200.production_rule", "build to order", "build_to_order"),
        ("products.h200.production_rule", "capacity", "capacity"),
        ("policy.mechanism", "revenue share", "revenue_share"),
        ("policy.mechanism", "revenue_share", "revenue_share"),
        ("vendors.AMD.fiscal_year_end_month", "Jun", 6),
        ("vendors.AMD.fiscal_year_end_month", "6", 6),
        ("products.h200.asp_usd", "1e300", 1e300),
    ],
)
def test_link_text_is_read_as_the_widget_or_the_schema_writes_it(
    path: str, text: str, value: object
) -> None:
    assert read_link(LEVERS[path], text, BASE_REF.assumptions) == value


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        ("policy.share_rate", "abc", "is not a number"),
        ("policy.share_rate", "nan", "finite"),
        ("timeline.ramp_months", "2.5", "whole number"),
        ("timeline.us_approval", "2026-13", "YYYY-MM or 'never'"),
        ("policy.mechanism", "bribe", "one of"),
        ("products.h200.production_paused", "maybe", "true or false"),
        ("vendors.AMD.fiscal_year_end_month", "13", "one of"),
    ],
)
def test_link_text_rejected(path: str, text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        read_link(LEVERS[path], text, BASE_REF.assumptions)


def test_select_widgets_write_their_labels() -> None:
    a = BASE_REF.assumptions
    b = LEVERS["products.h200.china_approval"]
    assert options(b, a)[0] == "inherits timeline" and options(b, a)[-1] == "never"
    assert label(LEVERS["policy.mechanism"], "import_tariff", a) == "import tariff (Section 232)"
    assert label(LEVERS["vendors.AMD.fiscal_year_end_month"], None, a) == "horizon's (Jan)"
    # "never" and null mean the same licence end on the timeline
    assert equivalent(LEVERS["timeline.licence_ends"], None, "never")


def test_every_lever_reads_back_its_reference_value() -> None:
    for ref in [catalog().base, *catalog().scenarios.values()]:
        a = ref.assumptions
        for b in bound_levers(a):
            value = value_at(a, b.path)
            shown = to_widget(b, value)
            assert equivalent(b, from_widget(b, shown, value), value), b.path
            if b.is_select:
                assert shown in options(b, a, shown), b.path
            elif isinstance(shown, (int, float)) and not isinstance(shown, bool):
                lo, hi = widget_range(b, shown)
                assert (lo is None or lo <= shown) and (hi is None or shown <= hi), b.path


def test_levy_widget_range_is_0_to_50_percent_unless_the_value_is_higher() -> None:
    b = LEVERS["policy.share_rate"]
    assert widget_range(b, 0.25) == (0.0, 0.5)
    assert widget_range(b, 0.7) == (0.0, 0.7)


# ---------------------------------------------------------------- reading a link


def test_a_link_is_sorted_by_who_applies_each_value() -> None:
    got = links.read(
        catalog(),
        {
            "scenario": "levy_struck_down",
            "policy.share_rate": "0.2",  # the widget reads it
            "policy.mechanism": "revenue_share",  # the app sets it (not the widget's words)
            "policy.levy_ends": "2027-07",  # the scenario's own value
            "products.h200.china_allocations": "2026-06:5000",
            "discount_rate": "0.08",
            "policy.us_min_share": "0",  # out of range
            "products.h200.unit_cost_usd": "100",  # below its bill of materials
            "tab": "Split",  # the view: its widget's business
        },
        state.VIEW_KEYS,
    )
    assert got.ref_id == "levy_struck_down"
    assert got.levers == {"policy.share_rate": 0.2}
    assert got.translate == {"policy.mechanism": "revenue_share"}
    assert got.reject == {
        "policy.levy_ends",
        "policy.us_min_share",
        "products.h200.unit_cost_usd",
    }
    assert got.tables == {"h200": [{"month": "2026-06", "units": 5000.0}]}
    assert got.extras == {"discount_rate": 0.08}
    assert len(got.ignored) == 2
    assert any(m.startswith("policy.us_min_share: ") for m in got.ignored)
    assert any("bill of materials" in m and "(got '100')" in m for m in got.ignored)


def test_a_link_holds_at_most_so_many_values() -> None:
    params = {f"products.h200.bom_usd_per_unit.s{i}": "0" for i in range(links.MAX_VALUES + 5)}
    got = links.read(catalog(), params, state.VIEW_KEYS)
    assert any(
        m.startswith(f"5 more values: a link holds at most {links.MAX_VALUES}") for m in got.ignored
    )
    assert len(got.extras) <= links.MAX_VALUES


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [*list(LEVERS)[:40], "scenario", "discount_rate", "products.h200.china_allocations"]
        )
        | st.text(max_size=40),
        st.text(max_size=80),
        max_size=8,
    )
)
def test_any_link_is_read_without_an_exception(params: dict[str, str]) -> None:
    got = links.read(catalog(), params, state.VIEW_KEYS)
    assert all(len(m) < 400 for m in got.ignored)
    kept = {**got.levers, **got.translate, **got.extras}
    kept |= {f"products.{pid}.china_allocations": v for pid, v in got.tables.items()}
    ref = catalog().get(got.ref_id) or catalog().base
    state.whatif(ref, kept)  # whatever is kept validates


# ---------------------------------------------------------------- allowance tables


@given(
    st.one_of(
        st.none(),
        st.lists(
            st.fixed_dictionaries(
                {
                    "month": st.sampled_from(["2025-11", "2026-06", "2027-12"]),
                    "units": st.floats(min_value=0, max_value=1e9, allow_nan=False),
                }
            ),
            max_size=6,
        ),
    )
)
def test_allowance_text_round_trip(batches: Any) -> None:
    assert allowances.same_batches(allowances.decode(allowances.encode(batches)), batches)


@pytest.mark.parametrize(
    ("text", "batches"),
    [
        ("unlimited", None),
        ("none", []),
        ("2026-06:20000,2026-12:1.5e4", [
            {"month": "2026-06", "units": 20000.0}, {"month": "2026-12", "units": 15000.0}
        ]),
        ("[{month: 2026-06, units: 10}]", [{"month": "2026-06", "units": 10}]),
    ],
)  # fmt: skip
def test_allowance_text_forms(text: str, batches: Any) -> None:
    assert allowances.same_batches(allowances.decode(text), batches)


@pytest.mark.parametrize("text", ["soon:5", "2026-06", "2026-06:x", "2026-06:inf", "[oops"])
def test_bad_allowance_text_says_why(text: str) -> None:
    with pytest.raises(ValueError):
        allowances.decode(text)


def test_the_edited_table_drops_empty_rows_and_keeps_half_filled_ones() -> None:
    edited = pd.DataFrame({"month": ["2026-06", None, None], "units": [5.0, None, 7.0]})
    assert allowances.from_frame(edited) == [
        {"month": "2026-06", "units": 5.0},
        {"month": None, "units": 7.0},
    ]


# ---------------------------------------------------------------- downloads


@pytest.mark.parametrize("path", SCENARIOS[:3], ids=[p.stem for p in SCENARIOS[:3]])
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
        (BASE_ID, {}),
        ("levy_struck_down", {"policy.share_rate": 0.15, "products.h200.asp_usd": 31000.0}),
        # a lever returning a scenario override to the base value leaves it out of the file
        ("levy_struck_down", {"policy.levy_ends": None, "discount_rate": 0.08}),
        ("next_batch_6m", {"products.h200.us_approval": "2026-02"}),
        ("base", {"products.h200.china_allocations": [{"month": "2026-06", "units": 9.0}]}),
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


# ---------------------------------------------------------------- uploads


def test_read_upload_kinds() -> None:
    up = uploads.read_upload("base.yaml", BASE.read_bytes())
    assert up.kind == "assumptions" and up.reference is not None
    assert up.reference.name == "base.yaml"
    sc = uploads.read_upload("s.yml", b"name: x\noverrides:\n  policy.share_rate: 0.2\n")
    assert sc.kind == "scenario" and sc.overrides == {"policy.share_rate": 0.2}
    bad = uploads.read_upload("s.yml", b"name: x\noverrides:\n  policy.share_rate: 2\n")
    assert bad.kind == "invalid" and bad.problems[0].startswith("s.yml: policy.share_rate")
    other = uploads.read_upload("notes.txt", b"hello")
    assert other.kind == "invalid" and "unsupported file type" in other.problems[0]
    binary = uploads.read_upload("x.yaml", b"\xff\xfe\x00")
    assert binary.kind == "invalid" and "UTF-8" in binary.problems[0]
    sets = uploads.read_upload("set.yaml", (BASE.parent / "sets/expected_value.yaml").read_bytes())
    assert sets.kind == "invalid" and "scenario set" in sets.problems[0]


def test_an_upload_over_the_limit_is_refused_before_parsing() -> None:
    big = b"policy: [" * (uploads.MAX_UPLOAD_BYTES // 9 + 1)  # would be malformed, if read
    up = uploads.read_upload("big.yaml", big)
    assert up.kind == "invalid" and len(up.problems) == 1
    assert "over the import limit of 5 MB" in up.problems[0]
    assert "malformed" not in up.problems[0]


def test_a_yaml_bomb_is_refused_by_the_gate() -> None:
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n".encode()
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    up = uploads.read_upload("bomb.yaml", bomb)
    assert up.kind == "invalid" and up.problems[0].startswith("bomb.yaml")


def test_upload_problems_never_name_temporary_or_absolute_paths() -> None:
    up = uploads.read_upload("../../etc/odd name.yaml", b"name: x\noverrides:\n  nope.x: 1\n")
    assert up.kind == "invalid"
    assert all(p.startswith("../../etc/odd name.yaml: ") for p in up.problems)
    assert not any("/tmp" in p or str(BASE.parent) in p for p in up.problems)


def _defined(wb: object, name: str) -> object:
    sheet, cell = wb.defined_names[name].attr_text.replace("$", "").split("!")  # type: ignore[attr-defined]
    return wb[sheet.strip("'")][cell].value  # type: ignore[index]


def test_workbook_download_holds_the_what_if_and_its_reference(tmp_path: Path) -> None:
    import openpyxl

    ref = catalog().get("levy_struck_down")
    assert ref is not None
    current = {"policy.share_rate": 0.15}
    raw, whatif = state.whatif(ref, current)
    args = files.workbook_args(ref, current, raw, whatif)
    assert args[1] == (f"What-if on {ref.name}", ref.name)
    out = tmp_path / "whatif.xlsx"
    out.write_bytes(files.workbook_bytes(*args))
    wb = openpyxl.load_workbook(out, data_only=True)
    assert {"Inputs", "Summary", "Scenarios"} <= set(wb.sheetnames)
    assert _defined(wb, "policy_share_rate") == 0.15
    raw0, whatif0 = state.whatif(ref, {})
    assert files.workbook_args(ref, {}, raw0, whatif0)[1] == (f"What-if on {ref.name}",)


def test_workbook_upload_reads_the_what_if_back() -> None:
    ref = catalog().get("levy_struck_down")
    assert ref is not None
    current = {"policy.share_rate": 0.15, "products.h200.asp_usd": 31000.0}
    raw, whatif = state.whatif(ref, current)
    data = files.workbook_bytes(*files.workbook_args(ref, current, raw, whatif))
    up = uploads.read_upload("whatif.xlsx", data)
    assert up.kind == "assumptions" and up.reference is not None
    assert _without_sources(up.reference.assumptions) == _without_sources(whatif)
    assert up.reference.id == "custom" and up.reference.name == "whatif.xlsx"


def test_broken_workbook_upload_is_a_readable_problem() -> None:
    up = uploads.read_upload("edited.xlsx", b"this is not a workbook")
    assert up.kind == "invalid"
    assert up.problems and all(p.startswith("edited.xlsx") for p in up.problems)


# ---------------------------------------------------------------- chart frames

BASE_RESULTS = run([BASE_REF.assumptions], ["base"])
MONTHLY = long_frame(BASE_RESULTS.projection)


@pytest.mark.parametrize("period", list(charts.PERIODS))
def test_timeline_frame_adds_up_to_the_party_totals(period: str) -> None:
    frame = charts.party_frame(MONTHLY, period, "all", 1, "2026-10")
    t = BASE_RESULTS.totals
    t = t[t["product"] == "all"].set_index("party")["total_usd"]
    stacked = frame[frame["stacked"]]["usd"].sum()
    assert stacked == pytest.approx(t["china_gross_revenue"] + t["china_tariff"], rel=1e-12)
    assert frame[~frame["stacked"]]["usd"].sum() == pytest.approx(t["suppliers"], rel=1e-12)
    # calendar 2026 ends after the facts' date (October 2026): not reported yet
    years = period == "calendar_year"
    assert set(frame["basis"]) == (
        {charts.FORECAST} if years else {charts.REPORTED, charts.FORECAST}
    )


def test_periods_up_to_the_facts_date_are_reported() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    basis = charts.period_basis(months, "calendar_quarter", 1, "2026-06")
    assert basis == {
        "2026-Q1": "reported",
        "2026-Q2": "reported",
        "2026-Q3": "forecast",
        "2026-Q4": "forecast",
    }
    assert set(charts.period_basis(months, "month", 1, None).values()) == {"forecast"}


def test_fiscal_periods_need_one_calendar() -> None:
    calendars = {"h200": 1, "h20": 1, "mi308": 12}
    assert charts.one_calendar(calendars, "all") is None
    assert charts.one_calendar(calendars, "mi308") == 12


def test_waterfall_frame_steps_from_revenue_to_profit() -> None:
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
    cap = 600000.0
    frame = charts.stock_frame(MONTHLY, "h200", cap)
    cum = frame[frame["series"] == charts.CUMULATIVE]["value"]
    assert cum.is_monotonic_increasing
    assert set(frame["series"]) == {charts.CUMULATIVE, charts.CAP, "Inventory (end of month)"}


def test_compute_frame_adds_up_to_the_h100_equivalents() -> None:
    total = MONTHLY.loc[MONTHLY["metric"] == "compute_h100_equivalents", "value"].sum()
    frame = charts.compute_frame(MONTHLY, "calendar_year", "all", 1, "2026-10")
    assert frame["h100e"].sum() == pytest.approx(total, rel=1e-12)
    assert charts.total_compute(MONTHLY, "all") == pytest.approx(total, rel=1e-12)
    assert charts.actual_months(MONTHLY, "h200") == sorted(
        BASE_REF.assumptions.product("h200").actual_shipments or {}
    )


def test_every_chart_builder_gives_a_valid_vega_lite_spec() -> None:
    """The app draws specs without Altair's validation, so validate them here."""
    built: list[Any] = [
        *(
            charts.timeline_chart(
                charts.party_frame(MONTHLY, period, "h200", 1, as_of), "Period", as_of
            )
            for period in charts.PERIODS
            for as_of in ("2026-10", None)
        ),
        charts.waterfall_chart(
            charts.waterfall_frame([("R", 1e9, True), ("G", -2e8, False), ("V", 8e8, True)])
        ),
        charts.lines_chart(
            charts.volume_frame(MONTHLY, "h200", list(charts.FLOW_METRICS)),
            "units",
            as_of="2026-10",
            actuals=charts.actual_months(MONTHLY, "h200"),
        ),
        charts.lines_chart(charts.stock_frame(MONTHLY, "h200", 600000.0), "units"),
        charts.period_bars(
            charts.compute_frame(MONTHLY, "calendar_quarter", "all", 1, "2026-10"),
            "h100e",
            "H100-equivalents",
            "product",
            "Calendar quarter",
            "2026-10",
        ),
        charts.scenario_bars(
            pd.DataFrame({"scenario": ["a", "b"], "billions": [1.0, 2.0]}), "US government", 1.5e9
        ),
    ]
    for chart in built:
        spec = (
            alt.LayerChart.from_dict(chart).to_dict(validate=True)  # a Vega-Lite spec
            if isinstance(chart, dict)
            else chart.to_dict(validate=True)
        )
        assert spec["$schema"].startswith("https://vega.github.io")


def test_a_large_upload_is_bounded_work() -> None:
    """Just under the size limit, a YAML file of a million tiny values is refused by the
    gate's value count in a few seconds, not parsed into memory for minutes."""
    import time

    body = b"products: [" + b"0," * (uploads.MAX_UPLOAD_BYTES // 2 - 20) + b"0]\n"
    assert len(body) <= uploads.MAX_UPLOAD_BYTES
    started = time.perf_counter()
    up = uploads.read_upload("wide.yaml", body)
    assert up.kind == "invalid" and up.problems[0].startswith("wide.yaml")
    assert time.perf_counter() - started < uploads.UPLOAD_SECONDS + 5


def test_changes_are_named_for_people() -> None:
    from webapp.widgets import change_text

    text = change_text(BASE_REF, "products.h200.china_allocations", None)
    assert text.startswith("Nvidia H200 China batches: 2026-") and text.endswith("→ unlimited")
    assert change_text(BASE_REF, "vendors.AMD.tax_rate", 0.2) == "AMD tax rate: 13 % → 20 %"


def test_isolated_work_is_killed_at_its_deadline() -> None:
    import time

    from webapp.isolated import WorkFailedError, WorkTimeoutError, run_isolated

    assert run_isolated(divmod, 7, 2, timeout=30) == (3, 1)
    started = time.perf_counter()
    with pytest.raises(WorkTimeoutError):
        run_isolated(time.sleep, 30, timeout=0.5)
    assert time.perf_counter() - started < 10
    with pytest.raises(WorkFailedError, match="ZeroDivisionError"):
        run_isolated(divmod, 1, 0, timeout=30)
