"""Hostile input at the edge (CONTRACT section 6, "No client input gives a 5xx"; issue 12
part 1): every odd input below answers a 4xx naming the problem, before any other work."""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import Any

import pytest

from app.domain.tracking.validation import clean_tags
from app.lib.errors import ValidationError
from tests.integration.helpers import unique_address, with_client_address

HUGE_ID = "86668078216390606848"
OK_TIMES = {"start_time": "2026-11-02T09:00:00Z", "end_time": "2026-11-02T10:00:00Z"}


def error_of(r: Any) -> str:
    body = r.json()
    assert body["ok"] is False, body
    return str(body["error"])


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize("raw_id", [HUGE_ID, "9223372036854775808", "-1", "0"])
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/api/entries/{}"),
        ("PATCH", "/api/entries/{}"),
        ("DELETE", "/api/entries/{}"),
        ("GET", "/api/projects/{}"),
        ("PATCH", "/api/tasks/{}"),
        ("GET", "/api/goals/{}"),
        ("DELETE", "/api/auth/tokens/{}"),
    ],
)
def test_path_id_out_of_range_is_404_as_if_missing(user: Any, method: str, template: str, raw_id: str) -> None:
    r = user.api(method, template.format(raw_id), json={} if method == "PATCH" else None)
    assert r.status_code == 404, r.text
    assert r.json() == {"ok": False, "error": "not found"}


def test_query_id_out_of_range_is_400_naming_the_parameter(user: Any) -> None:
    r = user.api("GET", f"/api/entries?project_id={HUGE_ID}")
    assert r.status_code == 400
    assert error_of(r).startswith("project_id:")


@pytest.mark.parametrize("field", ["project_id", "task_id"])
def test_body_id_out_of_range_is_400_naming_the_field(user: Any, field: str) -> None:
    r = user.api("POST", "/api/entries", json={**OK_TIMES, field: int(HUGE_ID)})
    assert r.status_code == 400
    assert error_of(r).startswith(f"{field}:")
    r = user.api("POST", "/api/tasks", json={"project_id": 0, "name": "x"})
    assert r.status_code == 400
    assert error_of(r).startswith("project_id:")


# ---------------------------------------------------------------- datetimes and dates


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "1969-12-31T23:00:00Z"])
def test_body_datetime_outside_1970_2200_is_400_naming_the_field(user: Any, stamp: str) -> None:
    r = user.api("POST", "/api/entries", json={**OK_TIMES, "start_time": stamp})
    assert r.status_code == 400
    assert "start_time: must be between 1970 and 2200" in error_of(r)
    r = user.api("POST", "/api/timer/stop", json={"end_time": stamp})
    assert r.status_code == 400
    assert "end_time: must be between 1970 and 2200" in error_of(r)


def test_query_datetime_outside_range_or_without_offset_is_400(user: Any) -> None:
    r = user.api("GET", "/api/entries?start=0001-01-01T00:00:00%2B01:00")
    assert (r.status_code, error_of(r)) == (400, "start: must be between 1970 and 2200")
    r = user.api("GET", "/api/entries?end=2026-01-01T00:00:00")
    assert r.status_code == 400
    assert error_of(r).startswith("end: must carry a UTC offset")


@pytest.mark.parametrize(
    "url",
    [
        "/api/export/entries.csv?start=0001-01-01",
        "/api/export/entries.csv?end=9999-12-31",
        "/api/export/daily.csv?start=0001-01-01",
        "/api/goals/progress?date=0001-01-01",
    ],
)
def test_date_ranges_out_of_bounds_are_400(user: Any, url: str) -> None:
    r = user.api("GET", url)
    assert r.status_code == 400
    assert "must be between 1970 and 2200" in error_of(r)


def test_weekly_goal_week_out_of_bounds_is_400(user: Any) -> None:
    r = user.api("PUT", "/api/weekly-goals/0001-01-01", json={"target_hours": 3})
    assert (r.status_code, error_of(r)) == (400, "week_start: must be between 1970 and 2200")


# ---------------------------------------------------------------- encodings and shapes


def test_json_nested_deeper_than_32_is_400(user: Any) -> None:
    for depth in (33, 5000):
        body = b'{"name":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
        r = user.api("POST", "/api/projects", content=body, headers={"Content-Type": "application/json"})
        assert (r.status_code, error_of(r)) == (400, "body: JSON nested deeper than 32 levels")


def test_json_nested_32_deep_passes_the_guard(user: Any) -> None:
    body = b'{"name":' + b"[" * 31 + b"]" * 31 + b"}"
    r = user.api("POST", "/api/projects", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "nested" not in error_of(r)  # refused by the schema (name is a string), not the depth


def test_invalid_utf8_is_400(user: Any) -> None:
    r = user.api("POST", "/api/projects", content=b'{"name":"\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert (r.status_code, error_of(r)) == (400, "body: is not valid UTF-8")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notes": "a\u0000b"}, "notes"),
        ({"tags": ["ok", "b\u0000d"]}, "tags[1]"),
        ({"outcome\u0000": "x"}, "outcome"),
    ],
)
def test_nul_in_json_body_is_400_naming_the_field(user: Any, body: dict[str, Any], field: str) -> None:
    r = user.api("POST", "/api/entries", json={**OK_TIMES, **body})
    assert (r.status_code, error_of(r)) == (400, f"{field}: must not contain a NUL character")


def test_nul_in_query_is_400_naming_the_parameter(user: Any) -> None:
    r = user.api("GET", "/api/tasks?status=to%00do")
    assert (r.status_code, error_of(r)) == (400, "status: must not contain a NUL character")


def test_nul_in_email_on_unauthenticated_token_route_is_4xx(app: Any, new_client: Any) -> None:
    anon = new_client(with_client_address(app, unique_address()))
    r = anon.post("/api/auth/tokens", json={"email": "a\u0000@example.com", "password": "x"})
    assert (r.status_code, error_of(r)) == (400, "email: must not contain a NUL character")


def test_nul_in_login_form_is_400_naming_the_field(app: Any, new_client: Any) -> None:
    anon = new_client(with_client_address(app, unique_address()))
    r = anon.post("/login", content=b"email=a%00%40example.com&password=x",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert "email: must not contain a NUL character" in r.text


def test_wrong_content_type_is_415(user: Any) -> None:
    r = user.api("POST", "/api/projects", content=b'{"name":"x"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert error_of(r).startswith("Content-Type:")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = user.api("POST", "/api/projects", content=b"name=x", headers=form)
    assert r.status_code == 415


def test_json_body_over_1_mb_is_413(user: Any) -> None:
    body = b'{"name":"' + b"x" * (1024 * 1024) + b'"}'
    r = user.api("POST", "/api/projects", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert error_of(r).startswith("body:")


# ---------------------------------------------------------------- tags


def test_100000_tags_answer_4xx_quickly_while_healthz_answers(user: Any, new_client: Any) -> None:
    other = new_client()
    tags = [f"t{i}" for i in range(100_000)]
    result: dict[str, Any] = {}

    def post() -> None:
        started = time.perf_counter()
        result["response"] = user.api("POST", "/api/entries", json={**OK_TIMES, "tags": tags})
        result["elapsed"] = time.perf_counter() - started

    worker = threading.Thread(target=post)
    worker.start()
    health = other.get("/healthz")
    worker.join(timeout=30)
    assert health.status_code == 200
    r = result["response"]
    assert (r.status_code, error_of(r)) == (400, "tags: Expected `array` of length <= 20")
    # A complexity guard (the old O(n²) de-duplication took 31 s), not a benchmark.
    assert result["elapsed"] < 1.0


def test_clean_tags_is_linear_and_stops_at_the_21st_distinct_tag() -> None:
    started = time.perf_counter()
    assert clean_tags(["same"] * 200_000 + [" other ", ""]) == ["same", "other"]
    with pytest.raises(ValidationError, match="at most 20 tags"):
        clean_tags([f"t{i}" for i in range(200_000)])
    assert time.perf_counter() - started < 1.0  # complexity guard


# ---------------------------------------------------------------- periods


def test_productivity_page_answers_200_for_every_period_1_to_90(user: Any) -> None:
    browser = user.browser()
    for period in range(1, 91):
        r = browser.get(f"/dashboard/productivity?period={period}")
        assert r.status_code == 200, (period, r.text[:200])
        assert f'data-period="{period}"' in r.text


@pytest.mark.parametrize("period", ["abc", "1.5", "9" * 5000])
def test_productivity_page_with_a_non_integer_period_is_400(user: Any, period: str) -> None:
    assert user.browser().get(f"/dashboard/productivity?period={period}").status_code == 400


# ---------------------------------------------------------------- headers and the schema


def test_serve_bounds_the_size_of_a_request_head(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from app import cli_serve

    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: captured.update(kw))
    before = {name: os.environ.get(name) for name in cli_serve._SERVE_ENV}
    cli_serve.cmd_serve(argparse.Namespace(host="127.0.0.1", port=8000, workers=1, quiet=True))
    # the server's own variables (metrics directory, instance name) do not leak into this process
    assert {name: os.environ.get(name) for name in cli_serve._SERVE_ENV} == before
    assert captured["http"] == cli_serve.HTTP_PROTOCOL == "app.lib.http_protocol:BoundedHttpToolsProtocol"


def _raw_exchange(port: int, head: bytes, chunk: int = 64 * 1024) -> tuple[bytes, int]:
    """Send `head` in chunks; (what the server answered, bytes sent before it closed)."""
    import socket

    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            while sent < len(head):
                sock.sendall(head[sent:sent + chunk])
                sent += min(chunk, len(head) - sent)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while part := sock.recv(65536):
                answer += part
                if b"\r\n\r\n" in answer and not answer.startswith(b"HTTP/1.1 4"):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    return answer, sent


def test_a_request_head_over_64_kib_is_refused_with_431_without_buffering_it() -> None:
    """The protocol `momentum serve` runs (app/lib/http_protocol.py), on a real socket."""
    import threading
    import time

    import uvicorn

    from app.lib.http_protocol import MAX_HEADER_BYTES, BoundedHttpToolsProtocol
    from tests.servers import free_port

    async def hello(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(hello, host="127.0.0.1", port=port, http=BoundedHttpToolsProtocol,
                                           log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        # A head just under the bound is served, twice on one connection (keep-alive).
        fine = b"X-Pad: " + b"a" * (MAX_HEADER_BYTES - 200) + b"\r\n"
        request = b"GET / HTTP/1.1\r\nHost: x\r\n" + fine + b"\r\n"
        answer, _ = _raw_exchange(port, request + request)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
        # One header over the bound: 431, and the connection is closed long before 20 MB arrive.
        huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * (20 * 1024 * 1024) + b"\r\n\r\n"
        answer, sent = _raw_exchange(port, huge)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
        assert sent < 10 * 1024 * 1024
        # Many small headers add up the same way.
        many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 20_000 + b"\r\n"
        answer, _ = _raw_exchange(port, many)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
        # The server still answers.
        answer, _ = _raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_openapi_documents_the_real_error_body(client: Any) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == ["ok", "error"]
    responses = schema["paths"]["/api/entries/{entry_id}"]["patch"]["responses"]
    assert sorted(responses) == ["200", "400", "401", "403", "404", "409", "413", "415", "422", "503"]
    for status in ("400", "401", "404", "415"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/ErrorBody"
    token_route = schema["paths"]["/api/auth/tokens"]["post"]["responses"]
    assert {"401", "429"} <= set(token_route)


def test_a_goal_target_too_small_to_round_is_400_not_an_overflow(user: Any) -> None:
    # Found by the schemathesis run: a target of 1e-300 made the progress percentage overflow.
    body = {"name": "Tiny", "metric": "hours", "target": 1e-300, "period": "weekly"}
    r = user.api("POST", "/api/goals", json=body)
    assert r.status_code == 400
    assert "target: must be at least 0.01" in error_of(r)
    assert user.api("GET", "/api/goals/progress").status_code == 200
