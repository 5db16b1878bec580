"""Actions: what a rule would do (`plan`, pure) and doing it (`apply`, inside the write).

The real run and the preview share `plan`: the preview lists the steps, the real run
applies the same steps and logs their descriptions, so "what the preview says" and "what
the run did" are one list (docs/rules.md, "Preview").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, TimeEntry
from app.db.uow import Work
from app.domain.notifications.store import add_notice
from app.domain.rules.validation import RuleError, threshold_hours
from app.domain.tracking.validation import clean_tags, iso_local
from app.lib.errors import AppError


@dataclass(frozen=True, slots=True)
class Step:
    """One change a rule makes; `text` is what the preview and the run log show."""

    kind: str
    params: Mapping[str, Any]
    text: str


def _hm(instant: datetime, zone_name: str) -> str:
    return iso_local(instant, zone_name)[:16].replace("T", " ")


def plan_entry(
    rule_actions: Sequence[Mapping[str, Any]],
    conditions: Sequence[Mapping[str, Any]],
    entry: TimeEntry,
    project_names: Mapping[int, str],
    zone_name: str,
    *,
    running: bool,
) -> list[Step]:
    """The steps a rule's actions make on an entry (changes that would change nothing are left out).

    `running`: the entry is (or, in the preview, is treated as) the running timer, which
    `stop_timer` ends at start + the rule's elapsed_hours."""
    steps: list[Step] = []
    project_id, tags, billable = entry.project_id, [t.casefold() for t in entry.tags or []], entry.billable
    for action in rule_actions:
        kind = action["type"]
        if kind == "set_project" and action["project_id"] != project_id:
            project_id = action["project_id"]
            name = project_names.get(project_id, f"#{project_id}")
            steps.append(Step(kind, {"project_id": project_id}, f"project → {name}"))
        elif kind == "add_tag" and action["tag"].casefold() not in tags:
            tags.append(action["tag"].casefold())
            steps.append(Step(kind, {"tag": action["tag"]}, f"tag + {action['tag']}"))
        elif kind == "set_billable" and action["value"] != billable:
            billable = action["value"]
            steps.append(Step(kind, {"value": billable}, f"billable → {'yes' if billable else 'no'}"))
        elif kind == "stop_timer" and running:
            hours = threshold_hours(conditions) or 0.0
            end = entry.start_time + timedelta(hours=hours)
            if entry.end_time is None or entry.end_time > end:
                steps.append(Step(kind, {"end_time": end}, f"stop at {_hm(end, zone_name)} ({hours:g} h)"))
        elif kind == "notify":
            steps.append(Step(kind, {"title": action["title"]}, f"notify: {action['title']}"))
        elif kind == "webhook":
            steps.append(Step(kind, {"url": action["url"]}, f"webhook: POST {action['url']}"))
    return steps


def plan_task(rule_actions: Sequence[Mapping[str, Any]], task: Task, end: datetime, zone_name: str) -> list[Step]:
    """The steps a task_completed rule makes; `log_time` ends at `end` (the completion)."""
    steps: list[Step] = []
    for action in rule_actions:
        kind = action["type"]
        if kind == "log_time":
            minutes = int(action["minutes"])
            start = end - timedelta(minutes=minutes)
            steps.append(
                Step(kind, {"start": start, "end": end},
                     f"log {minutes} min on {task.name} ({_hm(start, zone_name)}–{_hm(end, zone_name)[11:]})")
            )
        elif kind == "notify":
            steps.append(Step(kind, {"title": action["title"]}, f"notify: {action['title']}"))
        elif kind == "webhook":
            steps.append(Step(kind, {"url": action["url"]}, f"webhook: POST {action['url']}"))
    return steps


class ActionFailed(RuleError):
    """An action could not be done: the whole write is refused (422) and rolled back."""


async def _own_project(db: AsyncSession, user_id: int, project_id: int) -> Project:
    project = await db.scalar(select(Project).where(Project.id == project_id, Project.user_id == user_id))
    if project is None:
        raise ActionFailed("set_project: the project no longer exists")
    return project


async def apply_to_entry(work: Work, entry: TimeEntry, steps: Sequence[Step], notice_key: str, rule_name: str) -> None:
    """Do the steps on the entry inside the unit of work (the caller marks it `in_rule`)."""
    db = work.db
    for step in steps:
        if step.kind == "set_project":
            project = await _own_project(db, work.user_id, int(step.params["project_id"]))
            if entry.task_id is not None:
                task = await db.get(Task, entry.task_id)
                if task is None or task.project_id != project.id:
                    entry.task_id = None  # a task of the old project does not follow the entry
            entry.project_id = project.id
        elif step.kind == "add_tag":
            try:
                entry.tags = clean_tags([*(entry.tags or []), step.params["tag"]])
            except AppError as exc:
                raise ActionFailed(f"add_tag: {exc.text}") from exc
        elif step.kind == "set_billable":
            entry.billable = bool(step.params["value"])
        elif step.kind == "stop_timer":
            end: datetime = step.params["end_time"]
            done = await db.execute(
                update(TimeEntry)
                .where(TimeEntry.id == entry.id, TimeEntry.end_time.is_(None))
                .values(end_time=end)
                .returning(TimeEntry.id)
                .execution_options(synchronize_session=False)
            )
            if done.first() is None:
                raise ActionFailed("stop_timer: the timer is no longer running")
            entry.end_time = end
        elif step.kind == "notify":
            await add_notice(
                db, user_id=work.user_id, kind="rule", key=notice_key, title=str(step.params["title"]),
                now=work.now, body=f"Rule “{rule_name}”", action_url=f"/entries/{entry.id}",
            )
    await db.flush()
    work.touched(entry.start_time, entry.end_time)


async def apply_to_task(work: Work, task: Task, steps: Sequence[Step], notice_key: str, rule_name: str) -> list[int]:
    """Do a task_completed rule's steps; the ids of the entries it logged."""
    db = work.db
    created: list[int] = []
    for step in steps:
        if step.kind == "log_time":
            project = await db.get(Project, task.project_id)
            entry = TimeEntry(
                user_id=work.user_id, project_id=task.project_id, task_id=task.id,
                start_time=step.params["start"], end_time=step.params["end"],
                billable=bool(project and project.billable), notes="", outcome="", tags=[],
            )
            db.add(entry)
            await db.flush()
            work.touched(entry.start_time, entry.end_time)
            created.append(entry.id)
        elif step.kind == "notify":
            await add_notice(
                db, user_id=work.user_id, kind="rule", key=notice_key, title=str(step.params["title"]),
                now=work.now, body=f"Rule “{rule_name}”", action_url=f"/projects/{task.project_id}",
            )
    return created
