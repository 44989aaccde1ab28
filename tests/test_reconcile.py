"""Reconciliation: reported vendor figures against the model, per vendor fiscal quarter.

Hand cases on the tiny assumptions (ASP 100, demand 10 a month, no erosion), the
reported-file rules, and the shipped base: with actuals a fully reported quarter
matches by construction; the backtest's errors are shown.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from model.engine import Inputs, project
from model.gate import InputError
from model.loader import load
from model.reconcile import (
    COLUMNS,
    STATUS_COMPARED,
    STATUS_NOT_MODELLED,
    STATUS_OUTSIDE,
    STATUS_PARTIAL,
    STATUS_UNKNOWN_VENDOR,
    backtest_assumptions,
    compare,
    inside_bound,
    modelled_quarters,
    parse_reported,
    read_reported,
    reconcile,
)
from tests.conftest import ASSUMPTIONS, BASE
from tests.factories import tiny

HEADER = ",".join(COLUMNS)


def reported(*rows: str) -> pd.DataFrame:
    return parse_reported("\n".join([HEADER, *rows]) + "\n", "test.csv")


# ---------------------------------------------------------------- reported files


def test_a_valid_file_is_read_with_numbers() -> None:
    df = reported("Vendor,FY2027-Q1,china_dc_revenue_usd,1e9,upper,a source,a basis")
    assert df.loc[0, "value"] == 1e9
    assert df.loc[0, "bound"] == "upper"


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    with pytest.raises(InputError) as exc:
        reported(
            "Vendor,FY27-Q1,revenue,-1,about,,",
            "Vendor,FY2027-Q1,units,x,exact,a source,",
        )
    text = str(exc.value)
    for fragment in (
        "line 2.fiscal_quarter",
        "line 2.measure",
        "line 2.value",
        "line 2.bound",
        "line 2.source",
        "line 3.value",
    ):
        assert fragment in text
    assert len(exc.value.problems) == 6


def test_a_missing_column_is_named() -> None:
    with pytest.raises(InputError, match="missing column"):
        parse_reported("vendor,fiscal_quarter,measure,value\n", "short.csv")


def test_a_figure_given_twice_is_refused() -> None:
    with pytest.raises(InputError, match="already given on line 2"):
        reported(
            "Vendor,FY2027-Q1,units,1,exact,a,",
            "Vendor,FY2027-Q1,units,2,exact,b,",
        )


def test_a_missing_folder_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        read_reported(tmp_path / "nowhere")


def test_the_shipped_reported_files_are_valid() -> None:
    df = read_reported(ASSUMPTIONS / "reported")
    assert {"Nvidia", "AMD"} <= set(df["vendor"])
    q1 = df[(df["vendor"] == "Nvidia") & (df["fiscal_quarter"] == "FY2027-Q1")]
    assert (q1["value"] == 0).all(), "Nvidia reported no Hopper shipments to China in Q1 FY27"


# ---------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    ("reported_value", "modelled", "bound", "inside"),
    [
        pytest.param(100e6, 101e6, "exact", True, id="exact-within-2pct"),
        pytest.param(100e6, 103e6, "exact", False, id="exact-beyond-2pct"),
        pytest.param(0.0, 0.5, "exact", True, id="exact-zero-within-one"),
        pytest.param(0.0, 5.0, "exact", False, id="exact-zero-missed"),
        pytest.param(0.89e9, 0.54e9, "upper", True, id="upper-below"),
        pytest.param(0.89e9, 0.95e9, "upper", False, id="upper-above"),
        pytest.param(10.0, 12.0, "lower", True, id="lower-above"),
        pytest.param(10.0, 5.0, "lower", False, id="lower-below"),
    ],
)
def test_inside_bound(reported_value: float, modelled: float, bound: str, inside: bool) -> None:
    assert inside_bound(reported_value, modelled, bound) is inside


# ---------------------------------------------------------------- roll-up by fiscal calendar


def test_quarters_follow_the_vendors_fiscal_calendar() -> None:
    """Six months Jan-Jun 2026, 10 units a month at 100: a January year end puts Jan in
    FY2026-Q4 (1 month) and Feb-Apr in FY2027-Q1; a December year end gives calendar
    quarters FY2026-Q1 and FY2026-Q2."""
    jan = modelled_quarters(project(Inputs.from_assumptions([tiny()])))
    assert list(jan["fiscal_quarter"]) == ["FY2026-Q4", "FY2027-Q1", "FY2027-Q2"]
    assert list(jan["months_in_horizon"]) == [1, 3, 2]
    assert list(jan["units"]) == pytest.approx([10, 30, 20])
    assert list(jan["china_dc_revenue_usd"]) == pytest.approx([1000, 3000, 2000])
    dec = modelled_quarters(
        project(Inputs.from_assumptions([tiny(**{"vendors.Vendor.fiscal_year_end_month": 12})]))
    )
    assert list(dec["fiscal_quarter"]) == ["FY2026-Q1", "FY2026-Q2"]
    assert list(dec["china_dc_revenue_usd"]) == pytest.approx([3000, 3000])


def test_a_quarter_is_the_reports_own_only_where_every_month_is_reported() -> None:
    a = tiny(
        **{
            "horizon.as_of": "2026-04",
            "products.chip.actual_shipments": {"2026-02": 0, "2026-03": 4, "2026-04": 7},
        }
    )
    q = modelled_quarters(project(Inputs.from_assumptions([a]))).set_index("fiscal_quarter")
    assert bool(q.loc["FY2027-Q1", "all_reported"])
    assert q.loc["FY2027-Q1", "units"] == pytest.approx(11)
    assert not bool(q.loc["FY2027-Q2", "all_reported"])


def test_compare_statuses_and_difference() -> None:
    model = modelled_quarters(project(Inputs.from_assumptions([tiny()])))
    rep = reported(
        "Vendor,FY2027-Q1,china_dc_revenue_usd,3500,upper,s,",
        "Vendor,FY2027-Q1,inventory_charge_usd,10,exact,s,",
        "Vendor,FY2026-Q4,units,10,exact,s,",
        "Vendor,FY2030-Q1,units,1,exact,s,",
        "Other,FY2027-Q1,units,1,exact,s,",
    )
    out = compare(rep, model, "with-actuals").set_index(["measure", "fiscal_quarter", "vendor"])
    row = out.loc[("china_dc_revenue_usd", "FY2027-Q1", "Vendor")]
    assert row["status"] == STATUS_COMPARED
    assert row["difference"] == pytest.approx(3000 - 3500)
    assert row["inside_bound"] is True
    assert out.loc[("inventory_charge_usd", "FY2027-Q1", "Vendor"), "status"] == STATUS_NOT_MODELLED
    assert out.loc[("units", "FY2026-Q4", "Vendor"), "status"] == STATUS_PARTIAL
    assert out.loc[("units", "FY2030-Q1", "Vendor"), "status"] == STATUS_OUTSIDE
    assert out.loc[("units", "FY2027-Q1", "Other"), "status"] == STATUS_UNKNOWN_VENDOR
    assert math.isnan(out.loc[("units", "FY2030-Q1", "Vendor"), "difference"])


# ---------------------------------------------------------------- backtest


def test_backtest_strips_actuals_and_later_batches_only() -> None:
    a = tiny(
        **{
            "horizon.as_of": "2026-03",
            "products.chip.actual_shipments": {"2026-02": 3},
            "products.chip.china_allocations": [
                {"month": "2025-11", "units": 5},
                {"month": "2026-03", "units": 50},
            ],
        }
    )
    b = backtest_assumptions(a)
    p = b.products[0]
    assert p.actual_shipments is None
    assert [(x.month, x.units) for x in p.china_allocations] == [("2025-11", 5)]
    assert (b.timeline, b.policy, p.asp_usd) == (a.timeline, a.policy, a.products[0].asp_usd)


def test_backtest_leaves_china_unlimited_when_no_batch_was_known() -> None:
    a = tiny(**{"products.chip.china_allocations": [{"month": "2026-04", "units": 1}]})
    assert backtest_assumptions(a).products[0].china_allocations is None


# ---------------------------------------------------------------- the shipped base


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return reconcile(load(BASE).assumptions, read_reported(ASSUMPTIONS / "reported"))


def test_with_actuals_a_fully_reported_quarter_matches_by_construction(shipped) -> None:
    """Where every month of the vendor's products is reported (or cannot ship), the
    model's figure is the reports' own: it lies inside every bound."""
    rows = shipped[(shipped["mode"] == "with-actuals") & shipped["all_reported"]]
    assert len(rows) >= 2, "Nvidia's Q1 FY27 should be fully reported"
    assert rows["inside_bound"].all()


def test_with_actuals_revenue_is_the_reported_units_times_the_price() -> None:
    """Nvidia FY2027-Q2 (May-Jul 2026): the H200's 20,000 units of July at the model's
    July price, plus the H20's modelled months (no H20 actual after April)."""
    lo = load(BASE)
    proj = project(Inputs.from_assumptions([lo.assumptions]))
    q = modelled_quarters(proj).set_index(["vendor", "fiscal_quarter"])
    months = slice(4, 7)  # May, Jun, Jul 2026
    expected = float((proj.volumes.shipments[0][:2, months] * proj.money.asp[0][:2, months]).sum())
    h200_july = 20000 * 27000 * (1 - 0.15) ** (6 / 12)
    assert q.loc[("Nvidia", "FY2027-Q2"), "china_dc_revenue_usd"] == pytest.approx(expected)
    assert float(proj.money.gross[0, 0, 6]) == pytest.approx(h200_july)


def test_with_actuals_every_compared_figure_is_inside_its_bound(shipped) -> None:
    rows = shipped[(shipped["mode"] == "with-actuals") & (shipped["status"] == STATUS_COMPARED)]
    bad = rows[~rows["inside_bound"].astype(bool)]
    assert bad.empty, bad[["vendor", "fiscal_quarter", "measure", "reported", "modelled"]]


def test_the_backtest_shows_its_errors(shipped) -> None:
    """Without the actuals the model does not know Q1 FY27 saw no Hopper shipments: the
    error is in the table, not hidden."""
    back = shipped[(shipped["mode"] == "backtest") & (shipped["status"] == STATUS_COMPARED)]
    with_actuals = shipped[
        (shipped["mode"] == "with-actuals") & (shipped["status"] == STATUS_COMPARED)
    ]
    assert len(back) == len(with_actuals)
    assert np.isfinite(back["difference"]).all()
    q1 = back[(back["vendor"] == "Nvidia") & (back["fiscal_quarter"] == "FY2027-Q1")]
    assert (q1["difference"] > 0).all()


# ---------------------------------------------------------------- command line


def test_reconcile_command_writes_the_comparison(tmp_path, capsys) -> None:
    from model.cli import main

    out = tmp_path / "rec.csv"
    assert main(["reconcile", str(BASE), "--mode", "both", "--csv", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("mode,vendor,fiscal_quarter,measure,bound,reported,modelled")
    assert any(line.startswith("backtest,Nvidia,FY2027-Q1") for line in lines)
    assert "Reported vs modelled" in capsys.readouterr().out


def test_reconcile_command_with_bad_reported_files_writes_nothing(tmp_path, capsys) -> None:
    from model.cli import main

    folder = tmp_path / "reported"
    folder.mkdir()
    (folder / "bad.csv").write_text(HEADER + "\nNvidia,FY2027-Q1,units,-3,exact,,\n")
    out = tmp_path / "rec.csv"
    code = main(["reconcile", str(BASE), "--reported", str(folder), "--csv", str(out)])
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "bad.csv: line 2.value" in err and "line 2.source" in err
