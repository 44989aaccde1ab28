"""Regenerate the golden projections on purpose: ``python3 dev.py golden``.

Writes ``tests/golden/<scenario>.csv`` for the base and every shipped scenario,
values rounded to GOLDEN_DECIMALS, and prints how many rows changed per file so
the update can be described in CHANGELOG.md. Review with ``git diff tests/golden``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from model.engine import Inputs, project
from model.fileio import atomic_write_text
from model.loader import load
from model.outputs import long_frame

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
BASE = ROOT / "assumptions" / "base.yaml"
GOLDEN_DECIMALS = 3
UPDATE_HINT = ("if this change is deliberate, regenerate with `python3 dev.py golden`, review "
               "`git diff tests/golden` and note the change in CHANGELOG.md")


def cases() -> dict[str, Path | None]:
    """Golden file stem -> scenario file (None = the base itself)."""
    out: dict[str, Path | None] = {"base": None}
    out.update({p.stem: p for p in sorted((ROOT / "assumptions" / "scenarios").glob("*.yaml"))})
    return out


def projection_frame(scenario: Path | None) -> pd.DataFrame:
    loaded = load(BASE, scenario)
    frame = long_frame(project(Inputs.from_assumptions([loaded.assumptions])))
    frame["value"] = frame["value"].round(GOLDEN_DECIMALS) + 0.0  # no negative zeros
    return frame


def render(frame: pd.DataFrame) -> str:
    lines = ["month,product,metric,value"]
    lines += [f"{m},{p},{k},{v:.{GOLDEN_DECIMALS}f}"
              for m, p, k, v in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def main() -> int:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stem, scenario in cases().items():
        path = GOLDEN / f"{stem}.csv"
        new = render(projection_frame(scenario))
        old = path.read_text() if path.exists() else ""
        changed = sum(a != b for a, b in zip(old.splitlines(), new.splitlines(), strict=False))
        changed += abs(len(old.splitlines()) - len(new.splitlines()))
        if changed:
            atomic_write_text(path, new)
        print(f"{path.relative_to(ROOT)}: {changed} rows changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
