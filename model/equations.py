"""One function per equation of docs/methodology.md §2–3.

Equations per variant and product (dates, delay, multiplier, quota ratio) take and
return arrays broadcast over variants × products. Everything computed per month —
demand, the recurrence of §2.2–2.4 and the money of §3 — is written as **scalar**
functions in the section "Per month", called by :mod:`model.recurrence` once per
variant, product and month: interpreted for a handful of cases, compiled with numba for
many, the same code either way (as Tax-Calculator compiles its scalar calculation
functions).

Every function is pure: arrays and parameters in, arrays out. Arrays broadcast
over a leading axis (scenarios or Monte Carlo paths) × products × months, so the
same code serves one what-if and a 100k-path simulation. Month indices that
never happen are ``+inf``; masks take care of them so no ``inf * 0`` arises.
"""

from __future__ import annotations

import numpy as np

from .schema import H100_TPP

Array = np.ndarray

#: Largest China-per-US ratio used; a US minimum share below ~1e-15 means "no quota".
MAX_QUOTA_RATIO = 1e15


def licence_month(us_approval: Array, china_approval: Array) -> Array:
    """Month the licence is in force: ``E = max(idx(us_approval), idx(china_approval))``."""
    return np.maximum(us_approval, china_approval)


def first_shipment_month(licence: Array, test_lag: Array) -> Array:
    """``Ts = E + test_lag_months`` (US third-party lab testing before the first shipment)."""
    return licence + test_lag


def production_restart_month(paused: Array, licence: Array, restart_lag: Array) -> Array:
    """``Tp = E + restart_lag_months`` when production is paused, else ``-inf``, (N, P).

    With ``E = +inf`` paused production never restarts.
    """
    return np.where(paused, licence + restart_lag, -np.inf)


def delay_months(licence: Array, reference_start: Array) -> Array:
    """``d = max(0, E - idx(demand.reference_start))``; ``+inf`` when never licensed."""
    return np.maximum(0.0, licence - reference_start)


def demand_multiplier(
    erosion: Array, delay: Array, china_tariff: Array, elasticity: Array
) -> Array:
    """``M = (1 - erosion)^d * (1 + china_import_tariff)^(-price_elasticity)``.

    An infinite delay (never licensed) gives 0 — no demand survives — and is also
    masked out by the ramp.
    """
    finite = np.isfinite(delay)
    survive = np.where(finite, (1.0 - erosion) ** np.where(finite, delay, 0.0), 0.0)
    return survive * (1.0 + china_tariff) ** (-elasticity)


def quota_ratio(us_min_share: Array) -> Array:
    """China units allowed per US unit: ``r = (1 - s) / s`` (capped, see MAX_QUOTA_RATIO)."""
    return np.minimum(
        (1.0 - us_min_share) / np.maximum(us_min_share, 1.0 / MAX_QUOTA_RATIO), MAX_QUOTA_RATIO
    )


def cumulative_allowance(batches: list[tuple[float, float]] | None, months: int) -> Array:
    """``Alloc(t)``: units of the batches whose month index is at or before ``t``, (H,).

    A batch dated before the horizon counts from ``t = 0``; ``None`` (no allocations
    set) means China limits no volume once it approves (``+inf``); an empty list means
    nothing may ship.
    """
    if batches is None:
        return np.full(months, np.inf)
    t = np.arange(months, dtype=float)
    out = np.zeros(months)
    for month, units in batches:
        out = out + np.where(t >= month, units, 0.0)
    return out


def postpone(month: Array, after: Array) -> Array:
    """A month index moved one month later when it lies after ``after``; ``+inf`` stays."""
    return np.where(month > after, month + 1.0, month)


def profit_after_tax(gross_profit: Array, tax_rate: Array) -> Array:
    """``GP * (1 - tax_rate)``."""
    return gross_profit * (1.0 - tax_rate)


def earnings_per_share(after_tax: Array, diluted_shares: Array) -> Array:
    """``GP * (1 - tax_rate) / diluted_shares`` in USD per share (0 shares → 0)."""
    safe = np.where(diluted_shares > 0, diluted_shares, 1.0)
    return np.where(diluted_shares > 0, after_tax / safe, 0.0)


def supplier_revenue(bom: Array, produced: Array) -> Array:
    """``S_k(t) = bom_usd_per_unit[k] * P(t)``: suppliers are paid on production.

    ``bom`` has shape (..., products, suppliers), ``produced`` (..., products, months);
    the result has shape (..., products, suppliers, months).
    """
    return bom[..., None] * produced[..., None, :]


def discount_factors(annual_rate: Array, months: int) -> Array:
    """End-of-month discount factors ``(1 + r)^(-(t+1)/12)``, shape (..., months)."""
    t1 = np.arange(1, months + 1, dtype=float)
    return (1.0 + np.asarray(annual_rate)[..., None]) ** (-t1 / 12.0)


def npv(series: Array, factors: Array) -> Array:
    """Net present value over the last (month) axis."""
    return np.sum(series * factors, axis=-1)


# ---------------------------------------------------------------- per month (scalars)


def shipping_allowed(m: float, first_shipment: float, licence_end: float) -> bool:
    """``active(t) = Ts <= t < End``."""
    return first_shipment <= m < licence_end


def quota_room(
    ratio: float, us_now: float, us_cumulative: float, shipped_before: float, cumulative: bool
) -> float:
    """``Room(t)``: ``r*U(t)`` (monthly) or ``r*ΣU(Ts..t) - ΣX(Ts..t-1)`` (cumulative)."""
    if cumulative:
        return ratio * us_cumulative - shipped_before
    return ratio * us_now


def licence_cap_left(cap: float, shipped_before: float) -> float:
    """``Cap(t) = licence_cap_units - ΣX(0..t-1)``; ``+inf`` when there is no cap."""
    return cap - shipped_before


def allowance_left(allowance: float, shipped_before: float) -> float:
    """``Left(t) = Alloc(t) - ΣX(0..t-1)``; ``+inf`` where China limits no volume."""
    return allowance - shipped_before


def shippable_need(
    open_orders: float, room: float, cap_left: float, left: float, active: bool
) -> float:
    """``Need(t) = min(O(t), max(0, Room(t)), Cap(t), max(0, Left(t)))`` while active, else 0."""
    if not active:
        return 0.0
    x = min(min(open_orders, max(room, 0.0)), min(cap_left, max(left, 0.0)))
    return max(x, 0.0)


def production_running(m: float, restart: float, capacity: float) -> float:
    """Capacity available in month ``m``: ``capacity`` once ``m >= Tp``, else 0."""
    return capacity if m >= restart else 0.0


def production(running: float, need: float, stock: float, build_to_order: bool) -> float:
    """New production ``P(t)``.

    Notes
    -----
    ``capacity`` rule (v1): ``P(t) = capacity`` once running, whether or not it sells.
    ``build_to_order`` rule (v2): ``P(t) = min(capacity, max(0, Need(t) - Inv(t)))``,
    only what this month's shippable orders need beyond stock. ``running`` is already 0
    before ``Tp``. In a month with a reported actual, ``need`` is the reported figure.
    """
    if build_to_order:
        return min(running, max(0.0, need - stock))
    return running


def china_shipments(need: float, available: float) -> float:
    """``X(t) = min(Need(t), Inv(t) + P(t))``."""
    return min(need, available)


def carried_backlog(retention: float, open_orders: float, shipped: float) -> float:
    """``B(t+1) = backlog_retention * max(0, O(t) - X(t))`` (a reported actual may exceed
    the open orders)."""
    return retention * max(open_orders - shipped, 0.0)


def ramp(t: float, first_shipment: float, ramp_months: float, licence_end: float) -> float:
    """``ramp(t) = min(1, (t - Ts + 1) / ramp_months)`` while ``active(t)``, else 0.

    ``active(t) = Ts <= t < End``: shipments are allowed from the first possible
    shipment until the licence ends.
    """
    if not shipping_allowed(t, first_shipment, licence_end):
        return 0.0
    return min(1.0, (t - first_shipment + 1.0) / ramp_months)


def growth_factor(rate_per_year: float, t: float) -> float:
    """``(1 + rate)^(t/12)``: an annual rate compounded to month ``t``."""
    return (1.0 + rate_per_year) ** (t / 12.0)


def china_demand(base_units: float, trend: float, multiplier: float, ramp_t: float) -> float:
    """``D(t) = demand * (1 + growth)^(t/12) * M * ramp(t)``; ``trend`` is the
    :func:`growth_factor` of the demand growth."""
    return base_units * trend * multiplier * ramp_t


def selling_price(asp: float, trend: float) -> float:
    """``ASP(t) = asp_usd * (1 + asp_change_per_year)^(t/12)``; ``trend`` is the
    :func:`growth_factor` of the price change."""
    return asp * trend


def levy_active(t: float, levy_end: float) -> float:
    """``levy(t) = 1 if t < idx(levy_ends) else 0`` (``levy_ends = null`` → +inf)."""
    return 1.0 if t < levy_end else 0.0


def levy_base(import_tariff: bool, customs_value_ratio: float) -> float:
    """What the levy rate applies to, per dollar of revenue: the customs value
    (``customs_value_ratio``) under ``import_tariff``, the revenue itself otherwise."""
    return customs_value_ratio if import_tariff else 1.0


def government_levy(gross: float, levy: float, rate: float, base: float) -> float:
    """US government take ``G(t)``.

    ``levy * rate * R`` under ``revenue_share``; ``levy * rate * customs_value_ratio * R``
    under ``import_tariff`` (Section 232 duty on the customs value of chips entering the
    US for testing); ``base`` is :func:`levy_base`.
    """
    return levy * rate * base * gross


def china_tariff_revenue(gross: float, china_tariff: float) -> float:
    """``C(t) = china_import_tariff * R(t)``, paid by Chinese buyers to China."""
    return china_tariff * gross


def test_lab_fees(shipped: float, fee: float) -> float:
    """``L(t) = test_fee_usd_per_unit * X(t)`` (US third-party test labs)."""
    return fee * shipped


def vendor_retained(gross: float, government: float, labs: float) -> float:
    """``V(t) = R(t) - G(t) - L(t)``: money is conserved by construction."""
    return gross - government - labs


def cost_of_goods(unit_cost: float, shipped: float) -> float:
    """``COGS(t) = unit_cost_usd * X(t)``."""
    return unit_cost * shipped


def gross_profit(retained: float, cogs: float) -> float:
    """``GP(t) = V(t) - COGS(t)``."""
    return retained - cogs


def exported_tpp(tpp: float, shipped: float) -> float:
    """``TPP(t) = tpp * X(t)``: compute exported, in Total Processing Performance."""
    return tpp * shipped


def h100_equivalents(tpp_exported: float) -> float:
    """``H100e(t) = TPP(t) / 15832`` (the H100's TPP)."""
    return tpp_exported / H100_TPP


#: The scalar functions the engine kernel calls, compiled together with it.
RECURRENCE_EQUATIONS = (
    levy_base,
    ramp,
    growth_factor,
    china_demand,
    selling_price,
    levy_active,
    government_levy,
    china_tariff_revenue,
    test_lab_fees,
    vendor_retained,
    cost_of_goods,
    gross_profit,
    exported_tpp,
    h100_equivalents,
    shipping_allowed,
    quota_room,
    licence_cap_left,
    allowance_left,
    shippable_need,
    production_running,
    production,
    china_shipments,
    carried_backlog,
)
