"""Output parties of the risk analyses: keys and labels, read from the core's table.

The main parties and their labels are those of :data:`model.analysis.PARTIES`; each
supplier is a party of its own, keyed ``supplier:<id>`` as
:func:`model.analysis.party_series` keys its series. The keys and labels live in
:mod:`model.analysis`, next to the table; this module gives them the risk analyses'
signature.
"""

from __future__ import annotations

from .. import analysis
from ..analysis import MAIN_PARTIES, SUPPLIER_PREFIX, party_label
from ..schema import Assumptions

__all__ = ["MAIN_PARTIES", "SUPPLIER_PREFIX", "party_keys", "party_label"]


def party_keys(a: Assumptions) -> list[str]:
    """Every output party: the main ones, then ``supplier:<id>`` for each supplier."""
    return analysis.party_keys(a.supplier_ids)
