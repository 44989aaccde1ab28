"""Sensitivity: the tornado ranks a hand case as derived by hand; ranges come from the
user, the risk file or the schema; the regression recovers hand-derived coefficients."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.cli import main
from model.loader import InputError, load
from model.risk.schema import load_risk, validate_risk
from model.risk.sensitivity import (
    default_parameters,
    parse_range,
    regression_sensitivity,
    swings,
    tornado,
)
from model.risk.simulate import simulate

from .conftest import ASSUMPTIONS, BASE
from .factories import tiny

RISK = ASSUMPTIONS / "risk.yaml"

# The hand case: TINY (6 months, 10 units a month at $100, 25% levy, no lab fee), with
# nothing binding: stock 1,000 >= 6 x 15, monthly quota room 100 >= 15, no cap. Then
# vendor retained  V = H * (D * asp * (1 - r) - fee * D)  with H = 6.
H, D, ASP, R, FEE = 6, 10.0, 100.0, 0.25, 0.0
HAND_RANGES = {
    "policy.share_rate": ("0", "0.5"),
    "products.chip.asp_usd": ("90", "110"),
    "products.chip.china_demand_units_per_month": ("8", "12"),
    "policy.test_fee_usd_per_unit": ("0", "20"),
}


def retained(d: float = D, asp: float = ASP, r: float = R, fee: float = FEE) -> float:
    return H * (d * asp * (1 - r) - fee * d)


def test_tornado_ranks_the_hand_case_as_derived_by_hand() -> None:
    # swings: rate 6*10*100*0.5 = 3000; demand 6*4*75 = 1800; fee 6*10*20 = 1200;
    # price 6*10*20*0.75 = 900
    t = tornado(tiny(), "vendor_retained", "total", ranges=HAND_RANGES)
    assert t.base == pytest.approx(retained())
    assert list(t.table["parameter"]) == [
        "policy.share_rate",
        "products.chip.china_demand_units_per_month",
        "policy.test_fee_usd_per_unit",
        "products.chip.asp_usd",
    ]
    expected = {
        "policy.share_rate": (retained(r=0.0), retained(r=0.5)),
        "products.chip.china_demand_units_per_month": (retained(d=8), retained(d=12)),
        "policy.test_fee_usd_per_unit": (retained(fee=0), retained(fee=20)),
        "products.chip.asp_usd": (retained(asp=90), retained(asp=110)),
    }
    for r in t.table.itertuples():
        lo, hi = expected[r.parameter]
        assert (r.output_low, r.output_high) == (pytest.approx(lo), pytest.approx(hi))
        assert r.swing == pytest.approx(abs(hi - lo))
    assert list(t.table["swing"]) == pytest.approx([3000, 1800, 1200, 900])


def test_tornado_of_one_product_and_npv() -> None:
    a = tiny(discount_rate=0.12)
    t = tornado(
        a, "vendor_retained", "npv", "chip", ranges={"products.chip.asp_usd": ("90", "110")}
    )
    factors = [(1.12) ** (-(m + 1) / 12) for m in range(H)]
    per_month = D * 90 * (1 - R)
    assert t.table["output_low"][0] == pytest.approx(per_month * sum(factors))


def test_tornado_takes_risk_file_quantiles_as_low_and_high() -> None:
    a = load(BASE).assumptions
    spec = load_risk(RISK, a)
    t = tornado(a, "us_government", spec=spec)
    assert set(t.table["parameter"]) == set(spec.paths)
    assert set(t.table["range"]) == {"risk file P10/P90"}
    row = t.table.set_index("parameter").loc["demand.erosion_per_month"]
    m = spec.marginal("demand.erosion_per_month")
    assert row["low"] == f"{m.quantile(0.1):g}" and row["high"] == f"{m.quantile(0.9):g}"
    # the pace of China's batches drives the government's take
    assert t.table["parameter"][0].startswith("products.h200.china_allocations.")


def test_tornado_on_schema_ranges_runs_for_every_default_input() -> None:
    a = load(BASE).assumptions
    params = default_parameters()
    assert "demand.erosion_per_month" in params and "products.*.share_rate" in params
    total = tornado(a, "vendor_gross_profit", "total")
    npv = tornado(a, "vendor_gross_profit", "npv")
    assert set(total.table["range"]) == {"schema range"}
    by_total = total.table.set_index("parameter")["swing"]
    by_npv = npv.table.set_index("parameter")["swing"]
    assert by_total["discount_rate"] == 0 and by_npv["discount_rate"] > 0


def test_user_ranges_in_months_and_choices() -> None:
    a = load(BASE).assumptions
    s = swings(
        a,
        ranges={
            "timeline.china_approval": ("2026-06", "never"),
            "policy.mechanism": ("revenue_share", "import_tariff"),
        },
    )
    assert (s[0].low, s[0].high) == (5.0, math.inf)
    assert (s[1].low, s[1].high) == (0.0, 1.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"parameters": ["policy.levy_ends"]}, "no closed range in the schema"),
        ({"ranges": {"demand.erosion_per_month": ("0.5", "0.1")}}, "low must not exceed high"),
        ({"ranges": {"demand.erosion_per_month": ("0.5", "2")}}, "must be within [0, 1]"),
        ({"ranges": {"demand.erosion_per_month": ("a", "0.1")}}, "is not a number"),
        ({"output": "nobody"}, "unknown party"),
        ({"product": "b200"}, "unknown product"),
        ({"measure": "mean"}, "choose total or npv"),
    ],
    ids=[
        "open-range",
        "low-above-high",
        "outside-schema",
        "not-a-number",
        "bad-output",
        "bad-product",
        "bad-measure",
    ],
)
def test_tornado_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as exc:
        tornado(load(BASE).assumptions, **kwargs)
    assert message in str(exc.value)


def test_parse_range() -> None:
    assert parse_range("policy.share_rate=0.1:0.3") == ("policy.share_rate", ("0.1", "0.3"))
    assert parse_range("timeline.us_approval = 2026-05:never") == (
        "timeline.us_approval",
        ("2026-05", "never"),
    )
    with pytest.raises(InputError, match="PATH=LOW:HIGH"):
        parse_range("policy.share_rate=0.1")


def test_regression_recovers_hand_derived_standardised_coefficients() -> None:
    """V = 6 (1000 (1 - r) - 10 fee) is linear in r ~ U(0, 0.5) and fee ~ U(0, 20):
    standardised coefficients -3000/s and -1200/s with s = sqrt(3000² + 1200²)
    (each slope times its input's range, the common 1/sqrt(12) cancelling); R² = 1."""
    a = tiny()
    spec = validate_risk(
        {
            "name": "linear",
            "distributions": {
                "policy.share_rate": {"kind": "uniform", "low": 0.0, "high": 0.5},
                "policy.test_fee_usd_per_unit": {"kind": "uniform", "low": 0.0, "high": 20.0},
            },
        },
        a,
    )
    sim = simulate(a, spec, 20_000, seed=17)
    reg = regression_sensitivity(sim, "vendor_retained", "total")
    s = math.hypot(3000, 1200)
    coefs = reg.table.set_index("parameter")["std_coef"]
    assert coefs["policy.share_rate"] == pytest.approx(-3000 / s, abs=0.01)
    assert coefs["policy.test_fee_usd_per_unit"] == pytest.approx(-1200 / s, abs=0.01)
    assert reg.r_squared == pytest.approx(1.0, abs=1e-9)
    assert list(reg.table["parameter"]) == ["policy.share_rate", "policy.test_fee_usd_per_unit"]


def test_regression_reports_inputs_that_do_not_vary() -> None:
    a = tiny()
    spec = validate_risk(
        {
            "name": "one",
            "distributions": {
                "policy.share_rate": {"kind": "uniform", "low": 0.0, "high": 0.5},
                "demand.erosion_per_month": {
                    "kind": "discrete",
                    "values": [0.0],
                    "probabilities": [1.0],
                },
            },
        },
        a,
    )
    reg = regression_sensitivity(simulate(a, spec, 2000, seed=1), "vendor_retained")
    row = reg.table.set_index("parameter").loc["demand.erosion_per_month"]
    assert np.isnan(row["std_coef"])
    assert reg.table["parameter"][0] == "policy.share_rate"


def test_tornado_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tornado.json"
    code = main(
        [
            "tornado",
            str(BASE),
            "--risk",
            str(RISK),
            "--output",
            "us_government",
            "--range",
            "demand.erosion_per_month=0.01:0.06",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    bars = {b["parameter"]: b for b in data["bars"]}
    assert bars["demand.erosion_per_month"]["range"] == "user"
    assert bars["products.h200.china_allocations.buyers"]["range"] == "risk file P10/P90"
    swings_ = [b["swing"] for b in data["bars"]]
    assert swings_ == sorted(swings_, reverse=True)
    assert "Tornado" in capsys.readouterr().out


def test_tornado_regression_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tornado.json"
    args = ["tornado", str(BASE), "--risk", str(RISK), "--regression", "--paths", "3000"]
    code = main([*args, "--seed", "5", "--quiet", "--product", "h200", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    reg = data["regression"]
    assert reg["n"] == 3000 and reg["r_squared"] > 0.5
    assert reg["coefficients"][0]["parameter"].startswith("products.h200.china_allocations.")
    printed = capsys.readouterr().out
    assert "Tornado" in printed and "Regression sensitivity" in printed and "(h200)" in printed


def test_tornado_regression_needs_a_risk_file(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tornado", str(BASE), "--regression", "--paths", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "--regression: needs a risk file" in err


def test_tornado_command_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tornado.json"
    code = main(
        ["tornado", str(BASE), "--param", "demand.colour", "--range", "oops", "--json", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "PATH=LOW:HIGH" in err and "Traceback" not in err
    assert not out.exists()
