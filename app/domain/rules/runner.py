"""Running rules inside the write that triggered them (docs/rules.md, "Guarantees").

`on_before_commit` is registered with the unit of work (app/db/uow.py) at start-up: after
a write's own work, it takes the events the write emitted (`entry_saved`,
`task_completed`), runs the user's enabled rules for them in `position` order in the same
transaction, and logs every run. While a rule acts, the unit is marked `in_rule`, so a
rule's own changes emit no event and trigger no rule; and every rule's conditions are
checked against the event as it happened (before any rule acted), so no rule's change
makes another rule apply. An action that fails raises
`ActionFailed`: the whole write is rolled back and answers 422 naming the rule; the failed
run is recorded afterwards in a transaction of its own.

`timer_running` rules are in `timers.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Rule, Task, TimeEntry
from app.db.uow import Event, Work
from app.domain.rules import actions, runlog
from app.domain.rules.conditions import all_hold
from app.domain.rules.facts import entry_day, entry_day_hours, entry_facts, task_facts, uses_day_hours
from app.lib.errors import AppError

EVENT_TRIGGERS = ("entry_saved", "task_completed")


async def enabled_rules(db: AsyncSession, user_id: int, triggers: Sequence[str]) -> list[Rule]:
    return list(
        await db.scalars(
            select(Rule)
            .where(Rule.user_id == user_id, Rule.enabled.is_(True), Rule.trigger.in_(triggers))
            .order_by(Rule.position, Rule.id)
        )
    )


async def project_names(db: AsyncSession, user_id: int, rules: Sequence[Rule]) -> dict[int, str]:
    wanted = {int(a["project_id"]) for r in rules for a in r.actions if a["type"] == "set_project"}
    if not wanted:
        return {}
    rows = await db.execute(select(Project.id, Project.name).where(Project.user_id == user_id, Project.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows.all()}


def _distinct(events: Sequence[Event]) -> list[Event]:
    seen: set[tuple[str, Any]] = set()
    out: list[Event] = []
    for event in events:
        key = (event.kind, event.data.get("entry_id") or event.data.get("task_id"))
        if event.kind in EVENT_TRIGGERS and key not in seen:
            seen.add(key)
            out.append(event)
    return out


async def on_before_commit(work: Work) -> None:
    """The unit-of-work hook: run the rules of the events this write emitted."""
    if work.in_rule or not work.events:
        return
    events = _distinct(work.events)
    work.events.clear()
    if not events:
        return
    rules = await enabled_rules(work.db, work.user_id, [e.kind for e in events])
    if not rules:
        return
    names = await project_names(work.db, work.user_id, rules)
    entries = await _load(work.db, work.user_id, [e.data["entry_id"] for e in events if e.kind == "entry_saved"])
    for event in events:
        chosen = [r for r in rules if r.trigger == event.kind]
        if event.kind == "entry_saved":
            entry = entries.get(event.data["entry_id"])
            if entry is not None:
                await run_entry_rules(work, chosen, entry, names, trigger="entry_saved")
        elif event.kind == "task_completed":
            task = await work.db.get(Task, event.data["task_id"])
            if task is not None and task.user_id == work.user_id and task.status == "done":
                await run_task_rules(work, chosen, task)


async def _load(db: AsyncSession, user_id: int, entry_ids: Sequence[int]) -> dict[int, TimeEntry]:
    """The events' entries (the user's own), read in chunks: an import that asked for rules
    emits one event per imported entry."""
    found: dict[int, TimeEntry] = {}
    for i in range(0, len(entry_ids), 1000):
        chunk = entry_ids[i:i + 1000]
        for entry in await db.scalars(select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.id.in_(chunk))):
            found[entry.id] = entry
    return found


def occurrence_of(rule: Rule, trigger: str, entry: TimeEntry, work: Work) -> str:
    """What a run is for. timer_running: once per timer; a rule with a day_hours condition:
    once per local day; otherwise once per write of the entry."""
    if trigger == "timer_running":
        return f"timer:{entry.id}"
    if uses_day_hours(rule.conditions):
        day, _, _ = entry_day(entry, work.zone_name)
        return f"day:{day.isoformat()}"
    return f"entry:{entry.id}:{work.data_version}"


async def run_entry_rules(
    work: Work, rules: Sequence[Rule], entry: TimeEntry, names: dict[int, str], *, trigger: str
) -> None:
    """Run entry rules (entry_saved or timer_running) on one entry, in order.

    Every rule's conditions are checked against the entry as the write left it, before any
    rule acted: a rule's own changes make no other rule apply (docs/rules.md). The order
    decides in which order the actions are applied (a later set_project wins)."""
    if not rules:
        return
    day_hours = None
    if any(uses_day_hours(r.conditions) for r in rules):
        day_hours = await entry_day_hours(work.db, entry, work.zone_name, work.now)
    facts = entry_facts(entry, work.zone_name, work.now, day_hours=day_hours)
    occurrences = {r.id: occurrence_of(r, trigger, entry, work) for r in rules}
    done: set[int] = set()
    for occurrence in set(occurrences.values()):
        if not occurrence.startswith("entry:"):
            done |= await runlog.has_run(work.db, [r.id for r in rules if occurrences[r.id] == occurrence], occurrence)
    for rule in rules:
        if rule.id in done:
            continue
        if trigger == "timer_running" and entry.end_time is not None:
            break  # an earlier rule stopped the timer
        if not all_hold(rule.conditions, facts):
            continue
        steps = actions.plan_entry(
            rule.actions, rule.conditions, entry, names, work.zone_name, running=entry.end_time is None
        )
        if not steps and trigger == "entry_saved":
            continue  # nothing to change (the preview leaves it out too); a timer's run is kept as done
        occurrence = occurrences[rule.id]
        run_values = {
            "rule_id": rule.id, "user_id": work.user_id, "trigger": trigger, "occurrence": occurrence,
            "entry_id": entry.id, "task_id": None, "actions": [s.text for s in steps],
        }
        await _act(work, rule, run_values, lambda s=steps, r=rule, o=occurrence: actions.apply_to_entry(
            work, entry, s, f"rule:{r.id}:{o}", r.name))
        body = runlog.event_body(trigger, rule, work.now, [s.text for s in steps], entry=entry)
        await _log(work, rule, run_values, steps, body)


async def run_task_rules(work: Work, rules: Sequence[Rule], task: Task) -> None:
    if not rules:
        return
    facts = await task_facts(work.db, task, work.zone_name, work.now)
    end = work.now
    for rule in rules:
        if not all_hold(rule.conditions, facts):
            continue
        steps = actions.plan_task(rule.actions, task, end, work.zone_name)
        if not steps:
            continue
        occurrence = f"task:{task.id}:{work.data_version}"
        run_values = {
            "rule_id": rule.id, "user_id": work.user_id, "trigger": "task_completed", "occurrence": occurrence,
            "entry_id": None, "task_id": task.id, "actions": [s.text for s in steps],
        }
        await _act(work, rule, run_values, lambda s=steps, r=rule, o=occurrence: actions.apply_to_task(
            work, task, s, f"rule:{r.id}:{o}", r.name))
        body = runlog.event_body("task_completed", rule, work.now, [s.text for s in steps], task=task)
        await _log(work, rule, run_values, steps, body)


async def _act(work: Work, rule: Rule, run_values: dict[str, Any], do: Any) -> None:
    """Apply a rule's steps with the unit marked in_rule; a failure fails the whole write."""
    work.in_rule = True
    try:
        await do()
    except AppError as exc:
        message = exc.message if exc.field is None else exc.text
        runlog.failure_later(work, {**run_values, "ok": False, "error": message})
        raise actions.ActionFailed(f"rule “{rule.name}” failed: {message}") from exc
    finally:
        work.in_rule = False


async def _log(
    work: Work, rule: Rule, run_values: dict[str, Any], steps: Sequence[actions.Step], body: bytes
) -> None:
    run_id = await runlog.insert_run(work.db, {**run_values, "created_at": work.now, "ok": True, "error": None})
    if run_id is None:
        return
    for step in steps:
        if step.kind == "webhook":
            runlog.webhook_after_commit(work, rule, run_id, str(step.params["url"]), body)
