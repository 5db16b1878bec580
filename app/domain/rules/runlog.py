"""The run log (`rule_runs`) and what happens after the commit: webhook deliveries and
the record of a failed run (whose own transaction was rolled back).

Both later writes are units of work of their own on a fresh session, so they follow the
one write path (app/db/uow.py) like every other write.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import Rule, RuleRun, Task, TimeEntry
from app.db.uow import Work, write
from app.domain.rules import webhooks

log = logging.getLogger(__name__)


async def insert_run(db: AsyncSession, values: dict[str, Any]) -> int | None:
    """Store a run unless the rule already ran for that occurrence; the new id or None."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(RuleRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["rule_id", "occurrence"])
        .returning(RuleRun.id)
    )
    new_id = (await db.execute(stmt)).scalar_one_or_none()
    return int(new_id) if new_id is not None else None


async def has_run(db: AsyncSession, rule_ids: Sequence[int], occurrence: str) -> set[int]:
    """Which of the rules already ran for `occurrence`."""
    if not rule_ids:
        return set()
    rows = await db.scalars(
        select(RuleRun.rule_id).where(RuleRun.rule_id.in_(rule_ids), RuleRun.occurrence == occurrence)
    )
    return set(rows)


def _stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def event_body(
    trigger: str, rule: Rule, now: datetime, changes: Sequence[str], *,
    entry: TimeEntry | None = None, task: Task | None = None,
) -> bytes:
    """The JSON a webhook POSTs (docs/rules.md, "Webhook body")."""
    payload: dict[str, Any] = {
        "event": trigger,
        "rule": {"id": rule.id, "name": rule.name},
        "occurred_at": _stamp(now),
        "changes": list(changes),
    }
    if entry is not None:
        payload["entry"] = {
            "id": entry.id, "project_id": entry.project_id, "task_id": entry.task_id,
            "start_time": _stamp(entry.start_time), "end_time": _stamp(entry.end_time),
            "billable": entry.billable, "notes": entry.notes, "tags": list(entry.tags or []),
        }
    if task is not None:
        payload["task"] = {
            "id": task.id, "project_id": task.project_id, "name": task.name, "status": task.status,
            "completed_at": _stamp(task.completed_at),
        }
    return msgspec.json.encode(payload)


def _engine(db: AsyncSession) -> AsyncEngine | None:
    bind = db.bind
    if isinstance(bind, AsyncEngine):
        return bind
    return getattr(bind, "engine", None)


def webhook_after_commit(work: Work, rule: Rule, run_id: int, url: str, body: bytes) -> None:
    """Deliver after the commit, in the background; then record the outcome on the run."""
    engine, user_id, secret = _engine(work.db), work.user_id, rule.secret

    async def job() -> None:
        result = await webhooks.deliver(url, secret, body)
        if engine is None:  # pragma: no cover - sessions are always bound to an engine
            return

        async def record(w: Work) -> None:
            run = await w.db.get(RuleRun, run_id)
            if run is None:
                return
            pending = f"webhook: POST {url}"
            texts = list(run.actions)
            if pending in texts:
                texts[texts.index(pending)] = result.text(url)
            else:
                texts.append(result.text(url))
            run.actions = texts
            if not result.ok:
                run.ok = False
                run.error = result.text(url)

        async with AsyncSession(engine, expire_on_commit=False) as session:
            await write(session, user_id, record, source="rules")

    async def start() -> None:
        webhooks.schedule(job)

    work.after_commit(start)


def failure_later(work: Work, values: dict[str, Any]) -> None:
    """Record a failed run after its transaction rolled back (a background unit of work)."""
    engine, user_id = _engine(work.db), work.user_id

    async def job() -> None:
        if engine is None:  # pragma: no cover
            return

        async def record(w: Work) -> None:
            if await w.db.get(Rule, values["rule_id"]) is not None:
                await insert_run(w.db, {**values, "created_at": w.now})

        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                await write(session, user_id, record, source="rules")
        except Exception:
            log.exception("could not record the failed run of rule %s", values.get("rule_id"))

    webhooks.schedule(job)
