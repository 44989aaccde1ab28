"""Many users at once: a real ``streamlit run app.py`` server, twenty sessions opened
together over Streamlit's websocket protocol, each with its own link (a different
levy, price, scenario or allowance), and each shows its own figures: the core's for
its own what-if, never a neighbour's."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from model.analysis import ALL, run
from model.loader import Scenario, load
from webapp import fmt
from webapp.server import streamlit_server
from webapp.sessions import open_sessions

from .conftest import BASE, ROOT

pytestmark = pytest.mark.slow
SESSIONS = 20


def _links() -> list[tuple[dict[str, str], str | None, dict[str, Any]]]:
    """Twenty links: (page address, scenario, overrides in model values)."""
    out: list[tuple[dict[str, str], str | None, dict[str, Any]]] = []
    for i in range(SESSIONS):
        rate = round(0.05 + 0.01 * i, 2)
        query = {"policy.share_rate": f"{rate:g}"}
        overrides: dict[str, Any] = {"policy.share_rate": rate}
        scenario = None
        if i % 4 == 1:
            query["products.h200.asp_usd"] = str(20000 + 500 * i)
            overrides["products.h200.asp_usd"] = 20000.0 + 500 * i
        if i % 4 == 2:
            scenario = "next_batch_3m" if i % 8 == 2 else "licence_revoked"
            query["scenario"] = scenario
        if i % 4 == 3:
            query["products.h200.china_allocations"] = f"2026-06:{10000 + 1000 * i}"
            overrides["products.h200.china_allocations"] = [
                {"month": "2026-06", "units": 10000.0 + 1000 * i}
            ]
        out.append((query, scenario, overrides))
    return out


def _expected(scenario: str | None, overrides: dict[str, Any]) -> dict[str, str]:
    merged = dict(overrides)
    if scenario is not None:
        path = ROOT / "assumptions" / "scenarios" / f"{scenario}.yaml"
        merged = {**yaml.safe_load(path.read_text())["overrides"], **overrides}
    lo = load(BASE, Scenario(name="link", overrides=merged))
    t = run([lo.assumptions], ["link"]).totals
    t = t[t["product"] == ALL].set_index("party")["total_usd"]
    return {
        "US government": fmt.money(float(t["us_government"])),
        "China gross revenue": fmt.money(float(t["china_gross_revenue"])),
    }


def test_twenty_sessions_at_once_each_show_their_own_numbers() -> None:
    links = _links()
    with streamlit_server() as server:
        runs = open_sessions(server.url, [query for query, _, _ in links])
    assert len(runs) == SESSIONS
    seen = set()
    for seen_run, (query, scenario, overrides) in zip(runs, links, strict=True):
        assert seen_run.status == 0 and not seen_run.exceptions, (query, seen_run.exceptions)
        assert not seen_run.errors and not seen_run.warnings, (query, seen_run.warnings)
        want = _expected(scenario, overrides)
        got = {k: seen_run.metrics.get(k) for k in want}
        assert got == want, query
        seen.add(tuple(got.values()))
    assert len(seen) == SESSIONS  # twenty different what-ifs, twenty different figures
