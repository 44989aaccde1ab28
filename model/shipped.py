"""Where the shipped data lives: the one home of the path to ``assumptions/``.

In a source checkout the files are the repository's ``assumptions/`` folder; an
installed wheel carries the same folder as the package data of ``model._shipped``
(see ``pyproject.toml``), found through :mod:`importlib.resources`. Every other module
imports its paths from here.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The package the wheel installs the ``assumptions/`` folder as.
PACKAGE = "model._shipped"


def _assumptions_dir() -> Path:
    """The installed package data, else the source tree's ``assumptions/`` folder."""
    try:
        base = resources.files(PACKAGE).joinpath("base.yaml")
    except ModuleNotFoundError:
        base = None
    if isinstance(base, Path) and base.is_file():
        return base.parent
    return Path(__file__).resolve().parent.parent / "assumptions"


ASSUMPTIONS_DIR = _assumptions_dir()
#: The base assumptions.
BASE = ASSUMPTIONS_DIR / "base.yaml"
#: One scenario per file, each a diff on the base.
SCENARIOS_DIR = ASSUMPTIONS_DIR / "scenarios"
#: Scenario sets with probabilities.
SETS_DIR = ASSUMPTIONS_DIR / "sets"
#: The set the app and the docs weigh the shipped scenarios with.
EXPECTED_VALUE_SET = SETS_DIR / "expected_value.yaml"
#: Distributions of the uncertain inputs for the Monte Carlo.
RISK = ASSUMPTIONS_DIR / "risk.yaml"
#: Quarterly revenue histories for the forecast.
HISTORY_DIR = ASSUMPTIONS_DIR / "history"
#: The vendor's reported China revenue by fiscal quarter (the forecast's default).
HISTORY = HISTORY_DIR / "nvidia_china_revenue.csv"
#: Figures the vendors reported, one CSV file per vendor.
REPORTED_DIR = ASSUMPTIONS_DIR / "reported"
#: The assumptions as they stood at key dates, each a scenario on the base.
VINTAGES_DIR = ASSUMPTIONS_DIR / "vintages"


def scenarios() -> list[Path]:
    """The shipped scenario files, sorted by name."""
    return sorted(SCENARIOS_DIR.glob("*.yaml"))


def scenario_sets() -> list[Path]:
    """The shipped scenario-set files, sorted by name."""
    return sorted(SETS_DIR.glob("*.yaml"))
