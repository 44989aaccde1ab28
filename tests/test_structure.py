"""The package's shape: a fast command line, the public API, one home per concept,
and an installed wheel that finds its shipped data."""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import model
from model import shipped
from model.analysis import PARTIES
from model.cli import build_parser, main
from model.cli.common import CommandParser

from .conftest import ROOT

HEAVY = ("pandas", "numpy", "statsmodels", "scipy")
COMMANDS = (
    "project",
    "summary",
    "validate",
    "simulate",
    "tornado",
    "forecast",
    "export",
    "import-xlsx",
)


def imported(*args: str) -> set[str]:
    """Top-level packages a fresh interpreter imports to run ``python -X importtime ARGS``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


# ---------------------------------------------------------------- command line


def test_help_imports_no_heavy_library() -> None:
    loaded = imported("-m", "model", "--help")
    assert "model" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_import_model_is_cheap() -> None:
    loaded = imported("-c", "import model")
    assert not loaded & {*HEAVY, "pydantic", "yaml"}


def test_every_command_is_listed_and_declares_its_options_when_used(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices)[: len(COMMANDS)] == COMMANDS
    for name in sub.choices:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: python -m model {name} ")
        assert "options:" in text and "--" in text


def test_a_command_parser_declares_once() -> None:
    calls: list[int] = []

    def declare(q: argparse.ArgumentParser) -> None:
        calls.append(1)
        q.add_argument("--n")

    p = CommandParser(prog="x", declare=declare)
    assert p.parse_args(["--n", "1"]).n == "1"
    assert "--n" in p.format_help()
    assert calls == [1]


def test_an_argument_error_exits_2_with_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["project", str(shipped.BASE), "--csv", "x.csv", "--period", "week"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m model project ")
    assert "invalid choice: 'week'" in err


# ---------------------------------------------------------------- public API


def test_public_api_is_the_core_functions() -> None:
    from model.analysis import run
    from model.loader import load
    from model.risk.simulate import simulate

    assert model.load is load
    assert model.summarise is run
    assert model.simulate is simulate
    assert {"load", "project", "summarise", "simulate"} <= set(dir(model))
    with pytest.raises(AttributeError):
        _ = model.no_such_name  # type: ignore[attr-defined]


def test_project_takes_assumptions_a_loaded_file_or_variants() -> None:
    import numpy as np

    from model.engine import Inputs
    from model.engine import project as engine_project

    lo = model.load(shipped.BASE)
    want = engine_project(Inputs.from_assumptions([lo.assumptions])).money.gross
    for what in (lo, lo.assumptions, [lo.assumptions]):
        got = model.project(what).money.gross
        np.testing.assert_array_equal(got, want)
    assert model.project([lo.assumptions] * 3).money.gross.shape[0] == 3


def test_risk_package_exports_resolve_and_load_statsmodels_only_on_use() -> None:
    import model.risk as risk

    for name in risk.__all__:
        assert getattr(risk, name) is not None, name
    assert "statsmodels" not in imported("-c", "import model.risk")


def test_the_monte_carlo_imports_pandas_only_for_its_frames() -> None:
    """pandas is imported where a frame is made (for ``simulate --json``, in the
    background while the kernel runs), not to draw or run paths nor to print the tables."""
    assert "pandas" not in imported("-c", "import model.risk.simulate, model.cli.risk")
    run = ["-m", "model", "simulate", str(shipped.BASE), "--risk", str(shipped.RISK)]
    assert "pandas" not in imported(*run, "--paths", "2000", "--quiet")


def test_simulate_does_not_import_the_dask_runner() -> None:
    tree = ast.parse((ROOT / "model" / "risk" / "simulate.py").read_text())
    names = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
    }
    assert not [n for n in names if "dask" in n]


# ---------------------------------------------------------------- one home per concept


def test_party_labels_and_keys_come_from_the_core_table() -> None:
    from model.analysis import party_keys, party_label

    for p in PARTIES:
        assert party_label(p.key) == p.label
    assert party_label("supplier:hbm") == "Supplier hbm"
    a = model.load(shipped.BASE).assumptions
    keys = party_keys(a)
    assert keys[: len(PARTIES)] == [p.key for p in PARTIES]
    assert keys[len(PARTIES) :] == [f"supplier:{s}" for s in a.supplier_ids]


def test_shipped_paths_exist() -> None:
    assert shipped.BASE.is_file() and shipped.RISK.is_file() and shipped.HISTORY.is_file()
    for folder in (shipped.SCENARIOS_DIR, shipped.SETS_DIR, shipped.HISTORY_DIR):
        assert folder.is_dir()
    assert shipped.scenarios() and shipped.scenario_sets()
    assert shipped.EXPECTED_VALUE_SET in shipped.scenario_sets()


def test_every_package_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("model", "reports", "webapp")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert set(config["packages"]) == found | {shipped.PACKAGE}
    assert config["package-dir"][shipped.PACKAGE] == "assumptions"


@pytest.mark.slow
def test_an_installed_wheel_finds_its_shipped_data(tmp_path: Path) -> None:
    """Build the wheel, install it without dependencies into a folder, run it from there."""
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "*.egg-info", "build", "dist", "__pycache__", ".*_cache"
        ),
    )
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(wheels), str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("*.whl")
    install = [*pip, "install", "--no-deps", "--target", str(target), str(wheel)]
    subprocess.run(install, capture_output=True, text=True, check=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import model.shipped as s; print(s.BASE)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    base = Path(probe.stdout.strip())
    assert base.is_file() and base.is_relative_to(target), base
    run = subprocess.run(
        [sys.executable, "-m", "model", "validate", str(base)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"ok: {base}: assumptions with ")
