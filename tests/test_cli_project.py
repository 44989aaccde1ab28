"""``project --period``: roll-ups by each product's vendor calendar, with partial periods
flagged by a ``months_in_period`` metric; the default month output stays the §5 contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from model.cli import build_parser
from model.cli.core import MONTHS_IN_PERIOD, months_in_period
from tests.conftest import BASE
from tests.golden_cli import run_cli


def projected(tmp_path: Path, *args: str) -> pd.DataFrame:
    out = tmp_path / "p.csv"
    code, _, err = run_cli(["project", str(BASE), "--csv", str(out), *args])
    assert code == 0, err
    return pd.read_csv(out, dtype={"period": str, "month": str})


def test_month_output_is_the_contract(tmp_path: Path) -> None:
    frame = projected(tmp_path)
    assert list(frame.columns) == ["month", "product", "metric", "value"]
    assert MONTHS_IN_PERIOD not in set(frame["metric"])


def test_fiscal_years_follow_each_vendor_and_flag_partial_years(tmp_path: Path) -> None:
    frame = projected(tmp_path, "--period", "fiscal_year")
    assert list(frame.columns) == ["period", "product", "metric", "value"]
    n = frame[frame["metric"] == MONTHS_IN_PERIOD].set_index(["product", "period"])["value"]
    # Nvidia closes its year in January: Jan 2026 is FY2026, Feb 2028-Dec 2028 FY2029
    assert n["h200", "FY2026"] == 1 and n["h200", "FY2027"] == 12 and n["h200", "FY2029"] == 11
    # AMD and Intel close theirs in December: three whole fiscal years
    assert n["mi308", "FY2026"] == 12 and ("mi308", "FY2029") not in n.index
    assert n.groupby(level="product").sum().eq(36).all()


def test_a_fiscal_year_sums_its_vendor_months(tmp_path: Path) -> None:
    months = projected(tmp_path)
    years = projected(tmp_path, "--period", "fiscal_year")
    rev = months[(months["product"] == "h200") & (months["metric"] == "gross_revenue_usd")]
    fy2027 = rev[(rev["month"] >= "2026-02") & (rev["month"] <= "2027-01")]["value"].sum()
    got = years[
        (years["product"] == "h200")
        & (years["period"] == "FY2027")
        & (years["metric"] == "gross_revenue_usd")
    ]["value"]
    assert got.iloc[0] == pytest.approx(fy2027, rel=1e-12)


def test_months_in_period_comes_first_in_each_period(tmp_path: Path) -> None:
    frame = projected(tmp_path, "--period", "fiscal_quarter")
    firsts = frame.groupby(["period", "product"], sort=False)["metric"].first()
    assert (firsts == MONTHS_IN_PERIOD).all()
    n = frame[frame["metric"] == MONTHS_IN_PERIOD]
    assert set(n["value"]) <= {1, 2, 3} and (n["value"] < 3).any()


def test_calendar_roll_ups_count_their_months_too(tmp_path: Path) -> None:
    frame = projected(tmp_path, "--period", "calendar_quarter")
    n = frame[frame["metric"] == MONTHS_IN_PERIOD]
    assert set(n["value"]) == {3} and n["period"].nunique() == 12


def test_months_in_period_by_calendar() -> None:
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    got = months_in_period(months, "fiscal_quarter", {"h200": 1, "mi308": 12})
    assert got.to_dict("records") == [
        {"period": "FY2026-Q4", "product": "h200", "metric": MONTHS_IN_PERIOD, "value": 1.0},
        {"period": "FY2027-Q1", "product": "h200", "metric": MONTHS_IN_PERIOD, "value": 3.0},
        {"period": "FY2026-Q1", "product": "mi308", "metric": MONTHS_IN_PERIOD, "value": 3.0},
        {"period": "FY2026-Q2", "product": "mi308", "metric": MONTHS_IN_PERIOD, "value": 1.0},
    ]


def test_help_cites_the_docs_not_an_outside_file() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    texts = [parser.format_help()] + [p.format_help() for p in sub.choices.values()]  # type: ignore[union-attr]
    assert not any("MODEL_SPEC" in t for t in texts)  # the contract is docs/methodology.md
    assert "docs/methodology.md §5" in sub.choices["project"].format_help()  # type: ignore[index]
    assert MONTHS_IN_PERIOD in sub.choices["project"].format_help()  # type: ignore[index]


@pytest.mark.parametrize("period", ["calendar_quarter", "fiscal_quarter", "fiscal_year"])
def test_roll_up_labels_each_row_by_its_products_calendar(period: str) -> None:
    from model import load, project
    from model.outputs import aggregate, fiscal_calendars, long_frame, period_labels

    p = project(load(BASE))
    frame, calendars = long_frame(p), fiscal_calendars(p)
    assert len(set(calendars.values())) > 1  # vendors with different year ends
    labels = [
        period_labels([m], period, calendars[pid])[0]
        for m, pid in zip(frame["month"], frame["product"], strict=True)
    ]
    expected = (
        frame.assign(period=labels)
        .groupby(["period", "product", "metric"], sort=False)["value"]
        .size()
    )
    got = aggregate(frame, period, calendars)
    assert set(zip(got["period"], got["product"], got["metric"], strict=True)) == set(
        expected.index
    )
