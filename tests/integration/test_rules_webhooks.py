"""Rule webhooks against a local receiver on 127.0.0.1 (docs/rules.md, "Webhooks"):
signed with the rule's secret, after the commit, retried, logged."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import TimeEntry
from tests.integration.helpers import db_scalar
from tests.integration.test_rules import ENTRY, cond, runs, wait_for


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.on_request: Any = None  # called with the body before answering
        self.seen: list[Any] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.on_request is not None:
                    receiver.seen.append(receiver.on_request(body))
                status = 500 if len(receiver.requests) <= receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def allow_local(app: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """MOMENTUM_WEBHOOK_HOSTS=127.0.0.1 for this test, and retries without waiting."""
    from app.domain.rules import webhooks

    monkeypatch.setitem(app.state, "settings", dataclasses.replace(settings, webhook_hosts=("127.0.0.1",)))
    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0.0, 0.0, 0.0))


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _hook_rule(user: Any, url: str) -> dict[str, Any]:
    r = user.api("POST", "/api/rules", json={
        "name": "Post it", "trigger": "entry_saved", "conditions": [cond("notes", "contains", "deploy")],
        "actions": [{"type": "add_tag", "tag": "shipped"}, {"type": "webhook", "url": url}]})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_webhook_is_signed_with_the_rules_secret(
    user: Any, settings: Any, allow_local: None, receiver: Receiver
) -> None:
    rule = _hook_rule(user, receiver.url)

    def committed_tags(body: bytes) -> Any:
        """Read by another connection while the request is in flight: the write has committed."""
        entry_id = json.loads(body)["entry"]["id"]
        return db_scalar(settings, select(TimeEntry.tags).where(TimeEntry.id == entry_id))

    receiver.on_request = committed_tags
    entry = user.api("POST", "/api/entries", json={**ENTRY, "notes": "deploy v2"}).json()
    assert wait_for(lambda: receiver.requests)
    headers, body = receiver.requests[0]
    expected = "sha256=" + hmac.new(rule["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-momentum-signature"] == expected
    assert headers["content-type"] == "application/json"
    event = json.loads(body)
    assert event["event"] == "entry_saved"
    assert event["rule"] == {"id": rule["id"], "name": "Post it"}
    # The body shows the committed entry, with the rule's own change.
    assert (event["entry"]["id"], event["entry"]["tags"]) == (entry["id"], ["shipped"])
    assert event["changes"] == ["tag + shipped", f"webhook: POST {receiver.url}"]
    logged = wait_for(lambda: [r for r in runs(user, rule["id"]) if "→ 204" in r["actions"][-1]])
    assert logged[0]["actions"][-1] == f"webhook: POST {receiver.url} → 204 (attempt 1)"
    assert len(receiver.requests) == 1
    assert receiver.seen == [["shipped"]]  # sent after the commit, never from inside the transaction


def test_a_failing_receiver_is_retried_three_times(user: Any, allow_local: None, receiver: Receiver) -> None:
    receiver.fail_first = 2
    rule = _hook_rule(user, receiver.url)
    user.api("POST", "/api/entries", json={**ENTRY, "notes": "deploy"})
    logged = wait_for(lambda: [r for r in runs(user, rule["id"]) if "→ 204" in r["actions"][-1]])
    assert logged[0]["actions"][-1] == f"webhook: POST {receiver.url} → 204 (attempt 3)"
    assert len(receiver.requests) == 3
    bodies = {body for _, body in receiver.requests}
    assert len(bodies) == 1  # every retry carries the same signed event


def test_a_receiver_that_never_answers_2xx_is_logged_as_failed(
    user: Any, allow_local: None, receiver: Receiver
) -> None:
    receiver.fail_first = 100
    rule = _hook_rule(user, receiver.url)
    entry = user.api("POST", "/api/entries", json={**ENTRY, "notes": "deploy"})
    assert entry.status_code == 201 and entry.json()["tags"] == ["shipped"]  # the write itself stands
    logged = wait_for(lambda: [r for r in runs(user, rule["id"]) if not r["ok"]])
    assert logged[0]["error"] == f"webhook: POST {receiver.url} failed after 4 attempts (HTTP 500)"
    assert len(receiver.requests) == 4  # the first attempt and 3 retries


def test_the_allow_list_is_checked_by_host(user: Any, allow_local: None) -> None:
    r = user.api("POST", "/api/rules", json={"name": "x", "trigger": "entry_saved",
                                             "actions": [{"type": "webhook", "url": "http://localhost:9/x"}]})
    assert (r.status_code, r.json()["error"]) == (422, "actions[0].url: host is not in MOMENTUM_WEBHOOK_HOSTS")
    r = user.api("POST", "/api/rules", json={"name": "x", "trigger": "entry_saved",
                                             "actions": [{"type": "webhook", "url": "ftp://127.0.0.1/x"}]})
    assert (r.status_code, r.json()["error"]) == (422, "actions[0].url: must be an http(s) URL")
