"""The Streamlit what-if app's helpers; ``app.py`` at the repository root stays thin.

Modules: :mod:`fmt` (numbers for people), :mod:`catalog` (shipped files and
references), :mod:`levers` (which parameters the sidebar edits and how), :mod:`state`
(overrides, the page URL and session state), :mod:`compute` (cached model calls),
:mod:`widgets` (the sidebar), :mod:`kpis` (headline figures), :mod:`files`
(downloads and uploads), :mod:`view` (what each tab receives), :mod:`tabs` (the tab
list) with :mod:`charts`, :mod:`scenarios_tab` and :mod:`assumptions_tab`.
"""
