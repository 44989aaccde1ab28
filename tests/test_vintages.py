"""Vintages: the assumptions as they stood at key dates and their value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis import ALL, expected_value, run
from model.gate import InputError
from model.loader import Scenario, load, load_many, load_set
from model.shipped import VINTAGES_DIR
from model.vintages import (
    VALUE_PARTIES,
    compose,
    default_sets,
    eps_by_vendor,
    load_vintages,
    vintage_files,
    vintage_values,
    wide,
)
from tests.conftest import BASE, SETS

FILES = vintage_files(VINTAGES_DIR)


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    return vintage_values(BASE, load_vintages(BASE, FILES, default_sets(FILES)))


def test_vintages_are_dated_in_order_and_share_the_base_horizon() -> None:
    vs = load_vintages(BASE, FILES)
    as_of = [v.as_of for v in vs]
    assert as_of == sorted(as_of) and len(set(as_of)) == len(as_of)
    base = load(BASE).assumptions
    for v in vs:
        a = v.loaded.assumptions
        assert (a.horizon.start, a.horizon.months) == (base.horizon.start, base.horizon.months)
        assert [p.id for p in a.products] == [p.id for p in base.products]


def test_no_vintage_reports_actuals_after_its_date() -> None:
    for v in load_vintages(BASE, FILES):
        for p in v.loaded.assumptions.products:
            assert all(m <= v.as_of for m in p.actual_shipments or {}), (v.stem, p.id)


def test_the_latest_vintage_is_the_base_and_carries_the_shipped_set() -> None:
    sets = default_sets(FILES)
    assert list(sets) == [FILES[-1].stem]
    assert load_vintages(BASE, FILES[-1:])[0].loaded.assumptions == load(BASE).assumptions


def test_the_base_vintage_is_valued_as_the_summary_values_the_base(values) -> None:
    res = run([load(BASE).assumptions], ["base"])
    mine = values[(values["vintage"] == FILES[-1].stem) & (values["measure"] == "value")]
    for party in VALUE_PARTIES:
        ref = res.totals[(res.totals["product"] == ALL) & (res.totals["party"] == party)]
        got = mine[mine["subject"] == party]
        assert float(got["total_usd"].iloc[0]) == pytest.approx(float(ref["total_usd"].iloc[0]))
        assert float(got["npv_usd"].iloc[0]) == pytest.approx(float(ref["npv_usd"].iloc[0]))


def test_the_expected_value_is_the_shipped_sets(values) -> None:
    [set_file] = [s for s in SETS if s.stem == "expected_value"]
    entries = load_set(set_file)
    loaded = load_many(BASE, [sc for sc, _ in entries])
    res = run([lo.assumptions for lo in loaded], [lo.name for lo in loaded])
    ev = expected_value(
        res.totals, {lo.name: p for lo, (_, p) in zip(loaded, entries, strict=True)}
    )
    mine = values[values["measure"] == "expected value"]
    assert set(mine["vintage"]) == {FILES[-1].stem}
    for party in VALUE_PARTIES:
        ref = ev[(ev["product"] == ALL) & (ev["party"] == party)]["total_usd"].iloc[0]
        got = mine[mine["subject"] == party]["total_usd"].iloc[0]
        assert got == pytest.approx(ref)


def test_eps_is_profit_after_tax_per_diluted_share() -> None:
    """Nvidia's EPS effect = its products' gross profit x (1 - tax) / diluted shares."""
    a = load(BASE).assumptions
    res = run([a], ["base"])
    gp = res.totals[
        (res.totals["party"] == "vendor_gross_profit") & res.totals["product"].isin(["h200", "h20"])
    ]["total_usd"].sum()
    nv = a.vendors["Nvidia"]
    eps = eps_by_vendor(res).set_index("vendor").loc["Nvidia", "eps_usd"]
    assert eps == pytest.approx(gp * (1 - nv.tax_rate) / nv.diluted_shares)


def test_a_set_scenario_overrides_the_vintage() -> None:
    vintage = Scenario(name="v", overrides={"policy.share_rate": 0.1, "horizon.as_of": "2026-01"})
    scenario = Scenario(name="s", overrides={"policy.share_rate": 0.2})
    both = compose(vintage, scenario)
    assert both.overrides == {"policy.share_rate": 0.2, "horizon.as_of": "2026-01"}
    assert both.name == "s"


def test_a_set_for_an_unknown_vintage_is_refused() -> None:
    with pytest.raises(InputError, match="no vintage of that name"):
        load_vintages(BASE, FILES, {"1999-01_nothing": SETS[0]})


def test_wide_has_one_row_per_vintage(values) -> None:
    w = wide(values)
    assert list(w["vintage"]) == [f.stem for f in FILES]
    assert np.isfinite(w["value:china_gross_revenue"]).all()
    assert "eps:Nvidia" in w.columns


def test_vintages_command_prints_and_writes(tmp_path, capsys) -> None:
    from model.cli import main

    out = tmp_path / "vintages.csv"
    assert main(["vintages", "--csv", str(out)]) == 0
    header = out.read_text().splitlines()[0]
    assert header == ",".join(
        ["vintage", "name", "as_of", "measure", "subject", "total_usd", "npv_usd"]
    )
    assert "Value of the licence by vintage" in capsys.readouterr().out


def test_a_malformed_set_option_is_an_input_error(capsys) -> None:
    from model.cli import main

    assert main(["vintages", "--set", "no-equals-sign"]) == 2
    assert "VINTAGE=SET.yaml" in capsys.readouterr().err
