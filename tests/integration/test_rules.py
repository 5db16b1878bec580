"""Automation rules through the JSON API (CONTRACT section 8, docs/rules.md): CRUD,
validation and limits, each trigger and action, order, the guarantees, the preview."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.db.models import Notification, RuleRun, TimeEntry, User
from tests.integration.helpers import db_all, db_run, db_scalar

ENTRY = {"start_time": "2026-11-30T09:00:00Z", "end_time": "2026-11-30T09:30:00Z"}


def make_rule(u: Any, trigger: str = "entry_saved", conditions: list[Any] | None = None,
              actions: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    body = {"name": extra.pop("name", "rule"), "trigger": trigger, "conditions": conditions or [],
            "actions": actions or [{"type": "add_tag", "tag": "auto"}], **extra}
    r = u.api("POST", "/api/rules", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def cond(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def runs(u: Any, rule_id: int) -> list[dict[str, Any]]:
    r = u.api("GET", f"/api/rules/{rule_id}/runs")
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def wait_for(check: Any, seconds: float = 10.0) -> Any:
    """Poll a background effect (a webhook, a failed run's record) until it shows."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def notices(settings: Any, user_id: int) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in db_all(settings, select(Notification.kind, Notification.key, Notification.title)
                                     .where(Notification.user_id == user_id).order_by(Notification.id))]


def data_version(settings: Any, user_id: int) -> int:
    return int(db_scalar(settings, select(User.data_version).where(User.id == user_id)))


@pytest.fixture()
def no_background_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own minute sweep must not act before the test's injected clock does."""
    from app.domain.rules import timers

    monkeypatch.setattr(timers, "SWEEP_PAUSED", True)


def running_since(u: Any, settings: Any, start: datetime, notes: str = "") -> int:
    r = u.api("POST", "/api/timer/start", json={"notes": notes})
    assert r.status_code == 201, r.text

    async def backdate(db: Any) -> None:
        await db.execute(update(TimeEntry).where(TimeEntry.id == r.json()["id"]).values(start_time=start))

    db_run(settings, backdate)
    return int(r.json()["id"])


# ---------------------------------------------------------------- CRUD


def test_create_shows_the_secret_once_and_crud_round_trips(user: Any) -> None:
    rule = make_rule(user, conditions=[cond("notes", "contains", "standup")], name="Tag standups")
    assert set(rule) == {"id", "name", "enabled", "position", "trigger", "conditions", "actions", "created_at",
                         "secret"}
    assert len(rule["secret"]) == 64
    got = user.api("GET", f"/api/rules/{rule['id']}").json()
    assert got["secret"] is None
    assert got["conditions"] == [cond("notes", "contains", "standup")]
    assert got["actions"] == [{"type": "add_tag", "tag": "auto"}]
    r = user.api("PATCH", f"/api/rules/{rule['id']}", json={"enabled": False, "name": "Off"})
    assert (r.status_code, r.json()["enabled"], r.json()["name"]) == (200, False, "Off")
    assert [x["id"] for x in user.api("GET", "/api/rules").json()] == [rule["id"]]
    assert user.api("DELETE", f"/api/rules/{rule['id']}").status_code == 204
    assert user.api("GET", f"/api/rules/{rule['id']}").status_code == 404


def test_an_action_may_name_its_type_as_action(user: Any) -> None:
    rule = make_rule(user, actions=[{"action": "add_tag", "tag": "x"}])
    assert rule["actions"] == [{"type": "add_tag", "tag": "x"}]
    assert user.api("POST", "/api/entries", json=ENTRY).json()["tags"] == ["x"]


def test_another_users_rule_is_404(make_user: Any) -> None:
    owner, other = make_user(), make_user()
    rule = make_rule(owner)
    for method, url in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/runs"), ("POST", "/preview")]:
        r = other.api(method, f"/api/rules/{rule['id']}{url}", json={} if method == "PATCH" else None)
        assert r.status_code == 404, (method, url)
        assert r.json() == {"ok": False, "error": "rule not found"}


def test_validation_answers_422_naming_the_field(user: Any) -> None:
    cases = [
        ({"trigger": "entry_deleted"}, "trigger: must be one of"),
        ({"conditions": [cond("colour", "equals", "x")]}, "conditions[0].field"),
        ({"conditions": [cond("notes", "gte", "x")]}, "conditions[0].op"),
        ({"conditions": [cond("weekday", "equals", 8)]}, "conditions[0].value"),
        ({"conditions": [cond("start_hour", "in", [])]}, "conditions[0].value"),
        ({"conditions": [cond("elapsed_hours", "gte", 1)]}, "conditions[0].field"),  # not on entry_saved
        ({"actions": [{"type": "explode"}]}, "actions[0].type"),
        ({"actions": [{"type": "stop_timer"}]}, "actions[0].type"),  # only timer_running
        ({"actions": [{"type": "add_tag", "tag": "x" * 41}]}, "actions[0].tag"),
        ({"actions": [{"type": "set_project", "project_id": 99999999}]}, "actions[0].project_id"),
        ({"actions": []}, "actions: at least one action"),
        ({"name": "  "}, "name: must not be blank"),
        ({"trigger": "timer_running", "actions": [{"type": "stop_timer"}]}, "conditions: a timer_running rule"),
    ]
    for change, message in cases:
        body = {"name": "r", "trigger": "entry_saved", "conditions": [], "actions": [{"type": "add_tag", "tag": "a"}],
                **change}
        r = user.api("POST", "/api/rules", json=body)
        assert r.status_code == 422, (change, r.text)
        assert r.json()["ok"] is False and message in r.json()["error"], (change, r.json())
    assert user.api("GET", "/api/rules").json() == []


def test_limits_25_rules_5_conditions_5_actions(user: Any) -> None:
    six = [cond("weekday", "gte", 1)] * 6
    r = user.api("POST", "/api/rules", json={"name": "r", "trigger": "entry_saved", "conditions": six,
                                             "actions": [{"type": "add_tag", "tag": "a"}]})
    assert (r.status_code, r.json()["error"]) == (422, "conditions: at most 5 conditions")
    r = user.api("POST", "/api/rules", json={"name": "r", "trigger": "entry_saved",
                                             "actions": [{"type": "add_tag", "tag": f"t{i}"} for i in range(6)]})
    assert (r.status_code, r.json()["error"]) == (422, "actions: at most 5 actions")
    make_rule(user, conditions=[cond("weekday", "gte", 1)] * 5,
              actions=[{"type": "add_tag", "tag": f"t{i}"} for i in range(5)])
    for _ in range(24):
        make_rule(user)
    r = user.api("POST", "/api/rules", json={"name": "r", "trigger": "entry_saved",
                                             "actions": [{"type": "add_tag", "tag": "a"}]})
    assert (r.status_code, r.json()["error"]) == (422, "rules: at most 25 rules per user")


def test_a_webhook_host_outside_the_allow_list_is_refused_at_creation(user: Any) -> None:
    r = user.api("POST", "/api/rules", json={"name": "hook", "trigger": "entry_saved",
                                             "actions": [{"type": "webhook", "url": "https://evil.example/x"}]})
    assert r.status_code == 422
    assert r.json()["error"] == "actions[0].url: host is not in MOMENTUM_WEBHOOK_HOSTS"


# ---------------------------------------------------------------- triggers


def test_entry_saved_runs_on_create_edit_and_timer_stop(user: Any) -> None:
    rule = make_rule(user, conditions=[cond("notes", "contains", "standup")])
    created = user.api("POST", "/api/entries", json={**ENTRY, "notes": "Daily STANDUP"}).json()
    assert created["tags"] == ["auto"]
    other = user.api("POST", "/api/entries", json={**ENTRY, "notes": "coding"}).json()
    assert other["tags"] == []
    edited = user.api("PATCH", f"/api/entries/{other['id']}", json={"notes": "standup notes"}).json()
    assert edited["tags"] == ["auto"]
    user.api("POST", "/api/timer/start", json={"notes": "standup"})
    stopped = user.api("POST", "/api/timer/stop").json()
    assert stopped["tags"] == ["auto"]
    logged = runs(user, rule["id"])
    assert [r["entry_id"] for r in logged] == [stopped["id"], other["id"], created["id"]]
    assert all(r["ok"] and r["actions"] == ["tag + auto"] and r["trigger"] == "entry_saved" for r in logged)


def test_task_completed_logs_time_on_the_task_ending_now(user: Any, settings: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Ops", "billable": True}).json()
    t = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Deploy"}).json()
    rule = make_rule(user, "task_completed", [cond("project_id", "equals", p["id"])],
                     [{"type": "log_time", "minutes": 25}])
    before = datetime.now(UTC)
    assert user.api("PATCH", f"/api/tasks/{t['id']}", json={"status": "done"}).status_code == 200
    after = datetime.now(UTC)
    items = user.api("GET", "/api/entries").json()["items"]
    assert len(items) == 1
    e = items[0]
    end, start = datetime.fromisoformat(e["end_time"]), datetime.fromisoformat(e["start_time"])
    assert before - timedelta(seconds=1) <= end <= after
    assert (end - start, e["task_id"], e["project_id"], e["billable"]) == (timedelta(minutes=25), t["id"], p["id"],
                                                                           True)
    assert [(r["task_id"], r["ok"]) for r in runs(user, rule["id"])] == [(t["id"], True)]
    # Reopening and completing again is a new completion.
    user.api("PATCH", f"/api/tasks/{t['id']}", json={"status": "todo"})
    user.api("PATCH", f"/api/tasks/{t['id']}", json={"status": "done"})
    assert len(user.api("GET", "/api/entries").json()["items"]) == 2


def test_timer_running_applies_when_the_timer_is_read(user: Any, settings: Any) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    entry_id = running_since(user, settings, start)
    rule = make_rule(user, "timer_running", [cond("elapsed_hours", "gte", 2)], [{"type": "stop_timer"}])
    catch_all = make_rule(user, actions=[{"type": "add_tag", "tag": "saved"}])
    assert user.api("GET", "/api/timer").json() == {"active_timer": None}
    e = user.api("GET", f"/api/entries/{entry_id}").json()
    assert datetime.fromisoformat(e["end_time"]) == start + timedelta(hours=2)
    assert e["tags"] == [] and runs(user, catch_all["id"]) == []  # the rule's stop triggered no rule
    assert [(r["entry_id"], r["ok"]) for r in runs(user, rule["id"])] == [(entry_id, True)]


# ---------------------------------------------------------------- actions


def test_set_project_add_tag_set_billable_in_position_order(user: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Meetings"}).json()
    q = user.api("POST", "/api/projects", json={"name": "Calls"}).json()
    make_rule(user, conditions=[cond("notes", "contains", "sync")],
              actions=[{"type": "set_project", "project_id": q["id"]}, {"type": "add_tag", "tag": "call"}], position=1)
    make_rule(user, conditions=[cond("notes", "contains", "sync")],
              actions=[{"type": "set_project", "project_id": p["id"]}, {"type": "set_billable", "value": True}],
              position=0)
    e = user.api("POST", "/api/entries", json={**ENTRY, "notes": "Team sync"}).json()
    # Both apply, in position order: the later set_project wins.
    assert (e["project_name"], e["billable"], e["tags"]) == ("Calls", True, ["call"])


def test_a_rules_change_makes_no_other_rule_apply(user: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Meetings"}).json()
    make_rule(user, conditions=[cond("notes", "contains", "sync")],
              actions=[{"type": "set_project", "project_id": p["id"]}], position=0)
    tagger = make_rule(user, conditions=[cond("project_id", "equals", p["id"])],
                       actions=[{"type": "add_tag", "tag": "mtg"}], position=1)
    e = user.api("POST", "/api/entries", json={**ENTRY, "notes": "Team sync"}).json()
    assert (e["project_name"], e["tags"]) == ("Meetings", [])  # filed by the first rule only
    assert runs(user, tagger["id"]) == []
    # Saved by the user in that project, the entry now meets the second rule.
    again = user.api("PATCH", f"/api/entries/{e['id']}", json={}).json()
    assert again["tags"] == ["mtg"]


def test_notify_creates_a_rule_notice(user: Any, settings: Any) -> None:
    rule = make_rule(user, actions=[{"type": "notify", "title": "Logged a standup"}],
                     conditions=[cond("notes", "contains", "standup")])
    e = user.api("POST", "/api/entries", json={**ENTRY, "notes": "standup"}).json()
    found = notices(settings, user.id)
    assert len(found) == 1
    kind, key, title = found[0]
    assert (kind, title) == ("rule", "Logged a standup")
    assert key.startswith(f"rule:{rule['id']}:entry:{e['id']}:")


def test_day_hours_notifies_once_a_day(user: Any, settings: Any) -> None:
    rule = make_rule(user, conditions=[cond("day_hours", "gte", 2)],
                     actions=[{"type": "notify", "title": "Over 2 h today"}])
    for h in (8, 9, 10, 11):
        user.api("POST", "/api/entries", json={"start_time": f"2026-11-30T{h:02d}:00:00Z",
                                               "end_time": f"2026-11-30T{h:02d}:45:00Z"})
    assert [n[2] for n in notices(settings, user.id)] == ["Over 2 h today"]
    logged = runs(user, rule["id"])
    assert len(logged) == 1 and logged[0]["actions"] == ["notify: Over 2 h today"]


def test_weekday_and_start_hour_are_local_to_the_user(make_user: Any) -> None:
    u = make_user(timezone="America/New_York")
    make_rule(u, conditions=[cond("weekday", "equals", 7), cond("start_hour", "equals", 23)])
    # Monday 04:30 UTC is Sunday 23:30 in New York.
    e = u.api("POST", "/api/entries", json={"start_time": "2026-11-30T04:30:00Z",
                                            "end_time": "2026-11-30T05:00:00Z"}).json()
    assert e["tags"] == ["auto"]


# ---------------------------------------------------------------- guarantees


def test_a_rules_own_changes_trigger_no_rule(user: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Ops"}).json()
    t = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Deploy"}).json()
    catch_all = make_rule(user, actions=[{"type": "add_tag", "tag": "saved"}])
    make_rule(user, "task_completed", actions=[{"type": "log_time", "minutes": 10}])
    user.api("PATCH", f"/api/tasks/{t['id']}", json={"status": "done"})
    logged = user.api("GET", "/api/entries").json()["items"]
    assert len(logged) == 1 and logged[0]["tags"] == []  # the entry the rule logged triggered nothing
    assert runs(user, catch_all["id"]) == []


def test_a_failing_action_rolls_back_the_whole_write(user: Any, settings: Any) -> None:
    first = make_rule(user, actions=[{"type": "set_billable", "value": True},
                                     {"type": "notify", "title": "saved"}], position=0)
    failing = make_rule(user, actions=[{"type": "add_tag", "tag": "one-too-many"}], position=1, name="Tagger")
    version = data_version(settings, user.id)
    tags = [f"t{i}" for i in range(20)]
    r = user.api("POST", "/api/entries", json={**ENTRY, "tags": tags})
    assert r.status_code == 422
    assert r.json() == {"ok": False, "error": "rule “Tagger” failed: add_tag: tags: at most 20 tags"}
    assert user.api("GET", "/api/entries").json()["items"] == []
    assert notices(settings, user.id) == []
    assert runs(user, first["id"]) == []
    assert data_version(settings, user.id) >= version
    # The failed run is logged (in a transaction of its own, after the rollback).
    logged = wait_for(lambda: runs(user, failing["id"]))
    assert [(x["ok"], x["error"]) for x in logged] == [(False, "add_tag: tags: at most 20 tags")]


def test_disabled_rules_do_not_run(user: Any) -> None:
    rule = make_rule(user)
    user.api("PATCH", f"/api/rules/{rule['id']}", json={"enabled": False})
    assert user.api("POST", "/api/entries", json=ENTRY).json()["tags"] == []


# ---------------------------------------------------------------- timer_running: clock, sweep


def test_auto_stop_ends_the_entry_at_start_plus_n_hours_not_when_noticed(
    user: Any, settings: Any, no_background_sweep: None
) -> None:
    from app.domain.rules.timers import apply_timer_rules

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10)
    entry_id = running_since(user, settings, start)
    rule = make_rule(user, "timer_running", [cond("elapsed_hours", "gte", 8)],
                     [{"type": "stop_timer"}, {"type": "notify", "title": "Stopped after 8 h"}])

    db_run(settings, lambda db: apply_timer_rules(db, user.id, start + timedelta(hours=7, minutes=59)))
    assert user.api("GET", f"/api/entries/{entry_id}").json()["end_time"] is None  # not yet due
    db_run(settings, lambda db: apply_timer_rules(db, user.id, start + timedelta(hours=8, minutes=37)))
    e = user.api("GET", f"/api/entries/{entry_id}").json()
    assert datetime.fromisoformat(e["end_time"]) == start + timedelta(hours=8)
    assert e["duration_seconds"] == 8 * 3600
    assert [n[2] for n in notices(settings, user.id)] == ["Stopped after 8 h"]
    logged = runs(user, rule["id"])
    assert len(logged) == 1 and logged[0]["actions"][0].startswith("stop at ")


def test_the_sweep_is_idempotent_across_instances(user: Any, settings: Any, no_background_sweep: None) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.db.config import create_engine
    from app.domain.rules.timers import sweep

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    running_since(user, settings, start, notes="long")
    rule = make_rule(user, "timer_running", [cond("elapsed_hours", "gte", 1)],
                     [{"type": "notify", "title": "An hour"}, {"type": "add_tag", "tag": "long"}])

    async def two_instances() -> None:
        engines = [create_engine(settings), create_engine(settings)]
        try:
            makers = [async_sessionmaker(e, expire_on_commit=False) for e in engines]
            await asyncio.gather(*(sweep(m) for m in makers), *(sweep(m) for m in makers))
            await sweep(makers[0])
        finally:
            for e in engines:
                await e.dispose()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(two_instances())
    finally:
        loop.close()
    assert len(runs(user, rule["id"])) == 1
    assert [n[2] for n in notices(settings, user.id)] == ["An hour"]
    assert user.api("GET", "/api/timer").json()["active_timer"] is not None  # no stop_timer: keeps running
    count = db_scalar(settings, select(func.count()).select_from(RuleRun).where(RuleRun.rule_id == rule["id"]))
    assert count == 1


# ---------------------------------------------------------------- preview


def test_preview_changes_nothing_and_lists_what_the_real_run_changes(user: Any, settings: Any) -> None:
    p = user.api("POST", "/api/projects", json={"name": "Meetings"}).json()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ids = []
    for days, notes in [(1, "standup"), (2, "coding"), (3, "Standup and retro"), (40, "old standup")]:
        start = now - timedelta(days=days)
        ids.append(user.api("POST", "/api/entries", json={
            "start_time": start.isoformat(), "end_time": (start + timedelta(minutes=30)).isoformat(),
            "notes": notes}).json()["id"])
    rule = make_rule(user, conditions=[cond("notes", "contains", "standup")],
                     actions=[{"type": "set_project", "project_id": p["id"]}, {"type": "add_tag", "tag": "mtg"}])
    entries_before = user.api("GET", "/api/entries").json()["items"]
    version = data_version(settings, user.id)

    r = user.api("POST", f"/api/rules/{rule['id']}/preview")
    assert r.status_code == 200, r.text
    preview = r.json()
    assert set(preview) == {"rule_id", "since", "until", "items"}
    assert data_version(settings, user.id) == version
    assert user.api("GET", "/api/entries").json()["items"] == entries_before
    assert runs(user, rule["id"]) == []
    listed = {i["entry_id"]: i["changes"] for i in preview["items"]}
    assert listed == {ids[0]: ["project → Meetings", "tag + mtg"], ids[2]: ["project → Meetings", "tag + mtg"]}

    for entry_id in ids[:3]:  # the real thing: save each entry of the window again
        user.api("PATCH", f"/api/entries/{entry_id}", json={})
    done = {r["entry_id"]: r["actions"] for r in runs(user, rule["id"])}
    assert done == listed


def test_preview_of_auto_stop_lists_the_long_entries(user: Any) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    long_start = now - timedelta(days=2)
    long_id = user.api("POST", "/api/entries", json={
        "start_time": long_start.isoformat(), "end_time": (long_start + timedelta(hours=11)).isoformat()}).json()["id"]
    short_start = now - timedelta(days=1)
    user.api("POST", "/api/entries", json={
        "start_time": short_start.isoformat(), "end_time": (short_start + timedelta(hours=2)).isoformat()})
    rule = make_rule(user, "timer_running", [cond("elapsed_hours", "gte", 8)], [{"type": "stop_timer"}])
    items = user.api("POST", f"/api/rules/{rule['id']}/preview").json()["items"]
    assert [(i["entry_id"], len(i["changes"])) for i in items] == [(long_id, 1)]
    assert items[0]["changes"][0].endswith("(8 h)")


# ---------------------------------------------------------------- imports


TOGGL = ("Start date,Start time,End date,End time,Project,Description,Billable\n"
         "2026-11-30,09:00,2026-11-30,09:30,Imported,weekly standup,No\n"
         "2026-11-30,10:00,2026-11-30,11:00,Imported,coding,No\n")


def _import(u: Any, apply_rules: str | None) -> dict[str, Any]:
    data = {"format": "toggl", "timezone": "UTC"}
    if apply_rules is not None:
        data["apply_rules"] = apply_rules
    r = u.api("POST", "/api/import", files={"file": ("t.csv", TOGGL.encode(), "text/csv")}, data=data)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_imports_run_rules_only_when_the_import_asks(make_user: Any) -> None:
    plain, asking = make_user(), make_user()
    for u in (plain, asking):
        make_rule(u, conditions=[cond("notes", "contains", "standup")])
    assert _import(plain, None)["created"] == 2
    assert [e["tags"] for e in plain.api("GET", "/api/entries").json()["items"]] == [[], []]
    assert _import(asking, "true")["created"] == 2
    items = asking.api("GET", "/api/entries").json()["items"]
    assert {e["notes"]: e["tags"] for e in items} == {"coding": [], "weekly standup": ["auto"]}


def test_a_timer_read_with_nothing_due_writes_nothing(user: Any, settings: Any) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    running_since(user, settings, start)
    make_rule(user, "timer_running", [cond("elapsed_hours", "gte", 5)], [{"type": "stop_timer"}])
    # Due by time, but for a timer started on another weekday (the user's zone is UTC): never holds.
    other_day = (start.isoweekday() % 7) + 1
    make_rule(user, "timer_running", [cond("elapsed_hours", "gte", 1), cond("weekday", "equals", other_day)],
              [{"type": "notify", "title": "never"}])
    version = data_version(settings, user.id)
    assert user.api("GET", "/api/timer").json()["active_timer"] is not None
    assert data_version(settings, user.id) == version


def test_a_save_the_rule_changes_nothing_on_logs_no_run(user: Any) -> None:
    rule = make_rule(user, conditions=[cond("notes", "contains", "x")])
    e = user.api("POST", "/api/entries", json={**ENTRY, "notes": "x"}).json()
    user.api("PATCH", f"/api/entries/{e['id']}", json={"notes": "x again"})  # already tagged
    assert len(runs(user, rule["id"])) == 1


def test_preview_of_a_day_hours_rule_names_the_entry_that_passes_the_mark_once_a_day(user: Any) -> None:
    day = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    ids = []
    for h in (9, 10, 11):
        ids.append(user.api("POST", "/api/entries", json={
            "start_time": (day + timedelta(hours=h)).isoformat(),
            "end_time": (day + timedelta(hours=h + 1)).isoformat()}).json()["id"])
    before = day - timedelta(days=1)
    user.api("POST", "/api/entries", json={"start_time": (before + timedelta(hours=9)).isoformat(),
                                           "end_time": (before + timedelta(hours=10)).isoformat()})
    rule = make_rule(user, conditions=[cond("day_hours", "gte", 2)], actions=[{"type": "notify", "title": "2 h"}])
    items = user.api("POST", f"/api/rules/{rule['id']}/preview").json()["items"]
    assert [(i["entry_id"], i["changes"]) for i in items] == [(ids[1], ["notify: 2 h"])]
