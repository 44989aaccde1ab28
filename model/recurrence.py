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
"""

from __future__ import annotations

import math
import os
import types
from collections.abc import Callable
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
    out: Array,
) -> None:  # fmt: skip
    """Fill ``out`` (len(SERIES), N, P, H) with every monthly series.

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
    """
    n_var, n_prod = first.shape
    n_month = out.shape[3]
    shared_alloc = allowance.shape[0] == 1
    shared_actual = actual.shape[0] == 1
    for n in range(n_var):
        na = 0 if shared_alloc else n
        nr = 0 if shared_actual else n
        base = levy_base(import_tariff[n], customs_value_ratio[n])
        for p in range(n_prod):
            inv = inventory0[n, p]
            backlog = 0.0
            shipped = 0.0
            us_cum = 0.0
            for m in range(n_month):
                t = float(m)
                active = shipping_allowed(t, first[n, p], licence_end[n, p])
                ramp_t = ramp(t, first[n, p], ramp_months[n], licence_end[n, p])
                new = china_demand(demand[n, p], demand_growth[n, p], multiplier[n, p], ramp_t, t)
                if active:
                    us_cum = us_cum + us[n, p]
                orders = new + backlog
                room = math.inf
                if quota_applies[n, p]:
                    room = quota_room(ratio[n], us[n, p], us_cum, shipped, cumulative[n])
                cap_left = licence_cap_left(cap[n, p], shipped)
                left = allowance_left(allowance[na, p, m], shipped)
                need = shippable_need(orders, room, cap_left, left, active)
                running = production_running(t, restart[n, p], capacity[n, p])
                made = production(running, need, inv, build_to_order[n, p])
                ship = china_shipments(need, inv + made)
                excess = 0.0
                if actual_mask[nr, p, m]:
                    # §2.4: the reported figure replaces X(t); build-to-order follows it. An
                    # actual above stock plus production is rejected when loading; a
                    # simulated path is clamped so it never ships what it does not have.
                    reported = actual[nr, p, m]
                    made = production(running, reported, inv, build_to_order[n, p])
                    excess = max(reported - (inv + made), 0.0)
                    ship = min(reported, inv + made)
                out[0, n, p, m] = backlog
                out[1, n, p, m] = orders
                # A constraint that does not exist is reported as never binding.
                if active:
                    out[2, n, p, m] = max(room, 0.0) if quota_applies[n, p] else orders
                    out[4, n, p, m] = max(left, 0.0) if left < math.inf else orders
                else:
                    out[2, n, p, m] = 0.0
                    out[4, n, p, m] = 0.0
                out[3, n, p, m] = max(cap_left, 0.0) if cap_left < math.inf else orders
                out[5, n, p, m] = need
                out[6, n, p, m] = made
                out[7, n, p, m] = ship
                inv = inv + made - ship
                out[8, n, p, m] = inv
                out[9, n, p, m] = excess
                out[10, n, p, m] = ramp_t
                out[11, n, p, m] = new
                backlog = carried_backlog(retention[n], orders, ship)
                shipped = shipped + ship
                # §3: who receives what from this month's shipments.
                price = selling_price(asp[n, p], asp_change[n, p], t)
                levy = levy_active(t, levy_end[n])
                gross = ship * price
                gov = government_levy(gross, levy, rate[n, p], base)
                labs = test_lab_fees(ship, test_fee[n])
                retained = vendor_retained(gross, gov, labs)
                cogs = cost_of_goods(unit_cost[n, p], ship)
                exported = exported_tpp(tpp[n, p], ship)
                out[12, n, p, m] = price
                out[13, n, p, m] = levy
                out[14, n, p, m] = gross
                out[15, n, p, m] = gov
                out[16, n, p, m] = china_tariff_revenue(gross, china_tariff[n])
                out[17, n, p, m] = labs
                out[18, n, p, m] = retained
                out[19, n, p, m] = cogs
                out[20, n, p, m] = gross_profit(retained, cogs)
                out[21, n, p, m] = exported
                out[22, n, p, m] = h100_equivalents(exported)


_compiled: Callable[..., None] | None = None


def compiled() -> Callable[..., None]:
    """:func:`recurrence` compiled with numba, together with the scalar equations it calls.

    Each equation is compiled from its own Python source; the compiled functions see
    each other (an equation may call another) and the kernel sees them all, through
    copies of the modules' globals in which the names point to the compiled versions.
    """
    global _compiled
    if _compiled is None:
        import numba

        shared: dict[str, Any] = dict(eq.__dict__)
        for fn in eq.RECURRENCE_EQUATIONS:
            shared[fn.__name__] = numba.njit(cache=True)(_with_globals(fn, shared))
        scope: dict[str, Any] = dict(recurrence.__globals__)
        scope.update({fn.__name__: shared[fn.__name__] for fn in eq.RECURRENCE_EQUATIONS})
        _compiled = numba.njit(cache=True)(_with_globals(recurrence, scope))
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
    """Run the kernel on the arguments of :func:`recurrence` (without ``out``) for
    ``months`` months and return its series, shape (len(SERIES), N, P, H)."""
    first = args[0]
    out = np.empty((len(SERIES), *first.shape, months))  # every cell is written
    use = should_compile(out[0].size) if compile_kernel is None else compile_kernel
    kernel: Callable[..., None] = compiled() if use else recurrence
    kernel(*args, out)
    return out
