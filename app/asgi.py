"""create_app(): settings, plugins, routes, middleware, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import uow
from app.db.config import create_db_config
from app.db.fastread import PgReader, SqliteReader
from app.domain.accounts.auth import provide_user
from app.domain.accounts.controllers import AccountsApiController, AuthPagesController, SettingsPageController
from app.domain.accounts.credentials import credential_reader
from app.domain.accounts.layout_api import LayoutApi, LayoutSettingsPages
from app.domain.notifications.config import NotifyConfig
from app.domain.notifications.pages import settings_section_guard
from app.domain.notifications.sweep import run_sweeper
from app.domain.rules import install as install_rules
from app.domain.rules.timers import run_sweeper as run_rule_sweeper
from app.domain.system.health import healthz, metrics_endpoint, readyz
from app.domain.system.metrics import metrics_flusher, request_middleware
from app.domain.tracking.controllers import EntriesApi, ProjectsApi, TasksApi, TimerApi
from app.domain.tracking.pages import HOME_PAGE, TrackingPages
from app.domain.tracking.project_pages import PROJECT_STATUSES, ProjectPages
from app.domain.tracking.undo_pages import UndoApi, UndoPages
from app.domain.transfer.jobs import run_reaper
from app.lib.cache import setup_cache
from app.lib.client_address import client_address_middleware
from app.lib.csrf import csrf_guard
from app.lib.edge import JSON_BODY_LIMIT, input_guard
from app.lib.htmx import error_response
from app.lib.openapi import document_errors
from app.lib.security_headers import security_headers
from app.lib.templating import configure_templates
from app.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent


def _route_handlers() -> list[object]:
    from app.domain.accounts.account_api import AccountApi
    from app.domain.accounts.account_pages import AccountPages
    from app.domain.goals.controllers import GoalsApi, GoalsPages, WeeklyGoalsApi
    from app.domain.notifications.controllers import IdleApi, NotificationsApi, NotificationSettingsApi
    from app.domain.notifications.pages import NotificationPages
    from app.domain.planning.controllers import PlanningApi, project_page
    from app.domain.productivity.controllers import InsightsApi, ProductivityApi, ProductivityPages
    from app.domain.rules.controllers import RulesApi
    from app.domain.rules.pages import RulesPages
    from app.domain.transfer.controllers import TransferApi
    from app.domain.transfer.pages import TransferPages
    from app.domain.workspace.controllers import WorkspaceApi
    from app.domain.workspace.home import HomePages
    from app.domain.workspace.pages import WorkspacePages, favicon

    return [
        healthz,
        readyz,
        metrics_endpoint,
        AuthPagesController,
        # The Settings page's notifications section is loaded by a guard of its own routes
        # only: a guard on the app would run (and Litestar copy the handler) on every request.
        Router(path="/", route_handlers=[SettingsPageController], guards=[settings_section_guard]),
        AccountsApiController,
        LayoutApi,
        LayoutSettingsPages,
        ProjectsApi,
        TasksApi,
        EntriesApi,
        TimerApi,
        WeeklyGoalsApi,
        TrackingPages,
        HomePages,
        ProjectPages,
        UndoPages,
        UndoApi,
        ProductivityApi,
        ProductivityPages,
        InsightsApi,
        GoalsApi,
        GoalsPages,
        PlanningApi,
        project_page,
        TransferApi,
        TransferPages,
        AccountApi,  # /api/me/password, /api/me/sessions, DELETE /api/me
        AccountPages,  # /account
        RulesApi,
        RulesPages,
        WorkspaceApi,
        WorkspacePages,
        favicon,
        NotificationsApi,
        NotificationSettingsApi,
        IdleApi,
        NotificationPages,
        create_static_files_router(
            path="/static", directories=[ROOT / "static"], name="static", include_in_schema=False
        ),
    ]


def _providers() -> dict[str, object]:
    """Higher areas' answers to lower areas' pages (docs/architecture.md, "Layers"): the
    Projects list (tracking) shows each project's budget status (planning); the form posts of
    Home (tracking) re-render Home (workspace) with their errors."""
    from app.domain.planning.services import project_statuses
    from app.domain.workspace.home import render_home

    return {PROJECT_STATUSES: project_statuses, HOME_PAGE: render_home}


def _configure_templates(engine: JinjaTemplateEngine) -> None:
    from app.domain.workspace.templating import register

    configure_templates(engine)
    register(engine)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    setup_cache(settings.cache_url)
    uow.configure(default_zone=settings.timezone)
    install_rules()
    db_config = create_db_config(settings)
    notify_config = NotifyConfig.from_env()
    # Hot short reads (the credential of every request, a forecast after a write) without
    # aiosqlite's thread hop on a SQLite file (app/db/fastread.py); the credential read at the
    # driver's level on PostgreSQL (docs/architecture.md, "Who is calling").
    sqlite_reader = SqliteReader.for_url(settings.database_url)
    pg_reader = PgReader.for_engine(db_config.get_engine())
    reader = credential_reader(sqlite_reader or pg_reader)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        # Everything loaded at start-up lives as long as the process: move it out of
        # the cyclic collector's generations so collections only walk request garbage.
        gc.collect()
        gc.freeze()
        # Imports whose process died: marked failed, staging rows and temp files removed,
        # now and every minute (docs/import-export.md).
        reaper = asyncio.create_task(run_reaper(_app.state["sessionmaker"]))
        # timer_running rules: a sweep every minute in each instance (docs/rules.md).
        rule_sweeper = asyncio.create_task(run_rule_sweeper(_app.state["sessionmaker"]))
        # Notices due and e-mails to send, every minute in each instance (docs/notifications.md).
        sweeper = (
            asyncio.create_task(run_sweeper(_app.state["sessionmaker"], notify_config, settings.timezone))
            if notify_config.sweep_seconds > 0
            else None
        )
        try:
            yield
        finally:
            for task in (reaper, rule_sweeper, sweeper):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if sqlite_reader is not None:
                sqlite_reader.close()
            await db_config.get_engine().dispose()

    app = Litestar(
        route_handlers=_route_handlers(),  # type: ignore[arg-type]
        plugins=[SQLAlchemyPlugin(config=db_config)],
        dependencies={
            "current_user": Provide(provide_user),
        },
        template_config=TemplateConfig(
            directory=ROOT / "templates", engine=JinjaTemplateEngine, engine_callback=_configure_templates
        ),
        openapi_config=OpenAPIConfig(
            # No HTML viewer: the stock ones load their scripts from CDNs.
            title="Momentum API", version="1.0.0", path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        middleware=[request_middleware, input_guard],
        request_max_body_size=JSON_BODY_LIMIT,
        before_request=csrf_guard,
        before_send=[security_headers],
        exception_handlers={Exception: error_response},
        # gzip level 6 (zlib's default, as the cached stats use): on a 70 kB page ~35 % less CPU
        # than level 9 for ~1 % more bytes.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude_opt_key="skip_compression", gzip_compress_level=6
        ),
        lifespan=[lifespan, metrics_flusher],
        state=State(
            {
                "settings": settings,
                "sessionmaker": async_sessionmaker(db_config.get_engine(), expire_on_commit=False),
                "notify_config": notify_config,
                "credential_reader": reader,
                "sqlite_reader": sqlite_reader,
                "pg_reader": pg_reader,
                **_providers(),
            }
        ),
        debug=False,
    )
    # Outermost, before routing: the client address behind a trusted proxy counts for
    # every request, 404s included (docs/setup.md, "Behind a reverse proxy").
    app.asgi_handler = client_address_middleware(app.asgi_handler, settings.trusted_proxies)
    document_errors(app)
    return app
