"""Hostile input: nothing lost, nothing hung, nothing silently wrong.

Every attack here must end in one of two ways: success with finite outputs, or an
:class:`InputError` (exit status 2 on the command line) whose message names the
file and the field. Never a traceback, never a hang, never a changed input file and
never a changed or half-written pre-existing output file.

Most cases run in-process for speed; a handful go through ``python -m model`` in a
subprocess, as a user would run them.
"""

from __future__ import annotations

import copy
import hashlib
import io
import math
import os
import re
import stat
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import fileio, gate
from model.fileio import check_output, neutralise_cell, write_output
from model.gate import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_VALUES,
    YAML_LIMIT,
    InputError,
    parse_yaml_text,
    read_text_limited,
    read_yaml,
)
from model.loader import load, load_scenario, load_set
from reports import xlsx_import
from reports.workbook import build_workbook_bytes
from reports.xlsx_import import import_inputs, read_inputs

from .conftest import ROOT, disk_full
from .factories import TINY, tiny

LOADERS = sorted({gate.GateLoader, gate.LOADER, gate.STREAMING_LOADER}, key=lambda c: c.__name__)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ---------------------------------------------------------------- helpers


def digest(*paths: Path) -> dict[str, str | None]:
    """Content hash of each path (None when absent): inputs and outputs must not change."""
    out: dict[str, str | None] = {}
    for p in paths:
        out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
    return out


def messages(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def refused(call: Callable[[], Any], *needles: str) -> list[str]:
    """Run ``call``; it must raise InputError whose messages hold every needle."""
    with pytest.raises(InputError) as info:
        call()
    msgs = messages(info)
    assert msgs, "an InputError without a message"
    text = "\n".join(msgs)
    for needle in needles:
        assert needle in text, text
    return msgs


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    with pytest.raises(InputError):
        call()
    return time.perf_counter() - start


# ---------------------------------------------------------------- files that cannot be read


def test_missing_file_folder_and_pipe_are_messages(tmp_path: Path) -> None:
    refused(lambda: read_yaml(tmp_path / "absent.yaml"), "absent.yaml", "file not found")
    refused(lambda: read_yaml(tmp_path), str(tmp_path), "is not a regular file")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result: list[Any] = []
    reader = threading.Thread(target=lambda: result.append(_outcome(lambda: read_yaml(fifo))))
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a pipe without a writer hung"
    assert "is not a regular file" in result[0]


def _outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except InputError as exc:
        return str(exc)
    return "accepted"


def test_unreadable_file_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write_yaml(tmp_path / "secret.yaml", TINY)
    p.chmod(0)
    if IS_ROOT:  # root reads whatever the permissions: the refusal the OS would give
        real_open = os.open

        def denied(path: Any, *args: Any, **kwargs: Any) -> int:
            if Path(path).name == "secret.yaml":
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(gate.os, "open", denied)
    refused(lambda: read_yaml(p), "secret.yaml", "permission denied")


def test_a_file_whose_read_fails_is_a_message() -> None:
    # /proc/self/mem is a regular file of size 0 whose first page cannot be read.
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs Linux /proc")
    refused(lambda: read_yaml("/proc/self/mem"), "/proc/self/mem", "cannot be read")


def test_fifty_megabyte_file_is_refused_at_once_without_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    line = b"  - {id: p, asp_usd: 1.5, name: a product name}\n"
    with big.open("wb") as fh:
        fh.write(b"products:\n")
        block = line * (1024 * 1024 // len(line))
        for _ in range(50):
            fh.write(block)
    tracemalloc.start()
    seconds = timed(lambda: read_yaml(big))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 0.5 and peak < 1024 * 1024, (seconds, peak)
    refused(
        lambda: read_yaml(big),
        "big.yaml",
        f"over the import limit of {YAML_LIMIT // (1024 * 1024)} MB for YAML files",
    )


def test_file_just_under_the_limit_is_parsed_within_bounded_time(tmp_path: Path) -> None:
    near = tmp_path / "near.yaml"
    line = "- [1, 2, 3, 4, 5, 6, 7, 8]\n"  # nine values a line
    near.write_text("rows:\n" + line * ((YAML_LIMIT - 1000) // len(line)))
    seconds = timed(lambda: read_yaml(near))
    assert seconds < 10, seconds
    refused(lambda: read_yaml(near), "near.yaml", f"holds more than {MAX_VALUES:,} values")


def test_text_that_is_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    p = tmp_path / "latin1.yaml"
    p.write_bytes("name: ok\ndescription: caf\xe9\n".encode("latin-1"))
    refused(lambda: read_yaml(p), "latin1.yaml", "not UTF-8", "line 2, column 17")
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfname: x\n")
    assert read_yaml(bom) == {"name": "x"}
    assert read_text_limited(bom, 100) == "name: x\n"


# ---------------------------------------------------------------- YAML structure


@pytest.mark.parametrize("loader", LOADERS, ids=[c.__name__ for c in LOADERS])
class TestYamlRules:
    def test_duplicate_keys_name_key_path_and_line(self, loader: type) -> None:
        text = "horizon:\n  start: 2026-01\n  months: 6\n  months: 60\n"
        (msg,) = refused(lambda: parse_yaml_text(text, "a.yaml", loader))
        assert msg == "a.yaml: horizon.months: duplicate key 'months' at line 4 (first at line 3)"
        (msg,) = refused(lambda: parse_yaml_text("a: 1\nb: 2\na: 3\n", "t.yaml", loader))
        assert "duplicate key 'a' at line 3 (first at line 1)" in msg

    def test_keys_equal_in_value_are_duplicates(self, loader: type) -> None:
        refused(
            lambda: parse_yaml_text("yes: 1\ntrue: 2\n", "b.yaml", loader),
            "b.yaml",
            "duplicate key True at line 2",
        )

    @pytest.mark.parametrize(
        "text",
        [
            "a: " + "[" * 10_000 + "]" * 10_000,
            "a: " + "{x: " * 10_000 + "1" + "}" * 10_000,
            "".join(" " * i + f"k{i}:\n" for i in range(10_000)),
            "".join(" " * i + "-\n" for i in range(10_000)),
        ],
        ids=["flow-lists", "flow-maps", "block-maps", "block-lists"],
    )
    def test_deep_nesting_is_refused_without_recursion_error(self, loader: type, text: str) -> None:
        (msg,) = refused(lambda: parse_yaml_text(text, "deep.yaml", loader), "deep.yaml")
        assert f"nested more than {MAX_DEPTH} levels deep" in msg

    def test_nesting_up_to_the_limit_is_read(self, loader: type) -> None:
        text = "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1)
        node = parse_yaml_text(f"a: {text}", "ok.yaml", loader)["a"]
        for _ in range(MAX_DEPTH - 2):
            node = node[0]
        assert node == [1]

    def test_billion_laughs_is_refused_at_once(self, loader: type) -> None:
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for i in range(1, 9):
            prev, cur = chr(96 + i), chr(97 + i)
            lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
        text = "\n".join(lines) + "\n"
        tracemalloc.start()
        seconds = timed(lambda: parse_yaml_text(text, "lol.yaml", loader))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert seconds < 1 and peak < 10 * 1024 * 1024, (seconds, peak)
        refused(lambda: parse_yaml_text(text, "lol.yaml", loader), "lol.yaml", "values")

    def test_more_aliases_than_the_budget_are_refused(self, loader: type) -> None:
        text = "a: &x 1\nb: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
        refused(lambda: parse_yaml_text(text, "al.yaml", loader), f"more than {MAX_ALIASES}")
        ok = "a: &x 1\nb: [" + ", ".join(["*x"] * MAX_ALIASES) + "]\n"
        assert len(parse_yaml_text(ok, "al.yaml", loader)["b"]) == MAX_ALIASES

    def test_self_referencing_alias_is_refused(self, loader: type) -> None:
        refused(lambda: parse_yaml_text("a: &a [1, *a]\n", "c.yaml", loader), "a cycle")
        refused(lambda: parse_yaml_text("a: &a {b: *a}\n", "c.yaml", loader), "a cycle")

    @pytest.mark.parametrize(
        ("text", "needle"),
        [
            ("a: 2026-02-30\n", "cannot be read"),
            ("a: " + "9" * 5000 + "\n", "cannot be read"),
            ("a: !!python/object/apply:os.system [ls]\n", "could not determine a constructor"),
            ("a: 1\n---\nb: 2\n", "expected a single document"),
            ("a: *nowhere\n", "undefined alias"),
            ("a: '\x07'\n", "malformed YAML"),
            ("a: [1, 2\n", "malformed YAML at line"),
        ],
        ids=[
            "impossible-date",
            "huge-integer",
            "python-tag",
            "two-documents",
            "alias",
            "bell",
            "eof",
        ],
    )
    def test_malformed_yaml_is_a_message(self, loader: type, text: str, needle: str) -> None:
        refused(lambda: parse_yaml_text(text, "m.yaml", loader), "m.yaml", needle)

    def test_merge_keys_and_a_few_aliases_stay_valid(self, loader: type) -> None:
        text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\nmore: *b\n"
        assert parse_yaml_text(text, "ok.yaml", loader) == {
            "base": {"x": 1, "y": 2},
            "other": {"x": 3, "y": 2},
            "more": {"x": 1, "y": 2},
        }


def test_shipped_files_pass_the_gate() -> None:
    files = sorted((ROOT / "assumptions").rglob("*.yaml"))
    assert files
    for f in files:
        for loader in LOADERS:
            parse_yaml_text(f.read_text(encoding="utf-8"), str(f), loader)


# ---------------------------------------------------------------- random structures


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT
    | st.sampled_from(
        ["2026-01", "never", "0000-01", "9999-12", "2026-13", " 2026-01", "1e400", "=1+1", ""]
    )
    | st.dates()
)
_KEYS = (
    st.sampled_from(
        [
            "horizon",
            "start",
            "months",
            "policy",
            "products",
            "id",
            "asp_usd",
            "name",
            "overrides",
            "scenarios",
            "scenario",
            "probability",
            "distributions",
            "kind",
            "low",
            "high",
            "values",
            "probabilities",
            "sources",
        ]
    )
    | _TEXT
)
_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=25,
)


def _leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _leaf_paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _leaf_paths(v, (*prefix, i))


TINY_PATHS = list(_leaf_paths(TINY))


@st.composite
def mutated_tiny(draw: st.DrawFn) -> dict[str, Any]:
    """TINY with a few values replaced by random structures or removed."""
    raw = copy.deepcopy(TINY)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(TINY_PATHS))
        node: Any = raw
        try:
            for part in path[:-1]:
                node = node[part]
            if draw(st.booleans()) and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(_TREES)
        except (KeyError, IndexError, TypeError):
            continue
    return raw


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    write_yaml(d / "base.yaml", TINY)
    write_yaml(d / "sc.yaml", {"name": "ok", "overrides": {"policy.share_rate": 0.1}})
    return d


def _only_input_errors(call: Callable[[], Any], name: str) -> Any:
    """Success, or an InputError whose every message names the file."""
    try:
        return call()
    except InputError as exc:
        assert exc.problems
        for p in exc.problems:
            assert name in str(p), str(p)
        return None


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _risk_loader() -> Callable[[str | Path, Any], Any]:
    from model.risk.schema import load_risk

    return load_risk


@SETTINGS
@given(raw=mutated_tiny())
def test_random_assumptions_give_success_or_a_message(workdir: Path, raw: dict[str, Any]) -> None:
    path = workdir / "assumptions.yaml"
    path.write_text(_dump(raw), encoding="utf-8")
    loaded = _only_input_errors(lambda: load(path), "assumptions.yaml")
    if loaded is not None:
        from model.engine import Inputs, project
        from model.outputs import long_frame

        values = long_frame(project(Inputs.from_assumptions([loaded.assumptions])))["value"]
        assert values.map(math.isfinite).all()


@SETTINGS
@given(
    overrides=st.dictionaries(
        st.sampled_from(
            [
                "policy.share_rate",
                "horizon.start",
                "horizon.months",
                "timeline.us_approval",
                "products.chip.asp_usd",
                "products.chip.bom_usd_per_unit.mem",
                "products.chip.name",
                "products.none.asp_usd",
                "discount_rate",
            ]
        )
        | _TEXT,
        _TREES,
        max_size=4,
    ),
    extra=st.dictionaries(_KEYS, _TREES, max_size=2),
)
def test_random_scenarios_give_success_or_a_message(
    workdir: Path, overrides: dict[str, Any], extra: dict[str, Any]
) -> None:
    path = workdir / "scenario.yaml"
    path.write_text(_dump({"name": "random", **extra, "overrides": overrides}), encoding="utf-8")
    _only_input_errors(lambda: load(workdir / "base.yaml", path), "yaml")


@SETTINGS
@given(
    entries=st.lists(
        st.fixed_dictionaries(
            {"scenario": st.sampled_from(["sc.yaml", "absent.yaml", "base.yaml"]) | _TREES},
            optional={"probability": _SCALARS},
        )
        | _TREES,
        max_size=4,
    ),
    name=_SCALARS,
)
def test_random_sets_give_success_or_a_message(
    workdir: Path, entries: list[Any], name: Any
) -> None:
    path = workdir / "set.yaml"
    path.write_text(_dump({"name": name, "scenarios": entries}), encoding="utf-8")
    _only_input_errors(lambda: load_set(path), "set.yaml")


@SETTINGS
@given(
    dists=st.dictionaries(
        st.sampled_from(
            [
                "policy.share_rate",
                "timeline.us_approval",
                "timeline.ramp_months",
                "products.*.asp_usd",
                "products.*.production_paused",
                "products.*.licence_cap_units",
                "nowhere",
            ]
        )
        | _TEXT,
        st.fixed_dictionaries(
            {"kind": st.sampled_from(["uniform", "triangular", "normal", "discrete"]) | _TREES},
            optional={
                "low": _SCALARS,
                "mode": _SCALARS,
                "high": _SCALARS,
                "mean": _SCALARS,
                "sd": _SCALARS,
                "values": _TREES,
                "probabilities": _TREES,
                "never": _SCALARS,
                "apply": _SCALARS,
                "source": _SCALARS,
            },
        )
        | _TREES,
        max_size=3,
    ),
    correlations=_TREES,
)
def test_random_risk_files_give_success_or_a_message(
    workdir: Path, dists: dict[str, Any], correlations: Any
) -> None:
    load_risk = _risk_loader()
    path = workdir / "risk.yaml"
    doc = {"name": "r", "distributions": dists, "correlations": correlations}
    path.write_text(_dump(doc), encoding="utf-8")
    _only_input_errors(lambda: load_risk(path, tiny()), "risk.yaml")


@SETTINGS
@given(data=st.binary(max_size=300) | _TEXT.map(lambda t: t.encode("utf-8", "replace")))
def test_random_bytes_give_success_or_a_message(workdir: Path, data: bytes) -> None:
    path = workdir / "noise.yaml"
    path.write_bytes(data)
    _only_input_errors(lambda: load(path), "noise.yaml")
    _only_input_errors(lambda: load_scenario(path), "noise.yaml")
    _only_input_errors(lambda: load_set(path), "noise.yaml")
    _only_input_errors(lambda: _risk_loader()(path, tiny()), "noise.yaml")


# ---------------------------------------------------------------- risk files and history


def _risk_problems(tmp_path: Path, dist: dict[str, Any], path: str = "policy.share_rate") -> str:
    f = write_yaml(tmp_path / "risk.yaml", {"name": "r", "distributions": {path: dist}})
    with pytest.raises(InputError) as info:
        _risk_loader()(f, tiny())
    return "\n".join(messages(info))


@pytest.mark.parametrize(
    ("dist", "field"),
    [
        ({"kind": "discrete", "values": [0.1, 0.2], "probabilities": ["0.5", "0.5"]}, "0"),
        ({"kind": "discrete", "values": [0.1, 0.2], "probabilities": [True, False]}, "0"),
        ({"kind": "discrete", "values": [0.1, float("nan")], "probabilities": [0.5, 0.5]}, "1"),
        ({"kind": "uniform", "low": True, "high": 0.3}, "low"),
        ({"kind": "uniform", "low": 0.1, "high": float("inf")}, "high"),
        ({"kind": "triangular", "low": 0.1, "mode": "0.2", "high": 0.3}, "mode"),
        ({"kind": "normal", "mean": float("nan"), "sd": 0.1}, "mean"),
        ({"kind": "normal", "mean": 0.2, "sd": "0.1"}, "sd"),
        ({"kind": "normal", "mean": 0.2, "sd": 0.1, "high": float("inf")}, "high"),
    ],
    ids=[
        "probability-text",
        "probability-bool",
        "value-nan",
        "low-bool",
        "high-inf",
        "mode-text",
        "mean-nan",
        "sd-text",
        "truncation-inf",
    ],
)
def test_risk_numbers_are_numbers_and_finite(
    tmp_path: Path, dist: dict[str, Any], field: str
) -> None:
    text = _risk_problems(tmp_path, dist)
    assert "risk.yaml: distributions.policy.share_rate." in text and field in text, text


def test_risk_non_finite_for_integer_and_correlation_is_named(tmp_path: Path) -> None:
    text = _risk_problems(
        tmp_path,
        {"kind": "discrete", "values": [1, float("inf")], "probabilities": [0.5, 0.5]},
        "timeline.ramp_months",
    )
    assert "distributions.timeline.ramp_months.values.1: must be a finite number" in text
    f = write_yaml(
        tmp_path / "corr.yaml",
        {
            **RISK,
            "distributions": {
                **RISK["distributions"],
                "demand.erosion_per_month": {"kind": "uniform", "low": 0.0, "high": 0.1},
            },
            "correlations": [
                {"between": ["policy.share_rate", "demand.erosion_per_month"], "rho": ".nan"}
            ],
        },
    )
    f.write_text(f.read_text().replace("'.nan'", ".nan"))
    refused(lambda: _risk_loader()(f, tiny()), "corr.yaml", "correlations.0.rho", "finite")


HISTORY_HEAD = "fiscal_quarter,revenue_usd_billions,verified,source\n"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1e400", "finite number"),
        ("inf", "must be a number >= 0"),
        ("nan", "must be a number >= 0"),
        ("true", "must be a number >= 0"),
        ("1_000", "must be a number >= 0"),
        ("0x10", "must be a number >= 0"),
    ],
)
def test_history_revenue_must_be_a_plain_finite_number(value: str, rule: str) -> None:
    from model.risk.forecast import parse_history

    rows = "".join(f"FY2025-Q{q},{1 + q / 10},true,s\n" for q in range(1, 5))
    text = HISTORY_HEAD + rows + f"FY2026-Q1,{value},true,s\n"
    refused(lambda: parse_history(text, "h.csv"), "h.csv: line 6.revenue_usd_billions", rule, value)


def test_history_file_limits(tmp_path: Path) -> None:
    from model.risk.forecast import load_history

    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(6 * 1024 * 1024)
    refused(lambda: load_history(big), "big.csv", "over the import limit of 5 MB for CSV files")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        HISTORY_HEAD.encode() + "FY2025-Q1,1,true,Bundesbank \xe9\n".encode("latin-1")
    )
    refused(lambda: load_history(latin), "latin.csv", "not UTF-8", "line 2")
    nul = tmp_path / "nul.csv"
    nul.write_bytes(HISTORY_HEAD.encode() + b"FY2025-Q1,1,true,a\x00b\n")
    refused(lambda: load_history(nul), "nul.csv")


# ---------------------------------------------------------------- the output gate


def _paths_to(target: Path, tmp_path: Path) -> list[str]:
    """Other ways of writing ``target``: through ``..``, a symbolic link, a hard link."""
    (tmp_path / "sub").mkdir(exist_ok=True)
    link = tmp_path / "link.yaml"
    hard = tmp_path / "hard.yaml"
    if not link.exists():
        link.symlink_to(target)
    if not hard.exists():
        os.link(target, hard)
    return [str(target), str(tmp_path / "sub" / ".." / target.name), str(link), str(hard)]


def test_an_output_that_is_an_input_is_refused_every_way(tmp_path: Path) -> None:
    src = write_yaml(tmp_path / "base.yaml", TINY)
    before = digest(src)
    for spelled in _paths_to(src, tmp_path):
        refused(
            lambda spelled=spelled: write_output(spelled, "x\n", inputs=[src], option="--csv"),
            spelled,
            "--csv",
            "is the input file",
        )
        refused(lambda spelled=spelled: check_output(spelled, "--json", [str(src)]), "--json")
    assert digest(src) == before


def test_existing_output_is_replaced_atomically_and_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    out.chmod(0o604)
    write_output(str(out), "new\n")
    assert out.read_text() == "new\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o604
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_new_output_honours_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert fileio.current_umask() == 0o027
        write_output(str(tmp_path / "new.csv"), "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_output_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")

    monkeypatch.setattr(fileio.os, "replace", disk_full)
    refused(lambda: write_output(str(out), "new\n", option="--csv"), "out.csv", "No space left")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_missing_or_read_only_folder_is_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused(
        lambda: check_output(str(tmp_path / "nowhere" / "o.csv"), "--csv"),
        "--csv",
        "does not exist",
    )
    refused(lambda: check_output(str(tmp_path), "--csv"), "is a directory")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if not IS_ROOT:
        refused(lambda: check_output(str(locked / "o.csv"), "--csv"), "not writable")

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fileio.tempfile, "mkstemp", denied)  # what root cannot see
    refused(lambda: write_output(str(locked / "o.csv"), "x", option="--csv"), "permission denied")
    assert list(locked.iterdir()) == []


def test_dash_means_standard_output(capfd: pytest.CaptureFixture[str]) -> None:
    out = check_output("-", "--csv")
    assert out.is_stdout
    write_output(out, "a,b\n1,2\n")
    assert capfd.readouterr().out == "a,b\n1,2\n"


def test_devices_are_written_and_never_replaced(tmp_path: Path) -> None:
    null = os.stat("/dev/null")
    assert check_output("/dev/null", "--csv").kind == "device"
    write_output("/dev/null", "discarded\n")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == null.st_rdev
    assert after.st_ino == null.st_ino
    if Path("/dev/full").exists():
        refused(lambda: write_output("/dev/full", "x" * 10_000, option="--csv"), "/dev/full")
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
def test_a_device_node_in_a_folder_is_written_not_replaced(tmp_path: Path) -> None:
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    write_output(str(node), "discarded\n")
    assert stat.S_ISCHR(node.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_a_named_pipe_is_written_and_kept(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    refused(lambda: write_output(str(fifo), "x"), "pipe that nobody reads")  # no hang
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    deadline = time.monotonic() + 10
    while True:  # the reader opens the pipe a moment after it starts
        try:
            write_output(str(fifo), "through the pipe\n")
            break
        except InputError:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    reader.join(timeout=10)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ---------------------------------------------------------------- CSV formula injection


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-inf", "'-inf"),
        ("-5", "-5"),
        ("+1.5e3", "+1.5e3"),
        ("-.5", "-.5"),
        ("plain", "plain"),
        ("", ""),
        (-5.0, -5.0),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise_cell_follows_owasp(cell: Any, expected: Any) -> None:
    assert neutralise_cell(cell) == expected


# ---------------------------------------------------------------- workbooks


@pytest.fixture(scope="module")
def book_bytes() -> bytes:
    return build_workbook_bytes([tiny()], ["base"], [""])


@pytest.fixture(scope="module")
def multi_bytes() -> bytes:
    variants = [tiny(), tiny(policy__share_rate=0.1), tiny(policy__share_rate=0.2)]
    return build_workbook_bytes(variants, ["a", "b", "c"], ["", "", ""])


def _inputs_part(data: bytes) -> str:
    """The zip member holding the Inputs sheet."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    book = zf.read("xl/workbook.xml").decode()
    rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet name="Inputs"[^>]*r:id="(rId\d+)"', book)
    assert rid
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    assert target
    return "xl/" + target.group(1).removeprefix("/xl/")


def _named_cell(data: bytes, name: str) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ((_, coord),) = wb.defined_names[name].destinations
    return coord.replace("$", "")


def _with_cell_xml(data: bytes, coord: str, value: bytes) -> bytes:
    """The workbook with the number in cell ``coord`` of the Inputs sheet replaced."""
    part = _inputs_part(data)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == part:
                body, n = re.subn(
                    rb'(<c r="' + coord.encode() + rb'"[^>]*>)<v>[^<]*</v>',
                    rb"\1<v>" + value + rb"</v>",
                    body,
                )
                assert n == 1
            dst.writestr(item.filename, body)
    return out.getvalue()


def _zip_bomb(path: Path, book: bytes, megabytes: int) -> Path:
    """The workbook with its Inputs sheet replaced by ``megabytes`` of repeated rows."""
    part = _inputs_part(book)
    src = zipfile.ZipFile(io.BytesIO(book))
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>lol</t></is></c></row>'
    block = row * (1024 * 1024 // len(row))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != part:
                dst.writestr(item.filename, src.read(item.filename))
                continue
            info = zipfile.ZipInfo(part)
            info.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(info, "w", force_zip64=True) as fh:
                fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/')
                fh.write(b'spreadsheetml/2006/main"><sheetData>')
                for _ in range(megabytes):
                    fh.write(block)
                fh.write(b"</sheetData></worksheet>")
    return path


def test_zip_bomb_is_refused_at_once_with_bounded_memory(tmp_path: Path, book_bytes: bytes) -> None:
    bomb = _zip_bomb(tmp_path / "bomb.xlsx", book_bytes, 190)
    assert bomb.stat().st_size < 1024 * 1024
    assert sum(i.file_size for i in zipfile.ZipFile(bomb).infolist()) > 190 * 1024 * 1024
    tracemalloc.start()
    seconds = timed(lambda: read_inputs(bomb))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 1 and peak < 5 * 1024 * 1024, (seconds, peak)
    refused(lambda: read_inputs(bomb), "bomb.xlsx", "possible zip bomb")


def test_workbook_expanding_beyond_the_budget_is_refused(tmp_path: Path, book_bytes: bytes) -> None:
    p = tmp_path / "wide.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as dst:
        src = zipfile.ZipFile(io.BytesIO(book_bytes))
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
        for k in range(60):  # each member under the ratio floor, together 60 MB
            dst.writestr(f"xl/media/pad{k}.bin", b"\0" * (1024 * 1024))
    refused(lambda: read_inputs(p), "wide.xlsx", "more than the 50 MB a workbook may hold")


def test_workbook_with_too_many_members_is_refused(tmp_path: Path, book_bytes: bytes) -> None:
    p = tmp_path / "many.xlsx"
    with zipfile.ZipFile(p, "w") as dst:
        src = zipfile.ZipFile(io.BytesIO(book_bytes))
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
        for k in range(xlsx_import.MAX_MEMBERS):
            dst.writestr(f"xl/media/m{k}.bin", b"")
    refused(lambda: read_inputs(p), "many.xlsx", "files, more than a workbook's")


def test_encrypted_or_damaged_zip_is_refused(tmp_path: Path, book_bytes: bytes) -> None:
    p = tmp_path / "locked.xlsx"
    # zipfile cannot encrypt: set the "encrypted" flag of every central-directory entry
    data = bytearray(book_bytes)
    for m in re.finditer(rb"PK\x01\x02", book_bytes):
        data[m.start() + 8] |= 0x1
    p.write_bytes(bytes(data))
    refused(lambda: read_inputs(p), "locked.xlsx", "is encrypted")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(book_bytes[: len(book_bytes) // 2])
    refused(lambda: read_inputs(cut), "cut.xlsx")
    refused(lambda: read_inputs(tmp_path / "absent.xlsx"), "absent.xlsx", "file not found")


@pytest.mark.parametrize("value", [b"1e400", b"-1e400", b"NaN", b"inf"])
def test_non_finite_cell_is_refused_naming_sheet_and_cell(
    tmp_path: Path, book_bytes: bytes, value: bytes
) -> None:
    coord = _named_cell(book_bytes, "policy_share_rate")
    p = tmp_path / "nonfinite.xlsx"
    p.write_bytes(_with_cell_xml(book_bytes, coord, value))
    refused(lambda: read_inputs(p), "nonfinite.xlsx", f"Inputs!{coord}", "finite number")


def test_typing_over_the_shown_value_column_is_a_warning(
    tmp_path: Path, multi_bytes: bytes
) -> None:
    src = tmp_path / "three.xlsx"
    src.write_bytes(multi_bytes)
    clean = import_inputs(src)
    assert clean.warnings == () and clean.assumptions == tiny()
    wb = openpyxl.load_workbook(src)
    coord = _named_cell(multi_bytes, "policy_share_rate")
    wb["Inputs"][coord] = 0.33  # the shown column, over its INDEX formula
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    got = import_inputs(edited)
    assert got.assumptions.policy.share_rate == 0.25  # scenario 1's column, as documented
    (warning,) = got.warnings
    assert f"Inputs!{coord} (policy_share_rate)" in warning and "0.33" in warning
    assert "edited.xlsx" in warning and "scenario 'a'" in warning


# ---------------------------------------------------------------- the command line

RISK = {
    "name": "r",
    "distributions": {"policy.share_rate": {"kind": "uniform", "low": 0.1, "high": 0.3}},
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A tiny base, a scenario, a set, a risk file and a history file, in a fresh folder."""
    from model.shipped import HISTORY

    (tmp_path / "sub").mkdir()
    out = {
        "base": write_yaml(tmp_path / "base.yaml", TINY),
        "scenario": write_yaml(
            tmp_path / "sc.yaml", {"name": "low", "overrides": {"policy.share_rate": 0.1}}
        ),
        "risk": write_yaml(tmp_path / "risk.yaml", RISK),
        "history": tmp_path / "history.csv",
    }
    out["set"] = write_yaml(
        tmp_path / "set.yaml",
        {"name": "s", "scenarios": [{"scenario": "sc.yaml", "probability": 1.0}]},
    )
    out["history"].write_bytes(HISTORY.read_bytes())
    return out


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``python -m model`` in-process: exit status, standard output and error."""
    from model.cli import main

    rc = main(argv)
    got = capsys.readouterr()
    return rc, got.out, got.err


def assert_refused(rc: int, err: str, *needles: str) -> None:
    """Exit 2, a message per line starting 'error:', naming what it must, no traceback."""
    assert rc == 2, err
    assert "Traceback" not in err and "unexpected failure" not in err, err
    assert all(line.startswith("error: ") for line in err.strip().splitlines()), err
    for needle in needles:
        assert needle in err, err


def _spellings(target: Path) -> list[str]:
    """The same file as written directly, through ``sub/..`` and through a symbolic link."""
    link = target.parent / f"link-to-{target.stem}.out"
    if not link.exists():
        link.symlink_to(target.name)
    return [str(target), str(target.parent / "sub" / ".." / target.name), str(link)]


COMMANDS_WRITING = {
    "project --csv": lambda f, out: ["project", str(f["base"]), "--csv", out],
    "project --scenario --csv": lambda f, out: [
        "project",
        str(f["base"]),
        "--scenario",
        str(f["scenario"]),
        "--csv",
        out,
    ],
    "summary --csv": lambda f, out: ["summary", str(f["base"]), "--csv", out],
    "summary --set --csv": lambda f, out: [
        "summary",
        str(f["base"]),
        "--set",
        str(f["set"]),
        "--csv",
        out,
    ],
    "simulate --json": lambda f, out: [
        "simulate",
        str(f["base"]),
        "--risk",
        str(f["risk"]),
        "--paths",
        "200",
        "--quiet",
        "--json",
        out,
    ],
    "forecast --csv": lambda f, out: [
        "forecast",
        str(f["base"]),
        "--vendor",
        "Vendor",
        "--history",
        str(f["history"]),
        "--csv",
        out,
    ],
    "forecast --json": lambda f, out: [
        "forecast",
        str(f["base"]),
        "--vendor",
        "Vendor",
        "--history",
        str(f["history"]),
        "--json",
        out,
    ],
}
#: Which input each command is asked to overwrite.
TARGETS = {
    "project --csv": ["base"],
    "project --scenario --csv": ["scenario"],
    "summary --csv": ["base"],
    "summary --set --csv": ["set", "scenario"],  # the set's member, named inside the set
    "simulate --json": ["risk", "base"],
    "forecast --csv": ["history"],
    "forecast --json": ["history", "base"],
}


@pytest.mark.parametrize("command", list(COMMANDS_WRITING))
def test_no_command_writes_over_its_input(
    command: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before = digest(*files.values())
    for key in TARGETS[command]:
        for spelled in _spellings(files[key]):
            rc, _, err = cli(COMMANDS_WRITING[command](files, spelled), capsys)
            assert_refused(rc, err, spelled, "is the input file")
    assert digest(*files.values()) == before


def test_a_failed_command_leaves_the_previous_output(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    bad = write_yaml(tmp_path / "bad.yaml", {"name": "x", "overrides": {"policy.share_rate": 7}})
    rc, _, err = cli(
        ["project", str(files["base"]), "--scenario", str(bad), "--csv", str(out)], capsys
    )
    assert_refused(rc, err, "bad.yaml", "policy.share_rate")
    assert out.read_text() == "previous\n"


def test_forecast_outputs_must_differ_and_may_go_to_standard_output(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    same = str(tmp_path / "both.out")
    args = [
        "forecast",
        str(files["base"]),
        "--vendor",
        "Vendor",
        "--history",
        str(files["history"]),
    ]
    rc, _, err = cli([*args, "--json", same, "--csv", same], capsys)
    assert_refused(rc, err, "--csv", "same file as --json")
    rc, _, err = cli([*args, "--json", "-", "--csv", "-"], capsys)
    assert_refused(rc, err, "same file as --json")
    rc, out, err = cli([*args, "--csv", "-"], capsys)
    assert rc == 0, err
    assert out.startswith("fiscal_quarter,") and "China revenue by fiscal quarter" in err


def test_the_same_scenario_twice_is_refused(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sc = str(files["scenario"])
    rc, _, err = cli(["summary", str(files["base"]), "--scenario", sc, "--scenario", sc], capsys)
    assert_refused(rc, err, "sc.yaml", "name", "unique")
    twice = write_yaml(
        tmp_path / "twice.yaml",
        {
            "name": "t",
            "scenarios": [
                {"scenario": "sc.yaml", "probability": 0.5},
                {"scenario": "sc.yaml", "probability": 0.5},
            ],
        },
    )
    rc, _, err = cli(["summary", str(files["base"]), "--set", str(twice)], capsys)
    assert_refused(rc, err, "sc.yaml", "unique")


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "2026-1", " 2026-01", "2026-13"])
def test_impossible_months_are_a_message(
    month: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = copy.deepcopy(TINY)
    raw["horizon"]["start"] = month
    base = write_yaml(tmp_path / "months.yaml", raw)
    out = tmp_path / "o.csv"
    rc, _, err = cli(["project", str(base), "--csv", str(out)], capsys)
    assert_refused(rc, err, "months.yaml", "horizon.start")
    assert not out.exists()


def test_unreadable_inputs_are_messages(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = str(tmp_path / "o.csv")
    rc, _, err = cli(["project", str(tmp_path), "--csv", out], capsys)
    assert_refused(rc, err, str(tmp_path), "is not a regular file")
    rc, _, err = cli(
        ["project", str(files["base"]), "--scenario", "/proc/self/mem", "--csv", out], capsys
    )
    assert_refused(rc, err, "/proc/self/mem", "cannot be read")
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    rc, _, err = cli(["project", str(pipe), "--csv", out], capsys)
    assert_refused(rc, err, "pipe.yaml", "is not a regular file")
    rc, _, err = cli(["forecast", str(files["base"]), "--history", str(tmp_path)], capsys)
    assert_refused(rc, err, "is not a regular file")
    assert not Path(out).exists()


def test_read_only_output_folder_is_a_message(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if IS_ROOT:  # root writes anywhere: answer as the OS answers anyone else
        import model.fileio as fileio

        real_access = os.access
        monkeypatch.setattr(
            fileio.os,
            "access",
            lambda path, mode, **kw: False if Path(path) == locked else real_access(path, mode),
        )
    rc, _, err = cli(["project", str(files["base"]), "--csv", str(locked / "o.csv")], capsys)
    assert_refused(rc, err, "not writable")


def test_summary_csv_neutralises_formulas_and_keeps_negative_numbers(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import csv

    evil = write_yaml(
        tmp_path / "evil.yaml",
        {"name": '=HYPERLINK("http://x","y")', "overrides": {"timeline.us_approval": "2026-04"}},
    )
    rc, out, err = cli(
        ["summary", str(files["base"]), "--scenario", str(evil), "--csv", "-"], capsys
    )
    assert rc == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["scenario"] for r in rows} == {'\'=HYPERLINK("http://x","y")'}
    numbers = [r["cost_of_delay_usd"] for r in rows if r["cost_of_delay_usd"]]
    assert any(v.startswith("-") for v in numbers + [r["total_usd"] for r in rows]) or numbers
    for r in rows:
        for key, v in r.items():
            if key != "scenario" and v.startswith("-"):
                float(v)  # a negative number stays a number


def test_import_xlsx_prints_the_warning_for_a_typed_over_value(
    tmp_path: Path, multi_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "three.xlsx"
    src.write_bytes(multi_bytes)
    wb = openpyxl.load_workbook(src)
    wb["Inputs"][_named_cell(multi_bytes, "policy_share_rate")] = 0.33
    wb.save(src)
    rc, _, err = cli(["import-xlsx", str(src), "--yaml", str(tmp_path / "back.yaml")], capsys)
    assert rc == 0, err
    assert "warning: " in err and "0.33" in err and "policy_share_rate" in err
    rc, _, err = cli(["import-xlsx", str(src), "--yaml", str(src)], capsys)
    assert_refused(rc, err, "must end in .yaml")


# ---------------------------------------------------------------- end to end, as a user runs it


def run(
    *argv: str, cwd: Path, umask: int | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CHIP_EXPORT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "model", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def test_end_to_end_stdout_umask_devices_and_a_pipe(files: dict[str, Path], tmp_path: Path) -> None:
    res = run("project", "base.yaml", "--csv", "-", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("month,product,metric,value\n")
    assert "wrote standard output" in res.stderr
    res = run("project", "base.yaml", "--csv", "out.csv", cwd=tmp_path, umask=0o027)
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == 0o640
    null = os.stat("/dev/null")
    res = run("project", "base.yaml", "--csv", "/dev/null", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert os.stat("/dev/null").st_ino == null.st_ino and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    os.mkfifo(tmp_path / "nobody.csv")
    res = run("project", "base.yaml", "--csv", "nobody.csv", cwd=tmp_path, timeout=30)
    assert res.returncode == 2 and "pipe that nobody reads" in res.stderr
    assert stat.S_ISFIFO((tmp_path / "nobody.csv").stat().st_mode)


def test_end_to_end_names_of_open_files_are_written_in_order(
    files: dict[str, Path], tmp_path: Path
) -> None:
    expected = run("project", "base.yaml", "--csv", "-", cwd=tmp_path).stdout
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        res = subprocess.run(
            [sys.executable, "-m", "model", "project", "base.yaml", "--csv", "/dev/stderr"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=err,
            timeout=60,
        )
    assert res.returncode == 0
    text = log.read_text()
    assert expected in text and text.endswith("products)\n"), text[-300:]
    assert log.is_file() and not log.is_symlink()


def test_end_to_end_hostile_yaml_is_exit_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    (tmp_path / "dup.yaml").write_text(yaml.safe_dump(TINY) + "discount_rate: 0.5\n")
    with (tmp_path / "big.yaml").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    for name, needle in [
        ("deep.yaml", "nested more than"),
        ("dup.yaml", "duplicate key 'discount_rate'"),
        ("big.yaml", "over the import limit of 16 MB"),
    ]:
        res = run("project", name, "--csv", "o.csv", cwd=tmp_path)
        assert res.returncode == 2, res.stderr
        assert needle in res.stderr and name in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o.csv").exists()


def test_end_to_end_zip_bomb_is_refused_quickly_with_bounded_memory(
    tmp_path: Path, book_bytes: bytes
) -> None:
    _zip_bomb(tmp_path / "bomb.xlsx", book_bytes, 190)
    probe = (  # the libraries first: the figures are the refusal's own
        "import resource, sys, time\n"
        "from model.cli import main\n"
        "import model.cli.workbook, reports.xlsx_import, reports.inputs_sheet\n"
        "def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "before = rss()\n"
        "t = time.perf_counter()\n"
        "rc = main(sys.argv[1:])\n"
        "took = time.perf_counter() - t\n"
        "print(f'PROBE {took:.4f} {rss() - before:.1f}', file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-c", probe, "import-xlsx", "bomb.xlsx", "--yaml", "back.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "possible zip bomb" in res.stderr, res.stderr
    seconds, extra_mb = map(float, res.stderr.split("PROBE ")[1].split())
    assert seconds < 1 and extra_mb < 20, (seconds, extra_mb)
    assert not (tmp_path / "back.yaml").exists()


# ---------------------------------------------------------------- random history and workbooks


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["FY2025-Q1", "FY2025-Q2", "FY9999-Q4", "FY2025-Q5", ""]) | _TEXT,
            st.sampled_from(["1.5", "-1", "1e400", "nan", "true", ""]) | _TEXT,
            st.sampled_from(["true", "false", "maybe"]) | _TEXT,
            _TEXT,
        ),
        max_size=12,
    ),
    noise=st.binary(max_size=40),
)
def test_random_history_gives_a_frame_or_a_message(
    workdir: Path, rows: list[tuple[str, ...]], noise: bytes
) -> None:
    import csv

    from model.risk.forecast import load_history

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["fiscal_quarter", "revenue_usd_billions", "verified", "source"])
    writer.writerows(rows)
    path = workdir / "history.csv"
    path.write_bytes(buf.getvalue().encode("utf-8") + noise)
    frame = _only_input_errors(lambda: load_history(path), "history.csv")
    if frame is not None:
        assert frame["revenue_usd_billions"].map(math.isfinite).all()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_damaged_workbooks_give_assumptions_or_a_message(
    workdir: Path, book_bytes: bytes, data: st.DataObject
) -> None:
    inside = data.draw(st.booleans())  # damage the sheet's XML itself, or the zip
    part = _inputs_part(book_bytes)
    src = zipfile.ZipFile(io.BytesIO(book_bytes))
    raw = bytearray(src.read(part) if inside else book_bytes)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.sampled_from(list(b'<>"=/&;0123456789.eE-x ')) | st.integers(0, 255))
    path = workdir / "damaged.xlsx"
    if inside:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                body = bytes(raw) if item.filename == part else src.read(item.filename)
                dst.writestr(item.filename, body)
    else:
        path.write_bytes(bytes(raw))
    _only_input_errors(lambda: read_inputs(path), "damaged.xlsx")


@pytest.mark.parametrize("probability", ['"0.5"', "true", ".nan", "1e400"])
def test_scenario_probability_written_as_text_or_true_is_refused(
    tmp_path: Path, probability: str
) -> None:
    sc = tmp_path / "p.yaml"
    sc.write_text(f"name: p\nprobability: {probability}\noverrides: {{}}\n")
    refused(lambda: load_scenario(sc), "p.yaml", "probability")


@pytest.mark.parametrize("probability", ['"0.5"', "true", ".nan", ".inf"])
def test_set_probability_written_as_text_true_or_non_finite_is_refused(
    tmp_path: Path, probability: str
) -> None:
    (tmp_path / "a.yaml").write_text("name: a\noverrides: {}\n")
    s = tmp_path / "set.yaml"
    s.write_text(f"name: s\nscenarios:\n  - {{scenario: a.yaml, probability: {probability}}}\n")
    refused(lambda: load_set(s), "set.yaml", "probability")
