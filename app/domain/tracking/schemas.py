"""JSON payloads of the tracking API (CONTRACT section 3)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.db.models import DEFAULT_BUDGET_ALERTS
from app.lib.bounds import Body, Id, Stamp, Tags

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class ProjectCreate(Body):
    name: str
    color: str | None = None
    billable: bool = False
    archived: bool = False
    # Budgets (CONTRACT section 9): loosely typed here, checked by tracking.plan_fields so
    # every violation is a message naming the field.
    budget_hours: float | None = None
    budget_period: str = "total"
    hourly_rate: float | None = None
    due_date: str | None = None
    budget_alerts: list[int] = msgspec.field(default_factory=lambda: list(DEFAULT_BUDGET_ALERTS))


class ProjectUpdate(Body):
    name: str | Unset = UNSET
    color: str | Unset = UNSET
    billable: bool | Unset = UNSET
    archived: bool | Unset = UNSET
    budget_hours: float | None | Unset = UNSET  # null clears the budget
    budget_period: str | Unset = UNSET
    hourly_rate: float | None | Unset = UNSET
    due_date: str | None | Unset = UNSET
    budget_alerts: list[int] | Unset = UNSET


class ProjectOut(msgspec.Struct):
    id: int
    name: str
    color: str
    billable: bool
    archived: bool
    client: str | None
    budget_hours: float | None
    budget_period: str
    hourly_rate: float | None
    due_date: str | None
    budget_alerts: list[int]
    entry_count: int | None = None


class TaskCreate(Body):
    project_id: Id
    name: str
    estimate_minutes: int | None = None  # CONTRACT section 9
    due_date: str | None = None


class TaskUpdate(Body):
    status: str | Unset = UNSET
    name: str | Unset = UNSET
    estimate_minutes: int | None | Unset = UNSET  # null clears it
    due_date: str | None | Unset = UNSET


class TaskOut(msgspec.Struct):
    id: int
    project_id: Id
    name: str
    status: str
    completed_at: str | None
    estimate_minutes: int | None
    due_date: str | None


class EntryCreate(Body):
    start_time: Stamp
    end_time: Stamp
    project_id: Id | None = None
    task_id: Id | None = None
    billable: bool | None = None
    notes: str = ""
    outcome: str = ""
    tags: Tags = []


class EntryUpdate(Body):
    start_time: Stamp | Unset = UNSET
    end_time: Stamp | None | Unset = UNSET  # null is refused with a clear message by the service
    project_id: Id | None | Unset = UNSET
    task_id: Id | None | Unset = UNSET
    billable: bool | Unset = UNSET
    notes: str | Unset = UNSET
    outcome: str | Unset = UNSET
    tags: Tags | Unset = UNSET


class EntryOut(msgspec.Struct):
    id: int
    project_id: int | None
    project_name: str | None
    task_id: int | None
    start_time: str
    end_time: str | None
    duration_seconds: int | None
    billable: bool
    notes: str
    outcome: str
    tags: list[str]


class EntryWarning(msgspec.Struct, frozen=True, omit_defaults=True):
    """CONTRACT section 2: `{kind: "overlap", entry_id}` or `{kind: "long"}` (over 12 hours)."""

    kind: str
    entry_id: int | None = None


class EntrySaved(EntryOut, omit_defaults=True):
    """The answer to a create or an edit: the entry, plus `warnings` when there are any."""

    warnings: list[EntryWarning] = msgspec.field(default_factory=list)


class EntryPage(msgspec.Struct):
    items: list[EntryOut]
    next_cursor: str | None


class TimerStart(Body):
    project_id: Id | None = None
    task_id: Id | None = None
    notes: str = ""
    billable: bool | None = None
    # "I started earlier": a past start, at most 7 days ago (CONTRACT section 3, addition).
    start_time: Stamp | None = None


class TimerStop(Body):
    end_time: Stamp | None = None


class TimerOut(msgspec.Struct):
    id: int
    project_id: int | None
    project_name: str | None
    task_id: int | None
    task_name: str | None
    start_time: str
    elapsed_seconds: int
    notes: str
    billable: bool


class TimerState(msgspec.Struct):
    active_timer: TimerOut | None


# ---------------------------------------------------------------- the entry read model


class EntryRow(msgspec.Struct, frozen=True, gc=False):
    """One time entry as the computation needs it. `end` None = the running timer."""

    id: int
    project_id: int | None
    start: datetime  # aware, UTC
    end: datetime | None  # aware, UTC
    billable: bool
    has_outcome: bool = False
