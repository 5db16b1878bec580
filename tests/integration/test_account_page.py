"""The account page and its API (issue 9, docs/setup.md "Your account"): change the
password (other sessions end, this one stays), API tokens (create, shown once, last
used, revoke), sessions (list, sign out one or all others), export and delete the
account (every row the user owns in every table, nobody else's), and sign-up showing
every error at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.db.models import (
    CardLayout,
    ImportJob,
    ImportStaging,
    ImportStagingRef,
    Notification,
    Rule,
    RuleRun,
    UserSession,
)
from app.db.ownership import owned_tables, owner_condition
from app.domain.accounts import token_usage
from app.domain.accounts.hashing import sha256
from app.lib.signing import session_csrf_token, sign
from tests.integration.helpers import clear_rate_limits, db_run, db_scalar
from tests.integration.test_accounts import fresh_email, ip_client, login, register_form
from tests.support import UserCtx, run

__all__ = ["ip_client"]  # a fixture, imported for the tests below

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture()
def forget(portal: Any) -> Iterator[list[str]]:
    """Emails whose failed-attempt counters a test creates; cleared afterwards."""
    emails: list[str] = []
    yield emails
    clear_rate_limits(portal, emails=tuple(emails))


def another_browser(u: UserCtx, settings: Any, new_client: Any, agent: str = "Mozilla/5.0 (X11; Linux) Firefox/133.0")\
        -> tuple[Any, str]:
    """A second browser signed in to `u` (a session of its own); returns (client, session id)."""
    from app.db.config import create_engine, writing
    from app.domain.accounts.sessions import create_session

    async def make() -> str:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        engine = create_engine(settings)
        try:
            with writing():
                async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                    raw = await create_session(db, u.id, agent)
                    await db.commit()
                    return raw
        finally:
            await engine.dispose()

    raw = run(make())
    c = new_client()
    c.cookies.set("momentum_session", sign(settings.secret_key, raw))
    c.cookies.set("momentum_csrf", session_csrf_token(settings.secret_key, raw))
    return c, raw


def signed_in(c: Any) -> bool:
    return int(c.get("/api/me").status_code) == 200


def form(u: UserCtx, path: str, data: dict[str, str] | None = None) -> Any:
    return u.client.post(path, data={**(data or {}), **{"_csrf_token": u.csrf["X-CSRF-Token"]}},
                         follow_redirects=False)


def session_rows(settings: Any, user_id: int) -> list[Any]:
    async def work(db: Any) -> list[Any]:
        return list((await db.execute(select(UserSession).where(UserSession.user_id == user_id))).scalars())

    return db_run(settings, work)


def text_of(r: Any) -> str:
    return str(r.text).replace("&#39;", "'").replace("&quot;", '"')


# ------------------------------------------------------------------ the page


def test_the_account_page_shows_every_section_and_is_linked_from_the_navigation(make_user: Any) -> None:
    u = make_user()
    r = u.client.get("/account")
    assert r.status_code == 200
    body = r.text
    for action in ('action="/account/password"', 'action="/account/tokens"', 'action="/account/delete"',
                   'href="/api/export/backup.json"'):
        assert action in body
    assert "<strong>tests</strong>" in body  # the fixture's API token, by name
    assert "This browser" in body
    assert u.token not in body  # a token's secret is never shown again
    assert 'href="/account"' in u.client.get("/settings").text
    assert 'href="/account" aria-current="page"' in body


# ------------------------------------------------------------------ password


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    make_user: Any, settings: Any, new_client: Any, ip_client: Any, forget: list[str]
) -> None:
    u = make_user()
    forget.append(u.email)
    other, _ = another_browser(u, settings, new_client)
    assert signed_in(other)
    r = form(u, "/account/password", {"current_password": u.password, "new_password": NEW_PASSWORD,
                                       "new_password_confirm": NEW_PASSWORD})
    assert (r.status_code, r.headers["location"]) == (303, "/account?done=password&ended=1")
    assert "Password changed. 1 other session signed out." in u.client.get(r.headers["location"]).text
    assert signed_in(u.client)  # this browser stays signed in ...
    assert not signed_in(other)  # ... the other one is out
    assert u.api("GET", "/api/me").status_code == 200  # API tokens keep working
    c = ip_client()
    assert login(c, u.email, u.password).status_code == 422
    assert login(c, u.email, NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "not my password"}, "current_password", "Current password is not correct."),
        ({"new_password": "short", "new_password_confirm": "short"}, "new_password",
         "New password must be at least 8 characters."),
        ({"new_password_confirm": "something else"}, "new_password_confirm",
         "Repeated new password differs from the new password."),
        ({"new_password": "correct horse battery", "new_password_confirm": "correct horse battery"}, "new_password",
         "New password must differ from the current password."),
    ],
    ids=["wrong-current", "too-short", "confirm-differs", "unchanged"],
)
def test_a_refused_password_change_says_why_next_to_the_field_and_changes_nothing(
    make_user: Any, settings: Any, new_client: Any, forget: list[str], data: dict[str, str], field: str, message: str
) -> None:
    u = make_user()
    forget.append(u.email)
    other, _ = another_browser(u, settings, new_client)
    sent = {"current_password": u.password, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD,
            **data}
    r = form(u, "/account/password", sent)
    assert r.status_code == 422
    assert f'<p class="field-error" id="{field}-error" role="alert">{message}</p>' in text_of(r)
    assert signed_in(other) and signed_in(u.client)
    assert login_ok(u, u.password, settings)


def login_ok(u: UserCtx, password: str, settings: Any) -> bool:
    from app.db.models import User
    from app.domain.accounts.hashing import verify_password

    stored = db_scalar(settings, select(User.password_hash).where(User.id == u.id))
    return verify_password(stored, password)


def test_the_password_api_with_the_session_cookie_keeps_this_session(
    make_user: Any, settings: Any, new_client: Any, forget: list[str]
) -> None:
    u = make_user()
    forget.append(u.email)
    other, _ = another_browser(u, settings, new_client)
    body = {"current_password": u.password, "new_password": NEW_PASSWORD}
    assert u.client.post("/api/me/password", json=body).status_code == 403  # the CSRF header is required
    r = u.client.post("/api/me/password", json=body, headers=u.csrf)
    assert (r.status_code, r.json()) == (200, {"sessions_ended": 1})
    assert signed_in(u.client) and not signed_in(other)
    assert login_ok(u, NEW_PASSWORD, settings)


def test_the_password_api_with_a_token_ends_every_session(make_user: Any, settings: Any, forget: list[str]) -> None:
    u = make_user()
    forget.append(u.email)
    r = u.api("POST", "/api/me/password", json={"current_password": u.password, "new_password": NEW_PASSWORD})
    assert (r.status_code, r.json()) == (200, {"sessions_ended": 1})
    assert session_rows(settings, u.id) == []
    assert u.api("GET", "/api/me").status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"current_password": "wrong password", "new_password": NEW_PASSWORD}, "current_password: is not correct"),
        ({"current_password": "correct horse battery", "new_password": "short"},
         "new_password: must be at least 8 characters"),
    ],
    ids=["wrong-current", "too-short"],
)
def test_the_password_api_refuses_with_400_naming_the_field(
    make_user: Any, settings: Any, forget: list[str], body: dict[str, str], error: str
) -> None:
    u = make_user()
    forget.append(u.email)
    r = u.api("POST", "/api/me/password", json=body)
    assert (r.status_code, r.json()) == (400, {"ok": False, "error": error})
    assert login_ok(u, u.password, settings)
    assert len(session_rows(settings, u.id)) == 1


def test_wrong_current_passwords_are_rate_limited_like_logins(make_user: Any, settings: Any,
                                                             forget: list[str]) -> None:
    u = make_user()
    forget.append(u.email)
    body = {"current_password": "guess number one", "new_password": NEW_PASSWORD}
    statuses = [u.api("POST", "/api/me/password", json=body).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    right = u.api("POST", "/api/me/password", json={"current_password": u.password, "new_password": NEW_PASSWORD})
    assert right.status_code == 429  # blocked for 15 minutes, even with the right password
    assert login_ok(u, u.password, settings)


# ------------------------------------------------------------------ API tokens


def test_a_token_created_on_the_page_is_shown_once_works_and_shows_when_it_was_last_used(
    make_user: Any, settings: Any, new_client: Any, portal: Any
) -> None:
    u = make_user()
    r = form(u, "/account/tokens", {"token_name": "backup script"})
    assert r.status_code == 201
    raw = re.search(r'id="new-token"[^>]*value="(mtm_[^"]+)"', r.text)
    assert raw, r.text
    token = raw.group(1)
    assert "shown only this once" in r.text
    assert token not in u.client.get("/account").text
    script = new_client()
    assert script.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    portal.call(token_usage.settle)
    listed = {t["name"]: t for t in u.api("GET", "/api/auth/tokens").json()}
    assert listed["backup script"]["last_used_at"] is not None
    page = u.client.get("/account").text
    assert re.search(r"<strong>backup script</strong>\s*<span[^>]*>created [0-9-]+ [0-9:]+ · last used [0-9-]+ [0-9:]+",
                     page)


def test_a_token_needs_a_name(make_user: Any) -> None:
    u = make_user()
    r = form(u, "/account/tokens", {"token_name": "   "})
    assert r.status_code == 422
    assert "Token name must be 1 to 100 characters." in r.text
    assert [t["name"] for t in u.api("GET", "/api/auth/tokens").json()] == ["tests"]


def test_revoking_a_token_on_the_page_refuses_it_from_then_on(make_user: Any, new_client: Any) -> None:
    u = make_user()
    created = form(u, "/account/tokens", {"token_name": "old laptop"})
    token = re.search(r'value="(mtm_[^"]+)"', created.text).group(1)  # type: ignore[union-attr]
    token_id = next(t["id"] for t in u.api("GET", "/api/auth/tokens").json() if t["name"] == "old laptop")
    r = form(u, f"/account/tokens/{token_id}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/account?done=token-revoked")
    assert new_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "old laptop" not in u.client.get("/account").text


def test_another_users_token_or_session_is_404_and_keeps_working(make_user: Any, settings: Any) -> None:
    u, other = make_user(), make_user()
    token_id = other.api("GET", "/api/auth/tokens").json()[0]["id"]
    session_id = session_rows(settings, other.id)[0].id
    assert form(u, f"/account/tokens/{token_id}/delete").status_code == 404
    assert form(u, f"/account/sessions/{session_id}/delete").status_code == 404
    assert u.api("DELETE", f"/api/me/sessions/{session_id}").json() == {"ok": False, "error": "session not found"}
    assert u.api("DELETE", f"/api/me/sessions/{session_id}").status_code == 404
    assert u.api("DELETE", "/api/me/sessions/99999999999999999999").status_code == 404
    assert other.api("GET", "/api/me").status_code == 200
    assert signed_in(other.client)
    assert form(u, "/account/tokens/0/delete").status_code == 404


# ------------------------------------------------------------------ sessions


def test_sessions_are_listed_with_their_browser_and_last_seen_time(
    make_user: Any, settings: Any, new_client: Any
) -> None:
    u = make_user()
    other, _ = another_browser(u, settings, new_client, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
    sessions = u.client.get("/api/me/sessions").json()
    assert len(sessions) == 2
    mine = next(s for s in sessions if s["current"])
    theirs = next(s for s in sessions if not s["current"])
    assert theirs["device"] == "Safari on iPhone"
    assert theirs["user_agent"].startswith("Mozilla/5.0 (iPhone")
    assert theirs["last_seen_at"] is not None
    assert set(mine) == {"id", "created_at", "last_seen_at", "user_agent", "device", "current"}
    # With a token nobody is "this session".
    assert not any(s["current"] for s in u.api("GET", "/api/me/sessions").json())
    page = u.client.get("/account").text
    assert "Safari on iPhone" in page
    assert f'action="/account/sessions/{theirs["id"]}/delete"' in page
    assert f'action="/account/sessions/{mine["id"]}/delete"' not in page  # no button to cut the branch you sit on


def test_a_session_seen_again_after_a_minute_moves_its_last_seen_time(
    make_user: Any, settings: Any, portal: Any
) -> None:
    u = make_user()
    old = datetime.now(UTC) - timedelta(minutes=5)

    async def age(db: Any) -> None:
        await db.execute(update(UserSession).where(UserSession.user_id == u.id).values(last_seen_at=old))

    db_run(settings, age)
    token_usage._written.clear()  # as if another worker served the next request
    assert signed_in(u.client)
    portal.call(token_usage.settle)
    seen = session_rows(settings, u.id)[0].last_seen_at
    assert seen > old + timedelta(minutes=4)
    # Within the minute nothing is written again.
    token_usage._written.clear()
    assert signed_in(u.client)
    portal.call(token_usage.settle)
    assert session_rows(settings, u.id)[0].last_seen_at == seen


def test_signing_out_one_session_ends_only_that_one(make_user: Any, settings: Any, new_client: Any) -> None:
    u = make_user()
    first, raw_first = another_browser(u, settings, new_client)
    second, _ = another_browser(u, settings, new_client)
    first_id = next(s.id for s in session_rows(settings, u.id) if s.token_hash == sha256(raw_first))
    r = form(u, f"/account/sessions/{first_id}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/account?done=session-ended")
    assert not signed_in(first) and signed_in(second) and signed_in(u.client)
    assert u.api("DELETE", f"/api/me/sessions/{first_id}").status_code == 404  # gone already
    second_id = next(s["id"] for s in u.client.get("/api/me/sessions").json() if not s["current"])
    assert u.client.delete(f"/api/me/sessions/{second_id}", headers=u.csrf).status_code == 204
    assert not signed_in(second) and signed_in(u.client)


def test_sign_out_other_sessions_keeps_only_this_one(make_user: Any, settings: Any, new_client: Any) -> None:
    u = make_user()
    others = [another_browser(u, settings, new_client)[0] for _ in range(2)]
    r = form(u, "/account/sessions/others")
    assert (r.status_code, r.headers["location"]) == (303, "/account?done=others-ended&ended=2")
    assert "2 other sessions signed out." in u.client.get(r.headers["location"]).text
    assert not any(signed_in(c) for c in others)
    assert signed_in(u.client)
    again, _ = another_browser(u, settings, new_client)
    r = u.client.post("/api/me/sessions/sign-out-others", headers=u.csrf)
    assert (r.status_code, r.json()) == (200, {"sessions_ended": 1})
    assert not signed_in(again) and signed_in(u.client)


# ------------------------------------------------------------------ export and delete


def fill_every_table(u: UserCtx, settings: Any) -> None:
    """Rows of this user in every table a user's data lives in."""
    project = u.api("POST", "/api/projects", json={"name": "Client A", "budget_hours": 10}).json()
    task = u.api("POST", "/api/tasks", json={"project_id": project["id"], "name": "Draft"}).json()
    for day in (2, 3):
        r = u.api("POST", "/api/entries", json={
            "project_id": project["id"], "task_id": task["id"], "start_time": f"2026-11-0{day}T09:00:00Z",
            "end_time": f"2026-11-0{day}T10:30:00Z", "notes": "work", "tags": ["a"]})
        assert r.status_code == 201, r.text
    assert u.api("POST", "/api/timer/start", json={"project_id": project["id"]}).status_code == 201
    r = u.api("POST", "/api/goals", json={"name": "Focus", "metric": "hours", "target": 20, "period": "weekly",
                                          "project_id": project["id"]})
    assert r.status_code == 201, r.text
    assert u.api("PUT", "/api/weekly-goals/2026-11-02", json={"target_hours": 30}).status_code == 200
    now = datetime.now(UTC)

    async def extras(db: Any) -> None:
        db.add(Notification(user_id=u.id, kind="daily_summary", key=f"daily_summary:{u.id}", title="Hi",
                            created_at=now))
        job = ImportJob(key=f"job{u.id}", user_id=u.id, state="done", pid=1, host="h", heartbeat_at=now,
                        created_at=now)
        db.add(job)
        await db.flush()
        db.add(ImportStaging(job_id=job.id, row=1, start_us=0, end_us=1))
        db.add(ImportStagingRef(job_id=job.id, kind="p", key=1, ref_id=project["id"]))
        rule = Rule(user_id=u.id, name="Tag it", trigger="entry_saved", conditions=[], actions=[], secret="s")
        db.add(rule)
        await db.flush()
        db.add(RuleRun(rule_id=rule.id, user_id=u.id, created_at=now, trigger="entry_saved", occurrence="e:1"))
        db.add(CardLayout(user_id=u.id, page="home", cards=[{"name": "timer", "visible": True}]))

    db_run(settings, extras)


def owned_counts(settings: Any, user_id: int) -> dict[str, int]:
    entries = owned_tables()
    by_name = {o.table.name: o for o in entries}

    async def work(db: Any) -> dict[str, int]:
        counts = {}
        for o in entries:
            statement = select(func.count()).select_from(o.table).where(owner_condition(o, user_id, by_name))
            counts[o.table.name] = int(await db.scalar(statement))
        from app.db.models import User

        counts["users"] = int(await db.scalar(select(func.count()).select_from(User).where(User.id == user_id)))
        return counts

    return db_run(settings, work)


CORE = {"users", "user_sessions", "api_tokens", "projects", "tasks", "time_entries", "day_totals", "goals",
        "goal_targets", "weekly_time_goals", "notifications", "import_jobs", "import_staging", "import_staging_refs",
        "rules", "rule_runs", "card_layouts"}


def test_deleting_the_account_removes_every_row_it_owns_and_nobody_elses(
    make_user: Any, settings: Any, ip_client: Any, forget: list[str]
) -> None:
    u, other = make_user(), make_user()
    forget.append(u.email)
    fill_every_table(u, settings)
    fill_every_table(other, settings)
    before, others_before = owned_counts(settings, u.id), owned_counts(settings, other.id)
    assert {name for name, n in before.items() if n > 0} >= CORE
    assert others_before == before  # the same shape, so "untouched" below means something

    page = u.client.get("/account").text
    assert 'href="/api/export/backup.json"' in page.split('action="/account/delete"')[0]  # export offered first
    backup = u.client.get("/api/export/backup.json")
    assert backup.status_code == 200 and "Client A" in backup.text

    wrong = form(u, "/account/delete", {"delete_password": "not my password"})
    assert wrong.status_code == 422
    assert "Password is not correct." in wrong.text
    assert owned_counts(settings, u.id) == before

    r = form(u, "/account/delete", {"delete_password": u.password})
    assert (r.status_code, r.headers["location"]) == (303, "/login?deleted=1")
    assert any(v.startswith('momentum_session=""') for v in r.headers.get_list("set-cookie"))
    assert "Your account and all its data were deleted." in u.client.get("/login?deleted=1").text

    assert owned_counts(settings, u.id) == dict.fromkeys(before, 0)
    assert owned_counts(settings, other.id) == others_before
    assert u.api("GET", "/api/me").status_code == 401
    assert u.client.get("/account", follow_redirects=False).status_code == 303
    assert login(ip_client(), u.email, u.password).status_code == 422
    assert other.api("GET", "/api/entries").json()["items"]


def test_delete_me_api_needs_the_password_and_then_deletes_everything(
    make_user: Any, settings: Any, forget: list[str]
) -> None:
    u, other = make_user(), make_user()
    forget.append(u.email)
    fill_every_table(u, settings)
    before, others_before = owned_counts(settings, u.id), owned_counts(settings, other.id)
    r = u.api("DELETE", "/api/me", json={"password": "not my password"})
    assert (r.status_code, r.json()) == (400, {"ok": False, "error": "password: is not correct"})
    assert u.api("DELETE", "/api/me").status_code == 400  # no body
    assert owned_counts(settings, u.id) == before
    assert u.client.request("DELETE", "/api/me", json={"password": u.password}).status_code == 403  # no CSRF
    r = u.api("DELETE", "/api/me", json={"password": u.password})
    assert r.status_code == 204
    assert owned_counts(settings, u.id) == dict.fromkeys(before, 0)
    assert owned_counts(settings, other.id) == others_before
    assert u.api("GET", "/api/me").status_code == 401


def test_an_account_is_not_deleted_under_a_running_import(make_user: Any, settings: Any, forget: list[str]) -> None:
    u = make_user()
    forget.append(u.email)
    now = datetime.now(UTC)

    async def running(db: Any) -> None:
        db.add(ImportJob(key=f"run{u.id}", user_id=u.id, state="running", pid=1, host="h", heartbeat_at=now,
                         created_at=now))

    db_run(settings, running)
    r = u.api("DELETE", "/api/me", json={"password": u.password})
    assert (r.status_code, r.json()["error"]) == (409, "an import is still running; delete the account when it has "
                                                       "finished")
    page = form(u, "/account/delete", {"delete_password": u.password})
    assert page.status_code == 409
    assert "An import is still running; delete the account when it has finished." in page.text
    assert u.api("GET", "/api/me").status_code == 200

    async def finish(db: Any) -> None:
        await db.execute(update(ImportJob).where(ImportJob.user_id == u.id).values(state="done"))

    db_run(settings, finish)
    assert u.api("DELETE", "/api/me", json={"password": u.password}).status_code == 204


def test_an_email_freed_by_deletion_can_sign_up_again(make_user: Any, ip_client: Any, settings: Any,
                                                      forget: list[str]) -> None:
    u = make_user()
    forget.append(u.email)
    assert u.api("DELETE", "/api/me", json={"password": u.password}).status_code == 204
    c = ip_client()
    assert c.post("/register", data=register_form(u.email), follow_redirects=False).status_code == 303
    assert login(c, u.email, "long enough password").status_code == 303
    assert c.get("/api/entries").json()["items"] == []


# ------------------------------------------------------------------ sign-up: every error at once


def test_sign_up_shows_every_error_at_once_each_naming_its_field(ip_client: Any, settings: Any) -> None:
    c = ip_client()
    bad = {"email": "not-an-email", "password": "short", "password_confirm": "other",
           "timezone": "Mars/Olympus_Mons", "standard_hours_per_day": "eight"}
    r = c.post("/register", data=register_form("x", bad), follow_redirects=False)
    assert r.status_code == 422
    body = text_of(r)
    for field, message in [
        ("email", "must be a valid email address"),
        ("password", "must be at least 8 characters"),
        ("password_confirm", "the two passwords differ"),
        ("timezone", "'Mars/Olympus_Mons' is not an IANA time zone (e.g. Europe/Berlin)"),
        ("standard_hours_per_day", "must be a number"),
    ]:
        assert f'<p class="field-error" id="{field}-error" role="alert">{message}</p>' in body
    summary = body.split('id="register-errors"')[1].split("</div>")[0]
    assert "These 5 fields need a change" in summary
    for text in ("Email must be a valid email address.", "Password must be at least 8 characters.",
                 "Repeated password: the two passwords differ.",
                 "Time zone: 'Mars/Olympus_Mons' is not an IANA time zone (e.g. Europe/Berlin).",
                 "Standard hours per day must be a number."):
        assert text in summary
    assert 'href="#f-email"' in summary


def test_sign_up_errors_read_the_same_for_a_taken_email(make_user: Any, ip_client: Any) -> None:
    existing = make_user()
    bad = {"password": "short", "password_confirm": "short"}
    taken = ip_client().post("/register", data=register_form(existing.email, bad), follow_redirects=False)
    new_email = fresh_email()
    new = ip_client().post("/register", data=register_form(new_email, bad), follow_redirects=False)
    assert taken.status_code == new.status_code == 422
    assert taken.text.replace(existing.email, "E") == new.text.replace(new_email, "E").replace(
        new.cookies.get("momentum_csrf") or "-", taken.cookies.get("momentum_csrf") or "-")
