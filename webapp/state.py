"""The what-if's state in the session: the reference, the levers, China's allowance
tables and the overrides no widget shows; the link read when a session starts, and the
page address kept in step for what no widget writes.

The what-if is ``reference + overrides`` (dotted paths to model values). The levers'
widgets hold their values under their dotted paths and keep the page address in step
themselves (``bind="query-params"``). This module writes the rest of the address by
hand: the scenario (``scenario=<id>``), the allowance tables and the overrides
without a widget. Everything a link asks for that the what-if cannot keep is dropped
with a message (see :mod:`webapp.links`), never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import streamlit as st
from streamlit.errors import StreamlitAPIException

from model.loader import InputError, apply_overrides
from model.schema import Assumptions, format_text

from . import allowances, compute, links
from .catalog import BASE_ID, CUSTOM_ID, Catalog, Reference, cache_key
from .levers import bound_levers, equivalent, from_widget, lever_map, to_widget, value_at

#: How every bound widget is bound: to the page address, under its key.
BIND: Literal["query-params"] = "query-params"
# widgets of the main area bound to the page address (their keys are the address's)
TAB_KEY, MEASURE_KEY, PERIOD_KEY, PRODUCT_KEY = "tab", "measure", "period", "product"
VENDOR_KEY, VENDOR_PERIOD_KEY, PARTY_KEY, SERIES_KEY = (
    "vendor",
    "vendor_period",
    "party",
    "flows",
)
VIEW_KEYS = frozenset(
    {TAB_KEY, MEASURE_KEY, PERIOD_KEY, PRODUCT_KEY, VENDOR_KEY, VENDOR_PERIOD_KEY, PARTY_KEY}
    | {SERIES_KEY}
)
# session-state keys besides the widgets
REF_KEY = "scenario"  # the scenario picker (written to the address by hand: its id)
CUSTOM_KEY, EXTRA_KEY, TABLES_KEY, TABLE_VALUES_KEY = (
    "custom_reference",
    "extra_overrides",
    "allowance_bases",
    "allowance_values",
)
GENERATION_KEY, SHOWN_KEY, UNBOUND_KEY, WRITTEN_KEY = (
    "table_generation",
    "link_shown",
    "unbound_once",
    "address_written",
)
NOTICE_KEY, NOTICE_SIGNATURE_KEY, BOOT_KEY, CHECK_KEY, VIEW_CHECK_KEY = (
    "notices",
    "notice_signature",
    "booted",
    "link_check",
    "view_check",
)


# ---------------------------------------------------------------- the reference


def reference(cat: Catalog) -> Reference:
    """The selected reference (the base if the selection is unknown)."""
    ref_id = st.session_state.get(REF_KEY, BASE_ID)
    if ref_id == CUSTOM_ID and CUSTOM_KEY in st.session_state:
        return st.session_state[CUSTOM_KEY]
    return cat.get(ref_id) or cat.base


def reference_ids(cat: Catalog) -> list[str]:
    """The picker's options: the base, the shipped scenarios, custom once uploaded."""
    return cat.ids + ([CUSTOM_ID] if CUSTOM_KEY in st.session_state else [])


# ---------------------------------------------------------------- setting the levers


def generation() -> int:
    """Bumped whenever the tables restart from new data (their widget keys carry it)."""
    return int(st.session_state.get(GENERATION_KEY, 0))


def set_overrides(ref: Reference, overrides: Mapping[str, Any]) -> None:
    """Show ``ref + overrides``: every lever set (its default where not overridden), the
    allowance tables restarted, the rest kept as extras. Call from a callback (before
    the widgets are drawn)."""
    levers = lever_map(ref.assumptions)
    for path, b in levers.items():
        value = overrides[path] if path in overrides else value_at(ref.assumptions, path)
        st.session_state[path] = to_widget(b, value)
    tables, extra = {}, {}
    for path, value in overrides.items():
        pid = links.allocation_product(path)
        if pid is not None:
            tables[pid] = value
        elif path not in levers:
            extra[path] = value
    st.session_state[TABLES_KEY] = tables
    st.session_state[EXTRA_KEY] = extra
    st.session_state[GENERATION_KEY] = generation() + 1
    st.session_state.pop(TABLE_VALUES_KEY, None)


def reset(ref: Reference) -> None:
    """Every lever back to the reference's value."""
    set_overrides(ref, {})


# ---------------------------------------------------------------- overrides


def _lever_overrides(ref: Reference, link: Mapping[str, Any]) -> dict[str, Any]:
    """The levers that differ from the reference: each widget's value in session state,
    else the value the link gives it (model units)."""
    a = ref.assumptions
    held = st.session_state.to_dict()  # one read of the session state, not one per lever
    out: dict[str, Any] = {}
    for b in bound_levers(a):
        before = value_at(a, b.path)
        if b.path in held:
            value = from_widget(b, held[b.path], before)
        elif b.path in link:
            value = link[b.path]
        else:
            continue
        if not equivalent(b, value, before):
            out[b.path] = value
    return out


def _table_overrides(ref: Reference) -> dict[str, Any]:
    """The allowance tables that differ from the reference's, as overrides: as the
    sidebar last read them, or on a session's first run as the link gives them."""
    tables = st.session_state.get(TABLE_VALUES_KEY)
    if tables is None:
        a = ref.assumptions
        ids = {p.id for p in a.products}
        tables = {
            pid: batches
            for pid, batches in (st.session_state.get(TABLES_KEY) or {}).items()
            if pid in ids
            and not allowances.same_batches(batches, allowances.batches_of(a.product(pid)))
        }
    return {f"products.{pid}.{links.ALLOCATIONS}": batches for pid, batches in tables.items()}


def overrides(ref: Reference) -> dict[str, Any]:
    """The what-if's overrides on the reference: changed levers, changed allowance
    tables, then the overrides without a widget (after the sidebar is drawn)."""
    out = _lever_overrides(ref, {})
    out.update(_table_overrides(ref))
    out.update(st.session_state.get(EXTRA_KEY) or {})
    return out


def early_overrides(ref: Reference) -> dict[str, Any]:
    """The what-if's overrides before the sidebar is drawn, so the headline figures come
    first: the levers' values in session state or, on a session's first run, in the
    link. :func:`overrides` gives the last word once the widgets are drawn."""
    out = _lever_overrides(ref, st.session_state.get(SHOWN_KEY) or {})
    out.update(_table_overrides(ref))
    out.update(st.session_state.get(EXTRA_KEY) or {})
    return out


def whatif(ref: Reference, current: Mapping[str, Any]) -> tuple[dict[str, Any], Assumptions]:
    """The what-if's raw mapping and validated assumptions (InputError if invalid);
    the validation is shared by every session (see :mod:`webapp.compute`)."""
    raw, problems = apply_overrides(ref.raw, current, "what-if")
    if problems:
        raise InputError(problems)
    return raw, compute.assumptions(cache_key(raw))


# ---------------------------------------------------------------- the link


def _address() -> dict[str, str]:
    """The page address's parameters, without Streamlit's own."""
    return {k: v for k, v in st.query_params.to_dict().items() if k not in links.STREAMLIT_PARAMS}


def _forget(keys: set[str]) -> None:
    """Remove keys from the address (only ever keys no widget is bound to yet)."""
    for k in keys:
        if k in st.query_params:
            del st.query_params[k]


def boot(cat: Catalog) -> None:
    """On a session's first run, read the link: the scenario, what each widget will read
    itself (with room made in its range), what the app sets for it, and what is ignored."""
    if st.session_state.get(BOOT_KEY):
        st.session_state.pop(UNBOUND_KEY, None)
        return
    st.session_state[BOOT_KEY] = True
    texts = _address()
    got = links.read(cat, texts, VIEW_KEYS)
    st.session_state[REF_KEY] = got.ref_id
    # widgets must make room for the values they read (ranges, month options)
    st.session_state[SHOWN_KEY] = {**got.levers, **got.translate}
    # the values a widget must not read from the address: drawn unbound this run only
    st.session_state[UNBOUND_KEY] = got.reject | set(got.translate)
    ref = cat.get(got.ref_id) or cat.base
    levers = lever_map(ref.assumptions)
    for path, value in got.translate.items():
        st.session_state[path] = to_widget(levers[path], value)
    _forget(got.reject | got.drop)
    st.session_state[TABLES_KEY] = dict(got.tables)
    st.session_state[EXTRA_KEY] = dict(got.extras)
    st.session_state[CHECK_KEY] = {k: texts[k] for k in got.levers}
    st.session_state[VIEW_CHECK_KEY] = {k: texts[k] for k in VIEW_KEYS - {SERIES_KEY} if k in texts}
    st.session_state[NOTICE_KEY] = list(got.ignored)
    st.session_state[WRITTEN_KEY] = set(got.extras) | {
        f"products.{pid}.{links.ALLOCATIONS}" for pid in got.tables
    }


def drawn_unbound(path: str) -> bool:
    """Whether a lever is drawn without its address binding on this run (the app set
    its value for it, or dropped the address's)."""
    return path in (st.session_state.get(UNBOUND_KEY) or ())


def shown_from_link(path: str) -> list[Any]:
    """Values from the link a widget must have room for."""
    shown = st.session_state.get(SHOWN_KEY) or {}
    return [shown[path]] if path in shown else []


def check_link(ref: Reference) -> None:
    """After the levers are drawn on the first run: any value of the link a widget did
    not take after all is reported as ignored."""
    check = st.session_state.pop(CHECK_KEY, None) or {}
    levers = lever_map(ref.assumptions)
    wanted = st.session_state.get(SHOWN_KEY) or {}
    for path, text in check.items():
        b = levers.get(path)
        if b is None or path not in st.session_state:
            continue
        want = wanted.get(path)
        if not equivalent(b, from_widget(b, st.session_state[path], want), want):
            st.session_state.setdefault(NOTICE_KEY, []).append(
                links.said(path, "the widget could not show it", text)
            )


def shown_view(key: str, label: str) -> None:
    """On the first run, a view widget (tab, measure, period…) reports the label it
    shows; a link that asked for another one is told it was ignored."""
    pending = st.session_state.get(VIEW_CHECK_KEY) or {}
    text = pending.pop(key, None)
    if text is not None and text != label:
        st.session_state.setdefault(NOTICE_KEY, []).append(
            links.said(key, f"not one of its choices (showing {label!r})", text)
        )


def end_view_check() -> None:
    """After the first run's view is drawn: widgets not drawn check nothing later."""
    st.session_state.pop(VIEW_CHECK_KEY, None)


def _scalar_text(value: Any) -> str:
    """A value as link text (structured values as compact JSON)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return format_text(value)


def sync_address(ref_id: str, current: Mapping[str, Any], levers: Mapping[str, Any]) -> None:
    """Write into the page address what no widget writes: the scenario's id, the
    allowance tables and the overrides without a widget; remove what this module wrote
    before and no longer holds."""
    want = {links.SCENARIO_PARAM: ref_id} if ref_id != BASE_ID else {}
    for path, value in current.items():
        if path in levers:
            continue
        if links.allocation_product(path) is not None:
            want[path] = allowances.encode(value)
        else:
            want[path] = _scalar_text(value)
    written: set[str] = st.session_state.get(WRITTEN_KEY) or set()
    have = _address()
    try:
        _forget((written | {links.SCENARIO_PARAM}) - set(want))
        for k, v in want.items():
            if have.get(k) != v:
                st.query_params[k] = v
    except StreamlitAPIException:  # a key a widget is bound to: the widget writes it
        pass
    st.session_state[WRITTEN_KEY] = set(want)


# ---------------------------------------------------------------- notices


def notices(ref_id: str, current: Mapping[str, Any]) -> list[str]:
    """Messages about the link, shown until the what-if changes (then cleared)."""
    signature = json.dumps([ref_id, sorted(current.items())], default=str)
    found = st.session_state.get(NOTICE_KEY) or []
    if not found:
        return []
    if NOTICE_SIGNATURE_KEY not in st.session_state:
        st.session_state[NOTICE_SIGNATURE_KEY] = signature
    if st.session_state[NOTICE_SIGNATURE_KEY] != signature:
        st.session_state[NOTICE_KEY] = []
        return []
    return list(found)
