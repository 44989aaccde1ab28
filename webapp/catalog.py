"""The shipped assumptions, scenarios and scenario set, as the app offers them.

A *reference* is what the sidebar's scenario picker selects: the base, one
shipped scenario (by file stem), or ``custom`` (an uploaded file). The what-if
is the reference plus the user's overrides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from model.loader import Loaded, load, load_set, read_yaml
from model.schema import Assumptions
from model.shipped import ASSUMPTIONS_DIR as ASSUMPTIONS
from model.shipped import BASE as BASE_FILE
from model.shipped import EXPECTED_VALUE_SET as SET_FILE
from model.shipped import SCENARIOS_DIR as SCENARIO_DIR

ROOT = ASSUMPTIONS.parent
BASE_ID = "base"
CUSTOM_ID = "custom"


def cache_key(raw: Mapping[str, Any]) -> str:
    """JSON of an assumptions mapping without its sources: the key of every cached model
    call (sources do not change results).

    Keys keep their order: the order of suppliers in the bills of materials is the
    order of the output's supplier series.
    """
    return json.dumps({k: v for k, v in raw.items() if k != "sources"}, default=str)


@dataclass(frozen=True)
class Reference:
    """A starting point for a what-if: validated assumptions and their provenance."""

    id: str
    name: str
    description: str
    assumptions: Assumptions
    raw: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)  # on the base (shipped only)
    sources: dict[str, str] = field(default_factory=dict)  # dotted path -> source

    def source(self, path: str) -> str:
        """The source of the value at a dotted path ("" where none is given)."""
        return self.sources.get(path, "")

    @cached_property
    def key(self) -> str:
        """The reference's cache key (see :func:`cache_key`), written once."""
        return cache_key(self.raw)


def _reference(ref_id: str, loaded: Loaded) -> Reference:
    """A shipped file (the base, or a scenario on it) as a reference."""
    sc = loaded.scenario
    sources = dict(loaded.assumptions.sources)
    if sc is None:
        return Reference(
            ref_id,
            "Base assumptions",
            "The shipped defaults (assumptions/base.yaml), each value sourced.",
            loaded.assumptions,
            loaded.raw,
            {},
            sources,
        )
    sources.update(sc.sources)
    return Reference(
        ref_id, sc.name, sc.description, loaded.assumptions, loaded.raw, dict(sc.overrides), sources
    )


@dataclass(frozen=True)
class Catalog:
    """The shipped references and the expected-value set."""

    base: Reference
    scenarios: dict[str, Reference]  # shipped scenarios by file stem
    set_name: str
    set_probabilities: dict[str, float]  # scenario id -> probability in the shipped set

    @property
    def ids(self) -> list[str]:
        """Picker order: the base, then the shipped scenarios by name."""
        return [BASE_ID, *sorted(self.scenarios, key=lambda k: self.scenarios[k].name.lower())]

    def get(self, ref_id: str) -> Reference | None:
        """The reference with this id, or None."""
        return self.base if ref_id == BASE_ID else self.scenarios.get(ref_id)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """Read the shipped files once per server process (they are read-only)."""
    base = _reference(BASE_ID, load(BASE_FILE))
    scenarios = {
        p.stem: _reference(p.stem, load(BASE_FILE, p)) for p in sorted(SCENARIO_DIR.glob("*.yaml"))
    }
    entries = load_set(SET_FILE)
    probs = {Path(sc.file).stem: pr for sc, pr in entries}
    set_name = str(read_yaml(SET_FILE).get("name", SET_FILE.stem))
    return Catalog(base, scenarios, set_name, probs)


def custom_reference(
    name: str, description: str, assumptions: Assumptions, raw: dict[str, Any]
) -> Reference:
    """An uploaded file as a reference (its own sources, if any)."""
    return Reference(CUSTOM_ID, name, description, assumptions, raw, {}, dict(assumptions.sources))
