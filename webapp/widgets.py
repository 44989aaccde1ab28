"""The sidebar: scenario picker, levers by group, one expander per product, reset, upload.

Every widget's help is the schema's description, unit and range plus the source
of the reference's value; presets carry the source of the file that uses them.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from model.calendar import parse_month
from model.schema import NEVER, param_info

from . import files, fmt
from .catalog import CUSTOM_ID, Catalog, Reference, catalog
from .levers import (
    GROUPS,
    Bound,
    bound_levers,
    month_options,
    to_display,
    value_at,
    widget_range,
)
from .state import (
    CUSTOM_KEY,
    EXTRA_KEY,
    NOTICE_KEY,
    REF_KEY,
    clear_levers,
    init_levers,
    reference,
    reference_ids,
)

BOUNDS_KEY = "slider_bounds"
CHOICE_TEXT = {
    "revenue_share": "revenue share",
    "import_tariff": "import tariff (Section 232)",
    "cumulative": "cumulative",
    "monthly": "monthly",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_text(value: str, never_text: str = "never") -> str:
    if value == NEVER:
        return never_text
    y, m = parse_month(value)
    return f"{_MONTHS[m - 1]} {y}"


def value_text(path: str, value: Any) -> str:
    """A parameter's value for people, by its schema kind and unit."""
    info = param_info(path)
    if info is None or (value is None and not info.kind.startswith("month")):
        return "none" if value is None else str(value)
    if info.kind.startswith("month"):
        return month_text(
            NEVER if value is None else value,
            "never ends" if info.kind == "month_or_null" else "never",
        )
    if info.kind == "choice":
        return CHOICE_TEXT.get(value, value)
    if info.kind == "bool":
        return "yes" if value else "no"
    if info.kind == "text":
        return str(value)
    if info.unit.startswith("fraction"):
        return fmt.pct(value)
    if info.unit == "USD/unit":
        return fmt.money(value)
    if info.unit.startswith("units"):
        return fmt.units(value)
    return f"{value:g}"


def change_text(ref: Reference, path: str, value: Any) -> str:
    """``US levy rate: 25 % → 15 %`` for one override of the reference."""
    levers = {b.path: b for b in bound_levers(ref.assumptions)}
    if path in levers:
        b = levers[path]
        label = b.lever.label.split(" (")[0]
        if b.product:
            label = f"{ref.assumptions.product(b.product).name} {label[0].lower()}{label[1:]}"
    else:
        label = path
    try:
        before = value_text(path, value_at(ref.assumptions, path))
    except (StopIteration, AttributeError):
        before = "(not set)"
    return f"{label}: {before} → {value_text(path, value)}"


def help_text(b: Bound, ref: Reference) -> str:
    info = b.info
    source = ref.source(b.path)
    text = f"{info.description}\n\nUnit: {info.unit}. Valid range: {info.range_text()}."
    return text + (f"\n\nSource ({ref.name}): {source}" if source else "")


def _reset_all() -> None:
    clear_levers()
    st.session_state[NOTICE_KEY] = []
    st.session_state.pop(BOUNDS_KEY, None)


def _set(key: str, value: Any) -> None:
    st.session_state[key] = value


def _refill(key: str, value: Any) -> None:
    """A number that must have a value, emptied: back to the scenario's value."""
    if st.session_state.get(key) is None:
        st.session_state[key] = value


def _slider(b: Bound, shown: Any, ref_shown: Any, help_: str) -> None:
    """A slider whose bounds only ever widen in a session (bounds are part of its identity)."""
    lo, hi = widget_range(b, shown, ref_shown)
    stored = st.session_state.setdefault(BOUNDS_KEY, {}).get(b.path, (lo, hi))
    lo, hi = min(lo, stored[0]), max(hi, stored[1])
    st.session_state[BOUNDS_KEY][b.path] = (lo, hi)
    lv = b.lever
    if b.info.kind == "integer":
        st.slider(lv.label, int(lo), int(hi), step=int(lv.step or 1), key=b.path, help=help_)
    else:
        st.slider(
            lv.label,
            float(lo),
            float(hi),
            step=float(lv.step or 1),
            format=lv.fmt,
            key=b.path,
            help=help_,
        )


def lever_widget(b: Bound, ref: Reference) -> None:
    """One lever's widget (its value lives in session state under the dotted path)."""
    lv, info = b.lever, b.info
    shown = st.session_state[b.path]
    ref_shown = to_display(b, value_at(ref.assumptions, b.path))
    help_ = help_text(b, ref)
    if lv.widget == "slider":
        _slider(b, shown, ref_shown, help_)
    elif lv.widget == "number":
        lo, hi = widget_range(b, shown, ref_shown)
        st.number_input(
            lv.label,
            min_value=lo,
            max_value=hi,
            value=None,
            step=lv.step,
            format=lv.fmt,
            key=b.path,
            help=help_,
            placeholder="empty" if info.optional else None,
            on_change=None if info.optional else _refill,
            args=None if info.optional else (b.path, ref_shown),
        )
    elif lv.widget == "select":
        st.selectbox(
            lv.label,
            info.choices,
            key=b.path,
            help=help_,
            format_func=lambda c: CHOICE_TEXT.get(c, c),
        )
    elif lv.widget == "months":
        options = month_options(ref.assumptions, shown, ref_shown)
        st.select_slider(
            lv.label,
            options,
            key=b.path,
            help=help_,
            format_func=lambda m: month_text(m, lv.never_text),
        )
    elif lv.widget == "toggle":
        st.toggle(lv.label, key=b.path, help=help_)
    if lv.presets:
        cols = st.columns(len(lv.presets))
        for col, preset in zip(cols, lv.presets, strict=True):
            cat_ref = _preset_source(preset.source_from)
            col.button(
                preset.label,
                key=f"preset:{b.path}:{preset.label}",
                on_click=_set,
                args=(b.path, to_display(b, preset.value)),
                help=f"Set to {preset.label}. " + cat_ref.source(b.path),
                width="stretch",
            )


def _preset_source(ref_id: str) -> Reference:
    return catalog().get(ref_id) or catalog().base


def _ref_label(cat: Catalog, ref_id: str) -> str:
    if ref_id == CUSTOM_ID:
        custom = st.session_state.get(CUSTOM_KEY)
        return f"Custom: {custom.name}" if custom else "Custom"
    found = cat.get(ref_id)
    return found.name if found else ref_id


def sidebar(cat: Catalog) -> Reference:
    """Draw the sidebar and return the selected reference."""
    sb = st.sidebar
    sb.selectbox(
        "Scenario",
        reference_ids(cat),
        key=REF_KEY,
        on_change=_reset_all,
        format_func=lambda i: _ref_label(cat, i),
        help="The what-if starts from this scenario; the headline figures show "
        "their change against it. 'Custom' appears once you upload assumptions.",
    )
    ref = reference(cat)
    init_levers(ref)
    sb.caption(ref.description)
    sb.button("Reset levers to the scenario", on_click=_reset_all, width="stretch")
    levers = bound_levers(ref.assumptions)
    for group in GROUPS:
        with sb.expander(group, expanded=group == "Policy"):
            for b in levers:
                if b.group == group:
                    lever_widget(b, ref)
    for p in ref.assumptions.products:
        with sb.expander(f"{p.name} ({p.id})"):
            for b in levers:
                if b.product == p.id:
                    lever_widget(b, ref)
    extra = st.session_state.get(EXTRA_KEY, {})
    if extra:
        sb.caption(
            "Also changed (no widget; *Reset* clears them): "
            + ", ".join(f"`{k} = {v}`" for k, v in extra.items())
        )
    with sb.expander("Upload assumptions"):
        files.upload_widget()
    return ref
