"""Shared test set-up: loud numerics, shipped paths, external tools that may skip on a
laptop but never in CI, and the order in which pytest-xdist hands out the test files."""

from __future__ import annotations

import errno
import gc
import os
import shutil
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model import shipped
from webapp.browser import launch
from webapp.server import Server, streamlit_server

np.seterr(all="raise", under="ignore")  # underflow to zero is harmless

ROOT = Path(__file__).resolve().parent.parent
ASSUMPTIONS = shipped.ASSUMPTIONS_DIR
BASE = shipped.BASE
SCENARIOS = shipped.scenarios()
SETS = shipped.scenario_sets()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def disk_full(*args: Any) -> None:
    """Stands in for a file-system call (``os.replace``, ``os.fsync``) on a full disk."""
    raise OSError(errno.ENOSPC, "No space left on device")


def require_executable(*names: str) -> str:
    """Path of the first executable found; skip without it, but fail in CI."""
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    message = f"needs {' or '.join(names)} (not installed)"
    if IN_CI:
        pytest.fail(message + ": CI must install it (.ci/run)")
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def components_scanned_once() -> Iterator[None]:
    """Streamlit's scan of every installed package for components, once per test process.

    Each ``AppTest`` scans the metadata of every installed distribution for Streamlit
    components (about 0.3 s; the app's server does it once at start-up). The packages
    do not change while the tests run, so the first scan's answer serves every
    ``AppTest`` that follows.
    """
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    found: list[Any] = []

    def scanned(max_workers: int | None = None) -> list[Any]:
        if not found:
            found.append(scan(max_workers))
        return list(found[0])

    manifest_scanner.scan_component_manifests = scanned
    yield
    manifest_scanner.scan_component_manifests = scan


@pytest.fixture(scope="session")
def soffice() -> str:
    return require_executable("soffice", "libreoffice")


@pytest.fixture(scope="session")
def chromium() -> str:
    return require_executable("/usr/bin/chromium", "chromium", "chromium-browser")


@pytest.fixture(scope="session")
def shared_tmp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that all its pytest-xdist workers share."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(request.config, "workerinput") else base


@pytest.fixture(scope="module")
def served() -> Iterator[Server]:
    """The app served once for a browser test file (each page its own session)."""
    with streamlit_server() as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """One headless Chromium for a browser test file (each test opens its own pages or
    context, so no cookie or state is shared). Not for the whole session: Playwright's
    event loop, while it runs, stops other tests from starting one of their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw, chromium)
        try:
            yield b
        finally:
            b.close()


#: Test files that take long, in the order their work should start (longest first): each
#: worker takes the next group of tests when it is free, so the long files must not be
#: left for the end. Files not listed follow in collection order.
LONG_FIRST = (
    "test_workbook_libreoffice.py",
    "test_browser_layout.py",
    "test_browser.py",
    "test_app.py",
    "test_workbook.py",
    "test_workbook_import.py",
    "test_app_units.py",
    "test_hostile_inputs.py",
    "test_properties.py",
    "test_workbook_reconcile.py",
)
#: Files whose tests share no costly module fixture, cut into this many groups so that
#: several workers can share them.
SPLIT = {"test_app.py": 3, "test_workbook.py": 2}


def xdist_group(nodeid: str) -> str:
    """The group a test goes out in: its file, or a part of a file listed in :data:`SPLIT`
    (chosen from the test's id, so every process finds the same)."""
    path = nodeid.split("::", 1)[0]
    parts = SPLIT.get(path.rsplit("/", 1)[-1], 1)
    return path if parts == 1 else f"{path}#{zlib.crc32(nodeid.encode()) % parts}"


#: Set by ``dev.py test``: the file its kernel warm-up writes when it is over.
WARM_ENV = "CHIP_EXPORT_KERNEL_WARM"
#: Seconds to wait for the warm-up at most (a cold compile takes about ten).
WARM_TIMEOUT = 600


#: The garbage collector's thresholds in a test process: a young-generation collection
#: every 50,000 net allocations rather than 700, and a full one a fifth as often. The
#: workbook, upload and app tests build millions of short-lived objects, and the default
#: thresholds spent some 5-10 % of their processor time looking for cycles.
GC_THRESHOLDS = (50_000, 20, 50)


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules and tests collected are kept out of every later garbage collection
    (``gc.freeze``: they live as long as the process). Then, under ``dev.py test``, wait
    for the kernel warm-up that started with the workers before the first test, so that
    no worker or app server compiles the kernel itself. Whatever the warm-up's outcome,
    the tests then run (a worker compiles what it needs); ``dev.py`` reports a failed
    warm-up itself, with its error."""
    gc.collect()
    gc.freeze()
    path = os.environ.get(WARM_ENV)
    if not path or not session.items:
        return
    deadline = time.monotonic() + WARM_TIMEOUT
    while not Path(path).is_file() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker, the long files first (the order the groups go out in)."""
    if not hasattr(config, "workerinput"):
        return
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    keyed = [(rank.get(item.path.name, len(rank)), pos, item) for pos, item in enumerate(items)]
    items[:] = [item for *_, item in sorted(keyed, key=lambda k: k[:2])]


@pytest.hookimpl(optionalhook=True)  # pytest -p no:xdist still runs the suite
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadgroup``: tests go out by :func:`xdist_group`, whole groups to a
    free worker, in collection order. (pytest-xdist's own ``loadgroup`` reads
    ``xdist_group`` marks from node ids that it can no longer change under pytest 9, so
    it would hand out the tests one by one, each worker building every module fixture.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid)

    return ByGroup(config, log)
