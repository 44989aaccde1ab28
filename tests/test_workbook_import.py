"""Import of the Inputs sheet: the lossless round trip and clear refusals of bad workbooks."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from model.cli import main
from model.loader import load, read_yaml, validate_raw
from reports import xlsx_import
from reports.export import with_scenario_sources
from reports.workbook import build_workbook_bytes
from reports.xlsx_import import MAX_BYTES, read_inputs

from .conftest import BASE
from .factories import tiny
from .test_workbook import INJECTIONS
from .workbook_helpers import (
    destination,
    export_one,
    export_shared,
    open_book,
    set_inputs,
    shipped,
    shipped_v1,
    v1,
)

SHIPPED = shipped() + shipped_v1()


def _book(tmp_path: Path, a: Any = None, name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(export_one(a if a is not None else load(BASE).assumptions))
    return path


@pytest.mark.parametrize(
    "lo",
    SHIPPED,
    ids=[lo.name + (" v1" if i > len(SHIPPED) // 2 else "") for i, lo in enumerate(SHIPPED)],
)
def test_round_trip_is_lossless_for_every_shipped_scenario(
    lo: Any, tmp_path: Path, shared_tmp: Path
) -> None:
    a = with_scenario_sources(lo)
    path = tmp_path / "book.xlsx"
    path.write_bytes(export_shared(shared_tmp, a, lo.name))
    assert read_inputs(path) == a


def test_round_trip_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book, out = tmp_path / "base.xlsx", tmp_path / "back.yaml"
    assert main(["export", str(BASE), "--xlsx", str(book)]) == 0
    assert main(["import-xlsx", str(book), "--yaml", str(out)]) == 0
    assert load(out).assumptions == load(BASE).assumptions
    assert read_yaml(out)["sources"] == read_yaml(BASE)["sources"]
    assert out.read_text().startswith("# Imported from the Inputs sheet of base.xlsx")


def test_every_digit_and_awkward_text_survive(tmp_path: Path) -> None:
    a = tiny(
        policy__share_rate=0.1 + 0.2,
        products__chip__asp_usd=1 / 3,
        products__chip__unit_cost_usd=2 / 3 * 100,
        products__chip__name=INJECTIONS[0],
        products__chip__vendor=INJECTIONS[1],
        horizon__fiscal_year_end_month=12,
        products__chip__licence_cap_units=1e-7,
        products__chip__share_rate=0.0,
    )
    a = a.model_copy(
        update={
            "sources": {
                "products.chip.asp_usd": INJECTIONS[2],
                "policy.share_rate": INJECTIONS[3],
                "custom.note": INJECTIONS[4],
                "products.chip.bom_usd_per_unit.mem": "  spaced  ",
            }
        }
    )
    back = read_inputs(_book(tmp_path, a))
    assert back == a
    again = validate_raw(yaml.safe_load(xlsx_import.assumptions_yaml(back, "x")), "x")
    assert again == a


def test_several_v2_scenarios_round_trip_tables_and_vendors_column_by_column(
    tmp_path: Path,
) -> None:
    """Scenarios whose batches, actuals and allocations switch differ: each column reads
    back to its own scenario (blank table cells are another scenario's rows)."""
    variants = [with_scenario_sources(lo) for lo in shipped()]
    path = tmp_path / "all.xlsx"
    path.write_bytes(
        build_workbook_bytes(
            variants, [f"s{k}" for k in range(len(variants))], [""] * len(variants)
        )
    )
    for k, a in enumerate(variants):
        assert read_inputs(path, str(k + 1)) == a


def test_edited_tables_are_read_back(tmp_path: Path) -> None:
    """A batch and an actual changed in the Inputs tables come back as the YAML changes."""
    a = load(BASE).assumptions
    src = _book(tmp_path, a)
    wb = open_book(src)
    ws = wb["Inputs"]
    rows = {c.value: c.row for c in ws["I"] if isinstance(c.value, str)}
    batch = rows["products.h200.china_allocations.1"]
    actual = rows["products.h200.actual_shipments.2026-07"]
    ws.cell(batch, 3).value = 35000
    ws.cell(actual, 2).value = dt.datetime(2026, 8, 1)
    ws.cell(actual, 3).value = 15000
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    back = read_inputs(out)
    h200 = back.product("h200")
    assert h200.china_allocations is not None and h200.china_allocations[1].units == 35000
    assert h200.actual_shipments is not None
    assert "2026-07" not in h200.actual_shipments and h200.actual_shipments["2026-08"] == 15000


def test_product_without_suppliers_and_digit_id_round_trip(tmp_path: Path) -> None:
    p = tiny().products[0]
    a = tiny().model_copy(
        update={"products": [p.model_copy(update={"id": "5090", "bom_usd_per_unit": {}}), p]}
    )
    assert read_inputs(_book(tmp_path, a)) == a


def test_several_scenarios_import_the_active_or_the_chosen_column(tmp_path: Path) -> None:
    los = [v1(stem) for stem in ("approved_now", "us_denies", "levy_struck_down")]
    variants = [with_scenario_sources(lo) for lo in los]
    path = tmp_path / "three.xlsx"
    path.write_bytes(build_workbook_bytes(variants, [lo.name for lo in los], [""] * len(los)))
    assert read_inputs(path) == variants[0]
    assert read_inputs(path, "2") == variants[1]
    assert read_inputs(path, los[2].name) == variants[2]
    switched = tmp_path / "switched.xlsx"
    set_inputs(path, switched, {"active_scenario": 3})
    assert read_inputs(switched) == variants[2]
    with pytest.raises(xlsx_import.InputError, match="no such scenario column"):
        read_inputs(path, "9")


def test_cells_a_person_may_type_are_read_as_meant(tmp_path: Path) -> None:
    src = _book(tmp_path)
    edited = tmp_path / "edited.xlsx"
    set_inputs(
        src,
        edited,
        {
            "timeline_china_approval": "2027-02",
            "timeline_us_approval": dt.datetime(2026, 6, 17),
            "policy_levy_ends": "None",
            "policy_mechanism": "Import_Tariff",
            "h200_production_paused": "false",
            "h20_quota_applies": "Yes",  # the schema's words for a switch typed as text
            "h200_licence_cap_units": 5,
            "horizon_months": 36.0,
            "h200_name": 200,
        },
    )
    a = read_inputs(edited)
    assert (a.timeline.china_approval, a.timeline.us_approval) == ("2027-02", "2026-06")
    assert a.policy.levy_ends is None and a.policy.mechanism == "import_tariff"
    assert a.products[0].production_paused is False
    assert next(p for p in a.products if p.id == "h20").quota_applies is True
    assert a.products[0].licence_cap_units == 5.0 and a.products[0].name == "200"
    assert isinstance(a.horizon.months, int)


# ---------------------------------------------------------------- refusals


def _edited(tmp_path: Path, values: dict[str, Any]) -> Path:
    out = tmp_path / "edited.xlsx"
    set_inputs(_book(tmp_path), out, values)
    return out


def _not_zip(tmp_path: Path) -> Path:
    p = tmp_path / "notes.xlsx"
    p.write_text("month,product\n")
    return p


def _old_xls(tmp_path: Path) -> Path:
    p = tmp_path / "old.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    return p


def _xlsm(tmp_path: Path) -> Path:
    p = tmp_path / "book.xlsm"
    p.write_bytes(_book(tmp_path).read_bytes())
    return p


def _macros_inside(tmp_path: Path) -> Path:
    p = _book(tmp_path, name="renamed.xlsx")
    with zipfile.ZipFile(p, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return p


def _other_zip(tmp_path: Path) -> Path:
    p = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "hello")
    return p


def _no_inputs(tmp_path: Path) -> Path:
    p = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.save(p)
    return p


def _too_big(tmp_path: Path) -> Path:
    p = tmp_path / "huge.xlsx"
    with p.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    return p


BAD = {
    "not a zip": (_not_zip, "not an .xlsx workbook (not a zip archive)"),
    "old binary xls": (_old_xls, "old binary .xls"),
    "macro-enabled xlsm": (_xlsm, "macro-enabled"),
    "macros inside an xlsx": (_macros_inside, "contains macros"),
    "zip of something else": (_other_zip, "not an .xlsx workbook"),
    "missing Inputs sheet": (_no_inputs, "has no sheet named 'Inputs' (sheets: Data)"),
    "over the size limit": (_too_big, "over the import limit of 20 MB"),
    "text in a numeric cell": (lambda t: _edited(t, {"h200_asp_usd": "27k"}), "Inputs!B"),
    "value out of range": (lambda t: _edited(t, {"policy_share_rate": 1.5}), "Inputs!B"),
    "missing file": (lambda t: t / "absent.xlsx", "file not found"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_workbooks_get_one_clear_message_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, expected = BAD[case]
    path = make(tmp_path)
    out = tmp_path / "out.yaml"
    out.write_text("untouched\n")
    assert main(["import-xlsx", str(path), "--yaml", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert str(path) in err[0]
    assert out.read_text() == "untouched\n"


def test_cell_messages_name_sheet_cell_input_and_rule(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        {
            "h200_asp_usd": "27k",
            "policy_share_rate": 1.5,
            "timeline_us_approval": "soon",
            "demand_backlog_retention": None,
            "h200_production_paused": 1,
            "h20_unit_cost_usd": 10.0,
            "timeline_ramp_months": 2.5,
        },
    )
    with pytest.raises(xlsx_import.InputError) as info:
        read_inputs(path)
    wb = open_book(path)
    text = {p.path.split(" ")[1]: str(p) for p in info.value.problems}

    def cell(name: str) -> str:
        return f"Inputs!{destination(wb, name)[1]} ({name})"

    assert set(text) == {
        f"({n})"
        for n in (
            "h200_asp_usd",
            "policy_share_rate",
            "timeline_us_approval",
            "demand_backlog_retention",
            "h200_production_paused",
            "h20_unit_cost_usd",
            "timeline_ramp_months",
        )
    }
    assert (
        cell("h200_asp_usd") + ": must be a number, not text (got '27k')" in text["(h200_asp_usd)"]
    )
    assert (
        cell("policy_share_rate") + ": Input should be less than or equal to 1"
        in text["(policy_share_rate)"]
    )
    assert "must be a date (a month) or 'never', not text" in text["(timeline_us_approval)"]
    assert "is empty: a value is required" in text["(demand_backlog_retention)"]
    assert "must be TRUE or FALSE" in text["(h200_production_paused)"]
    assert "bill of materials" in text["(h20_unit_cost_usd)"]
    assert "must be a whole number" in text["(timeline_ramp_months)"]


def test_a_formula_without_a_saved_result_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, {"h200_asp_usd": "=25000+2000"})
    with pytest.raises(xlsx_import.InputError, match="formula whose result was never saved"):
        read_inputs(path)


def test_output_path_is_checked_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["import-xlsx", str(_book(tmp_path)), "--yaml", str(tmp_path / "nowhere" / "a.yaml")])
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    assert main(["import-xlsx", str(_book(tmp_path)), "--yaml", str(tmp_path / "a.txt")]) == 2
    assert "must end in .yaml or .yml" in capsys.readouterr().err
