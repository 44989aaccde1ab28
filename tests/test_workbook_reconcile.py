"""The Reconciliation and Vintages sheets as written (no recalculation): cached values
against the core's reconciliation and vintages, live formulas, defaults and layout."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import pytest

from model.analysis import party_label
from model.loader import InputError, Loaded, load
from model.reconcile import (
    STATUS_COMPARED,
    STATUS_NOT_MODELLED,
    STATUS_OUTSIDE,
    STATUS_PARTIAL,
    STATUS_UNKNOWN_VENDOR,
    parse_reported,
    reconcile,
)
from model.vintages import VALUE_PARTIES
from reports import layout as lay
from reports.export import (
    optional_sheets,
    shipped_reported,
    shipped_vintages,
    with_scenario_sources,
)
from reports.reconcile_sheet import TOP
from reports.workbook import build_workbook_bytes

from .conftest import BASE
from .workbook_helpers import (
    V1_BASE,
    ValuesBook,
    export_one,
    export_shared,
    open_book,
    reconciliation_errors,
    reconciliation_rows,
    shipped,
)

SHIPPED = shipped()
#: Reported rows of every kind: compared (each bound), a partial quarter, one outside
#: the horizon, a measure the model does not hold, a vendor it does not know.
ODD_REPORTED = """vendor,fiscal_quarter,measure,value,bound,source,basis
Nvidia,FY2027-Q2,china_dc_revenue_usd,100000000,lower,"a lower bound",
Nvidia,FY2027-Q3,units,1000,upper,"an upper bound","units"
AMD,FY2026-Q2,china_dc_revenue_usd,5000000,exact,"an exact figure",
Nvidia,FY2026-Q4,china_dc_revenue_usd,1,exact,"a quarter partly before the horizon",
AMD,FY2024-Q1,units,1,exact,"a quarter before the horizon",
AMD,FY2026-Q3,inventory_charge_usd,7,exact,"a charge the model does not book",
Acme,FY2027-Q1,units,3,exact,"a vendor without products",
"""


def _book(tmp_path: Path, data: bytes, name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def vintages() -> Any:
    return shipped_vintages()


@pytest.mark.parametrize("lo", SHIPPED, ids=[lo.name for lo in SHIPPED])
def test_cached_reconciliation_is_the_cores_with_actuals_and_backtest(
    lo: Loaded, tmp_path: Path, shared_tmp: Path
) -> None:
    a = with_scenario_sources(lo)
    values = ValuesBook(_book(tmp_path, export_shared(shared_tmp, a, lo.name)))
    assert not reconciliation_errors(values, a)
    back = reconcile(a, shipped_reported(a), ("backtest",)).to_dict("records")
    for got, want in zip(reconciliation_rows(values), back, strict=True):
        assert got["Reported"] == want["reported"]
        if want["status"] == STATUS_COMPARED:
            assert got["Backtest: modelled"] == want["modelled"]
            assert got["Backtest: difference"] == want["difference"]
            assert got["Backtest: inside bound"] is want["inside_bound"]
        else:
            assert got["Backtest: modelled"] is None and got["Backtest: inside bound"] is None


def test_modelled_figures_are_live_formulas_over_the_calculation_sheets(tmp_path: Path) -> None:
    a = load(BASE).assumptions
    formulas = open_book(_book(tmp_path, export_one(a)))[lay.RECONCILIATION]
    col = {c.value: c.column_letter for c in formulas[TOP + 1] if c.value}
    row = TOP + 3  # AMD FY2026-Q1, China revenue
    modelled = formulas[f"{col['Modelled (live)']}{row}"].value
    for p in a.products:
        assert f"{p.id}_vendor=$A{row}" in modelled  # the vendor compared through its cell
        assert f"'Calc {p.id}'!" in modelled
    assert modelled.count("SUMIFS(") == len(a.products)
    assert formulas[f"{col['Months in horizon']}{row}"].value.startswith("=COUNTIFS(")
    assert formulas[f"{col['Difference (live)']}{row}"].value.startswith("=IF(")
    assert "ABS(" in formulas[f"{col['Inside bound (live)']}{row}"].value
    assert isinstance(formulas[f"{col['Backtest: modelled']}{row}"].value, float)


def test_every_status_of_the_core_has_its_row(tmp_path: Path) -> None:
    a = load(BASE).assumptions
    reported = parse_reported(ODD_REPORTED, "odd.csv")
    data = build_workbook_bytes([a], ["base"], [""], reported=reported)
    rows = reconciliation_rows(open_book(_book(tmp_path, data), data_only=True))
    want = reconcile(a, reported, ("with-actuals",)).to_dict("records")
    assert [r["Status (live)"] for r in rows] == [w["status"] for w in want]
    assert {w["status"] for w in want} == {
        STATUS_COMPARED,
        STATUS_PARTIAL,
        STATUS_OUTSIDE,
        STATUS_NOT_MODELLED,
        STATUS_UNKNOWN_VENDOR,
    }
    for r, w in zip(rows, want, strict=True):
        assert r["Bound"] == w["bound"] and r["Vendor"] == w["vendor"]
        if w["status"] == STATUS_COMPARED:
            assert r["Modelled (live)"] == w["modelled"]
            assert r["Inside bound (live)"] is w["inside_bound"]
        else:
            assert r["Difference (live)"] in (None, "") and r["Inside bound (live)"] in (None, "")
    partial = rows[[w["status"] for w in want].index(STATUS_PARTIAL)]
    assert partial["Months in horizon"] == 1 and partial["Modelled (live)"] >= 0


def test_sources_and_basis_are_printed_in_full(tmp_path: Path) -> None:
    a = load(BASE).assumptions
    ws = open_book(_book(tmp_path, export_one(a)), data_only=True)[lay.RECONCILIATION]
    texts = {c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    for r in shipped_reported(a).itertuples():
        assert r.source in texts
        assert not r.basis or r.basis in texts
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage


def test_no_sheet_without_reported_figures_for_the_vendors(tmp_path: Path) -> None:
    a = load(BASE).assumptions
    empty = parse_reported(ODD_REPORTED.splitlines()[0] + "\n", "empty.csv")
    for reported in (None, empty):
        wb = open_book(_book(tmp_path, build_workbook_bytes([a], ["b"], [""], reported=reported)))
        assert lay.RECONCILIATION not in wb.sheetnames
    renamed = a.model_copy(
        update={"products": [p.model_copy(update={"vendor": "Acme"}) for p in a.products]}
    )
    assert shipped_reported(renamed) is None
    with pytest.raises(InputError, match="no reported figure"):
        optional_sheets(BASE, renamed, reconciliation=True)


def test_optional_sheets_by_default(vintages: Any) -> None:
    base = load(BASE).assumptions
    got = optional_sheets(BASE, base)
    assert got["reported"] is not None and len(got["reported"]) == len(shipped_reported(base))
    assert got["vintages"] is not None and got["vintages"].equals(vintages)
    v1 = load(V1_BASE).assumptions
    assert optional_sheets(V1_BASE, v1)["vintages"] is None
    assert optional_sheets(BASE, base, reconciliation=False, vintages=False) == {
        "reported": None,
        "vintages": None,
    }


def test_vintages_sheet_holds_the_core_values(tmp_path: Path, vintages: Any) -> None:
    a = load(BASE).assumptions
    path = _book(tmp_path, build_workbook_bytes([a], ["base"], [""], vintages=vintages))
    ws = open_book(path, data_only=True)[lay.VINTAGES]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "Vintage")
    stems = [str(f).removesuffix(".yaml") for f in rows[head + 2][2:] if f]
    assert stems == list(dict.fromkeys(vintages["vintage"]))
    dates = [d for d in rows[head + 1][2:] if d]
    assert [f"{d.year:04d}-{d.month:02d}" for d in dates] == list(dict.fromkeys(vintages["as_of"]))
    figures = {(r[0], r[1]): r for r in _sections(rows[head + 3 :])}
    compared = 0
    for v in vintages.itertuples():
        title = {"value": "total", "next month": "waiting", "expected value": "Expected"}.get(
            v.measure, "EPS"
        )
        section = next(t for t in figures if title in t[0] and _subject(v.subject) == t[1])
        got = figures[section][2 + stems.index(v.vintage)]
        assert got == v.total_usd or (math.isnan(v.total_usd) and got is None)
        compared += 1
    assert compared == len(vintages)
    setup = ws.page_setup  # one page: fit to 1 x 1 (XlsxWriter leaves the 1s out)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (setup.fitToHeight or 1) == 1 and (setup.fitToWidth or 1) == 1
    with zipfile.ZipFile(path) as zf:
        assert sum(n.startswith("xl/charts/chart") for n in zf.namelist()) == 2


def _subject(key: str) -> str:
    """A party's label as the sheet shows it; a vendor as it is."""
    return party_label(key) if key in VALUE_PARTIES else key


def _sections(rows: list[tuple[Any, ...]]) -> list[tuple[str, str, Any]]:
    """Rows of the Vintages sheet keyed by (section title, line label)."""
    out, title = [], ""
    for r in rows:
        if r[0] and r[1] is None:
            title = str(r[0])
        elif r[0]:
            out.append((title, str(r[0]), *r[2:]))
    return out


def test_sheets_come_after_the_checks_and_the_cover_explains_them(
    tmp_path: Path, vintages: Any
) -> None:
    a = load(BASE).assumptions
    data = build_workbook_bytes(
        [a], ["base"], [""], reported=shipped_reported(a), vintages=vintages
    )
    wb = open_book(_book(tmp_path, data), data_only=True)
    assert wb.sheetnames[:6] == [
        lay.COVER,
        lay.INPUTS,
        lay.SUMMARY,
        lay.CHECKS,
        lay.RECONCILIATION,
        lay.VINTAGES,
    ]
    cover = [c for row in wb[lay.COVER].iter_rows(values_only=True) for c in row if c]
    assert any(str(c).startswith("Reconciliation: ") for c in cover)
    assert any(str(c).startswith("Vintages: ") for c in cover)
