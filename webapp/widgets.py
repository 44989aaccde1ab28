"""The sidebar: scenario picker, levers by group, vendors, one expander per product (its
dates, levers, China's allowance batches and the reported actuals), reset and upload.

Every lever's widget is bound to the page address under its dotted path, so the
address always holds the what-if; its help is the schema's description, unit and
range plus the source of the reference's value; presets carry the source of the file
that uses them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from model.calendar import parse_month
from model.dotted import parse_path
from model.schema import NEVER, Product, param_info

from . import allowances, files, fmt, state
from .catalog import CUSTOM_ID, Catalog, Reference, catalog
from .levers import (
    CHOICE_TEXT,
    GROUPS,
    MONTH_NAMES,
    Bound,
    bound_levers,
    label,
    lever_map,
    options,
    to_widget,
    value_at,
    widget_range,
)
from .notices import plural, summary

BOUNDS_KEY = "slider_bounds"
_UNSET = object()  # no value in session state
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


# ---------------------------------------------------------------- words for people


def month_text(value: str, never_text: str = "never") -> str:
    """``2026-03`` -> ``Mar 2026``; ``never`` in words."""
    if value == NEVER:
        return never_text
    y, m = parse_month(value)
    return f"{MONTH_NAMES[m - 1]} {y}"


def value_text(path: str, value: Any) -> str:
    """A parameter's value for people, by its schema kind and unit."""
    info = param_info(path)
    if path.endswith("." + allowances.FIELD):
        return allowances.encode(value) if value is None or isinstance(value, list) else "?"
    if isinstance(value, (list, dict)):
        return f"{len(value)} items"
    if info is None or (value is None and not info.kind.startswith("month")):
        return "none" if value is None else str(value)
    if info.kind.startswith("month"):
        if value is None:
            return "never ends" if info.kind == "month_or_null" else "inherits timeline"
        return month_text(value)
    if info.kind == "choice":
        return CHOICE_TEXT.get(value, value)
    if info.kind == "bool":
        return "yes" if value else "no"
    if info.kind == "text" or isinstance(value, str):
        return str(value)
    if info.quantity == "share":
        return fmt.pct(value)
    if info.quantity == "money":
        return fmt.money(value)
    if info.quantity == "count":
        return fmt.units(value) if info.unit.startswith("units") else fmt.compact(value)
    return f"{value:g}"


def change_text(ref: Reference, path: str, value: Any) -> str:
    """``US levy rate: 25 % → 15 %`` for one override of the reference."""
    b = lever_map(ref.assumptions).get(path)
    parsed = parse_path(path)
    pid = None
    if not isinstance(parsed, str) and parsed.scope == "product" and parsed.key == allowances.FIELD:
        pid = parsed.product
    if b is not None:
        name = b.lever.label.split(" (")[0]
        owner = ref.assumptions.product(b.product).name if b.product else b.vendor
        name = f"{owner} {name[0].lower()}{name[1:]}" if owner else name
    elif pid in {p.id for p in ref.assumptions.products}:
        name = f"{ref.assumptions.product(str(pid)).name} China batches"
    else:
        name = path
    try:
        before = value_text(path, value_at(ref.assumptions, path))
    except KeyError:
        before = "(not set)"
    return f"{name}: {before} → {value_text(path, value)}"


def help_text(b: Bound, ref: Reference) -> str:
    """A lever's help: the schema's description, unit and range, and the source."""
    info = b.info
    source = ref.source(b.path)
    text = f"{info.description}\n\nUnit: {info.unit}. Valid range: {info.range_text()}."
    return text + (f"\n\nSource ({ref.name}): {source}" if source else "")


# ---------------------------------------------------------------- callbacks


def _on_scenario() -> None:
    """A new scenario: every lever starts from its values, and link notices go."""
    st.session_state[state.NOTICE_KEY] = []
    st.session_state.pop(BOUNDS_KEY, None)
    state.reset(state.reference(catalog()))


def _reset(ref: Reference) -> None:
    """Every lever back to the reference; link notices go."""
    st.session_state[state.NOTICE_KEY] = []
    st.session_state.pop(BOUNDS_KEY, None)
    state.reset(ref)


def _set(key: str, value: Any) -> None:
    """Set a widget value (a preset button)."""
    st.session_state[key] = value


# ---------------------------------------------------------------- one lever


def _bind(b: Bound) -> Any:
    """How the lever is bound this run (unbound on the first run if the app sets it)."""
    return None if state.drawn_unbound(b.path) else state.BIND


def _shown(b: Bound, default: Any) -> list[Any]:
    """Values the widget must have room for: its own, the default, the link's."""
    own = st.session_state.get(b.path, _UNSET)
    here = [] if own is _UNSET else [own]
    return [*here, default, *state.shown_from_link(b.path)]


def _range(b: Bound, default: Any) -> tuple[Any, Any]:
    """The widget range; a slider's only ever widens in a session (its bounds are part of
    its identity, so a change would reset it)."""
    lo, hi = widget_range(b, *_shown(b, default))
    if b.lever.widget != "slider":
        return lo, hi
    stored = st.session_state.setdefault(BOUNDS_KEY, {}).get(b.path, (lo, hi))
    lo, hi = min(lo, stored[0]), max(hi, stored[1])
    st.session_state[BOUNDS_KEY][b.path] = (lo, hi)
    return lo, hi


def _slider(b: Bound, default: Any, help_: str) -> None:
    """A slider lever (integers, or fractions shown as percentages)."""
    lo, hi = _range(b, default)
    lv = b.lever
    if b.info.kind == "integer":
        st.slider(lv.label, int(lo), int(hi), int(default), int(lv.step or 1), **_common(b, help_))
    else:
        st.slider(
            lv.label,
            float(lo),
            float(hi),
            float(default),
            float(lv.step or 0.01),
            format=lv.fmt,
            **_common(b, help_),
        )


def _number(b: Bound, default: Any, help_: str) -> None:
    """A number-input lever."""
    lo, hi = _range(b, default)
    st.number_input(
        b.lever.shown_label(default),
        min_value=lo,
        max_value=hi,
        value=default,
        step=b.lever.step,
        format=b.lever.fmt,
        placeholder="empty" if b.info.optional else None,
        **_common(b, help_),
    )


def _common(b: Bound, help_: str) -> dict[str, Any]:
    """The arguments every lever's widget shares."""
    return {"key": b.path, "help": help_, "bind": _bind(b)}


def lever_widget(b: Bound, ref: Reference) -> None:
    """One lever's widget (its value lives in session state under the dotted path)."""
    a = ref.assumptions
    default = to_widget(b, value_at(a, b.path))
    help_ = help_text(b, ref)
    kind = b.lever.widget
    if kind == "slider":
        _slider(b, default, help_)
    elif kind == "number":
        _number(b, default, help_)
    elif kind == "select":
        opts = options(b, a)
        st.selectbox(
            b.lever.label,
            opts,
            index=opts.index(default),
            format_func=lambda o: label(b, o, a),
            **_common(b, help_),
        )
    elif kind == "months":
        st.select_slider(
            b.lever.label,
            options(b, a, *_shown(b, default)),
            value=default,
            format_func=lambda o: label(b, o, a),
            **_common(b, help_),
        )
    elif kind == "toggle":
        st.toggle(b.lever.label, value=bool(default), **_common(b, help_))
    _presets(b)


def _presets(b: Bound) -> None:
    """A lever's preset buttons, each with the source of its value."""
    if not b.lever.presets:
        return
    cols = st.columns(len(b.lever.presets))
    for col, preset in zip(cols, b.lever.presets, strict=True):
        source = (catalog().get(preset.source_from) or catalog().base).source(
            preset.source_path or b.path
        )
        col.button(
            preset.label,
            key=f"preset:{b.path}:{preset.label}",
            on_click=_set,
            args=(b.path, to_widget(b, preset.value)),
            help=f"Set to {preset.label}. {source}",
            width="stretch",
        )


# ---------------------------------------------------------------- tables of a product


def allowance_editor(p: Product, ref: Reference) -> tuple[bool, allowances.Batches]:
    """China's allowance batches for one product, editable: (whether they differ from
    the reference's, the batches)."""
    path = f"products.{p.id}.{allowances.FIELD}"
    ref_batches = allowances.batches_of(ref.assumptions.product(p.id))
    bases = st.session_state.get(state.TABLES_KEY) or {}
    start = bases.get(p.id, ref_batches)
    gen = state.generation()
    limited = st.toggle(
        "China rations imports (allowance batches)",
        value=start is not None,
        key=f"{path}:limited:{gen}",
        help="On: China approves imports batch by batch (month, units); an empty table "
        "means nothing may ship. Off: China limits no volume once it approves.",
    )
    if not limited:
        batches: allowances.Batches = None
    else:
        from_ref = p.id not in bases
        sources = [ref.source(f"{path}.{i}") for i in range(len(start or []))] if from_ref else []
        edited = st.data_editor(
            allowances.frame(start, sources),
            key=f"{path}:table:{gen}",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "month": st.column_config.TextColumn(
                    "Month", help="YYYY-MM: when China approves the batch", validate=MONTH_PATTERN
                ),
                "units": st.column_config.NumberColumn(
                    "Units", min_value=0, step=1000, format="%d", help="Units China approves"
                ),
                "source": st.column_config.TextColumn("Source", disabled=True),
            },
        )
        batches = allowances.from_frame(edited)
    return not allowances.same_batches(batches, ref_batches), batches


def actuals_table(p: Product, ref: Reference) -> None:
    """The reported shipments of a product, read-only, each with its source."""
    if not p.actual_shipments:
        return
    rows = [
        {
            "month": fmt.month(month),
            "units": units,
            "source": ref.source(f"products.{p.id}.actual_shipments.{month}"),
        }
        for month, units in sorted(p.actual_shipments.items())
    ]
    as_of = ref.assumptions.horizon.as_of
    st.markdown(f"**Reported China shipments** (facts as of {fmt.month(as_of)}, read-only)")
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "units": st.column_config.NumberColumn("Units", format="%d"),
            "source": st.column_config.TextColumn("Source", width="large"),
        },
    )


# ---------------------------------------------------------------- the sidebar


def _ref_label(cat: Catalog, ref_id: str) -> str:
    """A reference's name in the picker."""
    if ref_id == CUSTOM_ID:
        custom = st.session_state.get(state.CUSTOM_KEY)
        return f"Custom: {custom.name}" if custom else "Custom"
    found = cat.get(ref_id)
    return found.name if found else ref_id


def _group(levers: list[Bound], ref: Reference, group: str) -> None:
    """The levers of one group."""
    for b in levers:
        if b.group == group:
            lever_widget(b, ref)


def _product(p: Product, levers: list[Bound], ref: Reference) -> tuple[bool, allowances.Batches]:
    """One product's expander: its dates, levers, allowance table and actuals."""
    a = ref.assumptions
    us, china, ends = a.dates(p)
    st.caption(
        f"Timeline: US {month_text(a.timeline.us_approval)}, China "
        f"{month_text(a.timeline.china_approval)}, ends "
        f"{month_text(a.timeline.licence_ends or NEVER)}. This chip: US {month_text(us)}, "
        f"China {month_text(china)}, ends {month_text(ends or NEVER)}."
    )
    _group(levers, ref, f"product:{p.id}")
    table = allowance_editor(p, ref)
    actuals_table(p, ref)
    return table


def sidebar(cat: Catalog) -> Reference:
    """Draw the sidebar and return the selected reference."""
    sb = st.sidebar
    sb.selectbox(
        "Scenario",
        state.reference_ids(cat),
        key=state.REF_KEY,
        on_change=_on_scenario,
        format_func=lambda i: _ref_label(cat, i),
        help="The what-if starts from this scenario; the headline figures show "
        "their change against it. 'Custom' appears once you upload assumptions.",
    )
    ref = state.reference(cat)
    sb.caption(ref.description)
    sb.button("Reset levers to the scenario", on_click=_reset, args=(ref,), width="stretch")
    levers = bound_levers(ref.assumptions)
    with sb:
        for group in GROUPS:
            with st.expander(group, expanded=group == "Policy"):
                _group(levers, ref, group)
        with st.expander("Vendors"):
            for vendor in ref.assumptions.vendor_names:
                st.markdown(f"**{fmt.escape_md(vendor)}**")
                _group(levers, ref, f"vendor:{vendor}")
        tables = {}
        for p in ref.assumptions.products:
            with st.expander(f"{p.name} ({p.id})"):
                changed, batches = _product(p, levers, ref)
            if changed:
                tables[p.id] = batches
    st.session_state[state.TABLE_VALUES_KEY] = tables
    extra = st.session_state.get(state.EXTRA_KEY) or {}
    if extra:
        sb.caption(
            "Also changed (no widget; *Reset* clears them): "
            + ", ".join(
                f"`{fmt.escape_md(k)} = {fmt.escape_md(str(v))[:60]}`" for k, v in extra.items()
            )
        )
    with sb.expander("Upload assumptions"):
        files.upload_widget()
    state.check_link(ref)
    return ref


def link_notes(box: Any, ref_id: str, current: dict[str, Any]) -> None:
    """The values ignored from the link, in one warning (until the what-if changes)."""
    state.end_view_check()
    ignored = state.notices(ref_id, current)
    if ignored:
        box.warning(summary(f"{plural(len(ignored), 'value')} ignored from the link:", ignored))
