"""Regenerate the golden projections on purpose: ``python3 dev.py golden``.

Each suite is a base file with its scenarios and a folder of golden files:

- ``shipped``: ``assumptions/base.yaml`` and ``assumptions/scenarios/*.yaml``;
- ``vintages``: the base and ``assumptions/vintages/*.yaml``, the facts at key dates;
- ``v1``: the version-1 shipped files, frozen in ``tests/fixtures/v1`` so that every
  version-1 input keeps giving exactly the version-1 projection.

For each suite it writes ``tests/golden/<suite>/<scenario>.csv`` for the base and every
scenario, values rounded to GOLDEN_DECIMALS, and ``summary.csv`` with every scenario's
totals and NPV by party, and prints how many rows changed per file so the update can be
described in CHANGELOG.md. It also rewrites the command line's golden text
(:mod:`tests.golden_cli`). Review with ``git diff tests/golden``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from model.analysis import run
from model.engine import Inputs, project
from model.fileio import atomic_write_text
from model.loader import load
from model.outputs import long_frame
from model.shipped import BASE, SCENARIOS_DIR, VINTAGES_DIR

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SUMMARY_NAME = "summary.csv"
GOLDEN_DECIMALS = 3
UPDATE_HINT = (
    "if this change is deliberate, regenerate with `python3 dev.py golden`, review "
    "`git diff tests/golden` and note the change in CHANGELOG.md"
)


@dataclass(frozen=True)
class Suite:
    """A base file, its scenario folder and the folder of their golden files."""

    name: str
    base: Path
    scenarios: Path

    @property
    def golden(self) -> Path:
        return GOLDEN / self.name

    @property
    def summary(self) -> Path:
        return self.golden / SUMMARY_NAME

    def cases(self) -> dict[str, Path | None]:
        """Golden file stem -> scenario file (None = the base itself)."""
        out: dict[str, Path | None] = {"base": None}
        out.update({p.stem: p for p in sorted(self.scenarios.glob("*.yaml"))})
        return out


SUITES = {
    s.name: s
    for s in (
        Suite("shipped", BASE, SCENARIOS_DIR),
        Suite("vintages", BASE, VINTAGES_DIR),
        Suite(
            "v1",
            ROOT / "tests" / "fixtures" / "v1" / "base.yaml",
            ROOT / "tests" / "fixtures" / "v1" / "scenarios",
        ),
    )
}
SHIPPED = SUITES["shipped"]


def projection_frame(suite: Suite, scenario: Path | None) -> pd.DataFrame:
    loaded = load(suite.base, scenario)
    frame = long_frame(project(Inputs.from_assumptions([loaded.assumptions])))
    frame["value"] = frame["value"].round(GOLDEN_DECIMALS) + 0.0  # no negative zeros
    return frame


def summary_frame(suite: Suite) -> pd.DataFrame:
    """Totals and NPV by party for the base and every scenario (stems as names)."""
    loaded = {stem: load(suite.base, sc) for stem, sc in suite.cases().items()}
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
    targets: dict[Path, Callable[[], pd.DataFrame]] = {}
    for suite in SUITES.values():
        suite.golden.mkdir(parents=True, exist_ok=True)
        for stem, sc in suite.cases().items():
            targets[suite.golden / f"{stem}.csv"] = partial(projection_frame, suite, sc)
        targets[suite.summary] = partial(summary_frame, suite)
    for path, make in targets.items():
        new = render(make())
        old = path.read_text() if path.exists() else ""
        changed = sum(a != b for a, b in zip(old.splitlines(), new.splitlines(), strict=False))
        changed += abs(len(old.splitlines()) - len(new.splitlines()))
        if changed:
            atomic_write_text(path, new)
        print(f"{path.relative_to(ROOT)}: {changed} rows changed")
    from tests.golden_cli import update as update_cli  # what `summary` prints

    for path, changed in update_cli().items():
        print(f"{path.relative_to(ROOT)}: {changed} lines changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
