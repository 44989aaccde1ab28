"""The app read whole in headless Chromium at 1280 and 1920 pixels: on every tab no
headline figure or table cell is cut (wider than its box, or ending in an ellipsis), no
table or data grid scrolls sideways, no chart text runs past its chart, and the tab bar
fits. The same walk writes a screenshot of every tab (``docs/app-<tab>.png`` at 1280
pixels, ``docs/app-1920.png`` at 1920), so the pictures in the README never go stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from webapp.browser import cut_text, launch, open_tab, settle, wait_full_render
from webapp.server import Server, streamlit_server
from webapp.tabs import LABELS

from .conftest import ROOT

pytestmark = pytest.mark.browser
WIDTHS = (1280, 1920)
HEIGHT = 900
#: The what-if the pictures show: the levy at 15 % (figures with their changes).
SHOT_QUERY = {"policy.share_rate": "0.15"}
DOCS = ROOT / "docs"
MAX_HEIGHT = 6000  # px: a screenshot's height at most
MAIN = '[data-testid="stMain"]'


@pytest.fixture(scope="module")
def served() -> Iterator[Server]:
    with streamlit_server() as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw, chromium)
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, server: Server, width: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    page.goto(server.url + "?" + urlencode(SHOT_QUERY))
    wait_full_render(page)
    return page


def _visit(page: Any, tab: str) -> None:
    """Open a tab (running the simulation on the Risk tab) and let it draw."""
    open_tab(page, tab)
    if tab == "Risk":
        page.get_by_role("button", name="Run simulation").click()
        page.get_by_text("paths in", exact=False).first.wait_for(timeout=60000)
        settle(page)
    page.wait_for_timeout(600)  # charts finish their transitions


def _shoot(page: Any, path: Path, width: int) -> None:
    """A picture of the whole page: the viewport grown to the main area's height."""
    tall = page.evaluate(f"document.querySelector('{MAIN}').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(tall) + 40, MAX_HEIGHT)})
    page.wait_for_timeout(400)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": HEIGHT})
    _shrink(path)


def _shrink(path: Path) -> None:
    """Store a screenshot with a 256-colour palette (a third of the bytes, same look)."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_tab_reads_whole(served: Server, browser: Any, width: int) -> None:
    page = _open(browser, served, width)
    problems = {}
    for tab in LABELS:
        _visit(page, tab)
        found = cut_text(page)
        if found:
            problems[tab] = found
    page.close()
    assert not problems, f"text cut at {width} px: {problems}"


def test_screenshots_of_every_tab(served: Server, browser: Any) -> None:
    page = _open(browser, served, WIDTHS[0])
    written = []
    for tab in LABELS:
        _visit(page, tab)
        path = DOCS / f"app-{tab.lower()}.png"
        _shoot(page, path, WIDTHS[0])
        written.append(path)
    page.close()
    wide = _open(browser, served, WIDTHS[1])
    _visit(wide, LABELS[0])
    _shoot(wide, DOCS / "app-1920.png", WIDTHS[1])
    wide.close()
    for path in [*written, DOCS / "app-1920.png"]:
        assert path.stat().st_size > 10_000, path
