"""Plausibility: values the schema accepts but a finance analyst would question.

The schema says what is *valid* (a price above zero, a cost at or above zero); these
rules say what is *plausible* for AI accelerators sold to China in 2025-2029. A value
that breaks one is still projected, but the app, the command line and reviewers show
the warning beside the figures, so a typo (a price of ``1e300`` or a cost above the
price) is seen rather than silently turned into 300-digit totals.

Each rule is one small function over validated assumptions that returns its messages;
each message names the dotted path, the value and the rule, like an input error.
The thresholds are deliberately generous (an order of magnitude beyond anything
reported) so that every shipped scenario passes without a warning.
"""

from __future__ import annotations

from collections.abc import Callable

from .schema import Assumptions, Product

#: The US ceiling on H200 exports to China: about ten cleared buyers with up to 75,000
#: units each (Reuters, 13-14 May 2026), the shipped ``licence_cap_units`` of the H200.
US_CEILING_UNITS = 750_000.0
#: A product's China demand over the horizon above this many ceilings is implausible.
CEILING_MULTIPLE = 10.0
#: No accelerator sells for more than this (an H200 sells for about $27,000).
MAX_PRICE_USD = 1_000_000.0
#: Prices and demand that more than double every year are implausible.
MAX_GROWTH_PER_YEAR = 1.0
#: Listed chip vendors have billions of shares; fewer than this makes EPS explode.
MIN_DILUTED_SHARES = 100_000_000.0


def _money(v: float) -> str:
    return f"${v:,.0f}" if abs(v) < 1e15 else f"${v:.3g}"


def _count(v: float) -> str:
    return f"{v:,.0f}" if abs(v) < 1e15 else f"{v:.3g}"


def unit_cost_above_price(a: Assumptions, p: Product) -> list[str]:
    """Each chip sold loses money when the unit cost exceeds the selling price."""
    if p.unit_cost_usd <= p.asp_usd:
        return []
    return [
        f"products.{p.id}.unit_cost_usd: the unit cost ({_money(p.unit_cost_usd)}) is above "
        f"the price ({_money(p.asp_usd)}): every chip sold loses money"
    ]


def price_above_ceiling(a: Assumptions, p: Product) -> list[str]:
    """No accelerator sells for more than :data:`MAX_PRICE_USD` per chip."""
    if p.asp_usd <= MAX_PRICE_USD:
        return []
    return [
        f"products.{p.id}.asp_usd: a price of {_money(p.asp_usd)} per chip is above "
        f"{_money(MAX_PRICE_USD)}; check the units (USD per chip)"
    ]


def horizon_demand(a: Assumptions, p: Product) -> float:
    """China demand over the horizon at the full monthly rate, with its growth:
    ``sum_t D0 * (1 + g)^(t/12)`` (no erosion, ramp or tariff effect)."""
    factor = 1.0 + p.china_demand_growth_per_year
    return sum(p.china_demand_units_per_month * factor ** (t / 12) for t in range(a.horizon.months))


def demand_above_ceiling(a: Assumptions, p: Product) -> list[str]:
    """China demand over the horizon above :data:`CEILING_MULTIPLE` times the US
    ceiling of :data:`US_CEILING_UNITS` units."""
    limit = CEILING_MULTIPLE * US_CEILING_UNITS
    total = horizon_demand(a, p)
    if total <= limit:
        return []
    return [
        f"products.{p.id}.china_demand_units_per_month: China demand of "
        f"{_count(p.china_demand_units_per_month)} units a month adds up to "
        f"{_count(total)} units over the horizon, more than {CEILING_MULTIPLE:g} times the "
        f"US ceiling of {_count(US_CEILING_UNITS)} units"
    ]


def fast_growth(a: Assumptions, p: Product) -> list[str]:
    """A price or a demand that more than doubles every year."""
    out = []
    for key, value in (
        ("asp_change_per_year", p.asp_change_per_year),
        ("china_demand_growth_per_year", p.china_demand_growth_per_year),
    ):
        if value > MAX_GROWTH_PER_YEAR:
            out.append(
                f"products.{p.id}.{key}: {value:.0%} a year more than doubles every year; "
                "check that it is a fraction (0.1 = 10 %)"
            )
    return out


def test_fee_above_price(a: Assumptions) -> list[str]:
    """US test labs charging more per chip than the cheapest chip sells for."""
    fee = a.policy.test_fee_usd_per_unit
    cheapest = min(a.products, key=lambda p: p.asp_usd)
    if fee <= cheapest.asp_usd:
        return []
    return [
        f"policy.test_fee_usd_per_unit: the test fee ({_money(fee)} per chip) is above the "
        f"price of {cheapest.name} ({_money(cheapest.asp_usd)})"
    ]


PRODUCT_RULES: tuple[Callable[[Assumptions, Product], list[str]], ...] = (
    unit_cost_above_price,
    price_above_ceiling,
    demand_above_ceiling,
    fast_growth,
)


def few_shares(a: Assumptions) -> list[str]:
    """A vendor with fewer than :data:`MIN_DILUTED_SHARES` diluted shares."""
    return [
        f"vendors.{name}.diluted_shares: {_count(v.diluted_shares)} shares is far fewer than "
        f"a listed chip vendor has; the earnings-per-share effect would be inflated"
        for name, v in a.vendors.items()
        if v.diluted_shares is not None and v.diluted_shares < MIN_DILUTED_SHARES
    ]


GLOBAL_RULES: tuple[Callable[[Assumptions], list[str]], ...] = (test_fee_above_price, few_shares)


def plausibility_warnings(assumptions: Assumptions) -> list[str]:
    """Every plausibility warning for these assumptions: product by product, then the
    rules on the policy and the vendors."""
    out = [m for p in assumptions.products for rule in PRODUCT_RULES for m in rule(assumptions, p)]
    return out + [m for rule in GLOBAL_RULES for m in rule(assumptions)]
