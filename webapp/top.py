"""The top of the page: the headline sentence, the measure, the headline figures and the
checks beside them.

They are drawn first, before the sidebar's hundred-odd widgets and the tabs, from the
what-if as session state (or, on a session's first run, the link) holds it, so a
session's first figures and a moved lever's new figures reach the browser as early
as possible. Once the sidebar is drawn, :func:`Top.show` is called again with the
what-if the widgets hold; it redraws only when that differs (an edited allowance table,
a link value a widget could not take), into the same places.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from model.loader import InputError
from model.schema import Assumptions

from . import compute, kpis, state, widgets
from .catalog import Reference
from .notices import headline, problems_text


@dataclass(frozen=True)
class Shown:
    """A what-if whose figures are on the page."""

    ref: Reference
    current: dict[str, Any]
    raw: dict[str, Any] | None  # None: the what-if is not valid
    whatif: Assumptions | None
    key: str = ""  # the what-if's cache key (see webapp.compute)

    @property
    def valid(self) -> bool:
        """Whether the what-if validated (its figures are shown)."""
        return self.whatif is not None


@dataclass
class Top:
    """The places at the top of the page, filled by :meth:`show`."""

    title: Any
    measure: str
    notes: Any  # the link's notes, filled last
    figures: Any
    shown: Shown | None = field(default=None)

    @classmethod
    def draw(cls) -> Top:
        """The title row (with the measure toggle) and empty places below it."""
        st.title("Chip Export Impact")
        title, toggle = st.columns([3, 1])
        measure = (
            toggle.segmented_control(
                "Measure",
                list(kpis.MEASURES),
                key=state.MEASURE_KEY,
                default="total_usd",
                format_func=lambda m: kpis.MEASURES[m],
                required=True,
                label_visibility="collapsed",
                help=kpis.MEASURE_HELP,
                bind=state.BIND,
            )
            or "total_usd"
        )
        state.shown_view(state.MEASURE_KEY, kpis.MEASURES[measure])
        return cls(title.empty(), measure, st.empty(), st.empty())

    def show(self, ref: Reference, current: Mapping[str, Any]) -> Shown:
        """The headline and figures of ``ref + current`` (drawn unless already shown)."""
        if self.shown is not None and self.shown.ref is ref and self.shown.current == current:
            return self.shown
        self.title.markdown(
            headline(ref.name, [widgets.change_text(ref, k, v) for k, v in current.items()])
        )
        with self.figures.container():
            self.shown = _figures(ref, dict(current), self.measure)
        return self.shown


def _figures(ref: Reference, current: dict[str, Any], measure: str) -> Shown:
    """The figures of a what-if and the checks beside them, or why it is not valid."""
    try:
        raw, whatif = state.whatif(ref, current)
    except InputError as exc:
        st.error(problems_text("The what-if is not valid; change these levers:", exc.problems))
        return Shown(ref, current, None, None)
    key = compute.cache_key(raw)
    kpis.show(compute.figures(key, measure), compute.figures(ref.key, measure), ref.name, measure)
    st.caption(kpis.measure_note(measure, whatif.discount_rate))
    kpis.show_checks(*compute.checks(key))
    return Shown(ref, current, raw, whatif, key)
