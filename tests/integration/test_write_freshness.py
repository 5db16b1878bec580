"""Every write route makes the next stats call fresh, with a warm cache (issue 8, "Done when").

One parametrised test walks every route that writes a user's data — the JSON API, the
HTML forms, imports (API, plain form, htmx job) and backup restores — through the same
steps (docs/productivity.md, "Freshness"; CONTRACT section 4):

1. set up what the write needs (through the API: those are writes too, done before warming);
2. warm the stats cache and prove it is warm: the repeated call issues no SQL statement
   (while a timer runs, the completed part is cached and the live fields overlaid);
3. do the write through the route under test;
4. the next stats call is computed afresh (it issues SQL), shows the route's figure with
   its new value, and equals a cold recomputation (the cache version moved by hand).

Entries sit on YESTERDAY in the user's zone at 10:00 and days are looked up by date,
never by position, so no case depends on the time of day; nothing sleeps.

The second test pins the one rounding rule on a 450-second day: 0.13 h in the stats API,
daily.csv and every page fragment that shows the hours of a day (docs/productivity.md,
"Rounding").
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from anyio.from_thread import BlockingPortal
from sqlalchemy import select, update

from app.db.models import TimeEntry, User
from app.settings import Settings
from tests.integration.helpers import db_all, db_run
from tests.support import QueryCounter, UserCtx

STATS = "/api/productivity/stats"
ZONE = "America/New_York"
TOGGL_HEADER = "Start date,Start time,End date,End time,Project,Description,Billable\n"
MOMENTUM_HEADER = (
    "id,project,task,start_local,end_local,start_utc,end_utc,duration_seconds,billable,notes,outcome,tags\n"
)
# Live figures of a running timer move between two calls; they are left out of comparisons.
LIVE_SUMMARY_KEYS = ("today_live_hours", "week_live_hours")


class _Anything:
    """Equal to every value: a part of a figure a case does not pin."""

    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Anything()


@dataclass
class World:
    """One case's user, its local dates and the ids its setup created."""

    u: UserCtx
    settings: Settings
    portal: BlockingPortal
    yesterday: date
    monday: date
    ids: dict[str, Any] = field(default_factory=dict)

    # -------------------------------------------------------- local times

    def at(self, hour: int, minute: int = 0, second: int = 0, day: date | None = None) -> datetime:
        d = day or self.yesterday
        return datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=ZoneInfo(ZONE))

    def iso(self, hour: int, minute: int = 0, second: int = 0) -> str:
        return self.at(hour, minute, second).isoformat()

    def utc(self, hour: int, minute: int = 0) -> str:
        return self.at(hour, minute).astimezone(UTC).isoformat().replace("+00:00", "Z")

    def local_input(self, hour: int, minute: int = 0) -> str:
        return self.at(hour, minute).strftime("%Y-%m-%dT%H:%M")

    # -------------------------------------------------------- requests

    def api(self, method: str, url: str, status: int | tuple[int, ...] = 200, **kwargs: Any) -> Any:
        r = self.u.api(method, url, **kwargs)
        expected = status if isinstance(status, tuple) else (status,)
        assert r.status_code in expected, f"{method} {url}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def form(self, url: str, data: dict[str, Any] | None = None, status: int = 303, **kwargs: Any) -> Any:
        """A plain HTML form post, as a browser without JavaScript sends it (CSRF field)."""
        body = {**(data or {}), "_csrf_token": self.u.csrf["X-CSRF-Token"]}
        r = self.u.browser().post(url, data=body, follow_redirects=False, **kwargs)
        assert r.status_code == status, f"POST {url}: {r.status_code} {r.text[:2000]}"
        return r

    # -------------------------------------------------------- building blocks

    def entry(self, start: tuple[int, ...], end: tuple[int, ...], **body: Any) -> int:
        created = self.api("POST", "/api/entries", 201, json={
            "start_time": self.iso(*start), "end_time": self.iso(*end), **body})
        return int(created["id"])

    def project(self, name: str) -> int:
        return int(self.api("POST", "/api/projects", 201, json={"name": name})["id"])

    def task(self, project_id: int, name: str = "Ship it") -> int:
        return int(self.api("POST", "/api/tasks", 201, json={"project_id": project_id, "name": name})["id"])

    def goal(self, name: str, metric: str = "hours", target: float = 20, period: str = "weekly") -> int:
        return int(self.api("POST", "/api/goals", 201, json={
            "name": name, "metric": metric, "target": target, "period": period})["id"])

    def running_timer_since_yesterday(self, notes: str = "running") -> None:
        """A running timer started at yesterday 10:00 (the start moved back in the database)."""
        self.api("POST", "/api/timer/start", 201, json={"notes": notes})
        start = self.at(10)

        async def backdate(db: Any) -> None:
            await db.execute(
                update(TimeEntry)
                .where(TimeEntry.user_id == self.u.id, TimeEntry.end_time.is_(None))
                .values(start_time=start)
            )

        db_run(self.settings, backdate)

    def toggl(self, project: str = "Imported") -> bytes:
        d = self.yesterday.isoformat()
        return (TOGGL_HEADER + f"{d},10:00,{d},11:30,{project},imported row,Yes\n").encode()

    def momentum_csv(self, project: str = "Imported") -> bytes:
        row = f",{project},,,,{self.utc(10)},{self.utc(11, 30)},,true,imported row,,\n"
        return (MOMENTUM_HEADER + row).encode()

    def backup(self, *, project: str = "Restored", start: tuple[int, int] = (10, 0),
               end: tuple[int, int] = (11, 30)) -> bytes:
        doc = {
            "format": "momentum-backup", "version": 1, "exported_at": "2026-01-01T00:00:00Z",
            "user": {"email": "someone@example.com", "timezone": ZONE, "standard_hours_per_day": 7.5,
                     "working_days": [1, 2, 3, 4], "streak_min_minutes": 0, "streak_skip_non_working": False},
            "projects": [{"id": 7, "name": project, "color": "#112233", "billable": False, "archived": False,
                          "client": None}],
            "tasks": [],
            "entries": [{"id": 1, "project_id": 7, "task_id": None, "start_time": self.utc(*start),
                         "end_time": self.utc(*end), "billable": False, "notes": "restored", "outcome": "",
                         "tags": []}],
            "weekly_goals": [],
            "goals": [{"id": 3, "name": "Restored goal", "metric": "hours", "period": "weekly",
                       "direction": "at_least", "project_id": None,
                       "targets": [{"effective_from": self.monday.isoformat(), "target": 5.0}]}],
        }
        return json.dumps(doc).encode()

    def api_import(self, data: bytes, fmt: str, filename: str = "export.csv") -> None:
        body = self.api("POST", "/api/import", 200, files={"file": (filename, data, "text/csv")},
                        data={"format": fmt, "timezone": ZONE, "dry_run": "false", "skip_bad_rows": "false"})
        assert body["ok"] and body["written"], body

    def form_import(self, data: bytes, fmt: str, filename: str = "export.csv") -> None:
        r = self.form("/import", {"format": fmt, "timezone": ZONE}, status=200,
                      files={"file": (filename, data, "text/csv")})
        assert "Imported 1 entries" in html.unescape(r.text), r.text[:2000]

    def htmx_import(self, data: bytes, fmt: str) -> None:
        """The /import form with htmx: a background job; the test waits for the job itself."""
        from app.domain.transfer import pages as transfer

        headers = {"HX-Request": "true", **self.u.csrf}
        r = self.u.browser().post("/import", files={"file": ("export.csv", data, "text/csv")},
                                  data={"format": fmt, "timezone": ZONE}, headers=headers)
        assert r.status_code == 200, r.text
        job = re.search(r'hx-get="/import/jobs/([^"]+)"', r.text)
        assert job is not None, r.text

        async def jobs_done() -> None:
            await asyncio.gather(*list(transfer._background))

        self.portal.call(jobs_done)
        final = self.u.browser().get(f"/import/jobs/{job.group(1)}", headers=headers)
        assert 'data-state="done"' in final.text, final.text
        assert "Imported 1 entries" in html.unescape(final.text), final.text


# ---------------------------------------------------------------- figures


def day(stats: dict[str, Any], w: World) -> dict[str, Any]:
    items: list[dict[str, Any]] = [d for d in stats["daily_breakdown"] if d["date"] == w.yesterday.isoformat()]
    assert len(items) == 1, stats["daily_breakdown"]
    return items[0]


def hours(s: dict[str, Any], w: World) -> Any:
    return day(s, w)["hours"]


def hours_and_count(s: dict[str, Any], w: World) -> Any:
    d = day(s, w)
    return d["hours"], d["entry_count"]


def timer(s: dict[str, Any], w: World) -> Any:
    t = s["summary"]["active_timer"]
    return None if t is None else t["notes"]


def timer_and_day(s: dict[str, Any], w: World) -> Any:
    d = day(s, w)
    return timer(s, w), d["hours"], d["entry_count"]


def project_names(s: dict[str, Any], w: World) -> Any:
    return sorted(p["name"] for p in s["projects"] if p["kind"] == "project")


def week_goal(s: dict[str, Any], w: World) -> Any:
    return s["summary"]["week_goal_hours"]


def goals(s: dict[str, Any], w: World) -> Any:
    return sorted((g["name"], g["target"], g["achieved"]) for g in s["goals"])


def imported(s: dict[str, Any], w: World) -> Any:
    return hours(s, w), project_names(s, w)


def restored(s: dict[str, Any], w: World) -> Any:
    return hours(s, w), project_names(s, w), week_goal(s, w), [g[0] for g in goals(s, w)]


def hour_of_day(s: dict[str, Any], w: World) -> Any:
    return s["focus"]["most_productive_hour"]


def peak_hour_moved(s: dict[str, Any], w: World) -> Any:
    return hours(s, w), hour_of_day(s, w)


def _peak_in_new_zone(w: World) -> Any:
    return 1.0, w.at(10).astimezone(ZoneInfo(w.ids["zone"])).hour


def nothing(s: dict[str, Any], w: World) -> Any:
    """No figure of the payload shows this write (a project or task without time):
    the generic checks (a recomputed call equal to a cold one) still apply."""
    return None


# ---------------------------------------------------------------- the routes


Step = Callable[[World], Any]


def _noop(w: World) -> None:
    return None


@dataclass(frozen=True)
class Route:
    id: str
    write: Step
    figure: Callable[[dict[str, Any], World], Any]
    before: Any
    after: Any
    setup: Step = _noop
    marks: tuple[Any, ...] = ()


def _entry_1h(w: World) -> None:
    w.ids["entry"] = w.entry((10, 0), (11, 0))


def _project_with_entry(w: World) -> None:
    w.ids["project"] = w.project("Old name")
    w.entry((10, 0), (11, 0), project_id=w.ids["project"])


def _project_alone(w: World) -> None:
    w.ids["project"] = w.project("Lonely")


def _task_with_goal(w: World) -> None:
    w.ids["project"] = w.project("Tasks")
    w.ids["task"] = w.task(w.ids["project"])
    w.goal("Ship", metric="tasks_completed", target=1, period="daily")


def _done_task_with_goal(w: World) -> None:
    _task_with_goal(w)
    w.api("PATCH", f"/api/tasks/{w.ids['task']}", json={"status": "done"})


def _weekly_goal(w: World) -> None:
    w.api("PUT", f"/api/weekly-goals/{w.monday.isoformat()}", json={"target_hours": 12.5})


def _goal(w: World) -> None:
    w.ids["goal"] = w.goal("Focus")


def _entry_and_zone_of_the_same_date(w: World) -> None:
    w.entry((10, 0), (11, 0))
    now = datetime.now(UTC)
    w.ids["zone"] = "Europe/London" if now.astimezone(ZoneInfo(ZONE)).hour < 18 else "America/Los_Angeles"
    assert now.astimezone(ZoneInfo(w.ids["zone"])).date() == now.astimezone(ZoneInfo(ZONE)).date()


def _entry_deleted(w: World) -> None:
    """An entry deleted through the API: its Undo is named by the Link header (docs/ui.md)."""
    entry_id = w.entry((10, 0), (11, 0))
    r = w.u.api("DELETE", f"/api/entries/{entry_id}")
    assert r.status_code == 204
    w.ids["undo"] = int(r.headers["link"].split("/api/undo/")[1].split(">")[0])


def _project_archived(w: World) -> None:
    _project_with_entry(w)
    w.api("DELETE", f"/api/projects/{w.ids['project']}")


def _entry_for_merge(w: World) -> None:
    w.entry((13, 0), (14, 0))


def _filing_rule(w: World) -> None:
    """A project and a rule that files "standup" entries under it (docs/rules.md)."""
    w.ids["project"] = w.project("Meetings")
    w.api("POST", "/api/rules", 201, json={
        "name": "File standups", "trigger": "entry_saved",
        "conditions": [{"field": "notes", "op": "contains", "value": "standup"}],
        "actions": [{"type": "set_project", "project_id": w.ids["project"]}]})


def _rule(w: World) -> None:
    w.ids["rule"] = w.api("POST", "/api/rules", 201, json={
        "name": "Tag", "trigger": "entry_saved", "actions": [{"type": "add_tag", "tag": "x"}]})["id"]


RULE_FORM = {"name": "Tag", "trigger": "entry_saved", "enabled": "on", "act_type_0": "add_tag", "act_value_0": "x"}


SETTINGS_FORM = {"timezone": ZONE, "standard_hours_per_day": "6", "working_days": ["1", "2", "3", "4", "5"],
                 "streak_min_minutes": "0"}

ROUTES: tuple[Route, ...] = (
    # ------------------------------------------------------------ JSON API
    Route("api-entry-create", lambda w: w.entry((10, 0), (11, 30)), hours_and_count, (0, 0), (1.5, 1)),
    Route("api-entry-patch", lambda w: w.api("PATCH", f"/api/entries/{w.ids['entry']}",
                                             json={"end_time": w.iso(12, 15)}),
          hours, 1.0, 2.25, setup=_entry_1h),
    Route("api-entry-delete", lambda w: w.api("DELETE", f"/api/entries/{w.ids['entry']}", 204),
          hours_and_count, (1.0, 1), (0, 0), setup=_entry_1h),
    Route("api-timer-start", lambda w: w.api("POST", "/api/timer/start", 201, json={"notes": "deep work"}),
          timer, None, "deep work"),
    Route("api-timer-stop", lambda w: w.api("POST", "/api/timer/stop", json={"end_time": w.iso(11, 30)}),
          timer_and_day, ("running", ANY, ANY), (None, 1.5, 1), setup=lambda w: w.running_timer_since_yesterday()),
    Route("api-project-create", lambda w: w.project("Fresh"), nothing, None, None),
    Route("api-project-patch", lambda w: w.api("PATCH", f"/api/projects/{w.ids['project']}",
                                               json={"name": "New name"}),
          project_names, ["Old name"], ["New name"], setup=_project_with_entry),
    Route("api-project-delete-archives", lambda w: w.api("DELETE", f"/api/projects/{w.ids['project']}"),
          project_names, ["Old name"], ["Old name"], setup=_project_with_entry),
    Route("api-project-delete", lambda w: w.api("DELETE", f"/api/projects/{w.ids['project']}", 204),
          nothing, None, None, setup=_project_alone),
    Route("api-task-create", lambda w: w.task(w.ids["project"], "Another"), goals, [("Ship", 1, 0)],
          [("Ship", 1, 0)], setup=_task_with_goal),
    Route("api-task-done", lambda w: w.api("PATCH", f"/api/tasks/{w.ids['task']}", json={"status": "done"}),
          goals, [("Ship", 1, 0)], [("Ship", 1, 1)], setup=_task_with_goal),
    Route("api-task-delete", lambda w: w.api("DELETE", f"/api/tasks/{w.ids['task']}", 204),
          goals, [("Ship", 1, 1)], [("Ship", 1, 0)], setup=_done_task_with_goal),
    Route("api-weekly-goal-put", lambda w: w.api("PUT", f"/api/weekly-goals/{w.monday.isoformat()}",
                                                 json={"target_hours": 12.5}),
          week_goal, 40, 12.5),
    Route("api-weekly-goal-delete", lambda w: w.api("DELETE", f"/api/weekly-goals/{w.monday.isoformat()}", 204),
          week_goal, 12.5, 40, setup=_weekly_goal),
    Route("api-goal-create", lambda w: w.goal("Focus"), goals, [], [("Focus", 20, 0)]),
    Route("api-goal-patch", lambda w: w.api("PATCH", f"/api/goals/{w.ids['goal']}", json={"target": 25}),
          goals, [("Focus", 20, 0)], [("Focus", 25, 0)], setup=_goal),
    Route("api-goal-delete", lambda w: w.api("DELETE", f"/api/goals/{w.ids['goal']}", 204),
          goals, [("Focus", 20, 0)], [], setup=_goal),
    Route("api-me-hours", lambda w: w.api("PATCH", "/api/me", json={"standard_hours_per_day": 6}),
          week_goal, 40, 30),
    # The new zone has New York's date right now (so only the data version, not the date in
    # the cache key, can make the next call fresh); the entry's local hour moves.
    Route("api-me-timezone", lambda w: w.api("PATCH", "/api/me", json={"timezone": w.ids["zone"]}),
          peak_hour_moved, (1.0, 10), _peak_in_new_zone, setup=_entry_and_zone_of_the_same_date),
    # A rule's change is part of the write that triggered it: the next call sees it.
    Route("api-entry-create-filed-by-rule", lambda w: w.entry((10, 0), (11, 0), notes="Standup"),
          project_names, [], ["Meetings"], setup=_filing_rule),
    Route("api-rule-create", _rule, nothing, None, None),
    Route("api-rule-patch", lambda w: w.api("PATCH", f"/api/rules/{w.ids['rule']}", json={"enabled": False}),
          nothing, None, None, setup=_rule),
    Route("api-rule-delete", lambda w: w.api("DELETE", f"/api/rules/{w.ids['rule']}", 204), nothing, None, None,
          setup=_rule),
    # ------------------------------------------------------------ HTML forms
    Route("form-entry-create", lambda w: w.form("/entries", {
        "start_time": w.local_input(10), "end_time": w.local_input(11, 30), "notes": "form"}),
          hours_and_count, (0, 0), (1.5, 1)),
    Route("form-entry-update", lambda w: w.form(f"/entries/{w.ids['entry']}", {
        "start_time": w.local_input(10), "end_time": w.local_input(12, 15), "project_id": "", "notes": "",
        "outcome": "", "tags": ""}),
          hours, 1.0, 2.25, setup=_entry_1h),
    Route("form-entry-delete", lambda w: w.form(f"/entries/{w.ids['entry']}/delete"),
          hours_and_count, (1.0, 1), (0, 0), setup=_entry_1h),
    Route("api-undo-entry-delete", lambda w: w.api("POST", f"/api/undo/{w.ids['undo']}"),
          hours_and_count, (0, 0), (1.0, 1), setup=_entry_deleted),
    Route("form-undo-entry-delete", lambda w: w.form(f"/undo/{w.ids['undo']}"),
          hours_and_count, (0, 0), (1.0, 1), setup=_entry_deleted),
    Route("form-project-unarchive", lambda w: w.form(f"/projects/{w.ids['project']}/unarchive"),
          project_names, ["Old name"], ["Old name"], setup=_project_archived),
    Route("form-timer-start", lambda w: w.form("/timer/start", {"notes": "deep work"}), timer, None, "deep work"),
    # Stopped now: the entry runs from yesterday 10:00 past midnight, so yesterday holds 14 h.
    Route("form-timer-stop", lambda w: w.form("/timer/stop"), timer_and_day, ("running", ANY, ANY),
          (None, 14.0, 1), setup=lambda w: w.running_timer_since_yesterday()),
    Route("form-project-create", lambda w: w.form("/projects", {"name": "Fresh", "color": "#336699"}),
          nothing, None, None),
    Route("form-project-update", lambda w: w.form(f"/projects/{w.ids['project']}", {
        "name": "New name", "color": "#336699"}),
          project_names, ["Old name"], ["New name"], setup=_project_with_entry),
    Route("form-project-delete", lambda w: w.form(f"/projects/{w.ids['project']}/delete"),
          nothing, None, None, setup=_project_alone),
    Route("form-task-create", lambda w: w.form("/tasks", {"project_id": str(w.ids["project"]), "name": "Another"}),
          goals, [("Ship", 1, 0)], [("Ship", 1, 0)], setup=_task_with_goal),
    Route("form-task-done", lambda w: w.form(f"/tasks/{w.ids['task']}", {"status": "done"}),
          goals, [("Ship", 1, 0)], [("Ship", 1, 1)], setup=_task_with_goal),
    Route("form-task-delete", lambda w: w.form(f"/tasks/{w.ids['task']}/delete"),
          goals, [("Ship", 1, 1)], [("Ship", 1, 0)], setup=_done_task_with_goal),
    Route("form-goal-create", lambda w: w.form("/goals", {
        "name": "Focus", "metric": "hours", "target": "20", "period": "weekly", "direction": "at_least"}),
          goals, [], [("Focus", 20, 0)]),
    Route("form-goal-update", lambda w: w.form(f"/goals/{w.ids['goal']}", {"target": "25"}),
          goals, [("Focus", 20, 0)], [("Focus", 25, 0)], setup=_goal),
    Route("form-goal-delete", lambda w: w.form(f"/goals/{w.ids['goal']}/delete"),
          goals, [("Focus", 20, 0)], [], setup=_goal),
    Route("form-weekly-goal", lambda w: w.form("/goals/weekly", {"target_hours": "12.5"}), week_goal, 40, 12.5),
    Route("form-weekly-goal-clear", lambda w: w.form("/goals/weekly", {"target_hours": ""}),
          week_goal, 12.5, 40, setup=_weekly_goal),
    Route("form-settings", lambda w: w.form("/settings", SETTINGS_FORM), week_goal, 40, 30),
    Route("form-rule-create", lambda w: w.form("/rules", RULE_FORM, status=201), nothing, None, None),
    Route("form-rule-template", lambda w: w.form("/rules/templates/auto_stop", {"auto_stop_hours": "8"}),
          nothing, None, None),
    Route("form-rule-update", lambda w: w.form(f"/rules/{w.ids['rule']}", RULE_FORM), nothing, None, None,
          setup=_rule),
    Route("form-rule-move", lambda w: w.form(f"/rules/{w.ids['rule']}/move", {"direction": "up"}), nothing, None,
          None, setup=_rule),
    Route("form-rule-toggle", lambda w: w.form(f"/rules/{w.ids['rule']}/toggle"), nothing, None, None, setup=_rule),
    Route("form-rule-secret", lambda w: w.form(f"/rules/{w.ids['rule']}/secret", status=200), nothing, None, None,
          setup=_rule),
    Route("form-rule-delete", lambda w: w.form(f"/rules/{w.ids['rule']}/delete"), nothing, None, None,
          setup=_rule),
    # ------------------------------------------------------------ Home and the card layout (issue 9)
    Route("api-timer-start-earlier", lambda w: w.api("POST", "/api/timer/start", 201, json={
        "notes": "earlier", "start_time": w.iso(10)}), timer, None, "earlier"),
    Route("form-timer-start-earlier", lambda w: w.form("/timer/start", {"notes": "earlier", "minutes_ago": "20"}),
          timer, None, "earlier"),
    Route("form-timer-switch", lambda w: w.form("/timer/start", {"notes": "switched", "switch": "1"}),
          timer_and_day, ("running", ANY, ANY), ("switched", 14.0, 1),
          setup=lambda w: w.running_timer_since_yesterday()),
    Route("api-layout-put", lambda w: w.api("PUT", "/api/me/layout", json={"home": [
        {"name": n, "visible": n != "week"} for n in
        ("entries", "timer", "today", "week", "recent_projects", "quick_entry")]}), nothing, None, None),
    Route("api-layout-reset", lambda w: w.api("DELETE", "/api/me/layout"), nothing, None, None),
    Route("form-layout", lambda w: w.form("/settings/layout", {
        "home.order": ["timer", "today", "week", "recent_projects", "entries", "quick_entry"],
        "home.visible": ["timer"], "move": "home:week:-1"}), nothing, None, None),
    # ------------------------------------------------------------ imports
    Route("api-import-toggl", lambda w: w.api_import(w.toggl(), "toggl"), imported, (0, []), (1.5, ["Imported"])),
    Route("api-import-momentum-csv", lambda w: w.api_import(w.momentum_csv(), "momentum"),
          imported, (0, []), (1.5, ["Imported"])),
    Route("form-import", lambda w: w.form_import(w.toggl(), "toggl"), imported, (0, []), (1.5, ["Imported"])),
    Route("form-import-htmx-job", lambda w: w.htmx_import(w.toggl(), "toggl"), imported, (0, []),
          (1.5, ["Imported"])),
    # ------------------------------------------------------------ restores (backup.json)
    Route("api-restore-into-empty-account",
          lambda w: w.api_import(w.backup(), "momentum", "momentum-backup.json"),
          restored, (0, [], 40, []), (1.5, ["Restored"], 30, ["Restored goal"])),
    Route("api-restore-into-used-account",  # settings are kept; entries, projects and goals are added
          lambda w: w.api_import(w.backup(), "momentum", "momentum-backup.json"),
          restored, (1.0, [], 40, []), (2.5, ["Restored"], 40, ["Restored goal"]), setup=_entry_for_merge),
    Route("form-restore", lambda w: w.form_import(w.backup(), "momentum", "momentum-backup.json"),
          restored, (0, [], 40, []), (1.5, ["Restored"], 30, ["Restored goal"])),
    # ------------------------------------------------------------ idle time and the long-timer notice
    Route("api-timer-idle-discard-stop", lambda w: w.api("POST", "/api/timer/idle",
                                                         json={"idle_since": w.iso(11, 30), "action": "discard_stop"}),
          timer_and_day, ("running", ANY, ANY), (None, 1.5, 1), setup=lambda w: w.running_timer_since_yesterday()),
    Route("form-long-timer-stop-at", lambda w: w.form(
        f"/notifications/timer/{w.api('GET', '/api/timer')['active_timer']['id']}/stop",
        {"end_time": w.local_input(11, 30)}),
          timer_and_day, ("running", ANY, ANY), (None, 1.5, 1), setup=lambda w: w.running_timer_since_yesterday()),
)

# --- workspace (issue 9): the timer actions of the palette, shortcuts and quick actions ---
ROUTES = (*ROUTES,
    Route("form-action-timer-start", lambda w: w.form("/actions/timer/start", {"notes": "deep work"}),
          timer, None, "deep work"),
    Route("form-action-timer-stop", lambda w: w.form("/actions/timer/stop"), timer_and_day, ("running", ANY, ANY),
          (None, 14.0, 1), setup=lambda w: w.running_timer_since_yesterday()),
    Route("form-action-timer-toggle", lambda w: w.form("/actions/timer/toggle"), timer_and_day,
          ("running", ANY, ANY), (None, 14.0, 1), setup=lambda w: w.running_timer_since_yesterday()),
    Route("form-action-continue", lambda w: w.form("/actions/continue", {"entry_id": str(w.ids["entry"])}),
          timer, None, "", setup=_entry_1h),
)
# --- end workspace ---


# ---------------------------------------------------------------- stats calls


def stats(u: UserCtx) -> dict[str, Any]:
    r = u.api("GET", STATS)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def comparable(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without the figures a running timer moves from one call to the next."""
    out = json.loads(json.dumps(payload))
    summary = out["summary"]
    if summary["active_timer"] is not None:
        summary["active_timer"].pop("elapsed_seconds")
        for key in LIVE_SUMMARY_KEYS:
            summary.pop(key)
    return out  # type: ignore[no-any-return]


def warm(u: UserCtx, count_queries: QueryCounter) -> dict[str, Any]:
    """Two calls; the second comes from the cache without one SQL statement. While a timer
    runs the completed part is cached and the live fields are overlaid per call, unless
    the user has goals: then every call is recomputed (docs/productivity.md, "Caching")."""
    first = stats(u)
    # Every request reads its credential (and the user's data version) from the database:
    # exactly one statement; a cache hit adds none (docs/architecture.md, "Freshness").
    count_queries.settle()
    before = count_queries.count + 1
    again = stats(u)
    if first["summary"]["active_timer"] is None:
        assert count_queries.count == before, "the repeated call was not served from the cache"
        assert again == first
    elif first["goals"]:
        assert count_queries.count > before, "a payload with a running timer and goals was served from the cache"
    else:
        assert count_queries.count == before, "the completed part was not served from the cache"
        assert comparable(again) == comparable(first)
    return first


def cold(w: World) -> dict[str, Any]:
    """The payload computed afresh: the cache emptied by hand first."""
    from app.lib import cache as cache_lib

    w.portal.call(cache_lib.cache.clear)
    return stats(w.u)


# ---------------------------------------------------------------- the tests


@pytest.fixture()
def world(make_user: Any, settings: Settings, portal: BlockingPortal) -> World:
    u = make_user(timezone=ZONE)
    today = datetime.now(ZoneInfo(ZONE)).date()
    return World(u=u, settings=settings, portal=portal, yesterday=today - timedelta(days=1),
                 monday=today - timedelta(days=today.weekday()))


def _cases() -> list[Any]:
    return [pytest.param(r, id=r.id, marks=r.marks) for r in ROUTES]


@pytest.mark.parametrize("route", _cases())
def test_the_next_stats_call_after_a_write_is_fresh(route: Route, world: World, count_queries: QueryCounter) -> None:
    route.setup(world)
    warmed = warm(world.u, count_queries)
    assert route.figure(warmed, world) == route.before, "the setup did not give the expected starting figure"

    route.write(world)
    count_queries.settle()
    before = count_queries.count
    fresh = stats(world.u)
    assert count_queries.count > before, "the first stats call after the write came from the old cache"
    after = route.after(world) if callable(route.after) else route.after
    assert route.figure(fresh, world) == after
    assert comparable(fresh) == comparable(cold(world)), "the fresh payload differs from a cold recomputation"


def test_every_write_route_has_a_case(app: Any) -> None:
    """A new write route must join ROUTES (or be listed here as not writing stats data)."""
    not_stats_data = {
        ("POST", "/login"), ("POST", "/register"), ("POST", "/logout"),  # sessions, not figures
        ("POST", "/api/auth/tokens"), ("DELETE", "/api/auth/tokens/{token_id:int}"),  # credentials
        # the account page: credentials, and deleting the account (no figures are left to read)
        ("POST", "/api/me/password"), ("DELETE", "/api/me/sessions/{session_id:int}"),
        ("POST", "/api/me/sessions/sign-out-others"), ("DELETE", "/api/me"),
        ("POST", "/account/password"), ("POST", "/account/tokens"), ("POST", "/account/tokens/{token_id:int}/delete"),
        ("POST", "/account/sessions/{session_id:int}/delete"), ("POST", "/account/sessions/others"),
        ("POST", "/account/delete"),
        ("POST", "/api/rules/{rule_id:int}/preview"),  # reads only (docs/rules.md, "Preview")
        # workspace preferences: the theme and the shortcuts change no figure
        ("PUT", "/api/me/theme"), ("PUT", "/api/me/shortcuts"),
        ("POST", "/actions/theme"), ("POST", "/settings/keyboard"),
        # notices and their settings (docs/notifications.md), not figures
        ("POST", "/api/notifications/{notice_id:int}/read"), ("POST", "/api/notifications/read-all"),
        ("PATCH", "/api/me/notifications"), ("POST", "/notifications/{notice_id:int}/read"),
        ("POST", "/notifications/read-all"), ("POST", "/settings/notifications"),
    }
    covered = {
        ("POST", "/api/entries"), ("PATCH", "/api/entries/{entry_id:int}"), ("DELETE", "/api/entries/{entry_id:int}"),
        ("POST", "/api/timer/start"), ("POST", "/api/timer/stop"),
        ("POST", "/api/projects"), ("PATCH", "/api/projects/{project_id:int}"),
        ("DELETE", "/api/projects/{project_id:int}"),
        ("POST", "/api/tasks"), ("PATCH", "/api/tasks/{task_id:int}"), ("DELETE", "/api/tasks/{task_id:int}"),
        ("PUT", "/api/weekly-goals/{week_start:str}"), ("DELETE", "/api/weekly-goals/{week_start:str}"),
        ("POST", "/api/goals"), ("PATCH", "/api/goals/{goal_id:int}"), ("DELETE", "/api/goals/{goal_id:int}"),
        ("PATCH", "/api/me"), ("POST", "/api/import"),
        ("POST", "/entries"), ("POST", "/entries/{entry_id:int}"), ("POST", "/entries/{entry_id:int}/delete"),
        ("POST", "/timer/start"), ("POST", "/timer/stop"),
        ("POST", "/projects"), ("POST", "/projects/{project_id:int}"), ("POST", "/projects/{project_id:int}/delete"),
        ("POST", "/tasks"), ("POST", "/tasks/{task_id:int}"), ("POST", "/tasks/{task_id:int}/delete"),
        ("POST", "/goals"), ("POST", "/goals/{goal_id:int}"), ("POST", "/goals/{goal_id:int}/delete"),
        ("POST", "/goals/weekly"), ("POST", "/settings"), ("POST", "/import"),
        ("POST", "/api/rules"), ("PATCH", "/api/rules/{rule_id:int}"), ("DELETE", "/api/rules/{rule_id:int}"),
        ("POST", "/rules"), ("POST", "/rules/templates/{key:str}"), ("POST", "/rules/{rule_id:int}"),
        ("POST", "/rules/{rule_id:int}/toggle"), ("POST", "/rules/{rule_id:int}/secret"),
        ("POST", "/rules/{rule_id:int}/move"),
        ("POST", "/rules/{rule_id:int}/delete"),
        ("PUT", "/api/me/layout"), ("DELETE", "/api/me/layout"), ("POST", "/settings/layout"),
        ("POST", "/actions/timer/start"), ("POST", "/actions/timer/stop"), ("POST", "/actions/timer/toggle"),
        ("POST", "/actions/continue"),
        ("POST", "/api/timer/idle"), ("POST", "/notifications/timer/{entry_id:int}/stop"),
        ("POST", "/api/undo/{snapshot_id:int}"), ("POST", "/undo/{snapshot_id:int}"),
        ("POST", "/projects/{project_id:int}/unarchive"),
    }
    routes: set[tuple[str, str]] = set()
    for route in app.routes:
        for method in getattr(route, "methods", ()):
            if method in {"POST", "PUT", "PATCH", "DELETE"}:
                routes.add((method, route.path.rstrip("/") or "/"))
    assert routes - covered - not_stats_data == set()
    assert covered - routes == set(), "a listed route no longer exists"


# ---------------------------------------------------------------- one rounding rule: 450 s reads 0.13 h


def test_a_450_second_day_reads_0_13_hours_everywhere(world: World) -> None:
    w = world
    w.entry((10, 0, 0), (10, 7, 30))
    y = w.yesterday.isoformat()

    assert hours(stats(w.u), w) == 0.13

    r = w.u.api("GET", "/api/export/daily.csv", params={"start": y, "end": y})
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["date"], row["hours"]) for row in rows] == [(y, "0.13")]

    row = re.compile(rf'<time datetime="{y}">[^<]*</time></th>\s*<td class="num">([^<]*)</td>')
    for url in ("/dashboard/productivity/fragments/daily", "/dashboard/productivity/"):
        page = w.u.browser().get(url)
        assert page.status_code == 200, page.text
        assert row.findall(page.text) == ["0.13"], f"{url}: the day's row in the table"
    heatmap = w.u.browser().get("/dashboard/productivity/fragments/heatmap")
    assert heatmap.status_code == 200, heatmap.text
    assert f"{y}: 0.13 h" in html.unescape(heatmap.text)


# ---------------------------------------------------------------- a refused restore writes nothing


def test_a_restore_refused_for_a_bad_entry_changes_no_setting(world: World) -> None:
    """docs/import-export.md: a backup is checked before anything is written; a row error
    makes the whole import write nothing — the account's settings included."""
    w = world
    doc = json.loads(w.backup())
    doc["entries"][0]["end_time"] = doc["entries"][0]["start_time"]  # an entry of no time: a row error
    r = w.u.api("POST", "/api/import", files={"file": ("momentum-backup.json", json.dumps(doc).encode(), "text/csv")},
                data={"format": "momentum", "timezone": ZONE})
    assert r.status_code == 422, r.text
    stored = db_all(w.settings, select(User.standard_hours_per_day, User.working_days).where(User.id == w.u.id))
    assert [tuple(row) for row in stored] == [(8.0, [1, 2, 3, 4, 5])]
    me = w.api("GET", "/api/me")
    assert (me["standard_hours_per_day"], me["working_days"]) == (8.0, [1, 2, 3, 4, 5])
