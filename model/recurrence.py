"""The month-by-month recurrence of docs/methodology.md §2.2–2.4, written once.

:func:`recurrence` loops over variants, products and months and calls the scalar
equations of :mod:`model.equations`. The same Python code runs two ways:

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
    china_shipments,
    licence_cap_left,
    production,
    production_running,
    quota_room,
    shippable_need,
    shipping_allowed,
)

Array = np.ndarray

#: The series the recurrence writes, in the order of the first axis of its output.
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
)
#: Variant × product × month cells below which the interpreted loop is used: the compiled
#: kernel pays a one-off start-up (numba import, cache load) of about half a second.
COMPILE_ABOVE = 20_000
#: Set to "0" to never compile (for example where numba is not available), "1" to always.
COMPILE_ENV = "CHIP_EXPORT_COMPILE"


def recurrence(
    first: Array,
    restart: Array,
    licence_end: Array,
    demand: Array,
    us: Array,
    ratio: Array,
    cumulative: Array,
    quota_applies: Array,
    cap: Array,
    allowance: Array,
    capacity: Array,
    build_to_order: Array,
    inventory0: Array,
    retention: Array,
    actual: Array,
    actual_mask: Array,
    out: Array,
) -> None:
    """Fill ``out`` (len(SERIES), N, P, H) with the recurrence's series.

    Parameters
    ----------
    first, restart, licence_end : (N, P)
        ``Ts``, ``Tp`` and ``End`` as month indices (``±inf`` allowed).
    demand : (N, P, H)
        ``D(t)``.
    us, quota_applies, cap, capacity, build_to_order, inventory0 : (N, P)
        ``U``, the quota flag, the licence cap (``+inf`` for none), capacity, the
        production rule (true for build-to-order) and ``Inv(0)``.
    ratio, cumulative, retention : (N,)
        ``r``, the cumulative quota basis flag and ``backlog_retention``.
    allowance, actual, actual_mask : (N, P, H) or (1, P, H)
        ``Alloc(t)`` (``+inf`` where unlimited), reported shipments and where they apply.
    """
    n_var, n_prod, n_month = demand.shape
    shared_alloc = allowance.shape[0] == 1
    shared_actual = actual.shape[0] == 1
    for n in range(n_var):
        na = 0 if shared_alloc else n
        nr = 0 if shared_actual else n
        for p in range(n_prod):
            inv = inventory0[n, p]
            backlog = 0.0
            shipped = 0.0
            us_cum = 0.0
            for m in range(n_month):
                active = shipping_allowed(m, first[n, p], licence_end[n, p])
                if active:
                    us_cum = us_cum + us[n, p]
                orders = demand[n, p, m] + backlog
                room = math.inf
                if quota_applies[n, p]:
                    room = quota_room(ratio[n], us[n, p], us_cum, shipped, cumulative[n])
                cap_left = licence_cap_left(cap[n, p], shipped)
                left = allowance_left(allowance[na, p, m], shipped)
                need = shippable_need(orders, room, cap_left, left, active)
                running = production_running(m, restart[n, p], capacity[n, p])
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
                out[3, n, p, m] = max(cap_left, 0.0) if cap_left < math.inf else orders
                out[5, n, p, m] = need
                out[6, n, p, m] = made
                out[7, n, p, m] = ship
                inv = inv + made - ship
                out[8, n, p, m] = inv
                out[9, n, p, m] = excess
                backlog = carried_backlog(retention[n], orders, ship)
                shipped = shipped + ship


_compiled: Callable[..., None] | None = None


def compiled() -> Callable[..., None]:
    """:func:`recurrence` compiled with numba, together with the scalar equations it calls
    (each compiled from its own Python source; the kernel's globals point to them)."""
    global _compiled
    if _compiled is None:
        import numba

        scope: dict[str, Any] = dict(recurrence.__globals__)
        for fn in eq.RECURRENCE_EQUATIONS:
            scope[fn.__name__] = numba.njit(cache=True)(fn)
        clone = types.FunctionType(recurrence.__code__, scope, recurrence.__name__)
        _compiled = numba.njit(cache=True)(clone)
    return _compiled


def should_compile(cells: int) -> bool:
    """Whether to run the compiled kernel for ``cells`` variant × product × month cells:
    always once it is loaded in this process (a long-running app, a benchmark), else only
    for work large enough to repay loading it (``CHIP_EXPORT_COMPILE`` overrides)."""
    choice = os.environ.get(COMPILE_ENV, "")
    if choice in ("0", "1"):
        return choice == "1"
    return _compiled is not None or cells > COMPILE_ABOVE


def run(*args: Array, compile_kernel: bool | None = None) -> Array:
    """Run the recurrence on the arguments of :func:`recurrence` (without ``out``) and
    return its series, shape (len(SERIES), N, P, H)."""
    demand = args[3]
    out = np.zeros((len(SERIES), *demand.shape))
    use = should_compile(demand.size) if compile_kernel is None else compile_kernel
    kernel: Callable[..., None] = compiled() if use else recurrence
    kernel(*args, out)
    return out
