"""Output parties of the risk analyses: keys and labels, read from the core's table.

The main parties and their labels are those of :data:`model.analysis.PARTIES`; each
supplier is a party of its own, keyed ``supplier:<id>`` as
:func:`model.analysis.party_series` keys its series.
"""

from __future__ import annotations

from ..analysis import PARTIES, PARTY_LABELS
from ..schema import Assumptions

#: Key prefix of a single supplier's party (``supplier:hbm``).
SUPPLIER_PREFIX = "supplier:"
#: The main parties, in the order of the core's table.
MAIN_PARTIES: tuple[str, ...] = tuple(p.key for p in PARTIES)


def party_keys(a: Assumptions) -> list[str]:
    """Every output party: the main ones, then ``supplier:<id>`` for each supplier."""
    return [*MAIN_PARTIES, *(f"{SUPPLIER_PREFIX}{s}" for s in a.supplier_ids)]


def party_label(key: str) -> str:
    """The label people read: the table's label, or ``Supplier <id>``."""
    if key.startswith(SUPPLIER_PREFIX):
        return f"Supplier {key.removeprefix(SUPPLIER_PREFIX)}"
    return PARTY_LABELS.get(key, key)
