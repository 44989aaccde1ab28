"""Chip Export Impact: the calculation core.

What the US licence for AI chips to China is worth, to whom, and what each month
of delay costs. See ``docs/methodology.md``.

The public API, imported on first use so that ``import model`` stays cheap:

- :func:`load` (:func:`model.loader.load`): assumptions, optionally with a scenario;
- :func:`project` (:func:`model.api.project`): the monthly projection of one set of
  assumptions, a loaded file, or several variants at once;
- :func:`summarise` (:func:`model.analysis.run`): totals, NPV, stranded inventory,
  cost of delay;
- :func:`simulate` (:func:`model.risk.simulate.simulate`): the Monte Carlo.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> (module, attribute).
_API: dict[str, tuple[str, str]] = {
    "load": ("model.loader", "load"),
    "project": ("model.api", "project"),
    "summarise": ("model.analysis", "run"),
    "simulate": ("model.risk.simulate", "simulate"),
}

__all__ = ["__version__", "load", "project", "simulate", "summarise"]

if TYPE_CHECKING:
    from .analysis import run as summarise
    from .api import project
    from .loader import load
    from .risk.simulate import simulate


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'model' has no attribute {name!r}")
    module, attr = _API[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
