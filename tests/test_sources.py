"""Every shipped default names its source or is labelled an estimate.

Values are addressed by dotted path with products by id; a list of China's allocation
batches has one path per batch (``products.h200.china_allocations.0``) and a mapping of
reported actuals one per month (``products.h200.actual_shipments.2026-07``), so every
batch and every actual carries its own source. Scenario and vintage overrides follow
the same rule, and every reported vendor figure names its source.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ASSUMPTIONS, BASE, SCENARIOS, SETS

LABELS = ("name", "vendor")  # display text, not numbers
VINTAGES = sorted((ASSUMPTIONS / "vintages").glob("*.yaml"))
REPORTED = sorted((ASSUMPTIONS / "reported").glob("*.csv"))
OVERLAYS = SCENARIOS + VINTAGES


def leaves(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every value: mappings by key, non-empty lists by position."""
    if isinstance(node, dict) and node:
        return [p for k, v in node.items() for p in leaves(v, f"{prefix}{k}.")]
    if isinstance(node, list) and node:
        return [f"{prefix}{i}" for i in range(len(node))]
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


def override_paths(overrides: dict[str, Any]) -> list[str]:
    """Each override's path, and one path per batch or month of a list or mapping."""
    paths = []
    for key, value in overrides.items():
        paths.append(key)
        if isinstance(value, (dict, list)) and value:
            paths += [p for p in leaves(value, f"{key}.") if p != key]
    return paths


def missing_sources(paths: list[str], sources: dict[str, Any]) -> list[str]:
    return [p for p in paths if not str(sources.get(p, "")).strip()]


def test_every_base_value_has_a_source() -> None:
    raw = yaml.safe_load(BASE.read_text())
    sources = raw.get("sources", {})
    missing = missing_sources(value_paths(raw), sources)
    assert not missing, f"{BASE.name}: values without a source: {missing}"
    stale = sorted(set(sources) - set(value_paths(raw)))
    assert not stale, f"{BASE.name}: sources for values that do not exist: {stale}"


def test_every_allocation_batch_and_actual_of_the_base_has_its_own_source() -> None:
    raw = yaml.safe_load(BASE.read_text())
    sources = raw["sources"]
    paths = []
    for prod in raw["products"]:
        for i, _ in enumerate(prod.get("china_allocations") or []):
            paths.append(f"products.{prod['id']}.china_allocations.{i}")
        for month in prod.get("actual_shipments") or {}:
            paths.append(f"products.{prod['id']}.actual_shipments.{month}")
    assert paths, "the base should carry China's batches and reported actuals"
    assert not missing_sources(paths, sources)


@pytest.mark.parametrize("path", OVERLAYS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_override_has_a_source(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    overrides, sources = raw.get("overrides") or {}, raw.get("sources") or {}
    missing = missing_sources(override_paths(overrides), sources)
    assert not missing, f"{path.name}: overrides without a source: {missing}"
    stale = sorted(set(sources) - set(override_paths(overrides)))
    assert not stale, f"{path.name}: sources for overrides that do not exist: {stale}"
    assert raw.get("description", "").strip(), f"{path.name}: says nothing about why"


@pytest.mark.parametrize("path", VINTAGES, ids=lambda p: p.stem)
def test_every_vintage_is_dated(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    overrides = raw.get("overrides") or {}
    as_of = overrides.get("horizon.as_of") or yaml.safe_load(BASE.read_text())["horizon"]["as_of"]
    assert path.stem.startswith(str(as_of)), f"{path.name}: named after a date other than {as_of}"


def test_vintages_and_reported_figures_are_shipped() -> None:
    assert len(VINTAGES) >= 5
    assert REPORTED


@pytest.mark.parametrize("path", REPORTED, ids=lambda p: p.stem)
def test_every_reported_figure_has_a_source(path: Path) -> None:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, f"{path.name}: no reported figure"
    missing = [i for i, r in enumerate(rows, start=2) if not (r.get("source") or "").strip()]
    assert not missing, f"{path.name}: lines without a source: {missing}"


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_set_probabilities_have_a_source(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    assert str((raw.get("sources") or {}).get("probability", "")).strip()


@pytest.mark.parametrize("path", [BASE, *OVERLAYS], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_estimates_are_labelled_with_reasoning(path: Path) -> None:
    sources = yaml.safe_load(path.read_text()).get("sources") or {}
    for key, text in sources.items():
        if str(text).lower().startswith("estimate"):
            assert len(text) > len("estimate: ") + 10, f"{key}: an estimate needs its reasoning"


@pytest.mark.parametrize(
    "path", [BASE, *OVERLAYS, *SETS, *REPORTED], ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_sources_cite_public_material_only(path: Path) -> None:
    """The shipped files cite publications, never a document file or a starting article
    kept outside the repository."""
    text = path.read_text().lower()
    outside = [m for m in re.findall(r"[\w./-]+\.md\b", text) if not m.startswith("docs/")]
    assert not outside, f"{path.name} cites {outside}, not public sources"
    assert "seed " not in text, f"{path.name} cites a starting article instead of its source"
