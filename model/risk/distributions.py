"""Probability distributions for the Monte Carlo, as inverse CDFs of uniforms.

Every marginal is sampled as ``x = F⁻¹(u)`` from a uniform ``u`` in ``[0, 1]``, so one
Gaussian copula can correlate them all and a larger ``u`` always gives a larger value
(``never`` is the largest month). Integer-valued inputs (months, lags) are given an
exact probability mass function, which also serves the exact expected value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

Array = np.ndarray


@dataclass(frozen=True)
class DiscretePMF:
    """A finite distribution: ``values`` (ascending, ``+inf`` = never) and probabilities."""

    values: Array
    probabilities: Array

    def ppf(self, u: Array) -> Array:
        """``F⁻¹(u) = values[k]`` for the first ``k`` with ``F(values[k]) > u``.

        Notes
        -----
        With cumulative probabilities ``c_k = p_0 + … + p_k`` (the last set to exactly 1),
        ``k = #{j : c_j <= u}``, clipped to the last value so that ``u = 1`` is valid.
        """
        cum = np.cumsum(self.probabilities)
        cum[-1] = 1.0
        k = np.searchsorted(cum, u, side="right")
        return self.values[np.minimum(k, len(self.values) - 1)]

    def mean(self) -> float:
        finite = np.isfinite(self.values)
        if not finite.all() and self.probabilities[~finite].sum() > 0:
            return float("inf")
        return float(np.sum(self.values[finite] * self.probabilities[finite]))


def discrete(values: Sequence[float], probabilities: Sequence[float]) -> DiscretePMF:
    """A discrete distribution with its support sorted ascending (monotone for the copula)."""
    v = np.asarray(values, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    order = np.argsort(v, kind="stable")
    return DiscretePMF(values=v[order], probabilities=p[order])


def with_never(pmf: DiscretePMF, never: float) -> DiscretePMF:
    """Scale ``pmf`` by ``1 - never`` and append ``+inf`` with probability ``never``."""
    if never <= 0:
        return pmf
    return DiscretePMF(
        values=np.append(pmf.values, np.inf),
        probabilities=np.append(pmf.probabilities * (1.0 - never), never),
    )


def triangular_cdf(x: Array, low: float, mode: float, high: float) -> Array:
    """CDF of the triangular distribution on ``[low, high]`` with peak at ``mode``.

    Notes
    -----
    ``F(x) = (x-a)²/((b-a)(c-a))`` for ``a <= x <= c`` and
    ``F(x) = 1 - (b-x)²/((b-a)(b-c))`` for ``c < x <= b`` (a = low, c = mode, b = high).
    """
    a, c, b = low, mode, high
    x = np.clip(np.asarray(x, dtype=float), a, b)
    if b == a:
        return (x >= b).astype(float)
    left = (x - a) ** 2 / ((b - a) * (c - a)) if c > a else np.ones_like(x)
    right = 1.0 - (b - x) ** 2 / ((b - a) * (b - c)) if b > c else np.ones_like(x)
    return np.where(x <= c, np.where(c > a, left, 0.0), right)


def triangular_ppf(u: Array, low: float, mode: float, high: float) -> Array:
    """Inverse CDF of the triangular distribution.

    Notes
    -----
    With ``f_c = (c-a)/(b-a)``: ``x = a + sqrt(u (b-a)(c-a))`` for ``u < f_c``,
    else ``x = b - sqrt((1-u)(b-a)(b-c))``.
    """
    a, c, b = low, mode, high
    if b == a:
        return np.full(np.shape(u), a, dtype=float)
    fc = (c - a) / (b - a)
    left = a + np.sqrt(u * (b - a) * (c - a))
    right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
    return np.where(u < fc, left, right)


def uniform_ppf(u: Array, low: float, high: float) -> Array:
    """``x = low + u (high - low)``."""
    return low + u * (high - low)


def truncated_normal_ppf(u: Array, mean: float, sd: float, low: float, high: float) -> Array:
    """Inverse CDF of a normal ``N(mean, sd²)`` truncated to ``[low, high]``.

    Notes
    -----
    ``x = mean + sd Φ⁻¹(Φ(α) + u (Φ(β) - Φ(α)))`` with ``α = (low-mean)/sd`` and
    ``β = (high-mean)/sd``; infinite bounds give ``Φ = 0`` or ``1``. The result is clipped
    to ``[low, high]`` against rounding in the tails.
    """
    lo = ndtr((low - mean) / sd)
    hi = ndtr((high - mean) / sd)
    q = np.clip(lo + u * (hi - lo), 1e-300, 1.0 - 1e-16)
    return np.clip(mean + sd * ndtri(q), low, high)


def binned_triangular(low: int, mode: float, high: int) -> DiscretePMF:
    """Integer months ``low … high`` weighted by a triangular density.

    Notes
    -----
    ``P(m) = F(m + ½) - F(m - ½)`` for the triangular ``F`` on ``[low - ½, high + ½]`` with
    its peak at ``mode``: the continuous triangular rounded to the nearest month, so every
    month of the range has a positive probability.
    """
    months = np.arange(low, high + 1, dtype=float)
    a, b = low - 0.5, high + 0.5
    p = triangular_cdf(months + 0.5, a, mode, b) - triangular_cdf(months - 0.5, a, mode, b)
    return DiscretePMF(values=months, probabilities=p / p.sum())


def binned_uniform(low: int, high: int) -> DiscretePMF:
    """Integer months ``low … high``, each equally likely."""
    months = np.arange(low, high + 1, dtype=float)
    return DiscretePMF(values=months, probabilities=np.full(len(months), 1.0 / len(months)))


def correlation_factor(corr: Array) -> Array:
    """Lower Cholesky factor ``L`` with ``L Lᵀ = corr`` (corr must be positive definite)."""
    return np.linalg.cholesky(corr)


def copula_uniforms(normals: Array, factor: Array | None) -> Array:
    """Gaussian copula: ``U = Φ(Z Lᵀ)`` for independent standard normals ``Z`` (paths × inputs).

    Notes
    -----
    Each column of ``U`` is uniform on ``[0, 1]``; the columns have normal-scores
    (Gaussian) correlation ``L Lᵀ``. Without a factor the inputs are independent.
    """
    z = normals if factor is None else normals @ factor.T
    return np.asarray(ndtr(z))
