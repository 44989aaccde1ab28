"""The what-if's state: overrides on a reference, the page URL and session state.

The what-if is ``reference + overrides`` where overrides map dotted paths to
values. The sidebar's widgets hold the lever values (keyed by dotted path, in
display units); overrides that no widget edits (from a link or an uploaded
scenario file) are kept as *extras*. The page URL carries the reference id and
every override, so opening it restores the same what-if; anything invalid in a
link is dropped with a message, never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from model.loader import InputError, Problem, apply_overrides, validate_raw
from model.schema import MONTH_RE, NEVER, Assumptions, ParamInfo, param_info

from .catalog import BASE_ID, CUSTOM_ID, Catalog, Reference
from .levers import bound_levers, from_display, same, to_display, value_at

SCENARIO_PARAM = "scenario"
STREAMLIT_PARAMS = frozenset({"embed", "embed_options"})  # Streamlit's own, left alone
LINK = "link"
# session-state keys besides the lever widgets (which are keyed by dotted path)
REF_KEY, CUSTOM_KEY, EXTRA_KEY, NOTICE_KEY, BOOT_KEY = (
    "scenario",
    "custom_reference",
    "extra_overrides",
    "notices",
    "booted",
)

_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
_NULL = ("null", "none", "")


# ---------------------------------------------------------------- text <-> values


def _month(info: ParamInfo, t: str) -> Any:
    if info.kind != "month" and t.lower() == NEVER:
        return NEVER if info.kind == "month_or_never" else None
    if info.kind == "month_or_null" and t.lower() in _NULL:
        return None
    if not MONTH_RE.match(t):
        alt = {"month": "", "month_or_never": " or 'never'", "month_or_null": " or 'null'"}
        raise ValueError(f"must be a month written YYYY-MM{alt[info.kind]}")
    return t


def _choice(info: ParamInfo, t: str) -> Any:
    if t not in info.choices:
        raise ValueError(f"must be one of {', '.join(info.choices)}")
    return t


def _bool(info: ParamInfo, t: str) -> Any:
    if t.lower() not in _TRUE + _FALSE:
        raise ValueError("must be true or false")
    return t.lower() in _TRUE


def _number(info: ParamInfo, t: str) -> Any:
    if info.optional and t.lower() in _NULL:
        return None
    try:
        number = float(t)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    if info.kind == "integer":
        if not number.is_integer():
            raise ValueError("must be a whole number")
        return int(number)
    return number


_PARSERS = {
    "month": _month,
    "month_or_never": _month,
    "month_or_null": _month,
    "choice": _choice,
    "bool": _bool,
    "integer": _number,
    "number": _number,
}


def parse_text(info: ParamInfo, text: str) -> Any:
    """A URL parameter's text as a value of the parameter's kind; ValueError says why."""
    if info.kind == "text":
        raise ValueError("cannot be changed from a link")
    return _PARSERS[info.kind](info, text.strip())


def encode_value(value: Any) -> str:
    """A value as URL text that :func:`parse_text` reads back exactly."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


# ---------------------------------------------------------------- overrides


def _related(key: str, path: str) -> bool:
    return key == path or key.startswith(path + ".") or path.startswith(key + ".")


def _culprits(overrides: Mapping[str, Any], problem: Problem) -> set[str]:
    """Overrides a validation problem points at (a product-wide rule: cost and BOM first)."""
    hits = {k for k in overrides if _related(k, problem.path)}
    if problem.path.count(".") == 1 and problem.path.startswith("products."):
        narrow = {k for k in hits if k.endswith(".unit_cost_usd") or ".bom_usd_per_unit" in k}
        hits = narrow or hits
    return hits


def prune(
    ref_raw: Mapping[str, Any], overrides: Mapping[str, Any], file: str
) -> tuple[dict[str, Any], list[str]]:
    """Drop overrides until the what-if validates; the messages say what was dropped and why."""
    kept = dict(overrides)
    messages: list[str] = []
    while True:
        raw, problems = apply_overrides(ref_raw, kept, file)
        if not problems:
            try:
                validate_raw(raw, file)
                return kept, messages
            except InputError as exc:
                problems = exc.problems
        bad = set().union(*(_culprits(kept, p) for p in problems))
        messages += [str(p) for p in problems]
        if not bad:  # the reference itself is invalid: nothing to keep
            return {}, messages
        for key in bad:
            kept.pop(key)


def clean_link(ref: Reference, texts: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Parse a link's ``path=value`` pairs and keep those the reference validates with
    (ranges and cross-field rules are the schema's, through :func:`prune`)."""
    candidates: dict[str, Any] = {}
    messages = []
    for path, text in texts.items():
        info = param_info(path)
        if info is None:
            messages.append(f"{LINK}: {path}: unknown parameter")
            continue
        try:
            value = parse_text(info, text)
        except ValueError as exc:
            messages.append(f"{LINK}: {path}: {exc} (got {text!r})")
            continue
        candidates[path] = value
    kept, more = prune(ref.raw, candidates, LINK)  # every kept path exists in ref
    changed = {k: v for k, v in kept.items() if not same(v, value_at(ref.assumptions, k))}
    return changed, messages + more


def whatif_raw(ref: Reference, overrides: Mapping[str, Any]) -> dict[str, Any]:
    raw, problems = apply_overrides(ref.raw, overrides, "what-if")
    if problems:
        raise InputError(problems)
    return raw


def whatif(ref: Reference, overrides: Mapping[str, Any]) -> tuple[dict[str, Any], Assumptions]:
    """The what-if's raw mapping and validated assumptions (InputError if invalid)."""
    raw = whatif_raw(ref, overrides)
    return raw, validate_raw(raw, "what-if")


def url_params(ref_id: str, overrides: Mapping[str, Any]) -> dict[str, str]:
    """The page URL's query parameters for a what-if (empty for the untouched base)."""
    out = {SCENARIO_PARAM: ref_id} if ref_id != BASE_ID else {}
    out.update({k: encode_value(v) for k, v in overrides.items()})
    return out


# ---------------------------------------------------------------- session state


def reference(cat: Catalog) -> Reference:
    """The selected reference (the base if the selection is unknown)."""
    ref_id = st.session_state.get(REF_KEY, BASE_ID)
    if ref_id == CUSTOM_ID and CUSTOM_KEY in st.session_state:
        return st.session_state[CUSTOM_KEY]
    return cat.get(ref_id) or cat.base


def reference_ids(cat: Catalog) -> list[str]:
    return cat.ids + ([CUSTOM_ID] if CUSTOM_KEY in st.session_state else [])


def _is_lever_key(key: str) -> bool:
    return "." in key and key.split(".")[0] in ("policy", "timeline", "demand", "products")


def clear_levers() -> None:
    """Forget every lever value and extra override: widgets start from the reference."""
    for key in [k for k in st.session_state if isinstance(k, str) and _is_lever_key(k)]:
        del st.session_state[key]
    st.session_state[EXTRA_KEY] = {}


def set_overrides(ref: Reference, overrides: Mapping[str, Any]) -> None:
    """Put overrides into the lever widgets (display units) and the extras."""
    clear_levers()
    levers = {b.path: b for b in bound_levers(ref.assumptions)}
    extra = {}
    for path, value in overrides.items():
        if path in levers:
            st.session_state[path] = to_display(levers[path], value)
        else:
            extra[path] = value
    st.session_state[EXTRA_KEY] = extra


def init_levers(ref: Reference) -> None:
    """Give every lever without a value the reference's value (before widgets exist)."""
    for b in bound_levers(ref.assumptions):
        if b.path not in st.session_state:
            st.session_state[b.path] = to_display(b, value_at(ref.assumptions, b.path))


def overrides(ref: Reference) -> dict[str, Any]:
    """The what-if's overrides on the reference: changed levers, then the extras."""
    out: dict[str, Any] = {}
    for b in bound_levers(ref.assumptions):
        ref_value = value_at(ref.assumptions, b.path)
        value = from_display(b, st.session_state[b.path], ref_value)
        if not same(value, ref_value):
            out[b.path] = value
    out.update(st.session_state.get(EXTRA_KEY, {}))
    return out


def boot(cat: Catalog) -> None:
    """On a session's first run, restore the what-if from the page URL."""
    if st.session_state.get(BOOT_KEY):
        return
    st.session_state[BOOT_KEY] = True
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in STREAMLIT_PARAMS}
    ref_id = params.pop(SCENARIO_PARAM, BASE_ID)
    notices = []
    if ref_id == CUSTOM_ID:  # its overrides are relative to a file the link cannot carry
        notices.append(
            f"{LINK}: scenario: the custom assumptions came from an uploaded file, "
            "which a link cannot carry; upload it again (showing the base, without "
            "the link's changes)"
        )
        ref_id, params = BASE_ID, {}
    elif cat.get(ref_id) is None:
        notices.append(f"{LINK}: scenario: unknown scenario {ref_id!r} (showing the base instead)")
        ref_id = BASE_ID
    ref = cat.get(ref_id) or cat.base
    kept, messages = clean_link(ref, params)
    st.session_state[REF_KEY] = ref_id
    set_overrides(ref, kept)
    st.session_state[NOTICE_KEY] = notices + messages


def sync_url(ref_id: str, current: Mapping[str, Any]) -> None:
    """Write the what-if into the page URL when it differs from what is there."""
    want = url_params(ref_id, current)
    have = {k: v for k, v in st.query_params.to_dict().items() if k not in STREAMLIT_PARAMS}
    if have != want:
        st.query_params.from_dict(want)
