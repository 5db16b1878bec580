"""Automation rules (CONTRACT section 8, docs/rules.md)."""

from __future__ import annotations


def install() -> None:
    """Point the lower areas' hooks at the rules (called once by create_app): the unit of
    work's before-commit hook runs entry_saved and task_completed rules; tracking's
    timer-read hook runs timer_running rules."""
    from app.db import uow
    from app.domain.rules.runner import on_before_commit
    from app.domain.rules.timers import on_timer_read
    from app.domain.tracking import timer

    uow.register_before_commit(on_before_commit)
    timer.on_timer_read(on_timer_read)
