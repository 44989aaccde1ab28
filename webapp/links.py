"""Reading a shared link: which of its values the what-if keeps, and why the rest are
ignored. Pure functions over the catalog, tested without Streamlit.

The page address holds the view (tab, measure, period, product: bound to their
widgets), the scenario (``scenario=<id>``) and every override by dotted path. The
levers' widgets read and write their own values (``bind="query-params"``) and drop
values they cannot show, silently; this module does what they do not: it checks each
value against the schema, ranges and cross-field rules included, and says in words
what was ignored. It also reads the values no widget shows: China's allowance
batches (see :mod:`webapp.allowances`), parameters without a lever and structured
values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from model.dotted import parse_path
from model.gate import InputError, Problem, parse_yaml_text
from model.loader import apply_overrides, validate_raw
from model.schema import param_info, parse_text

from . import allowances
from .catalog import BASE_ID, CUSTOM_ID, Catalog, Reference
from .levers import Bound, equivalent, framework_reads, lever_map, read_link, same, value_at
from .notices import clip

SCENARIO_PARAM = "scenario"
STREAMLIT_PARAMS = frozenset({"embed", "embed_options"})  # Streamlit's own, left alone
LINK = "link"
MAX_VALUES = 200  # values read from one link; the rest are ignored with one message
ALLOCATIONS = allowances.FIELD


@dataclass
class LinkRead:
    """What a link asks for, sorted by who applies it."""

    ref_id: str = BASE_ID
    levers: dict[str, Any] = field(default_factory=dict)  # the widgets read these themselves
    translate: dict[str, Any] = field(default_factory=dict)  # written in words they do not read
    reject: set[str] = field(default_factory=set)  # lever values dropped: widgets must not read
    tables: dict[str, allowances.Batches] = field(default_factory=dict)  # product id -> batches
    extras: dict[str, Any] = field(default_factory=dict)  # overrides without a widget
    drop: set[str] = field(default_factory=set)  # other keys to remove from the address
    ignored: list[str] = field(default_factory=list)  # one message per value ignored


def allocation_product(path: str) -> str | None:
    """The product id of a ``products.<id>.china_allocations`` path, else None."""
    p = parse_path(path)
    if isinstance(p, str) or p.scope != "product" or p.key != ALLOCATIONS:
        return None
    return p.product


def said(path: str, reason: str, text: str | None = None) -> str:
    """One ignored value for people: path, reason and (clipped) what the link said."""
    got = "" if text is None else f" (got {clip(text)!r})"
    return f"{clip(path)}: {clip(reason, 200)}{got}"


# ---------------------------------------------------------------- overrides that validate


def _related(key: str, path: str) -> bool:
    """Whether one dotted path contains the other."""
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
) -> tuple[dict[str, Any], dict[str, str]]:
    """Drop overrides until the what-if validates: (kept, dropped path -> the rule it
    broke, naming the path the rule is about when that is another)."""
    kept = dict(overrides)
    dropped: dict[str, str] = {}
    while True:
        raw, problems = apply_overrides(ref_raw, kept, file)
        if not problems:
            try:
                validate_raw(raw, file)
                return kept, dropped
            except InputError as exc:
                problems = exc.problems
        culprits = [(p, _culprits(kept, p)) for p in problems]
        if not any(keys for _, keys in culprits):  # the reference itself is invalid
            dropped.update({k: "the scenario itself is not valid" for k in kept})
            return {}, dropped
        for problem, keys in culprits:
            for key in keys:
                about = "" if problem.path == key else f"{problem.path}: "
                dropped.setdefault(key, about + problem.rule)
                kept.pop(key, None)


# ---------------------------------------------------------------- one value


def _candidate(levers: Mapping[str, Bound], ref: Reference, path: str, text: str) -> Any:
    """A link's value for ``path``, read the way its widget or the schema reads it.
    KeyError for a path that is no parameter; ValueError says what is wrong."""
    if path in levers:
        return read_link(levers[path], text, ref.assumptions)
    if allocation_product(path) in {p.id for p in ref.assumptions.products}:
        return allowances.decode(text)
    parsed = parse_path(path)
    if isinstance(parsed, str):
        raise KeyError(path)
    info = param_info(path)
    if info is not None:
        if info.kind == "text" and parsed.scope != "product":
            raise ValueError("cannot be changed from a link")
        return parse_text(info, text)
    try:
        return parse_yaml_text(text, LINK)
    except InputError as exc:
        raise ValueError(exc.problems[0].rule) from None


def _candidates(
    levers: Mapping[str, Bound], ref: Reference, texts: Mapping[str, str], out: LinkRead
) -> dict[str, Any]:
    """Every link value read by its widget's or the schema's rules; the rest reported."""
    candidates = {}
    for path, text in texts.items():
        try:
            candidates[path] = _candidate(levers, ref, path, text)
        except KeyError:
            out.ignored.append(said(path, "unknown parameter"))
        except ValueError as exc:
            out.ignored.append(said(path, str(exc), text))
        else:
            continue
        (out.reject if path in levers else out.drop).add(path)
    return candidates


def _sort(
    levers: Mapping[str, Bound], ref: Reference, path: str, value: Any, out: LinkRead
) -> None:
    """Hand a kept value to whoever applies it: its widget, the app, or the tables."""
    a = ref.assumptions
    if path in levers:
        b = levers[path]
        if equivalent(b, value, value_at(a, path)):
            out.reject.add(path)  # the reference's own value: the widget shows it anyway
        else:
            out.translate[path] = value
        return
    pid = allocation_product(path)
    if pid is not None:
        if not allowances.same_batches(value, allowances.batches_of(a.product(pid))):
            out.tables[pid] = value
        else:
            out.drop.add(path)
        return
    try:
        unchanged = same(value, value_at(a, path))
    except KeyError:
        unchanged = False
    if unchanged:
        out.drop.add(path)
    else:
        out.extras[path] = value


def read(cat: Catalog, params: Mapping[str, str], view_keys: Collection[str]) -> LinkRead:
    """Sort a link's parameters (Streamlit's own removed) into what each part applies."""
    out = LinkRead()
    texts = {k: v for k, v in params.items() if k not in view_keys and k != SCENARIO_PARAM}
    ref_id = params.get(SCENARIO_PARAM, BASE_ID)
    if ref_id == CUSTOM_ID:  # its overrides are relative to a file the link cannot carry
        out.ignored.append(
            said(
                SCENARIO_PARAM,
                "the custom assumptions came from an uploaded file, which a link cannot "
                "carry; upload it again (showing the base, without the link's changes)",
            )
        )
        levers = lever_map(cat.base.assumptions)
        out.reject = {k for k in texts if k in levers}
        out.drop = {k for k in texts if k not in levers}
        return out
    if cat.get(ref_id) is None:
        out.ignored.append(said(SCENARIO_PARAM, "unknown scenario (showing the base)", ref_id))
        ref_id = BASE_ID
    out.ref_id = ref_id
    ref = cat.get(ref_id) or cat.base
    levers = lever_map(ref.assumptions)
    if len(texts) > MAX_VALUES:
        excess = list(texts)[MAX_VALUES:]
        out.ignored.append(
            f"{len(excess)} more values: a link holds at most {MAX_VALUES} (first ignored: "
            f"{clip(excess[0])})"
        )
        for k in excess:
            (out.reject if k in levers else out.drop).add(k)
        texts = {k: texts[k] for k in list(texts)[:MAX_VALUES]}
    candidates = _candidates(levers, ref, texts, out)
    kept, dropped = prune(ref.raw, candidates, LINK)
    for path, rule in dropped.items():
        (out.reject if path in levers else out.drop).add(path)
        out.ignored.append(said(path, rule, texts[path]))
    for path, value in kept.items():
        _sort(levers, ref, path, value, out)
    for path, value in list(out.translate.items()):
        if framework_reads(levers[path], texts[path], value, ref.assumptions):
            out.levers[path] = out.translate.pop(path)
    return out
