"""Without authentication: /api answers 401 JSON (never a redirect); pages redirect to the login (CONTRACT 3, 5)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from app.lib.signing import session_csrf_token, sign

UNAUTHORIZED = {"ok": False, "error": "authentication required"}
ENTRY = {"start_time": "2026-11-02T09:00:00Z", "end_time": "2026-11-02T10:00:00Z"}

# (method, route template as the app declares it, concrete URL, JSON body)
API_ROUTES: list[tuple[str, str, str, Any]] = [
    ("GET", "/api/auth/tokens", "/api/auth/tokens", None),
    ("DELETE", "/api/auth/tokens/{token_id:int}", "/api/auth/tokens/1", None),
    ("GET", "/api/me", "/api/me", None),
    ("PATCH", "/api/me", "/api/me", {"standard_hours_per_day": 6}),
    ("GET", "/api/projects", "/api/projects", None),
    ("POST", "/api/projects", "/api/projects", {"name": "P"}),
    ("GET", "/api/projects/{project_id:int}", "/api/projects/1", None),
    ("PATCH", "/api/projects/{project_id:int}", "/api/projects/1", {"name": "P"}),
    ("DELETE", "/api/projects/{project_id:int}", "/api/projects/1", None),
    ("GET", "/api/tasks", "/api/tasks", None),
    ("POST", "/api/tasks", "/api/tasks", {"project_id": 1, "name": "T"}),
    ("PATCH", "/api/tasks/{task_id:int}", "/api/tasks/1", {"status": "done"}),
    ("DELETE", "/api/tasks/{task_id:int}", "/api/tasks/1", None),
    ("GET", "/api/entries", "/api/entries", None),
    ("POST", "/api/entries", "/api/entries", ENTRY),
    ("GET", "/api/entries/{entry_id:int}", "/api/entries/1", None),
    ("PATCH", "/api/entries/{entry_id:int}", "/api/entries/1", {"notes": "x"}),
    ("DELETE", "/api/entries/{entry_id:int}", "/api/entries/1", None),
    ("GET", "/api/timer", "/api/timer", None),
    ("POST", "/api/timer/start", "/api/timer/start", {}),
    ("POST", "/api/timer/stop", "/api/timer/stop", {}),
    ("GET", "/api/weekly-goals", "/api/weekly-goals", None),
    ("PUT", "/api/weekly-goals/{week_start:str}", "/api/weekly-goals/2026-11-16", {"target_hours": 10}),
    ("DELETE", "/api/weekly-goals/{week_start:str}", "/api/weekly-goals/2026-11-16", None),
    ("GET", "/api/projects/{project_id:int}/forecast", "/api/projects/1/forecast", None),
    ("GET", "/api/tasks/{task_id:int}/estimate", "/api/tasks/1/estimate", None),
    # the account page's API
    ("POST", "/api/me/password", "/api/me/password", {"current_password": "x" * 8, "new_password": "y" * 8}),
    ("GET", "/api/me/sessions", "/api/me/sessions", None),
    ("DELETE", "/api/me/sessions/{session_id:int}", "/api/me/sessions/1", None),
    ("POST", "/api/me/sessions/sign-out-others", "/api/me/sessions/sign-out-others", {}),
    ("DELETE", "/api/me", "/api/me", {"password": "x" * 8}),
    # rules (docs/rules.md)
    ("GET", "/api/rules", "/api/rules", None),
    ("POST", "/api/rules", "/api/rules", {"name": "r", "trigger": "entry_saved", "actions": [{"type": "stop_timer"}]}),
    ("GET", "/api/rules/{rule_id:int}", "/api/rules/1", None),
    ("PATCH", "/api/rules/{rule_id:int}", "/api/rules/1", {"enabled": False}),
    ("DELETE", "/api/rules/{rule_id:int}", "/api/rules/1", None),
    ("GET", "/api/rules/{rule_id:int}/runs", "/api/rules/1/runs", None),
    ("POST", "/api/rules/{rule_id:int}/preview", "/api/rules/1/preview", None),
    ("GET", "/api/me/layout", "/api/me/layout", None),
    ("PUT", "/api/me/layout", "/api/me/layout", {"home": []}),
    ("DELETE", "/api/me/layout", "/api/me/layout", None),
    # notifications (docs/notifications.md)
    ("GET", "/api/notifications", "/api/notifications", None),
    ("POST", "/api/notifications/{notice_id:int}/read", "/api/notifications/1/read", None),
    ("POST", "/api/notifications/read-all", "/api/notifications/read-all", None),
    ("GET", "/api/me/notifications", "/api/me/notifications", None),
    ("PATCH", "/api/me/notifications", "/api/me/notifications", {"idle_minutes": 5}),
    ("POST", "/api/timer/idle", "/api/timer/idle", {"idle_since": "2026-11-02T09:00:00Z", "action": "keep"}),
    ("POST", "/api/undo/{snapshot_id:int}", "/api/undo/1", None),
]

# Pages and form posts that need a signed-in user: (method, route template, concrete URL)
PAGE_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/", "/"),
    ("GET", "/entries", "/entries"),
    ("GET", "/entries/{entry_id:int}", "/entries/1"),
    ("GET", "/projects", "/projects"),
    ("GET", "/projects/{project_id:int}", "/projects/1"),
    ("GET", "/settings", "/settings"),
    ("GET", "/partials/timer", "/partials/timer"),
    ("GET", "/account", "/account"),
    ("GET", "/rules", "/rules"),
    ("GET", "/rules/{rule_id:int}", "/rules/1"),
    ("GET", "/home/cards/{name:str}", "/home/cards/week"),
    ("GET", "/notifications", "/notifications"),
    ("GET", "/notifications/bell", "/notifications/bell"),
    ("GET", "/settings/notifications", "/settings/notifications"),
]
FORM_ROUTES: list[tuple[str, str, str]] = [
    ("POST", "/settings", "/settings"),
    ("POST", "/timer/start", "/timer/start"),
    ("POST", "/timer/stop", "/timer/stop"),
    ("POST", "/entries", "/entries"),
    ("POST", "/entries/{entry_id:int}", "/entries/1"),
    ("POST", "/entries/{entry_id:int}/delete", "/entries/1/delete"),
    ("POST", "/projects", "/projects"),
    ("POST", "/projects/{project_id:int}", "/projects/1"),
    ("POST", "/projects/{project_id:int}/delete", "/projects/1/delete"),
    ("POST", "/tasks", "/tasks"),
    ("POST", "/tasks/{task_id:int}", "/tasks/1"),
    ("POST", "/tasks/{task_id:int}/delete", "/tasks/1/delete"),
    ("POST", "/account/password", "/account/password"),
    ("POST", "/account/tokens", "/account/tokens"),
    ("POST", "/account/tokens/{token_id:int}/delete", "/account/tokens/1/delete"),
    ("POST", "/account/sessions/{session_id:int}/delete", "/account/sessions/1/delete"),
    ("POST", "/account/sessions/others", "/account/sessions/others"),
    ("POST", "/account/delete", "/account/delete"),
    ("POST", "/rules", "/rules"),
    ("POST", "/rules/templates/{key:str}", "/rules/templates/auto_stop"),
    ("POST", "/rules/{rule_id:int}", "/rules/1"),
    ("POST", "/rules/{rule_id:int}/toggle", "/rules/1/toggle"),
    ("POST", "/rules/{rule_id:int}/move", "/rules/1/move"),
    ("POST", "/rules/{rule_id:int}/secret", "/rules/1/secret"),
    ("POST", "/rules/{rule_id:int}/delete", "/rules/1/delete"),
    ("POST", "/settings/layout", "/settings/layout"),
    ("POST", "/notifications/{notice_id:int}/read", "/notifications/1/read"),
    ("POST", "/notifications/read-all", "/notifications/read-all"),
    ("POST", "/notifications/timer/{entry_id:int}/stop", "/notifications/timer/1/stop"),
    ("POST", "/settings/notifications", "/settings/notifications"),
    ("POST", "/undo/{snapshot_id:int}", "/undo/1"),
    ("POST", "/projects/{project_id:int}/unarchive", "/projects/1/unarchive"),
]

# --- workspace (issue 9): palette, theme, shortcuts, actions ---
API_ROUTES += [
    ("GET", "/api/palette", "/api/palette?q=a", None),
    ("GET", "/api/me/theme", "/api/me/theme", None),
    ("PUT", "/api/me/theme", "/api/me/theme", {"theme": "dark"}),
    ("GET", "/api/me/shortcuts", "/api/me/shortcuts", None),
    ("PUT", "/api/me/shortcuts", "/api/me/shortcuts", {"enabled": False}),
]
PAGE_ROUTES += [("GET", "/palette", "/palette"), ("GET", "/settings/workspace", "/settings/workspace")]
FORM_ROUTES += [
    ("POST", "/actions/timer/start", "/actions/timer/start"),
    ("POST", "/actions/timer/stop", "/actions/timer/stop"),
    ("POST", "/actions/timer/toggle", "/actions/timer/toggle"),
    ("POST", "/actions/continue", "/actions/continue"),
    ("POST", "/actions/theme", "/actions/theme"),
    ("POST", "/settings/keyboard", "/settings/keyboard"),
]
# --- end workspace ---

# Areas other issues own (productivity, goals, import/export) and routes open to everyone.
OTHER_AREAS = ("/api/productivity", "/api/insights", "/api/goals", "/api/export", "/api/import",
               "/dashboard/productivity", "/goals", "/import", "/export")
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/register"), ("POST", "/register"), ("POST", "/logout"),
          ("POST", "/api/auth/tokens"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
          ("GET", "/favicon.ico")}


def _declared_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        path = route.path
        if path.startswith(("/static", "/schema")) or path.startswith(OTHER_AREAS):
            continue
        for method in getattr(route, "methods", ()):
            if method not in {"OPTIONS", "HEAD"} and (method, path) not in PUBLIC:
                found.add((method, path))
    return found


def test_the_lists_below_cover_every_protected_route_of_this_area(app: Any) -> None:
    listed = {(m, t) for m, t, _, _ in API_ROUTES} | {(m, t) for m, t, _ in PAGE_ROUTES + FORM_ROUTES}
    assert _declared_routes(app) == listed


CREDENTIALS = ["none", "unknown-bearer", "forged-cookie", "unsigned-cookie"]


def _client_with(anon_client: Any, settings: Any, credentials: str) -> tuple[Any, dict[str, str]]:
    headers: dict[str, str] = {}
    if credentials == "unknown-bearer":
        headers["Authorization"] = "Bearer mtm_this-token-was-never-issued"
    elif credentials in {"forged-cookie", "unsigned-cookie"}:
        value = sign(settings.secret_key, "no-such-session") if credentials == "forged-cookie" else "raw-session-id"
        anon_client.cookies.set("momentum_session", value)
        # A CSRF token too (bound to the signed session id, else the double-submit
        # cookie), so the request is judged on its authentication alone.
        token = session_csrf_token(settings.secret_key, "no-such-session") if credentials == "forged-cookie" else "t"
        anon_client.cookies.set("momentum_csrf", token)
        headers["X-CSRF-Token"] = token
    return anon_client, headers


@pytest.mark.parametrize("credentials", CREDENTIALS)
@pytest.mark.parametrize(("method", "template", "url", "body"), API_ROUTES,
                         ids=[f"{m} {u}" for m, _, u, _ in API_ROUTES])
def test_api_without_valid_authentication_is_401_json_never_a_redirect(
    anon_client: Any, settings: Any, credentials: str, method: str, template: str, url: str, body: Any
) -> None:
    c, headers = _client_with(anon_client, settings, credentials)
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if body is not None:
        kwargs["json"] = body
    r = c.request(method, url, **kwargs)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == UNAUTHORIZED
    assert "location" not in r.headers


@pytest.mark.parametrize(("method", "template", "url"), PAGE_ROUTES, ids=[u for _, _, u in PAGE_ROUTES])
def test_login_required_page_redirects_to_login_with_next(
    anon_client: Any, method: str, template: str, url: str
) -> None:
    r = anon_client.request(method, url, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next={quote(url, safe='')}"


def test_the_redirect_keeps_the_query_string_in_next(anon_client: Any) -> None:
    r = anon_client.get("/entries?start=2026-11-01&end=2026-11-07", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fentries%3Fstart%3D2026-11-01%26end%3D2026-11-07"
    page = anon_client.get(r.headers["location"])
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="/entries?start=2026-11-01&amp;end=2026-11-07">' in page.text


def test_an_expired_session_cookie_redirects_the_page_to_login(anon_client: Any, settings: Any) -> None:
    anon_client.cookies.set("momentum_session", sign(settings.secret_key, "no-such-session"))
    r = anon_client.get("/projects", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=%2Fprojects")


def test_htmx_request_without_a_session_gets_an_hx_redirect_to_login(anon_client: Any) -> None:
    r = anon_client.get("/partials/timer", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 200
    assert r.headers["hx-redirect"] == "/login?next=%2Fpartials%2Ftimer"


@pytest.mark.parametrize(("method", "template", "url"), FORM_ROUTES, ids=[u for _, _, u in FORM_ROUTES])
def test_form_post_without_a_session_redirects_to_login(
    anon_client: Any, method: str, template: str, url: str
) -> None:
    anon_client.cookies.set("momentum_csrf", "csrf-token")
    r = anon_client.request(method, url, data={"_csrf_token": "csrf-token", "name": "x"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next={quote(url, safe='')}"


def test_logout_without_a_session_just_goes_to_login(anon_client: Any) -> None:
    anon_client.cookies.set("momentum_csrf", "csrf-token")
    r = anon_client.post("/logout", data={"_csrf_token": "csrf-token"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")


def test_public_pages_answer_without_a_session(anon_client: Any) -> None:
    assert anon_client.get("/login").status_code == 200
    assert anon_client.get("/register").status_code == 200
    assert anon_client.get("/healthz").json() == {"ok": True}
