"""Regenerate the golden projections on purpose: ``python3 dev.py golden``.

Writes ``tests/golden/<scenario>.csv`` for the base and every shipped scenario,
values rounded to GOLDEN_DECIMALS, and ``tests/golden/summary.csv`` with every
scenario's totals and NPV by party, and prints how many rows changed per file so
the update can be described in CHANGELOG.md. Review with ``git diff tests/golden``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from model.analysis import run
from model.engine import Inputs, project
from model.fileio import atomic_write_text
from model.loader import load
from model.outputs import long_frame

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
BASE = ROOT / "assumptions" / "base.yaml"
SUMMARY = GOLDEN / "summary.csv"
GOLDEN_DECIMALS = 3
UPDATE_HINT = (
    "if this change is deliberate, regenerate with `python3 dev.py golden`, review "
    "`git diff tests/golden` and note the change in CHANGELOG.md"
)


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


def summary_frame() -> pd.DataFrame:
    """Totals and NPV by party for the base and every scenario (stems as names)."""
    loaded = {stem: load(BASE, sc) for stem, sc in cases().items()}
    res = run([lo.assumptions for lo in loaded.values()], list(loaded))
    frame = res.totals.copy()
    for col in ("total_usd", "npv_usd"):
        frame[col] = frame[col].round(GOLDEN_DECIMALS) + 0.0
    return frame


def render(frame: pd.DataFrame) -> str:
    lines = [",".join(frame.columns)]
    lines += [
        ",".join(f"{v:.{GOLDEN_DECIMALS}f}" if isinstance(v, float) else str(v) for v in row)
        for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    targets = {
        GOLDEN / f"{stem}.csv": (lambda sc=sc: projection_frame(sc)) for stem, sc in cases().items()
    }
    targets[SUMMARY] = summary_frame
    for path, make in targets.items():
        new = render(make())
        old = path.read_text() if path.exists() else ""
        changed = sum(a != b for a, b in zip(old.splitlines(), new.splitlines(), strict=False))
        changed += abs(len(old.splitlines()) - len(new.splitlines()))
        if changed:
            atomic_write_text(path, new)
        print(f"{path.relative_to(ROOT)}: {changed} rows changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
