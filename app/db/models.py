"""Every ORM model in one place, so Alembic sees one metadata.

All datetimes are DateTimeUTC: aware UTC on every dialect. The database itself
enforces the two invariants that matter most (CONTRACT section 2): at most one
running timer per user (a partial unique index), and that an entry's project and
task belong to the entry's user (composite foreign keys on (id, user_id)).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from advanced_alchemy.base import BigIntAuditBase, BigIntBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

DEFAULT_WORKING_DAYS = [1, 2, 3, 4, 5]
DEFAULT_BUDGET_ALERTS = [80, 100]  # percent of the budget (CONTRACT section 8, budget_threshold)


class User(BigIntAuditBase):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    standard_hours_per_day: Mapped[float] = mapped_column(Float, default=8.0)
    working_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: list(DEFAULT_WORKING_DAYS))
    streak_min_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    streak_skip_non_working: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # CONTRACT section 2: with this on, an entry that overlaps another is refused (409).
    refuse_overlaps: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Moved by every unit of work (app/db/uow.py); keys the user's cached figures.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Moved only by writes that change old days (app/db/rollups.py); keys the cached history summary.
    history_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Workspace preferences (CONTRACT section 7; app/domain/workspace/prefs.py): the colour
    # theme, and the user's remapping of the single-key shortcuts (None = the defaults).
    theme: Mapped[str] = mapped_column(String(5), default="auto", server_default="auto")
    shortcuts: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    __table_args__ = (
        CheckConstraint("standard_hours_per_day > 0 AND standard_hours_per_day <= 24", name="standard_hours"),
        CheckConstraint("theme IN ('auto', 'light', 'dark')", name="theme"),
    )


class UserSession(BigIntBase):
    """A browser session. The cookie carries a signed random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # The account page's session list (docs/setup.md, "Your account"): written at login and
    # then at most once a minute (app/domain/accounts/token_usage.py).
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)


class ApiToken(BigIntAuditBase):
    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class Project(BigIntAuditBase):
    __tablename__ = "projects"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    color: Mapped[str] = mapped_column(String(7))
    billable: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    client: Mapped[str | None] = mapped_column(String(200), default=None)
    # Budgets and forecasts (CONTRACT section 9, docs/planning.md).
    budget_hours: Mapped[float | None] = mapped_column(Float, default=None)
    budget_period: Mapped[str] = mapped_column(String(10), default="total", server_default="total")
    hourly_rate: Mapped[float | None] = mapped_column(Float, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    budget_alerts: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_BUDGET_ALERTS), server_default="[80, 100]"
    )

    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_projects_user_name"),
        UniqueConstraint("id", "user_id", name="uq_projects_id_user"),
        CheckConstraint("budget_hours IS NULL OR budget_hours > 0", name="budget_hours"),
        CheckConstraint("budget_period IN ('total', 'monthly')", name="budget_period"),
        CheckConstraint("hourly_rate IS NULL OR hourly_rate >= 0", name="hourly_rate"),
    )


class Task(BigIntAuditBase):
    __tablename__ = "tasks"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="todo")
    completed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    estimate_minutes: Mapped[int | None] = mapped_column(Integer, default=None)  # CONTRACT section 9
    due_date: Mapped[date | None] = mapped_column(Date, default=None)

    __table_args__ = (
        CheckConstraint("estimate_minutes IS NULL OR estimate_minutes > 0", name="estimate_minutes"),
        ForeignKeyConstraint(
            ["project_id", "user_id"],
            ["projects.id", "projects.user_id"],
            name="fk_tasks_project_user",
            ondelete="CASCADE",
        ),
        UniqueConstraint("id", "user_id", name="uq_tasks_id_user"),
        CheckConstraint("status IN ('todo', 'done')", name="status"),
        Index("ix_tasks_project", "project_id"),
    )


class TimeEntry(BigIntAuditBase):
    __tablename__ = "time_entries"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    task_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    start_time: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    end_time: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    billable: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "user_id"],
            ["projects.id", "projects.user_id"],
            name="fk_time_entries_project_user",
        ),
        ForeignKeyConstraint(
            ["task_id", "user_id"],
            ["tasks.id", "tasks.user_id"],
            name="fk_time_entries_task_user",
        ),
        CheckConstraint("end_time IS NULL OR end_time > start_time", name="end_after_start"),
        # Covers the stats window query (an index-only scan: no table row is read).
        # PostgreSQL also keeps the id in it (SQLite's indexes hold the rowid anyway): the
        # stats' window read is answered from the index alone (migration b5e7c9d1f3a2).
        Index(
            "ix_time_entries_user_start_cover", "user_id", "start_time", "end_time", "project_id", "billable",
            postgresql_include=["id"],
        ),
        Index("ix_time_entries_project", "project_id"),
        Index("ix_time_entries_task", "task_id"),
        # At most one running timer per user, enforced by the database.
        Index(
            "uq_time_entries_one_running",
            "user_id",
            unique=True,
            sqlite_where=text("end_time IS NULL"),
            postgresql_where=text("end_time IS NULL"),
        ),
    )


class DayTotal(BigIntBase):
    """Rollup: completed seconds per local day of a user, in the user's current zone.

    Derived data, maintained by the tracking service on every entry write and rebuilt
    when the user's zone changes. Only the streak over the whole history reads it.
    """

    __tablename__ = "day_totals"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    seconds: Mapped[float] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_day_totals_user_day"),)


class WeeklyTimeGoal(BigIntAuditBase):
    __tablename__ = "weekly_time_goals"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)
    target_hours: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("user_id", "week_start", name="uq_weekly_goals_user_week"),
        CheckConstraint("target_hours >= 0", name="target_hours"),
    )


class Goal(BigIntAuditBase):
    __tablename__ = "goals"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    metric: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16), default="at_least")
    project_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "user_id"],
            ["projects.id", "projects.user_id"],
            name="fk_goals_project_user",
            ondelete="CASCADE",
        ),
        CheckConstraint("metric IN ('hours', 'tasks_completed', 'deep_sessions', 'billable_percent')", name="metric"),
        CheckConstraint("period IN ('daily', 'weekly', 'monthly')", name="period"),
        CheckConstraint("direction IN ('at_least', 'at_most')", name="direction"),
    )


class GoalTarget(BigIntBase):
    """The target history of a goal: a target applies from the period starting at `effective_from` on."""

    __tablename__ = "goal_targets"

    goal_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("goals.id", ondelete="CASCADE"))
    effective_from: Mapped[date] = mapped_column(Date)
    target: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("goal_id", "effective_from", name="uq_goal_targets_goal_from"),
        CheckConstraint("target > 0", name="target"),
    )


class ImportJob(BigIntBase):
    """One import (docs/import-export.md, "Imports that share the database").

    A row in state `running` is the user's import lock (at most one per user, enforced by
    a partial unique index); `pid`, `host` and `heartbeat_at` tell a live owner from a dead
    one, so a crashed import is marked failed and its staging rows and temp file removed.
    `key` is the random id the import page polls.
    """

    __tablename__ = "import_jobs"

    key: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="running")  # running | done | failed
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    temp_path: Mapped[str | None] = mapped_column(String(1024), default=None)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[str | None] = mapped_column(Text, default=None)  # the ImportResult as JSON

    __table_args__ = (
        CheckConstraint("state IN ('running', 'done', 'failed')", name="state"),
        Index(
            "uq_import_jobs_one_running",
            "user_id",
            unique=True,
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
    )


class ImportStaging(BigIntBase):
    """Parsed rows of a running import, invisible to every reader until the import's final
    transaction copies them into time_entries at once. Times in UTC microseconds since the
    epoch; `project_key`/`task_key` index the job's names (see ImportStagingRef)."""

    __tablename__ = "import_staging"

    # No foreign key (bulk staging stays cheap); `owner` tells account deletion
    # (app/db/ownership.py) that these rows belong to the job's user.
    job_id: Mapped[int] = mapped_column(BigInteger, index=True, info={"owner": "import_jobs.id"})
    row: Mapped[int] = mapped_column(Integer)
    start_us: Mapped[int] = mapped_column(BigInteger)
    end_us: Mapped[int] = mapped_column(BigInteger)
    project_key: Mapped[int | None] = mapped_column(Integer, default=None)
    task_key: Mapped[int | None] = mapped_column(Integer, default=None)
    billable: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="[]")  # a JSON list, written as text


class ImportStagingRef(BigIntBase):
    """The project or task id a staged row's key stands for, written by the final transaction."""

    __tablename__ = "import_staging_refs"

    job_id: Mapped[int] = mapped_column(BigInteger, info={"owner": "import_jobs.id"})
    kind: Mapped[str] = mapped_column(String(1))  # p | t
    key: Mapped[int] = mapped_column(Integer)
    ref_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("job_id", "kind", "key", name="uq_import_staging_refs_job_kind_key"),)


# --- notifications ---


class Notification(BigIntBase):
    """One notice (CONTRACT section 8): one row per occurrence. `key` names the occurrence
    (for example `long_timer:<entry id>` or `daily_summary:2026-11-30`); the unique
    (user_id, key) lets any number of instances and polls derive it without a duplicate."""

    __tablename__ = "notifications"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    action_url: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_id_id", "user_id", "id"),
        # The bell's unread count (docs/notifications.md, "Cost of a poll").
        Index(
            "ix_notifications_unread",
            "user_id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
        Index("ix_notifications_created_at", "created_at"),  # the e-mail sweep's recent notices
    )


# --- automation rules ---


class Rule(BigIntAuditBase):
    """An automation rule (CONTRACT section 8, docs/rules.md): a trigger, conditions that
    must all hold and actions, run in `position` order inside the triggering write.
    `secret` keys the HMAC signature of its webhooks (shown once, at creation)."""

    __tablename__ = "rules"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    trigger: Mapped[str] = mapped_column(String(40))
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_rules_user_trigger", "user_id", "trigger"),)


class RuleRun(BigIntBase):
    """One run of a rule: what it acted on, the actions applied, ok or the error. `occurrence`
    names what the rule ran for (e.g. `timer:<entry id>`), unique per rule, so a
    `timer_running` rule acts once per timer however many instances notice it."""

    __tablename__ = "rule_runs"

    rule_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("rules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    trigger: Mapped[str] = mapped_column(String(40))
    occurrence: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    task_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        UniqueConstraint("rule_id", "occurrence", name="uq_rule_runs_rule_occurrence"),
        Index("ix_rule_runs_rule_id_id", "rule_id", "id"),
    )


# --- card layouts ---


class CardLayout(BigIntBase):
    """One page's card layout of one user (CONTRACT section 7; app/domain/accounts/layout.py):
    `cards` is the page's cards in display order, `[{"name", "visible"}]`. No row = the default."""

    __tablename__ = "card_layouts"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    page: Mapped[str] = mapped_column(String(20))
    cards: Mapped[list[dict[str, object]]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("user_id", "page", name="uq_card_layouts_user_page"),)


# --- notification settings ---


class NotificationPrefs(BigIntBase):
    """A user's notification settings and the derivation's bookkeeping (docs/notifications.md).

    `settings`: the switches and tunables of `GET/PATCH /api/me/notifications` (absent keys
    take their defaults). `state`: what the derivation remembers between runs (the budget
    windows' used seconds and crossing counts). `next_check_at` / `derived_version`: the
    earliest moment something time-based can become due, and the user's data version the
    last derivation saw — a poll derives only when one of them says so.
    """

    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    settings: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    next_check_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    derived_version: Mapped[int] = mapped_column(BigInteger, default=-1, server_default="-1")

    __table_args__ = (UniqueConstraint("user_id", name="uq_notification_prefs_user_id"),)


# --- undo ---


class UndoSnapshot(BigIntBase):
    """What a delete removed, kept for a short while so "Undo" can put it back exactly
    (app/domain/tracking/undo.py, docs/ui.md "Undo"). `payload` is the rows as JSON."""

    __tablename__ = "undo_snapshots"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # entry | project
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (Index("ix_undo_snapshots_user_created", "user_id", "created_at"),)


__all__ = [
    "ApiToken",
    "CardLayout",
    "DayTotal",
    "Goal",
    "GoalTarget",
    "ImportJob",
    "ImportStaging",
    "ImportStagingRef",
    "Notification",
    "NotificationPrefs",
    "Project",
    "Rule",
    "RuleRun",
    "Task",
    "TimeEntry",
    "UndoSnapshot",
    "User",
    "UserSession",
    "WeeklyTimeGoal",
]
