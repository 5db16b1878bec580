"""Accounts against an attacker (CONTRACT section 6): the CSRF token bound to the session
and rotated at login, MOMENTUM_TRUSTED_PROXIES deciding whose X-Forwarded-For counts,
and api_tokens.last_used_at kept at most once a minute. Sign-up's rate limit and its
answer for a taken email are in test_accounts.py."""

from __future__ import annotations

import dataclasses
import ipaddress
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app.db.models import ApiToken
from app.domain.accounts import token_usage
from app.domain.accounts.hashing import sha256
from app.lib.signing import session_csrf_token, unsign
from tests.integration.helpers import db_run, db_scalar, with_client_address
from tests.integration.test_accounts import CSRF, csrf_cookie, fresh_email, ip_client, login, register_form

__all__ = ["ip_client"]  # a fixture, imported for the tests below


def session_id(c: Any, settings: Any) -> str:
    signed = next(ck.value for ck in c.cookies.jar if ck.name == "momentum_session")
    raw = unsign(settings.secret_key, signed or "")
    assert raw
    return raw


# ------------------------------------------------------------------ CSRF bound to the session


def test_login_rotates_the_csrf_token_and_binds_it_to_the_new_session(
    ip_client: Any, make_user: Any, settings: Any
) -> None:
    u = make_user()
    c = ip_client()
    r = login(c, u.email, u.password)
    assert r.status_code == 303
    first = csrf_cookie(c)
    assert first != CSRF
    assert first == session_csrf_token(settings.secret_key, session_id(c, settings))

    # The pre-login token is worth nothing once signed in.
    refused = c.post("/api/projects", json={"name": "a"}, headers={"X-CSRF-Token": CSRF})
    assert refused.status_code == 403
    assert c.post("/api/projects", json={"name": "a"}, headers={"X-CSRF-Token": first}).status_code == 201

    # Signing in again (a new session) gives a new token, and the old one stops working.
    assert login(c, u.email, u.password).status_code == 303
    second = csrf_cookie(c)
    assert second != first
    assert c.post("/api/projects", json={"name": "b"}, headers={"X-CSRF-Token": first}).status_code == 403
    assert c.post("/api/projects", json={"name": "b"}, headers={"X-CSRF-Token": second}).status_code == 201
    page = c.get("/projects")
    assert f'"X-CSRF-Token": "{second}"' in page.text


def test_a_form_post_with_the_token_of_another_session_is_refused(make_user: Any) -> None:
    u, other = make_user(), make_user()
    r = u.client.post("/projects", data={"_csrf_token": other.csrf["X-CSRF-Token"], "name": "x"},
                      follow_redirects=False)
    assert r.status_code == 403
    assert u.api("GET", "/api/projects").json() == []


def test_logout_drops_the_csrf_cookie(make_user: Any) -> None:
    u = make_user()
    r = u.client.post("/logout", data={"_csrf_token": u.csrf["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    assert any(v.startswith('momentum_csrf=""') for v in r.headers.get_list("set-cookie"))


# ------------------------------------------------------------------ trusted proxies

PROXY = "10.0.0.5"


@pytest.fixture()
def proxied_app(settings: Any, portal: Any) -> Iterator[Any]:
    """The app with MOMENTUM_TRUSTED_PROXIES=10.0.0.0/8, started on the session's loop."""
    from app.asgi import create_app
    from app.lib.cache import setup_cache
    from tests.support import _OnPortal

    trusted = (ipaddress.ip_network("10.0.0.0/8"),)
    app = create_app(dataclasses.replace(settings, trusted_proxies=trusted))
    with _OnPortal(app, portal):
        yield app
    setup_cache(settings.cache_url)


def _clear_signup(portal: Any, *addresses: str) -> None:
    from app.lib.cache import cache

    for address in addresses:
        portal.call(cache.delete, f"rl:signup:{address}")


def _documentation_address() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


def test_behind_a_trusted_proxy_the_forwarded_client_is_rate_limited_not_the_proxy(
    proxied_app: Any, new_client: Any, portal: Any
) -> None:
    alice, bob = _documentation_address(), "2001:db8::7"
    _clear_signup(portal, alice, bob)
    c = new_client(with_client_address(proxied_app, PROXY))
    c.cookies.set("momentum_csrf", CSRF)
    try:
        def sign_up(client_chain: str) -> int:
            # The client may write anything on the left; the proxy appends what it saw.
            headers = {"X-Forwarded-For": client_chain}
            return int(c.post("/register", data=register_form(fresh_email()), headers=headers,
                              follow_redirects=False).status_code)

        statuses = [sign_up(f"6.6.6.{i}, {alice}") for i in range(10)]
        assert statuses == [303] * 10  # the forged left-hand addresses change nothing ...
        assert sign_up(f"7.7.7.7, {alice}") == 429  # ... alice is the client each time
        # Another client behind the same proxy is not blocked; a chain of two trusted
        # proxies (10.0.0.9 appended by an inner one) still finds the client.
        assert sign_up(f"{bob}, 10.0.0.9") == 303
    finally:
        _clear_signup(portal, alice, bob)


def test_an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for(
    proxied_app: Any, new_client: Any, portal: Any
) -> None:
    peer = _documentation_address()
    _clear_signup(portal, peer)
    c = new_client(with_client_address(proxied_app, peer))
    c.cookies.set("momentum_csrf", CSRF)
    try:
        statuses = [
            c.post("/register", data=register_form(fresh_email()), headers={"X-Forwarded-For": f"203.0.113.{i}"},
                   follow_redirects=False).status_code
            for i in range(11)
        ]
        assert statuses == [303] * 10 + [429]
    finally:
        _clear_signup(portal, peer)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app: Any, new_client: Any, portal: Any) -> None:
    """The default (no trusted proxies): even a loopback peer's header does not count, so
    a forged header cannot reach /metrics either."""
    c = new_client(with_client_address(app, "192.0.2.10"))
    assert c.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404


# ------------------------------------------------------------------ api_tokens.last_used_at


def _last_used(settings: Any, token: str) -> datetime | None:
    value = db_scalar(settings, select(ApiToken.last_used_at).where(ApiToken.token_hash == sha256(token)))
    return value  # type: ignore[no-any-return]


def _wait_for(check: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_token_request_records_last_used_at_at_most_once_a_minute(make_user: Any, settings: Any) -> None:
    u = make_user()
    assert _last_used(settings, u.token) is None
    before = datetime.now(UTC)
    assert u.api("GET", "/api/me").status_code == 200
    first = _wait_for(lambda: _last_used(settings, u.token))
    assert before - timedelta(seconds=1) <= first <= datetime.now(UTC)
    listed = u.api("GET", "/api/auth/tokens").json()
    assert [t["last_used_at"] for t in listed if t["name"] == "tests"] == [first.isoformat()]

    # Within the minute: no new write, from this process or from another one.
    for _ in range(5):
        assert u.api("GET", "/api/me").status_code == 200
    token_usage._written.clear()  # as if another worker served the next request
    assert u.api("GET", "/api/me").status_code == 200
    time.sleep(0.3)
    assert _last_used(settings, u.token) == first

    # Over a minute later, the next use moves it.
    async def age(db: Any) -> None:
        await db.execute(update(ApiToken).where(ApiToken.token_hash == sha256(u.token))
                         .values(last_used_at=first - timedelta(seconds=61)))

    db_run(settings, age)
    token_usage._written.clear()
    assert u.api("GET", "/api/me").status_code == 200
    moved = _wait_for(lambda: (v := _last_used(settings, u.token)) and v > first and v)
    assert moved > first


def test_touch_token_writes_only_when_empty_or_older_than_a_minute(make_user: Any, settings: Any) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.db.config import create_engine

    u = make_user()
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    async def run_all() -> list[bool]:
        engine = create_engine(settings)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        try:
            digest = sha256(u.token)
            return [
                await token_usage.touch_token(digest, maker, now=t0),
                await token_usage.touch_token(digest, maker, now=t0 + timedelta(seconds=30)),
                await token_usage.touch_token(digest, maker, now=t0 + timedelta(seconds=60)),
                await token_usage.touch_token(digest, maker, now=t0 + timedelta(seconds=61)),
            ]
        finally:
            await engine.dispose()

    from tests.support import run

    assert run(run_all()) == [True, False, False, True]
    assert _last_used(settings, u.token) == t0 + timedelta(seconds=61)


def test_session_requests_do_not_touch_tokens(make_user: Any, settings: Any) -> None:
    u = make_user()
    assert u.client.get("/api/me").status_code == 200
    time.sleep(0.3)
    assert _last_used(settings, u.token) is None
