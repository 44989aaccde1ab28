"""Every command's tables fit 80 and 100 columns: split or wrapped, never cut.

Each command runs in this process with ``--width``; no line may be wider than the
console and no cell may end in an ellipsis (a value column shows "…" rather than a
number split in two, so its absence means every figure is whole). Headers name the
assumptions file itself, never "base" for any file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import BASE, ROOT
from tests.golden_cli import run_cli

SET = ROOT / "assumptions" / "sets" / "expected_value.yaml"
RISK = ROOT / "assumptions" / "risk.yaml"
SCENARIOS = ROOT / "assumptions" / "scenarios"

COMMANDS = {
    "summary-set": ["summary", str(BASE), "--set", str(SET)],
    "summary-set-risk": [
        "summary", str(BASE), "--set", str(SET), "--risk", str(RISK), "--paths", "300",
    ],
    "summary-scenarios-product": [
        "summary", str(BASE), "--scenario", str(SCENARIOS / "china_blocks_again.yaml"),
        "--scenario", str(SCENARIOS / "licence_revoked.yaml"), "--product", "h200",
    ],
    "simulate": ["simulate", str(BASE), "--risk", str(RISK), "--paths", "300", "--quiet"],
    "tornado": ["tornado", str(BASE), "--risk", str(RISK), "--output", "us_government"],
    "tornado-regression": [
        "tornado", str(BASE), "--risk", str(RISK), "--regression", "--paths", "300", "--quiet",
    ],
    "reconcile": ["reconcile", str(BASE)],
    "vintages": ["vintages"],
    "forecast": ["forecast", str(BASE)],
}  # fmt: skip


@pytest.fixture(scope="module")
def printed() -> dict[tuple[str, int], str]:
    """Each command's standard output at each width (run once per module)."""
    out = {}
    for name, argv in COMMANDS.items():
        for width in (80, 100):
            code, text, err = run_cli([*argv, "--width", str(width)])
            assert code == 0, f"{name} at {width}: {err}"
            out[name, width] = text
    return out


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_cell_is_cut(printed: dict[tuple[str, int], str], name: str, width: int) -> None:
    text = printed[name, width]
    assert text.strip(), f"{name} printed nothing"
    cut = [line for line in text.splitlines() if "…" in line]
    assert not cut, f"{name} at {width} columns cuts cells: {cut[:3]}"
    wide = [line for line in text.splitlines() if len(line.rstrip()) > width]
    assert not wide, f"{name} at {width} columns is wider than the console: {wide[:2]}"


def test_tornado_bounds_share_one_format(printed: dict[tuple[str, int], str]) -> None:
    text = printed["tornado", 100]
    assert "0.0477526" not in text and "0.02 " not in text
    row = next(line for line in text.splitlines() if "erosion_per_month" in line)
    assert re.search(r"\b2\.0%.*\b4\.8%", row), row


@pytest.mark.parametrize("command", ["simulate", "tornado", "summary", "forecast", "reconcile"])
def test_headers_name_the_file_not_base(tmp_path: Path, command: str) -> None:
    mine = tmp_path / "my_case.yaml"
    shutil.copy(BASE, mine)
    argv = {
        "simulate": ["simulate", str(mine), "--risk", str(RISK), "--paths", "200", "--quiet"],
        "tornado": ["tornado", str(mine), "--risk", str(RISK)],
        "summary": ["summary", str(mine)],
        "forecast": ["forecast", str(mine)],
        "reconcile": ["reconcile", str(mine)],
    }[command]
    code, text, err = run_cli([*argv, "--width", "100"])
    assert code == 0, err
    assert "my_case.yaml" in text
    assert not re.search(r"\bbase\b", text), "a file called 'base' in a header"
