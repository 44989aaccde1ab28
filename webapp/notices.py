"""Messages for people, kept short: long lists summarised, long values clipped.

A hostile or mistyped link can hold hundreds of values, each thousands of characters
long; the page shows a count, the first few items, each clipped, and how many more.
"""

from __future__ import annotations

from collections.abc import Sequence

from .fmt import escape_md

CLIP = 60  # characters of a value quoted back to the reader
MAX_ITEMS = 20  # items listed before "and N more"


def clip(text: str, limit: int = CLIP) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, on one line."""
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def plural(n: int, noun: str) -> str:
    """``3 values``, ``1 value``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def bullets(items: Sequence[str], limit: int = MAX_ITEMS) -> str:
    """The first ``limit`` items as a Markdown list (escaped), then "and N more"."""
    shown = [f"- {escape_md(i)}" for i in items[:limit]]
    if len(items) > limit:
        shown.append(f"- … and {len(items) - limit} more")
    return "\n".join(shown)


def summary(title: str, items: Sequence[str], limit: int = MAX_ITEMS) -> str:
    """``title`` then the listed items (the caller says how many in the title)."""
    return f"{title}\n\n{bullets(items, limit)}"


def problems_text(title: str, problems: Sequence[object], limit: int = MAX_ITEMS) -> str:
    """Errors summarised: "first 20 problems, and N more", each clipped to a line."""
    items = [clip(str(p), 300) for p in problems]
    head = title if len(items) <= limit else f"{title} (the first {limit} of {len(items)})"
    return summary(head, items, limit)


def headline(ref_name: str, changes: Sequence[str], limit: int = 8) -> str:
    """``What-if on <scenario>: change; change; … and N more changes``."""
    if not changes:
        return f"What-if on **{escape_md(ref_name)}**: no changes yet; move a lever."
    shown = "; ".join(escape_md(clip(c, 120)) for c in changes[:limit])
    more = f"; … and {plural(len(changes) - limit, 'more change')}" if len(changes) > limit else ""
    return f"What-if on **{escape_md(ref_name)}**: {shown}{more}"
