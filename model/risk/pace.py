"""The pace of China's future allowance batches, drawn path by path.

China's side of a licence is granted batch by batch (docs/methodology.md §2.2): the
cumulative allowance ``Alloc(t)`` is the sum of the batches dated at or before ``t``.
The batches granted up to ``horizon.as_of`` are facts and stay as the assumptions give
them; a risk file's *batch-pace* entries replace the later ones with a regular pace
whose parameters are drawn for each path::

    products.h200.china_allocations.units_per_buyer   units each buyer receives per batch
    products.h200.china_allocations.buyers            buyers approved per batch (default 1)
    products.h200.china_allocations.months_between    months from one batch to the next
    products.h200.china_allocations.next_batch        month of the first batch after the
                                                      facts (default: below)
    products.h200.china_allocations.stops             month from which China approves no
                                                      more batches (default never)

Each is an ordinary risk-file entry (a distribution with its source), so it can be
correlated with other inputs, and the tornado and the regression rank it like any other.
``units_per_buyer`` and ``months_between`` are required once a product has any of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .. import equations as eq
from ..calendar import month_index
from ..dotted import parse_path
from ..engine import Inputs
from ..schema import Assumptions, ParamInfo
from ..targets import Target

Array = np.ndarray

#: The key of a product's batches; a batch-pace path is ``products.<id>.china_allocations.<c>``.
KEY = "china_allocations"
#: The engine field the pace writes (through :func:`with_allowances`, never ``Target.write``).
FIELD = "allowance"


def _info(
    key: str,
    description: str,
    unit: str,
    kind: str,
    low: float | None = None,
    high: float | None = None,
) -> ParamInfo:
    quantity = {"number": "count", "integer": "count"}.get(kind, "month")
    return ParamInfo(key, "product", description, unit, kind, quantity, low=low, high=high)


#: The components of a batch pace, declared once: description, unit, kind and range.
COMPONENTS: dict[str, ParamInfo] = {
    "units_per_buyer": _info(
        "units_per_buyer", "Units China approves for each buyer in a batch.", "units", "number",
        low=0.0,
    ),
    "buyers": _info(
        "buyers", "Buyers approved in each batch.", "buyers", "integer", low=0.0, high=1000.0
    ),
    "months_between": _info(
        "months_between", "Months from one batch to the next.", "months", "integer",
        low=1.0, high=240.0,
    ),
    "next_batch": _info(
        "next_batch", "Month of the first batch after the facts (after horizon.as_of).",
        "YYYY-MM", "month",
    ),
    "stops": _info(
        "stops", "Month from which China approves no more batches; never = it does not stop.",
        "YYYY-MM or never", "month_or_never",
    ),
}  # fmt: skip
REQUIRED = ("units_per_buyer", "months_between")
#: Months that must come after the facts.
AFTER_FACTS = ("next_batch", "stops")


def split(path: str) -> tuple[str, str] | None:
    """``(product id, component)`` of a batch-pace path, or None for any other path."""
    parsed = parse_path(path)
    if isinstance(parsed, str) or parsed.scope != "pace":
        return None
    return parsed.product or "", parsed.sub or ""


def facts_month(a: Assumptions) -> float:
    """The last month of facts: ``idx(horizon.as_of)``, or the month before the horizon
    when ``as_of`` is unset (as the core's cost of the next month)."""
    as_of = a.horizon.as_of
    return -1.0 if as_of is None else month_index(as_of, a.horizon.start)


def resolve(path: str, a: Assumptions) -> Target | str:
    """The :class:`Target` of a batch-pace path (its ``field`` is :data:`FIELD`), or the
    rule it breaks."""
    parsed = split(path)
    if parsed is None:
        return f"'{path}' is not a batch-pace path (products.<id>.{KEY}.<component>)"
    pid, component = parsed
    ids = [p.id for p in a.products]
    if pid == "*":
        return f"a batch pace is set product by product: name the product ({', '.join(ids)})"
    if pid not in ids:
        return f"unknown product id '{pid}' (products: {', '.join(ids)})"
    info = COMPONENTS.get(component)
    if info is None:
        return f"unknown batch-pace component '{component}' (choose {', '.join(COMPONENTS)})"
    product = a.product(pid)
    if product.china_allocations is None:
        return (
            f"products.{pid} has no {KEY} (China limits no volume): a batch pace adds to "
            f"the batches granted so far; set products.{pid}.{KEY} in the assumptions "
            "(an empty list if none was granted)"
        )
    return Target(path, FIELD, info, (ids.index(pid),), (math.nan,))


@dataclass(frozen=True)
class Pace:
    """One product's batch pace: the granted batches and where its components are drawn.

    ``granted`` is the cumulative allowance of the batches dated at or before the facts,
    shape (H,); ``columns`` maps each drawn component to its column of the draws.
    """

    product: int
    product_id: str
    granted: Array
    last_granted: float  # month index of the last granted batch, -inf if none
    facts: float  # idx(horizon.as_of), or -1
    columns: tuple[tuple[str, int], ...]

    def allowance(self, values: Mapping[str, Array]) -> Array:
        """``Alloc(t)`` for each path from its component ``values`` (n,) each; components
        not drawn take their defaults. Shape (n, H)."""
        gap = np.asarray(values["months_between"], dtype=float)
        first = values.get("next_batch")
        if first is None:
            first = default_next_batch(self.last_granted, self.facts, gap)
        n = len(gap)
        return batch_allowance(
            self.granted,
            np.asarray(values["units_per_buyer"], dtype=float),
            np.asarray(values.get("buyers", np.ones(n)), dtype=float),
            gap,
            np.asarray(first, dtype=float),
            np.asarray(values.get("stops", np.full(n, math.inf)), dtype=float),
        )

    def drawn(self, x: Array) -> dict[str, Array]:
        """The drawn components of this pace from the draws ``x`` (n, inputs)."""
        return {c: x[:, i] for c, i in self.columns}


def default_next_batch(last_granted: float, facts: float, gap: Array) -> Array:
    """The first batch after the facts when the risk file does not draw it, (n,).

    Notes
    -----
    ``months_between`` after the last granted batch, but not before the month after the
    facts: ``max(last + gap, facts + 1)``; with no batch granted, ``facts + gap``.
    """
    if not math.isfinite(last_granted):
        return facts + gap
    return np.maximum(last_granted + gap, facts + 1.0)


def batch_allowance(
    granted: Array, units: Array, buyers: Array, gap: Array, first: Array, stops: Array
) -> Array:
    """China's cumulative allowance under a regular batch pace, shape (n, H).

    Parameters
    ----------
    granted
        Cumulative allowance of the batches granted up to the facts, (H,).
    units, buyers, gap, first, stops
        Per path, (n,): units per buyer, buyers per batch, months between batches, month
        index of the first future batch, month index from which no batch comes (+inf).

    Notes
    -----
    Future batches fall in the months ``T_k = first + k * gap`` (k = 0, 1, …) that come
    before ``stops``; each brings ``units * buyers``. With ``m(t) = min(t, stops - 1)``::

        Alloc(t) = Granted(t) + units * buyers * max(0, floor((m(t) - first) / gap) + 1)

    A pace of zero (no units, or no buyer) leaves only the granted batches. The steps
    run in place in one array (a Monte Carlo computes this for every path and month).
    """
    t = np.arange(len(granted), dtype=float)
    since = np.empty((len(first), len(granted)))  # m(t) - first, then the batches to t
    np.minimum(t[None, :], (stops - 1.0)[:, None], out=since)
    since -= first[:, None]
    none_yet = ~(since >= 0.0)
    np.maximum(since, 0.0, out=since)
    since /= gap[:, None]
    np.floor(since, out=since)
    since += 1.0
    since[none_yet] = 0.0
    since *= (units * buyers)[:, None]
    since += granted[None, :]  # Granted(t) + units * buyers * count, to the bit
    return since


def granted_batches(a: Assumptions, j: int) -> tuple[Array, float]:
    """The cumulative allowance of product ``j``'s batches dated at or before the facts,
    shape (H,), and the month index of the last of them (-inf if none)."""
    start, months = a.horizon.start, a.horizon.months
    facts = facts_month(a)
    batches = [
        (month_index(b.month, start), b.units) for b in a.products[j].china_allocations or []
    ]
    kept = [(m, u) for m, u in batches if m <= facts]
    last = max((m for m, _ in kept), default=-math.inf)
    return eq.cumulative_allowance(kept, months), float(last)


def build(a: Assumptions, components: Sequence[tuple[int, str, int]]) -> tuple[Pace, ...]:
    """One :class:`Pace` per product from ``(product, component, column)`` triples."""
    by_product: dict[int, list[tuple[str, int]]] = {}
    for j, component, column in components:
        by_product.setdefault(j, []).append((component, column))
    out = []
    for j, cols in sorted(by_product.items()):
        granted, last = granted_batches(a, j)
        out.append(Pace(j, a.products[j].id, granted, last, facts_month(a), tuple(cols)))
    return tuple(out)


def missing(paces: Sequence[Pace]) -> list[tuple[Pace, str]]:
    """Required components a pace does not draw."""
    return [(p, c) for p in paces for c in REQUIRED if c not in dict(p.columns)]


def with_allowances(
    inputs: Inputs, paces: Sequence[Pace], values: Sequence[Mapping[str, Array]]
) -> Inputs:
    """``inputs`` with each paced product's allowance (n, H) written in from its pace's
    component ``values`` (:meth:`Pace.allowance`), shape (n, P, H)."""
    if not paces:
        return inputs
    n = inputs.n
    # C order: a copy of a broadcast array would otherwise keep the paths innermost, and
    # the kernel, reading one path's months in turn, would miss the cache every month.
    shape = (n, *inputs.allowance.shape[1:])
    out = np.empty(shape)
    paced = {p.product for p in paces}
    for j in range(shape[1]):
        if j not in paced:
            out[:, j, :] = inputs.allowance[:, j, :]
    flags = list(inputs.has_allocations)
    for p, v in zip(paces, values, strict=True):
        out[:, p.product, :] = p.allowance(v)
        flags[p.product] = True
    return replace(inputs, allowance=out, has_allocations=tuple(flags))
