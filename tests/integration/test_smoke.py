from __future__ import annotations

from typing import Any


def test_healthz_answers_ok(client: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"ok": True}


def test_api_without_auth_is_401_json(client: Any) -> None:
    r = client.get("/api/me")
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


def test_bearer_user_reads_me(user: Any) -> None:
    r = user.api("GET", "/api/me")
    assert r.status_code == 200, r.text
    assert r.json()["email"] == user.email


def test_cookie_user_sees_home(user: Any) -> None:
    r = user.client.get("/")
    assert r.status_code == 200, r.text
    assert "Timer" in r.text
