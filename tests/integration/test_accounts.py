"""Accounts through HTTP: register, login, logout, rate limits, API tokens, /api/me (CONTRACT sections 1-3, 5)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db.models import ApiToken, User
from app.domain.accounts.hashing import sha256
from app.lib.signing import sign
from tests.integration.helpers import (
    clear_rate_limits,
    current_minute,
    db_scalar,
    unique_address,
    with_client_address,
)

CSRF = "csrf-test-token-0123456789"


def fresh_email() -> str:
    return f"acct-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture()
def ip_client(app: Any, new_client: Any, portal: Any) -> Iterator[Any]:
    """ip_client() → a client with a CSRF cookie, calling from an address of its own.

    Every login and token request counts against the per-address limit; an address per
    test keeps these tests independent of each other and of parallel workers. The
    counters are deleted afterwards."""
    used: list[str] = []

    def factory() -> Any:
        address = unique_address()
        used.append(address)
        c = new_client(with_client_address(app, address))
        c.cookies.set("momentum_csrf", CSRF)
        c.address = address
        return c

    yield factory
    for address in used:
        clear_rate_limits(portal, address=address)


@pytest.fixture()
def forget_emails(portal: Any) -> Iterator[list[str]]:
    """Emails whose failure counters the test creates; cleared afterwards."""
    emails: list[str] = []
    yield emails
    clear_rate_limits(portal, emails=tuple(emails))


def user_count(settings: Any, email: str) -> int:
    return int(db_scalar(settings, select(func.count()).select_from(User).where(User.email == email)))


def login(c: Any, email: str, password: str, next_path: str | None = None) -> Any:
    """POST /login as a browser would: with the token of the login page it is on (bound
    to the session when the client already has one)."""
    if any(ck.name == "momentum_session" for ck in c.cookies.jar):
        c.get("/login")
    data = {"email": email, "password": password, "_csrf_token": csrf_cookie(c)}
    if next_path is not None:
        data["next"] = next_path
    return c.post("/login", data=data, follow_redirects=False)


def csrf_cookie(c: Any) -> str:
    """The CSRF cookie the server set last (the test's own, set without a domain, else),
    left alone in the jar: a browser keeps one cookie per name."""
    found = [ck for ck in c.cookies.jar if ck.name == "momentum_csrf"]
    if not found:
        return CSRF
    value = next((ck.value for ck in found if ck.domain), found[0].value) or CSRF
    c.cookies.delete("momentum_csrf")
    c.cookies.set("momentum_csrf", value)
    return value


def register_form(email: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    form = {
        "email": email,
        "password": "long enough password",
        "password_confirm": "long enough password",
        "timezone": "Europe/Berlin",
        "standard_hours_per_day": "7.5",
        "_csrf_token": CSRF,
    }
    form.update(overrides or {})
    return form


def field_error(name: str, message: str) -> str:
    return f'<p class="field-error" id="{name}-error" role="alert">{message}</p>'


# ---------------------------------------------------------------- register


def test_register_page_renders_the_form_with_a_csrf_token_matching_its_cookie(anon_client: Any) -> None:
    r = anon_client.get("/register")
    assert r.status_code == 200
    token = anon_client.cookies.get("momentum_csrf")
    assert token
    assert f'name="_csrf_token" value="{token}"' in r.text
    for name in ("email", "password", "password_confirm", "timezone", "standard_hours_per_day"):
        assert f'name="{name}"' in r.text
    assert '<option value="Europe/Berlin">' in r.text


def test_register_creates_the_user_and_sends_them_to_sign_in_with_the_email_filled_in(
    ip_client: Any, settings: Any
) -> None:
    c = ip_client()
    email = fresh_email()
    r = c.post("/register", data=register_form(email.upper()), follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?registered=1"
    assert "momentum_session" not in r.headers.get("set-cookie", "")  # sign-up never signs in
    assert user_count(settings, email) == 1
    page = c.get("/login?registered=1")
    assert "If this email is new to Momentum, its account is ready" in page.text
    assert f'value="{email}"' in page.text  # stored lower-cased, filled in for the login form
    assert login(c, email, "long enough password").status_code == 303
    body = c.get("/api/me").json()
    assert body["email"] == email
    assert body["timezone"] == "Europe/Berlin"
    assert body["standard_hours_per_day"] == 7.5
    assert body["working_days"] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "must be a valid email address"),
        ({"email": "someone@localhost"}, "email", "must be a valid email address"),
        ({"password": "short", "password_confirm": "short"}, "password", "must be at least 8 characters"),
        ({"password_confirm": "something else entirely"}, "password_confirm", "the two passwords differ"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone",
         "'Mars/Olympus_Mons' is not an IANA time zone (e.g. Europe/Berlin)"),
        ({"standard_hours_per_day": "eight"}, "standard_hours_per_day", "must be a number"),
        ({"standard_hours_per_day": "0"}, "standard_hours_per_day", "must be more than 0 and at most 24"),
        ({"standard_hours_per_day": "24.5"}, "standard_hours_per_day", "must be more than 0 and at most 24"),
    ],
    ids=["email", "email-no-dot", "password-short", "password-mismatch", "timezone", "hours-nan", "hours-zero",
         "hours-over-24"],
)
def test_register_validation_error_rerenders_with_422_next_to_the_field_and_creates_nothing(
    ip_client: Any, settings: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    c = ip_client()
    email = fresh_email()
    form = register_form(email, overrides)
    r = c.post("/register", data=form, follow_redirects=False)
    assert r.status_code == 422
    assert field_error(field, message) in r.text.replace("&#39;", "'")
    assert "momentum_session" not in r.headers.get("set-cookie", "")
    assert user_count(settings, form["email"].lower()) == 0
    assert user_count(settings, email) == 0


def test_register_with_a_taken_email_answers_exactly_like_a_new_one_and_changes_nothing(
    ip_client: Any, make_user: Any, settings: Any
) -> None:
    """No account enumeration (CONTRACT section 6): same status, location and cookies."""
    from app.db.models import User as UserModel

    existing = make_user()
    before = db_scalar(settings, select(UserModel.password_hash).where(UserModel.email == existing.email))
    taken, new = ip_client(), ip_client()
    new_email = fresh_email()
    r_taken = taken.post("/register", data=register_form(existing.email.upper()), follow_redirects=False)
    r_new = new.post("/register", data=register_form(new_email), follow_redirects=False)
    assert (r_taken.status_code, r_taken.headers["location"]) == (r_new.status_code, r_new.headers["location"])
    assert r_taken.content == r_new.content
    assert sorted(r_taken.cookies.keys()) == sorted(r_new.cookies.keys()) == ["momentum_signup"]
    # The next page, the login form, differs only in the email filled in.
    assert taken.get("/login?registered=1").text.replace(existing.email, "E") == new.get(
        "/login?registered=1"
    ).text.replace(new_email, "E")
    assert user_count(settings, existing.email) == 1
    # The account is untouched: its own password still works, the typed one does not.
    after = db_scalar(settings, select(UserModel.password_hash).where(UserModel.email == existing.email))
    assert after == before
    assert login(taken, existing.email, existing.password).status_code == 303


def test_more_than_10_sign_ups_an_hour_from_one_address_get_429(ip_client: Any, settings: Any) -> None:
    busy, calm = ip_client(), ip_client()
    emails = [fresh_email() for _ in range(11)]
    statuses = [busy.post("/register", data=register_form(e), follow_redirects=False).status_code for e in emails]
    assert statuses == [303] * 10 + [429]
    over = busy.post("/register", data=register_form(fresh_email()), follow_redirects=False)
    assert over.status_code == 429
    assert "too many sign-ups from this address; try again in an hour" in over.text
    assert user_count(settings, emails[-1]) == 0
    assert calm.post("/register", data=register_form(fresh_email()), follow_redirects=False).status_code == 303


@pytest.fixture()
def closed_app(settings: Any, portal: Any) -> Iterator[Any]:
    """A second app with MOMENTUM_ALLOW_SIGNUP switched off, started on the session's loop."""
    from app.asgi import create_app
    from app.lib.cache import setup_cache
    from tests.support import _OnPortal

    closed = create_app(dataclasses.replace(settings, allow_signup=False))
    with _OnPortal(closed, portal):
        yield closed
    setup_cache(settings.cache_url)


def test_register_page_says_signup_is_off_when_disabled(closed_app: Any, new_client: Any) -> None:
    c = new_client(closed_app)
    r = c.get("/register")
    assert r.status_code == 200
    assert "Sign-up is switched off on this server." in r.text
    assert 'action="/register"' not in r.text
    login_page = c.get("/login")
    assert 'href="/register"' not in login_page.text


def test_register_post_is_refused_with_403_when_signup_is_off(
    closed_app: Any, new_client: Any, settings: Any
) -> None:
    c = new_client(closed_app)
    c.cookies.set("momentum_csrf", CSRF)
    email = fresh_email()
    r = c.post("/register", data=register_form(email), follow_redirects=False)
    assert r.status_code == 403
    assert "Sign-up is switched off" in r.text
    assert "momentum_session" not in r.headers.get("set-cookie", "")
    assert user_count(settings, email) == 0


@pytest.fixture()
def production_app(settings: Any, portal: Any) -> Iterator[Any]:
    """The app as MOMENTUM_ENV=production runs it (cookies only over https)."""
    from app.asgi import create_app
    from app.lib.cache import setup_cache
    from tests.support import _OnPortal

    prod = create_app(dataclasses.replace(settings, env="production"))
    with _OnPortal(prod, portal):
        yield prod
    setup_cache(settings.cache_url)


def test_cookies_are_secure_httponly_and_lax_in_production(production_app: Any, new_client: Any) -> None:
    c = new_client(production_app)
    page = c.get("/register")
    csrf_cookie = page.headers["set-cookie"]
    assert csrf_cookie.startswith("momentum_csrf=")
    assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie and "SameSite=lax" in csrf_cookie
    c.cookies.set("momentum_csrf", CSRF)
    email = fresh_email()
    r = c.post("/register", data=register_form(email), follow_redirects=False)
    assert r.status_code == 303
    r = login(c, email, "long enough password")
    assert r.status_code == 303
    session_cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("momentum_session="))
    for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert flag in session_cookie


def test_cookies_work_over_plain_http_in_development(ip_client: Any) -> None:
    c = ip_client()
    email = fresh_email()
    assert c.post("/register", data=register_form(email), follow_redirects=False).status_code == 303
    r = login(c, email, "long enough password")
    assert r.status_code == 303
    assert "Secure" not in r.headers["set-cookie"]


def test_login_page_offers_registration_when_signup_is_on(anon_client: Any) -> None:
    r = anon_client.get("/login?next=/entries")
    assert r.status_code == 200
    assert 'href="/register"' in r.text
    assert '<input type="hidden" name="next" value="/entries">' in r.text


# ---------------------------------------------------------------- login and logout


def test_login_signs_in_and_redirects_to_next(ip_client: Any, make_user: Any) -> None:
    u = make_user()
    c = ip_client()
    r = login(c, u.email.upper(), u.password, "/entries?start=2026-11-01")
    assert r.status_code == 303
    assert r.headers["location"] == "/entries?start=2026-11-01"
    assert c.get("/api/me").json()["email"] == u.email


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "evil"])
def test_login_never_redirects_off_site(ip_client: Any, make_user: Any, target: str) -> None:
    u = make_user()
    c = ip_client()
    r = login(c, u.email, u.password, target)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


@pytest.mark.parametrize("target", ["/\\evil.example", "/\t/evil.example", "/%2F/evil.example"])
def test_login_redirect_with_an_odd_next_stays_on_this_site(ip_client: Any, make_user: Any, target: str) -> None:
    u = make_user()
    c = ip_client()
    location = login(c, u.email, u.password, target).headers["location"]
    # A browser reads "//" and "/\\" as another host; anything else starting with "/" is a local path.
    assert location.startswith("/")
    assert location[1:2] not in {"/", "\\"}


def test_login_rotates_the_session_id_and_the_old_one_stops_working(
    ip_client: Any, make_user: Any, settings: Any, new_client: Any
) -> None:
    u = make_user()
    c = ip_client()
    old_cookie = sign(settings.secret_key, u.session_raw)
    c.cookies.set("momentum_session", old_cookie, domain="testserver.local")
    assert c.get("/api/me").status_code == 200

    r = login(c, u.email, u.password)
    assert r.status_code == 303
    new_cookie = r.cookies.get("momentum_session")
    assert new_cookie and new_cookie != old_cookie
    fresh = new_client()
    fresh.cookies.set("momentum_session", new_cookie)
    assert fresh.get("/api/me").json()["email"] == u.email

    stale = new_client()
    stale.cookies.set("momentum_session", old_cookie)
    r = stale.get("/api/me")
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


@pytest.mark.parametrize("which", ["wrong-password", "unknown-email"])
def test_login_with_bad_credentials_rerenders_with_422_and_no_session(
    ip_client: Any, make_user: Any, forget_emails: list[str], which: str
) -> None:
    u = make_user()
    email = u.email if which == "wrong-password" else fresh_email()
    forget_emails.append(email)
    c = ip_client()
    r = login(c, email, "not the password")
    assert r.status_code == 422
    assert '<div class="flash flash-error" role="alert">wrong email or password</div>' in r.text
    assert f'value="{email}"' in r.text  # the email is kept, the password is not
    assert "momentum_session" not in r.headers.get("set-cookie", "")
    assert c.get("/api/me").status_code == 401


def test_an_expired_session_no_longer_authenticates(make_user: Any, settings: Any) -> None:
    from sqlalchemy import update

    from app.db.models import UserSession
    from tests.integration.helpers import db_run

    u = make_user()

    async def expire(db: Any) -> None:
        await db.execute(update(UserSession).where(UserSession.token_hash == sha256(u.session_raw)).values(
            expires_at=datetime(2026, 1, 1, tzinfo=UTC)))

    db_run(settings, expire)
    r = u.client.get("/api/me")
    assert r.status_code == 401
    assert u.client.get("/settings", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_and_clears_the_cookie(make_user: Any, new_client: Any, settings: Any) -> None:
    u = make_user()
    r = u.client.post("/logout", data={"_csrf_token": u.csrf["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    assert 'momentum_session=""' in r.headers["set-cookie"]
    stale = new_client()
    stale.cookies.set("momentum_session", sign(settings.secret_key, u.session_raw))
    assert stale.get("/api/me").status_code == 401
    assert stale.get("/", follow_redirects=False).status_code == 303


# ---------------------------------------------------------------- rate limits


def test_five_failed_logins_block_the_email_with_429_even_for_the_right_password(
    ip_client: Any, make_user: Any, forget_emails: list[str]
) -> None:
    u = make_user()
    forget_emails.append(u.email)
    c = ip_client()
    for i in range(5):
        # The count is per account, however the email is spelled.
        email = u.email.upper() if i % 2 else u.email
        assert login(c, email, "wrong password").status_code == 422
    r = login(c, u.email, u.password)
    assert r.status_code == 429
    assert "too many failed attempts for this account; try again in 15 minutes" in r.text
    assert "momentum_session" not in r.headers.get("set-cookie", "")
    # The token route shares the block.
    r = c.post("/api/auth/tokens", json={"email": u.email, "password": u.password, "name": "x"},
               headers={"X-CSRF-Token": CSRF})
    assert r.status_code == 429
    assert r.json() == {"ok": False, "error": "too many failed attempts for this account; try again in 15 minutes"}


def test_four_failed_logins_do_not_block_and_a_success_resets_the_count(
    ip_client: Any, make_user: Any, forget_emails: list[str]
) -> None:
    u = make_user()
    forget_emails.append(u.email)
    c = ip_client()
    for _ in range(4):
        assert login(c, u.email, "wrong password").status_code == 422
    assert login(c, u.email, u.password).status_code == 303
    for _ in range(4):
        assert login(c, u.email, "wrong password").status_code == 422
    assert login(c, u.email, u.password).status_code == 303


def test_a_blocked_email_does_not_block_other_accounts(
    ip_client: Any, make_user: Any, forget_emails: list[str]
) -> None:
    blocked, other = make_user(), make_user()
    forget_emails.extend([blocked.email, other.email])
    c = ip_client()
    for _ in range(5):
        login(c, blocked.email, "wrong password")
    assert login(c, blocked.email, blocked.password).status_code == 429
    assert login(c, other.email, other.password).status_code == 303


def test_failed_token_requests_block_the_email_after_five(
    ip_client: Any, make_user: Any, forget_emails: list[str]
) -> None:
    u = make_user()
    forget_emails.append(u.email)
    c = ip_client()
    c.cookies.delete("momentum_csrf")
    body = {"email": u.email, "password": "wrong password", "name": "script"}
    for _ in range(5):
        r = c.post("/api/auth/tokens", json=body)
        assert r.status_code == 401
        assert r.json() == {"ok": False, "error": "wrong email or password"}
    r = c.post("/api/auth/tokens", json={**body, "password": u.password})
    assert r.status_code == 429


def within_one_minute(attempt: Any) -> Any:
    """Run `attempt` (which returns its observations) inside one calendar minute.

    The per-address window is a calendar minute; if the minute turns while the
    attempts run, the counter restarts, so the same attempt runs once more (from a
    fresh address, right after the turn, with a whole minute ahead)."""
    for _ in range(2):
        minute = current_minute()
        observed = attempt()
        if current_minute() == minute:
            return observed
    raise AssertionError("two attempts in a row crossed a minute boundary")


def test_more_than_30_attempts_a_minute_from_one_address_get_429(
    ip_client: Any, make_user: Any, forget_emails: list[str]
) -> None:
    u = make_user()
    forget_emails.append(u.email)

    def attempt() -> tuple[list[int], Any, Any]:
        c = ip_client()
        c.cookies.delete("momentum_csrf")
        body = {"email": u.email, "password": u.password, "name": "script"}
        statuses = [c.post("/api/auth/tokens", json=body).status_code for _ in range(30)]
        over = c.post("/api/auth/tokens", json=body)
        c.cookies.set("momentum_csrf", CSRF)
        return statuses, over, login(c, u.email, u.password)

    statuses, over, form = within_one_minute(attempt)
    assert statuses == [201] * 30
    assert over.status_code == 429
    assert over.json() == {"ok": False, "error": "too many attempts from this address; try again in a minute"}
    # The login form shares the per-address limit.
    assert form.status_code == 429
    assert "too many attempts from this address; try again in a minute" in form.text


def test_the_address_limit_is_per_address(ip_client: Any, make_user: Any, forget_emails: list[str]) -> None:
    u = make_user()
    forget_emails.append(u.email)

    def attempt() -> tuple[int, int]:
        busy, calm = ip_client(), ip_client()
        for i in range(31):
            stranger = fresh_email()
            forget_emails.append(stranger)
            busy.post("/api/auth/tokens", json={"email": stranger, "password": "whatever1", "name": f"t{i}"})
        return login(busy, u.email, u.password).status_code, login(calm, u.email, u.password).status_code

    assert within_one_minute(attempt) == (429, 303)


# ---------------------------------------------------------------- API tokens


def test_create_token_returns_it_once_and_stores_only_its_hash(
    ip_client: Any, make_user: Any, settings: Any, new_client: Any
) -> None:
    u = make_user()
    c = ip_client()
    c.cookies.delete("momentum_csrf")
    r = c.post("/api/auth/tokens", json={"email": u.email, "password": u.password, "name": "laptop script"})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"id", "name", "token", "created_at"}
    assert body["name"] == "laptop script"
    assert body["token"].startswith("mtm_") and len(body["token"]) > 40
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None

    stored = db_scalar(settings, select(ApiToken.token_hash).where(ApiToken.id == body["id"]))
    assert stored != body["token"]
    assert stored == sha256(body["token"])
    assert db_scalar(settings, select(func.count()).select_from(ApiToken).where(
        ApiToken.token_hash == body["token"])) == 0

    bearer = new_client()
    r = bearer.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert r.status_code == 200
    assert r.json()["email"] == u.email


def test_create_token_with_a_wrong_password_is_401(ip_client: Any, make_user: Any, forget_emails: list[str]) -> None:
    u = make_user()
    forget_emails.append(u.email)
    c = ip_client()
    c.cookies.delete("momentum_csrf")
    r = c.post("/api/auth/tokens", json={"email": u.email, "password": "nope nope", "name": "x"})
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "wrong email or password"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"password": "x", "name": "n"}, "Object missing required field `email`"),
        ({"email": "a@b.cd", "password": "x", "name": ""}, "Expected `str` of length >= 1"),
        ({"email": "a@b.cd", "password": "x", "name": "n" * 101}, "Expected `str` of length <= 100"),
        ({"email": "a@b.cd", "password": "x", "scope": "all"}, "Object contains unknown field `scope`"),
    ],
    ids=["missing-email", "empty-name", "long-name", "unknown-field"],
)
def test_create_token_rejects_a_malformed_body_with_400(
    ip_client: Any, body: dict[str, str], message: str
) -> None:
    c = ip_client()
    c.cookies.delete("momentum_csrf")
    r = c.post("/api/auth/tokens", json=body)
    assert r.status_code == 400
    assert r.json()["ok"] is False
    assert message in r.json()["error"]


def test_list_tokens_shows_the_callers_tokens_without_secrets(make_user: Any) -> None:
    u, other = make_user(), make_user()
    r = u.api("GET", "/api/auth/tokens")
    assert r.status_code == 200
    items = r.json()
    assert len(items) == 1
    assert set(items[0]) == {"id", "name", "created_at", "last_used_at"}
    assert items[0]["name"] == "tests"
    assert u.token not in r.text
    other_ids = [t["id"] for t in other.api("GET", "/api/auth/tokens").json()]
    assert items[0]["id"] not in other_ids


def test_delete_token_revokes_it(make_user: Any, settings: Any, new_client: Any) -> None:
    from app.domain.accounts.tokens import create_token
    from tests.integration.helpers import db_run

    u = make_user()

    async def second_token(db: Any) -> tuple[int, str]:
        token, raw = await create_token(db, u.id, "to revoke")
        return token.id, raw

    token_id, raw = db_run(settings, second_token)
    revoked = new_client()
    assert revoked.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    r = u.api("DELETE", f"/api/auth/tokens/{token_id}")
    assert r.status_code == 204
    assert r.content == b""
    r = revoked.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}
    assert [t["name"] for t in u.api("GET", "/api/auth/tokens").json()] == ["tests"]


def test_delete_token_of_another_user_is_404_and_leaves_it_working(make_user: Any) -> None:
    owner, intruder = make_user(), make_user()
    token_id = owner.api("GET", "/api/auth/tokens").json()[0]["id"]
    r = intruder.api("DELETE", f"/api/auth/tokens/{token_id}")
    assert r.status_code == 404
    assert r.json() == intruder.api("DELETE", "/api/auth/tokens/987654321").json()
    assert r.json() == {"ok": False, "error": "token not found"}
    assert owner.api("GET", "/api/me").status_code == 200


def test_an_unknown_bearer_token_is_401_even_with_a_valid_session(make_user: Any) -> None:
    u = make_user()
    r = u.client.get("/api/me", headers={"Authorization": "Bearer mtm_not-a-real-token"})
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


# ---------------------------------------------------------------- /api/me


def test_get_me_returns_the_users_settings(make_user: Any) -> None:
    u = make_user(timezone="America/New_York", hours=6.5)
    r = u.api("GET", "/api/me")
    assert r.status_code == 200
    assert r.json() == {
        "id": u.id,
        "email": u.email,
        "timezone": "America/New_York",
        "effective_timezone": "America/New_York",
        "standard_hours_per_day": 6.5,
        "working_days": [1, 2, 3, 4, 5],
        "streak_min_minutes": 0,
        "streak_skip_non_working": False,
        "refuse_overlaps": False,
    }


def test_get_me_without_a_zone_reports_the_application_zone(make_user: Any, settings: Any) -> None:
    u = make_user(timezone=None)
    body = u.api("GET", "/api/me").json()
    assert body["timezone"] is None
    assert body["effective_timezone"] == settings.timezone


def test_patch_me_changes_the_settings_and_the_next_read_sees_them(make_user: Any) -> None:
    u = make_user()
    u.api("GET", "/api/me")  # warm the per-user cache
    r = u.api("PATCH", "/api/me", json={"timezone": "Asia/Kolkata", "standard_hours_per_day": 6,
                                         "working_days": [6, 1, 1, 3]})
    assert r.status_code == 200
    body = r.json()
    assert (body["timezone"], body["standard_hours_per_day"], body["working_days"]) == ("Asia/Kolkata", 6.0,
                                                                                       [1, 3, 6])
    again = u.api("GET", "/api/me").json()
    assert (again["timezone"], again["standard_hours_per_day"], again["working_days"]) == ("Asia/Kolkata", 6.0,
                                                                                          [1, 3, 6])


def test_patch_me_with_a_partial_body_changes_only_that_field(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    r = u.api("PATCH", "/api/me", json={"standard_hours_per_day": 24})
    assert r.status_code == 200
    assert r.json()["timezone"] == "Europe/Berlin"
    assert r.json()["standard_hours_per_day"] == 24.0
    assert r.json()["working_days"] == [1, 2, 3, 4, 5]


def test_patch_me_with_a_null_zone_falls_back_to_the_application_zone(make_user: Any, settings: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    body = u.api("PATCH", "/api/me", json={"timezone": None}).json()
    assert body["timezone"] is None
    assert body["effective_timezone"] == settings.timezone


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"timezone": "Mars/Olympus_Mons"},
         "timezone: 'Mars/Olympus_Mons' is not an IANA time zone (e.g. Europe/Berlin)"),
        ({"timezone": "EST5EDT-nope"}, "timezone: 'EST5EDT-nope' is not an IANA time zone (e.g. Europe/Berlin)"),
        ({"standard_hours_per_day": 0}, "standard_hours_per_day: must be more than 0 and at most 24"),
        ({"standard_hours_per_day": -1}, "standard_hours_per_day: must be more than 0 and at most 24"),
        ({"standard_hours_per_day": 24.01}, "standard_hours_per_day: must be more than 0 and at most 24"),
        ({"standard_hours_per_day": "eight"}, "standard_hours_per_day: Expected `float`, got `str`"),
        ({"working_days": [0, 1]}, "working_days: must be ISO weekdays 1 (Monday) to 7 (Sunday)"),
        ({"working_days": [1, 8]}, "working_days: must be ISO weekdays 1 (Monday) to 7 (Sunday)"),
        ({"email": "new@example.com"}, "data: Object contains unknown field `email`"),
    ],
    ids=["tz", "tz-garbage", "hours-0", "hours-neg", "hours-over", "hours-str", "day-0", "day-8", "unknown"],
)
def test_patch_me_validation_error_is_400_naming_the_field_and_changes_nothing(
    make_user: Any, body: dict[str, Any], error: str
) -> None:
    u = make_user(timezone="Europe/Berlin")
    before = u.api("GET", "/api/me").json()
    r = u.api("PATCH", "/api/me", json=body)
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    assert u.api("GET", "/api/me").json() == before


def test_patch_me_with_an_invalid_field_writes_none_of_the_valid_ones(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    r = u.api("PATCH", "/api/me", json={"timezone": "Asia/Tokyo", "working_days": [9]})
    assert r.status_code == 400
    assert u.api("GET", "/api/me").json()["timezone"] == "Europe/Berlin"
