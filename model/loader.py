"""Reading assumption, scenario and scenario-set files (docs/methodology.md §4).

Every problem is collected, not just the first, and each one names the file,
the dotted path (products by id), the value and the rule broken.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

from .calendar import month_index, month_label
from .dotted import DottedPath, parse_path
from .gate import InputError, Problem, read_yaml
from .schema import SECTIONS, Assumptions, Product, Vendor

PROBABILITY_TOLERANCE = 1e-9


# ---------------------------------------------------------------- scenarios

#: A probability: a number from 0 to 1, never text or true/false.
Probability = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]


class Scenario(BaseModel):
    """A named overlay of the base: only what changes, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str
    description: str = ""
    probability: Probability | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    file: str = Field("", exclude=True)


def load_scenario(path: str | Path) -> Scenario:
    raw = read_yaml(path)
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_problems(exc, str(path), raw)) from None
    return sc.model_copy(update={"file": str(path)})


def resolve_override(raw: dict[str, Any], text: str) -> tuple[dict[str, Any], str] | str:
    """Container and key that a dotted path addresses in a raw mapping, or the rule it
    breaks (missing containers are created, so an override can add an optional value)."""
    path = parse_path(text)
    if isinstance(path, str):
        return path
    if path.scope == "top":
        return raw, path.key
    if path.scope == "section":
        model = SECTIONS[path.section or ""]
        if path.key not in model.model_fields:
            return f"unknown parameter '{path.key}' in section '{path.section}'"
        section = _child(raw, path.section or "", f"section '{path.section}' of the assumptions")
        return section if isinstance(section, str) else (section, path.key)
    if path.scope == "vendor":
        if path.key not in Vendor.model_fields:
            return (
                f"unknown vendor parameter '{path.key}' (choose {', '.join(Vendor.model_fields)})"
            )
        vendors = _child(raw, "vendors", "vendors of the assumptions")
        if isinstance(vendors, str):
            return vendors
        vendor = _child(vendors, path.vendor or "", f"vendors.{path.vendor}")
        return vendor if isinstance(vendor, str) else (vendor, path.key)
    if path.scope == "pace":
        return (
            f"products.{path.product}.china_allocations is set as a whole list of "
            "{month, units} batches; the pace of future batches belongs in a risk file"
        )
    return _resolve_product(raw, path)


def _child(parent: dict[str, Any], key: str, name: str) -> Any:
    """``parent[key]``, created as a mapping when absent; the rule broken if not a mapping."""
    node = parent.setdefault(key, {})
    if node is None:
        node = parent[key] = {}
    return node if isinstance(node, dict) else f"{name} is not a mapping"


def _resolve_product(raw: dict[str, Any], path: DottedPath) -> tuple[dict[str, Any], str] | str:
    products = raw.get("products") or []
    if not isinstance(products, list):
        return "products of the assumptions is not a list"
    match = [p for p in products if isinstance(p, dict) and p.get("id") == path.product]
    if not match:
        ids = ", ".join(str(p.get("id")) for p in products if isinstance(p, dict))
        return f"unknown product id '{path.product}' (products: {ids})"
    prod = match[0]
    if path.key == "id" or path.key not in Product.model_fields:
        return f"unknown or unchangeable product parameter '{path.key}'"
    if path.sub is None:
        return prod, path.key
    mapping = _child(prod, path.key, f"products.{path.product}.{path.key}")
    if isinstance(mapping, str):
        return mapping
    return mapping, path.sub


def apply_overrides(
    raw: Mapping[str, Any], overrides: Mapping[str, Any], file: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Overlay dotted-path overrides on a raw assumptions mapping (a copy)."""
    out = copy.deepcopy(dict(raw))
    problems = []
    for path, value in overrides.items():
        target = resolve_override(out, str(path))
        if isinstance(target, str):
            problems.append(Problem(file, str(path), target))
        else:
            container, key = target
            container[key] = value
    return out, problems


# ---------------------------------------------------------------- validation


def _dotted(loc: Iterable[Any], raw: Mapping[str, Any]) -> tuple[str, Any, bool]:
    """pydantic location -> dotted path with product ids, plus the offending value."""
    parts: list[str] = []
    node: Any = raw
    found = True
    for item in loc:
        if isinstance(item, int) and parts and parts[-1] == "products":
            try:
                pid = node[item].get("id", item) if isinstance(node[item], dict) else item
            except (IndexError, TypeError, KeyError):
                pid = item
            parts.append(str(pid))
        elif item in ("[key]",):
            continue
        else:
            parts.append(str(item))
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            found = False
    return ".".join(parts), node, found


_RULES = {
    "extra_forbidden": "unknown key (not in the schema)",
    "missing": "required value is missing",
}


def _problems(
    exc: ValidationError, file: str, raw: Mapping[str, Any], origin: Mapping[str, str] | None = None
) -> list[Problem]:
    out = []
    for err in exc.errors():
        path, value, found = _dotted(err["loc"], raw)
        rule = _RULES.get(err["type"], err["msg"].removeprefix("Value error, "))
        where = file
        # A value an override set is the override's fault; so is a cross-field rule
        # (a BOM above the unit cost) on the container an override changed.
        cross_field = err["type"] == "value_error"
        for opath, ofile in (origin or {}).items():
            if (
                path == opath
                or path.startswith(opath + ".")
                or (cross_field and opath.startswith(path + "."))
            ):
                where = ofile
        show = found and err["type"] != "missing" and not isinstance(value, (dict, list))
        out.append(Problem(where, path or "(top level)", rule, value, show))
    return out


@dataclass(frozen=True)
class Loaded:
    """Validated assumptions and where they came from."""

    assumptions: Assumptions
    base_file: str
    scenario: Scenario | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.scenario.name if self.scenario else "base"

    @property
    def warnings(self) -> list[str]:
        """Legal but noteworthy: products outside the January 2026 licence policy."""
        return self.assumptions.licence_policy_warnings()


def validate_raw(
    raw: Mapping[str, Any], file: str, origin: Mapping[str, str] | None = None
) -> Assumptions:
    """Validated assumptions, or an InputError listing every problem: the schema's rules
    first, then the rules across fields (docs/methodology.md §4)."""
    try:
        a = Assumptions.model_validate(dict(raw))
    except ValidationError as exc:
        raise InputError(_problems(exc, file, raw, origin)) from None
    problems = cross_field_problems(a)
    if not problems:
        problems = actuals_within_stock(a)
    if problems:
        raise InputError([_blame(p, file, origin) for p in problems])
    return a


def _blame(p: Problem, file: str, origin: Mapping[str, str] | None) -> Problem:
    """The problem charged to the file that set the value: an override's scenario file when
    an override set it (or the mapping containing it), else the base file."""
    where = file
    for opath, ofile in (origin or {}).items():
        if p.path == opath or p.path.startswith(opath + ".") or opath.startswith(p.path + "."):
            where = ofile
    return Problem(where, p.path, p.rule, p.value, p.has_value)


def cross_field_problems(a: Assumptions) -> list[Problem]:
    """Rules that tie fields together: vendors named by products, actuals inside the
    horizon and at or before ``horizon.as_of``."""
    problems = []
    known = a.vendor_names
    for name in a.vendors:
        if name not in known:
            problems.append(
                Problem(
                    "",
                    f"vendors.{name}",
                    f"unknown vendor: no product has it (products' vendors: {', '.join(known)})",
                )
            )
    start, months, as_of = a.horizon.start, a.horizon.months, a.horizon.as_of
    last = month_label(months - 1, start)
    for p in a.products:
        for month in p.actual_shipments or {}:
            path = f"products.{p.id}.actual_shipments.{month}"
            if as_of is None:
                problems.append(Problem("", path, "a reported actual needs horizon.as_of"))
            elif month_index(month, as_of) > 0:
                problems.append(
                    Problem(
                        "", path, f"a reported actual must be at or before horizon.as_of ({as_of})"
                    )
                )
            if not 0 <= month_index(month, start) < months:
                problems.append(
                    Problem(
                        "",
                        path,
                        f"a reported actual must lie inside the horizon ({start} to {last})",
                    )
                )
    return problems


def actuals_within_stock(a: Assumptions) -> list[Problem]:
    """A reported actual above the stock plus production of its month is invalid
    (docs/methodology.md §2.4); the problem names the product, the month and both numbers."""
    reporting = [p for p in a.products if p.actual_shipments]
    if not reporting:
        return []
    from .engine import Inputs, actual_excess  # the engine is needed only here

    # Products never interact, and a month depends only on the months before it: the
    # products that report actuals, up to the last month reported, give the same
    # excesses as the whole projection (thousands of products check in milliseconds).
    last = max(month_index(m, a.horizon.start) for p in reporting for m in p.actual_shipments or ())
    x = Inputs.from_assumptions([a.model_copy(update={"products": reporting})])
    out = []
    for j, t, reported, available in actual_excess(x.first_months(int(last) + 1)):
        p = reporting[j]
        month = month_label(t, a.horizon.start)
        out.append(
            Problem(
                "",
                f"products.{p.id}.actual_shipments.{month}",
                f"reported shipments of {reported:,.0f} units exceed the stock plus "
                f"production of {month} ({available:,.0f} units)",
            )
        )
    return out


def load(base: str | Path, scenario: str | Path | Scenario | None = None) -> Loaded:
    """Base assumptions with an optional scenario overlay, validated."""
    raw = read_yaml(base)
    sc = scenario if isinstance(scenario, Scenario) or scenario is None else load_scenario(scenario)
    problems: list[Problem] = []
    origin: dict[str, str] = {}
    if sc is not None:
        raw, problems = apply_overrides(raw, sc.overrides, sc.file or sc.name)
        origin = {str(k): sc.file or sc.name for k in sc.overrides}
    try:
        a = validate_raw(raw, str(base), origin)
    except InputError as exc:
        raise InputError(problems + exc.problems) from None
    if problems:
        raise InputError(problems)
    return Loaded(assumptions=a, base_file=str(base), scenario=sc, raw=raw)


# ---------------------------------------------------------------- scenario sets


class SetEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    scenario: str
    probability: Probability


class ScenarioSet(BaseModel):
    """A probability-weighted set of scenarios for expected values."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str = ""
    scenarios: list[SetEntry] = Field(min_length=1)
    sources: dict[str, str] = Field(default_factory=dict)


def check_probabilities(probabilities: Sequence[float], file: str, path: str) -> None:
    total = math.fsum(probabilities)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        raise InputError(
            [Problem(file, path, f"probabilities must sum to 1 (±1e-9); they sum to {total:.12g}")]
        )


def load_set(path: str | Path) -> list[tuple[Scenario, float]]:
    """Scenarios of a set file (paths relative to the set file) with their probabilities."""
    raw = read_yaml(path)
    try:
        s = ScenarioSet.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_problems(exc, str(path), raw)) from None
    check_probabilities([e.probability for e in s.scenarios], str(path), "scenarios")
    here = Path(path).parent
    out, problems = [], []
    for i, e in enumerate(s.scenarios):
        try:
            out.append((load_scenario(here / e.scenario), e.probability))
        except InputError as exc:
            problems += [
                Problem(str(path), f"scenarios.{i}.scenario", str(p)) for p in exc.problems
            ]
    if problems:
        raise InputError(problems)
    return out


def load_many(base: str | Path, scenarios: Sequence[str | Path | Scenario]) -> list[Loaded]:
    """Several scenarios, each on the base; all problems of all files reported together."""
    out, problems = [], []
    for sc in scenarios:
        try:
            out.append(load(base, sc))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return out


def dump_assumptions(a: Assumptions) -> dict[str, Any]:
    """A plain mapping that :func:`validate_raw` reads back to the same assumptions."""
    data = a.model_dump(mode="python")
    if not data.get("sources"):
        data.pop("sources", None)
    return data
