"""Dotted assumption paths mapped onto the stacked engine inputs.

A Monte Carlo draw or a tornado's low/high value is written straight into the
arrays of :class:`~model.engine.Inputs` (one row per path or variant), rather than
into a copy of the YAML per path: that is what keeps 100,000 paths fast. This module
says once which engine field each dotted path feeds and how its value is encoded
(months as indices from the horizon start, ``never`` as ``+inf``, choices as 0/1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .dotted import parse_path
from .encoding import DISCRETE_ONLY, MONTH_KINDS, decode, encode, in_range
from .engine import GLOBAL_FIELDS, PRODUCT_FIELDS, Inputs, global_value, product_value
from .schema import Assumptions, ParamInfo, param_info

__all__ = [
    "DISCRETE_ONLY",
    "MONTH_KINDS",
    "Target",
    "decode",
    "encode",
    "in_range",
    "resolve",
    "with_columns",
    "writable_columns",
]

Array = np.ndarray

#: Dotted path -> engine field, read from the engine's own tables (said once there).
GLOBAL_TARGETS: dict[str, str] = {
    path: name for name, path in GLOBAL_FIELDS.items() if not path.startswith("horizon.")
}
PRODUCT_TARGETS: dict[str, str] = {
    key: name for name, key in PRODUCT_FIELDS.items() if key != "tpp"
}
#: A global value that products inherit when they do not set their own: the product
#: field it feeds and the product key whose ``null`` means "inherit".
INHERITED: dict[str, tuple[str, str]] = {
    "timeline.us_approval": ("us_approval", "us_approval"),
    "timeline.china_approval": ("china_approval", "china_approval"),
    "timeline.licence_ends": ("licence_end", "licence_ends"),
    "policy.share_rate": ("rate", "share_rate"),
}
ALL_PRODUCTS = "*"


@dataclass(frozen=True)
class Target:
    """Where a dotted path lands in :class:`Inputs`, with its base (encoded) values.

    ``products`` is empty for a global parameter; ``follow`` names a product field and
    the products that inherit the global value (the levy rate of products without a
    rate of their own), which a draw of the global value must move as well.
    """

    path: str
    field: str
    info: ParamInfo
    products: tuple[int, ...]
    base: tuple[float, ...]
    follow: tuple[str, tuple[int, ...]] | None = None

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
        if self.follow:
            name, heirs = self.follow
            dest = cols[name]
            sub = dest[rows]
            sub[:, list(heirs)] = np.asarray(v)[:, None]
            dest[rows] = sub

    def fields(self) -> tuple[str, ...]:
        return (self.field, self.follow[0]) if self.follow else (self.field,)


def writable_columns(inputs: Inputs, targets: list[Target]) -> dict[str, Array]:
    """Private copies of the engine arrays that ``targets`` write to."""
    names = {f for t in targets for f in t.fields()}
    return {f: np.array(getattr(inputs, f), copy=True) for f in names}


def with_columns(inputs: Inputs, cols: dict[str, Array]) -> Inputs:
    """``inputs`` with the arrays in ``cols`` swapped in (the rest shared, unchanged)."""
    changes: dict[str, Any] = dict(cols)
    return replace(inputs, **changes)


def resolve(path: str, a: Assumptions, start: str | None = None) -> Target | str:
    """The :class:`Target` of a dotted path, or the rule it breaks.

    Paths are those of scenario overrides (docs/methodology.md §4) that the engine
    reads per variant, plus ``products.*.<key>`` for one value applied to every product.
    A timeline date moves the products that inherit it; the policy's levy rate moves
    the products without a rate of their own.
    """
    start = start or a.horizon.start
    parsed = parse_path(path)
    if isinstance(parsed, str):
        return parsed
    if parsed.scope == "section" and parsed.section == "horizon":
        return "the horizon cannot vary between paths"
    if parsed.scope in ("top", "section"):
        return _resolve_global(path, a, start)
    if parsed.scope == "product":
        return _resolve_product(path, parsed.product or "", parsed.key, a, start)
    if parsed.scope == "bom":
        return "supplier bill-of-materials values cannot be random (vary unit_cost_usd instead)"
    return f"{path} cannot be random: vary a number of the assumptions instead"


def _resolve_global(path: str, a: Assumptions, start: str) -> Target | str:
    info = param_info(path)
    if info is None:
        return f"unknown parameter path '{path}'"
    enc = _as_float(encode(info, global_value(a, path), start))
    inherited = INHERITED.get(path)
    heirs: tuple[int, ...] = ()
    if inherited is not None:
        heirs = tuple(j for j, p in enumerate(a.products) if getattr(p, inherited[1]) is None)
    if path in GLOBAL_TARGETS:
        follow = (inherited[0], heirs) if inherited and heirs else None
        return Target(path, GLOBAL_TARGETS[path], info, (), (enc,), follow)
    if inherited is None:
        return f"unknown parameter path '{path}'"
    if not heirs:
        return (
            f"every product sets its own {inherited[1]}, so {path} changes nothing "
            f"(vary products.<id>.{inherited[1]} instead)"
        )
    return Target(path, inherited[0], info, heirs, (enc,) * len(heirs))


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
    base = tuple(_as_float(encode(info, product_value(a, a.products[j], key), start)) for j in idx)
    return Target(path, PRODUCT_TARGETS[key], info, idx, base)


def _as_float(enc: float | str) -> float:
    if isinstance(enc, str):  # the validated assumptions always encode
        raise ValueError(enc)
    return enc
