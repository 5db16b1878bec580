"""Session insights: what a user's own sessions say about their work (docs/insights.md).

Pure computation over plain rows, like the stats: `now` and the zone are parameters.
It never raises for odd data: no entries, a running timer, an entry that ends before
it starts, or an unknown zone (UTC is used) all give a valid, possibly empty, answer.

Two kinds of figure, as in CONTRACT.md section 4:

* session figures (buckets, outcome shares, observations) take each completed entry
  whole and belong to the window in which the entry starts;
* the hour x weekday matrix attributes seconds exactly: every completed entry is
  clipped to the window and split by local clock hour (`app.lib.time.split_by_hour`),
  so the matrix adds up to the window's tracked time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from app.domain.accounts.schemas import UserPrefs
from app.domain.productivity.schemas import Insight
from app.domain.tracking.schemas import EntryRow
from app.lib.numbers import round_half_up
from app.lib.time import UTC, get_zone_or_utc, local_date, local_day_start, split_by_hour

__all__ = [
    "BEST_MIN_BUCKETS",
    "BEST_MIN_SESSIONS",
    "BUCKETS",
    "FRAGMENT_MIN_SESSIONS",
    "FRAGMENT_SHARE_PERCENT",
    "LONG_GAP_POINTS",
    "LONG_MIN_SESSIONS",
    "MAX_OBSERVATIONS",
    "MAX_PERIOD",
    "MIN_PERIOD",
    "RECORD_MIN_SESSIONS",
    "RECORD_SHARE_BELOW_PERCENT",
    "SessionBucket",
    "SessionInsights",
    "compute_session_insights",
]

MIN_PERIOD: Final = 1
MAX_PERIOD: Final = 90

# Buckets by whole session length in minutes, [min, max): 25 minutes exactly is 25–50.
# (key, label, min_minutes, max_minutes or None for no upper bound, phrase for the text)
BUCKETS: Final[tuple[tuple[str, str, int, int | None, str], ...]] = (
    ("under_25", "Under 25 min", 0, 25, "Your sessions under 25 minutes"),
    ("25_50", "25–50 min", 25, 50, "Your 25–50 minute sessions"),
    ("50_90", "50–90 min", 50, 90, "Your 50–90 minute sessions"),
    ("over_90", "Over 90 min", 90, None, "Your sessions over 90 minutes"),
)

# Observations, checked in this order; at most MAX_OBSERVATIONS are returned.
# 1. long_sessions: >= LONG_MIN_SESSIONS sessions over 90 min whose outcome share is at
#    least LONG_GAP_POINTS percentage points below the overall share.
LONG_MIN_SESSIONS: Final = 5
LONG_GAP_POINTS: Final = 20
# 2. best_length: among buckets with >= BEST_MIN_SESSIONS sessions (at least
#    BEST_MIN_BUCKETS of them), one has a strictly higher outcome share than the others (> 0).
BEST_MIN_SESSIONS: Final = 5
BEST_MIN_BUCKETS: Final = 2
# 3. fragmented: >= FRAGMENT_MIN_SESSIONS sessions, >= FRAGMENT_SHARE_PERCENT % under 25 min.
FRAGMENT_MIN_SESSIONS: Final = 10
FRAGMENT_SHARE_PERCENT: Final = 40
# 4. record_outcomes: >= RECORD_MIN_SESSIONS sessions, overall outcome share
#    < RECORD_SHARE_BELOW_PERCENT %.
RECORD_MIN_SESSIONS: Final = 10
RECORD_SHARE_BELOW_PERCENT: Final = 30
MAX_OBSERVATIONS: Final = 3
# Entries shorter than this are not sessions (a start/stop by mistake, a 3-second run):
# they are left out of every figure here, so they cannot produce an observation or a
# "1 session, 0.00 h" row next to a page that says nothing was tracked.
MIN_SESSION: Final = timedelta(minutes=1)

_MICRO: Final = timedelta(microseconds=1)
_US_PER_HOUR: Final = 3600 * 1_000_000


class SessionBucket(msgspec.Struct, frozen=True):
    key: str  # under_25 | 25_50 | 50_90 | over_90
    label: str
    min_minutes: int  # inclusive
    max_minutes: int | None  # exclusive; None = no upper bound
    count: int
    total_hours: float  # whole lengths of the bucket's sessions
    outcome_share: int  # % of the bucket's sessions with an outcome; 0 when empty


class SessionInsights(msgspec.Struct, frozen=True):
    period: int  # clamped to 1..90
    start_date: date  # first local day of the window
    end_date: date  # today
    session_count: int  # completed entries starting in the window
    outcome_share: int  # % of those sessions with an outcome; 0 when none
    window_hours: float  # tracked hours inside the window = the sum of hour_weekday
    buckets: list[SessionBucket]
    hour_weekday: list[list[float]]  # 7 rows Monday..Sunday x 24 local hours, in hours
    observations: list[Insight]  # kind | text | value, at most MAX_OBSERVATIONS


class _Tally:
    __slots__ = ("count", "outcomes", "micros")

    def __init__(self) -> None:
        self.count = 0
        self.outcomes = 0
        self.micros = 0

    def share(self) -> Fraction:
        return Fraction(self.outcomes, self.count) if self.count else Fraction(0)


def compute_session_insights(
    *, entries: Sequence[EntryRow], prefs: UserPrefs, now: datetime, period: int
) -> SessionInsights:
    """Session patterns over the `period` local days ending today (docs/insights.md).

    Only completed entries count; the running timer is left out until it stops.
    """
    zone = _zone(prefs)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    period = min(max(int(period), MIN_PERIOD), MAX_PERIOD)
    today = local_date(now, zone)
    first = today - timedelta(days=period - 1)
    window_start = local_day_start(first, zone)
    window_end = local_day_start(today + timedelta(days=1), zone)

    tallies = [_Tally() for _ in BUCKETS]
    overall = _Tally()
    matrix = [[0] * 24 for _ in range(7)]  # microseconds
    for entry in entries:
        if entry.end is None:
            continue
        start = entry.start.astimezone(UTC)
        end = entry.end.astimezone(UTC)
        if end - start < MIN_SESSION:
            continue
        if window_start <= start < window_end:
            length = end - start
            tally = tallies[_bucket_index(length)]
            for t in (tally, overall):
                t.count += 1
                t.outcomes += entry.has_outcome
                t.micros += length // _MICRO
        lo, hi = max(start, window_start), min(end, window_end)
        for day, hour, seconds in split_by_hour(lo, hi, zone):
            matrix[day.weekday()][hour] += round(seconds * 1_000_000)

    buckets = [
        SessionBucket(
            key=key,
            label=label,
            min_minutes=low,
            max_minutes=high,
            count=tally.count,
            total_hours=round_half_up(Fraction(tally.micros, _US_PER_HOUR), 2),
            outcome_share=_percent(tally.share()),
        )
        for (key, label, low, high, _), tally in zip(BUCKETS, tallies, strict=True)
    ]
    return SessionInsights(
        period=period,
        start_date=first,
        end_date=today,
        session_count=overall.count,
        outcome_share=_percent(overall.share()),
        window_hours=round_half_up(Fraction(sum(map(sum, matrix)), _US_PER_HOUR), 2),
        buckets=buckets,
        hour_weekday=[[round_half_up(Fraction(us, _US_PER_HOUR), 2) for us in row] for row in matrix],
        observations=_observations(tallies, overall),
    )


def _bucket_index(length: timedelta) -> int:
    for index, (_, _, _, high, _) in enumerate(BUCKETS):
        if high is None or length < timedelta(minutes=high):
            return index
    return len(BUCKETS) - 1  # unreachable: the last bucket has no upper bound


def _observations(tallies: list[_Tally], overall: _Tally) -> list[Insight]:
    """The observations whose thresholds are met, in rule order, at most MAX_OBSERVATIONS.

    Thresholds compare exact shares (before rounding); texts show rounded percentages.
    """
    found: list[Insight] = []
    overall_share = overall.share()
    long_index = len(BUCKETS) - 1

    long = tallies[long_index]
    long_fired = long.count >= LONG_MIN_SESSIONS and long.share() <= overall_share - Fraction(LONG_GAP_POINTS, 100)
    if long_fired:
        share = _percent(long.share())
        found.append(
            Insight(
                kind="long_sessions",
                text=(
                    f"Sessions over 90 minutes end with an outcome only {share}% of the time, "
                    f"against {_percent(overall_share)}% overall. "
                    "Try closing long blocks with a short note of what they produced, or splitting them."
                ),
                value=share,
            )
        )

    eligible = [i for i, t in enumerate(tallies) if t.count >= BEST_MIN_SESSIONS]
    if len(eligible) >= BEST_MIN_BUCKETS:
        best = max(eligible, key=lambda i: tallies[i].share())
        best_share = tallies[best].share()
        unique = all(tallies[i].share() < best_share for i in eligible if i != best)
        if unique and best_share > 0 and not (long_fired and best == long_index):
            share = _percent(best_share)
            found.append(
                Insight(
                    kind="best_length",
                    text=(
                        f"{BUCKETS[best][4]} most often produce an outcome ({share}%). "
                        "Try planning work in blocks of that length."
                    ),
                    value=share,
                )
            )

    short = tallies[0]
    if overall.count >= FRAGMENT_MIN_SESSIONS and Fraction(short.count, overall.count) >= Fraction(
        FRAGMENT_SHARE_PERCENT, 100
    ):
        share = _percent(Fraction(short.count, overall.count))
        found.append(
            Insight(
                kind="fragmented",
                text=(
                    f"{share}% of your sessions are shorter than 25 minutes. "
                    "Grouping small tasks into longer blocks can leave more room for focused work."
                ),
                value=share,
            )
        )

    if overall.count >= RECORD_MIN_SESSIONS and overall_share < Fraction(RECORD_SHARE_BELOW_PERCENT, 100):
        share = _percent(overall_share)
        found.append(
            Insight(
                kind="record_outcomes",
                text=(
                    f"Only {share}% of your sessions record an outcome. "
                    "Noting what each session produced makes these patterns more reliable."
                ),
                value=share,
            )
        )
    return found[:MAX_OBSERVATIONS]


def _percent(share: Fraction) -> int:
    """A share 0..1 as an integer percent, half up."""
    return int(round_half_up(100 * share, 0))


def _zone(prefs: UserPrefs) -> ZoneInfo:
    return get_zone_or_utc(prefs.timezone)
