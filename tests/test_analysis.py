"""Summaries: totals, NPV, stranded inventory, cost of delay, expected value and
calendar roll-ups, on hand-checked tiny cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis import ALL, cost_of_delay, expected_value, run
from model.engine import Inputs, project, with_reference_licence
from model.loader import InputError
from model.outputs import aggregate, long_frame, to_csv_text
from tests.factories import tiny


def row(frame: pd.DataFrame, **match: object) -> pd.Series:
    sel = frame
    for k, v in match.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, match
    return sel.iloc[0]


def test_totals_npv_and_stranded_inventory() -> None:
    a = tiny(discount_rate=0.12, policy__test_fee_usd_per_unit=2.0)
    res = run([a], ["s"])
    # 6 months x R = 1000; G = 250; L = 20
    assert row(res.totals, product="chip", party="china_gross_revenue").total_usd == 6000
    assert row(res.totals, product=ALL, party="us_government").total_usd == 1500
    npv = sum(250 * 1.12 ** (-(t + 1) / 12) for t in range(6))
    assert row(res.totals, product="chip", party="us_government").npv_usd == pytest.approx(npv)
    inv = row(res.inventory, product="chip")
    assert inv.ending_inventory_units == 1000 - 60
    assert inv.stranded_inventory_usd == 940 * 40


def test_cost_of_delay_hand_case() -> None:
    # Licence in force in month 2 (d = 2); reference ships 10/month for 6 months,
    # the scenario for 4: cost = 2 months x 1000 of gross revenue; 1000 per month of delay.
    a = tiny(timeline__china_approval="2026-03")
    ref = with_reference_licence(Inputs.from_assumptions([a]))
    assert ref.us_approval.tolist() == ref.china_approval.tolist() == [[0.0]]
    cod = cost_of_delay([a], ["late"])
    gross = row(cod, product="chip", party="china_gross_revenue")
    assert gross.delay_months == 2
    assert gross.total_usd == 2000 and gross.total_per_month_usd == 1000
    assert row(cod, product=ALL, party="us_government").total_usd == 500


def test_cost_per_month_undefined_without_delay_or_licence() -> None:
    cod = cost_of_delay([tiny(), tiny(timeline__us_approval="never")], ["now", "never"])
    now = row(cod, scenario="now", product=ALL, party="vendor_retained")
    assert now.total_usd == 0 and np.isnan(now.total_per_month_usd)
    never = row(cod, scenario="never", product=ALL, party="china_gross_revenue")
    assert never.total_usd == 6000 and np.isnan(never.total_per_month_usd)
    assert never.delay_months == np.inf


def test_expected_value_is_probability_weighted() -> None:
    res = run([tiny(), tiny(timeline__us_approval="never")], ["a", "b"])
    ev = expected_value(res.totals, {"a": 0.25, "b": 0.75})
    assert row(ev, product=ALL, party="china_gross_revenue").total_usd == pytest.approx(1500)


def test_expected_value_rejects_bad_probabilities() -> None:
    res = run([tiny()], ["a"])
    with pytest.raises(InputError, match="sum to 1"):
        expected_value(res.totals, {"a": 0.9})


def test_fiscal_quarter_rollup() -> None:
    # Jan..Jun 2026 with a January year end: Jan = FY2026-Q4, Feb-Apr = FY2027-Q1, May-Jun Q2
    frame = long_frame(project(Inputs.from_assumptions([tiny()])))
    fq = aggregate(frame, "fiscal_quarter", 1)
    gross = fq[fq.metric == "gross_revenue_usd"].set_index("period")["value"]
    assert gross.to_dict() == {"FY2026-Q4": 1000, "FY2027-Q1": 3000, "FY2027-Q2": 2000}
    inv = fq[fq.metric == "inventory_units"].set_index("period")["value"]
    assert inv["FY2027-Q1"] == 1000 - 40  # end of April: last month of the quarter
    cq = aggregate(frame, "calendar_quarter", 1)
    assert cq[cq.metric == "gross_revenue_usd"]["value"].tolist() == [3000, 3000]


def test_csv_values_are_plain_decimals() -> None:
    frame = pd.DataFrame(
        {
            "month": ["2026-01"] * 3,
            "product": ["p"] * 3,
            "metric": ["m"] * 3,
            "value": [1e-7, 123456789012.5, -0.0],
        }
    )
    assert to_csv_text(frame).splitlines()[1:] == [
        "2026-01,p,m,0.0000001",
        "2026-01,p,m,123456789012.5",
        "2026-01,p,m,0",
    ]


def test_fast_decimal_formatting_equals_the_reference_digits() -> None:
    """format_value's fast path (repr) gives the same shortest digits as numpy's
    positional formatting, on random magnitudes across its range and at its edges."""
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.uniform(-1, 1, 20_000) * 10.0 ** rng.integers(-6, 18, 20_000),
            [1e-4, -1e-4, 9.999e15, 1e16, 0.1, 123.0, -0.0, 5e-324, 1.7976931348623157e308],
        ]
    )
    expected = ["0" if v == 0 else np.format_float_positional(v, trim="-") for v in values]
    got = to_csv_text(pd.DataFrame({"v": values})).splitlines()[1:]
    assert got == expected  # a whole column, as the writer meets it
    for v, want in zip(values[-9:], expected[-9:], strict=True):  # and the edges, each alone
        assert to_csv_text(pd.DataFrame({"v": [v]})).splitlines()[1] == want, v


def test_csv_writer_equals_the_standard_library_writer() -> None:
    import csv
    import io

    frame = pd.DataFrame(
        {
            "scenario": ["a, b", 'say "x"', "=HYPERLINK(1)", "plain"],
            "product": ["p", "p", "p", "q"],
            "value": [1.5, np.nan, -2.0, 1e-7],
        }
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows(
        [["a, b", "p", "1.5"], ['say "x"', "p", ""], ["'=HYPERLINK(1)", "p", "-2"],
         ["plain", "q", "0.0000001"]]
    )  # fmt: skip
    assert to_csv_text(frame) == buffer.getvalue()
