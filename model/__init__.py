"""Chip Export Impact: the calculation core.

What the US licence for AI chips to China is worth, to whom, and what each month
of delay costs. See ``docs/methodology.md`` and ``MODEL_SPEC.md``.
"""

__version__ = "0.1.0"
