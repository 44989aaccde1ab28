"""The app read whole in headless Chromium at 1280 and 1920 pixels: on every tab no
headline figure or table cell is cut (wider than its box, or ending in an ellipsis), no
table or data grid scrolls sideways, no chart text runs past its chart, and the tab bar
fits. The same walk writes a screenshot of every tab (``docs/app-<tab>.png`` at 1280
pixels, ``docs/app-1920.png`` at 1920), so the pictures in the README never go stale; a
picture that differs from the one in place by a few pixels only (a timing, a cursor) is
not rewritten, so a test run leaves the working tree as it was.
One walk serves both widths and both tests: each tab is opened once, then read whole
and photographed at one width, the window resized, and read again at the other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from webapp.browser import cut_text, open_tab, settle, wait_full_render
from webapp.server import Server
from webapp.tabs import LABELS

from .conftest import ROOT

pytestmark = pytest.mark.browser
WIDTHS = (1280, 1920)
HEIGHT = 900
#: The what-if the pictures show: the levy at 15 % (figures with their changes).
SHOT_QUERY = {"policy.share_rate": "0.15"}
DOCS = ROOT / "docs"
MAX_HEIGHT = 6000  # px: a screenshot's height at most
#: Pixels that may differ (any channel by more than 8 of 255) for a new screenshot to be
#: the same picture as the one in ``docs/``: a run time or a caret, not a change of look.
SAME_PICTURE_PIXELS = 2000
MAIN = '[data-testid="stMain"]'


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


def _resize(page: Any, width: int) -> None:
    """Give the window another width and let the app lay itself out again (no script
    runs: the charts and tables redraw in the browser, as when a person resizes theirs)."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    page.wait_for_timeout(600)


def _shoot(page: Any, path: Path, width: int) -> None:
    """A picture of the whole page: the viewport grown to the main area's height. It
    replaces the picture in place only if it looks different (:func:`same_picture`)."""
    tall = page.evaluate(f"document.querySelector('{MAIN}').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(tall) + 40, MAX_HEIGHT)})
    page.wait_for_timeout(400)
    new = path.with_name(path.stem + ".new.png")
    page.screenshot(path=str(new))
    page.set_viewport_size({"width": width, "height": HEIGHT})
    _shrink(new)
    if path.is_file() and same_picture(path, new):
        new.unlink()
    else:
        new.replace(path)


def same_picture(old: Path, new: Path) -> bool:
    """Whether two pictures have the same size and differ in at most
    :data:`SAME_PICTURE_PIXELS` pixels."""
    import numpy as np
    from PIL import Image

    with Image.open(old) as a, Image.open(new) as b:
        if a.size != b.size:
            return False
        x = np.asarray(a.convert("RGB"), dtype=np.int16)
        y = np.asarray(b.convert("RGB"), dtype=np.int16)
    changed = (np.abs(x - y) > 8).any(axis=2)
    return int(changed.sum()) <= SAME_PICTURE_PIXELS


def _shrink(path: Path) -> None:
    """Store a screenshot with a 256-colour palette (a third of the bytes, same look).
    The palette is chosen by Pillow's fast octree: a fifth of the median cut's time, and
    on these flat-coloured pages a smaller file."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


@dataclass
class Walk:
    """What one walk through every tab at one width found and wrote."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


def _picture(width: int, tab: str) -> Path | None:
    """Where the walk at ``width`` keeps its picture of ``tab``: every tab at 1280
    pixels, the first tab at 1920."""
    if width == WIDTHS[0]:
        return DOCS / f"app-{tab.lower()}.png"
    return DOCS / "app-1920.png" if tab == LABELS[0] else None


@pytest.fixture(scope="module")
def walks(served: Server, browser: Any) -> Iterator[Callable[[int], Walk]]:
    """The walk, done once for every width: each tab is opened once (one run of the app
    on the server), then at each width the text that is cut is noted and the tab is
    photographed (every tab at 1280 pixels, the first one at 1920). The widths take
    turns from tab to tab, so the window is resized once per tab."""
    done: dict[int, Walk] = {}
    pages: list[Any] = []

    def walk(width: int) -> Walk:
        if not done:
            found = {w: Walk() for w in WIDTHS}
            pages.append(_open(browser, served, WIDTHS[0]))
            page = pages[0]
            for i, tab in enumerate(LABELS):
                _visit(page, tab)
                for k, w in enumerate(WIDTHS if i % 2 == 0 else WIDTHS[::-1]):
                    if k:
                        _resize(page, w)
                    cut = cut_text(page)
                    if cut:
                        found[w].problems[tab] = cut
                    picture = _picture(w, tab)
                    if picture is not None:
                        _shoot(page, picture, w)
                        found[w].written.append(picture)
            done.update(found)  # only a whole walk: one that failed is walked again
        return done[width]

    yield walk
    for page in pages:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_tab_reads_whole(walks: Callable[[int], Walk], width: int) -> None:
    problems = walks(width).problems
    assert not problems, f"text cut at {width} px: {problems}"


def test_screenshots_of_every_tab(walks: Callable[[int], Walk]) -> None:
    written = walks(WIDTHS[0]).written + walks(WIDTHS[1]).written
    assert written == [DOCS / f"app-{tab.lower()}.png" for tab in LABELS] + [DOCS / "app-1920.png"]
    for path in written:
        assert path.stat().st_size > 10_000, path


def test_a_picture_that_differs_in_a_few_pixels_is_the_same(tmp_path: Path) -> None:
    """The rule that keeps ``docs/`` unchanged by a test run: a caret or a run time is the
    same picture; a change of look, or of size, is not."""
    import numpy as np
    from PIL import Image

    base = np.full((400, 600, 3), 250, dtype=np.uint8)
    base[50:60, 40:400] = 20  # a line of "text"

    def save(name: str, pixels: np.ndarray) -> Path:
        path = tmp_path / name
        Image.fromarray(pixels).save(path)
        return path

    old = save("old.png", base)
    caret = base.copy()
    caret[100:113, 200:209] = 0  # 117 pixels: a timing's digits
    faint = base.copy()
    faint[200:300, :] = 245  # 60,000 pixels, each 5 of 255 off: below the tolerance
    moved = base.copy()
    moved[50:60, 40:400], moved[150:160, 40:400] = 250, 20  # the line moved down
    assert same_picture(old, save("same.png", base))
    assert same_picture(old, save("caret.png", caret))
    assert same_picture(old, save("faint.png", faint))
    assert not same_picture(old, save("moved.png", moved))
    assert not same_picture(old, save("taller.png", np.vstack([base, base[:10]])))
