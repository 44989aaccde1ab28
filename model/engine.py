"""The orchestrator: docs/methodology.md §2–3 in the order the contract writes them.

Inputs are stacked on a leading axis ``N`` (scenarios or Monte Carlo paths):
global parameters have shape ``(N,)``, product parameters ``(N, P)``, the supplier
bill of materials ``(N, P, K)`` and the month-by-month inputs (China's cumulative
allowance, reported actuals) ``(N, P, H)`` or ``(1, P, H)`` when every variant
shares them. Outputs have a trailing month axis. The month loop in :func:`volumes`
is the only loop: the recurrence needs the previous month.

Each engine field is named once, in :data:`GLOBAL_FIELDS` or :data:`PRODUCT_FIELDS`,
with the dotted path (or product key) of the assumption that feeds it; the Monte
Carlo and the tornado write into the same fields through :mod:`model.targets`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

import numpy as np

from . import equations as eq
from . import recurrence
from .calendar import month_index
from .dotted import parse_path
from .encoding import encode
from .schema import Assumptions, ParamInfo, Product, param_info

Array = np.ndarray

#: Engine field -> the dotted path of the global assumption that feeds it, shape (N,).
GLOBAL_FIELDS: dict[str, str] = {
    "share_rate": "policy.share_rate",
    "import_tariff": "policy.mechanism",
    "customs_value_ratio": "policy.customs_value_ratio",
    "levy_end": "policy.levy_ends",
    "us_min_share": "policy.us_min_share",
    "quota_cumulative": "policy.quota_basis",
    "china_tariff": "policy.china_import_tariff",
    "test_fee": "policy.test_fee_usd_per_unit",
    "test_lag": "timeline.test_lag_months",
    "restart_lag": "timeline.restart_lag_months",
    "ramp_months": "timeline.ramp_months",
    "reference_start": "demand.reference_start",
    "erosion": "demand.erosion_per_month",
    "retention": "demand.backlog_retention",
    "elasticity": "demand.price_elasticity",
    "discount_rate": "discount_rate",
    "as_of": "horizon.as_of",
}
#: Engine field -> the product key that feeds it, shape (N, P). Dates and the levy rate
#: are the product's own or inherited (``Assumptions.dates``, ``Assumptions.rate``).
PRODUCT_FIELDS: dict[str, str] = {
    "asp": "asp_usd",
    "asp_change": "asp_change_per_year",
    "unit_cost": "unit_cost_usd",
    "rate": "share_rate",
    "quota_applies": "quota_applies",
    "us_approval": "us_approval",
    "china_approval": "china_approval",
    "licence_end": "licence_ends",
    "build_to_order": "production_rule",
    "demand": "china_demand_units_per_month",
    "demand_growth": "china_demand_growth_per_year",
    "us_shipments": "us_shipments_units_per_month",
    "inventory0": "starting_inventory_units",
    "cap": "licence_cap_units",
    "capacity": "production_capacity_units_per_month",
    "paused": "production_paused",
    "tpp": "tpp",
}
BOOL_FIELDS = ("import_tariff", "quota_cumulative", "quota_applies", "paused", "build_to_order")
MONTHLY_FIELDS = ("allowance", "actual", "actual_mask")
VENDOR_FIELDS = ("fiscal_year_end", "tax_rate", "diluted_shares", "eps_defined")


@dataclass(frozen=True)
class Inputs:
    """Numeric model inputs, stacked over a leading axis of N variants.

    Month fields (``us_approval``, ``levy_end``…) are indices from the horizon start,
    ``+inf`` for never (``as_of`` is ``+inf`` when unset). ``rate`` is the resolved
    per-product levy rate. ``allowance`` is China's cumulative allowance
    ``Alloc(t)`` (``+inf`` where China limits no volume); ``actual`` holds reported
    shipments where ``actual_mask`` is true.
    """

    months: int
    start: str
    fiscal_year_end_month: int
    product_ids: tuple[str, ...]
    supplier_ids: tuple[str, ...]
    bom_members: tuple[tuple[int, ...], ...]  # per product, suppliers listed in its BOM
    vendors: tuple[str, ...]  # per product
    has_allocations: tuple[bool, ...]  # per product, in any variant
    has_actuals: tuple[bool, ...]
    has_tpp: tuple[bool, ...]
    # globals, shape (N,)
    share_rate: Array
    import_tariff: Array
    customs_value_ratio: Array
    levy_end: Array
    us_min_share: Array
    quota_cumulative: Array
    china_tariff: Array
    test_fee: Array
    test_lag: Array
    restart_lag: Array
    ramp_months: Array
    reference_start: Array
    erosion: Array
    retention: Array
    elasticity: Array
    discount_rate: Array
    as_of: Array
    # products, shape (N, P)
    asp: Array
    asp_change: Array
    unit_cost: Array
    rate: Array
    quota_applies: Array
    us_approval: Array
    china_approval: Array
    licence_end: Array
    build_to_order: Array
    demand: Array
    demand_growth: Array
    us_shipments: Array
    inventory0: Array
    cap: Array
    capacity: Array
    paused: Array
    tpp: Array
    # vendors, per product, shape (N, P)
    fiscal_year_end: Array
    tax_rate: Array
    diluted_shares: Array
    eps_defined: Array
    # suppliers, shape (N, P, K)
    bom: Array
    # month by month, shape (N, P, H) or (1, P, H)
    allowance: Array
    actual: Array
    actual_mask: Array

    @property
    def n(self) -> int:
        return int(self.asp.shape[0])

    @classmethod
    def from_assumptions(cls, variants: Sequence[Assumptions]) -> Inputs:
        """Stack validated assumptions; they must share the horizon and product ids."""
        first = variants[0]
        pids = tuple(p.id for p in first.products)
        for a in variants[1:]:
            if (a.horizon.start, a.horizon.months) != (
                first.horizon.start,
                first.horizon.months,
            ) or tuple(p.id for p in a.products) != pids:
                raise ValueError("variants stacked together must share horizon and products")
        sups = tuple(dict.fromkeys(s for a in variants for s in a.supplier_ids))
        cols: dict[str, list[Any]] = {
            k: [] for k in (*GLOBAL_FIELDS, *PRODUCT_FIELDS, *VENDOR_FIELDS, *MONTHLY_FIELDS)
        }
        cols["bom"] = []
        for a in variants:
            for k, path in GLOBAL_FIELDS.items():
                cols[k].append(_encoded(path, global_value(a, path), a.horizon.start))
            for k, key in PRODUCT_FIELDS.items():
                cols[k].append([_product_number(a, p, key) for p in a.products])
            for k, v in _vendor_columns(a).items():
                cols[k].append(v)
            for k, rows in _monthly_columns(a).items():
                cols[k].append(rows)
            cols["bom"].append([[p.bom_usd_per_unit.get(s, 0.0) for s in sups] for p in a.products])
        arrays = {k: np.asarray(v, dtype=float) for k, v in cols.items()}
        if not sups:
            arrays["bom"] = np.zeros((len(variants), len(pids), 0))
        for k in (*BOOL_FIELDS, "eps_defined", "actual_mask"):
            arrays[k] = arrays[k].astype(bool)
        return cls(
            months=first.horizon.months,
            start=first.horizon.start,
            fiscal_year_end_month=first.horizon.fiscal_year_end_month,
            product_ids=pids,
            supplier_ids=sups,
            bom_members=tuple(
                tuple(
                    k
                    for k, s in enumerate(sups)
                    if any(s in a.products[j].bom_usd_per_unit for a in variants)
                )
                for j in range(len(pids))
            ),
            vendors=tuple(p.vendor for p in first.products),
            has_allocations=_any_product(variants, lambda p: p.china_allocations is not None),
            has_actuals=_any_product(variants, lambda p: bool(p.actual_shipments)),
            has_tpp=_any_product(variants, lambda p: p.tpp is not None),
            **arrays,
        )

    def take(self, index: Array | slice) -> Inputs:
        """A subset of the variants (a chunk of Monte Carlo paths, say); inputs that every
        variant shares (leading axis 1) stay shared."""
        arrays: dict[str, Any] = {
            name: value[index] for name, value in self.arrays().items() if not self.shared(value)
        }
        return replace(self, **arrays)

    def repeat(self, n: int) -> Inputs:
        """The first variant repeated ``n`` times, ready to have arrays replaced; the
        month-by-month inputs stay shared (leading axis 1) until something replaces them."""
        arrays: dict[str, Any] = {}
        for name, value in self.arrays().items():
            if name in MONTHLY_FIELDS:
                arrays[name] = value[:1]
            else:
                arrays[name] = np.repeat(value[:1], n, axis=0)
        return replace(self, **arrays)

    def first_months(self, months: int) -> Inputs:
        """The inputs of the horizon's first ``months`` months only: a month's series
        depend on that month and the ones before it, never on later ones, so they come
        out the same as those months of the whole horizon, for less work."""
        arrays = {name: getattr(self, name)[..., :months] for name in MONTHLY_FIELDS}
        return replace(self, months=min(months, self.months), **arrays)

    def arrays(self) -> dict[str, Array]:
        """Every array field by name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }

    def shared(self, value: Array) -> bool:
        """Whether ``value`` is a month-by-month input shared by all variants."""
        return value.ndim == 3 and value.shape[0] == 1 and self.n > 1 and value is not self.bom


def _any_product(variants: Sequence[Assumptions], test: Any) -> tuple[bool, ...]:
    count = len(variants[0].products)
    return tuple(any(test(a.products[j]) for a in variants) for j in range(count))


@cache
def _info(path: str) -> ParamInfo:
    info = param_info(path)
    assert info is not None, path
    return info


def _encoded(path: str, value: Any, start: str) -> float:
    enc = encode(_info(path), value, start)
    if isinstance(enc, str):  # validated assumptions always encode
        raise ValueError(f"{path}: {enc}")
    return enc


def global_value(a: Assumptions, path: str) -> Any:
    """The value of a top-level or section parameter named by its dotted path."""
    parsed = parse_path(path)
    assert not isinstance(parsed, str) and parsed.scope in ("top", "section"), path
    holder = a if parsed.section is None else getattr(a, parsed.section)
    return getattr(holder, parsed.key)


def product_value(a: Assumptions, p: Product, key: str) -> Any:
    """A product's effective value of ``key``: its own, or the one it inherits
    (dates from ``timeline``, the levy rate from ``policy``)."""
    if key in ("us_approval", "china_approval", "licence_ends"):
        us, china, ends = a.dates(p)
        return {"us_approval": us, "china_approval": china, "licence_ends": ends}[key]
    if key == "share_rate":
        return a.rate(p)
    return getattr(p, key)


def _product_number(a: Assumptions, p: Product, key: str) -> float:
    value = product_value(a, p, key)
    if key == "tpp" and value is None:
        return 0.0
    return _encoded(f"products.*.{key}", value, a.horizon.start)


def _vendor_columns(a: Assumptions) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in VENDOR_FIELDS}
    for p in a.products:
        v = a.vendors.get(p.vendor)
        tax = None if v is None else v.tax_rate
        shares = None if v is None else v.diluted_shares
        out["fiscal_year_end"].append(float(a.fiscal_year_end(p.vendor)))
        out["tax_rate"].append(0.0 if tax is None else tax)
        out["diluted_shares"].append(0.0 if shares is None else shares)
        out["eps_defined"].append(float(tax is not None and shares is not None))
    return out


def _monthly_columns(a: Assumptions) -> dict[str, list[list[float]]]:
    """China's cumulative allowance and the reported actuals, (P, H) each."""
    months, start = a.horizon.months, a.horizon.start
    out: dict[str, list[list[float]]] = {k: [] for k in MONTHLY_FIELDS}
    for p in a.products:
        batches = None
        if p.china_allocations is not None:
            batches = [(month_index(b.month, start), b.units) for b in p.china_allocations]
        out["allowance"].append(list(eq.cumulative_allowance(batches, months)))
        actual = [0.0] * months
        mask = [0.0] * months
        for month, units in (p.actual_shipments or {}).items():
            t = int(month_index(month, start))
            if 0 <= t < months:
                actual[t], mask[t] = units, 1.0
        out["actual"].append(actual)
        out["actual_mask"].append(mask)
    return out


# ---------------------------------------------------------------- volumes (§2)


@dataclass(frozen=True)
class Volumes:
    """Unit flows, each of shape (N, P, H), and the dates behind them, (N, P).

    The intermediate series are what a reader (the workbook, the app) needs to show
    the working: they are computed once here and never re-derived elsewhere.
    """

    licence: Array  # E, licence in force
    first_shipment: Array  # Ts
    licence_end: Array  # End
    restart: Array  # Tp
    delay: Array  # d
    multiplier: Array  # M
    ramp: Array  # ramp(t)
    demand: Array  # D(t)
    backlog: Array  # B(t), carried into the month
    open_orders: Array  # O(t)
    us_shipments: Array  # U(t)
    quota_room: Array  # max(0, Room(t)) in active months, open orders where exempt
    cap_left: Array  # max(0, Cap(t)); open orders where there is no cap
    allowance_left: Array  # max(0, Left(t)) in active months, else 0; open orders if unlimited
    need: Array  # Need(t)
    production: Array  # P(t)
    shipments: Array  # X(t)
    actual: Array  # 1 where X(t) is a reported actual
    inventory: Array  # Inv(t+1), end of month
    actual_excess: Array  # reported minus stock plus production where positive, else 0


@dataclass(frozen=True)
class _Dates:
    """What §2.1–2.2 fixes per variant and product before the months run: the dates,
    the delay and the demand multiplier, each (N, P)."""

    licence: Array
    first: Array
    restart: Array
    delay: Array
    multiplier: Array


def _dates(x: Inputs) -> _Dates:
    g = _col  # globals (N,) -> (N, 1) so they broadcast over products
    licence = eq.licence_month(x.us_approval, x.china_approval)
    delay = eq.delay_months(licence, g(x.reference_start))
    return _Dates(
        licence=licence,
        first=eq.first_shipment_month(licence, g(x.test_lag)),
        restart=eq.production_restart_month(x.paused, licence, g(x.restart_lag)),
        delay=delay,
        multiplier=eq.demand_multiplier(g(x.erosion), delay, g(x.china_tariff), g(x.elasticity)),
    )


def recurrence_args(x: Inputs, d: _Dates | None = None) -> tuple[Array, ...]:
    """The arguments of :func:`model.recurrence.recurrence` for inputs ``x``, in order."""
    d = _dates(x) if d is None else d
    named = {
        "first": d.first, "restart": d.restart, "licence_end": x.licence_end,
        "multiplier": d.multiplier, "demand": x.demand, "demand_growth": x.demand_growth,
        "us": x.us_shipments, "quota_applies": x.quota_applies, "cap": x.cap,
        "capacity": x.capacity, "build_to_order": x.build_to_order,
        "inventory0": x.inventory0, "asp": x.asp, "asp_change": x.asp_change, "rate": x.rate,
        "unit_cost": x.unit_cost, "tpp": x.tpp, "ratio": eq.quota_ratio(x.us_min_share),
        "cumulative": x.quota_cumulative, "retention": x.retention,
        "ramp_months": x.ramp_months.astype(float), "levy_end": x.levy_end,
        "import_tariff": x.import_tariff, "customs_value_ratio": x.customs_value_ratio,
        "china_tariff": x.china_tariff, "test_fee": x.test_fee, "allowance": x.allowance,
        "actual": x.actual, "actual_mask": x.actual_mask,
    }  # fmt: skip
    order = (*recurrence.PRODUCT_ARGS, *recurrence.GLOBAL_ARGS, *recurrence.MONTHLY_ARGS)
    return tuple(named[k] for k in order)


def project(x: Inputs) -> Projection:
    """Run the model on stacked inputs: the dates and multiplier per variant and
    product, then every monthly series in one pass of the kernel."""
    d = _dates(x)
    o = dict(
        zip(
            recurrence.SERIES,
            recurrence.run(x.months, *recurrence_args(x, d)),
            strict=True,
        )
    )
    shape = o["ship"].shape
    v = Volumes(
        licence=d.licence,
        first_shipment=d.first,
        licence_end=np.broadcast_to(x.licence_end, d.licence.shape),
        restart=d.restart,
        delay=d.delay,
        multiplier=d.multiplier,
        ramp=o["ramp"],
        demand=o["demand"],
        backlog=o["backlog"],
        open_orders=o["orders"],
        us_shipments=np.broadcast_to(x.us_shipments[..., None], shape),
        quota_room=o["room"],
        cap_left=o["cap_left"],
        allowance_left=o["allowance"],
        need=o["need"],
        production=o["production"],
        shipments=o["ship"],
        actual=np.broadcast_to(x.actual_mask.astype(float), shape),
        inventory=o["inv"],
        actual_excess=o["excess"],
    )
    m = Money(
        asp=o["asp"],
        levy=o["levy"],
        gross=o["gross"],
        government=o["government"],
        china_tariff=o["china_tariff"],
        labs=o["labs"],
        vendor_retained=o["retained"],
        cogs=o["cogs"],
        gross_profit=o["gross_profit"],
        compute_tpp=o["tpp"],
        h100_equivalents=o["h100e"],
        bom=x.bom,
        production=o["production"],
    )
    return Projection(inputs=x, volumes=v, money=m)


@dataclass(frozen=True)
class Totals:
    """What a Monte Carlo keeps of N variants: the kernel's sums over chosen products,
    taken as it goes, with no monthly series written (:func:`project_totals`).

    Party columns: those of :data:`model.recurrence.MONEY`, all suppliers together, then
    each supplier (in the order of :attr:`Inputs.supplier_ids`). Each total and NPV
    equals to the last bit numpy's sum over the months of the party's series summed over
    the chosen products in their order, as computed from a :class:`Projection`.
    """

    total: Array  # (N, parties), horizon total
    npv: Array  # (N, parties), discounted at the end of each month
    fan: Array  # (F, keep, H) float32, monthly sums of the fan columns, first keep variants
    first_shipment: Array  # (N,), first month any chosen product ships, +inf for none
    next_shipment: Array  # (N, S) float32, per product the first shipment after the facts
    sells_after: Array  # (N, S) bool, per product any China revenue after the facts


def project_totals(
    x: Inputs,
    products: Sequence[int],
    facts: int = -1,
    fan: Sequence[int] = (),
    keep: int = 0,
) -> Totals:
    """The totals of :func:`project` without its series: one pass of the kernel in totals
    mode over ``products`` (in this order), keeping the monthly sums of the ``fan`` party
    columns for the first ``keep`` variants; ``facts`` is the last month of facts
    (-1 for none)."""
    money, fan_sums, first, after_facts, sells = recurrence.run_totals(
        *recurrence_args(x),
        products=products,
        bom=x.bom,
        bom_total=x.bom.sum(axis=-1),  # as Money.supplier_total sums the suppliers
        discount=shared_discount_factors(x.discount_rate, x.months),
        facts=facts,
        fan_columns=fan,
        keep=keep,
    )
    return Totals(money[0], money[1], fan_sums, first, after_facts, sells)


def shared_discount_factors(rates: Array, months: int) -> Array:
    """:func:`model.equations.discount_factors` of each variant's rate (N,), (N, H); the
    powers computed once when every variant has the same rate (a Monte Carlo that does
    not draw it)."""
    if len(rates) > 1 and (rates == rates[0]).all():
        return np.repeat(eq.discount_factors(rates[:1], months), len(rates), axis=0)
    return eq.discount_factors(rates, months)


def volumes(x: Inputs) -> Volumes:
    """§2 alone (it is computed with §3 in one pass of the kernel)."""
    return project(x).volumes


def _col(a: Array) -> Array:
    return a[:, None]


def actual_excess(x: Inputs, variant: int = 0) -> list[tuple[int, int, float, float]]:
    """Reported actuals above stock plus production: ``(product, month, reported,
    available)`` for one variant (an input error, docs/methodology.md §2.4)."""
    v = volumes(x.take(slice(variant, variant + 1)))
    out = []
    for j, t in zip(*np.nonzero(v.actual_excess[0] > 1e-9), strict=True):
        reported = float(x.actual[min(variant, x.actual.shape[0] - 1), j, t])
        out.append((int(j), int(t), reported, reported - float(v.actual_excess[0, j, t])))
    return out


# ---------------------------------------------------------------- money (§3)


@dataclass(frozen=True)
class Money:
    """Money flows in USD, shape (N, P, H); compute exported (N, P, H).

    Suppliers' revenue, (N, P, K, H), is computed when asked for (it is the largest
    array and most uses need only its total, :attr:`supplier_total`).
    """

    asp: Array
    levy: Array
    gross: Array
    government: Array
    china_tariff: Array
    labs: Array
    vendor_retained: Array
    cogs: Array
    gross_profit: Array
    compute_tpp: Array
    h100_equivalents: Array
    bom: Array  # (N, P, K)
    production: Array  # (N, P, H)

    @property
    def suppliers(self) -> Array:
        """``S_k(t) = bom_usd_per_unit[k] * P(t)``, shape (N, P, K, H)."""
        return eq.supplier_revenue(self.bom, self.production)

    def supplier(self, k: int) -> Array:
        """``S_k(t)`` of supplier ``k`` alone, shape (N, P, H)."""
        return self.bom[..., k, None] * self.production

    @property
    def supplier_total(self) -> Array:
        """``Σ_k S_k(t)``, shape (N, P, H)."""
        return self.bom.sum(axis=-1)[..., None] * self.production


@dataclass(frozen=True)
class Projection:
    """Volumes and money for every variant, product and month."""

    inputs: Inputs
    volumes: Volumes
    money: Money


def next_month_threshold(x: Inputs) -> Array:
    """The month after which approvals are still to come, (N,): ``idx(as_of)``, or the
    month before the horizon start when ``as_of`` is unset (docs/methodology.md §3)."""
    return np.where(np.isfinite(x.as_of), x.as_of, -1.0)


def with_reference_licence(x: Inputs) -> Inputs:
    """The cost-of-delay reference: every product licensed on both sides at
    ``demand.reference_start``, China's allocations and reported actuals removed,
    everything else (licence end included) unchanged."""
    start = np.broadcast_to(x.reference_start[:, None], x.us_approval.shape).copy()
    return replace(
        x,
        us_approval=start,
        china_approval=start.copy(),
        allowance=np.full((1, *x.allowance.shape[1:]), math.inf),
        actual=np.zeros((1, *x.actual.shape[1:])),
        actual_mask=np.zeros((1, *x.actual_mask.shape[1:]), dtype=bool),
        has_allocations=(False,) * len(x.product_ids),
        has_actuals=(False,) * len(x.product_ids),
    )


def with_approvals_postponed(x: Inputs) -> Inputs:
    """The same inputs with every approval still to come (after ``as_of``) one month
    later; approvals already in the past are facts and do not move."""
    after = next_month_threshold(x)[:, None]
    return replace(
        x,
        us_approval=eq.postpone(x.us_approval, after),
        china_approval=eq.postpone(x.china_approval, after),
    )
