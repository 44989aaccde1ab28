"""The app in headless Chromium against ``streamlit run app.py``: a slider moved with the
keyboard changes a headline figure to the core's value, the CSV and Excel downloads
arrive and parse, and the page address reproduces the whole view (what-if, measure,
open tab, period) in a fresh browser, every headline figure the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from model.analysis import ALL, run
from model.loader import Scenario, load
from model.outputs import long_frame, to_csv_text
from webapp import fmt, kpis
from webapp.browser import (
    choose,
    kpi_text,
    kpi_texts,
    open_tab,
    press,
    radio,
    selected,
    selected_tab,
    settle,
    slider_thumb,
    wait_full_render,
    wait_idle,
    warnings,
)
from webapp.server import Server

from .conftest import BASE

pytestmark = pytest.mark.browser
LABELS = [k.label for k in kpis.KPIS]
VIEWPORT = {"width": 1500, "height": 1000}


def _us_government(share_rate: float) -> tuple[float, Any]:
    lo = load(BASE, Scenario(name="levy", overrides={"policy.share_rate": share_rate}))
    res = run([lo.assumptions], ["levy"])
    t = res.totals
    value = float(t[(t["product"] == ALL) & (t["party"] == "us_government")]["total_usd"].iloc[0])
    return value, res


def _wait_kpi(page: Any, label: str, text: str) -> None:
    page.wait_for_function(
        """([label, text]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
             .some(m => m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim()
                        === label &&
                        m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim()
                        === text)""",
        arg=[label, text],
        timeout=30000,  # correctness here; bench_app measures the speed
    )


def test_slider_kpi_and_downloads(served: Server, browser: Any, tmp_path: Path) -> None:
    at_25, _ = _us_government(0.25)
    at_23, res_23 = _us_government(0.23)
    page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
    try:
        page.goto(served.url)
        wait_full_render(page)
        assert kpi_text(page, "US government") == fmt.money(at_25)
        # 0.5 percentage points a step: 25 % -> 23 % (each step a run of the app)
        press(page, slider_thumb(page, "US levy rate"), "ArrowLeft", 4)
        _wait_kpi(page, "US government", fmt.money(at_23))
        wait_idle(page)
        assert "policy.share_rate=0.23" in page.url

        with page.expect_download() as info:
            page.get_by_test_id("stDownloadButton").filter(has_text="Monthly CSV").click()
        saved = tmp_path / "monthly.csv"
        info.value.save_as(saved)
        frame = pd.read_csv(saved)
        assert list(frame.columns) == ["month", "product", "metric", "value"]
        levy = frame.loc[frame["metric"] == "us_government_usd", "value"].sum()
        assert levy == pytest.approx(at_23, rel=1e-12)
        assert saved.read_text() == to_csv_text(long_frame(res_23.projection))

        with page.expect_download() as info:
            page.get_by_test_id("stDownloadButton").filter(has_text="Excel workbook").click()
        book = tmp_path / "whatif.xlsx"
        info.value.save_as(book)
        wb = openpyxl.load_workbook(book, data_only=True)
        sheet, cell = wb.defined_names["policy_share_rate"].attr_text.replace("$", "").split("!")
        assert wb[sheet.strip("'")][cell].value == 0.23
        assert {"Inputs", "Summary", "Scenarios"} <= set(wb.sheetnames)
        page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    finally:
        page.close()


def test_a_link_reproduces_the_whole_view_in_a_fresh_browser(served: Server, browser: Any) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(served.url)
        wait_full_render(page)
        choose(page, "Scenario", "Levy struck down")
        press(page, slider_thumb(page, "US levy rate"), "ArrowLeft", 4)  # 25 % -> 23 %
        page.get_by_test_id("stExpander").filter(has_text="Ramp (months)").first.click()
        press(page, slider_thumb(page, "Test lag (months)"), "ArrowRight", 2)
        page.get_by_test_id("stExpander").filter(has_text="Nvidia H200 (h200)").first.click()
        dates = page.get_by_test_id("stSlider").filter(has_text="China approval")
        press(page, dates.nth(1).get_by_role("slider"), "ArrowRight", 3)  # a chip's own
        radio(page, "Measure", "NPV").click()
        settle(page)
        radio(page, "Period", "Calendar quarter").click()
        settle(page)
        choose(page, "Product", "Nvidia H200 (h200)")
        open_tab(page, "Vendors")
        radio(page, "Fiscal period", "Fiscal quarter").click()
        settle(page)
        before, link = kpi_texts(page, LABELS), page.url
        assert len(before) == len(LABELS)
        for part in (
            "scenario=levy_struck_down",
            "policy.share_rate=0.23",
            "timeline.test_lag_months=3",
            "products.h200.china_approval=",
            "measure=NPV",
            "tab=Vendors",
        ):
            assert part in link, part

        fresh = browser.new_context(viewport=VIEWPORT)  # no cookies, a new session
        again = fresh.new_page()
        again.goto(link)
        settle(again)
        assert kpi_texts(again, LABELS) == before
        assert selected_tab(again) == "Vendors"
        assert not warnings(again)
        for group, name in (
            ("Measure", "NPV"),
            ("Period", "Calendar quarter"),
            ("Fiscal period", "Fiscal quarter"),
        ):
            assert radio(again, group, name).get_attribute("aria-checked") == "true", name
        assert selected(again, "Product") == "Nvidia H200 (h200)"
        assert selected(again, "Scenario") == "Levy struck down"
        fresh.close()
    finally:
        page.close()
