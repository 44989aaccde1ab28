"""Tables that fit the console: wrapped or split, never cut.

A table is a stub column (the row labels) and value columns. When the value columns do
not fit beside each other at their narrowest (each header wrapped at its words, each
number whole), they are split into several tables, each repeating the stub, with
balanced numbers of columns. Text wraps at spaces (and dotted paths at their dots);
a number never wraps and is never shortened with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: Columns of a rich table (heavy head box, one space of padding each side):
#: ``sum(widths) + 3 * columns + 1``.
PER_COLUMN, PER_TABLE = 3, 1
CONTINUED = " (continued)"


@dataclass(frozen=True)
class Col:
    """A column: header, one text cell per row, and how the cells align."""

    header: str
    cells: Sequence[str]
    justify: Literal["left", "right"] = "right"
    #: Rows after which a rule is drawn (the stub's groups); set on the stub only.
    sections: frozenset[int] = field(default_factory=frozenset)
    #: Columns of one group (e.g. an input's low and high) stay in the same table when a
    #: split can keep them together.
    group: str = ""


def narrowest(text: str) -> int:
    """Width of the longest word: the narrowest a cell can be without cutting a word."""
    return max((len(w) for line in text.splitlines() for w in line.split()), default=0)


def longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def min_width(col: Col) -> int:
    """The narrowest the column can be: its longest header word, and its longest cell
    word for text (left-aligned) or its longest cell for figures (right-aligned: a
    figure such as ``Dec 2025`` or ``≤ 0.89`` stays on one line)."""
    cell = narrowest if col.justify == "left" else longest_line
    return max([narrowest(col.header), *(cell(c) for c in col.cells), 1])


def natural_width(col: Col) -> int:
    """The widest the column needs: its longest header or cell line, unwrapped."""
    return max(longest_line(text) for text in [col.header, *col.cells])


def table_width(widths: Sequence[int]) -> int:
    """Width of a table whose columns have these content widths."""
    return sum(widths) + PER_COLUMN * len(widths) + PER_TABLE


def _pack(units: Sequence[Sequence[Col]], base: int, width: int) -> list[list[Col]]:
    """Greedy packing of runs of columns into tables no wider than ``width``."""
    groups: list[list[Col]] = [[]]
    for unit in units:
        trial = [min_width(c) for c in [*groups[-1], *unit]]
        if groups[-1] and table_width([base, *trial]) > width:
            groups.append(list(unit))
        else:
            groups[-1].extend(unit)
    return groups


def _runs(cols: Sequence[Col]) -> list[list[Col]]:
    """Consecutive columns of the same group together; ungrouped columns alone."""
    runs: list[list[Col]] = []
    for col in cols:
        if runs and col.group and runs[-1][-1].group == col.group:
            runs[-1].append(col)
        else:
            runs.append([col])
    return runs


def chunks(stub: Col, cols: Sequence[Col], width: int) -> list[list[Col]]:
    """The value columns in groups that each fit beside the stub within ``width``.

    Greedy first, to find how many tables are needed; then, when that many tables
    still fit, columns of a group are kept together, or else the columns are dealt out
    evenly (4 + 4 rather than 6 + 2).
    """
    base = min_width(stub)

    def fits(groups: Sequence[Sequence[Col]]) -> bool:
        return all(table_width([base, *(min_width(c) for c in g)]) <= width for g in groups)

    greedy = _pack([[c] for c in cols], base, width)
    grouped = _pack(_runs(cols), base, width)
    if len(grouped) == len(greedy) and fits(grouped) and any(c.group for c in cols):
        return grouped
    size = -(-len(cols) // len(greedy))
    even = [list(cols[i : i + size]) for i in range(0, len(cols), size)]
    return even if len(even) == len(greedy) and fits(even) else greedy


def widths(cols: Sequence[Col], width: int) -> list[int]:
    """Content widths of ``cols`` (stub first) within a table ``width`` wide.

    Each column starts at its natural width; while the table is too wide, the widest
    column that can still shrink loses a character, never going below its narrowest
    (its longest word or number). Rich's own squeeze ignores that floor and would cut.
    """
    out = [natural_width(c) for c in cols]
    floor = [min_width(c) for c in cols]
    excess = table_width(out) - width
    while excess > 0:
        shrinkable = [i for i, w in enumerate(out) if w > floor[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: out[i])
        out[widest] -= 1
        excess -= 1
    return out


def build(stub: Col, cols: Sequence[Col], width: int) -> Table:
    """One rich table at most ``width`` wide: text wraps at words (a stub word longer
    than its column folds); value columns keep numbers whole, or show an ellipsis
    rather than a number split in two, which tests refuse."""
    from rich.table import Table
    from rich.text import Text  # plain text: a name such as "[red]" is not markup

    sizes = widths([stub, *cols], width)
    table = Table()
    table.add_column(Text(stub.header), justify=stub.justify, overflow="fold", width=sizes[0])
    for col, size in zip(cols, sizes[1:], strict=True):
        table.add_column(Text(col.header), justify=col.justify, width=size)
    for i, label in enumerate(stub.cells):
        table.add_row(
            Text(label), *(Text(c.cells[i]) for c in cols), end_section=i in stub.sections
        )
    return table


def fitted(stub: Col, cols: Sequence[Col], width: int) -> list[Table]:
    """The table split into as few tables as fit ``width``, each repeating the stub."""
    return [build(stub, g, width) for g in (chunks(stub, cols, width) if cols else [[]])]


def show(
    console: Console,
    title: str,
    stub: Col,
    cols: Sequence[Col],
    caption: str | None = None,
) -> None:
    """Print the title, the table split to fit the console's width (later parts say
    "continued"), and the caption under the last part. Title and caption are
    paragraphs wrapped at the console's width, not at the table's."""
    tables = fitted(stub, cols, console.width)
    for i, table in enumerate(tables):
        lines(console, title if i == 0 else title + CONTINUED)
        console.print(table)
    if caption:
        lines(console, caption)


def wrap_dotted(path: str, width: int) -> str:
    """A dotted path on lines of at most ``width`` characters, broken after its dots
    (a part longer than ``width`` keeps its own line whole)."""
    out: list[str] = []
    for part in [p + "." for p in path.split(".")[:-1]] + [path.split(".")[-1]]:
        if out and len(out[-1]) + len(part) <= width:
            out[-1] += part
        else:
            out.append(part)
    return "\n".join(out)


def lines(console: Console, text: str) -> None:
    """A paragraph, wrapped at the console's width, without markup or highlighting."""
    console.print(text, markup=False, highlight=False)
