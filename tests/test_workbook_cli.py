"""``python -m model export``: scenarios, sets, atomic output and input errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.cli import main
from reports import layout as lay

from .conftest import BASE, SCENARIOS, SETS
from .workbook_helpers import V1_BASE, open_book, read_named

#: A shipped scenario outside the expected-value set.
SEED = next(s for s in SCENARIOS if s.stem == "seed_quota")


def test_export_writes_a_workbook_whose_checks_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "base.xlsx"
    assert main(["export", str(BASE), "--xlsx", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    wb = open_book(out, data_only=True)
    assert read_named(open_book(out), wb, "checks_ok") == [True]
    assert lay.SCENARIOS not in wb.sheetnames
    assert wb[lay.COVER]["B4"].value == "base"
    assert lay.RECONCILIATION in wb.sheetnames and lay.VINTAGES in wb.sheetnames


def test_export_options_leave_out_or_ask_for_the_optional_sheets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plain.xlsx"
    args = ["export", str(BASE), "--xlsx", str(out), "--no-reconciliation", "--no-vintages"]
    assert main(args) == 0
    names = open_book(out).sheetnames
    assert lay.RECONCILIATION not in names and lay.VINTAGES not in names
    assert main(["export", str(V1_BASE), "--xlsx", str(out)]) == 0
    names = open_book(out).sheetnames
    assert lay.RECONCILIATION in names and lay.VINTAGES not in names  # not the shipped base
    assert main(["export", str(V1_BASE), "--xlsx", str(out), "--vintages"]) == 0
    assert lay.VINTAGES in open_book(out).sheetnames  # the vintages on that base
    capsys.readouterr()


def test_export_of_a_set_adds_scenarios_with_expected_value(tmp_path: Path) -> None:
    out = tmp_path / "set.xlsx"
    assert (
        main(
            [
                "export",
                str(BASE),
                "--set",
                str(SETS[0]),
                "--scenario",
                str(SEED),
                "--xlsx",
                str(out),
            ]
        )
        == 0
    )
    ws = open_book(out, data_only=True)[lay.SCENARIOS]
    rows = list(ws.iter_rows(values_only=True))
    names = [r[1] for r in rows[5:12]]
    names = [r[1] for r in rows[5:14]]
    assert names[0] == "Expected (latest facts)" and names[-1] == "The press's reading of the quota"
    assert rows[13][3] is None  # the extra scenario has no probability
    ev = next(r for r in rows if r[1] == "Expected value (probability-weighted)")
    assert ev[3] == pytest.approx(1.0)


def test_export_of_repeated_scenarios_has_no_expected_value(tmp_path: Path) -> None:
    out = tmp_path / "two.xlsx"
    assert (
        main(
            [
                "export",
                str(BASE),
                "--scenario",
                str(SCENARIOS[0]),
                "--scenario",
                str(SCENARIOS[1]),
                "--xlsx",
                str(out),
            ]
        )
        == 0
    )
    rows = list(open_book(out, data_only=True)[lay.SCENARIOS].iter_rows(values_only=True))
    assert not any(r[1] == "Expected value (probability-weighted)" for r in rows)


def test_scenario_sources_replace_the_base_sources_they_change(tmp_path: Path) -> None:
    out = tmp_path / "denied.xlsx"
    denied = Path(__file__).parent / "fixtures" / "v1" / "scenarios" / "us_denies.yaml"
    assert main(["export", str(BASE), "--scenario", str(denied), "--xlsx", str(out)]) == 0
    wb = open_book(out)
    ws = wb[lay.INPUTS]
    row = next(r for r in ws.iter_rows() if r[lay.IN_PATH].value == "timeline.us_approval")
    assert row[lay.IN_SOURCE].value.startswith("seed 000 (FT, 4 Feb 2026)")


def test_failures_leave_an_existing_file_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "keep.xlsx"
    out.write_bytes(b"previous")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad\noverrides:\n  policy.share_rate: 2\n")
    assert main(["export", str(BASE), "--scenario", str(bad), "--xlsx", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: policy.share_rate" in err
    assert out.read_bytes() == b"previous"
    assert (
        main(
            [
                "export",
                str(BASE),
                "--scenario",
                str(SCENARIOS[0]),
                "--scenario",
                str(SCENARIOS[0]),
                "--xlsx",
                str(out),
            ]
        )
        == 2
    )
    assert "scenario names must be unique" in capsys.readouterr().err
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "keep.xlsx"]


@pytest.mark.parametrize(
    "target, message",
    [
        ("nowhere/book.xlsx", "does not exist"),
        ("book.xlsm", "must end in .xlsx"),
        (".", "must end in .xlsx"),
    ],
)
def test_output_path_is_refused_before_any_work(
    target: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path / "missing.yaml"), "--xlsx", str(tmp_path / target)]) == 2
    err = capsys.readouterr().err
    assert message in err and "missing.yaml" not in err


def test_mixed_probabilities_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("name: A\nprobability: 0.5\noverrides: {}\n")
    b.write_text("name: B\noverrides: {}\n")
    assert (
        main(
            [
                "export",
                str(BASE),
                "--scenario",
                str(a),
                "--scenario",
                str(b),
                "--xlsx",
                str(tmp_path / "x.xlsx"),
            ]
        )
        == 2
    )
    assert "b.yaml: probability: is missing" in capsys.readouterr().err


def test_product_ids_that_make_colliding_names_are_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "policy.yaml"
    base.write_text(BASE.read_text().replace("- id: h200\n", "- id: policy\n", 1))
    out = tmp_path / "book.xlsx"
    assert main(["export", str(base), "--xlsx", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{base}: defined names collide" in err and "unexpected" not in err
    assert not out.exists()


def test_paths_without_risk_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "book.xlsx"
    assert main(["export", str(BASE), "--xlsx", str(out), "--paths", "500"]) == 2
    assert "only apply with --risk" in capsys.readouterr().err
    assert not out.exists()
