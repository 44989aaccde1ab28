"""Bad input: one clear message per problem naming file, path and rule; exit 2;
nothing written and an existing output left untouched."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from model.cli import main
from model.loader import InputError, load, load_set
from tests.conftest import BASE, ROOT


def write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def base_raw() -> dict:
    return yaml.safe_load(BASE.read_text())


def broken(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    raw = base_raw()
    edit(raw)
    return write(tmp_path / "bad.yaml", raw)


def messages(path: Path, scenario: Path | None = None) -> list[str]:
    with pytest.raises(InputError) as info:
        load(path, scenario)
    return [str(p) for p in info.value.problems]


CASES = {
    "wrong type": (
        lambda r: r["products"][0].update(asp_usd="lots"),
        "products.h200.asp_usd",
        "valid number",
    ),
    "out of range": (
        lambda r: r["policy"].update(share_rate=1.5),
        "policy.share_rate",
        "less than or equal to 1",
    ),
    "negative price": (
        lambda r: r["products"][1].update(asp_usd=-1),
        "products.h20.asp_usd",
        "greater than 0",
    ),
    "unknown key": (lambda r: r["policy"].update(share_rat=0.2), "policy.share_rat", "unknown key"),
    "bad month": (
        lambda r: r["timeline"].update(us_approval="March 2026"),
        "timeline.us_approval",
        "YYYY-MM",
    ),
    "bad choice": (
        lambda r: r["policy"].update(mechanism="bribe"),
        "policy.mechanism",
        "revenue_share",
    ),
    "zero us share": (
        lambda r: r["policy"].update(us_min_share=0),
        "policy.us_min_share",
        "greater than 0",
    ),
    "duplicate ids": (
        lambda r: r["products"][1].update(id="h200"),
        "(top level)",
        "repeated: h200",
    ),
    "bom above cost": (
        lambda r: r["products"][0].update(unit_cost_usd=100),
        "products.h200",
        "must not exceed unit_cost_usd",
    ),
    "integer months": (
        lambda r: r["timeline"].update(test_lag_months=1.5),
        "timeline.test_lag_months",
        "integer",
    ),
    "missing section": (lambda r: r.pop("demand"), "demand", "required"),
    "bad id": (lambda r: r["products"][0].update(id="H-200"), "products.H-200.id", "pattern"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_value_is_named(tmp_path: Path, case: str) -> None:
    edit, path, rule = CASES[case]
    msgs = messages(broken(tmp_path, edit))
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith(f"{tmp_path / 'bad.yaml'}: {path}:"), msgs[0]
    assert rule in msgs[0], msgs[0]


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    def edit(r: dict) -> None:
        r["policy"]["share_rate"] = 2
        r["demand"]["erosion_per_month"] = -1
        r["products"][2]["unit_cost_usd"] = "x"

    msgs = messages(broken(tmp_path, edit))
    assert len(msgs) == 3
    assert {m.split(": ")[1] for m in msgs} == {
        "policy.share_rate",
        "demand.erosion_per_month",
        "products.mi308.unit_cost_usd",
    }


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "horizon:\n  start: [2026-01\n")
    msgs = messages(bad)
    assert len(msgs) == 1 and "malformed YAML at line" in msgs[0]


def test_missing_file(tmp_path: Path) -> None:
    assert messages(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "must be a YAML mapping" in messages(write(tmp_path / "l.yaml", "- 1\n- 2\n"))[0]


def test_scenario_problems_name_the_scenario_file(tmp_path: Path) -> None:
    sc = write(
        tmp_path / "sc.yaml",
        {
            "name": "x",
            "overrides": {
                "policy.share_rate": 3,
                "products.h999.asp_usd": 1,
                "timeline.nope": 1,
                "products.h200.bom_usd_per_unit.hbm": 10_000,
            },
        },
    )
    msgs = messages(BASE, sc)
    assert len(msgs) == 4
    assert all(m.startswith(f"{sc}: ") for m in msgs), msgs
    text = "\n".join(msgs)
    assert "unknown product id 'h999'" in text and "unknown parameter 'nope'" in text
    assert "policy.share_rate" in text and "must not exceed unit_cost_usd" in text


def test_scenario_unknown_top_key(tmp_path: Path) -> None:
    sc = write(tmp_path / "sc.yaml", {"name": "x", "overide": {}})
    msgs = messages(BASE, sc)
    assert msgs == [f"{sc}: overide: unknown key (not in the schema)"]


def test_set_probabilities_must_sum_to_one(tmp_path: Path) -> None:
    sc = ROOT / "tests" / "fixtures" / "v1" / "scenarios"
    s = write(
        tmp_path / "set.yaml",
        {
            "name": "s",
            "scenarios": [
                {"scenario": str(sc / "us_denies.yaml"), "probability": 0.5},
                {"scenario": str(sc / "china_blocks.yaml"), "probability": 0.4},
            ],
        },
    )
    with pytest.raises(InputError, match=r"probabilities must sum to 1.*sum to 0\.9"):
        load_set(s)


# ---------------------------------------------------------------- command line


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "model", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_cli_bad_input_exit_2_and_output_untouched(tmp_path: Path) -> None:
    bad = broken(tmp_path, lambda r: r["policy"].update(share_rate=9))
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    res = run_cli("project", str(bad), "--csv", str(out))
    assert res.returncode == 2
    assert res.stderr.strip() == (
        f"error: {bad}: policy.share_rate: Input should be less than or equal to 1 (got 9)"
    )
    assert "Traceback" not in res.stderr
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "out.csv"]


def test_cli_bad_input_creates_no_file(tmp_path: Path) -> None:
    out = tmp_path / "new.csv"
    assert main(["project", str(tmp_path / "missing.yaml"), "--csv", str(out)]) == 2
    assert not out.exists()


def test_cli_output_folder_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["project", str(BASE), "--csv", str(tmp_path / "no" / "x.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_project_contract(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    res = run_cli(
        "project",
        str(ROOT / "tests/fixtures/v1/base.yaml"),
        "--scenario",
        str(ROOT / "tests/fixtures/v1/scenarios/us_delay_6m.yaml"),
        "--csv",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "month,product,metric,value"
    # 36 months x (16 metrics + 4 suppliers) x 4 products
    assert len(lines) - 1 == 36 * 20 * 4
    plain = re.compile(r"^-?\d+(\.\d+)?$")
    for line in lines[1:]:
        month, _product, _metric, value = line.split(",")
        assert re.match(r"^\d{4}-\d{2}$", month) and plain.match(value), line
    metrics = {ln.split(",")[2] for ln in lines[1:]}
    for required in (
        "china_demand_units",
        "backlog_units",
        "us_shipments_units",
        "quota_room_units",
        "production_units",
        "china_shipments_units",
        "inventory_units",
        "asp_usd",
        "gross_revenue_usd",
        "us_government_usd",
        "china_tariff_usd",
        "test_lab_usd",
        "vendor_retained_usd",
        "vendor_cogs_usd",
        "vendor_gross_profit_usd",
        "supplier_revenue_usd:hbm",
    ):
        assert required in metrics


def test_cli_summary_with_set(tmp_path: Path) -> None:
    res = run_cli(
        "summary", str(BASE), "--set", "assumptions/sets/expected_value.yaml", "--width", "250"
    )
    assert res.returncode == 0, res.stderr
    for text in (
        "Totals over the horizon",
        "Cost of delay",
        "expected value",
        "US government",
        "China blocks again",
    ):
        assert text in res.stdout


def test_cli_summary_bad_set(tmp_path: Path) -> None:
    s = write(
        tmp_path / "set.yaml",
        {"name": "s", "scenarios": [{"scenario": "missing.yaml", "probability": 1.0}]},
    )
    res = run_cli("summary", str(BASE), "--set", str(s))
    assert res.returncode == 2 and "file not found" in res.stderr


def test_cli_validate_reports_every_file(tmp_path: Path) -> None:
    bad1 = broken(tmp_path, lambda r: r["policy"].update(share_rate=9))
    bad2 = write(tmp_path / "bad2.yaml", "a: [")
    res = run_cli("validate", str(BASE), str(bad1), str(bad2))
    assert res.returncode == 2
    assert f"ok: {BASE}" in res.stdout
    assert "policy.share_rate" in res.stderr and "malformed YAML" in res.stderr


def test_cli_validates_shipped_files() -> None:
    files = [
        *sorted((ROOT / "assumptions").glob("*.yaml")),
        *sorted((ROOT / "assumptions").glob("*/*.yaml")),
    ]
    res = run_cli("validate", *map(str, files))
    assert res.returncode == 0, res.stderr
    assert "ok: assumptions/risk.yaml: risk file with" in res.stdout.replace(str(ROOT) + "/", "")


def test_cli_validate_risk_file_problems(tmp_path: Path) -> None:
    risk = write(
        tmp_path / "risk.yaml",
        {
            "name": "r",
            "distributions": {
                "policy.share_rat": {"kind": "uniform", "low": 0.1, "high": 0.2, "source": "x"}
            },
        },
    )
    res = run_cli("validate", str(risk), "--base", str(BASE))
    assert res.returncode == 2 and "policy.share_rat" in res.stderr


def test_cli_project_fiscal_quarter_rollup(tmp_path: Path) -> None:
    out = tmp_path / "q.csv"
    assert main(["project", str(BASE), "--csv", str(out), "--period", "fiscal_quarter"]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["period", "product", "metric", "value"]
    # Nvidia's 36 months from January 2026 span FY2026-Q4 … FY2029-Q4: 13 fiscal quarters
    h200 = frame[frame["product"] == "h200"]
    assert h200["period"].nunique() == 13 and h200["period"].iloc[0] == "FY2026-Q4"


def test_cli_summary_csv(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert (
        main(
            [
                "summary",
                str(BASE),
                "--set",
                "assumptions/sets/expected_value.yaml",
                "--csv",
                str(out),
                "--width",
                "200",
            ]
        )
        == 0
    )
    frame = pd.read_csv(out)
    ev = frame[(frame.scenario == "expected value") & (frame["product"] == "all")]
    assert set(ev["party"]) >= {"us_government", "vendor_retained", "suppliers"}
    never = frame[
        (frame.scenario == "China blocks again")
        & (frame["product"] == "gaudi3_china")
        & (frame.party == "china_gross_revenue")
    ].iloc[0]
    assert never.total_usd == 0 and np.isnan(never.delay_months)
    assert never.cost_of_delay_usd > 0 and np.isnan(never.cost_of_delay_per_month_usd)


def test_override_into_a_malformed_base_is_reported_not_crashed(tmp_path: Path) -> None:
    def edit(r: dict) -> None:
        r["policy"] = 5
        r["products"][0]["bom_usd_per_unit"] = [1, 2]

    bad = broken(tmp_path, edit)
    sc = write(
        tmp_path / "sc.yaml",
        {
            "name": "x",
            "overrides": {"policy.share_rate": 0.2, "products.h200.bom_usd_per_unit.hbm": 1},
        },
    )
    msgs = messages(bad, sc)
    text = "\n".join(msgs)
    assert f"{sc}: policy.share_rate: section 'policy' of the assumptions is not a mapping" in text
    assert "products.h200.bom_usd_per_unit is not a mapping" in text
    assert any(m.startswith(f"{bad}: policy:") for m in msgs)
