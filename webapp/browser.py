"""Drive the served app in headless Chromium (Playwright): launch, wait, read, move.

Used with :func:`webapp.server.streamlit_server` by the browser tests and the app
benchmark.
"""

from __future__ import annotations

from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
KPI_VALUE = '[data-testid="stMetric"]'
RUNNING = '[data-testid="stStatusWidget"]'


def launch(playwright: Any, executable: str) -> Any:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def kpi_text(page: Any, label: str) -> str:
    """The value text of the headline metric with this label."""
    metric = page.locator(KPI_VALUE).filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return str(metric.get_by_test_id("stMetricValue").inner_text()).strip()


def wait_idle(page: Any, timeout_ms: float = 15000) -> None:
    """Wait until the page has metrics and Streamlit is no longer running the script."""
    page.wait_for_selector(KPI_VALUE, timeout=timeout_ms)
    page.wait_for_selector(RUNNING, state="detached", timeout=timeout_ms)


def wait_full_render(page: Any, timeout_ms: float = 20000) -> None:
    """Metrics, the open tab's chart drawn, and the script finished."""
    wait_idle(page, timeout_ms)
    page.wait_for_selector(
        '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
        timeout=timeout_ms,
    )
    page.wait_for_function(
        f"document.querySelectorAll('{KPI_VALUE}').length >= 10", timeout=timeout_ms
    )


def slider_thumb(page: Any, label: str) -> Any:
    return page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")
