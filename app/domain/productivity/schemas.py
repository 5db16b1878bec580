"""Inputs and outputs of the productivity computation (CONTRACT.md section 4).

Inputs are plain immutable data loaded by `queries.py`; outputs are the msgspec
Structs encoded by the JSON API and rendered by the HTML fragments.
"""

from __future__ import annotations

from datetime import date

import msgspec

from app.domain.goals.schemas import GoalProgress

# ---------------------------------------------------------------- inputs (the entry read model is tracking's EntryRow)


class ProjectInfo(msgspec.Struct, frozen=True, gc=False):
    id: int
    name: str
    color: str


# ---------------------------------------------------------------- outputs


class TopProject(msgspec.Struct, frozen=True):
    project_id: int
    name: str
    hours: float


class ActiveTimer(msgspec.Struct, frozen=True):
    id: int
    project_id: int | None
    project_name: str | None
    task_id: int | None
    task_name: str | None
    start_time: str  # RFC 3339 in the user's offset
    elapsed_seconds: int
    notes: str
    billable: bool


class Summary(msgspec.Struct, frozen=True):
    today_hours: float
    today_goal_hours: float
    week_hours: float
    week_goal_hours: float
    week_goal_percent: int
    billable_percent_week: int
    top_project_week: TopProject | None
    active_timer: ActiveTimer | None
    today_live_hours: float
    week_live_hours: float


class DailyItem(msgspec.Struct, frozen=True):
    date: date
    hours: float
    billable_hours: float
    entry_count: int
    goal_hours: float


class Streak(msgspec.Struct, frozen=True):
    current_streak: int
    longest_streak: int
    tracked_days_this_month: int
    total_days_this_month: int


class Focus(msgspec.Struct, frozen=True):
    avg_session_length_minutes: float
    longest_session_hours: float
    entries_per_day: float
    most_productive_hour: int | None
    most_productive_day: str | None
    hour_distribution: list[float]


class ProjectItem(msgspec.Struct, frozen=True):
    project_id: int | None
    kind: str  # "project" | "none" | "other"
    name: str
    color: str
    hours: float
    billable_hours: float
    entry_count: int
    percent: int


class HeatmapCell(msgspec.Struct, frozen=True):
    date: date
    hours: float
    level: int


class Insight(msgspec.Struct, frozen=True):
    kind: str
    text: str
    value: int


class StatsPayload(msgspec.Struct, frozen=True):
    ok: bool
    period: int
    summary: Summary
    daily_breakdown: list[DailyItem]
    streak: Streak
    focus: Focus
    projects: list[ProjectItem]
    heatmap: list[HeatmapCell]
    insights: list[Insight]
    goals: list[GoalProgress] = []
