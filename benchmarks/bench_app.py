"""App speed and load: in a real browser, cold start to the first full render, the
time from a slider change (a key press on the levy slider) to the updated headline
figure and the Risk tab's Monte Carlo from the click to its figures; then many sessions
at once, each opened with its own link, with the server's memory before and after and
the distribution of each session's time to its first headline figure.

Runs ``streamlit run app.py`` on a free port and Debian's headless Chromium. Latencies are
measured inside the page, from the key press to the moment the "US government" figure's
text changes; the next key is pressed once the run has ended. The sessions speak
Streamlit's websocket protocol (``webapp.sessions``); the memory is the server process's
resident set (``/proc/<pid>/status``). Prints figures; asserts nothing. Goals: slider
median ≤ 150 ms, cold start ≤ 5 s, the Risk tab's 10,000 paths ≤ 0.3 s, every one of 20
sessions opened at once showing its first figures ≤ 3 s after the server receives it.

Run: ``python benchmarks/bench_app.py [--steps 40] [--sessions 20] [--screenshot out/app.png]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from webapp.browser import launch, open_tab, slider_thumb, wait_full_render, wait_idle
from webapp.risk_tab import DEFAULT_PATHS
from webapp.server import Server, streamlit_server
from webapp.sessions import open_sessions

LABEL = "US government"
SETUP = """(label) => {
  const value = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.innerText.trim() === label)
        return m.querySelector('[data-testid="stMetricValue"]').innerText.trim();
    }
    return null;
  };
  const b = window.__bench = {down: null, changed: null, before: null};
  document.addEventListener('keydown', () => {
    b.down = performance.now(); b.changed = null; b.before = value();
  }, true);
  new MutationObserver(() => {
    if (b.down !== null && b.changed === null && value() !== b.before)
      b.changed = performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
SHOT_QUERY = "?scenario=next_batch_6m&policy.share_rate=0.15"
WITHIN_S = 3.0  # goal: every session's first figures within this many seconds
RISK_DONE = "paths in"  # the Risk tab's caption once a run's figures are drawn


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    if not found:
        sys.exit("bench_app: needs Debian's chromium (apt-get install chromium)")
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def session_links(n: int) -> list[dict[str, str]]:
    """``n`` different what-ifs: the levy, a price, a scenario, China's batches."""
    links = []
    for i in range(n):
        query = {"policy.share_rate": f"{0.05 + 0.01 * (i % 40):.2f}"}
        if i % 3 == 1:
            query["products.h200.asp_usd"] = str(20000 + 250 * i)
        if i % 3 == 2:
            query["products.h200.china_allocations"] = f"2026-06:{10000 + 500 * i}"
        links.append(query)
    return links


def sessions(server: Server, n: int) -> None:
    """On a fresh server: one session (the cold start), then ``n`` at once; print the
    server's memory at each step and each session's time to its first headline figure."""
    idle = rss_mb(server.process.pid)
    (first,) = open_sessions(server.url, [{}])
    warm = rss_mb(server.process.pid)
    t0 = time.perf_counter()
    runs = open_sessions(server.url, session_links(n))
    wall = time.perf_counter() - t0
    after = rss_mb(server.process.pid)
    firsts = [r.first_metric_s for r in runs if r.first_metric_s is not None]
    failed = sum(1 for r in runs if r.status != 0 or r.exceptions or r.errors)
    print(f"{n} sessions at once, each with its own link (websocket, no browser)")
    print(f"  server memory: idle {idle:5.0f} MB, after one session {warm:5.0f} MB, after", end="")
    print(f" {n} more {after:5.0f} MB (+{(after - warm) / max(n, 1):.1f} MB a session)")
    print(f"  the first session, cold: first headline figure after {first.first_metric_s:5.2f} s")
    print(f"  all {n} first runs done in {wall:6.2f} s; failed runs: {failed}")
    if firsts:
        within = sum(1 for f in firsts if f <= WITHIN_S)
        print(f"  time to first headline figure ({within} of {n} within {WITHIN_S:g} s):")
        print(f"    min {min(firsts):5.2f} s   median {statistics.median(firsts):5.2f} s", end="")
        print(f"   p90 {percentile(firsts, 0.9):5.2f} s   max {max(firsts):5.2f} s")
        print("    each: " + " ".join(f"{f:.2f}" for f in sorted(firsts)))


def risk_run(page: Any, paths: str) -> tuple[float, str]:
    """Click "Run simulation" on the open Risk tab: seconds until the figures of a run of
    ``paths`` paths are drawn, and the tab's own caption (the Monte Carlo's seconds)."""
    done = f"{paths} {RISK_DONE}"
    t0 = time.perf_counter()
    page.get_by_role("button", name="Run simulation").click()
    page.get_by_text(done, exact=False).first.wait_for(timeout=120000)
    took = time.perf_counter() - t0
    wait_idle(page)
    return took, str(page.get_by_text(done, exact=False).first.inner_text()).strip()


def risk(page: Any) -> list[str]:
    """The Risk tab's run at the default paths, then at 10,000 paths (fresh runs)."""
    open_tab(page, "Risk")
    took, said = risk_run(page, f"{DEFAULT_PATHS:,}")
    lines = [f"  Risk tab, default paths: click -> figures {took:5.2f} s ({said})"]
    slider_thumb(page, "Paths").focus()
    page.keyboard.press("ArrowLeft")  # 20,000 -> 10,000
    wait_idle(page)
    took, said = risk_run(page, "10,000")
    lines.append(f"  Risk tab, 10,000 paths:  click -> figures {took:5.2f} s ({said})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="slider key presses to time")
    parser.add_argument("--sessions", type=int, default=20, help="sessions opened at once")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of a what-if here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw, chromium())
        try:
            with streamlit_server() as server:
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                t_nav = time.perf_counter()
                page.goto(server.url)
                wait_full_render(page)
                done = time.perf_counter()
                cold, first_page = done - server.started, done - t_nav
                again = browser.new_page(viewport={"width": 1500, "height": 1000})
                t_nav = time.perf_counter()
                again.goto(server.url)
                wait_full_render(again)
                warm_page = time.perf_counter() - t_nav
                again.close()

                page.evaluate(SETUP, LABEL)
                slider_thumb(page, "US levy rate").focus()
                latencies = []
                for i in range(args.steps):
                    # down 10 points, back up, and so on: every step changes the figure
                    key = "ArrowLeft" if (i // 20) % 2 == 0 else "ArrowRight"
                    page.keyboard.press(key)
                    page.wait_for_function("window.__bench.changed !== null", timeout=15000)
                    latencies.append(page.evaluate("window.__bench.changed - window.__bench.down"))
                    wait_idle(page)
                risk_lines = risk(page)
                if args.screenshot:
                    shot = browser.new_page(viewport={"width": 1440, "height": 1250})
                    shot.goto(server.url + SHOT_QUERY)
                    wait_full_render(shot)
                    shot.wait_for_timeout(800)  # let the chart's transition finish
                    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                    shot.screenshot(path=str(args.screenshot))
        finally:
            browser.close()

    print("App in headless Chromium (streamlit run app.py)")
    print(f"  cold start, server launch -> first full render: {cold:6.2f} s   (goal <= 5 s)")
    print(f"  first page load -> full render:                 {first_page:6.2f} s")
    print(f"  second page load -> full render (warm):         {warm_page:6.2f} s")
    print(f"  slider key press -> KPI updated, {len(latencies)} changes:")
    print(f"    median {statistics.median(latencies):6.0f} ms   (goal <= 150 ms)")
    print(f"    p95    {percentile(latencies, 0.95):6.0f} ms")
    print(f"    min    {min(latencies):6.0f} ms   max {max(latencies):6.0f} ms")
    for line in risk_lines:
        print(line)
    if args.screenshot:
        print(f"  screenshot: {args.screenshot}")
    with streamlit_server() as fresh:  # a new server: memory from its idle start
        sessions(fresh, args.sessions)


if __name__ == "__main__":
    main()
