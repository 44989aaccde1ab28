"""The Streamlit what-if app's helpers; ``app.py`` at the repository root stays thin.

Modules: :mod:`fmt` (numbers for people), :mod:`notices` (short messages: lists
summarised, values clipped), :mod:`catalog` (shipped files and references),
:mod:`levers` (which parameters the sidebar edits and how), :mod:`allowances` (China's
allowance batches as a table and as link text), :mod:`links` (reading a shared link),
:mod:`state` (overrides, session state and the part of the page address no widget
writes), :mod:`compute` (model calls cached once for every session, warmed at start),
:mod:`widgets` (the sidebar), :mod:`top` (the headline and its figures, drawn first)
with :mod:`kpis` (headline figures and the checks beside them), :mod:`admission` (the
sidebar and tabs drawn a few runs at a time), :mod:`files` (downloads and
the upload widget), :mod:`uploads` (reading an upload) with :mod:`isolated` (work in its
own process, with a time limit), :mod:`view` (what each tab receives), :mod:`tabs` (the
tab list) with :mod:`charts`, :mod:`vendors_tab`, :mod:`scenarios_tab`,
:mod:`assumptions_tab`, :mod:`risk_tab` and :mod:`forecast_tab`; :mod:`server`,
:mod:`browser` and :mod:`sessions` serve the app and drive it in headless Chromium or
over its websocket, for the tests and the benchmark.
"""
