"""Drive the served app in headless Chromium (Playwright): launch, wait, read, move.

Used with :func:`webapp.server.streamlit_server` by the browser tests and the app
benchmark.
"""

from __future__ import annotations

import time
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
#: The app's root once no script runs (the status widget shows only after half a second
#: of running, so its absence alone does not say a short run has ended).
NOT_RUNNING = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def launch(playwright: Any, executable: str) -> Any:
    """Debian's Chromium, headless, through Playwright."""
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
    page.wait_for_selector(NOT_RUNNING, state="attached", timeout=timeout_ms)
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
    """The thumb of the slider labelled ``label``."""
    return page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")


def kpi_texts(page: Any, labels: list[str]) -> dict[str, str]:
    """The value text of every headline metric with one of these labels."""
    found = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
             m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim(),
             m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim()])"""
    )
    return {label: value for label, value in found if label in labels}


def open_tab(page: Any, name: str) -> None:
    """Open a tab of the main area and wait for its run."""
    page.get_by_role("tab", name=name, exact=True).click()
    settle(page)


def selected_tab(page: Any) -> str:
    """The label of the open tab."""
    return str(page.get_by_role("tab", selected=True).inner_text()).strip()


def select_box(page: Any, label: str) -> Any:
    """The select box whose label is exactly ``label``."""
    named = page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stSelectbox").filter(has=named).first


def choose(page: Any, label: str, option: str) -> None:
    """Pick an option of the select box with this label."""
    box = select_box(page, label)
    box.scroll_into_view_if_needed()  # a box at the window's foot opens no list
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def settle(page: Any, quiet_ms: int = 600, timeout_ms: float = 30000) -> None:
    """Wait until no script runs and the headline figures stop changing for ``quiet_ms``
    (a run that has not shown its status yet would otherwise be read half-way)."""
    deadline = time.monotonic() + timeout_ms / 1000
    before = None
    while time.monotonic() < deadline:
        wait_idle(page, timeout_ms)
        now = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .map(m => m.innerText).join('|')"""
        )
        if now == before and not page.locator(RUNNING).count():
            return
        before = now
        page.wait_for_timeout(quiet_ms)
    raise TimeoutError(f"the page did not settle within {timeout_ms / 1000:g} s")


def press(page: Any, thumb: Any, key: str, times: int) -> None:
    """Press a key on a slider's thumb, then wait for the run it starts to end."""
    thumb.focus()
    for _ in range(times):
        page.keyboard.press(key)
    settle(page)


def warnings(page: Any) -> list[str]:
    """The texts of the warnings shown."""
    return [str(w.inner_text()) for w in page.get_by_test_id("stAlertContentWarning").all()]


def radio(page: Any, group: str, name: str) -> Any:
    """One option of the segmented control (radio group) labelled ``group``."""
    return page.get_by_role("radiogroup", name=group, exact=True).get_by_role(
        "radio", name=name, exact=True
    )


def selected(page: Any, label: str) -> str:
    """The option shown by the select box labelled ``label``."""
    return str(select_box(page, label).get_by_role("combobox").input_value())


#: What a person cannot read whole in the main area: headline figures and table cells
#: whose text is cut (wider than their box, or ending in an ellipsis), tables and data
#: grids that scroll sideways, chart text cut short and a tab bar that scrolls.
CUT_TEXT = """() => {
  const found = [];
  const SLACK = 4;  // px a chart's text may reach past its box (rotated titles, edge ticks)
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const shown = (e) => e.getClientRects().length > 0;
  const clips = (e) => {
    const s = getComputedStyle(e);
    return ['hidden', 'clip', 'auto', 'scroll'].includes(s.overflowX)
      || s.textOverflow === 'ellipsis';
  };
  const text = (e) =>
    (e.innerText || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  const check = (el, what) => {
    for (const e of [el, ...el.querySelectorAll('*')]) {
      if (shown(e) && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && clips(e)) {
        found.push(`${what} cut: "${text(el)}" (${e.scrollWidth} px in ${e.clientWidth})`);
        return;
      }
    }
    if ((el.innerText || '').includes('\\u2026'))
      found.push(`${what} ends in an ellipsis: "${text(el)}"`);
  };
  main.querySelectorAll('[data-testid="stMetric"]').forEach((m) => check(m, 'figure'));
  main.querySelectorAll('[data-testid="stTable"] th, [data-testid="stTable"] td')
    .forEach((c) => check(c, 'table cell'));
  main.querySelectorAll('[data-testid="stTable"], [data-testid="stTable"] *').forEach((t) => {
    if (shown(t) && clips(t) && t.scrollWidth > t.clientWidth + 1)
      found.push(`table scrolls sideways: "${text(t)}" (${t.scrollWidth} px in ${t.clientWidth})`);
  });
  main.querySelectorAll('.dvn-scroller').forEach((g) => {
    if (shown(g) && g.scrollWidth > g.clientWidth + 1)
      found.push(`data grid scrolls sideways (${g.scrollWidth} px in ${g.clientWidth})`);
  });
  main.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks').forEach((svg) => {
    const box = svg.getBoundingClientRect();
    svg.querySelectorAll('text').forEach((t) => {
      const r = t.getBoundingClientRect();
      if (!t.textContent.trim() || r.width === 0) return;
      if (t.textContent.includes('\u2026')) found.push(`chart text cut: "${t.textContent}"`);
      else if (r.right > box.right + SLACK || r.left < box.left - SLACK
               || r.top < box.top - SLACK || r.bottom > box.bottom + SLACK)
        found.push(`chart text outside its chart: "${t.textContent}"`);
    });
  });
  main.querySelectorAll('[role="tablist"]').forEach((t) => {
    if (t.scrollWidth > t.clientWidth + 1)
      found.push(`tab bar scrolls (${t.scrollWidth} px in ${t.clientWidth})`);
  });
  return [...new Set(found)];
}"""


def cut_text(page: Any) -> list[str]:
    """What a person cannot read whole in the main area (see :data:`CUT_TEXT`)."""
    return [str(x) for x in page.evaluate(CUT_TEXT)]
