"""Issue 11 in a real browser: a project given a budget through the form on /projects,
its status badge on the list, and its page /projects/{id} drawing the cumulative chart
with the budget line (the Chart.js instance's datasets) and showing exactly the figures
of GET /api/projects/{id}/forecast (docs/planning.md, "The project page")."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from tests.e2e.conftest import create_user, sign_in

SEND = """async ([method, url, body]) => {
  const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
  const init = {method, credentials: 'same-origin', headers: {'X-CSRF-Token': token}};
  if (body !== null) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(url, init);
  return {status: r.status, body: await r.json()};
}"""

CHART = """() => {
  const chart = Chart.getChart(document.getElementById('chart-project'));
  return {
    type: chart.config.type,
    labels: chart.data.labels,
    datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data, dash: d.borderDash || null})),
    width: chart.width,
    height: chart.height,
  };
}"""

FIGURES = """() => Object.fromEntries(Array.from(document.querySelectorAll('#forecast-figures [data-field]'))
  .map(el => [el.getAttribute('data-field'), el.textContent.trim()]))"""


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} h"


def test_project_page_draws_the_budget_chart_and_the_forecast_apis_figures(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server, timezone="UTC")
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, base, email)
        send = lambda method, url, body=None: page.evaluate(SEND, [method, url, body])  # noqa: E731
        assert send("PATCH", "/api/me", {"working_days": [1, 2, 3, 4, 5, 6, 7]})["status"] == 200

        # 1. The budget through the form on /projects (the "Budget" box opened by hand).
        due = (datetime.now(UTC).date() + timedelta(days=20)).isoformat()
        page.goto(f"{base}/projects")
        page.fill("#f-name", "Atlas")
        page.click("details.budget-fields summary")
        page.fill("#budget_hours-new", "40")
        page.select_option("#budget_period-new", "total")
        page.fill("#hourly_rate-new", "60")
        page.fill("#due_date-new", due)
        page.fill("#budget_alerts-new", "50, 100")
        page.click("form[action='/projects'] button[type=submit]")
        page.locator("a.project-link", has_text="Atlas").wait_for()
        projects = send("GET", "/api/projects")["body"]
        assert len(projects) == 1
        project = projects[0]
        pid = project["id"]
        assert (project["budget_hours"], project["budget_period"], project["hourly_rate"], project["due_date"],
                project["budget_alerts"]) == (40.0, "total", 60.0, due, [50, 100])

        # 2. Time on the project: 3 h on each of the last 8 days (billable on even days) and 5 h long ago.
        today = datetime.now(UTC).date()
        for back in range(1, 9):
            start = datetime.combine(today - timedelta(days=back), time(9), UTC)
            r = send("POST", "/api/entries", {"project_id": pid, "start_time": start.isoformat(),
                                              "end_time": (start + timedelta(hours=3)).isoformat(),
                                              "billable": back % 2 == 0})
            assert r["status"] == 201, r
        old = datetime.combine(today - timedelta(days=200), time(9), UTC)
        r = send("POST", "/api/entries", {"project_id": pid, "start_time": old.isoformat(),
                                          "end_time": (old + timedelta(hours=5)).isoformat()})
        assert r["status"] == 201, r

        # 3. The list shows the badge and links the page.
        page.goto(f"{base}/projects")
        forecast = send("GET", f"/api/projects/{pid}/forecast")["body"]
        assert forecast["used_hours"] == 29.0
        badge = page.locator(f"[data-testid=project-status-{pid}]")
        assert badge.get_attribute("data-status") == forecast["status"]
        page.click(f"a.project-link[href='/projects/{pid}']")
        page.wait_for_url(f"{base}/projects/{pid}")

        # 4. The chart: Chart.js drew actual, projected and the budget line.
        page.wait_for_selector("#chart-project[data-drawn=true]")
        chart = page.evaluate(CHART)
        assert chart["type"] == "line"
        assert chart["width"] > 0 and chart["height"] > 0
        assert [d["label"] for d in chart["datasets"]] == ["Actual", "Projected", "Budget"]
        actual, projected, budget = (d["data"] for d in chart["datasets"])
        n = len(chart["labels"])
        assert chart["labels"][-1] == due  # drawn to the period's end
        assert len(actual) == len(projected) == len(budget) == n
        assert budget == [40] * n
        assert [v for v in actual if v is not None][-1] == forecast["used_hours"]
        assert projected[-1] == forecast["projected_hours_at_end"]
        assert actual[chart["labels"].index(today.isoformat())] == forecast["used_hours"]
        assert all(v is None for v in actual[chart["labels"].index(today.isoformat()) + 1:])

        # 5. The figures are the API's, as the page formats them.
        forecast = send("GET", f"/api/projects/{pid}/forecast")["body"]
        shown = page.evaluate(FIGURES)
        assert shown == {
            "used_hours": _hours(forecast["used_hours"]),
            "used_percent": f"{forecast['used_percent']}%",
            "remaining_hours": _hours(forecast["remaining_hours"]),
            "burn_hours_per_working_day": _hours(forecast["burn_hours_per_working_day"]),
            "required_hours_per_working_day": _hours(forecast["required_hours_per_working_day"]),
            "projected_exhaustion_date": forecast["projected_exhaustion_date"] or "—",
            "projected_hours_at_end": _hours(forecast["projected_hours_at_end"]),
            "billable_amount": f"{forecast['billable_amount']:.2f}",
        }
        # 29 h of 40 (72.5 → 73 %); burn 24 h / 28 days; ⌈11 ÷ 0.857…⌉ = 13 days ≤ 20 to the due date.
        assert (forecast["used_percent"], forecast["billable_amount"], forecast["status"]) == (73, 720.0, "at_risk")
        assert forecast["projected_exhaustion_date"] == (today + timedelta(days=13)).isoformat()
        assert page.locator("[data-testid=forecast-status]").get_attribute("data-status") == forecast["status"]
        assert errors == []
    finally:
        context.close()
