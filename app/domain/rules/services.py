"""Rules: create, change, delete, list, the run log (docs/rules.md). Writes are units of work."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Rule, RuleRun
from app.db.uow import unit_of_work
from app.domain.rules.schemas import MAX_RULES, Action, Condition, RuleOut, RunOut
from app.domain.rules.validation import RuleError, clean_definition, clean_name, clean_trigger
from app.domain.tracking.validation import iso_local
from app.lib.errors import NotFoundError


def rule_out(rule: Rule, zone_name: str, *, with_secret: bool = False) -> RuleOut:
    return RuleOut(
        id=rule.id,
        name=rule.name,
        enabled=rule.enabled,
        position=rule.position,
        trigger=rule.trigger,
        conditions=[Condition(field=c["field"], op=c["op"], value=c["value"]) for c in rule.conditions],
        actions=[Action(**a) for a in rule.actions],
        created_at=iso_local(rule.created_at, zone_name),
        secret=rule.secret if with_secret else None,
    )


def run_out(run: RuleRun, zone_name: str) -> RunOut:
    return RunOut(
        id=run.id, rule_id=run.rule_id, time=iso_local(run.created_at, zone_name), trigger=run.trigger,
        entry_id=run.entry_id, task_id=run.task_id, actions=list(run.actions), ok=run.ok, error=run.error,
    )


async def list_rules(db: AsyncSession, user_id: int) -> list[Rule]:
    return list(await db.scalars(select(Rule).where(Rule.user_id == user_id).order_by(Rule.position, Rule.id)))


async def get_rule(db: AsyncSession, user_id: int, rule_id: int) -> Rule:
    rule = await db.scalar(select(Rule).where(Rule.id == rule_id, Rule.user_id == user_id))
    if rule is None:
        raise NotFoundError("rule")
    return rule


async def _check_projects(db: AsyncSession, user_id: int, actions: Sequence[dict[str, Any]]) -> None:
    for index, action in enumerate(actions):
        if action["type"] == "set_project":
            found = await db.scalar(
                select(Project.id).where(Project.id == action["project_id"], Project.user_id == user_id)
            )
            if found is None:
                raise RuleError("no such project", field=f"actions[{index}].project_id")


@unit_of_work()
async def create_rule(
    db: AsyncSession, user_id: int, *, name: str, trigger: str, conditions: Sequence[Condition],
    actions: Sequence[Action], enabled: bool = True, position: int | None = None,
    webhook_hosts: Sequence[str] = (),
) -> Rule:
    """A new rule (at most MAX_RULES per user), appended after the others unless `position` says."""
    clean = clean_name(name)
    trig = clean_trigger(trigger)
    conds, acts = clean_definition(trig, conditions, actions, webhook_hosts)
    count = int(await db.scalar(select(func.count()).select_from(Rule).where(Rule.user_id == user_id)) or 0)
    if count >= MAX_RULES:
        raise RuleError(f"at most {MAX_RULES} rules per user", field="rules")
    await _check_projects(db, user_id, acts)
    if position is None:
        last = await db.scalar(select(func.max(Rule.position)).where(Rule.user_id == user_id))
        position = 0 if last is None else int(last) + 1
    rule = Rule(
        user_id=user_id, name=clean, enabled=enabled, position=position, trigger=trig,
        conditions=conds, actions=acts, secret=secrets.token_hex(32),
    )
    db.add(rule)
    await db.flush()
    return rule


@unit_of_work()
async def update_rule(
    db: AsyncSession, user_id: int, rule_id: int, changes: dict[str, Any], *, webhook_hosts: Sequence[str] = ()
) -> Rule:
    """Change a rule; the merged definition is checked whole (a new trigger must suit the conditions)."""
    rule = await get_rule(db, user_id, rule_id)
    if "name" in changes:
        rule.name = clean_name(changes["name"])
    if "enabled" in changes:
        rule.enabled = bool(changes["enabled"])
    if "position" in changes:
        rule.position = int(changes["position"])
    if {"trigger", "conditions", "actions"} & changes.keys():
        trigger = clean_trigger(changes.get("trigger", rule.trigger))
        conditions = changes.get("conditions")
        if conditions is None:
            conditions = [Condition(field=c["field"], op=c["op"], value=c["value"]) for c in rule.conditions]
        actions = changes.get("actions")
        if actions is None:
            actions = [Action(**a) for a in rule.actions]
        conds, acts = clean_definition(trigger, conditions, actions, webhook_hosts)
        await _check_projects(db, user_id, acts)
        rule.trigger, rule.conditions, rule.actions = trigger, conds, acts
    await db.flush()
    return rule


@unit_of_work()
async def delete_rule(db: AsyncSession, user_id: int, rule_id: int) -> None:
    rule = await get_rule(db, user_id, rule_id)
    await db.delete(rule)
    await db.flush()


async def list_runs(db: AsyncSession, user_id: int, rule_id: int, limit: int = 100) -> list[RuleRun]:
    """The rule's runs, newest first."""
    await get_rule(db, user_id, rule_id)
    return list(
        await db.scalars(
            select(RuleRun)
            .where(RuleRun.rule_id == rule_id, RuleRun.user_id == user_id)
            .order_by(RuleRun.id.desc())
            .limit(limit)
        )
    )


@unit_of_work()
async def rotate_secret(db: AsyncSession, user_id: int, rule_id: int) -> Rule:
    """A new webhook secret (shown once, on the page that made it)."""
    rule = await get_rule(db, user_id, rule_id)
    rule.secret = secrets.token_hex(32)
    await db.flush()
    return rule


@unit_of_work()
async def move_rule(db: AsyncSession, user_id: int, rule_id: int, step: int) -> None:
    """Move a rule one place up (step -1) or down (+1) in the run order; positions become 0..n-1."""
    rules = await list_rules(db, user_id)
    index = next((i for i, r in enumerate(rules) if r.id == rule_id), None)
    if index is None:
        raise NotFoundError("rule")
    target = index + step
    if 0 <= target < len(rules):
        rules[index], rules[target] = rules[target], rules[index]
    for position, rule in enumerate(rules):
        rule.position = position
    await db.flush()
