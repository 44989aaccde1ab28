"""What an export writes for each scenario: its assumptions with their sources, and
the description shown on the Scenarios sheet."""

from __future__ import annotations

from pathlib import Path

from model.loader import Loaded
from model.schema import Assumptions


def with_scenario_sources(lo: Loaded) -> Assumptions:
    """The scenario's own sources override the base's for the values it changes."""
    a = lo.assumptions
    if lo.scenario is None or not lo.scenario.sources:
        return a
    return a.model_copy(update={"sources": {**a.sources, **lo.scenario.sources}})


def scenario_description(lo: Loaded) -> str:
    """The scenario's description, or where the assumptions come from."""
    if lo.scenario is not None:
        return lo.scenario.description
    return f"The assumptions as given in {Path(lo.base_file).name}."
