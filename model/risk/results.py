"""The results of a Monte Carlo run: per-path arrays and the statistics drawn from them.

Every statistic is computed once over the assembled per-path arrays (never per chunk),
so it does not depend on how the paths were chunked or where they ran. Percentiles
sort each output once (:mod:`model.risk.stats`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis import ALL, party_label
from ..calendar import month_labels
from ..gate import InputError, Problem
from . import stats
from .schema import RiskSpec

if TYPE_CHECKING:  # pandas is imported where a frame is made: the Monte Carlo runs without it
    import pandas as pd

Array = np.ndarray

PERCENTILES = (5, 10, 50, 90, 95)
#: First-shipment label of the paths that never ship to China within the horizon.
NO_SHIPMENT = "none within horizon"
#: Paths per seeded block (fixed: changing it changes every draw).
BLOCK = 1000


@dataclass(frozen=True)
class Simulation:
    """Per-path results of a Monte Carlo run and the statistics drawn from them.

    ``samples`` (n, inputs) are the draws (``kept_draws``, or drawn again from the seed
    when the run did not keep them); ``totals`` and ``npv`` (n, parties) each
    party's horizon total and NPV over the selected products; ``first_shipment`` (n,) the
    month index of the first China shipment of any selected product (+inf for none);
    ``next_shipment`` (n, products) each product's first shipment after the facts and
    ``sells_after_facts`` (n, products) whether it has China revenue in the months after
    ``facts``
    (the whole horizon when ``as_of`` is unset); ``monthly`` the fan parties' series,
    (paths kept, H) float32.
    """

    spec: RiskSpec
    seed: int
    n_paths: int
    chunk: int
    start: str
    months: int
    product_ids: tuple[str, ...]
    parties: tuple[str, ...]
    kept_draws: Array | None
    totals: Array
    npv: Array
    first_shipment: Array
    monthly: dict[str, Array] = field(default_factory=dict)
    base_name: str = "base"
    next_shipment: Array | None = None
    sells_after_facts: Array | None = None
    facts: int = -1  # idx(horizon.as_of), or -1 when unset
    as_of: str | None = None

    @property
    def samples(self) -> Array:
        """The draws, (n, inputs): those the run kept, else drawn again from the seed,
        once (a path's draws depend only on the seed and its index, never on how the
        paths were chunked or where they ran, :mod:`model.risk.simulate`)."""
        kept = self.kept_draws
        if kept is None:
            from .simulate import draws

            kept = draws(self.spec, self.seed, 0, self.n_paths)
            object.__setattr__(self, "kept_draws", kept)  # frozen: set once, as a cache
        return kept

    @property
    def month_labels(self) -> list[str]:
        return month_labels(self.start, self.months)

    def values(self, party: str, measure: str = "total") -> Array:
        """Per-path horizon total or NPV of a party, shape (paths,)."""
        if party not in self.parties:
            raise InputError(
                [
                    Problem(
                        "output",
                        "",
                        "unknown party; choose one of " + ", ".join(self.parties),
                        party,
                        True,
                    )
                ]
            )
        if measure not in ("total", "npv"):
            raise InputError([Problem("measure", "", "choose total or npv", measure, True)])
        k = self.parties.index(party)
        return (self.totals if measure == "total" else self.npv)[:, k]

    @cached_property
    def summary_rows(self) -> tuple[dict[str, Any], ...]:
        """The rows of :meth:`summary` without pandas (the ``simulate`` command prints
        them): one per measure and party, in the order of :attr:`parties`."""
        rows = []
        for measure, arr in (("total", self.totals), ("npv", self.npv)):
            pct, mean, se = stats.column_summary(arr, PERCENTILES)
            for k, party in enumerate(self.parties):
                rows.append(
                    {
                        "party": party,
                        "label": party_label(party),
                        "measure": measure,
                        **{f"p{q}": pct[i, k] for i, q in enumerate(PERCENTILES)},
                        "mean": mean[k],
                        "se": se[k],
                    }
                )
        return tuple(rows)

    def summary_row(self, party: str, measure: str = "total") -> dict[str, Any]:
        """The :meth:`summary` row of one party and measure (a copy)."""
        self.values(party, measure)  # an unknown party or measure is an input error
        row = next(r for r in self.summary_rows if r["party"] == party and r["measure"] == measure)
        return dict(row)

    def summary(self) -> pd.DataFrame:
        """P5/P10/P50/P90/P95, mean and its standard error for every party and measure.

        Notes
        -----
        Percentiles are linear interpolations of the empirical distribution (numpy's
        default); the standard error of the mean is ``s / sqrt(n)`` with ``s`` the sample
        standard deviation (``ddof = 1``).
        """
        import pandas as pd

        return pd.DataFrame(list(self.summary_rows))

    @property
    def p_no_revenue(self) -> float:
        """Share of paths with no China revenue at all over the horizon."""
        return float(np.mean(self.values("china_gross_revenue") == 0.0))

    @property
    def p_no_future_revenue(self) -> float:
        """Share of paths with no China revenue after the facts (``horizon.as_of``); the
        same as :attr:`p_no_revenue` when ``as_of`` is unset."""
        if self.sells_after_facts is None:
            return self.p_no_revenue
        return float(np.mean(~self.sells_after_facts.any(axis=1)))

    def p_no_future_revenue_by_product(self) -> dict[str, float]:
        """Per selected product, the share of paths with none of its China revenue after
        the facts (over the horizon when ``as_of`` is unset)."""
        if self.sells_after_facts is None:
            return {}
        none = (~self.sells_after_facts).mean(axis=0)
        return {pid: float(v) for pid, v in zip(self.product_ids, none, strict=True)}

    def _month_probabilities(self, months: Array) -> tuple[list[str], Array]:
        labels = self.month_labels
        idx, counts = np.unique(months, return_counts=True)
        names = [labels[int(i)] if np.isfinite(i) else NO_SHIPMENT for i in idx]
        return names, counts / self.n_paths

    def _month_distribution(self, months: Array) -> pd.DataFrame:
        import pandas as pd

        names, probabilities = self._month_probabilities(months)
        df = pd.DataFrame({"month": names, "probability": probabilities})
        df["cumulative"] = df["probability"].cumsum()
        return df

    def first_shipment_distribution(self) -> pd.DataFrame:
        """Probability that the first China shipment falls in each month (or never)."""
        return self._month_distribution(self.first_shipment)

    def _next_months(self, product: str | None) -> Array:
        if self.next_shipment is None:
            return self.first_shipment
        if product is None:
            return self.next_shipment.min(axis=1)
        return self.next_shipment[:, self.product_ids.index(product)]

    def next_shipment_distribution(self, product: str | None = None) -> pd.DataFrame:
        """Probability that the first China shipment after the facts (of ``product``, or
        of any selected product) falls in each month, or never."""
        return self._month_distribution(self._next_months(product))

    def next_shipment_probabilities(self, product: str | None = None) -> tuple[list[str], Array]:
        """:meth:`next_shipment_distribution` without pandas: the months (ascending, then
        :data:`NO_SHIPMENT`) and their probabilities."""
        return self._month_probabilities(self._next_months(product))

    @property
    def fan_paths(self) -> int:
        """Paths behind the fan chart's bands: the first ones (see ``FAN_PATHS``)."""
        return len(next(iter(self.monthly.values()))) if self.monthly else 0

    def bands(self, party: str) -> pd.DataFrame:
        """Monthly percentile bands (fan chart data) of a party's money, over the paths
        kept for the fan (all paths up to ``FAN_PATHS``)."""
        import pandas as pd

        if party not in self.monthly:
            raise InputError(
                [
                    Problem(
                        "fan party",
                        "",
                        "no monthly series kept; choose one of " + ", ".join(self.monthly),
                        party,
                        True,
                    )
                ]
            )
        m = self.monthly[party]
        pct = stats.percentiles(m, PERCENTILES)
        df = pd.DataFrame({"month": self.month_labels})
        for i, q in enumerate(PERCENTILES):
            df[f"p{q}"] = pct[i]
        df["mean"] = m.mean(axis=0, dtype=float)
        return df

    def inputs_frame(self) -> pd.DataFrame:
        """The draws, one column per uncertain input (months as indices, never = inf)."""
        import pandas as pd

        return pd.DataFrame(self.samples, columns=list(self.spec.paths))

    def headline(self) -> dict[str, Any]:
        """The figures quoted in the docs: China gross revenue over the horizon (mean,
        its standard error, P50) and the chances of no China revenue."""
        row = self.summary_row("china_gross_revenue")
        return {
            "china_gross_revenue_mean": float(row["mean"]),
            "china_gross_revenue_se": float(row["se"]),
            "china_gross_revenue_p50": float(row["p50"]),
            "p_no_china_revenue": self.p_no_revenue,
            "p_no_china_revenue_after_facts": self.p_no_future_revenue,
            "p_no_china_revenue_after_facts_by_product": self.p_no_future_revenue_by_product(),
            "as_of": self.as_of,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything the JSON output holds, in plain types."""
        return {
            "risk": self.spec.name,
            "assumptions": self.base_name,
            "seed": self.seed,
            "paths": self.n_paths,
            "chunk": self.chunk,
            "block": BLOCK,
            "products": list(self.product_ids),
            "percentiles": list(PERCENTILES),
            "as_of": self.as_of,
            "headline": self.headline(),
            "summary": _records(self.summary()),
            "p_no_china_revenue": self.p_no_revenue,
            "p_no_china_revenue_after_facts": self.p_no_future_revenue,
            "first_shipment": _records(self.first_shipment_distribution()),
            "next_shipment": {
                pid: _records(self.next_shipment_distribution(pid)) for pid in self.product_ids
            }
            | {ALL: _records(self.next_shipment_distribution())},
            "fan_paths": self.fan_paths,
            "bands": {p: _records(self.bands(p)) for p in self.monthly},
            "inputs": [
                {"path": m.path, "kind": m.shape, "apply": m.apply, "source": m.source}
                for m in self.spec.marginals
            ],
            "warnings": [str(w) for w in self.spec.warnings],
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
        for r in df.to_dict(orient="records")
    ]
