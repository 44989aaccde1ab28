#!/usr/bin/env python3
"""Set-up and tasks with nothing but Python 3.11+: ``python3 dev.py app | test | ...``.

Each task creates or refreshes the project's virtual environment (``.venv``) when
``pyproject.toml`` has changed since the last install, then runs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("CHIP_EXPORT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"

#: The file the kernel warm-up writes when it is over (see :func:`warm_kernel`).
WARM_ENV = "CHIP_EXPORT_KERNEL_WARM"

TASKS = {
    "app": "start the Streamlit app on the shipped defaults",
    "test": "run the whole test suite (extra arguments go to pytest)",
    "lint": "ruff format --check, ruff check and mypy",
    "bench": "run the benchmarks and print their figures",
    "golden": "regenerate the golden projections in tests/golden (a deliberate change)",
    "install": "create or refresh the virtual environment only",
}


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before any install
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    stamp = VENV / ".installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == want and PY.exists():
        return
    if not PY.exists():
        print(f"creating virtual environment {VENV.name}/", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"])
    stamp.write_text(want)


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    if code:
        sys.exit(code)


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist options: one worker per core and one more (the browser and LibreOffice
    tests spend much of their time waiting for Chromium, the app server or LibreOffice),
    unless the caller chose a number of workers or a single test. Tests go out in groups:
    a whole file (so its shared fixtures, such as one LibreOffice batch, are built once) or
    a part of a file without costly fixtures, the long files first (``tests/conftest.py``)."""
    if any(a.startswith(("-n", "--numprocesses", "-p")) for a in args) or "::" in " ".join(args):
        return []
    workers = str(max(2, min(os.cpu_count() or 2, 4)) + 1)
    return ["-n", workers, "--dist", "loadgroup", "--no-loadscope-reorder"]


def bytecode_cached() -> dict[str, str]:
    """The environment, letting Python cache compiled modules (``__pycache__``, ignored
    by git) even where ``PYTHONDONTWRITEBYTECODE`` is set: the suite starts many
    Python processes (workers, commands, app servers), each of which would otherwise
    compile the project's modules and rewrite the test files' asserts anew."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_kernel(py: str, done: Path) -> None:
    """Compile the engine's kernel into numba's disk cache once, while the test workers
    start and collect the tests: on a fresh clone each worker and each app server under
    test would otherwise compile it for itself (about 9 s of processor time each, holding
    the interpreter lock, so an app under test answers late). A Monte Carlo and a
    projection, compiled (``CHIP_EXPORT_COMPILE=1``), write the kernel's signatures; with
    the cache warm this takes a second or two. ``done`` is written when it is over ("ok",
    or what failed, which ``dev.py test`` reports after the tests); the workers wait for
    it before their first test (``tests/conftest.py``)."""
    env = {**bytecode_cached(), "CHIP_EXPORT_COMPILE": "1"}
    base, risk = "assumptions/base.yaml", "assumptions/risk.yaml"
    for args in (
        ["simulate", base, "--risk", risk, "--paths", "2000", "--quiet"],
        ["project", base, "--csv", "-"],
    ):
        ran = subprocess.run(
            [py, "-m", "model", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if ran.returncode:
            _written(done, f"warming the kernel failed: {' '.join(args)}\n{ran.stderr}")
            return
    _written(done, "ok")


def kernel_cached() -> bool:
    """Whether numba's disk cache holds the engine's kernel (``model/__pycache__``, next
    to its source): false in a fresh clone or a cleaned tree."""
    return any((ROOT / "model" / "__pycache__").glob("recurrence.recurrence-*.nbi"))


def ensure_kernel(py: str) -> None:
    """Compile the engine's kernel into numba's disk cache when this checkout has none,
    as part of setting up, like the bytecode pip compiles when it installs: about ten
    seconds once, after which the app's background warm-up (which would otherwise hold
    the interpreter for those seconds, slowing the sessions that arrive meanwhile) and
    every test process load it in a fraction of a second; the test workers no longer
    collect while it compiles. (A cache made stale by a change to the kernel's source is
    rebuilt by the first run, or by ``dev.py test``'s warm-up alongside its workers.)"""
    if kernel_cached():
        return
    print("compiling the model's kernel once for this checkout", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        done = Path(folder) / "kernel-warm"
        warm_kernel(py, done)
        outcome = done.read_text() if done.is_file() else "the kernel warm-up did not end"
    if outcome != "ok":
        print(outcome, file=sys.stderr)  # the app and the tests still run, compiling it


def _written(path: Path, text: str) -> None:
    """Write ``path`` whole: a reader sees no file or all of it."""
    part = path.with_suffix(".part")
    part.write_text(text)
    part.replace(path)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in TASKS:
        print("usage: python3 dev.py TASK [ARGS]\n")
        for name, text in TASKS.items():
            print(f"  {name:8} {text}")
        sys.exit(0 if not argv else 2)
    task, rest = argv[0], argv[1:]
    ensure_env()
    py = str(PY)
    if task in ("app", "test"):
        ensure_kernel(py)
    if task == "app":
        run([py, "-m", "streamlit", "run", "app.py", *rest])
    elif task == "test":
        env = bytecode_cached()
        if not parallel(rest):
            run([py, "-m", "pytest", *rest], env=env)
            return
        with tempfile.TemporaryDirectory() as folder:
            done = Path(folder) / "kernel-warm"
            warming = threading.Thread(target=warm_kernel, args=(py, done))
            warming.start()
            try:
                code = subprocess.call(
                    [py, "-m", "pytest", *parallel(rest), *rest],
                    cwd=ROOT,
                    env={**env, WARM_ENV: str(done)},
                )
            finally:
                warming.join()
            outcome = done.read_text() if done.is_file() else "the kernel warm-up did not end"
        if outcome != "ok":
            sys.exit(outcome)  # the tests ran; the commands the warm-up runs did not
        sys.exit(code)
    elif task == "lint":
        run([py, "-m", "ruff", "format", "--check", "."])
        run([py, "-m", "ruff", "check", "."])
        run([py, "-m", "mypy"])
    elif task == "bench":
        for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
            run([py, str(script), *rest])
    elif task == "golden":
        run([py, "-m", "tests.golden_update", *rest])


if __name__ == "__main__":
    main(sys.argv[1:])
