"""``project`` streams its CSV product by product into the output gate's temporary file:
the same bytes as the frame-built text, and the gate's rules kept (an existing output
is never damaged, nothing half-written is left, an input is never overwritten)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from model import fileio, load, project
from model.cli.core import _blocks, rolled_up, rolled_up_csv
from model.engine import Inputs
from model.engine import project as engine_project
from model.fileio import check_output, write_output_chunks
from model.gate import InputError
from model.outputs import (
    fiscal_calendars,
    long_csv,
    long_frame,
    metric_order,
    product_metric_names,
    to_csv_text,
)
from tests.conftest import BASE, SCENARIOS, disk_full
from tests.golden_cli import run_cli


def frame_text(scenario: Path | None = None) -> str:
    """The CSV as it was built before streaming: the whole frame, then its text."""
    return to_csv_text(long_frame(project(load(BASE, scenario))))


@pytest.mark.parametrize("scenario", [None, *SCENARIOS], ids=lambda s: s.stem if s else "base")
def test_streamed_text_is_the_frame_text(scenario: Path | None) -> None:
    p = project(load(BASE, scenario))
    assert "".join(long_csv(p)) == to_csv_text(long_frame(p))


def test_project_writes_the_frame_text_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    code, _, err = run_cli(["project", str(BASE), "--csv", str(out)])
    assert code == 0, err
    assert out.read_bytes() == frame_text().encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]


def test_project_to_standard_output_is_the_same_text() -> None:
    code, out, err = run_cli(["project", str(BASE), "--csv", "-"])
    assert code == 0, err
    assert out == frame_text()


def test_each_chunk_is_whole_lines() -> None:
    chunks = list(long_csv(project(load(BASE))))
    assert chunks[0] == "month,product,metric,value\n"
    assert len(chunks) == 1 + len(load(BASE).assumptions.products)
    assert all(c.endswith("\n") and not c.startswith("\n") for c in chunks)


def failing_after(n: int, exc: BaseException) -> Iterator[str]:
    for i in range(n):
        yield f"line {i}\n"
    raise exc


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()], ids=repr)
def test_an_error_mid_write_leaves_the_old_output_and_no_temporary_file(
    tmp_path: Path, exc: BaseException
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    with pytest.raises(type(exc)):
        write_output_chunks(str(out), failing_after(3, exc), option="--csv")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_an_error_mid_write_creates_no_new_file(tmp_path: Path) -> None:
    out = tmp_path / "new.csv"
    with pytest.raises(RuntimeError):
        write_output_chunks(str(out), failing_after(2, RuntimeError("boom")))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_mid_write_is_a_message_and_leaves_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")

    monkeypatch.setattr(fileio.os, "fsync", disk_full)
    with pytest.raises(InputError) as info:
        write_output_chunks(str(out), iter(["a\n", "b\n"]), option="--csv")
    (problem,) = info.value.problems
    assert problem.file == str(out) and problem.path == "--csv"
    assert "No space left" in problem.rule
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_standard_output_gets_nothing_from_a_failed_run(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(RuntimeError):
        write_output_chunks("-", failing_after(3, RuntimeError("boom")))
    assert capfd.readouterr().out == ""
    write_output_chunks("-", iter(["a,b\n", b"1,2\n"]))
    assert capfd.readouterr().out == "a,b\n1,2\n"


def test_a_replaced_output_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    out.chmod(0o604)
    write_output_chunks(check_output(str(out), "--csv"), iter(["new\n", "more\n"]))
    assert out.read_text() == "new\nmore\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o604


def test_the_input_is_never_the_output(tmp_path: Path) -> None:
    src = tmp_path / "base.yaml"
    src.write_bytes(BASE.read_bytes())
    before = src.read_bytes()
    with pytest.raises(InputError, match="is the input file"):
        write_output_chunks(str(src), iter(["x\n"]), inputs=[str(src)], option="--csv")
    code, _, err = run_cli(["project", str(src), "--csv", str(src)])
    assert code == 2 and "is the input file" in err
    link = tmp_path / "link.csv"
    os.symlink(src, link)
    code, _, err = run_cli(["project", str(src), "--csv", str(link)])
    assert code == 2 and "is the input file" in err
    assert src.read_bytes() == before


def test_a_failure_while_projecting_leaves_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    import model.outputs

    real = model.outputs.long_csv

    def breaks_after_two_products(p: Any, variant: int = 0) -> Iterator[str]:
        for i, chunk in enumerate(real(p, variant)):
            if i == 3:
                raise RuntimeError("the projection broke")
            yield chunk

    monkeypatch.setattr(model.outputs, "long_csv", breaks_after_two_products)
    code, _, err = run_cli(["project", str(BASE), "--csv", str(out)])
    assert code == 1 and "the projection broke" in err
    assert out.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


PERIODS = ["calendar_quarter", "calendar_year", "fiscal_quarter", "fiscal_year"]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("block", [1, 2, 3, 4, 100])
def test_a_roll_up_by_blocks_is_the_whole_roll_up(period: str, block: int) -> None:
    p = project(load(BASE))
    whole = to_csv_text(rolled_up(long_frame(p), period, fiscal_calendars(p)))
    assert "".join(rolled_up_csv(p, period, block)) == whole


def test_blocks_never_leave_a_product_alone() -> None:
    assert _blocks(5, 4) == [range(0, 5)]
    assert _blocks(5, 2) == [range(0, 2), range(2, 5)]
    assert _blocks(5, 1) == [range(0, 2), range(2, 5)]
    assert _blocks(6, 2) == [range(0, 2), range(2, 4), range(4, 6)]
    assert _blocks(1, 200) == [range(0, 1)]
    assert _blocks(0, 200) == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.stem)
def test_every_scenario_rolls_up_by_blocks_as_a_whole(scenario: Path) -> None:
    p = project(load(BASE, scenario))
    whole = to_csv_text(rolled_up(long_frame(p), "fiscal_quarter", fiscal_calendars(p)))
    assert "".join(rolled_up_csv(p, "fiscal_quarter", 2)) == whole


@pytest.mark.parametrize("period", ["calendar_quarter", "fiscal_year"])
def test_a_roll_up_by_blocks_orders_metrics_as_the_whole_projection(period: str) -> None:
    """Products reversed: the first has no China allocations, so the allowance comes after
    the suppliers in the whole frame, unlike in a later product's own rows."""
    a = load(BASE).assumptions
    reversed_products = a.model_copy(update={"products": list(reversed(a.products))})
    p = engine_project(Inputs.from_assumptions([reversed_products]))
    order = metric_order(p)
    own = [product_metric_names(p, j) for j in range(len(p.inputs.product_ids))]
    assert any(names != sorted(names, key=order.index) for names in own)
    whole = to_csv_text(rolled_up(long_frame(p), period, fiscal_calendars(p)))
    assert "".join(rolled_up_csv(p, period, 2)) == whole


@pytest.mark.parametrize("period", ["month", "fiscal_year"])
def test_project_roll_ups_write_the_whole_text(tmp_path: Path, period: str) -> None:
    out = tmp_path / "p.csv"
    code, _, err = run_cli(["project", str(BASE), "--csv", str(out), "--period", period])
    assert code == 0, err
    p = project(load(BASE))
    frame = long_frame(p)
    if period != "month":
        frame = rolled_up(frame, period, fiscal_calendars(p))
    assert out.read_bytes() == to_csv_text(frame).encode("utf-8")
    assert [f.name for f in tmp_path.iterdir()] == ["p.csv"]
