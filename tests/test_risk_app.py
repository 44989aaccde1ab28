"""The Risk and Forecast tabs under Streamlit's AppTest, their table <-> risk-file
conversions, and the workbook's Risk sheet written and read back."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import yaml
from streamlit.testing.v1 import AppTest

from model.loader import InputError, load
from model.risk import load_risk, simulate, tornado, validate_risk
from reports.risk_sheet import LABEL, PERCENTILE_HEADERS, SHEET, risk_sheet_writer
from webapp import fmt, risk_view
from webapp.risk_tab import correlation_rows, distribution_rows, raw_from_rows

from .conftest import ASSUMPTIONS, BASE

RISK = ASSUMPTIONS / "risk.yaml"
HISTORY = ASSUMPTIONS / "history" / "nvidia_china_revenue.csv"


def tabs_app(base: str, risk_file: str, history_file: str) -> None:
    """The two tabs as the app will call them (the script AppTest runs)."""
    from pathlib import Path

    from model.loader import load
    from webapp import forecast_tab, risk_tab

    risk_tab.RISK_FILE = Path(risk_file)  # always set: the module outlives one test
    forecast_tab.HISTORY_FILE = Path(history_file)
    a = load(base).assumptions
    risk_tab.render(a, "base")
    forecast_tab.render(a)


def start(**kwargs: Any) -> AppTest:
    files = {"base": str(BASE), "risk_file": str(RISK), "history_file": str(HISTORY)} | kwargs
    at = AppTest.from_function(tabs_app, kwargs=files, default_timeout=60)
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[Any]:
    return list(at.get("vega_lite_chart"))


def test_tabs_render_and_wait_for_a_run() -> None:
    at = ok(start())
    assert not at.error
    assert "run the simulation" in at.info[0].value
    assert len(charts(at)) == 1  # the forecast chart; the risk charts come after a run


def test_run_shows_the_simulation_of_the_core() -> None:
    at = ok(start())
    at.select_slider(key="risk_paths").set_value(1000)
    at.number_input(key="risk_seed").set_value(4)
    ok(at.button(key="risk_run").click().run())
    a = load(BASE).assumptions
    sim = simulate(a, load_risk(RISK, a), 1000, 4)
    mean = sim.values("vendor_gross_profit").mean()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Mean Vendor gross profit"] == fmt.money(mean)
    # over the whole horizon the chips already sold: the chance after the facts is shown
    assert metrics["No China revenue after Oct 2026"] == fmt.pct(sim.p_no_future_revenue)
    by_chip = at.table[0].value.set_index("Product")
    none = sim.p_no_future_revenue_by_product()
    for p in a.products:
        assert by_chip.loc[p.name, "No China revenue after Oct 2026"] == fmt.pct(none[p.id])
    table = at.table[1].value  # the percentile table
    p50 = sim.summary().set_index(["party", "measure"]).loc[("us_government", "total"), "p50"]
    assert fmt.money(p50) in table["Median"].tolist()
    regression = at.table[2].value
    assert "products.*.asp_change_per_year" not in set(regression["Input"])
    assert "All chips: price change per year" in set(regression["Input"])
    assert set(regression.columns) == {"Input", "Standardised effect", "p-value"}
    assert len(charts(at)) == 5  # histogram, fan, tornado, next shipment, forecast
    # changing an input marks the results stale instead of showing old numbers
    at.number_input(key="risk_seed").set_value(5)
    ok(at.run())
    assert "run the simulation again" in at.warning[0].value
    assert not at.metric


def test_npv_and_another_party() -> None:
    at = ok(start())
    at.select_slider(key="risk_paths").set_value(1000)
    at.selectbox(key="risk_output").set_value("us_government")
    at.radio(key="risk_measure").set_value("npv")
    ok(at.button(key="risk_run").click().run())
    assert "Mean US government NPV" in [m.label for m in at.metric]


def test_a_bad_risk_file_is_reported_not_raised(tmp_path: Path) -> None:
    raw = yaml.safe_load(RISK.read_text())
    buyers = raw["distributions"]["products.h200.china_allocations.buyers"]
    buyers["probabilities"] = [0.9, 0.05, 0.10]
    bad = tmp_path / "risk.yaml"
    bad.write_text(yaml.safe_dump(raw))
    at = ok(start(risk_file=str(bad)))
    assert "probabilities must sum to 1" in at.error[0].value
    assert not at.button


def test_a_bad_history_is_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "history.csv"
    bad.write_text("fiscal_quarter,revenue_usd_billions,verified,source\nFY2022-Q1,x,true,a\n")
    at = ok(start(history_file=str(bad)))
    assert "must be a number" in at.error[0].value


# ---------------------------------------------------------------- editable tables


def test_tables_round_trip_to_the_same_risk_spec() -> None:
    a = load(BASE).assumptions
    raw = yaml.safe_load(RISK.read_text())
    back = raw_from_rows(
        raw["name"], raw["description"], distribution_rows(raw), correlation_rows(raw)
    )
    original, edited = load_risk(RISK, a), validate_risk(back, a)
    assert edited.paths == original.paths
    assert np.array_equal(edited.correlation, original.correlation)
    u = np.linspace(0, 1, 11)
    for m, n in zip(original.marginals, edited.marginals, strict=True):
        assert (m.apply, m.shape, m.source) == (n.apply, n.shape, n.source)
        assert np.array_equal(m.ppf(u), n.ppf(u))


def test_an_edit_that_breaks_the_schema_is_reported_by_it() -> None:
    a = load(BASE).assumptions
    raw = yaml.safe_load(RISK.read_text())
    rows = distribution_rows(raw)
    rows.loc[rows["parameter"] == "demand.erosion_per_month", "values"] = "0.1, 0.2"
    edited = raw_from_rows("x", "", rows, correlation_rows(raw))
    with pytest.raises(InputError, match=r"erosion_per_month\.values: unknown key"):
        validate_risk(edited, a, "risk table")


def test_a_parameter_twice_in_the_table_is_refused() -> None:
    raw = yaml.safe_load(RISK.read_text())
    rows = distribution_rows(raw)
    rows = pd.concat([rows, rows.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="two rows"):
        raw_from_rows("x", "", rows, correlation_rows(raw))


# ---------------------------------------------------------------- the workbook sheet


def test_risk_sheet_holds_the_simulation_as_labelled_values() -> None:
    a = load(BASE).assumptions
    spec = load_risk(RISK, a)
    sim = simulate(a, spec, 1000, seed=2)
    tor = tornado(a, "vendor_gross_profit", spec=spec)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    shared = {"header": wb.add_format({"bold": True})}  # the others fall back
    risk_sheet_writer(sim, tor)(wb, shared)
    wb.close()
    ws = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))[SHEET]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert LABEL in cells[0][0]
    header = next(
        i for i, r in enumerate(cells) if tuple(r[: len(PERCENTILE_HEADERS)]) == PERCENTILE_HEADERS
    )
    first = cells[header + 1]
    s = sim.summary().set_index(["party", "measure"]).loc[("china_gross_revenue", "total")]
    assert first[:2] == ["China gross revenue", "Total"]
    assert first[2:9] == pytest.approx(
        [s["p5"], s["p10"], s["p50"], s["p90"], s["p95"], s["mean"], s["se"]]
    )
    assert not any(isinstance(v, str) and v.startswith("=") for r in cells for v in r)
    tornado_at = next(
        i for i, r in enumerate(cells) if isinstance(r[0], str) and r[0].startswith("Tornado")
    )
    assert LABEL in cells[tornado_at][0]
    assert cells[tornado_at + 3][0] == tor.table["parameter"][0]
    assert cells[tornado_at + 3][5] == pytest.approx(tor.table["swing"][0])
    facts = {r[0]: r[1] for r in cells[3:9]}
    assert facts["Paths"] == 1000 and facts["Seed"] == 2
    assert facts["Probability of no China revenue"] == pytest.approx(sim.p_no_revenue)


def test_export_adds_the_risk_sheet(tmp_path: Path) -> None:
    from model.cli import main

    out = tmp_path / "model.xlsx"
    assert (
        main(
            [
                "export",
                str(BASE),
                "--xlsx",
                str(out),
                "--risk",
                str(RISK),
                "--paths",
                "500",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    wb = openpyxl.load_workbook(out)
    assert SHEET in wb.sheetnames
    ws = wb[SHEET]
    assert LABEL in ws["A1"].value
    facts = {r[0].value: r[1].value for r in ws.iter_rows(min_row=4, max_row=9)}
    assert facts["Paths"] == 500 and facts["Seed"] == 3


def test_export_with_a_bad_risk_file_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from model.cli import main

    out = tmp_path / "model.xlsx"
    assert (
        main(["export", str(BASE), "--xlsx", str(out), "--risk", str(tmp_path / "missing.yaml")])
        == 2
    )
    assert "file not found" in capsys.readouterr().err and not out.exists()


def test_charts_are_valid_vega_lite() -> None:
    """Altair validates each chart against the Vega-Lite schema when it is serialised."""
    from model.risk.forecast import chart_frame, fit_forecast, load_history, projected_revenue
    from webapp import forecast_tab

    a = load(BASE).assumptions
    spec = load_risk(RISK, a)
    sim = simulate(a, spec, 1000, seed=1)
    values = sim.values("us_government")
    hist = risk_view.histogram_frame(values)
    assert hist["share"].sum() == pytest.approx(1.0)
    assert hist["start"].iloc[0] == pytest.approx(values.min() / 1e9)
    specs = [
        risk_view.histogram_chart(hist, "US government"),
        risk_view.fan_chart(sim.bands("us_government"), "US government"),
        risk_view.tornado_chart(
            risk_view.tornado_frame(tornado(a, "us_government", spec=spec), a), "x"
        ),
    ]
    h = load_history(HISTORY)
    frame = chart_frame(fit_forecast(h, 4), projected_revenue(a))
    specs.append(forecast_tab.forecast_chart(frame, "Nvidia"))
    for chart in specs:
        assert chart.to_dict(validate=True)


def test_a_history_over_the_upload_limit_is_refused_before_reading() -> None:
    from webapp.uploads import MAX_UPLOAD_BYTES

    at = ok(start())
    assert any("5 MB" in c.value for c in at.caption)
    big = b"fiscal_quarter,revenue_usd_billions,verified,source\n" + b"x" * MAX_UPLOAD_BYTES
    at.file_uploader(key="forecast_upload").set_value(("big.csv", big, "text/csv"))
    ok(at.run())
    assert "over the import limit of 5 MB" in at.error[0].value
