"""The headline figures that docs/risk.md quotes are those of the shipped files.

If this fails after a change to the assumptions or the risk file, paste the table the
failure prints between the "headline figures" markers of docs/risk.md (it is the output
of ``python -m model simulate assumptions/base.yaml --risk assumptions/risk.yaml
--paths 100000 --seed 0``, laid out as a table).
"""

from __future__ import annotations

from datetime import datetime

from model import load, simulate
from model.risk import load_risk
from model.risk.simulate import Simulation

from .conftest import BASE, ROOT

DOCS = ROOT / "docs" / "risk.md"
BEGIN, END = "<!-- headline figures: begin -->", "<!-- headline figures: end -->"
PATHS, SEED = 100_000, 0


def headline_table(sim: Simulation) -> str:
    """The docs' table of headline figures, from a simulation."""
    h = sim.headline()
    after = f" after {_month_name(h['as_of'])}" if h["as_of"] else ""
    rows = [
        (
            "China gross revenue over the horizon, mean (± standard error)",
            f"${h['china_gross_revenue_mean'] / 1e9:.2f}B "
            f"(± ${h['china_gross_revenue_se'] / 1e9:.2f}B)",
        ),
        (
            "China gross revenue over the horizon, P50",
            f"${h['china_gross_revenue_p50'] / 1e9:.2f}B",
        ),
        ("P(no China revenue over the horizon)", f"{h['p_no_china_revenue']:.1%}"),
        (f"P(no China revenue{after})", f"{h['p_no_china_revenue_after_facts']:.1%}"),
    ]
    rows += [
        (f"P(no China revenue{after}): {pid}", f"{p:.1%}")
        for pid, p in h["p_no_china_revenue_after_facts_by_product"].items()
    ]
    lines = [
        f"| shipped files, {PATHS:,} paths, seed {SEED} | value |",
        "| --- | ---: |",
        *(f"| {label} | {value} |" for label, value in rows),
    ]
    return "\n".join(lines)


def _month_name(month: str) -> str:
    """``2026-10`` -> ``Oct 2026``."""
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")


def test_docs_quote_the_shipped_headline_figures() -> None:
    a = load(BASE).assumptions
    sim = simulate(a, load_risk(ROOT / "assumptions" / "risk.yaml", a), PATHS, SEED)
    text = DOCS.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOCS} has lost its headline-figure markers"
    quoted = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = headline_table(sim)
    assert quoted == expected, (
        "docs/risk.md quotes headline figures that the shipped files no longer give; "
        f"if the change is intended, paste this between its markers:\n\n{expected}\n"
    )
