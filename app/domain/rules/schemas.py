"""Rules: the vocabulary (triggers, fields, operators, actions), the limits and the JSON
bodies of `/api/rules` (CONTRACT section 8, docs/rules.md).

Bodies are decoded loosely (strings, numbers) and checked by `app.domain.rules.validation`,
which answers 422 with a message naming the field (`conditions[1].op: ...`); only the
sizes are bounded at decode time (CONTRACT section 6).
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from msgspec import UNSET, Meta, UnsetType

from app.lib.bounds import Id

TRIGGERS: Final[tuple[str, ...]] = ("entry_saved", "timer_running", "task_completed")
FIELDS: Final[tuple[str, ...]] = (
    "notes",
    "project_id",
    "tags",
    "duration_minutes",
    "weekday",
    "start_hour",
    "billable",
    "elapsed_hours",
    "day_hours",
)
OPS: Final[tuple[str, ...]] = ("contains", "equals", "not_equals", "gte", "lte", "in")
ACTIONS: Final[tuple[str, ...]] = (
    "set_project",
    "add_tag",
    "set_billable",
    "stop_timer",
    "notify",
    "log_time",
    "webhook",
)
# Which actions make sense for which trigger (validation refuses the others).
ACTIONS_BY_TRIGGER: Final[dict[str, tuple[str, ...]]] = {
    "entry_saved": ("set_project", "add_tag", "set_billable", "notify", "webhook"),
    "timer_running": ("set_project", "add_tag", "set_billable", "stop_timer", "notify", "webhook"),
    "task_completed": ("log_time", "notify", "webhook"),
}
# Fields each trigger knows (docs/rules.md, "Conditions").
FIELDS_BY_TRIGGER: Final[dict[str, tuple[str, ...]]] = {
    "entry_saved": (
        "notes", "project_id", "tags", "duration_minutes", "weekday", "start_hour", "billable", "day_hours",
    ),
    "timer_running": (
        "notes", "project_id", "tags", "duration_minutes", "weekday", "start_hour", "billable", "elapsed_hours",
        "day_hours",
    ),
    "task_completed": ("notes", "project_id", "duration_minutes", "weekday", "start_hour"),
}
NUMBER_FIELDS: Final = frozenset({"project_id", "duration_minutes", "weekday", "start_hour", "elapsed_hours",
                                  "day_hours"})

MAX_RULES: Final = 25
MAX_CONDITIONS: Final = 5
MAX_ACTIONS: Final = 5
MAX_IN_VALUES: Final = 50
MAX_TEXT: Final = 200
MAX_LOG_MINUTES: Final = 24 * 60
MAX_ELAPSED_HOURS: Final = 7 * 24

_Short = Annotated[str, Meta(max_length=MAX_TEXT)]
_Item = int | float | _Short
Value = bool | int | float | _Short | Annotated[list[_Item], Meta(max_length=MAX_IN_VALUES)] | None
_Url = Annotated[str, Meta(max_length=2000)]


class Condition(msgspec.Struct, forbid_unknown_fields=True):
    """`{field, op, value}`: all of a rule's conditions must hold."""

    field: _Short
    op: _Short
    value: Value = None


class Action(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """`{type, ...}` (or `{action, ...}`) with the parameter its type needs: set_project {project_id}, add_tag {tag},
    set_billable {value}, stop_timer, notify {title}, log_time {minutes}, webhook {url}."""

    type: _Short | None = None
    # Accepted for `type` too ({"action": "add_tag", "tag": "x"}); answers always say `type`.
    action: _Short | None = None
    project_id: Id | None = None
    tag: _Short | None = None
    value: bool | None = None
    title: _Short | None = None
    minutes: int | None = None
    url: _Url | None = None


Conditions = Annotated[list[Condition], Meta(max_length=50)]
Actions = Annotated[list[Action], Meta(max_length=50)]
Name = Annotated[str, Meta(max_length=MAX_TEXT)]


class RuleCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    trigger: _Short
    conditions: Conditions = msgspec.field(default_factory=list)
    actions: Actions = msgspec.field(default_factory=list)
    enabled: bool = True
    position: Annotated[int, Meta(ge=0, le=1000)] | None = None


class RuleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    trigger: _Short | UnsetType = UNSET
    conditions: Conditions | UnsetType = UNSET
    actions: Actions | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    position: Annotated[int, Meta(ge=0, le=1000)] | UnsetType = UNSET


class RuleOut(msgspec.Struct):
    id: int
    name: str
    enabled: bool
    position: int
    trigger: str
    conditions: list[Condition]
    actions: list[Action]
    created_at: str
    # Only in the answer to the creation (shown once); null afterwards.
    secret: str | None = None


class RunOut(msgspec.Struct):
    id: int
    rule_id: int
    time: str
    trigger: str
    entry_id: int | None
    task_id: int | None
    actions: list[str]
    ok: bool
    error: str | None


class RunPage(msgspec.Struct):
    items: list[RunOut]


class PreviewItem(msgspec.Struct):
    """One thing the rule would have done: on which entry or task, at what time, which changes."""

    time: str
    entry_id: int | None
    task_id: int | None
    label: str
    changes: list[str]


class PreviewOut(msgspec.Struct):
    rule_id: int
    since: str
    until: str
    items: list[PreviewItem]


__all__ = [
    "ACTIONS",
    "ACTIONS_BY_TRIGGER",
    "FIELDS",
    "FIELDS_BY_TRIGGER",
    "MAX_ACTIONS",
    "MAX_CONDITIONS",
    "MAX_RULES",
    "OPS",
    "TRIGGERS",
    "Action",
    "Condition",
    "PreviewItem",
    "PreviewOut",
    "RuleCreate",
    "RuleOut",
    "RuleUpdate",
    "RunOut",
    "RunPage",
]
