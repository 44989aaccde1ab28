"""What every tab receives: the what-if, its reference and their results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from model.analysis import ALL, Results
from model.outputs import fiscal_calendars
from model.schema import Assumptions

from . import compute
from .catalog import Catalog, Reference


@dataclass(frozen=True)
class View:
    """What every tab receives: the what-if, its reference, their results and the view."""

    catalog: Catalog
    reference: Reference
    overrides: dict[str, Any]  # on the reference
    key: str  # cache key of the what-if (see compute.cache_key)
    whatif: Assumptions
    results: Results  # the what-if's
    ref_results: Results  # the reference's
    measure: str  # total_usd | npv_usd
    product: str = ALL  # the product shown (or all)
    period: str = "month"  # month | calendar_quarter | calendar_year | fiscal_quarter | ...

    @property
    def monthly(self) -> pd.DataFrame:
        """The what-if's monthly long frame (docs/methodology.md §5), cached."""
        return compute.monthly(self.key)

    @property
    def as_of(self) -> str | None:
        """The date of the latest facts (months up to it are reported, later forecast)."""
        return self.whatif.horizon.as_of

    @property
    def calendars(self) -> dict[str, int]:
        """Each product's fiscal year-end month (its vendor's calendar)."""
        return fiscal_calendars(self.results.projection)

    def product_label(self, pid: str) -> str:
        """``Nvidia H200 (h200)``, or ``All products``."""
        if pid == ALL:
            return "All products"
        return next((f"{p.name} ({p.id})" for p in self.whatif.products if p.id == pid), pid)
