"""The rules JSON API (CONTRACT sections 3 and 8, docs/rules.md)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.uow import utcnow
from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.rules import services
from app.domain.rules.preview import preview
from app.domain.rules.schemas import PreviewOut, RuleCreate, RuleOut, RuleUpdate, RunPage
from app.domain.tracking.validation import unset_to_dict
from app.lib.bounds import PathId
from app.lib.csrf import settings_of

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


class RulesApi(Controller):
    path = "/api/rules"
    tags = ["rules"]

    @get("/", summary="List automation rules in position order")
    async def list_rules(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> list[RuleOut]:
        zone = user_zone(request, current_user)
        return [services.rule_out(r, zone) for r in await services.list_rules(db_session, current_user.id)]

    @post("/", status_code=201, summary="Create a rule (its webhook secret is shown only in this answer)")
    async def create_rule(
        self, request: Request[Any, Any, Any], data: JSONBody[RuleCreate], current_user: CurrentUserDep, db_session: DB
    ) -> RuleOut:
        rule = await services.create_rule(
            db_session, current_user.id, name=data.name, trigger=data.trigger, conditions=data.conditions,
            actions=data.actions, enabled=data.enabled, position=data.position,
            webhook_hosts=settings_of(request).webhook_hosts,
        )
        return services.rule_out(rule, user_zone(request, current_user), with_secret=True)

    @get("/{rule_id:int}", summary="Get a rule")
    async def get_rule(
        self, request: Request[Any, Any, Any], rule_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> RuleOut:
        rule = await services.get_rule(db_session, current_user.id, rule_id)
        return services.rule_out(rule, user_zone(request, current_user))

    @patch("/{rule_id:int}", summary="Change a rule")
    async def update_rule(
        self, request: Request[Any, Any, Any], rule_id: PathId, data: JSONBody[RuleUpdate],
        current_user: CurrentUserDep, db_session: DB,
    ) -> RuleOut:
        rule = await services.update_rule(
            db_session, current_user.id, rule_id, unset_to_dict(data), webhook_hosts=settings_of(request).webhook_hosts
        )
        return services.rule_out(rule, user_zone(request, current_user))

    @delete("/{rule_id:int}", status_code=204, summary="Delete a rule and its run log")
    async def delete_rule(self, rule_id: PathId, current_user: CurrentUserDep, db_session: DB) -> None:
        await services.delete_rule(db_session, current_user.id, rule_id)

    @get("/{rule_id:int}/runs", summary="The rule's run log, newest first (at most 100)")
    async def runs(
        self, request: Request[Any, Any, Any], rule_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> RunPage:
        zone = user_zone(request, current_user)
        rows = await services.list_runs(db_session, current_user.id, rule_id)
        return RunPage(items=[services.run_out(r, zone) for r in rows])

    @post("/{rule_id:int}/preview", status_code=200,
          summary="What the rule would have changed over the last 30 days (changes nothing)")
    async def preview(
        self, request: Request[Any, Any, Any], rule_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> PreviewOut:
        rule = await services.get_rule(db_session, current_user.id, rule_id)
        return await preview(db_session, rule, user_zone(request, current_user), utcnow())
