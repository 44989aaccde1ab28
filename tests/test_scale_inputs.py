"""Shortcuts that keep reading thousands of products fast give what the long way gives:
the YAML reader's remembered tags, and the reported-actuals check run on the products
that report actuals, up to their last reported month."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from model.calendar import month_label
from model.engine import Inputs, actual_excess, project
from model.gate import GateLoader, InputError, Problem, parse_yaml_text
from model.loader import actuals_within_stock, cross_field_problems, load
from model.schema import Assumptions
from tests.conftest import BASE, SCENARIOS
from tests.strategies import raw_assumptions, with_actuals

#: The same texts plain, quoted and in other spellings: each must keep its own type.
SCALARS = """
a: [1, '1', "1", 1.0, '1.0', 01, 0x1, 1_000, true, 'true', True, yes, ~, null, 'null', '',
    2026-01-01, '2026-01-01', 2026-01, .inf, '.inf', .nan, -0, '-0', 0o7, 1e3, '1e3']
b: [1, '1', "1", 1.0, '1.0', 01, 0x1, 1_000, true, 'true', True, yes, ~, null, 'null', '',
    2026-01-01, '2026-01-01', 2026-01, .inf, '.inf', .nan, -0, '-0', 0o7, 1e3, '1e3']
"""


def typed(data: Any) -> Any:
    """Values with their types, NaN comparable."""
    if isinstance(data, dict):
        return {k: typed(v) for k, v in data.items()}
    if isinstance(data, list):
        return [typed(v) for v in data]
    return (type(data).__name__, repr(data))


@pytest.mark.parametrize("text", [SCALARS, BASE.read_text(), *(s.read_text() for s in SCENARIOS)])
def test_the_fast_reader_reads_what_the_python_reader_reads(text: str) -> None:
    fast = parse_yaml_text(text, "t.yaml")
    slow = parse_yaml_text(text, "t.yaml", loader=GateLoader)
    assert typed(fast) == typed(slow) == typed(yaml.safe_load(text))


def test_the_first_months_project_as_in_the_whole_horizon() -> None:
    x = Inputs.from_assumptions([load(BASE).assumptions])
    whole, head = project(x), project(x.first_months(7))
    assert head.inputs.months == 7
    for name in ("shipments", "inventory", "production", "backlog", "actual_excess"):
        got = getattr(head.volumes, name)
        assert got.shape[-1] == 7
        np.testing.assert_array_equal(got, getattr(whole.volumes, name)[..., :7])
    np.testing.assert_array_equal(head.money.gross, whole.money.gross[..., :7])


def whole_projection_problems(a: Assumptions) -> list[Problem]:
    """The check as it was first written: every product over the whole horizon."""
    out = []
    for j, t, reported, available in actual_excess(Inputs.from_assumptions([a])):
        month = month_label(t, a.horizon.start)
        out.append(
            Problem(
                "",
                f"products.{a.products[j].id}.actual_shipments.{month}",
                f"reported shipments of {reported:,.0f} units exceed the stock plus "
                f"production of {month} ({available:,.0f} units)",
            )
        )
    return out


@st.composite
def raw_with_large_actuals(draw: st.DrawFn) -> dict[str, Any]:
    """Assumptions whose actuals are often above the stock and production of their month."""
    raw = draw(with_actuals(draw(raw_assumptions())))
    for p in raw["products"]:
        scale = draw(st.sampled_from([1.0, 3.0, 50.0]))
        for month in p.get("actual_shipments") or {}:
            p["actual_shipments"][month] *= scale
    return raw


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_with_large_actuals())
def test_the_actuals_check_finds_what_the_whole_projection_finds(raw: dict[str, Any]) -> None:
    a = Assumptions.model_validate(raw)
    assume(not cross_field_problems(a))
    assert actuals_within_stock(a) == whole_projection_problems(a)


def test_the_actuals_check_names_a_product_after_others_and_its_month() -> None:
    a = load(BASE).assumptions
    last = a.products[-1]
    assert not last.actual_shipments
    reported = {"2026-02": 1e12}
    bad = a.model_copy(
        update={
            "products": [
                *a.products[:-1],
                last.model_copy(update={"actual_shipments": reported}),
            ]
        }
    )
    got = actuals_within_stock(bad)
    assert got == whole_projection_problems(bad)
    assert [p.path for p in got] == [f"products.{last.id}.actual_shipments.2026-02"]


def test_each_reader_of_a_text_gets_its_own_copy() -> None:
    text = "a: &x {b: [1, 2, {c: 3}]}\nd: *x\ne: !!set {p, q}\nf: !!omap [{g: [1]}]\n"
    first = parse_yaml_text(text, "t.yaml")
    second = parse_yaml_text(text, "t.yaml")
    assert first == second == yaml.safe_load(text)
    first["a"]["b"][2]["c"] = 4
    first["d"]["b"].append(5)
    first["e"].add("r")
    first["f"][0][1].append(2)
    assert parse_yaml_text(text, "t.yaml") == second == yaml.safe_load(text)


_DEEP = "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(60)) + "  " * 61 + "x: 1\n"
_ONE_ALIAS_TOO_MANY = "a: &x 1\nb: [" + ", ".join(["*x"] * 101) + "]\n"
_A_MILLION_THROUGH_ALIASES = (
    "a: &x [" + ", ".join(["1"] * 999) + "]\n"
    "b: &y [" + ", ".join(["*x"] * 60) + "]\n"
    "c: {d: [" + ", ".join(["*y"] * 30) + "]}\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_DEEP, "f.yaml: a.k0.k1.…(45 more)….k47.k48: is nested more than 50 levels deep"),
        (
            "a: {b: [1, &x {c: [*x]}]}\n",
            "f.yaml: a.b.1.c.0: an alias refers to a value that contains it (a cycle)",
        ),
        (_ONE_ALIAS_TOO_MANY, "f.yaml: b.100: uses more than 100 aliases (*name)"),
        (_A_MILLION_THROUGH_ALIASES, "f.yaml: c.d.15: holds more than 1,000,000 values"),
        ("a:\n  b:\n    - {c: 1, c: 2}\n", "f.yaml: a.b.0.c: duplicate key 'c' at line 3"),
    ],
    ids=["deep", "cycle", "aliases", "values", "duplicate"],
)
def test_the_tree_check_names_the_dotted_path(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_yaml_text(text, "f.yaml")
    assert str(info.value).startswith(message)
