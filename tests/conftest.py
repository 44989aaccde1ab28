"""Shared test set-up: loud numerics, shipped paths, and external tools that may
skip on a laptop but never in CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from model import shipped

np.seterr(all="raise", under="ignore")  # underflow to zero is harmless

ROOT = Path(__file__).resolve().parent.parent
ASSUMPTIONS = shipped.ASSUMPTIONS_DIR
BASE = shipped.BASE
SCENARIOS = shipped.scenarios()
SETS = shipped.scenario_sets()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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


@pytest.fixture(scope="session")
def soffice() -> str:
    return require_executable("soffice", "libreoffice")


@pytest.fixture(scope="session")
def chromium() -> str:
    return require_executable("/usr/bin/chromium", "chromium", "chromium-browser")
