"""The app in headless Chromium against ``streamlit run app.py``: it loads, a slider moved
with the keyboard changes a headline figure to the core's value, the link restores the
what-if, and the CSV and Excel downloads arrive and parse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from model.analysis import ALL, run
from model.loader import Scenario, load
from model.outputs import long_frame, to_csv_text
from webapp import fmt
from webapp.browser import kpi_text, launch, slider_thumb, wait_full_render, wait_idle
from webapp.server import streamlit_server

from .conftest import BASE

pytestmark = pytest.mark.browser


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
        timeout=15000,
    )


def test_slider_kpi_link_and_download(chromium: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    at_25, _ = _us_government(0.25)
    at_15, res_15 = _us_government(0.15)
    with streamlit_server() as server, sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
            page.goto(server.url)
            wait_full_render(page)
            assert kpi_text(page, "US government") == fmt.money(at_25)

            slider_thumb(page, "US levy rate").focus()
            for _ in range(20):  # 0.5 percentage points a step: 25 % -> 15 %
                page.keyboard.press("ArrowLeft")
            _wait_kpi(page, "US government", fmt.money(at_15))
            wait_idle(page)
            assert "policy.share_rate=0.15" in page.url

            with page.expect_download() as info:
                page.get_by_test_id("stDownloadButton").filter(has_text="Monthly CSV").click()
            saved = tmp_path / "monthly.csv"
            info.value.save_as(saved)
            frame = pd.read_csv(saved)
            assert list(frame.columns) == ["month", "product", "metric", "value"]
            levy = frame.loc[frame["metric"] == "us_government_usd", "value"].sum()
            assert levy == pytest.approx(at_15, rel=1e-12)
            assert saved.read_text() == to_csv_text(long_frame(res_15.projection))

            with page.expect_download() as info:
                page.get_by_test_id("stDownloadButton").filter(has_text="Excel workbook").click()
            book = tmp_path / "whatif.xlsx"
            info.value.save_as(book)
            wb = openpyxl.load_workbook(book, data_only=True)
            sheet, cell = (
                wb.defined_names["policy_share_rate"].attr_text.replace("$", "").split("!")
            )
            assert wb[sheet.strip("'")][cell].value == 0.15
            assert {"Inputs", "Summary", "Scenarios"} <= set(wb.sheetnames)

            again = browser.new_page(viewport={"width": 1500, "height": 1000})
            again.goto(page.url)
            wait_full_render(again)
            assert kpi_text(again, "US government") == fmt.money(at_15)
            assert again.get_by_test_id("stAlertContentWarning").count() == 0
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        finally:
            browser.close()
