"""The Assumptions tab: every parameter with unit, range and source, and the what-if's
difference from the base assumptions, in words (see :mod:`webapp.labels`): shares as
percentages, choices and empty values in words, months as ``Mar 2028``; the dotted
path of each value (as scenario files and links write it) in a table of its own."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from model.schema import Assumptions, ParamInfo, param_info, parameter_table

from . import allowances, fmt, labels
from .catalog import CUSTOM_ID
from .levers import same, value_at
from .view import View

UNSET = "(not set)"
TABLE_HEIGHT = 640  # px: the long table scrolls down inside the page, never sideways


def paths(a: Assumptions) -> list[str]:
    """Every dotted path of these assumptions, in schema order: the sections, each
    vendor's keys, then each product's keys, allowance batches, actuals and BOM."""
    out = []
    for info in parameter_table():
        if info.section == "top":
            out.append(info.key)
        elif info.section not in ("product", "vendor"):
            out.append(f"{info.section}.{info.key}")
    vendor_keys = [i.key for i in parameter_table() if i.section == "vendor"]
    for v in a.vendor_names:
        out += [f"vendors.{v}.{k}" for k in vendor_keys]
    product_keys = [i.key for i in parameter_table() if i.section == "product"]
    for p in a.products:
        out += [f"products.{p.id}.{k}" for k in product_keys]
        out.append(f"products.{p.id}.{allowances.FIELD}")
        out += [f"products.{p.id}.actual_shipments.{m}" for m in sorted(p.actual_shipments or {})]
        out += [f"products.{p.id}.bom_usd_per_unit.{s}" for s in p.bom_usd_per_unit]
    return out


ALLOCATION_INFO = ParamInfo(
    key=allowances.FIELD,
    section="product",
    description="Batches of imports China approves (month:units); unlimited = China limits "
    "no volume once it approves; none = nothing may ship.",
    unit="YYYY-MM:units",
    kind="text",
)


def info_of(path: str) -> ParamInfo:
    """A path's metadata (the allowance batches have none in the parameter table)."""
    found = param_info(path)
    return found if found is not None else ALLOCATION_INFO


def _value(a: Assumptions, path: str) -> Any:
    """A path's value, or ``(not set)`` where it addresses nothing."""
    try:
        return value_at(a, path)
    except KeyError:
        return UNSET


def _text(v: Any) -> str:
    """A value as the comparison sees it (batches as link text)."""
    if isinstance(v, list):
        return allowances.encode(v)
    if v is None:
        return "null"
    if isinstance(v, float):
        return f"{v:,.10g}"
    return str(v)


def shown(path: str, v: Any) -> str:
    """A value for people (see :func:`webapp.labels.value_text`)."""
    return UNSET if v is UNSET else labels.value_text(path, v)


def full_table(view: View) -> pd.DataFrame:
    """Every parameter with its what-if and base values, unit, range, description,
    source and dotted path."""
    base = view.catalog.base.assumptions
    rows = []
    for path in paths(view.whatif):
        info = labels.info_of(path) or ALLOCATION_INFO
        source = "what-if set in the app" if path in view.overrides else _source(view, path)
        rows.append(
            {
                "Parameter": labels.param_label(path, view.whatif),
                "What-if": shown(path, _value(view.whatif, path)),
                "Base": shown(path, _value(base, path)),
                "Unit and valid range": "; ".join(
                    t for t in (labels.unit_text(info), labels.range_text(info)) if t
                ),
                "About": fmt.escape_md(info.description)
                + (f" *Source:* {fmt.escape_md(source)}" if source else ""),
            }
        )
    return pd.DataFrame(rows)


def path_table(view: View) -> pd.DataFrame:
    """Each parameter's name and its dotted path (as scenario files and links write it)."""
    found = paths(view.whatif)
    return pd.DataFrame(
        {"Parameter": [labels.param_label(p, view.whatif) for p in found], "Path": found}
    )


def _source(view: View, path: str) -> str:
    """The source of a value; the batches' sources one by one."""
    if path.endswith("." + allowances.FIELD):
        batches = _value(view.reference.assumptions, path)
        count = len(batches) if isinstance(batches, list) else 0
        found = [view.reference.source(path)] + [
            view.reference.source(f"{path}.{i}") for i in range(count)
        ]
        return " | ".join(s for s in found if s)
    return view.reference.source(path)


def diff_table(view: View) -> pd.DataFrame:
    """Parameters whose what-if value differs from the base, and what changed them."""
    base = view.catalog.base.assumptions
    ref = view.reference
    rows = []
    for path in dict.fromkeys([*paths(view.whatif), *paths(base)]):
        now, was = _value(view.whatif, path), _value(base, path)
        if _text(now) == _text(was) or same(now, was):
            continue
        by = (
            "you (in the app)"
            if path in view.overrides
            else f"upload: {ref.name}"
            if ref.id == CUSTOM_ID
            else f"scenario: {ref.name}"
        )
        rows.append(
            {
                "Parameter": labels.param_label(path, view.whatif),
                "Base": shown(path, was),
                "What-if": shown(path, now),
                "Changed by": by,
            }
        )
    return pd.DataFrame(rows, columns=["Parameter", "Base", "What-if", "Changed by"])


def render(view: View) -> None:
    """Draw the Assumptions tab: the diff against the base, then every parameter."""
    st.subheader("Difference from the base assumptions")
    diff = diff_table(view)
    if diff.empty:
        st.info("The what-if equals the base assumptions.")
    else:
        st.table(diff, hide_index=True)
    st.subheader("All assumptions")
    st.table(full_table(view), hide_index=True, height=TABLE_HEIGHT)
    st.caption("Shares are shown as percentages and empty values in words. The table scrolls down.")
    with st.expander("Dotted paths, as scenario files and links name the values"):
        st.table(path_table(view), hide_index=True, height=TABLE_HEIGHT)
