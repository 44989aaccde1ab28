"""The workbook is the model: recalculated in headless LibreOffice, it gives the core's numbers.

All workbooks are built first and recalculated in one batch (two LibreOffice processes),
so the external tool starts only twice. Recalculation is forced ("recalculate on load:
always") and proven: the files handed to LibreOffice carry no cached values at all
(stripped, or saved by openpyxl), so every number read back was computed by LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from model import project
from model.analysis import ALL, PARTIES, party_series, run
from model.calendar import month_labels
from model.outputs import period_labels
from model.schema import Assumptions
from reports import layout as lay
from reports.export import shipped_reported, shipped_vintages, with_scenario_sources
from reports.recalc import recalculate, strip_cached
from reports.workbook import build_workbook_bytes
from reports.xlsx_import import read_inputs

from .test_workbook import INJECTIONS
from .workbook_helpers import (
    ValuesBook,
    Where,
    changed,
    destination,
    edited_copies,
    export_one,
    export_shared,
    names_book,
    open_book,
    output_errors,
    read_named,
    reconciliation_errors,
    set_inputs,
    shipped,
    shipped_v1,
)

pytestmark = pytest.mark.libreoffice

#: The shipped files, then the frozen version-1 files: each recalculated on its own.
SHIPPED = shipped() + shipped_v1()
V1_FIRST = len(SHIPPED) - len(shipped_v1())  # the version-1 base
SCENARIO_ONLY = shipped()[1:]
#: Positions of the scenario switch tried besides the first (each shipped scenario is
#: also recalculated on its own).
SWITCH_TO = (3, 15)
#: The base export's own sheets must print on at most this many pages (LibreOffice, US
#: Letter); the Reconciliation and Vintages sheets add one page each.
MAX_PRINTED_PAGES = 25
OPTIONAL_SHEETS_PAGES = 2


def _date(text: str) -> dt.datetime:
    return dt.datetime(int(text[:4]), int(text[5:]), 1)


@dataclass(frozen=True)
class Edit:
    """Input cells changed in the workbook, and the same change in YAML terms."""

    cells: dict[str, Any]
    overrides: dict[str, Any]
    #: Cells of the Inputs tables: (YAML path of the row, "month" or "units") -> value.
    table: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: Edits of the frozen version-1 base (True) or of the shipped base.
    v1: bool = True


EDITS = {
    "rate, price, volume and approval month": Edit(
        {
            "policy_share_rate": 0.3,
            "h200_asp_usd": 30000,
            "h200_china_demand_units_per_month": 200000,
            "timeline_china_approval": _date("2026-09"),
        },
        {
            "policy.share_rate": 0.3,
            "products.h200.asp_usd": 30000.0,
            "products.h200.china_demand_units_per_month": 200000.0,
            "timeline.china_approval": "2026-09",
        },
    ),
    "mechanism, quota, cap, levy end and switches": Edit(
        {
            "policy_quota_basis": "monthly",
            "policy_mechanism": "import_tariff",
            "policy_customs_value_ratio": 0.6,
            "policy_levy_ends": _date("2027-03"),
            "mi325x_licence_cap_units": 50000,
            "h200_share_rate": 0.2,
            "h20_quota_applies": True,
            "h200_production_paused": False,
            "demand_backlog_retention": 0.9,
            "policy_us_min_share": 0.5,
            "policy_china_import_tariff": 0.1,
            "demand_price_elasticity": 2,
            "mi308_licence_cap_units": 0,
        },
        {
            "policy.quota_basis": "monthly",
            "policy.mechanism": "import_tariff",
            "policy.customs_value_ratio": 0.6,
            "policy.levy_ends": "2027-03",
            "products.mi325x.licence_cap_units": 50000.0,
            "products.h200.share_rate": 0.2,
            "products.h20.quota_applies": True,
            "products.h200.production_paused": False,
            "demand.backlog_retention": 0.9,
            "policy.us_min_share": 0.5,
            "policy.china_import_tariff": 0.1,
            "demand.price_elasticity": 2.0,
            "products.mi308.licence_cap_units": 0.0,
        },
    ),
    "horizon start, fiscal year and timing": Edit(
        {
            "horizon_start": _date("2027-01"),
            "horizon_fiscal_year_end_month": 12,
            "discount_rate": 0.05,
            "timeline_ramp_months": 6,
            "timeline_test_lag_months": 0,
            "demand_reference_start": _date("2025-06"),
            "h200_asp_change_per_year": 0.5,
            "mi325x_china_demand_growth_per_year": 2,
            "h20_starting_inventory_units": 1000,
        },
        {
            "horizon.start": "2027-01",
            "horizon.fiscal_year_end_month": 12,
            "discount_rate": 0.05,
            "timeline.ramp_months": 6,
            "timeline.test_lag_months": 0,
            "demand.reference_start": "2025-06",
            "products.h200.asp_change_per_year": 0.5,
            "products.mi325x.china_demand_growth_per_year": 2.0,
            "products.h20.starting_inventory_units": 1000.0,
        },
    ),
    "never approved": Edit(
        {
            "timeline_us_approval": "never",
            "mi325x_production_paused": True,
            "h200_production_paused": False,
        },
        {
            "timeline.us_approval": "never",
            "products.mi325x.production_paused": True,
            "products.h200.production_paused": False,
        },
    ),
    "allowance batch, actual, own dates, production rule and vendor calendar": Edit(
        {
            "h200_production_rule": "capacity",
            "mi325x_us_approval": _date("2026-09"),
            "h200_licence_ends": _date("2028-03"),
            "h20_china_approval": "none",
            "vendor_AMD_fiscal_year_end_month": 6,
            "vendor_Nvidia_tax_rate": 0.2,
            "horizon_as_of": _date("2026-11"),
        },
        {
            "products.h200.production_rule": "capacity",
            "products.mi325x.us_approval": "2026-09",
            "products.h200.licence_ends": "2028-03",
            "products.h20.china_approval": None,
            "vendors.AMD.fiscal_year_end_month": 6,
            "vendors.Nvidia.tax_rate": 0.2,
            "horizon.as_of": "2026-11",
            "products.h200.actual_shipments.2026-07": 15000.0,
            "products.h200.china_allocations": [
                {"month": "2026-06", "units": 20000.0},
                {"month": "2026-09", "units": 35000.0},
                {"month": "2027-06", "units": 40000.0},
                {"month": "2027-12", "units": 40000.0},
                {"month": "2028-06", "units": 40000.0},
                {"month": "2028-12", "units": 40000.0},
            ],
        },
        {
            ("products.h200.china_allocations.1", "units"): 35000,
            ("products.h200.china_allocations.1", "month"): _date("2026-09"),
            ("products.h200.actual_shipments.2026-07", "units"): 15000,
        },
        v1=False,
    ),
}


def table_cells(path: Path, cells: dict[tuple[str, str], Any]) -> dict[Where, Any]:
    """Cells of the Inputs tables to change, rows found by their YAML path: (sheet,
    coordinate) -> value."""
    if not cells:
        return {}
    paths = ValuesBook(path)[lay.INPUTS].iter_rows(
        min_col=lay.IN_PATH + 1, max_col=lay.IN_PATH + 1, values_only=True
    )
    rows = {v: r for r, (v,) in enumerate(paths, start=1) if isinstance(v, str)}
    cols = {"month": lay.TABLE_MONTH, "units": lay.TABLE_UNITS}
    return {
        (lay.INPUTS, f"{lay.col_name(cols[what])}{rows[row_path]}"): value
        for (row_path, what), value in cells.items()
    }


@dataclass
class Batch:
    """Workbooks before (``src``, no cached values) and after (``out``) LibreOffice, by key.

    ``cached`` holds the exported files as written, cached values included, for the
    workbooks built directly (not the ones edited with openpyxl).
    """

    src: dict[str, Path] = field(default_factory=dict)
    out: dict[str, Path] = field(default_factory=dict)
    cached: dict[str, Path] = field(default_factory=dict)
    base: Assumptions | None = None
    base_v1: Assumptions | None = None
    multi: list[Assumptions] = field(default_factory=list)


@pytest.fixture(scope="module")
def batch(soffice: str, tmp_path_factory: pytest.TempPathFactory, shared_tmp: Path) -> Batch:
    src_dir = tmp_path_factory.mktemp("lo-in")
    cached_dir = tmp_path_factory.mktemp("lo-cached")
    b = Batch()

    def put(key: str, data: bytes) -> Path:
        """Keep the export as written; hand LibreOffice the same file without cached values."""
        b.cached[key] = cached_dir / f"{key}.xlsx"
        b.cached[key].write_bytes(data)
        path = src_dir / f"{key}.xlsx"
        path.write_bytes(strip_cached(data))
        b.src[key] = path
        return path

    for i, lo in enumerate(SHIPPED):
        put(f"single{i:02d}", export_shared(shared_tmp, with_scenario_sources(lo), lo.name))
    # The bases as exported: the shipped and the version-1 base among the workbooks above
    # (the same bytes, so LibreOffice recalculates each once).
    b.base = with_scenario_sources(SHIPPED[0])
    b.base_v1 = with_scenario_sources(shipped_v1()[0])
    for key, a, i in (("asis", b.base, 0), ("asis_v1", b.base_v1, V1_FIRST)):
        assert SHIPPED[i].name == "base" and with_scenario_sources(SHIPPED[i]) == a
        b.src[key], b.cached[key] = b.src[f"single{i:02d}"], b.cached[f"single{i:02d}"]
    asis, asis_v1 = b.src["asis"], b.src["asis_v1"]
    # The edited copies: each source workbook is read once for all its copies.
    copies: dict[Path, dict[Path, dict[Where, Any]]] = {asis: {}, asis_v1: {}}
    for key, edit in enumerate(EDITS.values()):
        source = asis_v1 if edit.v1 else asis
        b.src[f"edit{key}"] = src_dir / f"edit{key}.xlsx"
        copies[source][b.src[f"edit{key}"]] = {
            **edit.cells,
            **table_cells(source, edit.table),
        }
    b.src["broken"] = src_dir / "broken.xlsx"
    copies[asis][b.src["broken"]] = {
        "h200_unit_cost_usd": 100,
        "horizon_months": 40,
        "policy_share_rate": 1.5,
    }
    b.multi = [with_scenario_sources(lo) for lo in SCENARIO_ONLY]
    multi = put(
        "multi",
        build_workbook_bytes(
            b.multi,
            [lo.name for lo in SCENARIO_ONLY],
            [lo.scenario.description for lo in SCENARIO_ONLY if lo.scenario],
            reported=shipped_reported(b.multi[0]),
        ),
    )
    copies[multi] = {}
    for k in SWITCH_TO:
        b.src[f"switch{k:02d}"] = src_dir / f"switch{k:02d}.xlsx"
        copies[multi][b.src[f"switch{k:02d}"]] = {"active_scenario": k}
    row = int(destination(names_book(multi), "policy_share_rate")[1][1:])
    b.src["multi_edit"] = src_dir / "multi_edit.xlsx"
    copies[multi][b.src["multi_edit"]] = {
        "active_scenario": 2,
        (lay.INPUTS, f"{lay.col_name(lay.IN_FIRST_SCENARIO + 1)}{row}"): 0.4,
    }
    for source, edits in copies.items():
        edited_copies(source, edits)
    injected = put("injection", export_one(_injected(), INJECTIONS[4], INJECTIONS[3]))
    set_inputs(injected, injected, {"h200_asp_usd": "=25000+2000"})  # typed by a person
    out_dir = tmp_path_factory.mktemp("lo-out")
    recalculate(soffice, list(dict.fromkeys(b.src.values())), out_dir)
    b.out = {k: out_dir / p.name for k, p in b.src.items()}
    return b


@functools.lru_cache(maxsize=8)
def _read(path: Path, data_only: bool = False) -> openpyxl.Workbook:
    """A workbook of the batch, read once for the tests that follow each other on it (the
    tests only read the workbooks)."""
    return open_book(path, data_only)


@functools.lru_cache(maxsize=8)
def _values(path: Path) -> ValuesBook:
    """The values of a workbook LibreOffice saved (python-calamine: a tenth of openpyxl's
    time, and the batch reads some fifty of them)."""
    return ValuesBook(path)


@functools.lru_cache(maxsize=8)
def _names(path: Path) -> openpyxl.Workbook:
    """A workbook of the batch opened for its defined names only."""
    return names_book(path)


def _injected() -> Assumptions:
    a = with_scenario_sources(SHIPPED[0])
    p = a.products[0].model_copy(update={"name": INJECTIONS[0], "vendor": INJECTIONS[1]})
    return a.model_copy(
        update={
            "products": [p, *a.products[1:]],
            "sources": {
                **a.sources,
                "products.h200.asp_usd": INJECTIONS[2],
                "policy.share_rate": INJECTIONS[3],
                "notes.extra": INJECTIONS[4],
            },
        }
    )


def _assert_outputs(
    b: Batch, key: str, a: Assumptions, variant_proj: Any = None, variant: int = 0
) -> None:
    proj = variant_proj if variant_proj is not None else project(a)
    worst, bad = output_errors(_names(b.src[key]), _values(b.out[key]), a, proj, variant)
    assert not bad, f"{key}: {len(bad)} ranges differ from the core, e.g. {bad[:3]}"
    assert worst <= 1e-9


@pytest.mark.parametrize("i", range(len(SHIPPED)), ids=[lo.name for lo in SHIPPED])
def test_recalculated_outputs_equal_the_core_for_every_shipped_scenario(
    batch: Batch, i: int
) -> None:
    a = with_scenario_sources(SHIPPED[i])
    _assert_outputs(batch, f"single{i:02d}", a)
    out = _values(batch.out[f"single{i:02d}"])
    assert read_named(_names(batch.src[f"single{i:02d}"]), out, "checks_ok") == [True]
    assert not reconciliation_errors(out, a)


@pytest.mark.parametrize(
    "k", (1, *SWITCH_TO), ids=[SCENARIO_ONLY[k - 1].name for k in (1, *SWITCH_TO)]
)
def test_active_scenario_switch_drives_the_live_model(batch: Batch, k: int) -> None:
    key = "multi" if k == 1 else f"switch{k:02d}"
    proj = project(batch.multi)
    _assert_outputs(batch, key, batch.multi[k - 1], proj, k - 1)
    out = _values(batch.out[key])
    assert out[lay.COVER]["B4"].value == SCENARIO_ONLY[k - 1].name
    assert read_named(_names(batch.src[key]), out, "active_scenario") == [k]
    assert not reconciliation_errors(out, batch.multi[k - 1])  # the live columns switch too


@pytest.mark.parametrize("key", ["asis", "multi"])
def test_cached_values_are_what_the_spreadsheet_computes_in_every_cell(
    batch: Batch, key: str
) -> None:
    cached = _read(batch.cached[key], data_only=True)
    handed = _read(batch.src[key], data_only=True)
    recalced = _read(batch.out[key], data_only=True)
    compared = 0
    for ws in _read(batch.src[key]).worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type != "f":
                    continue
                assert handed[ws.title][c.coordinate].value is None  # LibreOffice computes it
                want = cached[ws.title][c.coordinate].value
                got = recalced[ws.title][c.coordinate].value
                compared += 1
                if isinstance(want, float) and isinstance(got, (int, float)):
                    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6), (
                        ws.title,
                        c.coordinate,
                        c.value,
                        want,
                        got,
                    )
                else:
                    assert got == want, (ws.title, c.coordinate, c.value, want, got)
    assert compared > 5000


@pytest.mark.parametrize("key", range(len(EDITS)), ids=list(EDITS))
def test_changed_inputs_recalculate_exactly_as_the_core(batch: Batch, key: int) -> None:
    edit = list(EDITS.values())[key]
    base = batch.base_v1 if edit.v1 else batch.base
    asis = "asis_v1" if edit.v1 else "asis"
    assert base is not None
    a = changed(base, edit.overrides)
    assert read_inputs(batch.src[f"edit{key}"]) == a  # the edit is the change we model
    _assert_outputs(batch, f"edit{key}", a)
    names, out = _names(batch.src[asis]), _values(batch.out[f"edit{key}"])
    before = _read(batch.cached[asis], data_only=True)
    assert read_named(names, out, "inputs_as_exported") == [False]  # pasted figures flagged
    assert read_named(names, out, "out_h200_china_shipments_units") != read_named(
        names, before, "out_h200_china_shipments_units"
    ) or read_named(names, out, "out_h200_production_units") != read_named(
        names, before, "out_h200_production_units"
    )
    assert read_named(names, out, "checks_ok") == [True]
    _assert_summary(names, out, a)
    assert not reconciliation_errors(out, a)


def _assert_summary(names: Any, out: Any, a: Assumptions) -> None:
    """Totals, NPV and fiscal-year roll-ups of the recalculated Summary against the core."""
    res = run([a], ["x"])
    tot = res.totals[res.totals["product"] == ALL].set_index("party")
    for p in PARTIES:
        assert math.isclose(
            read_named(names, out, f"total_{p.key}_usd")[0],
            tot.loc[p.key, "total_usd"],
            rel_tol=1e-9,
            abs_tol=1e-3,
        )
        assert math.isclose(
            read_named(names, out, f"npv_{p.key}_usd")[0],
            tot.loc[p.key, "npv_usd"],
            rel_tol=1e-9,
            abs_tol=1e-3,
        )
    months = month_labels(a.horizon.start, a.horizon.months)
    per = period_labels(months, "calendar_year", a.horizon.fiscal_year_end_month)
    gross = party_series(res.projection)["china_gross_revenue"][0].sum(axis=0)
    rows = list(out[lay.SUMMARY].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == f"Calendar years ({lay.MONEY_UNIT})")
    labels = [v for v in rows[start + 1][lay.COL_T0 :] if v not in (None, "")]
    assert labels == list(dict.fromkeys(per))
    got = [v for v in rows[start + 4][lay.COL_T0 : lay.COL_T0 + len(labels)]]
    want = [gross[[m == lab for m in per]].sum() for lab in labels]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-3)


def test_editing_a_scenario_column_recalculates_that_scenario(batch: Batch) -> None:
    a = changed(batch.multi[1], {"policy.share_rate": 0.4})
    _assert_outputs(batch, "multi_edit", a)
    assert read_inputs(batch.src["multi_edit"]) == a
    assert_same(read_inputs(batch.out["multi_edit"]), a)


def test_checks_catch_a_broken_model(batch: Batch) -> None:
    out = _values(batch.out["broken"])
    rows = {(r[0], r[1]): r[2] for r in out[lay.CHECKS].iter_rows(min_row=6, values_only=True)}
    assert rows[("Bill of materials within unit cost", "h200")] == 1
    assert rows[("Horizon months match the workbook's month columns", "all")] == 1
    assert rows[("All inputs within their valid ranges", "all")] == 2
    assert read_named(_names(batch.src["asis"]), out, "checks_ok") == [False]
    assert out[lay.COVER]["B10"].value.startswith("CHECKS FAIL")


def test_import_reads_workbooks_saved_by_libreoffice(batch: Batch) -> None:
    for i, lo in enumerate(SHIPPED):
        assert_same(read_inputs(batch.out[f"single{i:02d}"]), with_scenario_sources(lo))
    typed = changed(_injected(), {"products.h200.asp_usd": 27000.0})
    assert_same(read_inputs(batch.out["injection"]), typed)


def assert_same(got: Assumptions, want: Assumptions) -> None:
    """Equal, numbers within 1e-14: LibreOffice saves constants with 15 significant digits."""

    def walk(g: Any, w: Any, path: str) -> None:
        if isinstance(w, float) and isinstance(g, float):
            assert math.isclose(g, w, rel_tol=1e-14), (path, g, w)
        elif isinstance(w, dict):
            assert g.keys() == w.keys(), path
            for k in w:
                walk(g[k], w[k], f"{path}.{k}")
        elif isinstance(w, list):
            assert len(g) == len(w), path
            for i, (x, y) in enumerate(zip(g, w, strict=True)):
                walk(x, y, f"{path}.{i}")
        else:
            assert g == w, (path, g, w)

    walk(got.model_dump(), want.model_dump(), "")


@pytest.mark.parametrize(
    "key, saved_by",
    [("asis", "LibreOffice"), ("multi", "LibreOffice"), ("injection", "LibreOffice"),
     ("asis", "the exporter"), ("multi", "the exporter")],
)  # fmt: skip
def test_values_book_reads_every_cell_as_openpyxl_does(
    batch: Batch, key: str, saved_by: str
) -> None:
    """The tests read workbooks' values with python-calamine (:class:`ValuesBook`): every
    cell holds what openpyxl reads (a number may come as ``float`` where openpyxl gives
    ``int``; in the exporter's files an empty text result reads as empty), the sheets
    have the same size, and rows come out alike."""
    path = batch.out[key] if saved_by == "LibreOffice" else batch.cached[key]
    fast, slow = ValuesBook(path), _read(path, data_only=True)
    assert fast.sheetnames == slow.sheetnames
    compared = 0
    for ws in slow.worksheets:
        mine = fast[ws.title]
        assert (mine.max_row, mine.max_column) == (ws.max_row, ws.max_column), ws.title
        for row, got in zip(ws.iter_rows(), mine.iter_rows(), strict=True):
            for c, g in zip(row, got, strict=True):
                assert mine[c.coordinate].value == g.value  # by address as by row
                if c.value == "" and saved_by == "the exporter":
                    assert g.value is None, (ws.title, c.coordinate)
                    continue
                assert g.value == c.value, (ws.title, c.coordinate, g.value, c.value)
                kinds = {type(g.value), type(c.value)}
                assert len(kinds) == 1 or kinds == {int, float}, (ws.title, c.coordinate, kinds)
                compared += c.value is not None
    assert compared > 5000
    assert fast[lay.SUMMARY]["A1:C2"][1][2].value == slow[lay.SUMMARY]["A1:C2"][1][2].value


def test_formula_lookalike_text_stays_text_after_recalculation(batch: Batch) -> None:
    out = _read(batch.out["injection"])
    texts = {
        c.value
        for ws in out.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "s"
    }
    assert set(INJECTIONS) <= texts
    values = _values(batch.out["injection"])
    assert values[lay.COVER]["B4"].value == INJECTIONS[4]


def printed_pages(pdf: Path) -> int:
    """Pages of a PDF: ``pdfinfo`` when installed, else its page objects counted."""
    info = shutil.which("pdfinfo")
    if info:
        out = subprocess.run([info, str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


def test_base_export_prints_on_few_pages(soffice: str, tmp_path: Path) -> None:
    """Printed like a banker's model: a year of months per page, at most 25 pages for the
    base export's own sheets; the Reconciliation and Vintages sheets one page each."""
    base = with_scenario_sources(SHIPPED[0])
    plain, full = tmp_path / "plain.xlsx", tmp_path / "full.xlsx"
    plain.write_bytes(export_one(base, "base", reconciliation=False))
    full.write_bytes(
        build_workbook_bytes(
            [base],
            ["base"],
            [""],
            reported=shipped_reported(base),
            vintages=shipped_vintages(),
        )
    )
    profile = tmp_path / "profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(plain), str(full)],
        capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    for name in ("plain", "full"):
        assert (tmp_path / f"{name}.pdf").is_file(), f"LibreOffice wrote no PDF of {name}"
    pages = printed_pages(tmp_path / "plain.pdf")
    products = len(SHIPPED[0].assumptions.products)
    years = 3  # 36 months from January
    assert products * years < pages <= MAX_PRINTED_PAGES, pages
    assert printed_pages(tmp_path / "full.pdf") == pages + OPTIONAL_SHEETS_PAGES
