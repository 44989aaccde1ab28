"""The orchestrator: MODEL_SPEC §2–3 in the order the spec writes them.

Inputs are stacked on a leading axis ``N`` (scenarios or Monte Carlo paths):
global parameters have shape ``(N,)``, product parameters ``(N, P)`` and the
supplier bill of materials ``(N, P, K)``. Outputs have a trailing month axis.
The month loop in :func:`volumes` is the only loop: the recurrence needs the
previous month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from . import equations as eq
from .calendar import month_index
from .schema import Assumptions

Array = np.ndarray

GLOBAL_FIELDS = (
    "share_rate",
    "import_tariff",
    "customs_value_ratio",
    "levy_end",
    "us_min_share",
    "quota_cumulative",
    "china_tariff",
    "test_fee",
    "us_approval",
    "china_approval",
    "test_lag",
    "restart_lag",
    "ramp_months",
    "reference_start",
    "erosion",
    "retention",
    "elasticity",
    "discount_rate",
)
PRODUCT_FIELDS = (
    "asp",
    "asp_change",
    "unit_cost",
    "rate",
    "quota_applies",
    "demand",
    "demand_growth",
    "us_shipments",
    "inventory0",
    "cap",
    "capacity",
    "paused",
)


@dataclass(frozen=True)
class Inputs:
    """Numeric model inputs, stacked over a leading axis of N variants.

    Month fields (``us_approval``, ``levy_end``…) are indices from the horizon
    start, ``+inf`` for never. ``rate`` is the resolved per-product levy rate.
    """

    months: int
    start: str
    fiscal_year_end_month: int
    product_ids: tuple[str, ...]
    supplier_ids: tuple[str, ...]
    bom_members: tuple[tuple[int, ...], ...]  # per product, suppliers listed in its BOM
    # globals, shape (N,)
    share_rate: Array
    import_tariff: Array
    customs_value_ratio: Array
    levy_end: Array
    us_min_share: Array
    quota_cumulative: Array
    china_tariff: Array
    test_fee: Array
    us_approval: Array
    china_approval: Array
    test_lag: Array
    restart_lag: Array
    ramp_months: Array
    reference_start: Array
    erosion: Array
    retention: Array
    elasticity: Array
    discount_rate: Array
    # products, shape (N, P)
    asp: Array
    asp_change: Array
    unit_cost: Array
    rate: Array
    quota_applies: Array
    demand: Array
    demand_growth: Array
    us_shipments: Array
    inventory0: Array
    cap: Array
    capacity: Array
    paused: Array
    # suppliers, shape (N, P, K)
    bom: Array

    @property
    def n(self) -> int:
        return int(self.asp.shape[0])

    @classmethod
    def from_assumptions(cls, variants: Sequence[Assumptions]) -> Inputs:
        """Stack validated assumptions; they must share the horizon and product ids."""
        first = variants[0]
        pids = tuple(p.id for p in first.products)
        sups = tuple(dict.fromkeys(s for a in variants for s in a.supplier_ids))
        for a in variants[1:]:
            if (a.horizon.start, a.horizon.months) != (
                first.horizon.start,
                first.horizon.months,
            ) or tuple(p.id for p in a.products) != pids:
                raise ValueError("variants stacked together must share horizon and products")
        cols: dict[str, list[object]] = {k: [] for k in GLOBAL_FIELDS + PRODUCT_FIELDS + ("bom",)}
        for a in variants:
            for k, gv in _globals(a).items():
                cols[k].append(gv)
            for k, pv in _products(a).items():
                cols[k].append(pv)
            cols["bom"].append([[p.bom_usd_per_unit.get(s, 0.0) for s in sups] for p in a.products])
        arrays = {k: np.asarray(v, dtype=float) for k, v in cols.items()}
        if not sups:
            arrays["bom"] = np.zeros((len(variants), len(pids), 0))
        for k in ("import_tariff", "quota_cumulative", "quota_applies", "paused"):
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
            **arrays,
        )

    def take(self, index: Array | slice) -> Inputs:
        """A subset of the variants (a chunk of Monte Carlo paths, say)."""
        arrays: dict[str, Any] = {
            f.name: getattr(self, f.name)[index]
            for f in fields(self)
            if _is_array(getattr(self, f.name))
        }
        return replace(self, **arrays)

    def repeat(self, n: int) -> Inputs:
        """The first variant repeated ``n`` times, ready to have arrays replaced."""
        arrays: dict[str, Any] = {
            f.name: np.repeat(getattr(self, f.name)[:1], n, axis=0)
            for f in fields(self)
            if _is_array(getattr(self, f.name))
        }
        return replace(self, **arrays)


def _is_array(value: object) -> bool:
    return isinstance(value, np.ndarray)


def _globals(a: Assumptions) -> dict[str, float]:
    s, pol, tl, dm = a.horizon.start, a.policy, a.timeline, a.demand
    return {
        "share_rate": pol.share_rate,
        "import_tariff": pol.mechanism == "import_tariff",
        "customs_value_ratio": pol.customs_value_ratio,
        "levy_end": month_index(pol.levy_ends, s),
        "us_min_share": pol.us_min_share,
        "quota_cumulative": pol.quota_basis == "cumulative",
        "china_tariff": pol.china_import_tariff,
        "test_fee": pol.test_fee_usd_per_unit,
        "us_approval": month_index(tl.us_approval, s),
        "china_approval": month_index(tl.china_approval, s),
        "test_lag": tl.test_lag_months,
        "restart_lag": tl.restart_lag_months,
        "ramp_months": tl.ramp_months,
        "reference_start": month_index(dm.reference_start, s),
        "erosion": dm.erosion_per_month,
        "retention": dm.backlog_retention,
        "elasticity": dm.price_elasticity,
        "discount_rate": a.discount_rate,
    }


def _products(a: Assumptions) -> dict[str, list[float]]:
    ps, rate = a.products, a.policy.share_rate
    return {
        "asp": [p.asp_usd for p in ps],
        "asp_change": [p.asp_change_per_year for p in ps],
        "unit_cost": [p.unit_cost_usd for p in ps],
        "rate": [rate if p.share_rate is None else p.share_rate for p in ps],
        "quota_applies": [p.quota_applies for p in ps],
        "demand": [p.china_demand_units_per_month for p in ps],
        "demand_growth": [p.china_demand_growth_per_year for p in ps],
        "us_shipments": [p.us_shipments_units_per_month for p in ps],
        "inventory0": [p.starting_inventory_units for p in ps],
        "cap": [np.inf if p.licence_cap_units is None else p.licence_cap_units for p in ps],
        "capacity": [p.production_capacity_units_per_month for p in ps],
        "paused": [p.production_paused for p in ps],
    }


@dataclass(frozen=True)
class Volumes:
    """Unit flows, each of shape (N, P, H)."""

    demand: Array
    backlog: Array
    open_orders: Array
    us_shipments: Array
    quota_room: Array
    production: Array
    shipments: Array
    inventory: Array  # end of month, Inv(t+1)


def volumes(x: Inputs) -> Volumes:
    """MODEL_SPEC §2: demand, production, quota and the month-by-month shipments."""
    t = np.arange(x.months, dtype=float)
    g = _col  # globals (N,) -> (N, 1) so they broadcast over products
    licence = np.broadcast_to(
        eq.licence_month(x.us_approval, x.china_approval)[:, None], x.asp.shape
    )
    first = eq.first_shipment_month(licence, g(x.test_lag))
    produced = eq.production(x.capacity, x.paused, licence, g(x.restart_lag), t)
    delay = eq.delay_months(licence, g(x.reference_start))
    mult = eq.demand_multiplier(g(x.erosion), delay, g(x.china_tariff), g(x.elasticity))
    ramp_t = eq.ramp(t, first, g(x.ramp_months))
    demand = eq.china_demand(x.demand, x.demand_growth, mult, ramp_t, t)
    us = np.broadcast_to(x.us_shipments[..., None], demand.shape)
    ratio = eq.quota_ratio(g(x.us_min_share))
    cumulative = g(x.quota_cumulative)
    retention = g(x.retention)

    shape = demand.shape
    out = {k: np.zeros(shape) for k in ("backlog", "orders", "room", "ship", "inv")}
    inv = x.inventory0.astype(float).copy()
    backlog = np.zeros(shape[:-1])
    shipped_before = np.zeros(shape[:-1])
    us_cum = np.zeros(shape[:-1])
    for m in range(x.months):
        active = m >= first
        us_cum = us_cum + np.where(active, us[..., m], 0.0)
        available = inv + produced[..., m]
        orders = demand[..., m] + backlog
        room = eq.quota_room(ratio, us[..., m], us_cum, shipped_before, cumulative)
        room = np.where(x.quota_applies, room, np.inf)
        cap_left = eq.licence_cap_left(x.cap, shipped_before)
        ship = eq.china_shipments(orders, available, room, cap_left, active)
        out["backlog"][..., m] = backlog
        out["orders"][..., m] = orders
        # A quota-exempt product reports its open orders as room: never binding.
        out["room"][..., m] = np.where(
            active, np.where(x.quota_applies, np.maximum(room, 0.0), orders), 0.0
        )
        out["ship"][..., m] = ship
        inv = available - ship
        out["inv"][..., m] = inv
        backlog = eq.carried_backlog(retention, orders, ship)
        shipped_before = shipped_before + ship
    return Volumes(
        demand=demand,
        backlog=out["backlog"],
        open_orders=out["orders"],
        us_shipments=np.array(us),
        quota_room=out["room"],
        production=produced,
        shipments=out["ship"],
        inventory=out["inv"],
    )


def _col(a: Array) -> Array:
    return a[:, None]


@dataclass(frozen=True)
class Money:
    """Money flows in USD, shape (N, P, H); suppliers (N, P, K, H)."""

    asp: Array
    gross: Array
    government: Array
    china_tariff: Array
    labs: Array
    vendor_retained: Array
    cogs: Array
    gross_profit: Array
    suppliers: Array


def money(x: Inputs, v: Volumes) -> Money:
    """MODEL_SPEC §3: who receives what from each month's shipments and production."""
    t = np.arange(x.months, dtype=float)
    g = _col
    price = eq.selling_price(x.asp, x.asp_change, t)
    gross = v.shipments * price
    levy = eq.levy_active(t, g(x.levy_end))
    gov = eq.government_levy(gross, levy, x.rate, g(x.import_tariff), g(x.customs_value_ratio))
    labs = eq.test_lab_fees(v.shipments, g(x.test_fee))
    retained = eq.vendor_retained(gross, gov, labs)
    cogs = eq.cost_of_goods(x.unit_cost, v.shipments)
    return Money(
        asp=price,
        gross=gross,
        government=gov,
        china_tariff=eq.china_tariff_revenue(gross, g(x.china_tariff)),
        labs=labs,
        vendor_retained=retained,
        cogs=cogs,
        gross_profit=retained - cogs,
        suppliers=eq.supplier_revenue(x.bom, v.production),
    )


@dataclass(frozen=True)
class Projection:
    """Volumes and money for every variant, product and month."""

    inputs: Inputs
    volumes: Volumes
    money: Money


def project(x: Inputs) -> Projection:
    """Run the model on stacked inputs."""
    v = volumes(x)
    return Projection(inputs=x, volumes=v, money=money(x, v))
