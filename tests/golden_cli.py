"""The command line's golden text: what ``summary`` prints, at 80 columns.

``tests/golden/cli/summary_expected_value_80.txt`` is the standard output of::

    python -m model summary assumptions/base.yaml \\
        --set assumptions/sets/expected_value.yaml --width 80

(trailing spaces stripped). Regenerate it on purpose with ``python3 dev.py golden``
(every golden file) or ``.venv/bin/python -m tests.golden_cli`` (this one alone),
review ``git diff tests/golden/cli`` and note the change in CHANGELOG.md.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

from model.cli import main as cli
from model.fileio import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_CLI = ROOT / "tests" / "golden" / "cli"
SUMMARY = GOLDEN_CLI / "summary_expected_value_80.txt"
SUMMARY_ARGS = [
    "summary",
    str(ROOT / "assumptions" / "base.yaml"),
    "--set",
    str(ROOT / "assumptions" / "sets" / "expected_value.yaml"),
    "--width",
    "80",
]
UPDATE_HINT = (
    "if this change is deliberate, regenerate with `python3 dev.py golden` (or "
    "`.venv/bin/python -m tests.golden_cli`), review `git diff tests/golden/cli` and "
    "note the change in CHANGELOG.md"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``python -m model`` in this process: exit status, standard output and error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli(argv)
    return code, out.getvalue(), err.getvalue()


def normalise(text: str) -> str:
    """Text as stored: no colour codes, no trailing spaces, one final newline."""
    lines = [_ANSI.sub("", line).rstrip() for line in text.splitlines()]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_summary() -> str:
    """What ``summary`` of the shipped set prints at 80 columns, normalised."""
    code, out, err = run_cli(SUMMARY_ARGS)
    if code != 0:
        raise RuntimeError(f"summary failed ({code}): {err}")
    return normalise(out)


def update() -> dict[Path, int]:
    """Rewrite the golden text where it changed; the number of changed lines per file."""
    GOLDEN_CLI.mkdir(parents=True, exist_ok=True)
    new = render_summary()
    old = SUMMARY.read_text(encoding="utf-8") if SUMMARY.exists() else ""
    changed = sum(a != b for a, b in zip(old.splitlines(), new.splitlines(), strict=False))
    changed += abs(len(old.splitlines()) - len(new.splitlines()))
    if changed:
        atomic_write_text(SUMMARY, new)
    return {SUMMARY: changed}


def main() -> int:
    for path, changed in update().items():
        print(f"{path.relative_to(ROOT)}: {changed} lines changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
