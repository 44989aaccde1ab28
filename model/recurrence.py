"""The engine's kernel: every monthly series of docs/methodology.md §2–3, written once.

:func:`recurrence` loops over variants, products and months and calls the scalar
equations of :mod:`model.equations`: demand, the month-by-month recurrence of §2.2–2.4
(which needs the previous month) and the money of §3. The same Python code runs two
ways:

* interpreted, for a handful of variants × products × months (one what-if, a scenario
  table): no compiler start-up, a millisecond or two;
* compiled with numba (``nopython``, cached on disk), for a Monte Carlo or thousands of
  products: the loop runs at native speed with no temporaries.

Both give the same numbers to the last bit (a test checks it); :func:`run` chooses.
Like Tax-Calculator's ``iterate_jit``, the readable scalar code is the only copy of the
arithmetic: there is no second, vectorised version to keep in step.

The kernel has two modes. Series mode (:func:`run`) writes every monthly series of every
variant. Totals mode (:func:`run_totals`, for the Monte Carlo) writes one variant's series
at a time into a small buffer that stays in the processor's cache and reduces it before
the next variant: each party's horizon total and NPV, the monthly sums of a few parties
for the fan chart, and the shipment months. Its sums follow numpy's order, so they equal
to the last bit those taken from the series.
"""

from __future__ import annotations

import math
import os
import threading
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import equations as eq
from .equations import (
    allowance_left,
    carried_backlog,
    china_demand,
    china_shipments,
    china_tariff_revenue,
    cost_of_goods,
    exported_tpp,
    government_levy,
    gross_profit,
    growth_factor,
    h100_equivalents,
    levy_active,
    levy_base,
    licence_cap_left,
    production,
    production_running,
    quota_room,
    ramp,
    selling_price,
    shippable_need,
    shipping_allowed,
    test_lab_fees,
    vendor_retained,
)

Array = np.ndarray

#: The series the kernel writes, in the order of the first axis of its output.
SERIES = (
    "backlog",  # B(t), carried into the month
    "orders",  # O(t)
    "room",  # max(0, Room(t)) while active; open orders where the quota does not apply
    "cap_left",  # max(0, Cap(t)); open orders without a cap
    "allowance",  # max(0, Left(t)) while active; open orders without allocations
    "need",  # Need(t)
    "production",  # P(t)
    "ship",  # X(t)
    "inv",  # Inv(t+1)
    "excess",  # reported actual above stock plus production, else 0
    "ramp",  # ramp(t)
    "demand",  # D(t)
    "asp",  # ASP(t)
    "levy",  # levy(t)
    "gross",  # R(t)
    "government",  # G(t)
    "china_tariff",  # C(t)
    "labs",  # L(t)
    "retained",  # V(t)
    "cogs",  # COGS(t)
    "gross_profit",  # GP(t)
    "tpp",  # TPP(t)
    "h100e",  # H100e(t)
)
#: The series totals mode sums per party, in the order of its output's party axis; then
#: the suppliers' revenue: all of it, ``(Σ_k bom_k) × P(t)``, and each ``bom_k × P(t)``.
MONEY = ("gross", "retained", "gross_profit", "government", "labs", "china_tariff")
#: The name of the party column of all suppliers together, after those of MONEY.
SUPPLIERS = "suppliers"
_MONEY_ROWS = tuple(SERIES.index(name) for name in MONEY)
_PRODUCTION = SERIES.index("production")
_SHIP = SERIES.index("ship")
_GROSS = SERIES.index("gross")
#: Terms numpy sums with 8 interleaved partial sums before splitting a run in two.
PAIRWISE_BLOCK = 128
#: Variant × product × month cells below which the interpreted loop is used: the compiled
#: kernel pays a one-off start-up (numba import, cache load) of about half a second.
COMPILE_ABOVE = 20_000
#: Set to "0" to never compile (for example where numba is not available), "1" to always.
COMPILE_ENV = "CHIP_EXPORT_COMPILE"
#: The arguments of :func:`recurrence` by shape, for callers that build them by name.
PRODUCT_ARGS = (
    "first", "restart", "licence_end", "multiplier", "demand", "demand_growth", "us",
    "quota_applies", "cap", "capacity", "build_to_order", "inventory0", "asp", "asp_change",
    "rate", "unit_cost", "tpp",
)  # fmt: skip
GLOBAL_ARGS = (
    "ratio", "cumulative", "retention", "ramp_months", "levy_end", "import_tariff",
    "customs_value_ratio", "china_tariff", "test_fee",
)  # fmt: skip
MONTHLY_ARGS = ("allowance", "actual", "actual_mask")


def recurrence(
    first: Array, restart: Array, licence_end: Array, multiplier: Array, demand: Array,
    demand_growth: Array, us: Array, quota_applies: Array, cap: Array, capacity: Array,
    build_to_order: Array, inventory0: Array, asp: Array, asp_change: Array, rate: Array,
    unit_cost: Array, tpp: Array,
    ratio: Array, cumulative: Array, retention: Array, ramp_months: Array, levy_end: Array,
    import_tariff: Array, customs_value_ratio: Array, china_tariff: Array, test_fee: Array,
    allowance: Array, actual: Array, actual_mask: Array,
    out: Array, series_out: bool, products: Array,
    bom: Array, bom_total: Array, discount: Array, facts: int, fan_columns: Array,
    money: Array, fan: Array, first_ship: Array, next_ship: Array, sells_after: Array,
) -> None:  # fmt: skip
    """Write every monthly series of the ``products`` into ``out``; in totals mode, reduce
    each variant's series to the totals before the next variant overwrites them.

    Parameters
    ----------
    first, restart, licence_end, multiplier : (N, P)
        ``Ts``, ``Tp``, ``End`` (month indices, ``±inf`` allowed) and ``M``.
    demand, demand_growth, us, quota_applies, cap, capacity, build_to_order, inventory0 : (N, P)
        Demand at full rate and its growth, ``U``, the quota flag, the licence cap
        (``+inf`` for none), capacity, the production rule (true for build-to-order),
        ``Inv(0)``.
    asp, asp_change, rate, unit_cost, tpp : (N, P)
        Price and its change, the levy rate, unit cost and TPP (0 when not reported).
    ratio, cumulative, retention, ramp_months, levy_end : (N,)
        ``r``, the cumulative quota basis flag, ``backlog_retention``, the ramp and the
        month the levy ends.
    import_tariff, customs_value_ratio, china_tariff, test_fee : (N,)
        The levy mechanism, customs value ratio, China's tariff and the lab fee.
    allowance, actual, actual_mask : (N, P, H) or (1, P, H)
        ``Alloc(t)`` (``+inf`` where unlimited), reported shipments and where they apply.
    out : (len(SERIES), N, S, H), or (len(SERIES), 1, S, H) in totals mode
        The series of each of the ``products`` in turn; in totals mode those of the
        variant being reduced.
    series_out : bool
        Series mode (true) or totals mode (false); the arguments below are written in
        totals mode only.
    products : (S,) int
        The products computed, in this order (their money is summed in this order).
    bom, bom_total : (N, P, K) and (N, P)
        Each supplier's bill of materials per unit, and their sum over the suppliers.
    discount : (N, H)
        End-of-month discount factors ``(1 + r)^(-(t+1)/12)``.
    facts : int
        The last month of facts (-1 for none): what ships and sells after it is told apart.
    fan_columns : (F,) int
        The party columns of ``money`` whose monthly sums are kept for the fan chart.
    money : (2, N, len(MONEY) + 1 + K)
        Each party's horizon total ``[0]`` and NPV ``[1]`` over the ``products``; parties
        in the order of :data:`MONEY`, then all suppliers, then each supplier.
    fan : (F, keep, H) float32
        The monthly sums of the ``fan_columns`` for the first ``keep`` variants.
    first_ship : (N,)
        The first month any of the ``products`` ships, ``+inf`` for none.
    next_ship, sells_after : (N, S) float32 and (N, S) bool
        Per product, the first month after ``facts`` it ships (``+inf`` for none) and
        whether it has China revenue after ``facts``.
    """
    n_var = first.shape[0]
    n_month = out.shape[3]
    # Totals mode: one variant's money per party and month, and the same discounted.
    sums = np.empty((len(MONEY) + 1 + bom.shape[2], n_month))
    discounted = np.empty_like(sums)
    # Compounded growth of demand and price per product and month, tabulated for a rate
    # that repeats from one variant to the next (most paths share them); a rate drawn
    # path by path is computed only in the months that use it (see trend_table).
    n_sel = products.shape[0]
    demand_trend = np.empty((n_sel, n_month))
    price_trend = np.empty((n_sel, n_month))
    trend_rates = np.full((n_sel, 2), np.nan)  # the rate of each table
    last_rates = np.full((n_sel, 2), np.nan)  # the rate of the previous variant
    for n in range(n_var):
        v = n if series_out else 0
        na = 0 if allowance.shape[0] == 1 else n
        nr = 0 if actual.shape[0] == 1 else n
        base = levy_base(import_tariff[n], customs_value_ratio[n])
        for i in range(products.shape[0]):
            p = products[i]
            inv = inventory0[n, p]
            backlog = 0.0
            shipped = 0.0
            us_cum = 0.0
            # The product's parameters, read once: the compiler cannot tell that writing
            # the series leaves them unchanged, and would read them again every month.
            first_p = first[n, p]
            restart_p = restart[n, p]
            licence_end_p = licence_end[n, p]
            multiplier_p = multiplier[n, p]
            demand_p = demand[n, p]
            demand_growth_p = demand_growth[n, p]
            us_p = us[n, p]
            quota_applies_p = quota_applies[n, p]
            cap_p = cap[n, p]
            capacity_p = capacity[n, p]
            build_to_order_p = build_to_order[n, p]
            asp_p = asp[n, p]
            asp_change_p = asp_change[n, p]
            rate_p = rate[n, p]
            unit_cost_p = unit_cost[n, p]
            tpp_p = tpp[n, p]
            demand_table = trend_table(
                demand_trend, trend_rates, last_rates, i, 0, demand_growth_p, series_out
            )
            price_table = trend_table(
                price_trend, trend_rates, last_rates, i, 1, asp_change_p, series_out
            )
            for m in range(n_month):
                t = float(m)
                active = shipping_allowed(t, first_p, licence_end_p)
                ramp_t = ramp(t, first_p, ramp_months[n], licence_end_p)
                growth = 1.0  # no new orders while the ramp is 0, whatever the growth
                if demand_table:
                    growth = demand_trend[i, m]
                elif ramp_t != 0.0:
                    growth = growth_factor(demand_growth_p, t)
                new = china_demand(demand_p, growth, multiplier_p, ramp_t)
                if active:
                    us_cum = us_cum + us_p
                orders = new + backlog
                room = math.inf
                if quota_applies_p:
                    room = quota_room(ratio[n], us_p, us_cum, shipped, cumulative[n])
                cap_left = licence_cap_left(cap_p, shipped)
                left = allowance_left(allowance[na, p, m], shipped)
                need = shippable_need(orders, room, cap_left, left, active)
                running = production_running(t, restart_p, capacity_p)
                made = production(running, need, inv, build_to_order_p)
                ship = china_shipments(need, inv + made)
                excess = 0.0
                if actual_mask[nr, p, m]:
                    # §2.4: the reported figure replaces X(t); build-to-order follows it. An
                    # actual above stock plus production is rejected when loading; a
                    # simulated path is clamped so it never ships what it does not have.
                    reported = actual[nr, p, m]
                    made = production(running, reported, inv, build_to_order_p)
                    excess = max(reported - (inv + made), 0.0)
                    ship = min(reported, inv + made)
                inv = inv + made - ship
                # §3: who receives what from this month's shipments.
                growth = 1.0  # totals mode: the price of a month without shipments is unused
                if price_table:
                    growth = price_trend[i, m]
                elif ship != 0.0:
                    growth = growth_factor(asp_change_p, t)
                price = selling_price(asp_p, growth)
                levy = levy_active(t, levy_end[n])
                gross = ship * price
                gov = government_levy(gross, levy, rate_p, base)
                labs = test_lab_fees(ship, test_fee[n])
                retained = vendor_retained(gross, gov, labs)
                cogs = cost_of_goods(unit_cost_p, ship)
                # The series totals mode reduces: production, shipments and the money.
                out[6, v, i, m] = made
                out[7, v, i, m] = ship
                out[14, v, i, m] = gross
                out[15, v, i, m] = gov
                out[16, v, i, m] = china_tariff_revenue(gross, china_tariff[n])
                out[17, v, i, m] = labs
                out[18, v, i, m] = retained
                out[20, v, i, m] = gross_profit(retained, cogs)
                if series_out:
                    # A constraint that does not exist is shown as never binding.
                    shown = shown_constraints(active, quota_applies_p, room, cap_left, left, orders)
                    exported = exported_tpp(tpp_p, ship)
                    out[0, v, i, m] = backlog
                    out[1, v, i, m] = orders
                    out[2, v, i, m] = shown[0]
                    out[3, v, i, m] = shown[1]
                    out[4, v, i, m] = shown[2]
                    out[5, v, i, m] = need
                    out[8, v, i, m] = inv
                    out[9, v, i, m] = excess
                    out[10, v, i, m] = ramp_t
                    out[11, v, i, m] = new
                    out[12, v, i, m] = price
                    out[13, v, i, m] = levy
                    out[19, v, i, m] = cogs
                    out[21, v, i, m] = exported
                    out[22, v, i, m] = h100_equivalents(exported)
                backlog = carried_backlog(retention[n], orders, ship)
                shipped = shipped + ship
        reduce_variant(
            series_out, n, out, products, bom, bom_total, discount, facts, fan_columns,
            sums, discounted, money, fan, first_ship, next_ship, sells_after,
        )  # fmt: skip


def reduce_variant(
    series_out: bool, n: int, series: Array, products: Array, bom: Array, bom_total: Array,
    discount: Array, facts: int, fan_columns: Array, sums: Array, discounted: Array,
    money: Array, fan: Array, first_ship: Array, next_ship: Array, sells_after: Array,
) -> None:  # fmt: skip
    """Totals mode: reduce variant ``n``'s ``series`` (len(SERIES), 1, S, H) to its totals
    (see :func:`recurrence`) before the next variant overwrites them; nothing in series
    mode. ``sums`` and ``discounted`` (parties, H) are working space."""
    if series_out:
        return
    party_sums(n, series, products, bom, bom_total, sums)
    party_totals(n, sums, discounted, discount, money)
    fan_sums(n, sums, fan_columns, fan)
    shipment_months(n, series, facts, first_ship, next_ship, sells_after)


def trend_table(
    table: Array, rates: Array, last: Array, i: int, k: int, rate: float, always: bool
) -> bool:
    """Whether ``table[i]`` holds the growth factors of ``rate`` month by month (column
    ``k`` of ``rates`` is the rate of each table, of ``last`` the previous variant's).

    The table is filled when the rate is new and the series are written (series mode)
    or the previous variant had the same rate (it is likely to repeat). A rate drawn
    path by path is left untabulated: the kernel then computes the factor only in the
    months that use it (demand where the ramp is above 0, the price where the product
    ships), about half of the months of a Monte Carlo, to the same bit.
    """
    if rates[i, k] != rate and (always or last[i, k] == rate):
        rates[i, k] = rate
        for m in range(table.shape[1]):
            table[i, m] = growth_factor(rate, float(m))
    last[i, k] = rate
    return rates[i, k] == rate


def shown_constraints(
    active: bool, quota_applies: bool, room: float, cap_left: float, left: float, orders: float
) -> tuple[float, float, float]:
    """The quota room, licence cap and allowance left as their series show them: at
    least 0; the quota and allowance 0 while shipping is not allowed; the open orders
    where the constraint does not exist (never binding)."""
    shown_room = max(room, 0.0) if quota_applies else orders
    shown_left = max(left, 0.0) if left < math.inf else orders
    if not active:
        shown_room = 0.0
        shown_left = 0.0
    shown_cap = max(cap_left, 0.0) if cap_left < math.inf else orders
    return shown_room, shown_cap, shown_left


def party_sums(
    n: int, series: Array, products: Array, bom: Array, bom_total: Array, sums: Array
) -> None:
    """Fill ``sums`` (parties, H) with variant ``n``'s money of each party and month,
    summed over the ``products`` in their order as numpy adds them up; ``series``
    (len(SERIES), 1, S, H) are the variant's."""
    n_money = len(MONEY)
    n_month = series.shape[3]
    sums[:, :] = -0.0  # -0.0 + x is x to the last bit, as numpy copies the first term
    for q in range(n_money):
        row = _MONEY_ROWS[q]
        for i in range(products.shape[0]):
            for m in range(n_month):
                sums[q, m] += series[row, 0, i, m]
    for i in range(products.shape[0]):
        p = products[i]
        for k in range(-1, bom.shape[2]):
            per_unit = bom_total[n, p] if k < 0 else bom[n, p, k]
            for m in range(n_month):
                sums[n_money + 1 + k, m] += per_unit * series[_PRODUCTION, 0, i, m]


def party_totals(n: int, sums: Array, discounted: Array, discount: Array, money: Array) -> None:
    """Variant ``n``'s horizon total ``money[0, n]`` and NPV ``money[1, n]`` of every
    party from its monthly ``sums`` (parties, H), each summed as numpy sums."""
    for q in range(sums.shape[0]):
        for m in range(sums.shape[1]):
            discounted[q, m] = sums[q, m] * discount[n, m]
        money[0, n, q] = numpy_sum(sums, q)
        money[1, n, q] = numpy_sum(discounted, q)


def fan_sums(n: int, sums: Array, fan_columns: Array, fan: Array) -> None:
    """Keep the monthly sums of the fan parties of variant ``n`` if it is among the
    first ``keep`` variants (``fan`` (F, keep, H) float32)."""
    if n < fan.shape[1]:
        for j in range(fan_columns.shape[0]):
            for m in range(sums.shape[1]):
                fan[j, n, m] = sums[fan_columns[j], m]


def shipment_months(
    n: int, series: Array, facts: int, first_ship: Array, next_ship: Array, sells_after: Array
) -> None:
    """Variant ``n``'s first month any product ships, and per product its first shipment
    after ``facts`` and whether it has China revenue after ``facts`` (``+inf``: no such
    month); ``series`` (len(SERIES), 1, S, H) are the variant's."""
    first_any = math.inf
    for i in range(series.shape[2]):
        after = math.inf
        sells = False
        for m in range(series.shape[3]):
            if series[_SHIP, 0, i, m] > 0.0:
                first_any = min(first_any, float(m))
                if m > facts:
                    after = min(after, float(m))
            sells = sells or (m > facts and series[_GROSS, 0, i, m] != 0.0)
        next_ship[n, i] = after
        sells_after[n, i] = sells
    first_ship[n] = first_any


def numpy_sum(values: Array, row: int) -> float:
    """``numpy.sum(values[row])`` for a C-contiguous (R, H) array, to the last bit: numpy
    starts from 0 and adds the :func:`pairwise_sum` of the row."""
    count = values.shape[1]
    if count <= PAIRWISE_BLOCK:
        return 0.0 + block_sum(values, row, 0, count)
    return 0.0 + pairwise_sum(values, row, 0, count)


def pairwise_sum(values: Array, row: int, start: int, count: int) -> float:
    """The sum of ``values[row, start:start + count]`` in numpy's order (pairwise
    summation), ``values`` of shape (R, H).

    Notes
    -----
    Runs of up to :data:`PAIRWISE_BLOCK` terms are summed by :func:`block_sum`; longer
    runs are split in two halves (the first a multiple of 8 terms), each summed alike,
    and the two sums added. The halves wait on a stack rather than in a recursive call
    (a compiled function that calls itself cannot be cached). The rounding error grows
    as ``O(log count)`` rather than ``O(count)``.
    """
    if count <= PAIRWISE_BLOCK:
        return block_sum(values, row, start, count)
    todo = [(start, count, False)]  # (start, count, whether to add the last two sums)
    done = [0.0]  # the sums found, after a first entry that fixes the list's type
    while todo:
        first, size, combine = todo.pop()
        if combine:
            right = done.pop()
            done.append(done.pop() + right)
        elif size <= PAIRWISE_BLOCK:
            done.append(block_sum(values, row, first, size))
        else:
            half = size // 2
            half -= half % 8
            todo.append((first, size, True))
            todo.append((first + half, size - half, False))
            todo.append((first, half, False))
    return done[1]


def block_sum(values: Array, row: int, start: int, count: int) -> float:
    """numpy's sum of a run of at most :data:`PAIRWISE_BLOCK` terms of ``values[row]``:
    fewer than 8 added in turn from -0.0; else 8 interleaved partial sums combined as
    ``((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))``, then the terms left over
    added in turn."""
    v = values
    if count < 8:
        total = -0.0
        for i in range(start, start + count):
            total += v[row, i]
        return total
    s0, s1, s2, s3 = v[row, start], v[row, start + 1], v[row, start + 2], v[row, start + 3]
    s4, s5, s6, s7 = v[row, start + 4], v[row, start + 5], v[row, start + 6], v[row, start + 7]
    i = start + 8
    stop = start + count - count % 8
    while i < stop:
        s0, s1, s2, s3 = s0 + v[row, i], s1 + v[row, i + 1], s2 + v[row, i + 2], s3 + v[row, i + 3]
        s4, s5, s6, s7 = (
            s4 + v[row, i + 4], s5 + v[row, i + 5], s6 + v[row, i + 6], s7 + v[row, i + 7]
        )  # fmt: skip
        i += 8
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for k in range(i, start + count):
        total += v[row, k]
    return total


#: The kernel's own helpers, compiled with it.
KERNEL_HELPERS = (
    trend_table, shown_constraints, reduce_variant, party_sums, party_totals, fan_sums,
    shipment_months, block_sum, pairwise_sum, numpy_sum,
)  # fmt: skip
_compiled: Callable[..., None] | None = None
_compiling = threading.Lock()


def compiled() -> Callable[..., None]:
    """:func:`recurrence` compiled with numba, together with the scalar equations it calls.

    Each equation and each of the kernel's helpers (:data:`KERNEL_HELPERS`) is compiled
    from its own Python source; the compiled functions see each other (an equation may
    call another) and the kernel sees them all, through copies of the modules' globals
    in which the names point to the compiled versions.
    """
    global _compiled
    with _compiling:
        if _compiled is None:
            import numba

            shared: dict[str, Any] = dict(eq.__dict__)
            for fn in eq.RECURRENCE_EQUATIONS:
                shared[fn.__name__] = numba.njit(cache=True)(_with_globals(fn, shared))
            scope: dict[str, Any] = dict(recurrence.__globals__)
            scope.update({fn.__name__: shared[fn.__name__] for fn in eq.RECURRENCE_EQUATIONS})
            for helper in KERNEL_HELPERS:
                scope[helper.__name__] = numba.njit(cache=True)(_with_globals(helper, scope))
            # nogil: chunks of a Monte Carlo may run in threads side by side.
            _compiled = numba.njit(cache=True, nogil=True)(_with_globals(recurrence, scope))
    return _compiled


def _with_globals(fn: Callable[..., Any], scope: dict[str, Any]) -> Callable[..., Any]:
    """A copy of ``fn`` that looks up global names in ``scope``."""
    clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__)
    clone.__qualname__ = fn.__qualname__
    clone.__module__ = fn.__module__
    return clone


def should_compile(cells: int) -> bool:
    """Whether to run the compiled kernel for ``cells`` variant × product × month cells:
    always once it is loaded in this process (a long-running app, a benchmark), else only
    for work large enough to repay loading it (``CHIP_EXPORT_COMPILE`` overrides)."""
    choice = os.environ.get(COMPILE_ENV, "")
    if choice in ("0", "1"):
        return choice == "1"
    return _compiled is not None or cells > COMPILE_ABOVE


def run(months: int, *args: Array, compile_kernel: bool | None = None) -> Array:
    """Run the kernel on the inputs of :func:`recurrence` (``first`` … ``actual_mask``)
    for ``months`` months and return every series, shape (len(SERIES), N, P, H)."""
    n_var, n_prod = args[0].shape
    out = np.empty((len(SERIES), n_var, n_prod, months))  # every cell is written
    unused = (
        np.zeros((1, 1, 0)), np.zeros((1, 1)), np.zeros((1, 0)), -1, np.zeros(0, np.int64),
        np.zeros((2, 0, 0)), np.zeros((0, 0, 0), np.float32), np.zeros(0),
        np.zeros((0, 0), np.float32), np.zeros((0, 0), bool),
    )  # fmt: skip
    kernel = _kernel(out[0].size, compile_kernel)
    kernel(*args, out, True, np.arange(n_prod, dtype=np.int64), *unused)
    return out


def run_totals(
    *args: Array,
    products: Sequence[int],
    bom: Array,
    bom_total: Array,
    discount: Array,
    facts: int = -1,
    fan_columns: Sequence[int] = (),
    keep: int = 0,
    compile_kernel: bool | None = None,
) -> tuple[Array, Array, Array, Array, Array]:
    """Run the kernel in totals mode on the inputs of :func:`recurrence` (``first`` …
    ``actual_mask``) and the arguments of that mode (see :func:`recurrence`).

    Returns
    -------
    money : (2, N, len(MONEY) + 1 + K)
        Horizon total ``[0]`` and NPV ``[1]`` of each party over the ``products``:
        :data:`MONEY`, all suppliers, then each supplier.
    fan : (len(fan_columns), keep, H) float32
        Monthly sums of the ``fan_columns`` for the first ``keep`` variants.
    first_ship : (N,)
        First month any of the ``products`` ships, ``+inf`` for none.
    next_ship, sells_after : (N, len(products)) float32 and bool
        Per product, the first month after ``facts`` it ships (``+inf`` for none) and
        whether it has China revenue after ``facts``.
    """
    n_var = args[0].shape[0]
    months = discount.shape[1]
    chosen = np.asarray(products, dtype=np.int64)
    variant = np.empty((len(SERIES), 1, len(chosen), months))  # one variant's series
    money = np.empty((2, n_var, len(MONEY) + 1 + bom.shape[2]))
    fan = np.empty((len(fan_columns), keep, months), np.float32)
    first_ship = np.empty(n_var)
    next_ship = np.empty((n_var, len(chosen)), np.float32)
    sells_after = np.empty((n_var, len(chosen)), bool)
    kernel = _kernel(n_var * len(chosen) * months, compile_kernel)
    kernel(
        *args, variant, False, chosen, np.ascontiguousarray(bom, dtype=float),
        np.ascontiguousarray(bom_total, dtype=float), np.ascontiguousarray(discount, dtype=float),
        int(facts), np.asarray(fan_columns, dtype=np.int64), money, fan, first_ship, next_ship,
        sells_after,
    )  # fmt: skip
    return money, fan, first_ship, next_ship, sells_after


def _kernel(cells: int, compile_kernel: bool | None) -> Callable[..., None]:
    use = should_compile(cells) if compile_kernel is None else compile_kernel
    return compiled() if use else recurrence
