"""The /rules page's forms: fixed rows of selects and inputs (never raw JSON), turned into
the same Condition/Action bodies the JSON API takes; the templates for common rules; a
one-line description of a rule (docs/rules.md, "The /rules page")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.db.models import Project, Rule
from app.domain.rules.schemas import MAX_ACTIONS, MAX_CONDITIONS, NUMBER_FIELDS, Action, Condition
from app.domain.rules.validation import RuleError

ROWS_C = MAX_CONDITIONS
ROWS_A = MAX_ACTIONS

TRIGGER_LABELS = {
    "entry_saved": "An entry is saved",
    "timer_running": "The timer is running",
    "task_completed": "A task is completed",
}
FIELD_LABELS = {
    "notes": "Notes", "project_id": "Project", "tags": "Tags", "duration_minutes": "Duration (minutes)",
    "weekday": "Weekday (1 = Mon … 7 = Sun)", "start_hour": "Start hour (0–23)", "billable": "Billable (yes/no)",
    "elapsed_hours": "Elapsed hours (timer)", "day_hours": "Hours tracked that day",
}
OP_LABELS = {
    "contains": "contains", "equals": "is", "not_equals": "is not", "gte": "≥", "lte": "≤", "in": "is one of",
}
ACTION_LABELS = {
    "set_project": "Set project", "add_tag": "Add tag", "set_billable": "Set billable (yes/no)",
    "stop_timer": "Stop the timer at start + elapsed hours", "notify": "Notify (title)",
    "log_time": "Log minutes on the task", "webhook": "Webhook (URL)",
}
_YES = {"yes", "true", "1", "on", "y"}
_NO = {"no", "false", "0", "off", "n"}


def _project_id(raw: str, projects: Sequence[Project], field: str) -> int | None:
    raw = raw.strip()
    if not raw or raw.lower() in {"none", "no project"}:
        return None
    if raw.isdigit():
        return int(raw)
    for p in projects:
        if p.name.casefold() == raw.casefold():
            return int(p.id)
    raise RuleError(f"no project named “{raw}”", field=field)


def _value(field: str, raw: str, projects: Sequence[Project], where: str) -> Any:
    raw = raw.strip()
    if field == "project_id":
        return _project_id(raw, projects, where)
    if field == "billable":
        low = raw.lower()
        return True if low in _YES else False if low in _NO else raw
    if field in NUMBER_FIELDS:
        try:
            number = float(raw)
        except ValueError:
            raise RuleError("must be a number", field=where) from None
        return int(number) if number.is_integer() else number
    return raw


def parse_conditions(form: Mapping[str, str], projects: Sequence[Project]) -> list[Condition]:
    out: list[Condition] = []
    for i in range(ROWS_C):
        field = form.get(f"cond_field_{i}", "").strip()
        if not field:
            continue
        op = form.get(f"cond_op_{i}", "").strip()
        raw = form.get(f"cond_value_{i}", "")
        where = f"conditions[{len(out)}].value"
        value: Any
        if op == "in":
            value = [_value(field, part, projects, where) for part in raw.split(",") if part.strip()]
        else:
            value = _value(field, raw, projects, where)
        out.append(Condition(field=field, op=op, value=value))
    return out


def parse_actions(form: Mapping[str, str], projects: Sequence[Project]) -> list[Action]:
    out: list[Action] = []
    for i in range(ROWS_A):
        kind = form.get(f"act_type_{i}", "").strip()
        if not kind:
            continue
        raw = form.get(f"act_value_{i}", "").strip()
        where = f"actions[{len(out)}]"
        if kind == "set_project":
            pid = _project_id(form.get(f"act_project_{i}", "") or raw, projects, f"{where}.project_id")
            out.append(Action(type=kind, project_id=pid))
        elif kind == "add_tag":
            out.append(Action(type=kind, tag=raw))
        elif kind == "set_billable":
            out.append(Action(type=kind, value=True if raw.lower() in _YES else False if raw.lower() in _NO else None))
        elif kind == "notify":
            out.append(Action(type=kind, title=raw))
        elif kind == "webhook":
            out.append(Action(type=kind, url=raw))
        elif kind == "log_time":
            try:
                out.append(Action(type=kind, minutes=int(raw)))
            except ValueError:
                raise RuleError("must be a whole number of minutes", field=f"{where}.minutes") from None
        else:
            out.append(Action(type=kind))
    return out


def _show(value: Any, field: str, names: Mapping[int, str]) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v, field, names) for v in value)
    if field == "project_id":
        return "no project" if value is None else names.get(int(value), str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def form_of(rule: Rule, names: Mapping[int, str]) -> dict[str, Any]:
    """The edit form's values for a stored rule."""
    form: dict[str, Any] = {"name": rule.name, "trigger": rule.trigger, "enabled": rule.enabled,
                            "position": rule.position}
    for i, c in enumerate(rule.conditions):
        form |= {f"cond_field_{i}": c["field"], f"cond_op_{i}": c["op"],
                 f"cond_value_{i}": _show(c["value"], c["field"], names)}
    for i, a in enumerate(rule.actions):
        form[f"act_type_{i}"] = a["type"]
        if a["type"] == "set_project":
            form[f"act_project_{i}"] = str(a["project_id"])
        else:
            value = a.get("tag") or a.get("title") or a.get("url") or a.get("minutes") or a.get("value")
            form[f"act_value_{i}"] = _show(value, "", names) if value is not None else ""
    return form


def _quoted(text: str, quote: bool) -> str:
    return f"“{text}”" if quote else text


def describe(rule: Rule, names: Mapping[int, str]) -> str:
    """“When an entry is saved and notes contains “standup”: set project Meetings; add tag mtg”."""
    when = TRIGGER_LABELS[rule.trigger].lower()
    conds = [f"{FIELD_LABELS[c['field']].split(' (')[0].lower()} {OP_LABELS[c['op']]} "
             f"{_quoted(_show(c['value'], c['field'], names), c['field'] in ('notes', 'tags'))}"
             for c in rule.conditions]
    acts = []
    for a in rule.actions:
        label = ACTION_LABELS[a["type"]].split(" (")[0].lower()
        if a["type"] == "set_project":
            acts.append(f"{label} {names.get(int(a['project_id']), a['project_id'])}")
        elif a["type"] == "stop_timer":
            acts.append("stop the timer")
        else:
            value = a.get("tag") or a.get("title") or a.get("url") or a.get("minutes")
            if a["type"] == "set_billable":
                value = "yes" if a.get("value") else "no"
            acts.append(f"{label} {_quoted(str(value), a['type'] in ('add_tag', 'notify'))}")
    head = f"When {when}" + (f" and {' and '.join(conds)}" if conds else "")
    return f"{head}: {'; '.join(acts)}"


def friendly(message: str) -> str:
    """`conditions[1].value: must be …` → `Condition 2 (value): must be …`."""
    return re.sub(
        r"^(conditions|actions)\[(\d+)\]\.?(\w*)",
        lambda m: f"{'Condition' if m[1] == 'conditions' else 'Action'} {int(m[2]) + 1}"
        + (f" ({m[3]})" if m[3] else ""),
        message,
    )


# ---------------------------------------------------------------- templates


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    label: str
    kind: str  # number | text | project
    default: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    title: str
    params: tuple[Param, ...]


TEMPLATES: tuple[Template, ...] = (
    Template("auto_stop", "Stop the timer after N hours", (Param("hours", "Hours", "number", "8"),)),
    Template("file_keyword", "File entries by keyword",
             (Param("keyword", "Notes contain", "text"), Param("project", "Project", "project"))),
    Template("tag_project", "Tag every entry of a project",
             (Param("project", "Project", "project"), Param("tag", "Tag", "text"))),
    Template("day_hours", "Notify when a day passes N hours", (Param("hours", "Hours", "number", "8"),)),
    Template("log_task", "Log N minutes when a task is done", (Param("minutes", "Minutes", "number", "15"),)),
)


def _param(form: Mapping[str, str], key: str, name: str) -> str:
    return form.get(f"{key}_{name}", "").strip()


def _positive(raw: str, field: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise RuleError("must be a number", field=field) from None
    if value <= 0:
        raise RuleError("must be greater than 0", field=field)
    return int(value) if value.is_integer() else value


def from_template(key: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The create arguments of a template, from its small form (`<key>_<param>` fields)."""
    if key == "auto_stop":
        hours = _positive(_param(form, key, "hours"), "hours")
        return {"name": f"Stop the timer after {hours:g} h", "trigger": "timer_running",
                "conditions": [Condition("elapsed_hours", "gte", hours)],
                "actions": [Action(type="stop_timer"), Action(type="notify", title=f"Timer stopped after {hours:g} h")]}
    if key == "file_keyword":
        keyword = _param(form, key, "keyword")
        if not keyword:
            raise RuleError("must not be empty", field="keyword")
        project = _param(form, key, "project")
        if not project.isdigit():
            raise RuleError("pick a project", field="project")
        return {"name": f"File “{keyword}”", "trigger": "entry_saved",
                "conditions": [Condition("notes", "contains", keyword)],
                "actions": [Action(type="set_project", project_id=int(project))]}
    if key == "tag_project":
        project, tag = _param(form, key, "project"), _param(form, key, "tag")
        if not project.isdigit():
            raise RuleError("pick a project", field="project")
        return {"name": f"Tag “{tag}”", "trigger": "entry_saved",
                "conditions": [Condition("project_id", "equals", int(project))],
                "actions": [Action(type="add_tag", tag=tag)]}
    if key == "day_hours":
        hours = _positive(_param(form, key, "hours"), "hours")
        return {"name": f"Day over {hours:g} h", "trigger": "entry_saved",
                "conditions": [Condition("day_hours", "gte", hours)],
                "actions": [Action(type="notify", title=f"You tracked {hours:g} h today")]}
    if key == "log_task":
        minutes = _positive(_param(form, key, "minutes"), "minutes")
        return {"name": f"Log {minutes:g} min per done task", "trigger": "task_completed", "conditions": [],
                "actions": [Action(type="log_time", minutes=int(minutes))]}
    raise RuleError("no such template", field="template")
