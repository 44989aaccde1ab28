"""The workbook as written: names, layout, styles and cached values (no recalculation).

Cached values must equal the Python core exactly: they are what viewers, previews and
``pandas.read_excel`` show.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from openpyxl.utils.cell import range_boundaries

from model import project
from model.analysis import ALL, PARTIES, expected_value, party_series, run
from model.calendar import month_labels
from model.loader import InputError, load
from model.outputs import METRICS, period_labels, supplier_metric
from model.risk import load_risk, simulate
from model.schema import parameter_table
from reports import layout as lay
from reports.export import with_scenario_sources
from reports.risk_sheet import SHEET, risk_sheet_writer
from reports.workbook import build_workbook_bytes, output_ranges

from .conftest import BASE
from .factories import tiny
from .workbook_helpers import (
    ValuesBook,
    destination,
    export_one,
    export_shared,
    names_book,
    open_book,
    output_errors,
    read_named,
    shipped,
    shipped_v1,
    v1,
)

SHIPPED = shipped() + shipped_v1()
#: The frozen version-1 scenarios of the side-by-side workbook, with probabilities.
SET_V1 = (("approved_now", 0.2), ("china_later", 0.3), ("china_blocks", 0.5))


def _save(tmp_path: Path, data: bytes, name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def base_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "base.xlsx"
    path.write_bytes(export_one(load(BASE).assumptions, "base", "The shipped base."))
    return path


@pytest.fixture(scope="module")
def set_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any], dict[str, float]]:
    loaded = [v1(stem) for stem, _ in SET_V1]
    probs = {lo.name: p for lo, (_, p) in zip(loaded, SET_V1, strict=True)}
    data = build_workbook_bytes(
        [with_scenario_sources(lo) for lo in loaded],
        [lo.name for lo in loaded],
        [lo.scenario.description for lo in loaded if lo.scenario],
        probs,
    )
    path = tmp_path_factory.mktemp("wb") / "set.xlsx"
    path.write_bytes(data)
    return path, loaded, probs


@pytest.mark.parametrize(
    "lo",
    SHIPPED,
    ids=[lo.name + (" v1" if i > len(SHIPPED) // 2 else "") for i, lo in enumerate(SHIPPED)],
)
def test_cached_outputs_equal_the_core_exactly_for_every_shipped_scenario(
    lo: Any, tmp_path: Path, shared_tmp: Path
) -> None:
    a = with_scenario_sources(lo)
    path = _save(tmp_path, export_shared(shared_tmp, a, lo.name))
    names, values = names_book(path), ValuesBook(path)
    worst, bad = output_errors(names, values, a, project(a), rtol=0.0)
    assert not bad and worst == 0.0, bad[:5]
    assert read_named(names, values, "checks_ok") == [True]


def test_every_metric_has_a_named_range_covering_exactly_the_horizon(base_book: Path) -> None:
    a = load(BASE).assumptions
    wb = open_book(base_book)
    proj = project(a)
    expected = set(output_ranges(a, proj.inputs.supplier_ids, proj.inputs.bom_members))
    assert {n for n in wb.defined_names if n.startswith("out_")} == expected
    assert len(expected) == len(a.products) * len(METRICS) + sum(
        len(p.bom_usd_per_unit) for p in a.products
    )
    for p in a.products:
        for name in [lay.output_name(p.id, m.name) for m in METRICS] + [
            lay.output_name(p.id, supplier_metric(s)) for s in p.bom_usd_per_unit
        ]:
            sheet, coord = destination(wb, name)
            c0, r0, c1, r1 = range_boundaries(coord)
            assert sheet == f"Calc {p.id}"
            assert (r0 == r1, c0, c1 - c0 + 1) == (True, lay.COL_T0 + 1, a.horizon.months), name
    assert "out_h200_supplier_revenue_usd_hbm" in expected


def _excel_form(value: Any, kind: str) -> Any:
    if value is None:
        return lay.NONE_TEXT
    if kind.startswith("month"):
        return value if value == "never" else dt.datetime(int(value[:4]), int(value[5:]), 1)
    return value


def test_every_parameter_has_a_named_constant_input_cell(tmp_path: Path) -> None:
    a = v1("us_denies").assumptions
    capped = a.products[0].model_copy(update={"licence_cap_units": 600000.0})
    a = a.model_copy(update={"products": [capped, *a.products[1:]]})
    wb = open_book(_save(tmp_path, export_one(a, "denied")))
    ws = wb[lay.INPUTS]
    table = parameter_table()
    for info in table:
        if info.section in ("product", "vendor"):
            continue
        name = lay.input_name(info.section, info.key)
        obj = a if info.section == "top" else getattr(a, info.section)
        sheet, coord = destination(wb, name)
        assert sheet == lay.INPUTS and ws[coord].data_type != "f", name
        assert ws[coord].value == _excel_form(getattr(obj, info.key), info.kind), name
    for p in a.products:
        for info in (i for i in table if i.section == "product"):
            name = lay.product_input_name(p.id, info.key)
            coord = destination(wb, name)[1]
            assert ws[coord].data_type != "f"
            assert ws[coord].value == _excel_form(getattr(p, info.key), info.kind), name
        for sup, v in p.bom_usd_per_unit.items():
            assert ws[destination(wb, f"{p.id}_bom_usd_per_unit_{sup}")[1]].value == v
    assert ws[destination(wb, "timeline_us_approval")[1]].value == "never"
    assert ws[destination(wb, "h200_licence_cap_units")[1]].value == 600000
    assert ws[destination(wb, "h20_licence_cap_units")[1]].value == "none"
    assert ws[destination(wb, "policy_levy_ends")[1]].value == "none"
    assert ws[destination(wb, "h200_share_rate")[1]].value == "none"
    assert ws[destination(wb, "h200_china_allocations")[1]].value == "none"


def test_v2_inputs_have_named_cells_and_tables_with_sources(base_book: Path) -> None:
    """Vendors, per-product dates (own or inherited), the production rule, compute, and the
    tables of China's batches and reported actuals, each row with its source."""
    a = load(BASE).assumptions
    wb, values = open_book(base_book), open_book(base_book, data_only=True)
    ws = wb[lay.INPUTS]

    def value(name: str) -> Any:
        return ws[destination(wb, name)[1]].value

    for vendor, v in a.vendors.items():
        assert value(lay.vendor_input_name(vendor, "tax_rate")) == v.tax_rate
        assert value(lay.vendor_input_name(vendor, "fiscal_year_end_month")) == (
            v.fiscal_year_end_month
        )
    h200, h20 = a.product("h200"), a.product("h20")
    assert value("h200_production_rule") == h200.production_rule
    assert value("h200_tpp") == h200.tpp and value("h200_us_approval") == "none"
    assert value("h20_us_approval") == _excel_form(h20.us_approval, "month")
    unit = values[lay.INPUTS][destination(wb, "h200_us_approval")[1].replace("B", "C")].value
    assert unit == f"inherited: {a.timeline.us_approval}"
    assert (
        values[lay.INPUTS][destination(wb, "h20_us_approval")[1].replace("B", "C")].value == "own"
    )
    months = read_named(wb, wb, "alloc_month")
    units = read_named(wb, wb, "alloc_units")
    products = read_named(wb, wb, "alloc_product")
    batches = [(p.id, b) for p in a.products for b in p.china_allocations or []]
    assert products == [pid for pid, _ in batches]
    assert units == [b.units for _, b in batches]
    assert months == [_excel_form(b.month, "month") for _, b in batches]
    actuals = [(p.id, m, u) for p in a.products for m, u in (p.actual_shipments or {}).items()]
    assert read_named(wb, wb, "actual_units") == [u for *_, u in actuals]
    _sheet, coord = destination(wb, "actual_units")
    first = int(re.sub(r"[A-Z]", "", coord.split(":")[0]))
    for k, (pid, month, _u) in enumerate(actuals):
        row = ws[first + k]
        path = f"products.{pid}.actual_shipments.{month}"
        assert row[lay.IN_PATH].value == path
        assert row[lay.IN_SOURCE].value == a.sources[path]
    assert read_named(wb, values, "inputs_as_exported") == [True]


def test_input_cells_are_styled_and_validated_with_the_schema_ranges(base_book: Path) -> None:
    wb = open_book(base_book)
    ws = wb[lay.INPUTS]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    inputs = [
        n
        for n in wb.defined_names
        if destination(wb, n)[0] == lay.INPUTS and ":" not in destination(wb, n)[1]
    ]
    assert len(inputs) > 60
    for name in inputs:
        coord = destination(wb, name)[1]
        c = ws[coord]
        assert c.font.color.rgb.endswith("0000FF"), name
        assert c.fill.fgColor.rgb.endswith(lay.INPUT_FILL.lstrip("#")), name
        assert coord in rules, f"{name} has no data validation"
    share = rules[destination(wb, "policy_share_rate")[1]]
    assert share.type == "custom" and ">=0" in share.formula1 and "<=1" in share.formula1
    assert rules[destination(wb, "policy_mechanism")[1]].type == "list"
    us_min = rules[destination(wb, "policy_us_min_share")[1]].formula1
    assert ">0" in us_min and ">=0" not in us_min


def test_several_scenarios_switch_the_live_inputs(set_book: Any) -> None:
    path, loaded, _ = set_book
    wb, values = open_book(path), open_book(path, data_only=True)
    ws = wb[lay.INPUTS]
    assert read_named(wb, wb, "active_scenario") == [1]
    coord = destination(wb, "timeline_china_approval")[1]
    assert ws[coord].data_type == "f" and "active_scenario" in ws[coord].value
    row = ws[coord].row
    blocks = [ws.cell(row, lay.IN_FIRST_SCENARIO + 1 + k).value for k in range(len(loaded))]
    assert blocks[1] == dt.datetime(2027, 7, 1) and blocks[2] == "never"
    a = loaded[0].assumptions
    worst, bad = output_errors(wb, values, a, project(a), rtol=0.0)
    assert not bad and worst == 0.0


def test_scenarios_sheet_holds_the_core_values(set_book: Any) -> None:
    path, loaded, probs = set_book
    res = run([lo.assumptions for lo in loaded], [lo.name for lo in loaded])
    ws = open_book(path, data_only=True)[lay.SCENARIOS]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "#")
    first_table = rows[rows.index(header) + 1 : rows.index(header) + 1 + len(loaded)]
    by_name = {r[1]: r for r in first_table}
    totals = res.totals[res.totals["product"] == ALL]
    for lo in loaded:
        row = by_name[lo.name]
        assert row[3] == probs[lo.name]
        for p in PARTIES:
            want = totals[(totals["scenario"] == lo.name) & (totals["party"] == p.key)]
            assert row[header.index(f"{p.label}: total")] == float(want["total_usd"].iloc[0])
            assert row[header.index(f"{p.label}: NPV")] == float(want["npv_usd"].iloc[0])
    ev_row = next(r for r in rows if r[1] == "Expected value (probability-weighted)")
    ev = expected_value(res.totals, probs).set_index(["product", "party"])
    assert ev_row[header.index("US government: total")] == float(
        ev.loc[(ALL, "us_government"), "total_usd"]
    )
    delay_head = next(r for r in rows if r[0] == "#" and r is not header)
    blocks = [r for r in rows[rows.index(delay_head) + 1 :] if r[1] == "China blocks imports"]
    cod = res.delay_cost
    want = cod[
        (cod["scenario"] == "China blocks imports")
        & (cod["product"] == ALL)
        & (cod["party"] == "us_government")
    ]
    assert blocks[0][4] == "never"
    assert blocks[0][delay_head.index("US government: total")] == float(want["total_usd"].iloc[0])


def test_summary_totals_npv_and_rollups_are_the_core_figures(base_book: Path) -> None:
    a = load(BASE).assumptions
    wb, values = open_book(base_book), open_book(base_book, data_only=True)
    res = run([a], ["base"])
    tot = res.totals[res.totals["product"] == ALL].set_index("party")
    for p in PARTIES:
        assert math.isclose(
            read_named(wb, values, f"total_{p.key}_usd")[0],
            tot.loc[p.key, "total_usd"],
            rel_tol=1e-12,
        )
        assert math.isclose(
            read_named(wb, values, f"npv_{p.key}_usd")[0], tot.loc[p.key, "npv_usd"], rel_tol=1e-12
        )
    money = party_series(res.projection)["us_government"][0].sum(axis=0)
    months = month_labels(a.horizon.start, a.horizon.months)
    ws = values[lay.SUMMARY]
    rows = list(ws.iter_rows(values_only=True))
    for period, title in (
        ("calendar_quarter", "Calendar quarters"),
        ("calendar_year", "Calendar years"),
    ):
        start = next(i for i, r in enumerate(rows) if r[0] == f"{title} ({lay.MONEY_UNIT})")
        labels = [str(v) for v in rows[start + 1][lay.COL_T0 :] if v is not None]
        per = period_labels(months, period, 1)
        assert labels == list(dict.fromkeys(per))
        counts = rows[start + 2][lay.COL_T0 : lay.COL_T0 + len(labels)]
        assert list(counts) == [per.count(lab) for lab in labels]
        gov = next(r for r in rows[start + 3 :] if r[0] == "US government")
        for k, lab in enumerate(labels):
            want = money[[m == lab for m in per]].sum()
            assert math.isclose(gov[lay.COL_T0 + k], want, rel_tol=1e-12, abs_tol=1e-6)
    assert rows[start + 1][lay.COL_T0] == "2026"  # labels are text, as the core names them
    _assert_vendor_tables(rows, res)


def _assert_vendor_tables(rows: list[Any], res: Any) -> None:
    """Each vendor's fiscal years on the Summary: its own calendar, GP by quarter and year,
    after tax and EPS as the core's vendor view, partial years flagged with their months."""
    view = res.vendors
    seen = 0
    for vendor in dict.fromkeys(view["vendor"]):
        head = next(
            i for i, r in enumerate(rows) if r[0] == f"{vendor} (fiscal year ends in month)"
        )
        years = view[(view["vendor"] == vendor) & (view["period_kind"] == "fiscal_year")]
        quarters = view[(view["vendor"] == vendor) & (view["period_kind"] == "fiscal_quarter")]
        q = quarters.set_index("period")
        for n, y in enumerate(years.itertuples()):
            row = rows[head + 1 + n]
            assert str(row[0]).startswith(y.period)
            assert ("partial" in row[0]) == (y.months_in_period < 12)
            assert row[lay.COL_T0] == y.months_in_period
            g = lay.COL_T0
            for k in range(1, 5):
                label = f"{y.period}-Q{k}"
                want = float(q.loc[label, "gross_profit_usd"]) if label in q.index else 0.0
                assert math.isclose(row[g + k], want, rel_tol=1e-12, abs_tol=1e-6)
                months = int(q.loc[label, "months_in_period"]) if label in q.index else 0
                assert row[g + 7 + k] == months
            assert math.isclose(row[g + 5], y.gross_profit_usd, rel_tol=1e-12, abs_tol=1e-6)
            if np.isfinite(y.eps_usd):
                assert math.isclose(row[g + 6], y.profit_after_tax_usd, rel_tol=1e-12, abs_tol=1e-6)
                assert math.isclose(row[g + 7], y.eps_usd, rel_tol=1e-12, abs_tol=1e-15)
            else:
                assert row[g + 7] == "n/a"
            seen += 1
    assert seen > 0


#: pandas' readers of .xlsx files: openpyxl today, python-calamine its coming default.
PANDAS_ENGINES = ("openpyxl", "calamine")


@pytest.mark.parametrize("engine", PANDAS_ENGINES)
def test_pandas_reads_the_cached_values(base_book: Path, engine: str) -> None:
    a = load(BASE).assumptions
    frame = pd.read_excel(base_book, sheet_name="Calc h200", header=None, engine=engine)
    row = frame[frame[0] == "China gross revenue"].iloc[0]
    got = row.iloc[lay.COL_T0 : lay.COL_T0 + a.horizon.months].to_numpy(dtype=float)
    want = project(a).money.gross[0, 0]
    np.testing.assert_array_equal(got, want)
    assert got.sum() > 0


INJECTIONS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "=1+1")


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    a = tiny(products__chip__name=INJECTIONS[0], products__chip__vendor=INJECTIONS[1])
    a = a.model_copy(
        update={
            "sources": {
                "products.chip.asp_usd": INJECTIONS[2],
                "policy.share_rate": INJECTIONS[3],
                "custom.note": INJECTIONS[4],
            }
        }
    )
    path = _save(tmp_path, build_workbook_bytes([a, a], [INJECTIONS[4], "b"], [INJECTIONS[3], "d"]))
    wb = open_book(path)
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value in INJECTIONS and c.data_type == "s":
                    found[c.value] = found.get(c.value, 0) + 1
                if c.data_type == "f":
                    assert "HYPERLINK" not in c.value and "cmd|" not in c.value
    assert set(found) == set(INJECTIONS)
    with zipfile.ZipFile(path) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    formulas = re.findall(rb"<f>([^<]*)</f>", xml)
    assert formulas and not [f for f in formulas if b"HYPERLINK" in f or b"cmd|" in f]


def test_risk_sheet_text_stays_text_in_any_workbook(tmp_path: Path) -> None:
    a = load(BASE).assumptions
    spec = load_risk(BASE.parent / "risk.yaml", a)
    first = dataclasses.replace(spec.marginals[0], source=INJECTIONS[0])
    spec = dataclasses.replace(spec, marginals=(first, *spec.marginals[1:]))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})  # default options: "=" makes formulas
    risk_sheet_writer(simulate(a, spec, 200, seed=1))(wb, {})
    wb.close()
    ws = open_book(_save(tmp_path, buf.getvalue()))[SHEET]
    cells = [c for row in ws.iter_rows() for c in row if c.value == INJECTIONS[0]]
    assert [c.data_type for c in cells] == ["s"]


def test_numbers_are_stored_with_every_digit(tmp_path: Path) -> None:
    a = tiny(policy__share_rate=0.1 + 0.2, products__chip__asp_usd=1 / 3)
    wb = open_book(_save(tmp_path, export_one(a)))
    assert read_named(wb, wb, "policy_share_rate") == [0.1 + 0.2]
    assert read_named(wb, wb, "chip_asp_usd") == [1 / 3]


def test_extra_sheet_writers_come_after_the_workbooks_own_sheets(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def risk(wb: Any, formats: dict[str, Any]) -> None:
        seen.update(formats)
        ws = wb.add_worksheet("Risk")
        ws.write_string(0, 0, "Risk", formats["header"])
        ws.write_number(1, 0, 0.25, formats["pct"])

    path = _save(tmp_path, build_workbook_bytes([tiny()], ["t"], [""], extra_sheets=[risk]))
    wb = open_book(path)
    assert wb.sheetnames[-1] == "Risk"
    assert wb.sheetnames[:4] == [lay.COVER, lay.INPUTS, lay.SUMMARY, lay.CHECKS]
    assert {"header", "usd", "pct", "text", "units", "title"} <= set(seen)


def test_arguments_are_checked() -> None:
    a = tiny()
    with pytest.raises(ValueError, match="same length"):
        build_workbook_bytes([a], ["a", "b"], [""])
    with pytest.raises(ValueError, match="unique"):
        build_workbook_bytes([a, a], ["a", "a"], ["", ""])
    with pytest.raises(InputError, match="share horizon"):
        build_workbook_bytes([a, tiny(horizon__months=7)], ["a", "b"], ["", ""])
    with pytest.raises(InputError, match="sum to 1"):
        build_workbook_bytes([a, a], ["a", "b"], ["", ""], {"a": 0.5, "b": 0.4})


def test_awkward_product_ids_make_valid_names(tmp_path: Path) -> None:
    raw = tiny()
    p = raw.products[0]
    products = [
        p.model_copy(update={"id": "h20"}),
        p.model_copy(update={"id": "5090"}),
        p.model_copy(update={"id": "summary", "bom_usd_per_unit": {}}),
    ]
    a = raw.model_copy(update={"products": products})
    path = _save(tmp_path, export_one(a))
    wb, values = open_book(path), open_book(path, data_only=True)
    assert "_5090_asp_usd" in wb.defined_names and "out_5090_gross_revenue_usd" in wb.defined_names
    assert "Calc summary" in wb.sheetnames and "Summary" in wb.sheetnames
    _worst, bad = output_errors(wb, values, a, project(a), rtol=0.0)
    assert not bad
    collide = raw.model_copy(update={"products": [p.model_copy(update={"id": "policy"})]})
    with pytest.raises(ValueError, match="collide"):
        export_one(collide)


def test_layout_freezes_panes_and_sets_print_titles(base_book: Path) -> None:
    wb = open_book(base_book)
    calc = wb["Calc h200"]
    assert calc.freeze_panes == "G7"
    assert calc.print_title_rows is not None and calc.print_title_cols is not None
    assert wb[lay.INPUTS].freeze_panes == "B7"
    number_formats = {calc.cell(r, lay.COL_T0 + 1).number_format for r in range(8, 70)}
    assert lay.NUMBER_FORMATS["usd"] in number_formats and '#,##0;-#,##0;"–"' in number_formats
    assert all('"M"' not in f for f in number_formats)  # the unit is stated once, in column C
    assert calc.page_setup.orientation == "landscape" and calc.page_setup.scale
    with zipfile.ZipFile(base_book) as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())


@pytest.mark.parametrize("engine", PANDAS_ENGINES)
def test_workbook_bytes_are_a_zip_that_reads_without_recalculation(engine: str) -> None:
    data = export_one(tiny())
    assert zipfile.is_zipfile(io.BytesIO(data))
    frame = pd.read_excel(io.BytesIO(data), sheet_name=lay.CHECKS, header=None, engine=engine)
    assert bool(frame.iloc[3, 3]) is True
