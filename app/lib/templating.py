"""Jinja2 environment: filters and globals shared by every template."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine


def fmt_hours(value: float | None) -> str:
    if value is None:
        return "0:00"
    total_minutes = int(round(float(value) * 60))
    return f"{total_minutes // 60}:{total_minutes % 60:02d}"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fmt_local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime(fmt)


def configure_templates(engine: JinjaTemplateEngine) -> None:
    env: Any = engine.engine
    env.filters["hours"] = fmt_hours
    env.filters["duration"] = fmt_duration
    env.filters["local"] = fmt_local
    env.trim_blocks = True
    env.lstrip_blocks = True
