"""CSRF: every unsafe cookie-authenticated request needs the token; bearer requests do not (CONTRACT section 3)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db.models import User
from tests.integration.helpers import clear_rate_limits, db_run, db_scalar, unique_address, with_client_address

CSRF_ERROR = "CSRF token missing or invalid; reload the page and try again"
WEEK = "2026-11-16"


@dataclass
class World:
    """One user with a project, a task, an entry, a weekly goal and a spare API token."""

    u: Any
    project: int
    task: int
    entry: int
    token: int
    timer_started: str | None = None

    def fill(self, template: str) -> str:
        return template.format(project=self.project, task=self.task, entry=self.entry, token=self.token, week=WEEK)


@dataclass
class Case:
    id: str
    method: str
    url: str
    success: int
    body: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    form: bool = False
    timer: bool = False
    bearer: bool = True  # can the route be called with a bearer token instead

    def send(self, w: World, headers: dict[str, str] | None = None, csrf_field: str | None = None) -> Any:
        url = w.fill(self.url)
        body = self.body(w)
        if self.form:
            data = {k: str(v) for k, v in body.items()}
            if csrf_field is not None:
                data["_csrf_token"] = csrf_field
            return w.u.client.request(self.method, url, data=data, headers=headers or {}, follow_redirects=False)
        if self.method == "DELETE":
            return w.u.client.request(self.method, url, headers=headers or {}, follow_redirects=False)
        return w.u.client.request(self.method, url, json=body, headers=headers or {}, follow_redirects=False)


API_CASES = [
    Case("api-project-create", "POST", "/api/projects", 201, lambda w: {"name": "New"}),
    Case("api-project-update", "PATCH", "/api/projects/{project}", 200, lambda w: {"name": "Renamed"}),
    Case("api-project-delete", "DELETE", "/api/projects/{project}", 200),
    Case("api-task-create", "POST", "/api/tasks", 201, lambda w: {"project_id": w.project, "name": "New"}),
    Case("api-task-update", "PATCH", "/api/tasks/{task}", 200, lambda w: {"status": "done"}),
    Case("api-task-delete", "DELETE", "/api/tasks/{task}", 204),
    Case("api-entry-create", "POST", "/api/entries", 201,
         lambda w: {"start_time": "2026-11-03T09:00:00Z", "end_time": "2026-11-03T10:00:00Z"}),
    Case("api-entry-update", "PATCH", "/api/entries/{entry}", 200, lambda w: {"notes": "changed"}),
    Case("api-entry-delete", "DELETE", "/api/entries/{entry}", 204),
    Case("api-timer-start", "POST", "/api/timer/start", 201, lambda w: {"notes": "go"}),
    Case("api-timer-stop", "POST", "/api/timer/stop", 200, lambda w: {"end_time": w.timer_started}, timer=True),
    Case("api-weekly-goal-put", "PUT", "/api/weekly-goals/{week}", 200, lambda w: {"target_hours": 12}),
    Case("api-weekly-goal-delete", "DELETE", "/api/weekly-goals/{week}", 204),
    Case("api-me-patch", "PATCH", "/api/me", 200, lambda w: {"standard_hours_per_day": 6}),
    Case("api-token-delete", "DELETE", "/api/auth/tokens/{token}", 204),
    Case("api-token-create", "POST", "/api/auth/tokens", 201,
         lambda w: {"email": w.u.email, "password": w.u.password, "name": "more"}, bearer=False),
]

FORM_CASES = [
    Case("form-logout", "POST", "/logout", 303, form=True),
    Case("form-settings", "POST", "/settings", 303,
         lambda w: {"timezone": "Europe/Berlin", "standard_hours_per_day": "6", "working_days": "1"}, form=True),
    Case("form-timer-start", "POST", "/timer/start", 303, lambda w: {"notes": "go"}, form=True),
    Case("form-timer-stop", "POST", "/timer/stop", 303, form=True, timer=True),
    Case("form-entry-create", "POST", "/entries", 303,
         lambda w: {"start_time": "2026-11-03T09:00", "end_time": "2026-11-03T10:00"}, form=True),
    Case("form-entry-update", "POST", "/entries/{entry}", 303,
         lambda w: {"start_time": "2026-11-02T09:00", "end_time": "2026-11-02T11:00", "billable_present": "1"},
         form=True),
    Case("form-entry-delete", "POST", "/entries/{entry}/delete", 303, form=True),
    Case("form-project-create", "POST", "/projects", 303, lambda w: {"name": "From a form"}, form=True),
    Case("form-project-update", "POST", "/projects/{project}", 303, lambda w: {"name": "Renamed", "color": "#000000"},
         form=True),
    Case("form-project-delete", "POST", "/projects/{project}/delete", 303, form=True),
    Case("form-task-create", "POST", "/tasks", 303, lambda w: {"project_id": w.project, "name": "New"}, form=True),
    Case("form-task-toggle", "POST", "/tasks/{task}", 303, lambda w: {"status": "done"}, form=True),
    Case("form-task-delete", "POST", "/tasks/{task}/delete", 303, form=True),
]

ALL_CASES = API_CASES + FORM_CASES


def build_world(u: Any, settings: Any, case: Case) -> World:
    from app.domain.accounts.tokens import create_token

    project = u.api("POST", "/api/projects", json={"name": "Alpha"}).json()["id"]
    task = u.api("POST", "/api/tasks", json={"project_id": project, "name": "Do it"}).json()["id"]
    entry = u.api("POST", "/api/entries", json={"project_id": project, "start_time": "2026-11-02T09:00:00Z",
                                                "end_time": "2026-11-02T10:00:00Z"}).json()["id"]
    assert u.api("PUT", f"/api/weekly-goals/{WEEK}", json={"target_hours": 10}).status_code == 200

    async def spare_token(db: Any) -> int:
        token, _ = await create_token(db, u.id, "spare")
        return int(token.id)

    w = World(u, project, task, entry, db_run(settings, spare_token))
    if case.timer:
        started = u.api("POST", "/api/timer/start").json()["start_time"]
        w.timer_started = (datetime.fromisoformat(started) + timedelta(seconds=1)).isoformat()
    return w


def snapshot(u: Any) -> dict[str, Any]:
    """Everything a request could change, read with the bearer token (safe requests)."""
    timer = u.api("GET", "/api/timer").json()["active_timer"]
    if timer:
        timer.pop("elapsed_seconds")
    return {
        "projects": u.api("GET", "/api/projects").json(),
        "tasks": u.api("GET", "/api/tasks").json(),
        "entries": u.api("GET", "/api/entries").json(),
        "timer": timer,
        "weekly_goals": u.api("GET", "/api/weekly-goals").json(),
        "me": u.api("GET", "/api/me").json(),
        # last_used_at is stamped in the background by these very reads (once a minute).
        "tokens": [{k: v for k, v in t.items() if k != "last_used_at"}
                   for t in u.api("GET", "/api/auth/tokens").json()],
        "session": u.client.get("/api/me").status_code,
    }


def assert_forbidden(case: Case, r: Any) -> None:
    assert r.status_code == 403, (case.id, r.status_code, r.text[:200])
    if case.form:
        assert CSRF_ERROR in r.text
    else:
        assert r.json() == {"ok": False, "error": CSRF_ERROR}


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_cookie_request_without_a_valid_csrf_token_is_403_and_changes_nothing(
    make_user: Any, settings: Any, case: Case
) -> None:
    u = make_user()
    w = build_world(u, settings, case)
    before = snapshot(u)

    assert_forbidden(case, case.send(w))
    assert_forbidden(case, case.send(w, headers={"X-CSRF-Token": "forged"}))
    if case.form:
        assert_forbidden(case, case.send(w, csrf_field="forged"))
        assert_forbidden(case, case.send(w, csrf_field=""))

    assert snapshot(u) == before


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_cookie_request_with_the_csrf_token_succeeds(make_user: Any, settings: Any, case: Case) -> None:
    u = make_user()
    w = build_world(u, settings, case)
    before = snapshot(u)
    token = u.csrf["X-CSRF-Token"]
    r = case.send(w, csrf_field=token) if case.form else case.send(w, headers=u.csrf)
    assert r.status_code == case.success, (case.id, r.text[:300])
    assert snapshot(u) != before


@pytest.mark.parametrize("case", FORM_CASES, ids=[c.id for c in FORM_CASES])
def test_form_post_accepts_the_token_as_the_htmx_header(make_user: Any, settings: Any, case: Case) -> None:
    u = make_user()
    w = build_world(u, settings, case)
    before = snapshot(u)
    r = case.send(w, headers={**u.csrf, "HX-Request": "true"})
    assert r.status_code == case.success, (case.id, r.text[:300])
    assert snapshot(u) != before


BEARER_CASES = [c for c in API_CASES if c.bearer]


@pytest.mark.parametrize("case", BEARER_CASES, ids=[c.id for c in BEARER_CASES])
def test_bearer_request_needs_no_csrf_token_even_with_cookies_present(
    make_user: Any, settings: Any, case: Case
) -> None:
    u = make_user()
    w = build_world(u, settings, case)
    before = snapshot(u)
    r = case.send(w, headers=u.bearer)
    assert r.status_code == case.success, (case.id, r.text[:300])
    assert snapshot(u) != before


def test_the_token_is_bound_to_the_session_so_another_sessions_token_is_403(
    make_user: Any, settings: Any
) -> None:
    """CONTRACT section 6: a token taken from (or planted by) another session is refused,
    even when the CSRF cookie is set to it, as a sibling site could do."""
    u, other = make_user(), make_user()
    foreign = other.csrf["X-CSRF-Token"]
    assert foreign and foreign != u.csrf["X-CSRF-Token"]
    u.client.cookies.set("momentum_csrf", foreign)
    r = u.client.post("/api/projects", json={"name": "x"}, headers={"X-CSRF-Token": foreign})
    assert r.status_code == 403
    assert r.json() == {"ok": False, "error": CSRF_ERROR}
    assert u.api("GET", "/api/projects").json() == []


def test_the_session_token_needs_no_cookie_and_is_the_one_the_page_carries(make_user: Any) -> None:
    u = make_user()
    token = u.csrf["X-CSRF-Token"]
    u.client.cookies.delete("momentum_csrf")
    page = u.client.get("/projects")
    assert f'"X-CSRF-Token": "{token}"' in page.text
    r = u.client.post("/api/projects", json={"name": "x"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201


# ---------------------------------------------------------------- login and register forms


@pytest.fixture()
def browser(app: Any, new_client: Any, portal: Any) -> Any:
    """An anonymous client with an address of its own (login attempts are rate-limited per address)."""
    address = unique_address()
    c = new_client(with_client_address(app, address))
    yield c
    clear_rate_limits(portal, address=address)


def test_login_form_without_csrf_is_403_and_does_not_sign_in(browser: Any, make_user: Any) -> None:
    u = make_user()
    r = browser.post("/login", data={"email": u.email, "password": u.password}, follow_redirects=False)
    assert r.status_code == 403
    browser.cookies.set("momentum_csrf", "cookie-value")
    r = browser.post("/login", data={"email": u.email, "password": u.password, "_csrf_token": "other-value"},
                     follow_redirects=False)
    assert r.status_code == 403
    assert "momentum_session" not in r.headers.get("set-cookie", "")
    assert browser.get("/api/me").status_code == 401


def test_login_form_with_csrf_signs_in(browser: Any, make_user: Any) -> None:
    u = make_user()
    browser.cookies.set("momentum_csrf", "cookie-value")
    r = browser.post("/login", data={"email": u.email, "password": u.password, "_csrf_token": "cookie-value"},
                     follow_redirects=False)
    assert r.status_code == 303
    assert browser.get("/api/me").json()["email"] == u.email


def test_register_form_without_csrf_is_403_and_creates_nothing(browser: Any, settings: Any) -> None:
    email = f"csrf-{uuid.uuid4().hex[:10]}@example.com"
    form = {"email": email, "password": "long enough", "password_confirm": "long enough", "timezone": "UTC"}
    r = browser.post("/register", data=form, follow_redirects=False)
    assert r.status_code == 403
    assert db_scalar(settings, select(func.count()).select_from(User).where(User.email == email)) == 0
    browser.cookies.set("momentum_csrf", "cookie-value")
    r = browser.post("/register", data={**form, "_csrf_token": "cookie-value"}, follow_redirects=False)
    assert r.status_code == 303
    assert db_scalar(settings, select(func.count()).select_from(User).where(User.email == email)) == 1


def test_unsafe_api_call_without_cookie_or_token_is_401_not_403(anon_client: Any) -> None:
    r = anon_client.post("/api/projects", json={"name": "x"})
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}
