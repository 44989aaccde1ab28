"""``dev.py``'s one-off kernel compile: done only for a checkout whose numba cache has no
kernel, and a failed warm-up reported without stopping the app or the tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_tasks", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_checkout_has_a_kernel_once_numba_cached_one(tmp_path: Path) -> None:
    dev = load_dev()
    dev.ROOT = tmp_path
    assert not dev.kernel_cached()
    cache = tmp_path / "model" / "__pycache__"
    cache.mkdir(parents=True)
    (cache / "recurrence.party_sums-314.py311.nbi").write_bytes(b"")  # a helper only
    assert not dev.kernel_cached()
    (cache / "recurrence.recurrence-119.py311.nbi").write_bytes(b"")
    assert dev.kernel_cached()


@pytest.mark.parametrize(
    ("cached", "outcome", "said"),
    [
        (True, None, ""),
        (False, "ok", "compiling the model's kernel once for this checkout\n"),
        (False, "warming the kernel failed: simulate\nboom", "boom"),
    ],
    ids=["cached", "compiled", "failed"],
)
def test_the_kernel_is_compiled_only_when_missing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cached: bool,
    outcome: str | None,
    said: str,
) -> None:
    dev = load_dev()
    calls: list[str] = []

    def warm(py: str, done: Path) -> None:
        calls.append(py)
        if outcome is not None:
            done.write_text(outcome)

    monkeypatch.setattr(dev, "kernel_cached", lambda: cached)
    monkeypatch.setattr(dev, "warm_kernel", warm)
    dev.ensure_kernel("python-of-the-venv")
    assert calls == ([] if cached else ["python-of-the-venv"])
    err = capsys.readouterr().err
    assert said in err
    if outcome == "ok":
        assert err == said  # nothing but the notice
