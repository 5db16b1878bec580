"""The streak figures (CONTRACT 4, streak; the streak options of docs/productivity.md),
and the cacheable summary of the history before the loaded window."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

import msgspec

from app.domain.accounts.schemas import UserPrefs
from app.domain.productivity.schemas import (
    Streak,
)
from app.domain.productivity.tally import Tally
from app.lib.time import US_PER_SECOND

_US_PER_MINUTE = 60 * US_PER_SECOND
_ONE_DAY = timedelta(days=1)


class HistorySummary(msgspec.Struct, frozen=True):
    """What the streak figures need of the days before the loaded window.

    `longest`: the longest run entirely before the window; `tail`: the active days of
    the last run before it (ascending), which may continue into the window. Computed by
    `summarize_history` under the same streak rules, so it can be cached instead of
    the whole day-by-day history.
    """

    longest: int
    tail: tuple[date, ...]


def _streak_rules(prefs: UserPrefs) -> tuple[Callable[[date], bool], Callable[[int], bool], bool, bool]:
    min_us = max(0, prefs.streak_min_minutes) * _US_PER_MINUTE
    working = frozenset(d for d in prefs.working_days if 1 <= d <= 7)
    skip = prefs.streak_skip_non_working

    def counts(day: date) -> bool:
        return not skip or day.isoweekday() in working

    def qualifies(us: int) -> bool:
        return us > 0 and us >= min_us

    return counts, qualifies, skip, bool(working) or not skip


def _runs(
    active: Sequence[date], skip: bool, counts: Callable[[date], bool], anchor: date | None = None
) -> tuple[int, int, list[date]]:
    """(longest run, run length at `anchor`, days of the last run) over ascending active days."""
    longest = current = run = 0
    last_run: list[date] = []
    previous: date | None = None
    for day in active:
        after = previous + _ONE_DAY if previous is not None else None
        contiguous = after is not None and (after == day or (skip and _step_to_counted(after, 1, counts) == day))
        if contiguous:
            run += 1
            last_run.append(day)
        else:
            run = 1
            last_run = [day]
        longest = max(longest, run)
        if day == anchor:
            current = run
        previous = day
    return longest, current, last_run


def _active_days(
    days: Mapping[date, float], before: date, counts: Callable[[date], bool], qualifies: Callable[[int], bool]
) -> list[date]:
    """The streak-active days before `before`, in order."""
    return sorted(
        day
        for day, seconds in days.items()
        if day < before and counts(day) and qualifies(round(seconds * US_PER_SECOND))
    )


def summarize_history(history: Mapping[date, float], before: date, prefs: UserPrefs) -> HistorySummary:
    """The streak summary of the days before `before` (see HistorySummary)."""
    counts, qualifies, skip, possible = _streak_rules(prefs)
    if not possible:
        return HistorySummary(0, ())
    active = _active_days(history, before, counts, qualifies)
    longest, _, last_run = _runs(active, skip, counts)
    return HistorySummary(longest, tuple(last_run))


def extend_summary(
    summary: HistorySummary, days: Mapping[date, float], before: date, prefs: UserPrefs
) -> HistorySummary:
    """The summary of the days before `before`, from `summary` (the days before an earlier
    date) and the completed seconds of the days in between (`days`): equal to
    `summarize_history` of the whole history before `before`, because every run before
    the earlier date's tail is over and counts in `summary.longest` already."""
    counts, qualifies, skip, possible = _streak_rules(prefs)
    if not possible:
        return HistorySummary(0, ())
    later = _active_days(days, before, counts, qualifies)
    if not later:
        return summary
    longest, _, last_run = _runs([*summary.tail, *later], skip, counts)
    return HistorySummary(max(summary.longest, longest), tuple(last_run))


def compute_streak(
    t: Tally, today: date, prefs: UserPrefs, history: Mapping[date, float], summary: HistorySummary | None = None
) -> Streak:
    """CONTRACT 4, streak, with the streak options of docs/productivity.md.

    For current_streak and longest_streak a day is active when it has more than 0
    seconds and at least `streak_min_minutes`; with `streak_skip_non_working`, days
    outside `working_days` are skipped (they neither break nor extend a run).
    tracked_days_this_month uses the plain "more than 0 seconds". The days before the
    loaded window come in as `summary` (or are summarised from `history`).
    """
    load_start = t.days.first
    counts, qualifies, skip, possible = _streak_rules(prefs)
    current = longest = 0
    if possible:
        if summary is None:
            summary = summarize_history(history, load_start, prefs)
        active = list(summary.tail)
        active.extend(
            day
            for day in (load_start + timedelta(days=i) for i, us in enumerate(t.day_us) if qualifies(us))
            if counts(day)
        )
        # The run that current_streak reports ends today when today is active,
        # else on the last counted day before today (CONTRACT: "else ending yesterday").
        anchor = today
        if not (counts(today) and qualifies(t.day_us[-1])):
            anchor = _step_to_counted(today - _ONE_DAY, -1, counts)
        longest, current, _ = _runs(active, skip, counts, anchor)
        longest = max(longest, summary.longest)

    first_of_month = today.replace(day=1)
    tracked = sum(1 for us in t.day_us[t.days.index(first_of_month) :] if us > 0)
    return Streak(
        current_streak=current,
        longest_streak=longest,
        tracked_days_this_month=tracked,
        total_days_this_month=today.day,
    )


def _step_to_counted(day: date, step: int, counts: Callable[[date], bool]) -> date:
    """The first day from `day` (inclusive) in direction `step` that counts for streaks."""
    for _ in range(7):
        if counts(day):
            return day
        day += timedelta(days=step)
    return day
