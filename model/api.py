"""``model.project``: one call from assumptions to the engine's projection.

The other names of the public API are the core's own functions (see :mod:`model`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .engine import Inputs, Projection
from .engine import project as project_inputs
from .loader import Loaded
from .schema import Assumptions


def project(what: Assumptions | Loaded | Sequence[Assumptions]) -> Projection:
    """Project one set of assumptions, a loaded file, or several variants at once.

    Parameters
    ----------
    what
        One :class:`~model.schema.Assumptions`, a :class:`~model.loader.Loaded` (its
        assumptions), or a sequence of assumptions projected together as variants.

    Returns
    -------
    Projection
        The engine's arrays, shaped ``(N, P, H)`` for variants × products × months
        (``N = 1`` for one set of assumptions).
    """
    if isinstance(what, Loaded):
        variants = [what.assumptions]
    elif isinstance(what, Assumptions):
        variants = [what]
    else:
        variants = list(what)
    return project_inputs(Inputs.from_assumptions(variants))
