"""The risk file: declared, validated distributions of uncertain assumptions.

A risk file names a distribution for each uncertain input (by the dotted paths of
scenario overrides, docs/methodology.md §4, plus ``products.*.<key>`` for all products at
once) and optional correlations between them. Every problem is collected and
reported with the file, the dotted path, the value and the rule, as for
assumption files::

    name: Latest state of play
    distributions:
      timeline.china_approval:
        kind: triangular          # discrete | uniform | triangular | normal
        low: 2026-12
        mode: 2027-03
        high: 2028-12
        never: 0.30               # months only: probability it never happens
        source: "estimate: ..."
      products.*.china_demand_units_per_month:
        kind: triangular
        apply: scale              # value (default) | scale (x base) | shift (+ base)
        low: 0.5
        mode: 1.0
        high: 1.2
      products.h200.china_allocations.units_per_buyer:   # a batch pace (model.risk.pace)
        kind: triangular
        low: 5000
        mode: 10000
        high: 15000
      products.h200.china_allocations.months_between:
        kind: uniform
        low: 2
        high: 6
    correlations:
      - between: [demand.erosion_per_month, products.*.china_demand_units_per_month]
        rho: -0.3

Months drawn at or before ``horizon.as_of`` are facts rather than risks: they are
reported as warnings (``RiskSpec.warnings``), and refused for a batch pace.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..dotted import ALL_PRODUCTS, parse_path
from ..encoding import DISCRETE_ONLY, MONTH_KINDS, decode, encode, in_range
from ..gate import InputError, Problem, read_yaml
from ..loader import check_probabilities
from ..schema import Assumptions
from ..targets import Target
from ..targets import resolve as resolve_assumption
from . import distributions as dist
from . import pace
from .pace import Pace

Value = float | str | bool | None
KINDS = ("discrete", "uniform", "triangular", "normal")


def _number_or_month(v: Any) -> Any:
    """A bound is a number or a month's text; true/false and non-finite numbers are neither."""
    if isinstance(v, bool):
        raise ValueError("must be a number or a month, not true/false")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


#: A number as written in the file: never text or true/false, never infinite or NaN.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
#: A probability: a number from 0 to 1 (text such as "0.5" and true/false are refused).
Probability = Annotated[float, Field(ge=0, le=1, strict=True, allow_inf_nan=False)]
#: A bound of a uniform or triangular distribution: a number, or a month's text.
Bound = Annotated[float | str, BeforeValidator(_number_or_month)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    apply: Literal["value", "scale", "shift"] = Field(
        "value",
        description="value: the draw is the value; scale: base times the draw; "
        "shift: base plus the draw (numbers only).",
    )
    source: str = Field("", description="Publication, date, URL, or 'estimate: reasoning'.")


class DiscreteDist(_Entry):
    kind: Literal["discrete"]
    values: list[Value] = Field(
        min_length=1, description="Possible values (never allowed for approval and levy months)."
    )
    probabilities: list[Probability] = Field(min_length=1)


class UniformDist(_Entry):
    kind: Literal["uniform"]
    low: Bound
    high: Bound
    never: Probability = Field(0.0, description="Months only: probability of never.")


class TriangularDist(_Entry):
    kind: Literal["triangular"]
    low: Bound
    mode: Bound
    high: Bound
    never: Probability = Field(0.0, description="Months only: probability of never.")


class NormalDist(_Entry):
    kind: Literal["normal"]
    mean: Number
    sd: Number = Field(gt=0)
    low: Number = Field(-math.inf, description="Truncation: no draw below this.")
    high: Number = Field(math.inf, description="Truncation: no draw above this.")


Distribution = Annotated[
    DiscreteDist | UniformDist | TriangularDist | NormalDist, Field(discriminator="kind")
]


class Correlation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    between: tuple[str, str]
    rho: Number = Field(ge=-1, le=1, description="Correlation of the normal scores.")
    source: str = ""


class RiskFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str = ""
    distributions: dict[str, Distribution] = Field(min_length=1)
    correlations: list[Correlation] = Field(default_factory=list)


# ---------------------------------------------------------------- resolved spec


@dataclass(frozen=True)
class Marginal:
    """One uncertain input: where it lands, how it is applied, and its inverse CDF."""

    path: str
    target: Target
    apply: str
    shape: str  # discrete | uniform | triangular | normal
    params: tuple[float, ...]  # uniform (low, high); triangular (low, mode, high);
    #                            normal (mean, sd, low, high); empty for a pmf
    pmf: dist.DiscretePMF | None
    source: str = ""
    component: str = ""  # a batch-pace component (model.risk.pace), else empty

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The draw ``F⁻¹(u)`` in the distribution's own units (before ``apply``)."""
        if self.pmf is not None:
            return self.pmf.ppf(u)
        if self.shape == "uniform":
            return dist.uniform_ppf(u, *self.params)
        if self.shape == "triangular":
            return dist.triangular_ppf(u, *self.params)
        return dist.truncated_normal_ppf(u, *self.params)

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])


@dataclass(frozen=True)
class RiskSpec:
    """A validated risk file resolved against one set of assumptions."""

    name: str
    description: str
    marginals: tuple[Marginal, ...]
    correlation: np.ndarray  # (D, D), the identity when no correlation is given
    file: str = ""
    paces: tuple[Pace, ...] = ()  # China's batch paces, one per product that has one
    warnings: tuple[Problem, ...] = ()  # drawn months that are already facts

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(m.path for m in self.marginals)

    @property
    def factor(self) -> np.ndarray | None:
        """Cholesky factor of the correlation, or None for independent inputs."""
        if np.array_equal(self.correlation, np.eye(len(self.marginals))):
            return None
        return dist.correlation_factor(self.correlation)

    def marginal(self, path: str) -> Marginal:
        return next(m for m in self.marginals if m.path == path)

    @property
    def ordinary(self) -> tuple[int, ...]:
        """Columns of the inputs written straight into the engine (not a batch pace)."""
        return tuple(i for i, m in enumerate(self.marginals) if not m.component)


def resolve(path: str, a: Assumptions) -> Target | str:
    """The :class:`Target` of a risk-file path: a batch-pace component
    (:func:`model.risk.pace.resolve`) or an assumption (:func:`model.targets.resolve`)."""
    if pace.split(path) is not None:
        return pace.resolve(path, a)
    return resolve_assumption(path, a)


# ---------------------------------------------------------------- validation

_KIND_RULE = "kind is required: one of " + ", ".join(KINDS)


def _problems(exc: ValidationError, file: str) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        if len(loc) >= 3 and loc[0] == "distributions" and loc[2] in KINDS:
            del loc[2]  # the discriminator tag is not part of the user's path
        rule = {
            "extra_forbidden": "unknown key (not in the risk-file schema)",
            "missing": "required value is missing",
            "union_tag_not_found": _KIND_RULE,
            "union_tag_invalid": "unknown kind; choose " + ", ".join(KINDS),
        }.get(err["type"], err["msg"].removeprefix("Value error, "))
        show = err["type"] not in ("missing", "union_tag_not_found") and not isinstance(
            err.get("input"), (dict, list)
        )
        out.append(Problem(file, ".".join(loc) or "(top level)", rule, err.get("input"), show))
    return out


def _every_product(path: str) -> bool:
    """Whether a path addresses every product (``products.*.<key>``)."""
    parsed = parse_path(path)
    return not isinstance(parsed, str) and parsed.product == ALL_PRODUCTS


def load_risk(path: str | Path, assumptions: Assumptions) -> RiskSpec:
    """Read, validate and resolve a risk file against the assumptions it perturbs."""
    return validate_risk(read_yaml(path), assumptions, str(path))


def validate_risk(
    raw: Mapping[str, Any], assumptions: Assumptions, file: str = "risk file"
) -> RiskSpec:
    """Check a raw risk mapping; raise :class:`InputError` listing every problem."""
    try:
        model = RiskFile.model_validate(dict(raw))
    except ValidationError as exc:
        raise InputError(_problems(exc, file)) from None
    problems: list[Problem] = []
    marginals = []
    for path, d in model.distributions.items():
        m = _marginal(path, d, assumptions, file, problems)
        if m is not None:
            marginals.append(m)
    _check_overlaps(marginals, file, problems)
    paces = _paces(marginals, assumptions, file, problems)
    corr = _correlation(model, [m.path for m in marginals], file, problems)
    if problems:
        raise InputError(problems)
    return RiskSpec(
        name=model.name,
        description=model.description,
        marginals=tuple(marginals),
        correlation=corr,
        file=file,
        paces=paces,
        warnings=tuple(_past_months(marginals, assumptions, file)),
    )


def _marginal(
    path: str, d: Any, a: Assumptions, file: str, problems: list[Problem]
) -> Marginal | None:
    where = f"distributions.{path}"
    target = resolve(path, a)
    if isinstance(target, str):
        problems.append(Problem(file, where, target))
        return None
    rules = _fit_problems(d, target, a, file, where)
    if rules:
        problems += rules
        return None
    m = _distribution(d, target, a, file, where, problems)
    if m is None:
        return None
    _check_support(m, a, file, where, problems)
    if m.target.field == pace.FIELD:
        m = replace(m, component=m.target.info.key)
        _check_after_facts(m, a, file, where, problems)
    return m


def _fit_problems(d: Any, target: Target, a: Assumptions, file: str, where: str) -> list[Problem]:
    """Whether the entry's apply, kind and never fit the parameter."""
    kind = target.info.kind
    out = []
    if d.apply != "value" and target.field == pace.FIELD:
        out.append(
            Problem(
                file, f"{where}.apply", "a batch-pace component takes apply: value", d.apply, True
            )
        )
    elif d.apply != "value" and kind in (*MONTH_KINDS, "integer", *DISCRETE_ONLY):
        out.append(
            Problem(
                file,
                f"{where}.apply",
                f"must be 'value' for a {kind} parameter (scale and shift are for numbers)",
                d.apply,
                True,
            )
        )
    elif d.apply != "value" and not all(math.isfinite(b) for b in target.base):
        # a null licence cap is +inf: scaled or shifted it stays inf (or becomes NaN at 0)
        unset = [
            a.products[j].id
            for j, b in zip(target.products, target.base, strict=True)
            if not math.isfinite(b)
        ]
        out.append(
            Problem(
                file,
                f"{where}.apply",
                f"scale and shift need a base value, "
                f"but {target.info.key} is null (no limit) for "
                f"{', '.join(unset)}; use apply: value",
                d.apply,
                True,
            )
        )
    if kind in DISCRETE_ONLY and not isinstance(d, DiscreteDist):
        out.append(
            Problem(file, f"{where}.kind", f"a {kind} parameter needs kind discrete", d.kind, True)
        )
    if getattr(d, "never", 0.0) > 0 and kind not in ("month_or_never", "month_or_null"):
        out.append(
            Problem(
                file,
                f"{where}.never",
                "only months that may never come can be never (approvals, licence and "
                "levy ends, the stop of China's batches)",
                d.never,
                True,
            )
        )
    return out


def _distribution(
    d: Any, target: Target, a: Assumptions, file: str, where: str, problems: list[Problem]
) -> Marginal | None:
    """The marginal of an entry whose kind fits its parameter."""
    if isinstance(d, DiscreteDist):
        pmf = _discrete(d, target, a, file, where, problems)
        if pmf is None:
            return None
        return Marginal(target.path, target, d.apply, "discrete", (), pmf, d.source)
    if target.info.kind in (*MONTH_KINDS, "integer"):
        return _integer_range(d, target, a, file, where, problems)
    return _continuous(d, target, file, where, problems)


def _first_month(m: Marginal) -> float:
    """The earliest finite month a month marginal can draw (+inf if only never)."""
    assert m.pmf is not None  # months are always discrete
    finite = m.pmf.values[np.isfinite(m.pmf.values)]
    return float(finite.min()) if len(finite) else math.inf


def _facts_text(a: Assumptions) -> str:
    if a.horizon.as_of is None:
        return f"the horizon start ({a.horizon.start}; horizon.as_of is unset)"
    return f"horizon.as_of ({a.horizon.as_of})"


def _check_after_facts(
    m: Marginal, a: Assumptions, file: str, where: str, problems: list[Problem]
) -> None:
    """A batch pace's months must come after the facts: batches up to them are given."""
    if m.component not in pace.AFTER_FACTS:
        return
    first = _first_month(m)
    if first <= pace.facts_month(a):
        problems.append(
            Problem(
                file,
                where,
                f"draws reach {decode(m.target.info, first, a.horizon.start)}, not after "
                f"{_facts_text(a)}: the batches up to then are the facts in the assumptions",
            )
        )


def _past_months(marginals: list[Marginal], a: Assumptions, file: str) -> list[Problem]:
    """Warnings: dates drawn at or before ``horizon.as_of`` (already facts, not risks)."""
    if a.horizon.as_of is None:
        return []
    out = []
    facts = pace.facts_month(a)
    for m in marginals:
        if (
            m.component
            or m.target.info.kind not in MONTH_KINDS
            or m.path == "demand.reference_start"
        ):
            continue
        first = _first_month(m)
        if first <= facts:
            out.append(
                Problem(
                    file,
                    f"distributions.{m.path}",
                    f"draws reach {decode(m.target.info, first, a.horizon.start)}, not after "
                    f"{_facts_text(a)}: a month already past is a fact, not a risk "
                    "(start the range after it unless the date itself is unknown)",
                )
            )
    return out


def _paces(
    marginals: list[Marginal], a: Assumptions, file: str, problems: list[Problem]
) -> tuple[Pace, ...]:
    """One batch pace per product with pace entries; each needs its required components."""
    parts = [(m.target.products[0], m.component, i) for i, m in enumerate(marginals) if m.component]
    paces = pace.build(a, parts)
    for p, component in pace.missing(paces):
        have = ", ".join(c for c, _ in p.columns)
        problems.append(
            Problem(
                file,
                f"distributions.products.{p.product_id}.{pace.KEY}.{component}",
                f"is required for a batch pace (this file gives {have})",
            )
        )
    return paces


def _discrete(
    d: DiscreteDist, target: Target, a: Assumptions, file: str, where: str, problems: list[Problem]
) -> dist.DiscretePMF | None:
    before = len(problems)
    if len(d.values) != len(d.probabilities):
        problems.append(
            Problem(
                file,
                f"{where}.probabilities",
                f"needs one probability per "
                f"value ({len(d.values)} values, {len(d.probabilities)} "
                "probabilities)",
            )
        )
    try:
        check_probabilities(d.probabilities, file, f"{where}.probabilities")
    except InputError as exc:
        problems += exc.problems
    encoded = []
    for i, v in enumerate(d.values):
        if isinstance(v, float) and not math.isfinite(v):
            problems.append(
                Problem(file, f"{where}.values.{i}", "must be a finite number", v, True)
            )
            continue
        # scale and shift draws are plain numbers in the distribution's own units
        enc = encode(target.info, v, a.horizon.start) if d.apply == "value" else _number(v)
        if isinstance(enc, str):
            problems.append(Problem(file, f"{where}.values.{i}", enc, v, True))
        else:
            encoded.append(enc)
    if len(set(encoded)) < len(encoded):
        problems.append(Problem(file, f"{where}.values", "values must be distinct"))
    if len(problems) > before:
        return None
    return dist.discrete(encoded, d.probabilities)


def _number(v: Any) -> float | str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "must be a number"
    return float(v)


def _integer_range(
    d: Any, target: Target, a: Assumptions, file: str, where: str, problems: list[Problem]
) -> Marginal | None:
    kind = target.info.kind
    if isinstance(d, NormalDist):
        problems.append(
            Problem(
                file,
                f"{where}.kind",
                f"a {kind} parameter takes discrete, uniform or triangular",
                "normal",
                True,
            )
        )
        return None
    names = ("low", "mode", "high") if isinstance(d, TriangularDist) else ("low", "high")
    ends = {}
    for name in names:
        raw = getattr(d, name)
        enc = encode(target.info, raw, a.horizon.start)
        if isinstance(enc, str) or not math.isfinite(enc):
            rule = enc if isinstance(enc, str) else "must be a month (use never: for never)"
            problems.append(Problem(file, f"{where}.{name}", rule, raw, True))
        else:
            ends[name] = enc
    if len(ends) < len(names) or not _ordered(ends, file, where, problems):
        return None
    lo, hi = int(ends["low"]), int(ends["high"])
    pmf = (
        dist.binned_triangular(lo, ends["mode"], hi)
        if "mode" in ends
        else dist.binned_uniform(lo, hi)
    )
    pmf = dist.with_never(pmf, d.never)
    return Marginal(target.path, target, "value", d.kind, (), pmf, d.source)


def _continuous(
    d: Any, target: Target, file: str, where: str, problems: list[Problem]
) -> Marginal | None:
    if isinstance(d, NormalDist):
        if d.low >= d.high:
            problems.append(
                Problem(file, f"{where}.low", f"low must be below high ({d.high:g})", d.low, True)
            )
            return None
        return Marginal(
            target.path, target, d.apply, "normal", (d.mean, d.sd, d.low, d.high), None, d.source
        )
    names = ("low", "mode", "high") if isinstance(d, TriangularDist) else ("low", "high")
    ends = {}
    for name in names:
        raw = getattr(d, name)
        enc = _number(raw)
        if isinstance(enc, str):
            problems.append(Problem(file, f"{where}.{name}", enc, raw, True))
        else:
            ends[name] = enc
    if len(ends) < len(names) or not _ordered(ends, file, where, problems):
        return None
    return Marginal(
        target.path, target, d.apply, d.kind, tuple(ends[n] for n in names), None, d.source
    )


def _ordered(ends: dict[str, float], file: str, where: str, problems: list[Problem]) -> bool:
    lo, hi = ends["low"], ends["high"]
    ok = True
    if lo > hi:
        problems.append(
            Problem(file, f"{where}.low", f"low must not exceed high ({hi:g})", lo, True)
        )
        ok = False
    mode = ends.get("mode")
    if ok and mode is not None and not lo <= mode <= hi:
        problems.append(
            Problem(
                file,
                f"{where}.mode",
                f"mode must lie between low ({lo:g}) and high ({hi:g})",
                mode,
                True,
            )
        )
        ok = False
    return ok


def _support(m: Marginal) -> tuple[float, float]:
    if m.pmf is not None:
        finite = m.pmf.values[np.isfinite(m.pmf.values)]
        return (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    if m.shape == "normal":
        return m.params[2], m.params[3]
    return m.params[0], m.params[-1]


def _check_support(
    m: Marginal, a: Assumptions, file: str, where: str, problems: list[Problem]
) -> None:
    """Every value the draw can take, after ``apply``, must be valid for every product."""
    info = m.target.info
    if info.kind in (*MONTH_KINDS, *DISCRETE_ONLY):
        return
    lo, hi = _support(m)
    ends = m.target.values(np.array([lo, hi]), m.apply)
    ends = ends if ends.ndim == 2 else ends[:, None]
    names = [a.products[j].id for j in m.target.products] or [""]
    for j, name in enumerate(names):
        vlo, vhi = float(min(ends[:, j])), float(max(ends[:, j]))
        for v in (vlo, vhi):
            if math.isinf(v) and info.key == "licence_cap_units":
                continue
            if not in_range(v, info):
                every = _every_product(m.target.path)
                what = f" for product {name}" if name and every else ""
                problems.append(
                    Problem(
                        file,
                        where,
                        f"draws reach {v:g}{what}, outside the "
                        f"valid range {info.range_text()} of {info.key}; "
                        "narrow or truncate the distribution",
                    )
                )
                return
        if info.key == "unit_cost_usd":
            bom = sum(a.products[m.target.products[j]].bom_usd_per_unit.values())
            if vlo < bom - 1e-9:
                problems.append(
                    Problem(
                        file,
                        where,
                        f"draws reach {vlo:g} for product {name}, "
                        f"below its bill of materials ({bom:g} USD)",
                    )
                )
                return


def _check_overlaps(marginals: list[Marginal], file: str, problems: list[Problem]) -> None:
    seen: dict[tuple[str, int], str] = {}
    for m in marginals:
        field = m.path if m.component else m.target.field  # pace components: one slot each
        slots = [(field, j) for j in m.target.products] or [(field, -1)]
        for slot in slots:
            if slot in seen and seen[slot] != m.path:
                problems.append(
                    Problem(
                        file,
                        f"distributions.{m.path}",
                        f"sets the same input as distributions.{seen[slot]}; keep one",
                    )
                )
                break
            seen[slot] = m.path


def _correlation(
    model: RiskFile, paths: list[str], file: str, problems: list[Problem]
) -> np.ndarray:
    n = len(paths)
    corr = np.eye(n)
    pairs: set[frozenset[str]] = set()
    for i, c in enumerate(model.correlations):
        where = f"correlations.{i}"
        a, b = c.between
        unknown = [p for p in (a, b) if p not in model.distributions]
        if unknown:
            problems.append(
                Problem(
                    file, f"{where}.between", "names no distribution in this file", unknown[0], True
                )
            )
            continue
        if a == b:
            problems.append(
                Problem(file, f"{where}.between", "needs two different distributions", a, True)
            )
            continue
        if frozenset((a, b)) in pairs:
            problems.append(Problem(file, f"{where}.between", "this pair is correlated twice"))
            continue
        pairs.add(frozenset((a, b)))
        if a in paths and b in paths:
            i_a, i_b = paths.index(a), paths.index(b)
            corr[i_a, i_b] = corr[i_b, i_a] = c.rho
    if n and not problems:
        smallest = float(np.linalg.eigvalsh(corr).min())
        if smallest <= 1e-10:
            problems.append(
                Problem(
                    file,
                    "correlations",
                    "the correlations are not mutually "
                    "consistent (the matrix is not positive definite; "
                    f"smallest eigenvalue {smallest:.3g}): weaken some of them",
                )
            )
    return corr
