"""The live overlay of a stats payload computed while a timer runs (docs/productivity.md, "Caching").

Every figure of the payload but the live ones counts completed entries only, so the
payload can be cached; `compute_stats_and_base` in `figures.py` keeps a `LiveBase` beside
it, and `overlay_live` brings `active_timer` and `today_live_hours` / `week_live_hours` up
to each call's `now` from those exact sums (`services.py` stores and reads the two).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.domain.productivity.schemas import StatsPayload
from app.lib.numbers import to_hours
from app.lib.time import US_PER_SECOND, to_micros

__all__ = ["LiveBase", "overlay_live"]


class LiveBase(msgspec.Struct, frozen=True):
    """What a payload computed while a timer runs needs to be brought up to another `now`.

    Every figure but the live ones counts completed entries only, so it stays right for as
    long as the user's data version and today's date stay the same; the live fields are
    re-derived from these exact sums (docs/productivity.md, "Caching").
    """

    payload: StatsPayload
    today_us: int
    week_us: int
    today_start_us: int
    week_start_us: int
    grid_end_us: int
    timer_start_us: int


def overlay_live(base: LiveBase, now: datetime) -> StatsPayload:
    """The cached payload with `active_timer` and `*_live_hours` as of `now` (exact, rounded once)."""
    summary = base.payload.summary
    timer = summary.active_timer
    if timer is None:
        return base.payload
    now_us = to_micros(now)
    live_today = max(0, min(now_us, base.grid_end_us) - max(base.timer_start_us, base.today_start_us))
    live_week = max(0, min(now_us, base.grid_end_us) - max(base.timer_start_us, base.week_start_us))
    elapsed = max(0, (now_us - base.timer_start_us) // US_PER_SECOND)
    return msgspec.structs.replace(
        base.payload,
        summary=msgspec.structs.replace(
            summary,
            active_timer=msgspec.structs.replace(timer, elapsed_seconds=elapsed),
            today_live_hours=to_hours(base.today_us + live_today),
            week_live_hours=to_hours(base.week_us + live_week),
        ),
    )
