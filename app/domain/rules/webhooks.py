"""Webhooks: a signed POST of the event, after the commit, retried, logged (docs/rules.md).

Never from inside the database transaction: the run registers `schedule(...)` as an
after-commit callback of its unit of work, and delivery runs as a background task so a
slow receiver never holds the request. The body is signed with the rule's secret:
`X-Momentum-Signature: sha256=<hex HMAC-SHA256 of the body>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
RETRIES = 3
# Seconds to wait before retry 1, 2, 3 (a module constant so tests can shorten it).
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)
SIGNATURE_HEADER = "X-Momentum-Signature"

_pending: set[asyncio.Task[None]] = set()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one webhook: delivered or not, after how many attempts, the last status."""

    ok: bool
    attempts: int
    status: int | None
    error: str | None

    def text(self, url: str) -> str:
        if self.ok:
            return f"webhook: POST {url} → {self.status} (attempt {self.attempts})"
        return f"webhook: POST {url} failed after {self.attempts} attempts ({self.error})"


async def deliver(url: str, secret: str, body: bytes) -> Delivery:
    """POST `body` with its signature; a network error, a timeout or a non-2xx answer is
    retried up to RETRIES times."""
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body),
               "User-Agent": "Momentum-Webhook/1"}
    last_status: int | None = None
    error = "no attempt"
    attempts = 0
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        for attempt in range(RETRIES + 1):
            if attempt:
                await asyncio.sleep(RETRY_DELAYS[min(attempt - 1, len(RETRY_DELAYS) - 1)])
            attempts = attempt + 1
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                error = type(exc).__name__
                last_status = None
                continue
            last_status = response.status_code
            if 200 <= response.status_code < 300:
                return Delivery(True, attempts, last_status, None)
            error = f"HTTP {response.status_code}"
    return Delivery(False, attempts, last_status, error)


def schedule(job: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a delivery job in the background, keeping a reference until it ends."""
    task: asyncio.Task[None] = asyncio.get_running_loop().create_task(job())
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def drain() -> None:
    """Wait for every scheduled delivery (tests, shutdown)."""
    while _pending:
        await asyncio.gather(*list(_pending), return_exceptions=True)
