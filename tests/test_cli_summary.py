"""``summary`` for model v2: what it prints, in which words, and its golden text.

The golden file is ``tests/golden/cli/summary_expected_value_80.txt`` (see
:mod:`tests.golden_cli` for how to regenerate it on purpose).
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model.cli import build_parser
from tests.conftest import BASE, ROOT
from tests.golden_cli import SUMMARY, UPDATE_HINT, normalise, render_summary, run_cli

SET = ROOT / "assumptions" / "sets" / "expected_value.yaml"
RISK = ROOT / "assumptions" / "risk.yaml"
SCENARIOS = ROOT / "assumptions" / "scenarios"


def summary(*args: str) -> tuple[str, str]:
    code, out, err = run_cli(["summary", str(BASE), *args, "--width", "100"])
    assert code == 0, err
    return normalise(out), err


def test_golden_summary_of_the_shipped_set_at_80_columns() -> None:
    assert SUMMARY.is_file(), f"{SUMMARY} missing: {UPDATE_HINT}"
    golden = SUMMARY.read_text(encoding="utf-8")
    now = render_summary()
    if now != golden:
        diff = "\n".join(
            list(difflib.unified_diff(golden.splitlines(), now.splitlines(), "golden", "now"))[:40]
        )
        pytest.fail(f"summary output changed:\n{diff}\n{UPDATE_HINT}")


def test_the_golden_text_fits_80_columns_and_cuts_nothing() -> None:
    lines = SUMMARY.read_text(encoding="utf-8").splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines)


def test_cost_of_delay_is_titled_for_its_reference() -> None:
    out, _ = summary("--set", str(SET))
    assert "Cost of delay vs licensed when demand began (Mar 2026, demand.reference_start)" in (
        " ".join(out.split())
    )
    assert "approved now" not in out
    # the shipped products' delays differ: the all-products delay says so
    assert "varies" in out and "never" in out
    assert "Cost per month of delay" in out
    assert "Cost of the next month" in out and "after Oct 2026" in out


def test_per_month_cost_is_n_a_where_there_is_no_delay() -> None:
    out, _ = summary("--product", "h20")  # licensed when demand began: no delay
    grid = out[out.index("Cost per month of delay") :]
    rows = [line for line in grid.splitlines() if line.startswith("│ China gross revenue")]
    assert rows and rows[0].split("│")[2].strip() == "n/a"


def test_vendors_by_their_own_fiscal_year_with_partial_years_flagged() -> None:
    out, _ = summary()
    vendors = out[out.index("Vendors by their own fiscal year") :]
    assert "FY2026" in vendors and "1, partial" in vendors  # Nvidia's January year end
    assert "11, partial" in vendors
    assert "EPS effect" in vendors and "profit after tax" in vendors
    assert "January (Nvidia) and December (AMD, Intel)" in " ".join(vendors.split())
    eps = [c.strip() for line in vendors.splitlines() for c in line.split("│")[-2:-1]]
    assert any(re.fullmatch(r"\d\.\d{3}", c) for c in eps), "EPS with three decimals"


def test_a_set_shows_its_expected_value_and_what_it_assumes() -> None:
    out, _ = summary("--set", str(SET))
    flat = " ".join(out.split())
    assert "Which expected value?" in out
    assert "a handful of named states of the world (8 scenarios) with judged weights" in flat
    assert "Monte Carlo" not in out
    # the cost of delay and of the next month carry the set's expected value too
    for title, after in (
        ("Cost of delay vs", "Cost per month of delay"),
        ("Cost of the next month", "Vendors by"),
    ):
        part = out[out.index(title) : out.index(after)]
        assert "expected value" in " ".join(part.split())
    assert "probability" in out and "30.0%" in out


def test_risk_adds_the_monte_carlo_mean_beside_the_set() -> None:
    out, err = summary("--set", str(SET), "--risk", str(RISK), "--paths", "400")
    flat = " ".join(out.split())
    assert "Monte Carlo (risk.yaml" in flat and "400 paths, seed 1" in flat
    assert "the risk file's distributions drawn around base.yaml" in flat
    header = out[out.index("Expected value over the horizon") :]
    assert "set total" in header and "Monte Carlo" in header and "± s.e." in header
    assert "Traceback" not in err


def test_risk_options_default_to_20000_paths_and_seed_1() -> None:
    args = build_parser().parse_args(["summary", str(BASE)])
    assert args.paths == 20_000 and args.seed == 1 and args.risk is None


def test_bad_risk_options_are_messages(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["summary", str(BASE), "--risk", str(RISK), "--paths", "0"])
    assert code == 2 and "--paths" in err and "Traceback" not in err


def test_warnings_go_to_standard_error_before_the_tables() -> None:
    done = subprocess.run(
        [sys.executable, "-u", "-m", "model", "summary", str(BASE), "--width", "80"],
        capture_output=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        check=True,
    )
    text = done.stdout
    assert text.index("warning: products.gaudi3_china") < text.index("Summary of")
    assert "licence policy" in text


def test_plausibility_warnings_are_printed(tmp_path: Path) -> None:
    raw = BASE.read_text(encoding="utf-8").replace("asp_usd: 27000", "asp_usd: 2700000", 1)
    case = tmp_path / "typo.yaml"
    case.write_text(raw, encoding="utf-8")
    code, _, err = run_cli(["summary", str(case), "--width", "80"])
    assert code == 0
    assert "warning: products.h200.asp_usd" in err


def test_a_warning_for_some_scenarios_names_them(tmp_path: Path) -> None:
    sc = tmp_path / "pricey.yaml"
    sc.write_text(
        "name: Pricey\ndescription: a typo\noverrides:\n  products.h200.asp_usd: 2700000\n",
        encoding="utf-8",
    )
    code, _, err = run_cli(
        [
            "summary",
            str(BASE),
            "--scenario",
            str(sc),
            "--scenario",
            str(SCENARIOS / "seed_quota.yaml"),
        ]
    )
    assert code == 0
    line = next(x for x in err.splitlines() if "asp_usd" in x)
    assert line.endswith("(in Pricey)")


def test_headers_name_the_assumptions_file_itself(tmp_path: Path) -> None:
    mine = tmp_path / "my_case.yaml"
    shutil.copy(BASE, mine)
    out, _ = summary_of(mine)
    assert "my_case.yaml" in out and not re.search(r"\bbase\b", out)


def summary_of(path: Path) -> tuple[str, str]:
    code, out, err = run_cli(["summary", str(path), "--width", "100"])
    assert code == 0, err
    return out, err


def test_a_name_is_printed_as_text_not_markup(tmp_path: Path) -> None:
    sc = tmp_path / "odd.yaml"
    sc.write_text(
        'name: "[bold]Odd [/] name"\ndescription: markup\noverrides:\n'
        "  timeline.us_approval: 2026-04\n",
        encoding="utf-8",
    )
    code, out, err = run_cli(["summary", str(BASE), "--scenario", str(sc), "--width", "80"])
    assert code == 0, err
    assert "[bold]Odd [/] name" in out
