"""Preview: what a rule would have changed over the last 30 days, changing nothing.

It reads the last 30 days and runs the same condition check (`conditions.all_hold`) on
the same facts (`facts.py`) and the same planning of steps (`actions.plan_entry`,
`actions.plan_task`) as a real run; it only never applies the steps. Each entry is taken
as it is now:

- `entry_saved`: every entry starting in the window, as if saved again;
- `timer_running`: every entry starting in the window, as if it were running at its end
  (`stop_timer` would have ended those longer than the rule's elapsed_hours);
- `task_completed`: every task completed in the window, `log_time` ending at completion.

A rule with a `day_hours` condition counts, for each entry, the day's hours of the
entries that ended by that entry's end, and acts once per local day, like the real run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Rule, Task, TimeEntry
from app.domain.rules import actions
from app.domain.rules.conditions import all_hold
from app.domain.rules.facts import entry_day, entry_facts, task_facts, uses_day_hours
from app.domain.rules.runner import project_names
from app.domain.rules.schemas import PreviewItem, PreviewOut
from app.domain.tracking.validation import iso_local
from app.lib.time import get_zone_or_utc, split_by_day

WINDOW_DAYS = 30
MAX_ITEMS = 500


def _label(entry: TimeEntry, zone_name: str) -> str:
    start = iso_local(entry.start_time, zone_name)[:16].replace("T", " ")
    end = iso_local(entry.end_time, zone_name)[11:16] if entry.end_time else "running"
    notes = f" · {entry.notes[:60]}" if entry.notes else ""
    return f"{start}–{end}{notes}"


async def preview(db: AsyncSession, rule: Rule, zone_name: str, now: datetime) -> PreviewOut:
    since = now - timedelta(days=WINDOW_DAYS)
    items: list[PreviewItem] = []
    if rule.trigger == "task_completed":
        tasks = await db.scalars(
            select(Task)
            .where(Task.user_id == rule.user_id, Task.status == "done", Task.completed_at >= since)
            .order_by(Task.completed_at, Task.id)
        )
        for task in tasks:
            facts = await task_facts(db, task, zone_name, now)
            if not all_hold(rule.conditions, facts):
                continue
            steps = actions.plan_task(rule.actions, task, task.completed_at or now, zone_name)
            if steps:
                items.append(PreviewItem(
                    time=iso_local(task.completed_at or now, zone_name), entry_id=None, task_id=task.id,
                    label=f"Task {task.name}", changes=[s.text for s in steps],
                ))
    else:
        items = await _entry_items(db, rule, zone_name, now, since)
    return PreviewOut(
        rule_id=rule.id, since=iso_local(since, zone_name), until=iso_local(now, zone_name), items=items[:MAX_ITEMS]
    )


async def _entry_items(
    db: AsyncSession, rule: Rule, zone_name: str, now: datetime, since: datetime
) -> list[PreviewItem]:
    # One day of slack before the window, so an entry's day_hours sees the whole local day.
    rows = list(
        await db.scalars(
            select(TimeEntry)
            .where(TimeEntry.user_id == rule.user_id, TimeEntry.start_time >= since - timedelta(days=1))
            .order_by(TimeEntry.start_time, TimeEntry.id)
        )
    )
    names = await project_names(db, rule.user_id, [rule])
    per_day = uses_day_hours(rule.conditions)
    days_done: set[str] = set()
    items: list[PreviewItem] = []
    ordered = sorted(rows, key=lambda e: (e.end_time or now, e.id)) if per_day else rows
    zone = get_zone_or_utc(zone_name)
    running: dict[date, float] = defaultdict(float)  # seconds per local day of the entries ended so far
    for entry in ordered:
        if per_day and (entry.end_time or now) > entry.start_time:
            for day_of, seconds in split_by_day(entry.start_time, entry.end_time or now, zone):
                running[day_of] += seconds
        if entry.start_time < since:
            continue
        day_hours = None
        day_key = ""
        if per_day:
            day, _, _ = entry_day(entry, zone_name)
            day_key = day.isoformat()
            if day_key in days_done:
                continue
            day_hours = running[day] / 3600
        facts = entry_facts(entry, zone_name, now, day_hours=day_hours)
        if rule.trigger == "timer_running":
            # As if running: the conditions see the elapsed time the timer reached.
            facts["elapsed_hours"] = facts["duration_minutes"] / 60
        if not all_hold(rule.conditions, facts):
            continue
        steps = actions.plan_entry(
            rule.actions, rule.conditions, entry, names, zone_name, running=rule.trigger == "timer_running"
        )
        if not steps:
            continue
        if per_day:
            days_done.add(day_key)
        items.append(PreviewItem(
            time=iso_local(entry.start_time, zone_name), entry_id=entry.id, task_id=None,
            label=_label(entry, zone_name), changes=[s.text for s in steps],
        ))
    if per_day:
        items.sort(key=lambda i: (i.time, i.entry_id or 0))
    return items
