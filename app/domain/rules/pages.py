"""The /rules page: the list, templates for common rules, a form per rule (fixed rows of
selects; works without JavaScript), the preview and the run log (docs/rules.md)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Rule
from app.db.uow import utcnow
from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.rules import forms, services
from app.domain.rules.preview import preview
from app.domain.rules.runner import project_names
from app.domain.rules.schemas import ACTIONS, FIELDS, MAX_RULES, OPS, TRIGGERS
from app.domain.tracking import projects as project_svc
from app.lib.bounds import PathId
from app.lib.csrf import settings_of
from app.lib.errors import AppError
from app.lib.htmx import page, see_other

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


def _form_dict(raw: Any) -> dict[str, str]:
    return {k: str(v) for k, v in raw.items()}


class RulesPages(Controller):
    include_in_schema = False
    path = "/rules"

    async def _context(self, db: AsyncSession, user: CurrentUser) -> dict[str, Any]:
        projects = await project_svc.list_projects(db, user.id)
        return {
            "projects": projects, "names": {p.id: p.name for p in projects}, "triggers": TRIGGERS,
            "fields": FIELDS, "ops": OPS, "actions": ACTIONS, "labels": forms, "rows_c": forms.ROWS_C,
            "rows_a": forms.ROWS_A,
        }

    async def _list(
        self, request: Request[Any, Any, Any], user: CurrentUser, db: AsyncSession, *,
        errors: dict[str, str] | None = None, form: dict[str, Any] | None = None, status_code: int = 200,
    ) -> Template:
        ctx = await self._context(db, user)
        rules = await services.list_rules(db, user.id)
        return page(
            request, "pages/rules.html.j2", status_code=status_code, rules=rules,
            summaries={r.id: forms.describe(r, ctx["names"]) for r in rules}, templates=forms.TEMPLATES,
            errors=errors or {}, form=form or {"trigger": "entry_saved", "enabled": True}, max_rules=MAX_RULES,
            **ctx,
        )

    async def _detail(
        self, request: Request[Any, Any, Any], user: CurrentUser, db: AsyncSession, rule: Rule, *,
        errors: dict[str, str] | None = None, form: dict[str, Any] | None = None, status_code: int = 200,
        secret: str | None = None, with_preview: bool = False,
    ) -> Template:
        ctx = await self._context(db, user)
        zone = user_zone(request, user)
        names = ctx["names"] | await project_names(db, user.id, [rule])
        shown = await preview(db, rule, zone, utcnow()) if with_preview else None
        runs = [services.run_out(r, zone) for r in await services.list_runs(db, user.id, rule.id, limit=50)]
        return page(
            request, "pages/rule.html.j2", status_code=status_code, rule=rule, summary=forms.describe(rule, names),
            errors=errors or {}, form=form or forms.form_of(rule, names), secret=secret, preview=shown, runs=runs,
            **ctx,
        )

    @get("/", name="rules:page")
    async def rules_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        return await self._list(request, current_user, db_session)

    @post("/", name="rules:create")
    async def create(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = _form_dict(await request.form())
        projects = await project_svc.list_projects(db_session, current_user.id)
        try:
            rule = await services.create_rule(
                db_session, current_user.id, name=form.get("name", ""), trigger=form.get("trigger", ""),
                conditions=forms.parse_conditions(form, projects), actions=forms.parse_actions(form, projects),
                enabled=form.get("enabled") == "on", webhook_hosts=settings_of(request).webhook_hosts,
            )
        except AppError as exc:
            return await self._list(request, current_user, db_session, errors={"form": forms.friendly(exc.text)},
                                    form=form, status_code=422)
        return await self._detail(request, current_user, db_session, rule, secret=rule.secret, status_code=201)

    @post("/templates/{key:str}", name="rules:template")
    async def from_template(
        self, request: Request[Any, Any, Any], key: FromPath[str], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = _form_dict(await request.form())
        try:
            args = forms.from_template(key, form)
            rule = await services.create_rule(db_session, current_user.id, **args)
        except AppError as exc:
            return await self._list(request, current_user, db_session, errors={f"t_{key}": forms.friendly(exc.text)},
                                    status_code=422)
        return see_other(f"/rules/{rule.id}")

    @get("/{rule_id:int}", name="rules:detail")
    async def detail(
        self, request: Request[Any, Any, Any], rule_id: PathId, current_user: CurrentUserDep, db_session: DB,
        show_preview: Annotated[str | None, QueryParameter(name="preview")] = None,
    ) -> Template:
        rule = await services.get_rule(db_session, current_user.id, rule_id)
        return await self._detail(request, current_user, db_session, rule, with_preview=bool(show_preview))

    @post("/{rule_id:int}", name="rules:update")
    async def update(
        self, request: Request[Any, Any, Any], rule_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = _form_dict(await request.form())
        projects = await project_svc.list_projects(db_session, current_user.id)
        try:
            changes = {
                "name": form.get("name", ""), "trigger": form.get("trigger", ""),
                "enabled": form.get("enabled") == "on",
                "conditions": forms.parse_conditions(form, projects), "actions": forms.parse_actions(form, projects),
            }
            await services.update_rule(db_session, current_user.id, rule_id, changes,
                                       webhook_hosts=settings_of(request).webhook_hosts)
        except AppError as exc:
            rule = await services.get_rule(db_session, current_user.id, rule_id)
            return await self._detail(request, current_user, db_session, rule,
                                      errors={"form": forms.friendly(exc.text)}, form=form, status_code=422)
        return see_other(f"/rules/{rule_id}")

    @post("/{rule_id:int}/toggle", name="rules:toggle")
    async def toggle(self, rule_id: PathId, current_user: CurrentUserDep, db_session: DB) -> Response[Any]:
        rule = await services.get_rule(db_session, current_user.id, rule_id)
        await services.update_rule(db_session, current_user.id, rule_id, {"enabled": not rule.enabled})
        return see_other("/rules")

    @post("/{rule_id:int}/move", name="rules:move")
    async def move(
        self, request: Request[Any, Any, Any], rule_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        await services.move_rule(db_session, current_user.id, rule_id, -1 if form.get("direction") == "up" else 1)
        return see_other("/rules")

    @post("/{rule_id:int}/secret", name="rules:secret")
    async def secret(
        self, request: Request[Any, Any, Any], rule_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        rule = await services.rotate_secret(db_session, current_user.id, rule_id)
        return await self._detail(request, current_user, db_session, rule, secret=rule.secret)

    @post("/{rule_id:int}/delete", name="rules:delete")
    async def remove(self, rule_id: PathId, current_user: CurrentUserDep, db_session: DB) -> Response[Any]:
        await services.delete_rule(db_session, current_user.id, rule_id)
        return see_other("/rules")
