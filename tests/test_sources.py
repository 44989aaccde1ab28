"""Every shipped default names its source or is labelled an estimate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import BASE, SCENARIOS, SETS

LABELS = ("name", "vendor")  # display text, not numbers


def leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in leaves(v, f"{prefix}{k}.")]
    return [prefix[:-1]]


def value_paths(raw: dict[str, Any]) -> list[str]:
    paths = []
    for section, node in raw.items():
        if section == "sources":
            continue
        if section == "products":
            for prod in node:
                body = {k: v for k, v in prod.items() if k not in ("id", *LABELS)}
                paths += leaves(body, f"products.{prod['id']}.")
        else:
            paths += leaves(node, f"{section}.") if isinstance(node, dict) else [section]
    return paths


def test_every_base_value_has_a_source() -> None:
    raw = yaml.safe_load(BASE.read_text())
    sources = raw.get("sources", {})
    missing = [p for p in value_paths(raw) if not str(sources.get(p, "")).strip()]
    assert not missing, f"{BASE.name}: values without a source: {missing}"
    stale = sorted(set(sources) - set(value_paths(raw)))
    assert not stale, f"{BASE.name}: sources for values that do not exist: {stale}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_override_has_a_source(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    overrides, sources = raw.get("overrides") or {}, raw.get("sources") or {}
    missing = [k for k in overrides if not str(sources.get(k, "")).strip()]
    assert not missing, f"{path.name}: overrides without a source: {missing}"
    assert raw.get("description", "").strip(), f"{path.name}: says nothing about why"


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_set_probabilities_have_a_source(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    assert str((raw.get("sources") or {}).get("probability", "")).strip()


def test_estimates_are_labelled_with_reasoning() -> None:
    sources = yaml.safe_load(BASE.read_text())["sources"]
    for path, text in sources.items():
        if text.lower().startswith("estimate"):
            assert len(text) > len("estimate: ") + 10, f"{path}: an estimate needs its reasoning"
