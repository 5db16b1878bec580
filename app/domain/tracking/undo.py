"""Delete with Undo (docs/ui.md, "Undo").

Deleting an entry or a project first copies every row the delete removes into an
`undo_snapshots` row (JSON, column by column), in the same unit of work. "Undo" puts the
rows back with their own ids, so nothing that refers to them breaks: an entry comes back
with the same id, project, task, tags and times; a project with its tasks, and the goals
(with their target history) that the delete cascaded away. A project that had entries is
only archived by a delete (CONTRACT section 3); its Undo unarchives it.

The page shows "Deleted · Undo" for UNDO_SECONDS; the server accepts the Undo for
UNDO_GRACE (a phone without JavaScript keeps the message until the next page). Older
snapshots are pruned by the next delete of the same user.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Goal, GoalTarget, Project, Task, TimeEntry, UndoSnapshot
from app.db.uow import touched, unit_of_work
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import entries as entry_svc
from app.domain.tracking import projects as project_svc
from app.domain.tracking.validation import utcnow
from app.lib.errors import ConflictError, NotFoundError

UNDO_SECONDS = 10
UNDO_GRACE = timedelta(minutes=10)

_MODELS: dict[str, Any] = {
    "time_entries": TimeEntry, "projects": Project, "tasks": Task, "goals": Goal, "goal_targets": GoalTarget,
}


def undo_link(snapshot_id: int) -> dict[str, str]:
    """The header a JSON delete answers with: where to POST the Undo."""
    return {"Link": f'</api/undo/{snapshot_id}>; rel="undo"'}


def dump_row(obj: Any) -> dict[str, Any]:
    """Every column of an ORM row as JSON-safe values (datetimes and dates tagged)."""
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        if isinstance(value, datetime):
            value = {"$dt": value.isoformat()}
        elif isinstance(value, date):
            value = {"$d": value.isoformat()}
        elif isinstance(value, list):
            value = list(value)
        out[column.key] = value
    return out


def load_row(table: str, data: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and "$dt" in value:
            value = datetime.fromisoformat(value["$dt"])
        elif isinstance(value, dict) and "$d" in value:
            value = date.fromisoformat(value["$d"])
        values[key] = value
    return _MODELS[table](**values)


@unit_of_work()
async def _remember(db: AsyncSession, user_id: int, kind: str, payload: dict[str, Any]) -> int:
    now = utcnow()
    await db.execute(
        delete(UndoSnapshot).where(UndoSnapshot.user_id == user_id, UndoSnapshot.created_at < now - UNDO_GRACE)
    )
    snapshot = UndoSnapshot(user_id=user_id, kind=kind, payload=payload, created_at=now)
    db.add(snapshot)
    await db.flush()
    return snapshot.id


@unit_of_work()
async def delete_entry(db: AsyncSession, user: CurrentUser, zone_name: str, entry_id: int) -> int:
    """Delete the entry; returns the id of its undo snapshot."""
    entry = await entry_svc.get_entry(db, user.id, entry_id)
    payload = {"rows": [["time_entries", dump_row(entry)]], "label": "entry"}
    await entry_svc.delete_entry(db, user, zone_name, entry_id)
    return await _remember(db, user.id, "entry", payload)


@unit_of_work()
async def delete_project(db: AsyncSession, user_id: int, project_id: int) -> tuple[int, bool]:
    """Delete (or, with entries, archive) the project; returns (snapshot id, archived)."""
    project = await project_svc.get_project(db, user_id, project_id)
    rows: list[list[Any]] = [["projects", dump_row(project)]]
    tasks = list(await db.scalars(select(Task).where(Task.user_id == user_id, Task.project_id == project.id)))
    goals = list(await db.scalars(select(Goal).where(Goal.user_id == user_id, Goal.project_id == project.id)))
    targets = []
    if goals:
        targets = list(await db.scalars(select(GoalTarget).where(GoalTarget.goal_id.in_([g.id for g in goals]))))
    rows += [["tasks", dump_row(t)] for t in tasks]
    rows += [["goals", dump_row(g)] for g in goals]
    rows += [["goal_targets", dump_row(t)] for t in targets]
    was_archived = project.archived
    archived = await project_svc.delete_project(db, user_id, project_id)
    if archived is not None:
        payload: dict[str, Any] = {"archive": project_id, "was_archived": was_archived, "label": "project"}
    else:
        payload = {"rows": rows, "label": "project"}
    return await _remember(db, user_id, "project", payload), archived is not None


@unit_of_work()
async def undo(db: AsyncSession, user_id: int, snapshot_id: int, now: datetime | None = None) -> tuple[str, int]:
    """Put back what the snapshot holds; returns (kind, id of the restored entry or project).

    404 when the snapshot is not the caller's, already used or older than UNDO_GRACE."""
    snapshot = await db.scalar(
        select(UndoSnapshot).where(UndoSnapshot.id == snapshot_id, UndoSnapshot.user_id == user_id)
    )
    if snapshot is None or snapshot.created_at < (now or utcnow()) - UNDO_GRACE:
        raise NotFoundError("undo")
    payload: dict[str, Any] = dict(snapshot.payload)
    await db.delete(snapshot)
    if "archive" in payload:
        project = await project_svc.get_project(db, user_id, int(payload["archive"]))
        project.archived = bool(payload.get("was_archived", False))
        await db.flush()
        return snapshot.kind, project.id
    restored: list[Any] = []
    for table, data in payload["rows"]:
        if "user_id" in data and data["user_id"] != user_id:  # never trust a payload across users
            raise NotFoundError("undo")
        row = load_row(table, data)
        if isinstance(row, TimeEntry):
            row = await _checked_refs(db, user_id, row)
        db.add(row)
        restored.append(row)
        try:
            await db.flush()
        except IntegrityError as exc:
            raise ConflictError(_conflict_text(table)) from exc
    for row in restored:
        if isinstance(row, TimeEntry):
            touched(db, row.start_time, row.end_time)
    return snapshot.kind, restored[0].id


async def _checked_refs(db: AsyncSession, user_id: int, entry: TimeEntry) -> TimeEntry:
    """An entry whose project or task was deleted meanwhile comes back without it."""
    if entry.project_id is not None and await db.get(Project, entry.project_id) is None:
        entry.project_id = None
        entry.task_id = None
    if entry.task_id is not None and await db.get(Task, entry.task_id) is None:
        entry.task_id = None
    return entry


def _conflict_text(table: str) -> str:
    if table == "projects":
        return "A project with that name exists again; rename it first, then undo"
    if table == "time_entries":
        return "A timer is running; stop it first, then undo"
    return "It can no longer be restored"
