"""Forecast of the vendor's China revenue by fiscal quarter (statsmodels ETS).

The history file (:data:`model.shipped.HISTORY`; users may give
their own) is fitted with exponential-smoothing state-space models (ETS, Hyndman et
al.) with additive errors, on the revenue itself and on its logarithm, without and
with a (damped) trend. The model with the lowest AICc on the revenue scale is kept
(the log models' likelihood is moved to the revenue scale by the Jacobian
``-Σ log y``). Prediction intervals are the models' analytic ones; for a log model
they are exponentiated and the point forecast is the median. The scenario's
projected China gross revenue of the vendor's products, summed by the same fiscal
quarters, is shown on top. See ``docs/risk.md`` for the choice and its diagnostics.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import jarque_bera
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from ..api import project
from ..calendar import FISCAL_QUARTER_RE as FQ_RE
from ..calendar import fiscal_quarter, month_labels
from ..calendar import fiscal_quarter_label as quarter_label
from ..calendar import fiscal_quarter_ordinal as quarter_ordinal
from ..gate import CSV_LIMIT, InputError, Problem, csv_records, read_text_limited
from ..outputs import aggregate, long_frame
from ..schema import Assumptions, ParamInfo, parse_text

REQUIRED = ("fiscal_quarter", "revenue_usd_billions", "verified", "source")
#: A revenue figure as a person writes it: digits, one optional point and exponent.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: Largest quarterly revenue accepted, in USD billions (far above any vendor's).
MAX_REVENUE = 1e6
MIN_QUARTERS = 8
VERIFIED = ParamInfo("verified", "history", "Whether a second source confirms the figure.",
                     "yes/no", "bool")  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """One candidate ETS specification."""

    name: str
    log: bool
    trend: str | None
    damped: bool


CANDIDATES: tuple[Spec, ...] = (
    Spec("ETS(A,N,N)", False, None, False),
    Spec("ETS(A,A,N)", False, "add", False),
    Spec("ETS(A,Ad,N)", False, "add", True),
    Spec("log ETS(A,N,N)", True, None, False),
    Spec("log ETS(A,A,N)", True, "add", False),
    Spec("log ETS(A,Ad,N)", True, "add", True),
)


# ---------------------------------------------------------------- history


def load_history(path: str | Path) -> pd.DataFrame:
    """Read and validate a quarterly history CSV file (see :func:`parse_history`).

    The file passes the input gate first: a regular, readable UTF-8 file of at most
    :data:`model.gate.CSV_LIMIT` bytes.
    """
    return parse_history(read_text_limited(path, CSV_LIMIT, "CSV files"), str(path))


def parse_history(text: str, name: str = "history") -> pd.DataFrame:
    """Validate a quarterly history given as CSV text; every problem is reported at once.

    Columns: ``fiscal_quarter`` (``FY2027-Q1``), ``revenue_usd_billions`` (a number
    >= 0), ``verified`` (true/false), ``source`` (text); an optional ``note``. Quarters
    must be unique and consecutive (in any order in the file); at least
    :data:`MIN_QUARTERS` are needed.
    """
    rows, header = csv_records(text, name)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            [
                Problem(
                    name,
                    "header",
                    "missing column(s) " + ", ".join(missing) + "; needs " + ", ".join(REQUIRED),
                )
            ]
        )
    problems: list[Problem] = []
    parsed = [_row(raw, line, name, problems) for line, raw in enumerate(rows, start=2)]
    records = [r for r in parsed if r is not None]
    if not problems:
        _check_sequence(records, name, problems)
    if problems:
        raise InputError(problems)
    df = pd.DataFrame(records).sort_values("ordinal").reset_index(drop=True)
    return df.drop(columns="ordinal")


def _row(
    raw: dict[str, Any], line: int, file: str, problems: list[Problem]
) -> dict[str, Any] | None:
    where = f"line {line}"
    before = len(problems)
    label = (raw.get("fiscal_quarter") or "").strip()
    if not FQ_RE.match(label):
        problems.append(
            Problem(
                file,
                f"{where}.fiscal_quarter",
                "must be a fiscal quarter written FYyyyy-Qn (for example FY2027-Q1)",
                label,
                True,
            )
        )
    text = (raw.get("revenue_usd_billions") or "").strip()
    value = float(text) if PLAIN_NUMBER.fullmatch(text) else math.nan
    if not 0 <= value <= MAX_REVENUE:
        rule = (
            f"must be a finite number no larger than {MAX_REVENUE:,.0f}"
            if value > MAX_REVENUE
            else "must be a number >= 0"
        )
        problems.append(Problem(file, f"{where}.revenue_usd_billions", rule, text, True))
        value = math.nan
    try:
        flag: bool | None = parse_text(VERIFIED, raw.get("verified") or "")
    except ValueError:
        flag = None
    if flag is None:
        problems.append(
            Problem(file, f"{where}.verified", "must be true or false", raw.get("verified"), True)
        )
    source = (raw.get("source") or "").strip()
    if not source:
        problems.append(Problem(file, f"{where}.source", "must name where the figure comes from"))
    if len(problems) > before:
        return None
    return {
        "fiscal_quarter": label,
        "revenue_usd_billions": value,
        "verified": flag,
        "source": source,
        "note": (raw.get("note") or "").strip(),
        "ordinal": quarter_ordinal(label),
    }


def _check_sequence(records: list[dict[str, Any]], file: str, problems: list[Problem]) -> None:
    ords = sorted(r["ordinal"] for r in records)
    if len(ords) < MIN_QUARTERS:
        problems.append(
            Problem(
                file,
                "",
                f"needs at least {MIN_QUARTERS} quarters to fit a forecast (has {len(ords)})",
            )
        )
        return
    dupes = sorted({quarter_label(o) for o in ords if ords.count(o) > 1})
    if dupes:
        problems.append(Problem(file, "fiscal_quarter", "quarters repeated: " + ", ".join(dupes)))
        return
    gaps = [quarter_label(o) for o in range(ords[0], ords[-1] + 1) if o not in set(ords)]
    if gaps:
        problems.append(
            Problem(file, "fiscal_quarter", "quarters missing from the series: " + ", ".join(gaps))
        )


# ---------------------------------------------------------------- model


@dataclass(frozen=True)
class Forecast:
    """The chosen model, its forecast and the evidence for the choice."""

    model: str
    level: float
    history: pd.DataFrame  # fiscal_quarter, revenue_usd_billions, verified, fitted
    forecast: pd.DataFrame  # fiscal_quarter, forecast, lower, upper
    candidates: pd.DataFrame  # model, aic, aicc, bic, params, converged
    diagnostics: dict[str, float]
    parameters: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "level": self.level,
            "parameters": self.parameters,
            "diagnostics": self.diagnostics,
            "candidates": self.candidates.to_dict(orient="records"),
            "history": self.history.to_dict(orient="records"),
            "forecast": self.forecast.to_dict(orient="records"),
        }


def _fit(y: np.ndarray, spec: Spec) -> Any:
    # a RangeIndex: statsmodels' prediction frames need an index, fiscal quarters are ours
    endog = pd.Series(np.log(y) if spec.log else y, index=pd.RangeIndex(len(y)))
    model = ETSModel(
        endog,
        error="add",
        trend=spec.trend,
        damped_trend=spec.damped,
        initialization_method="estimated",
    )
    # The optimiser probes parameters where intermediate values overflow; those
    # probes are rejected by the likelihood, and convergence is checked below.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(disp=False, maxiter=2000)


def _criteria(res: Any, y: np.ndarray, spec: Spec) -> tuple[float, float, float]:
    """AIC, AICc and BIC on the revenue scale (Jacobian of the log added back)."""
    shift = 2.0 * float(np.sum(np.log(y))) if spec.log else 0.0
    return float(res.aic) + shift, float(res.aicc) + shift, float(res.bic) + shift


def fit_forecast(
    history: pd.DataFrame,
    quarters: int,
    level: float = 0.90,
    candidates: tuple[Spec, ...] = CANDIDATES,
) -> Forecast:
    """Fit every candidate, keep the lowest AICc, forecast ``quarters`` ahead.

    Notes
    -----
    ETS(A,Ad,N): ``y_t = l_{t-1} + φ b_{t-1} + e_t``, ``l_t = l_{t-1} + φ b_{t-1} + α e_t``,
    ``b_t = φ b_{t-1} + β e_t`` (φ = 1 without damping, no ``b`` without trend).
    ``AICc = AIC + 2k(k+1)/(n-k-1)``. Log models are skipped when a value is not positive.
    """
    y = history["revenue_usd_billions"].to_numpy(dtype=float)
    usable = [c for c in candidates if not (c.log and (y <= 0).any())]
    rows, fits = [], {}
    for spec in usable:
        res = _fit(y, spec)
        aic, aicc, bic = _criteria(res, y, spec)
        converged = (
            bool(res.mle_retvals.get("converged", True))
            if isinstance(res.mle_retvals, dict)
            else True
        )
        fits[spec.name] = (spec, res)
        rows.append(
            {
                "model": spec.name,
                "aic": aic,
                "aicc": aicc,
                "bic": bic,
                "params": len(res.params),
                "converged": converged,
            }
        )
    table = pd.DataFrame(rows)
    ok = table[table["converged"] & np.isfinite(table["aicc"])]
    best = (ok if len(ok) else table).sort_values("aicc", kind="stable").iloc[0]["model"]
    spec, res = fits[best]
    n = len(y)
    pred = res.get_prediction(start=n, end=n + quarters - 1).summary_frame(alpha=1 - level)
    back = np.exp if spec.log else (lambda v: v)
    last = quarter_ordinal(str(history["fiscal_quarter"].iloc[-1]))
    forecast = pd.DataFrame(
        {
            "fiscal_quarter": [quarter_label(last + h) for h in range(1, quarters + 1)],
            "forecast": back(pred["mean"].to_numpy()),
            "lower": back(pred["pi_lower"].to_numpy()),
            "upper": back(pred["pi_upper"].to_numpy()),
        }
    )
    hist = history[["fiscal_quarter", "revenue_usd_billions", "verified"]].copy()
    hist["fitted"] = back(np.asarray(res.fittedvalues))
    return Forecast(
        model=str(best),
        level=level,
        history=hist,
        forecast=forecast,
        candidates=table,
        diagnostics=diagnostics(res, n),
        parameters={str(k): float(v) for k, v in zip(res.param_names, res.params, strict=True)},
    )


def diagnostics(res: Any, n: int) -> dict[str, float]:
    """Residual checks of the kept model: Ljung-Box (lags 4 and 8), Jarque-Bera, moments.

    Notes
    -----
    Ljung-Box ``Q = n(n+2) Σ_{k<=h} r_k² / (n-k)``; a small p-value says the residuals
    are autocorrelated (the model misses structure). Jarque-Bera tests normality, on
    which the analytic prediction intervals rely.
    """
    resid = np.asarray(res.resid, dtype=float)
    lags = [lag for lag in (4, 8) if lag < n - 1]
    lb = acorr_ljungbox(resid, lags=lags, return_df=True) if lags else pd.DataFrame()
    jb, jb_p, skew, kurt = jarque_bera(resid)
    out = {
        "n": float(n),
        "residual_mean": float(resid.mean()),
        "residual_sd": float(resid.std(ddof=1)),
        "jarque_bera": float(jb),
        "jarque_bera_p": float(jb_p),
        "skew": float(skew),
        "kurtosis": float(kurt),
    }
    for lag, row in lb.iterrows():
        out[f"ljung_box_{lag}"] = float(row["lb_stat"])
        out[f"ljung_box_{lag}_p"] = float(row["lb_pvalue"])
    return out


# ---------------------------------------------------------------- scenario overlay


def projected_revenue(a: Assumptions, vendor: str = "Nvidia") -> pd.DataFrame:
    """The scenario's China gross revenue of one vendor's products per fiscal quarter.

    Columns: fiscal_quarter, projected_usd_billions, months (covered by the horizon),
    complete (all three months inside the horizon).
    """
    pids = [p.id for p in a.products if p.vendor.lower() == vendor.lower()]
    if not pids:
        vendors = sorted({p.vendor for p in a.products})
        raise InputError(
            [
                Problem(
                    "--vendor",
                    "",
                    "no product of this vendor; choose one of " + ", ".join(vendors),
                    vendor,
                    True,
                )
            ]
        )
    frame = long_frame(project(a))
    frame = frame[(frame["metric"] == "gross_revenue_usd") & frame["product"].isin(pids)]
    fyem = a.horizon.fiscal_year_end_month
    q = aggregate(frame, "fiscal_quarter", fyem)
    total = q.groupby("period", sort=False)["value"].sum()
    labels = [fiscal_quarter(m, fyem) for m in month_labels(a.horizon.start, a.horizon.months)]
    counts = pd.Series(labels).value_counts()
    out = pd.DataFrame(
        {"fiscal_quarter": total.index, "projected_usd_billions": total.to_numpy() / 1e9}
    )
    out["months"] = out["fiscal_quarter"].map(counts).astype(int)
    out["complete"] = out["months"] == 3
    return out.reset_index(drop=True)


def default_quarters(history: pd.DataFrame, projected: pd.DataFrame) -> int:
    """Forecast through the last complete projected quarter (at least four quarters)."""
    last = quarter_ordinal(str(history["fiscal_quarter"].iloc[-1]))
    done = projected[projected["complete"]]["fiscal_quarter"]
    end = max((quarter_ordinal(q) for q in done), default=last)
    return max(4, end - last)


def chart_frame(fc: Forecast, projected: pd.DataFrame) -> pd.DataFrame:
    """History, forecast with interval and the projection on one fiscal-quarter axis."""
    hist = fc.history.rename(columns={"revenue_usd_billions": "actual"})
    out = pd.concat([hist, fc.forecast], ignore_index=True)
    proj = projected[projected["complete"]][["fiscal_quarter", "projected_usd_billions"]]
    out = out.merge(proj, on="fiscal_quarter", how="outer")
    out["ordinal"] = out["fiscal_quarter"].map(quarter_ordinal)
    return out.sort_values("ordinal").drop(columns="ordinal").reset_index(drop=True)


def backtest(history: pd.DataFrame, holdout: int = 4, level: float = 0.90) -> dict[str, Any]:
    """Hold out the last ``holdout`` quarters, repeat the whole procedure (selection
    included) on the rest, and score the forecast against what happened.

    Returns the model chosen, the mean absolute error of its forecast and of the naive
    forecast (the last value carried forward), and the share of held-out quarters
    inside the prediction interval.
    """
    if len(history) - holdout < MIN_QUARTERS:
        raise InputError(
            [
                Problem(
                    "history",
                    "",
                    f"needs at least {MIN_QUARTERS + holdout} quarters to hold out {holdout}",
                )
            ]
        )
    train = history.iloc[:-holdout].reset_index(drop=True)
    actual = history["revenue_usd_billions"].to_numpy(dtype=float)[-holdout:]
    fc = fit_forecast(train, holdout, level)
    pred = fc.forecast
    naive = float(train["revenue_usd_billions"].iloc[-1])
    inside = (pred["lower"].to_numpy() <= actual) & (actual <= pred["upper"].to_numpy())
    return {
        "model": fc.model,
        "holdout": holdout,
        "mae": float(np.mean(np.abs(pred["forecast"].to_numpy() - actual))),
        "naive_mae": float(np.mean(np.abs(naive - actual))),
        "coverage": float(inside.mean()),
    }
