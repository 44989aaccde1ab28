"""The Streamlit what-if app's helpers; ``app.py`` at the repository root stays thin.

Modules: :mod:`fmt` (numbers for people), :mod:`catalog` (shipped files),
:mod:`levers` (which parameters the sidebar edits and how), :mod:`state`
(overrides, the page URL and session state), :mod:`compute` (cached model
calls), :mod:`widgets` (the sidebar), :mod:`kpis`, :mod:`charts`, :mod:`tabs`
and :mod:`files` (downloads and uploads).
"""
