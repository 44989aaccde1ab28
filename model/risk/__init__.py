"""Risk: Monte Carlo, sensitivity and the revenue forecast, on the calculation core.

- :mod:`~model.risk.schema`: the risk file (distributions of uncertain inputs);
- :mod:`~model.risk.pace`: the pace of China's future allowance batches, path by path;
- :mod:`~model.risk.distributions`: inverse CDFs and the Gaussian copula;
- :mod:`~model.risk.simulate`: the Monte Carlo in seeded, chunked blocks;
- :mod:`~model.risk.results`: per-path results and their statistics
  (:mod:`~model.risk.stats`: one sort per output);
- :mod:`~model.risk.dask_runner`: the same chunks on a Dask cluster;
- :mod:`~model.risk.sensitivity`: tornado and regression sensitivity;
- :mod:`~model.risk.forecast`: ETS forecast of the vendor's China revenue;

The names of the Monte Carlo are imported with the package; those of the sensitivity,
the forecast and the Dask runner on first use, so statsmodels and Dask load only when
needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..analysis import MAIN_PARTIES, SUPPLIER_PREFIX, party_keys, party_label
from .pace import Pace
from .schema import KINDS, Marginal, RiskSpec, load_risk, validate_risk
from .simulate import (
    BLOCK,
    DEFAULT_CHUNK,
    DEFAULT_FAN,
    FAN_PATHS,
    MAX_PATHS,
    NO_SHIPMENT,
    PERCENTILES,
    ChunkConfig,
    ChunkMapper,
    ChunkResult,
    Simulation,
    apply_draws,
    check_run,
    draws,
    exact_expected_value,
    local_chunks,
    product_selection,
    regression_matrix,
    simulate,
    simulate_chunk,
)

if TYPE_CHECKING:
    from .dask_runner import dask_chunks
    from .forecast import (
        Forecast,
        backtest,
        chart_frame,
        default_quarters,
        fit_forecast,
        load_history,
        parse_history,
        projected_revenue,
    )
    from .sensitivity import (
        Regression,
        Tornado,
        check_output,
        default_parameters,
        describe_output,
        parse_range,
        regression_sensitivity,
        swings,
        tornado,
    )

#: Names imported on first use, by module.
_LAZY: dict[str, tuple[str, ...]] = {
    "dask_runner": ("dask_chunks",),
    "forecast": (
        "Forecast",
        "backtest",
        "chart_frame",
        "default_quarters",
        "fit_forecast",
        "load_history",
        "parse_history",
        "projected_revenue",
    ),
    "sensitivity": (
        "Regression",
        "Tornado",
        "check_output",
        "default_parameters",
        "describe_output",
        "parse_range",
        "regression_sensitivity",
        "swings",
        "tornado",
    ),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "BLOCK",
    "DEFAULT_CHUNK",
    "DEFAULT_FAN",
    "FAN_PATHS",
    "KINDS",
    "MAIN_PARTIES",
    "MAX_PATHS",
    "NO_SHIPMENT",
    "PERCENTILES",
    "SUPPLIER_PREFIX",
    "ChunkConfig",
    "ChunkMapper",
    "ChunkResult",
    "Forecast",
    "Marginal",
    "Pace",
    "Regression",
    "RiskSpec",
    "Simulation",
    "Tornado",
    "apply_draws",
    "backtest",
    "chart_frame",
    "check_output",
    "check_run",
    "dask_chunks",
    "default_parameters",
    "default_quarters",
    "describe_output",
    "draws",
    "exact_expected_value",
    "fit_forecast",
    "load_history",
    "load_risk",
    "local_chunks",
    "parse_history",
    "parse_range",
    "party_keys",
    "party_label",
    "product_selection",
    "projected_revenue",
    "regression_matrix",
    "regression_sensitivity",
    "simulate",
    "simulate_chunk",
    "swings",
    "tornado",
    "validate_risk",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'model.risk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])
