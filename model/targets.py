"""Dotted assumption paths mapped onto the stacked engine inputs.

A Monte Carlo draw or a tornado's low/high value is written straight into the
arrays of :class:`~model.engine.Inputs` (one row per path or variant), rather than
into a copy of the YAML per path: that is what keeps 100,000 paths fast. This module
says once which engine field each dotted path feeds and how its value is encoded
(months as indices from the horizon start, ``never`` as ``+inf``, choices as 0/1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .calendar import month_index
from .engine import Inputs
from .schema import MONTH_RE, NEVER, Assumptions, ParamInfo, param_info

Array = np.ndarray

GLOBAL_TARGETS: dict[str, str] = {
    "discount_rate": "discount_rate",
    "policy.mechanism": "import_tariff",
    "policy.share_rate": "share_rate",
    "policy.customs_value_ratio": "customs_value_ratio",
    "policy.levy_ends": "levy_end",
    "policy.us_min_share": "us_min_share",
    "policy.quota_basis": "quota_cumulative",
    "policy.china_import_tariff": "china_tariff",
    "policy.test_fee_usd_per_unit": "test_fee",
    "timeline.us_approval": "us_approval",
    "timeline.china_approval": "china_approval",
    "timeline.test_lag_months": "test_lag",
    "timeline.restart_lag_months": "restart_lag",
    "timeline.ramp_months": "ramp_months",
    "demand.reference_start": "reference_start",
    "demand.erosion_per_month": "erosion",
    "demand.backlog_retention": "retention",
    "demand.price_elasticity": "elasticity",
}
PRODUCT_TARGETS: dict[str, str] = {
    "asp_usd": "asp",
    "asp_change_per_year": "asp_change",
    "unit_cost_usd": "unit_cost",
    "share_rate": "rate",
    "quota_applies": "quota_applies",
    "china_demand_units_per_month": "demand",
    "china_demand_growth_per_year": "demand_growth",
    "us_shipments_units_per_month": "us_shipments",
    "starting_inventory_units": "inventory0",
    "licence_cap_units": "cap",
    "production_capacity_units_per_month": "capacity",
    "production_paused": "paused",
}
#: The value of a choice parameter that is encoded as 1 (the other is 0).
CHOICE_ONE = {"mechanism": "import_tariff", "quota_basis": "cumulative"}
ALL_PRODUCTS = "*"
APPLY_MODES = ("value", "scale", "shift")
MONTH_KINDS = ("month", "month_or_never", "month_or_null")
DISCRETE_ONLY = ("bool", "choice")


@dataclass(frozen=True)
class Target:
    """Where a dotted path lands in :class:`Inputs`, with its base (encoded) values.

    ``products`` is empty for a global parameter; ``follow_rate`` lists the products
    whose levy rate is the policy rate (no ``share_rate`` override), which a draw of
    ``policy.share_rate`` must move as well.
    """

    path: str
    field: str
    info: ParamInfo
    products: tuple[int, ...]
    base: tuple[float, ...]
    follow_rate: tuple[int, ...] = ()

    @property
    def is_product(self) -> bool:
        return bool(self.products)

    def values(self, x: Array, apply: str = "value") -> Array:
        """Engine values for draws ``x`` (n,): shape (n,) or (n, products).

        ``value`` uses ``x`` itself, ``scale`` the base times ``x``, ``shift`` the base
        plus ``x``.
        """
        base = np.asarray(self.base)
        col = x[:, None] if self.is_product else x
        if apply == "scale":
            return base * col if self.is_product else base[0] * col
        if apply == "shift":
            return base + col if self.is_product else base[0] + col
        return np.broadcast_to(col, (len(x), len(self.products))) if self.is_product else col

    def write(
        self,
        cols: dict[str, Array],
        x: Array,
        apply: str = "value",
        rows: Array | slice = slice(None),
    ) -> None:
        """Write draws ``x`` into the rows ``rows`` of the (copied) engine arrays ``cols``."""
        v = self.values(x, apply)
        arr = cols[self.field]
        if arr.dtype == bool:
            v = v > 0.5
        if self.is_product:
            idx = list(self.products)
            sub = arr[rows]
            sub[:, idx] = v
            arr[rows] = sub
        else:
            arr[rows] = v
        if self.follow_rate:
            rate = cols["rate"]
            sub = rate[rows]
            sub[:, list(self.follow_rate)] = np.asarray(v)[:, None]
            rate[rows] = sub

    def fields(self) -> tuple[str, ...]:
        return (self.field, "rate") if self.follow_rate else (self.field,)


def writable_columns(inputs: Inputs, targets: list[Target]) -> dict[str, Array]:
    """Private copies of the engine arrays that ``targets`` write to."""
    names = {f for t in targets for f in t.fields()}
    return {f: np.array(getattr(inputs, f), copy=True) for f in names}


def with_columns(inputs: Inputs, cols: dict[str, Array]) -> Inputs:
    """``inputs`` with the arrays in ``cols`` swapped in (the rest shared, unchanged)."""
    changes: dict[str, Any] = dict(cols)
    return replace(inputs, **changes)


def encode(info: ParamInfo, value: Any, start: str) -> float | str:
    """The engine's number for a parameter value, or the rule it breaks.

    Months become indices from ``start`` (``never``/``null`` → ``+inf`` where allowed),
    yes/no becomes 1/0, a choice 1 for :data:`CHOICE_ONE` and 0 otherwise.
    """
    if info.kind in MONTH_KINDS:
        return _encode_month(info, value, start)
    if info.kind == "bool":
        return float(value) if isinstance(value, bool) else "must be true or false"
    if info.kind == "choice":
        if value not in info.choices:
            return f"must be one of {', '.join(info.choices)}"
        return 1.0 if value == CHOICE_ONE.get(info.key) else 0.0
    if value is None:
        return math.inf if info.key == "licence_cap_units" else "must be a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "must be a number"
    if info.kind == "integer" and float(value) != int(value):
        return "must be a whole number"
    if not in_range(float(value), info):
        return f"must be within {info.range_text()}"
    return float(value)


def _encode_month(info: ParamInfo, value: Any, start: str) -> float | str:
    never_ok = info.kind in ("month_or_never", "month_or_null")
    if value is None or value == NEVER:
        return math.inf if never_ok else "must be a month written YYYY-MM"
    if isinstance(value, str) and MONTH_RE.match(value):
        return month_index(value, start)
    return "must be a month written YYYY-MM" + (" or the word 'never'" if never_ok else "")


def in_range(x: float, info: ParamInfo) -> bool:
    """Whether ``x`` lies in the parameter's declared range (open or closed ends)."""
    if info.low is not None and (x < info.low or (info.low_open and x <= info.low)):
        return False
    return not (info.high is not None and (x > info.high or (info.high_open and x >= info.high)))


def decode(info: ParamInfo, x: float, start: str) -> str:
    """A readable value: ``2026-05`` for months, ``never``, ``yes``/``no``, or the number."""
    from .calendar import month_label

    if info.kind in MONTH_KINDS:
        return NEVER if not math.isfinite(x) else month_label(round(x), start)
    if info.kind == "bool":
        return "yes" if x > 0.5 else "no"
    if info.kind == "choice":
        one = CHOICE_ONE.get(info.key, "")
        other = next((c for c in info.choices if c != one), "")
        return one if x > 0.5 else other
    return "none" if not math.isfinite(x) else f"{x:g}"


def resolve(path: str, a: Assumptions, start: str | None = None) -> Target | str:
    """The :class:`Target` of a dotted path, or the rule it breaks.

    Paths are those of scenario overrides (MODEL_SPEC §4) that the engine reads per
    variant, plus ``products.*.<key>`` for one value applied to every product.
    """
    start = start or a.horizon.start
    parts = path.split(".")
    if parts[0] == "horizon":
        return "the horizon cannot vary between paths"
    if path in GLOBAL_TARGETS:
        info = param_info(path)
        assert info is not None
        base = _base_global(path, a)
        enc = encode(info, base, start)
        follow = (
            tuple(j for j, p in enumerate(a.products) if p.share_rate is None)
            if path == "policy.share_rate"
            else ()
        )
        return Target(path, GLOBAL_TARGETS[path], info, (), (_as_float(enc),), follow)
    if parts[0] == "products" and len(parts) == 3:
        return _resolve_product(path, parts[1], parts[2], a, start)
    if parts[0] == "products" and len(parts) == 4 and parts[2] == "bom_usd_per_unit":
        return "supplier bill-of-materials values cannot be random (vary unit_cost_usd instead)"
    sections = ", ".join(sorted({k.split(".")[0] for k in GLOBAL_TARGETS if "." in k}))
    return (
        f"unknown parameter path: use discount_rate, <section>.<key> ({sections}) "
        "or products.<id or *>.<key>"
    )


def _resolve_product(path: str, pid: str, key: str, a: Assumptions, start: str) -> Target | str:
    ids = [p.id for p in a.products]
    if pid != ALL_PRODUCTS and pid not in ids:
        return f"unknown product id '{pid}' (products: {', '.join(ids)}, or * for all)"
    if key not in PRODUCT_TARGETS:
        keys = ", ".join(PRODUCT_TARGETS)
        return f"unknown or non-numeric product parameter '{key}' (choose {keys})"
    info = param_info(f"products.x.{key}")
    assert info is not None
    idx = tuple(range(len(ids))) if pid == ALL_PRODUCTS else (ids.index(pid),)
    base = []
    for j in idx:
        p = a.products[j]
        raw = p.share_rate if key == "share_rate" else getattr(p, key)
        if key == "share_rate" and raw is None:
            raw = a.policy.share_rate
        base.append(_as_float(encode(info, raw, start)))
    return Target(path, PRODUCT_TARGETS[key], info, idx, tuple(base))


def _base_global(path: str, a: Assumptions) -> Any:
    if path == "discount_rate":
        return a.discount_rate
    section, key = path.split(".")
    return getattr(getattr(a, section), key)


def _as_float(enc: float | str) -> float:
    if isinstance(enc, str):  # the validated assumptions always encode
        raise ValueError(enc)
    return enc
