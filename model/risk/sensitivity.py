"""Sensitivity: a one-at-a-time tornado and regression on the Monte Carlo.

The tornado moves one input at a time to its low and its high value, every other
input at its base, and ranks inputs by the swing of a chosen output. All ``2K + 1``
variants are evaluated in one vectorised call of the core.

With a risk file whose batch paces draw China's future batches, every variant uses
each pace at the medians of its components (the pace replaces the base file's batches
after the facts), and a pace component swings like any other input.

The regression fits the chosen Monte Carlo output on the draws by ordinary least
squares (statsmodels, imported only here) after standardising both sides; each
coefficient is the change in the output, in standard deviations, for one standard
deviation of the input with the others held fixed, and ``R²`` says how much of the
variance a linear model explains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis import ALL, party_arrays, party_keys, party_label
from ..dotted import parse_path
from ..encoding import DISCRETE_ONLY, decode, encode
from ..engine import Inputs, project
from ..gate import InputError, Problem
from ..schema import Assumptions, parameter_table, parse_text
from ..targets import (
    ALL_PRODUCTS,
    GLOBAL_TARGETS,
    PRODUCT_TARGETS,
    Target,
    with_columns,
    writable_columns,
)
from . import pace
from .schema import RiskSpec, resolve
from .simulate import Simulation, regression_matrix

MEASURES = ("total", "npv")
#: The quantiles of a risk-file distribution used as the tornado's low and high.
RISK_QUANTILES = (0.10, 0.90)


@dataclass(frozen=True)
class Swing:
    """One input's low and high, in engine units, with how they are applied."""

    path: str
    target: Target
    low: float
    high: float
    apply: str
    origin: str  # "user", "risk file P10/P90" or "schema range"

    def label(self, x: float, start: str) -> str:
        if self.apply == "scale":
            return f"×{x:.3g}"
        if self.apply == "shift":
            return f"{x:+.3g}"
        return decode(self.target.info, x, start)


@dataclass(frozen=True)
class Tornado:
    """Base output and, per input, the output at its low and high, largest swing first."""

    output: str
    measure: str
    product: str
    base: float
    table: pd.DataFrame  # parameter, low, high, output_low, output_high, swing, range

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "measure": self.measure,
            "product": self.product,
            "base": self.base,
            "bars": self.table.to_dict(orient="records"),
        }


def default_parameters() -> list[str]:
    """Inputs whose schema range is closed and finite (numbers and whole numbers)."""
    out = []
    for info in parameter_table():
        closed = (
            info.low is not None
            and info.high is not None
            and not info.low_open
            and not info.high_open
        )
        if not closed or info.kind not in ("number", "integer"):
            continue
        if info.section == "product":
            if info.key in PRODUCT_TARGETS:
                out.append(f"products.{ALL_PRODUCTS}.{info.key}")
        else:
            path = info.key if info.section == "top" else f"{info.section}.{info.key}"
            if path in GLOBAL_TARGETS:
                out.append(path)
    return out


def parse_range(text: str) -> tuple[str, tuple[str, str]]:
    """``"demand.erosion_per_month=0.01:0.06"`` -> path and the two ends as text."""
    path, sep, ends = text.partition("=")
    low, sep2, high = ends.partition(":")
    if not sep or not sep2 or not path or not low or not high:
        raise InputError(
            [
                Problem(
                    "--range",
                    "",
                    "write PATH=LOW:HIGH, for example demand.erosion_per_month=0.01:0.06",
                    text,
                    True,
                )
            ]
        )
    return path.strip(), (low.strip(), high.strip())


def _product_id(path: str) -> str:
    parsed = parse_path(path)
    return "" if isinstance(parsed, str) else parsed.product or ""


def _user_value(target: Target, text: Any, start: str) -> float | str:
    """A range end typed by the user, as the engine's number (or the rule it breaks)."""
    value: Any = text
    if isinstance(text, str):
        try:
            value = parse_text(target.info, text)
        except ValueError as exc:
            return str(exc)
    return encode(target.info, value, start)


def swings(
    a: Assumptions,
    parameters: Sequence[str] | None = None,
    ranges: Mapping[str, tuple[Any, Any]] | None = None,
    spec: RiskSpec | None = None,
) -> list[Swing]:
    """Low and high of each input: the user's range, else the risk file's P10/P90,
    else the schema's closed range. Every problem is reported at once."""
    ranges = dict(ranges or {})
    params = list(parameters or [])
    if not params:
        params = (
            list(dict.fromkeys([*ranges, *(spec.paths if spec else ())])) or default_parameters()
        )
    out, problems = [], []
    for path in params:
        target = resolve(path, a)
        if isinstance(target, str):
            problems.append(Problem("--param", path, target))
            continue
        s = _swing(path, target, ranges, spec, a.horizon.start, problems)
        if s is not None:
            out.append(s)
    if problems:
        raise InputError(problems)
    return out


def _swing(
    path: str,
    target: Target,
    ranges: Mapping[str, tuple[Any, Any]],
    spec: RiskSpec | None,
    start: str,
    problems: list[Problem],
) -> Swing | None:
    if target.field == pace.FIELD and not _paced(spec, target.products[0]):
        pid = _product_id(path)
        problems.append(
            Problem(
                "--param",
                path,
                f"a batch-pace component moves with the rest of its pace: give the risk "
                f"file that draws the pace of products.{pid} (--risk)",
            )
        )
        return None
    if path in ranges:
        ends = [_user_value(target, v, start) for v in ranges[path]]
        bad = [(v, e) for v, e in zip(ranges[path], ends, strict=True) if isinstance(e, str)]
        if bad:
            problems.append(Problem("--range", path, str(bad[0][1]), bad[0][0], True))
            return None
        lo, hi = float(ends[0]), float(ends[1])
        if lo > hi and target.info.kind not in DISCRETE_ONLY:
            problems.append(
                Problem("--range", path, "low must not exceed high", ranges[path], True)
            )
            return None
        return Swing(path, target, lo, hi, "value", "user")
    if spec is not None and path in spec.paths:
        m = spec.marginal(path)
        q_lo, q_hi = (m.quantile(q) for q in RISK_QUANTILES)
        return Swing(path, target, q_lo, q_hi, m.apply, "risk file P10/P90")
    info = target.info
    if (
        info.low is None
        or info.high is None
        or info.low_open
        or info.high_open
        or info.kind not in ("number", "integer")
    ):
        problems.append(
            Problem(
                "--param",
                path,
                "no closed range in the schema: give one "
                "with --range PATH=LOW:HIGH (or a risk file)",
            )
        )
        return None
    return Swing(path, target, info.low, info.high, "value", "schema range")


def _paced(spec: RiskSpec | None, product: int) -> bool:
    return spec is not None and any(p.product == product for p in spec.paces)


def check_output(a: Assumptions, output: str, measure: str, product: str) -> list[Problem]:
    """Problems with a chosen output (party, measure, product), all at once."""
    problems = []
    parties = party_keys(a)
    if output not in parties:
        problems.append(
            Problem(
                "--output", "", "unknown party; choose one of " + ", ".join(parties), output, True
            )
        )
    if measure not in MEASURES:
        problems.append(Problem("--measure", "", "choose total or npv", measure, True))
    ids = [p.id for p in a.products]
    if product != ALL and product not in ids:
        problems.append(
            Problem(
                "--product",
                "",
                "unknown product; choose all or one of " + ", ".join(ids),
                product,
                True,
            )
        )
    return problems


def output_values(inputs: Inputs, output: str, measure: str, product: str) -> np.ndarray:
    """A party's total or NPV per variant, for one product or all (checked beforehand)."""
    tot, pv = party_arrays(project(inputs))[output]
    v = tot if measure == "total" else pv
    return v.sum(axis=1) if product == ALL else v[:, inputs.product_ids.index(product)]


def tornado(
    a: Assumptions,
    output: str = "vendor_gross_profit",
    measure: str = "total",
    product: str = ALL,
    parameters: Sequence[str] | None = None,
    ranges: Mapping[str, tuple[Any, Any]] | None = None,
    spec: RiskSpec | None = None,
) -> Tornado:
    """One-at-a-time sensitivity of ``output`` to each input's low and high.

    Notes
    -----
    Row 0 is the base; rows ``2i+1`` and ``2i+2`` set input ``i`` to its low and its
    high. ``swing = |y(high) - y(low)|``; inputs are ranked by swing, largest first
    (ties keep the order given).
    """
    problems = check_output(a, output, measure, product)
    try:
        sw = swings(a, parameters, ranges, spec)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    base = Inputs.from_assumptions([a])
    stacked = base.repeat(1 + 2 * len(sw))
    direct = [(i, s) for i, s in enumerate(sw) if s.target.field != pace.FIELD]
    cols = writable_columns(stacked, [s.target for _, s in direct])
    for i, s in direct:
        rows = np.array([2 * i + 1, 2 * i + 2])
        s.target.write(cols, np.array([s.low, s.high]), s.apply, rows)
    variants = with_paces(with_columns(stacked, cols), spec, sw)
    y = output_values(variants, output, measure, product)
    start = a.horizon.start
    table = pd.DataFrame(
        {
            "parameter": [s.path for s in sw],
            "low": [s.label(s.low, start) for s in sw],
            "high": [s.label(s.high, start) for s in sw],
            "output_low": y[1::2],
            "output_high": y[2::2],
            "swing": np.abs(y[2::2] - y[1::2]),
            "range": [s.origin for s in sw],
        }
    )
    table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return Tornado(output, measure, product, float(y[0]), table)


def with_paces(inputs: Inputs, spec: RiskSpec | None, sw: Sequence[Swing]) -> Inputs:
    """The tornado's variants with each batch pace of ``spec`` at the medians of its
    components, and a pace component at its low and high in its own two rows."""
    if spec is None or not spec.paces:
        return inputs
    n = inputs.n
    paced = []
    for p in spec.paces:
        values = {c: np.full(n, spec.marginals[col].quantile(0.5)) for c, col in p.columns}
        for i, s in enumerate(sw):
            if s.target.field == pace.FIELD and s.target.products[0] == p.product:
                values[s.target.info.key][[2 * i + 1, 2 * i + 2]] = (s.low, s.high)
        paced.append(values)
    return pace.with_allowances(inputs, spec.paces, paced)


# ---------------------------------------------------------------- regression


@dataclass(frozen=True)
class Regression:
    """Standardised OLS coefficients of a Monte Carlo output on its inputs."""

    output: str
    measure: str
    r_squared: float
    n: int
    table: pd.DataFrame  # parameter, std_coef, std_err, t, p_value, ranked by |std_coef|

    def to_dict(self) -> dict[str, Any]:
        rows = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in self.table.to_dict(orient="records")
        ]
        return {
            "output": self.output,
            "measure": self.measure,
            "r_squared": self.r_squared,
            "n": self.n,
            "coefficients": rows,
        }


def regression_sensitivity(
    sim: Simulation, output: str = "vendor_gross_profit", measure: str = "total"
) -> Regression:
    """Standardised regression coefficients (SRC) of an output on the draws.

    Notes
    -----
    With ``z(v) = (v - mean(v)) / sd(v)``, fit ``z(y) = b0 + Σ_i b_i z(x_i) + e`` by OLS;
    ``b_i`` is the standardised coefficient and equals ``β_i sd(x_i) / sd(y)`` for the
    unstandardised slope ``β_i``. Inputs that do not vary are reported with no
    coefficient. ``R²`` is that of the fit; when it is low the ranking says little
    and the tornado or the fan chart should be read instead.
    """
    import statsmodels.api as sm  # only the regression needs it (a second to import)

    y = sim.values(output, measure)
    x = regression_matrix(sim)
    sd = x.std(axis=0, ddof=0)
    varying = [c for c in x.columns if sd[c] > 0]
    rows = {c: (math.nan, math.nan, math.nan, math.nan) for c in x.columns}
    r2 = math.nan
    if varying and y.std() > 0:
        z = (x[varying] - x[varying].mean()) / sd[varying]
        zy = (y - y.mean()) / y.std(ddof=0)
        fit = sm.OLS(zy, sm.add_constant(z.to_numpy(), has_constant="add")).fit()
        r2 = float(fit.rsquared)
        for i, c in enumerate(varying):
            rows[c] = (
                float(fit.params[i + 1]),
                float(fit.bse[i + 1]),
                float(fit.tvalues[i + 1]),
                float(fit.pvalues[i + 1]),
            )
    table = pd.DataFrame(
        [(c, *rows[c]) for c in x.columns],
        columns=["parameter", "std_coef", "std_err", "t", "p_value"],
    )
    table = table.reindex(
        table["std_coef"]
        .abs()
        .sort_values(ascending=False, na_position="last", kind="stable")
        .index
    ).reset_index(drop=True)
    return Regression(output, measure, r2, sim.n_paths, table)


def describe_output(output: str, measure: str, product: str) -> str:
    what = "NPV" if measure == "npv" else "total"
    where = "all products" if product == ALL else product
    return f"{party_label(output)}, {what} ({where})"
