"""The workspace through HTTP (CONTRACT section 7, issue 9): the command palette (ranking,
auth, validation, a bounded number of queries), its no-JS page and the actions it posts,
the theme and shortcut settings (API and forms without JavaScript), the quick-actions
menu on every page, and /favicon.ico."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support import UserCtx


def post(u: UserCtx, url: str, data: dict[str, Any] | None = None) -> Any:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    body = {**(data or {}), "_csrf_token": u.csrf["X-CSRF-Token"]}
    return u.client.post(url, data=body, follow_redirects=False)


def project(u: UserCtx, name: str, **body: Any) -> int:
    r = u.api("POST", "/api/projects", json={"name": name, **body})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def task(u: UserCtx, project_id: int, name: str) -> int:
    r = u.api("POST", "/api/tasks", json={"project_id": project_id, "name": name})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def entry(u: UserCtx, hours_ago: float, project_id: int | None = None, notes: str = "", **body: Any) -> int:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)
    r = u.api("POST", "/api/entries", json={
        "start_time": (end - timedelta(minutes=30)).isoformat(), "end_time": end.isoformat(),
        "project_id": project_id, "notes": notes, **body,
    })
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def palette(u: UserCtx, q: str) -> list[dict[str, Any]]:
    r = u.api("GET", "/api/palette", params={"q": q})
    assert r.status_code == 200, r.text
    assert r.json()["q"] == q
    return r.json()["items"]  # type: ignore[no-any-return]


def timer(u: UserCtx) -> Any:
    return u.api("GET", "/api/timer").json()["active_timer"]


# ------------------------------------------------------------------ palette API


def test_palette_puts_the_project_named_first_as_start_timer_on_it(user: UserCtx) -> None:
    atlas = project(user, "Atlas")
    project(user, "Atlantic survey")
    project(user, "Beacon")
    items = palette(user, "atlas")
    assert items[0]["label"] == "Start timer on Atlas"
    assert items[0]["kind"] == "project"
    assert items[0]["method"] == "POST"
    assert items[0]["url"] == "/actions/timer/start"
    assert items[0]["fields"] == {"project_id": str(atlas)}
    assert "Start timer on Beacon" not in [i["label"] for i in items]


def test_palette_matches_fuzzily_and_with_command_words(user: UserCtx) -> None:
    project(user, "Website redesign")
    assert palette(user, "wbrd")[0]["label"] == "Start timer on Website redesign"
    assert palette(user, "start timer on website")[0]["label"] == "Start timer on Website redesign"
    assert palette(user, "start web")[0]["label"] == "Start timer on Website redesign"


def test_palette_offers_tasks_pages_actions_and_recent_entries(user: UserCtx) -> None:
    pid = project(user, "Atlas")
    tid = task(user, pid, "Write quarterly report")
    entry(user, 2, pid, notes="Reviewing drafts")
    labels = [i["label"] for i in palette(user, "quarterly")]
    assert labels[0] == "Start timer on Write quarterly report"
    item = palette(user, "quarterly")[0]
    assert item["kind"] == "task" and item["fields"] == {"project_id": str(pid), "task_id": str(tid)}
    assert palette(user, "projects")[0] == {
        "kind": "page", "id": "page:go_projects", "label": "Projects", "hint": "Page · g p",
        "url": "/projects", "method": "GET", "fields": {}, "score": 1100.0,
    } or palette(user, "projects")[0]["url"] == "/projects"
    assert palette(user, "reviewing")[0]["label"] == "Continue Reviewing drafts (Atlas)"
    assert palette(user, "start timer")[0]["label"] == "Start timer"
    assert palette(user, "export this")[0]["label"] == "Export this month"
    assert palette(user, "dark")[0]["label"] == "Switch to the dark theme"
    assert palette(user, "new goal")[0]["url"] == "/goals#goal-form"


def test_palette_without_a_query_suggests_the_timer_recent_work_and_pages(user: UserCtx) -> None:
    pid = project(user, "Atlas")
    entry(user, 3, pid, notes="older")
    entry(user, 1, pid, notes="newer")
    items = palette(user, "")
    assert items[0]["label"] == "Start timer"
    assert items[1]["label"] == "Continue newer (Atlas)"
    assert items[2]["label"] == "Continue older (Atlas)"
    assert "Start timer on Atlas" in [i["label"] for i in items]
    assert len(items) <= 20


def test_palette_offers_stop_while_a_timer_runs(user: UserCtx) -> None:
    assert user.api("POST", "/api/timer/start", json={}).status_code == 201
    assert palette(user, "stop")[0]["label"] == "Stop timer"
    assert palette(user, "stop")[0]["url"] == "/actions/timer/stop"


def test_palette_never_shows_another_users_or_archived_projects(make_user: Any) -> None:
    a, b = make_user(), make_user()
    project(b, "Secret atlas")
    project(a, "Atlas old", archived=True)
    labels = [i["label"] for i in palette(a, "atlas")]
    assert "Start timer on Secret atlas" not in labels
    assert "Start timer on Atlas old" not in labels


def test_palette_requires_authentication(anon_client: Any) -> None:
    r = anon_client.get("/api/palette?q=x")
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


def test_palette_refuses_a_long_query_naming_q(user: UserCtx) -> None:
    r = user.api("GET", "/api/palette", params={"q": "x" * 101})
    assert r.status_code == 400
    assert r.json()["ok"] is False
    assert "q" in r.json()["error"]
    assert user.api("GET", "/api/palette", params={"q": "x" * 100}).status_code == 200


def test_palette_works_with_the_session_cookie(user: UserCtx) -> None:
    r = user.client.get("/api/palette?q=home")
    assert r.status_code == 200
    assert r.json()["items"][0]["url"] == "/"


def test_palette_runs_a_fixed_number_of_queries_whatever_the_history(user: UserCtx, count_queries: Any) -> None:
    pids = [project(user, f"Project {i:02d}") for i in range(12)]
    for pid in pids[:4]:
        for n in range(3):
            task(user, pid, f"Task {n} of {pid}")
    for i in range(40):
        entry(user, 1 + i, pids[i % 12], notes=f"note {i % 5}")

    def queries(q: str) -> int:
        count_queries.settle()
        before = count_queries.count
        assert user.api("GET", "/api/palette", params={"q": q}).status_code == 200
        count_queries.settle()
        return count_queries.count - before

    # The credential (1); the running timer with the recent entries (1); projects with tasks (1).
    assert queries("") == 3
    assert queries("project 0") == 3
    statements = " ".join(count_queries.statements[-2:]).upper()
    assert statements.count("LIMIT") == 4


def test_palette_is_in_the_openapi_schema_with_the_error_body(client: Any) -> None:
    spec = client.get("/schema/openapi.json").json()
    op = spec["paths"]["/api/palette"]["get"]
    assert {"200", "400", "401"} <= set(op["responses"])
    assert op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    for path in ("/api/me/theme", "/api/me/shortcuts"):
        assert {"get", "put"} <= set(spec["paths"][path])


# ------------------------------------------------------------------ palette page and actions


def test_palette_page_lists_results_as_links_and_forms(user: UserCtx) -> None:
    pid = project(user, "Atlas")
    r = user.client.get("/palette?q=atlas")
    assert r.status_code == 200
    page = html.unescape(r.text)
    assert re.search(r'<form method="post" action="/actions/timer/start">', page)
    assert f'<input type="hidden" name="project_id" value="{pid}">' in page
    assert "Start timer on Atlas" in page
    r = user.client.get("/palette?q=projects")
    assert '<a href="/projects">Projects</a>' in r.text


def test_palette_page_with_a_long_query_is_400_naming_q(user: UserCtx) -> None:
    r = user.client.get("/palette", params={"q": "y" * 101})
    assert r.status_code == 400
    assert "q: Type at most 100 characters." in r.text


def test_start_action_starts_the_timer_on_the_project_and_switches_a_running_one(user: UserCtx) -> None:
    a, b = project(user, "Atlas"), project(user, "Beacon")
    r = post(user, "/actions/timer/start", {"project_id": str(a), "next": "/entries"})
    assert r.status_code == 303 and r.headers["location"] == "/entries"
    assert timer(user)["project_id"] == a
    r = post(user, "/actions/timer/start", {"project_id": str(b)})
    assert r.status_code == 303
    assert timer(user)["project_id"] == b
    items = user.api("GET", "/api/entries").json()["items"]
    assert [i["project_id"] for i in items if i["end_time"]] == [a]


def test_start_action_on_a_task_and_on_another_users_project(make_user: Any) -> None:
    a, b = make_user(), make_user()
    pid = project(a, "Atlas")
    tid = task(a, pid, "Draft")
    assert post(a, "/actions/timer/start", {"project_id": str(pid), "task_id": str(tid)}).status_code == 303
    assert timer(a)["task_id"] == tid
    other = project(b, "Theirs")
    r = post(a, "/actions/timer/start", {"project_id": str(other)})
    assert r.status_code == 400  # as the timer API answers: the project must be the caller's own
    assert timer(a)["task_id"] == tid  # nothing changed


def test_continue_action_repeats_an_entry_or_the_last_one(user: UserCtx) -> None:
    pid = project(user, "Atlas", billable=True)
    first = entry(user, 5, pid, notes="Interviews", billable=False)
    entry(user, 1, None, notes="Inbox")
    assert post(user, "/actions/continue", {"entry_id": str(first)}).status_code == 303
    running = timer(user)
    assert (running["project_id"], running["notes"], running["billable"]) == (pid, "Interviews", False)
    # Without an id: the newest completed entry ("Inbox"); the running timer is stopped first.
    assert post(user, "/actions/continue", {}).status_code == 303
    assert timer(user)["notes"] == "Inbox"
    assert [i["notes"] for i in user.api("GET", "/api/entries").json()["items"]][:2] == ["Inbox", "Interviews"]


def test_stop_and_toggle_actions(user: UserCtx) -> None:
    assert post(user, "/actions/timer/toggle", {"next": "/goals"}).headers["location"] == "/goals"
    assert timer(user) is not None
    assert post(user, "/actions/timer/toggle", {}).status_code == 303
    assert timer(user) is None
    assert post(user, "/actions/timer/stop", {}).status_code == 303  # nothing runs: no error page
    user.api("POST", "/api/timer/start", json={})
    assert post(user, "/actions/timer/stop", {}).status_code == 303
    assert timer(user) is None


def test_actions_need_the_csrf_token_and_a_session(user: UserCtx, anon_client: Any) -> None:
    r = user.client.post("/actions/timer/toggle", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert timer(user) is None
    r = anon_client.post("/actions/timer/toggle", data={}, follow_redirects=False)
    assert r.status_code in {303, 403}
    assert timer(user) is None


def test_redirect_targets_stay_on_the_site(user: UserCtx) -> None:
    r = post(user, "/actions/timer/toggle", {"next": "//evil.example/"})
    assert r.headers["location"] == "/"


# ------------------------------------------------------------------ theme and shortcuts


def test_theme_api_round_trip_and_validation(user: UserCtx) -> None:
    assert user.api("GET", "/api/me/theme").json() == {"theme": "auto"}
    r = user.api("PUT", "/api/me/theme", json={"theme": "dark"})
    assert r.status_code == 200 and r.json() == {"theme": "dark"}
    assert user.api("GET", "/api/me/theme").json() == {"theme": "dark"}
    r = user.api("PUT", "/api/me/theme", json={"theme": "purple"})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "theme: must be auto, light or dark"}
    assert user.api("GET", "/api/me/theme").json() == {"theme": "dark"}


def test_pages_carry_the_theme_on_the_html_element(user: UserCtx) -> None:
    assert '<html lang="en" data-theme="auto">' in user.client.get("/").text
    user.api("PUT", "/api/me/theme", json={"theme": "dark"})
    for path in ("/", "/entries", "/settings"):
        assert '<html lang="en" data-theme="dark">' in user.client.get(path).text


def test_theme_form_without_javascript(user: UserCtx) -> None:
    page = user.client.get("/settings").text
    assert 'id="theme"' in page and 'name="theme" value="dark"' in page
    r = post(user, "/actions/theme", {"theme": "light", "next": "/settings?saved=1#theme"})
    assert r.status_code == 303 and r.headers["location"] == "/settings?saved=1#theme"
    assert user.api("GET", "/api/me/theme").json() == {"theme": "light"}
    assert 'name="theme" value="light" checked' in user.client.get("/settings").text
    r = post(user, "/actions/theme", {"theme": "neon"})
    assert r.status_code == 422
    assert "must be auto, light or dark" in r.text


def test_shortcuts_api_defaults_remap_switch_off_and_reset(user: UserCtx) -> None:
    got = user.api("GET", "/api/me/shortcuts").json()
    assert got["enabled"] is True
    assert got["keys"] == {"help": "?", "timer": "s", "continue": "c", "new_entry": "n"}
    ids = [s["id"] for s in got["shortcuts"]]
    assert ids[:5] == ["help", "palette", "timer", "continue", "new_entry"]
    assert {s["keys"] for s in got["shortcuts"]} >= {"g h", "g d", "g e", "g p", "g o", "g n", "g s", "g i", "g x"}
    r = user.api("PUT", "/api/me/shortcuts", json={"enabled": True, "keys": {"timer": "t", "continue": ""}})
    assert r.status_code == 200, r.text
    assert r.json()["keys"] == {"help": "?", "timer": "t", "continue": "", "new_entry": "n"}
    assert user.api("GET", "/api/me/shortcuts").json()["keys"]["timer"] == "t"
    assert '&#34;keys&#34;: &#34;t&#34;' in user.client.get("/").text  # the page hands shortcuts.js the new key
    r = user.api("PUT", "/api/me/shortcuts", json={"enabled": False})
    assert r.json()["enabled"] is False and r.json()["keys"]["timer"] == "s"


def test_shortcuts_api_refuses_bad_keys_naming_them(user: UserCtx) -> None:
    cases = [
        ({"keys": {"timer": "ss"}}, "keys.timer: must be one character, or empty to switch it off"),
        ({"keys": {"timer": "g"}}, "keys.timer: g starts the go-to sequences; choose another key"),
        ({"keys": {"timer": "c"}}, "keys.continue: is already used by timer"),
        ({"keys": {"launch": "l"}}, "keys.launch: unknown shortcut; one of help, timer, continue, new_entry"),
    ]
    for body, message in cases:
        r = user.api("PUT", "/api/me/shortcuts", json=body)
        assert r.status_code == 400, body
        assert r.json() == {"ok": False, "error": message}
    r = user.api("PUT", "/api/me/shortcuts", json={"keys": {"timer": "x" * 9}})
    assert r.status_code == 400 and "keys" in r.json()["error"]
    r = user.api("PUT", "/api/me/shortcuts", json={"surprise": 1})
    assert r.status_code == 400
    assert user.api("GET", "/api/me/shortcuts").json()["keys"]["timer"] == "s"


def test_keyboard_form_without_javascript(user: UserCtx) -> None:
    page = user.client.get("/settings").text
    assert 'id="keyboard"' in page and 'name="key_timer"' in page
    form = {"enabled": "on", "key_help": "?", "key_timer": "t", "key_continue": "", "key_new_entry": "n"}
    r = post(user, "/settings/keyboard", form)
    assert r.status_code == 303 and r.headers["location"] == "/settings?saved=1#keyboard"
    assert user.api("GET", "/api/me/shortcuts").json()["keys"] == {
        "help": "?", "timer": "t", "continue": "", "new_entry": "n"}
    r = post(user, "/settings/keyboard", {**form, "key_continue": "t"})
    assert r.status_code == 422
    assert "is already used by timer" in html.unescape(r.text)
    r = post(user, "/settings/keyboard", {"key_timer": "t"})  # the checkbox unticked: everything off
    assert user.api("GET", "/api/me/shortcuts").json()["enabled"] is False
    r = post(user, "/settings/keyboard", {"reset": "1"})
    got = user.api("GET", "/api/me/shortcuts").json()
    assert got["enabled"] is True and got["keys"]["timer"] == "s"
    assert user.client.get("/settings/workspace").status_code == 200


# ------------------------------------------------------------------ quick actions, favicon


def test_every_page_has_the_quick_actions_menu_without_javascript(user: UserCtx) -> None:
    for path in ("/", "/entries", "/projects", "/goals", "/settings", "/import", "/export",
                 "/dashboard/productivity", "/palette"):
        page = user.client.get(path).text
        assert '<details class="quick-actions" id="quick-actions">' in page, path
        assert '<form method="post" action="/actions/timer/toggle" id="qa-timer-form">' in page
        assert f'<input type="hidden" name="next" value="{path}">' in page
        for href in ('/?focus=quick-entry#quick-entry', '/projects#new-project', '/goals#goal-form',
                     '/dashboard/productivity?period=1'):
            assert f'href="{href}"' in page


def test_timer_toggle_has_a_stable_id_in_both_states(user: UserCtx) -> None:
    assert 'id="timer-toggle"' in user.client.get("/").text
    user.api("POST", "/api/timer/start", json={})
    assert 'id="timer-toggle"' in user.client.get("/").text


def test_favicon_is_served(anon_client: Any) -> None:
    r = anon_client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/")
    assert r.content[:4] == b"\x00\x00\x01\x00"
