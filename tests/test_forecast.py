"""Forecast: the shipped history loads and matches its sources, bad files are refused
with every problem, ETS recovers a synthetic trend within its interval, and the
scenario overlay is the core's revenue summed by fiscal quarter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model import project
from model.calendar import fiscal_quarter
from model.cli import main
from model.loader import InputError, load
from model.risk.forecast import (
    CANDIDATES,
    backtest,
    chart_frame,
    default_quarters,
    fit_forecast,
    load_history,
    parse_history,
    projected_revenue,
    quarter_label,
    quarter_ordinal,
)

from .conftest import ASSUMPTIONS, BASE

HISTORY = ASSUMPTIONS / "history" / "nvidia_china_revenue.csv"
# The quarterly series as the project's domain notes give it (opencapital.sh), $ billions;
# starred quarters conflict with other reports.
SERIES = {
    2022: (1.39, 1.72, 2.02, 1.98),
    2023: (2.08, 1.60, 1.15, 0.954),
    2024: (1.59, 2.74, 4.03, 3.97),
    2025: (2.49, 3.67, 8.14, 7.82),
    2026: (9.66, 2.77, 2.97, 3.06),
    2027: (4.55,),
}
STARRED = {"FY2024-Q4", "FY2025-Q3", "FY2025-Q4", "FY2026-Q1"}


def synthetic(
    n: int = 40, level: float = 5.0, slope: float = 0.4, sd: float = 0.2, seed: int = 3
) -> pd.DataFrame:
    noise = np.random.default_rng(seed).normal(0.0, sd, n)
    first = quarter_ordinal("FY2015-Q1")
    return pd.DataFrame(
        {
            "fiscal_quarter": [quarter_label(first + i) for i in range(n)],
            "revenue_usd_billions": level + slope * np.arange(n) + noise,
            "verified": True,
            "source": "synthetic",
            "note": "",
        }
    )


# ---------------------------------------------------------------- the shipped history


def test_shipped_history_loads_and_matches_the_series() -> None:
    h = load_history(HISTORY)
    expected = {f"FY{y}-Q{q + 1}": v for y, vals in SERIES.items() for q, v in enumerate(vals)}
    assert list(h["fiscal_quarter"]) == list(expected)
    assert h["revenue_usd_billions"].tolist() == list(expected.values())
    assert set(h.loc[~h["verified"], "fiscal_quarter"]) == STARRED
    assert (h["source"].str.len() > 10).all()
    assert (h.loc[~h["verified"], "note"].str.len() > 10).all(), "conflicts must be noted"


def test_fiscal_year_2022_adds_up_to_the_annual_report() -> None:
    h = load_history(HISTORY)
    fy22 = h[h["fiscal_quarter"].str.startswith("FY2022")]["revenue_usd_billions"].sum()
    assert fy22 == pytest.approx(7.1, abs=0.05)  # Nvidia 10-K: $7.1B for FY2022


def test_history_labels_are_the_calendar_modules_fiscal_quarters() -> None:
    # FY2027-Q1 is February to April 2026 with a January year end (Nvidia)
    assert {fiscal_quarter(m, 1) for m in ("2026-02", "2026-03", "2026-04")} == {"FY2027-Q1"}


@given(st.integers(4 * 2000, 4 * 2100))
def test_quarter_labels_round_trip(ordinal: int) -> None:
    assert quarter_ordinal(quarter_label(ordinal)) == ordinal


# ---------------------------------------------------------------- bad files


def test_bad_history_reports_every_problem() -> None:
    text = (
        "fiscal_quarter,revenue_usd_billions,verified,source\n"
        "FY2022-Q1,1.0,true,a\n"
        "2022 Q2,1.1,true,a\n"
        "FY2022-Q3,-1,true,a\n"
        "FY2022-Q4,1.3,maybe,a\n"
        "FY2023-Q1,1.4,true,\n"
    )
    with pytest.raises(InputError) as exc:
        parse_history(text, "mine.csv")
    msgs = [str(p) for p in exc.value.problems]
    assert msgs == [
        "mine.csv: line 3.fiscal_quarter: must be a fiscal quarter written FYyyyy-Qn "
        "(for example FY2027-Q1) (got '2022 Q2')",
        "mine.csv: line 4.revenue_usd_billions: must be a number >= 0 (got '-1')",
        "mine.csv: line 5.verified: must be true or false (got 'maybe')",
        "mine.csv: line 6.source: must name where the figure comes from",
    ]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda df: df.drop(columns="verified"), "missing column(s) verified"),
        (lambda df: df.drop(index=5), "quarters missing from the series: FY2016-Q2"),
        (lambda df: pd.concat([df, df.iloc[[3]]]), "quarters repeated: FY2015-Q4"),
        (lambda df: df.head(5), "needs at least 8 quarters"),
    ],
    ids=["missing-column", "gap", "duplicate", "too-short"],
)
def test_bad_history_structure(edit: object, message: str) -> None:
    df = edit(synthetic(12))  # type: ignore[operator]
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_history(df.to_csv(index=False), "mine.csv")


def test_history_path_that_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.csv: file not found"):
        load_history(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is not a regular file"):
        load_history(tmp_path)


def test_rows_in_any_order_are_sorted() -> None:
    df = synthetic(12)
    h = parse_history(df.iloc[::-1].to_csv(index=False))
    assert list(h["fiscal_quarter"]) == list(df["fiscal_quarter"])


# ---------------------------------------------------------------- the model


def test_forecast_recovers_a_synthetic_trend_within_its_interval() -> None:
    df = synthetic()
    fc = fit_forecast(df, 8, level=0.90)
    t = np.arange(40, 48)
    truth = 5.0 + 0.4 * t
    assert ((fc.forecast["lower"] <= truth) & (truth <= fc.forecast["upper"])).all()
    slope = np.polyfit(t, fc.forecast["forecast"], 1)[0]
    assert slope == pytest.approx(0.4, abs=0.08)
    assert "A" in fc.model.split("(")[1].split(",")[1]  # a trend model was chosen
    widths = (fc.forecast["upper"] - fc.forecast["lower"]).to_numpy()
    assert (np.diff(widths) > 0).all()  # uncertainty grows with the horizon


def test_no_trend_is_chosen_for_a_flat_series() -> None:
    df = synthetic(slope=0.0, sd=0.3)
    fc = fit_forecast(df, 4)
    assert fc.model.endswith("(A,N,N)")
    assert fc.forecast["forecast"].mean() == pytest.approx(5.0, abs=0.3)


def test_lowest_aicc_wins_and_log_models_are_on_the_revenue_scale() -> None:
    fc = fit_forecast(load_history(HISTORY), 4)
    table = fc.candidates.set_index("model")
    assert len(table) == len(CANDIDATES)
    assert fc.model == table[table["converged"]]["aicc"].idxmin()
    assert set(fc.diagnostics) >= {"ljung_box_4_p", "ljung_box_8_p", "jarque_bera_p"}
    assert 0 <= fc.diagnostics["ljung_box_4_p"] <= 1


def test_log_models_are_skipped_when_revenue_is_zero() -> None:
    df = synthetic(20)
    df.loc[3, "revenue_usd_billions"] = 0.0
    fc = fit_forecast(df, 4)
    assert not fc.candidates["model"].str.startswith("log").any()


def test_backtest_scores_the_held_out_quarters() -> None:
    df = synthetic()
    bt = backtest(df, holdout=4)
    # on a trending series the trend model beats carrying the last value forward
    # (naive error ~ slope x 2.5 quarters = 1.0 on average)
    assert bt["mae"] < bt["naive_mae"] / 2
    fc = fit_forecast(df.iloc[:-4], 4).forecast
    actual = df["revenue_usd_billions"].to_numpy()[-4:]
    inside = (fc["lower"].to_numpy() <= actual) & (actual <= fc["upper"].to_numpy())
    assert bt["coverage"] == inside.mean() and bt["model"] == "ETS(A,A,N)"


# ---------------------------------------------------------------- the scenario overlay


def test_projection_is_the_cores_revenue_by_fiscal_quarter() -> None:
    a = load(BASE).assumptions
    p = projected_revenue(a, "Nvidia").set_index("fiscal_quarter")
    proj = project(a)
    nvidia = [j for j, prod in enumerate(a.products) if prod.vendor == "Nvidia"]
    monthly = proj.money.gross[0, nvidia, :].sum(axis=0)
    # FY2028-Q1 = February to April 2027 = months 13, 14, 15 from January 2026
    assert p.loc["FY2028-Q1", "projected_usd_billions"] == pytest.approx(
        monthly[13:16].sum() / 1e9, rel=1e-12
    )
    assert p.loc["FY2026-Q4", "months"] == 1 and not p.loc["FY2026-Q4", "complete"]
    assert p["projected_usd_billions"].sum() == pytest.approx(monthly.sum() / 1e9, rel=1e-12)


def test_projection_needs_a_known_vendor() -> None:
    with pytest.raises(InputError, match="choose one of AMD, Intel, Nvidia"):
        projected_revenue(load(BASE).assumptions, "Huawei")


def test_chart_frame_puts_everything_on_one_axis() -> None:
    a = load(BASE).assumptions
    h = load_history(HISTORY)
    proj = projected_revenue(a)
    fc = fit_forecast(h, default_quarters(h, proj))
    frame = chart_frame(fc, proj)
    assert frame["fiscal_quarter"].is_unique
    assert frame["fiscal_quarter"].iloc[-1] == proj[proj["complete"]]["fiscal_quarter"].iloc[-1]
    assert frame["actual"].notna().sum() == len(h)


def test_forecast_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    js, csv = tmp_path / "f.json", tmp_path / "f.csv"
    code = main(
        [
            "forecast",
            str(BASE),
            "--json",
            str(js),
            "--csv",
            str(csv),
            "--quarters",
            "6",
            "--width",
            "200",
        ]
    )
    assert code == 0
    data = json.loads(js.read_text())
    assert len(data["forecast"]) == 6 and data["vendor"] == "Nvidia"
    assert "ljung_box_4_p" in data["diagnostics"]
    table = pd.read_csv(csv)
    assert {"actual", "forecast", "lower", "upper", "projected_usd_billions"} <= set(table)
    assert "lowest AICc" in capsys.readouterr().out


def test_forecast_command_with_a_bad_history_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("fiscal_quarter,revenue_usd_billions\nFY2022-Q1,1\n")
    out = tmp_path / "f.json"
    code = main(["forecast", str(BASE), "--history", str(bad), "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "missing column(s) verified, source" in err
    assert "Traceback" not in err and not out.exists()


def test_forecast_command_reports_every_bad_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "f.csv"
    code = main(["forecast", str(BASE), "--level", "1.5", "--quarters", "0", "--csv", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "--level: must be between 0 and 1" in err
    assert "--quarters: must be between 1 and 40" in err
