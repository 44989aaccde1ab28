"""The command line's number formats and tables that fit the console.

One format per quantity (money in $ billions with two decimals, shares in per cent,
months as ``Mar 2026``, EPS with three decimals), and tables that are split or wrapped
rather than cut: rendered with rich at 80 and 100 columns, no cell shows an ellipsis
and every figure appears whole.
"""

from __future__ import annotations

import io
import math

import pytest
from rich.console import Console

from model.cli import formats as fmt
from model.cli.tables import Col, chunks, min_width, show, table_width, widths, wrap_dotted

WIDTHS = (80, 100)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5.26e9, "5.26"),
        (19.29e9, "19.29"),
        (1_234.5e9, "1,234.50"),
        (-0.001e9, "0.00"),  # no negative zero
        (-3.456e9, "-3.46"),
        (float("nan"), "n/a"),
        (None, "n/a"),
        (1e300, "1.00e+291"),  # never a 290-digit figure
    ],
    ids=["plain", "two-digits", "thousands", "no-negative-zero", "negative", "nan", "none", "huge"],
)
def test_money_is_billions_with_two_decimals(value: float | None, text: str) -> None:
    assert fmt.money(value) == text


@pytest.mark.parametrize(
    ("fn", "value", "text"),
    [
        (fmt.share, 0.02, "2.0%"),
        (fmt.share, 0.0477526, "4.8%"),
        (fmt.share, 0.3, "30.0%"),
        (fmt.points, 0.0226, "+2.3 pp"),
        (fmt.points, -0.0613, "-6.1 pp"),
        (fmt.factor, 0.687, "×0.69"),
        (fmt.eps, 0.08743, "0.087"),
        (fmt.eps, -0.0001, "0.000"),
        (fmt.units, 924_084.4, "924,084"),
        (fmt.dollars, 27_000, "$27,000"),
        (fmt.months, 3.0, "3"),
        (fmt.months, math.inf, "never"),
        (fmt.p_value, 0.0001, "<0.001"),
        (fmt.p_value, 0.0474, "0.047"),
        (fmt.coefficient, 0.5, "+0.500"),
    ],
)
def test_one_format_per_quantity(fn: object, value: float, text: str) -> None:
    assert fn(value) == text  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("2026-03", "Mar 2026"), ("2027-12", "Dec 2027"), ("never", "never"), (None, "never")],
)
def test_months_read_as_words(text: str | None, shown: str) -> None:
    assert fmt.month(text) == shown


def test_an_input_follows_its_schema_quantity() -> None:
    assert fmt.quantity(0.439307, "share") == "43.9%"
    assert fmt.quantity(7236.07, "count") == "7,236"
    assert fmt.quantity(27000, "money") == "$27,000"
    assert fmt.quantity(1.5, "number") == "1.50"
    assert fmt.shift(-1000, "money") == "-$1,000"
    assert fmt.shift(0.0226, "share") == "+2.3 pp"


# ---------------------------------------------------------------- tables


SCENARIOS = [
    "Expected (latest facts)",
    "Status quo rationing",
    "Next China batch 6 months later",
    "China opens to all cleared buyers",
    "Full opening up to the US ceiling",
    "China blocks again",
    "Licence revoked by Congress",
    "Levy struck down",
    "A twelve-scenario comparison to stress the layout",
    "Another",
    "And another one",
    "expected value",
]
PARTIES = ["China gross revenue", "Vendor retained", "US government", "Suppliers"]


def wide_grid() -> tuple[Col, list[Col]]:
    """Parties × twelve scenarios, with figures up to $1,234.57 billion."""
    stub = Col("party", PARTIES, "left")
    cols = [
        Col(name, [fmt.money((i + 1) * (j + 1) * 102.88e9) for j in range(len(PARTIES))])
        for i, name in enumerate(SCENARIOS)
    ]
    return stub, cols


def rendered(width: int, stub: Col, cols: list[Col]) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    show(console, "A wide table", stub, cols, "a caption")
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_wide_table_is_split_not_cut(width: int) -> None:
    stub, cols = wide_grid()
    text = rendered(width, stub, cols)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for col in cols:
        for cell in col.cells:
            assert f" {cell} " in text, f"{cell} cut at {width} columns"
    assert "A wide table (continued)" in text and text.count("a caption") == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_every_part_fits_at_its_narrowest(width: int) -> None:
    stub, cols = wide_grid()
    parts = chunks(stub, cols, width)
    assert [c for part in parts for c in part] == cols
    for part in parts:
        assert table_width([min_width(stub), *(min_width(c) for c in part)]) <= width
        sizes = widths([stub, *part], width)
        assert table_width(sizes) <= width
        assert all(s >= min_width(c) for s, c in zip(sizes, [stub, *part], strict=True))


def test_parts_are_balanced_and_groups_kept_together() -> None:
    cells = ["1.00"] * 3
    cols = [Col(f"column {i}", cells) for i in range(8)]
    sizes = [len(p) for p in chunks(Col("x", ["a", "b", "c"]), cols, 60)]
    assert max(sizes) - min(sizes) <= 1
    grouped = [Col("low", cells, group="in"), Col("high", cells, group="in")]
    grouped += [Col(h, cells, group="out") for h in ("at low", "at high", "swing")]
    parts = chunks(Col("input", ["policy.share_rate_20"] * 3), grouped, 46)
    assert [[c.header for c in p] for p in parts] == [
        ["low", "high"],
        ["at low", "at high", "swing"],
    ]


def test_a_table_that_fits_is_one_table() -> None:
    stub = Col("party", PARTIES, "left")
    cols = [Col("base.yaml", ["1.00"] * len(PARTIES))]
    assert len(chunks(stub, cols, 80)) == 1


def test_dotted_paths_wrap_after_their_dots() -> None:
    path = "products.h200.china_allocations.units_per_buyer"
    assert wrap_dotted(path, 40) == "products.h200.china_allocations.\nunits_per_buyer"
    assert wrap_dotted(path, 20) == "products.h200.\nchina_allocations.\nunits_per_buyer"
    assert wrap_dotted("policy.share_rate", 40) == "policy.share_rate"
