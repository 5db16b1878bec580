"""Liveness, readiness and metrics (CONTRACT section 1)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.system import metrics
from app.lib import cache as cache_lib
from app.lib.client_address import in_networks
from app.lib.csrf import settings_of


@get("/healthz", include_in_schema=False, media_type=MediaType.JSON, sync_to_thread=False)
def healthz() -> dict[str, bool]:
    return {"ok": True}


@get("/readyz", include_in_schema=False, media_type=MediaType.JSON)
async def readyz(db_session: NamedDependency[AsyncSession]) -> Response[dict[str, object]]:
    """503 while the database is unreachable; 200 otherwise, saying whether the cache
    answers (`"cache": "down"` is degraded, not unready: requests are served from the
    database, CONTRACT section 6)."""
    try:
        await db_session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        return Response(
            {"ok": False, "error": f"database unavailable: {type(exc).__name__}"},
            status_code=503,
            headers={"Retry-After": "5", "Cache-Control": "no-store"},
        )
    return Response({"ok": True, "cache": await cache_lib.status()}, headers={"Cache-Control": "no-store"})


@get("/metrics", include_in_schema=False, media_type="text/plain; version=0.0.4", sync_to_thread=False)
def metrics_endpoint(request: Request[Any, Any, Any]) -> str:
    """Prometheus text, only for addresses in MOMENTUM_METRICS_ALLOW (others: 404, as if
    there were no such page). The address is the client's after MOMENTUM_TRUSTED_PROXIES."""
    settings = settings_of(request)
    if not in_networks(request.client.host if request.client else None, settings.metrics_allow):
        raise NotFoundException()
    return metrics.render(settings.instance_name)
