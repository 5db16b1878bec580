"""Issue 3 in a real browser: My productivity draws both charts, 84 heatmap cells and the
API's figures; a running timer switches polling to 60 s; Refresh updates the charts in
place (same canvases, same Chart instances)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import create_user, sign_in

FRAGMENTS = ("summary", "daily", "projects", "focus", "heatmap", "insights", "goals", "sessions")

CHARTS_DRAWN = """() => {
  const p = window.Momentum && window.Momentum.productivity;
  return !!(p && p.charts.size === 2 && window.Chart
    && Chart.getChart(document.getElementById('chart-daily'))
    && Chart.getChart(document.getElementById('chart-projects')));
}"""

API_STATS = """async () => {
  const r = await fetch('/api/productivity/stats', {credentials: 'same-origin'});
  return {status: r.status, body: await r.json()};
}"""

SEND = """async ([method, url, body]) => {
  const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
  const r = await fetch(url, {method, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token}, body: JSON.stringify(body)});
  return {status: r.status, body: await r.json()};
}"""

METRICS = """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-metric]'))
  .map(el => [el.getAttribute('data-metric'), el.getAttribute('data-value')]))"""


def test_page_draws_charts_and_figures_then_refresh_updates_in_place(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server, demo_years=1)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, base, email)
        page.goto(f"{base}/dashboard/productivity")
        page.wait_for_function(CHARTS_DRAWN)

        # Both charts drawn, the tables hidden behind them; 84 heatmap cells.
        assert page.evaluate("window.Momentum.productivity.charts.size") == 2
        assert page.locator("figure.chart.chart-ready").count() == 2
        assert page.locator(".heatmap-cell").count() == 84

        # The cards' figures are the API's.
        api = page.evaluate(API_STATS)
        assert api["status"] == 200
        stats = api["body"]
        s, streak, focus = stats["summary"], stats["streak"], stats["focus"]
        shown = page.evaluate(METRICS)
        assert float(shown["today_live_hours"]) == s["today_live_hours"]
        assert float(shown["week_live_hours"]) == s["week_live_hours"]
        assert float(shown["week_goal_hours"]) == s["week_goal_hours"]
        assert int(shown["week_goal_percent"]) == s["week_goal_percent"]
        assert int(shown["billable_percent_week"]) == s["billable_percent_week"]
        assert int(shown["current_streak"]) == streak["current_streak"]
        assert int(shown["longest_streak"]) == streak["longest_streak"]
        assert float(shown["avg_session_length_minutes"]) == focus["avg_session_length_minutes"]
        assert float(shown["longest_session_hours"]) == focus["longest_session_hours"]
        assert float(shown["entries_per_day"]) == focus["entries_per_day"]
        assert shown["most_productive_day"] == (focus["most_productive_day"] or "")
        labels = page.eval_on_selector_all(".heatmap-cell", "cells => cells.map(c => c.getAttribute('aria-label'))")
        assert labels == [f"{c['date']}: {c['hours']:.2f} h" for c in stats["heatmap"]]
        drawn = page.evaluate("Chart.getChart(document.getElementById('chart-daily')).data.datasets[0].data")
        assert drawn == [d["hours"] for d in stats["daily_breakdown"]]

        # Idle: every fragment polls every 5 minutes.
        for name in FRAGMENTS:
            root = page.locator(f"#productivity-{name}")
            assert root.get_attribute("data-poll-seconds") == "300", name
            assert "every 300s" in (root.get_attribute("hx-trigger") or ""), name

        # Mark the page, the canvases and the Chart instances before the refresh.
        canvases_before = page.locator("canvas").count()
        page.evaluate("""() => {
          window.__samePage = true;
          for (const id of ['chart-daily', 'chart-projects']) {
            const canvas = document.getElementById(id);
            canvas.__testId = id + '-canvas';
            Chart.getChart(canvas).__testId = id + '-chart';
          }
        }""")

        # A new entry yesterday (so the daily chart must change) and a running timer.
        yesterday = stats["daily_breakdown"][-2]
        added = page.evaluate(SEND, ["POST", "/api/entries", {
            "start_time": f"{yesterday['date']}T02:00:00+00:00", "end_time": f"{yesterday['date']}T04:30:00+00:00"}])
        assert added["status"] == 201, added
        started = page.evaluate(SEND, ["POST", "/api/timer/start", {"notes": "e2e polling"}])
        assert started["status"] == 201, started

        page.click("[data-action=refresh]")
        page.wait_for_function(
            """(names) => names.every(n => {
                 const el = document.getElementById('productivity-' + n);
                 return el && el.getAttribute('data-poll-seconds') === '60';
               })""",
            arg=list(FRAGMENTS),
        )
        expected = round(yesterday["hours"] + 2.5, 2)
        page.wait_for_function(
            "(v) => Chart.getChart(document.getElementById('chart-daily')).data.datasets[0].data[12] === v",
            arg=expected,
        )

        # Polling switched to 60 s on every fragment, without a page load.
        assert page.evaluate("window.__samePage") is True
        for name in FRAGMENTS:
            root = page.locator(f"#productivity-{name}")
            assert root.get_attribute("data-poll-seconds") == "60", name
            trigger = root.get_attribute("hx-trigger") or ""
            assert "every 60s" in trigger and "every 300s" not in trigger, name
        assert page.locator("#productivity-summary .badge-live").count() == 1

        # The charts were updated in place: same canvases, same Chart objects, no new canvas.
        assert page.locator("canvas").count() == canvases_before
        same = page.evaluate("""() => ['chart-daily', 'chart-projects'].map(id => {
          const canvas = document.getElementById(id);
          const chart = Chart.getChart(canvas);
          return [canvas.__testId, chart && chart.__testId,
                  window.Momentum.productivity.charts.get(id) === chart];
        })""")
        assert same == [
            ["chart-daily-canvas", "chart-daily-chart", True],
            ["chart-projects-canvas", "chart-projects-chart", True],
        ]
        assert page.evaluate("window.Momentum.productivity.charts.size") == 2
        fresh = page.evaluate(API_STATS)["body"]
        assert page.evaluate("Chart.getChart(document.getElementById('chart-daily')).data.datasets[0].data") == [
            d["hours"] for d in fresh["daily_breakdown"]]
        assert errors == []
    finally:
        context.close()
