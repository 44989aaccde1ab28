"""Dotted paths into the assumptions: the one parser (docs/methodology.md §4).

A scenario override, a Monte Carlo target, a workbook input and an app link all
address a value the same way: ``discount_rate``, ``policy.share_rate``,
``products.h200.asp_usd``, ``products.h200.bom_usd_per_unit.tsmc``,
``products.h200.actual_shipments.2026-08`` or ``vendors.AMD.tax_rate``. This module
turns such text into a :class:`DottedPath` (or the rule it breaks) and back; it knows
the shape of the schema, not its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SECTION_NAMES = ("horizon", "policy", "timeline", "demand")
TOP_KEYS = ("discount_rate",)
#: Product fields that hold a mapping addressed by a sub-key.
PRODUCT_MAPPINGS = {
    "bom_usd_per_unit": "bom",
    "actual_shipments": "actual",
    "china_allocations": "pace",  # a risk file's pace of future batches
}
ALL_PRODUCTS = "*"

Scope = Literal["top", "section", "product", "bom", "actual", "pace", "vendor"]

PATH_HELP = (
    "use discount_rate, <section>.<key> (sections: horizon, policy, timeline, demand), "
    "products.<id>.<key>, products.<id>.bom_usd_per_unit.<supplier>, "
    "products.<id>.actual_shipments.<YYYY-MM> or vendors.<vendor>.<key>"
)


@dataclass(frozen=True)
class DottedPath:
    """A parsed dotted path.

    ``scope`` says what it addresses: a top-level value, a section's key, a product's
    key, one supplier of a product's bill of materials (``sub`` = supplier id), one
    month of a product's reported actuals (``sub`` = month), one component of the pace of
    China's future batches in a risk file (``sub`` = ``units_per_buyer`` …) or a
    vendor's key.
    """

    scope: Scope
    key: str
    section: str | None = None
    product: str | None = None
    vendor: str | None = None
    sub: str | None = None

    @property
    def text(self) -> str:
        if self.scope == "top":
            return self.key
        if self.scope == "section":
            return f"{self.section}.{self.key}"
        if self.scope == "vendor":
            return f"vendors.{self.vendor}.{self.key}"
        head = f"products.{self.product}.{self.key}"
        return f"{head}.{self.sub}" if self.sub is not None else head

    def __str__(self) -> str:
        return self.text


def parse_path(text: str) -> DottedPath | str:
    """The :class:`DottedPath` that ``text`` names, or the rule it breaks.

    Only the shape is checked here (which keys exist is the schema's business, see
    :func:`model.loader.resolve_override`). Vendor names may contain dots' neighbours
    such as spaces but not dots.
    """
    parts = str(text).split(".")
    head = parts[0]
    if head in TOP_KEYS and len(parts) == 1:
        return DottedPath("top", head)
    if head in SECTION_NAMES and len(parts) == 2:
        return DottedPath("section", parts[1], section=head)
    if head == "vendors" and len(parts) == 3:
        return DottedPath("vendor", parts[2], vendor=parts[1])
    if head == "products" and len(parts) == 3:
        return DottedPath("product", parts[2], product=parts[1])
    if head == "products" and len(parts) == 4:
        scope = PRODUCT_MAPPINGS.get(parts[2])
        if scope is None:
            return f"only {', '.join(PRODUCT_MAPPINGS)} have sub-keys"
        return DottedPath(scope, parts[2], product=parts[1], sub=parts[3])  # type: ignore[arg-type]
    return f"unknown path: {PATH_HELP}"
