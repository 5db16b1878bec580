"""The command palette's ranking (CONTRACT section 7): pure, no database.

`rank(query, candidates)` scores every candidate's label with `match_score` and keeps
the best `limit`. The score prefers, in this order: the whole label, a prefix of the
label, a prefix of one of its words, a substring, then a fuzzy subsequence (every
query character in order, rewarded for runs and word starts, punished for gaps). Ties
go to the candidate's own weight (a recent entry over an old one, an action over a
page) and then to the shorter label. The query is matched case- and accent-blind
(casefold) and may omit spaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

MAX_QUERY: Final = 100
"""The longest `q` the palette accepts (longer is a 400 naming `q`)."""
DEFAULT_LIMIT: Final = 20


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str  # page | action | project | task | entry
    key: str  # unique in one answer, e.g. "project:12"
    label: str
    hint: str = ""
    url: str = "/"
    method: str = "GET"
    fields: dict[str, str] = field(default_factory=dict)
    weight: float = 0.0  # a tie-breaker in [0, 1): recency, usefulness
    also: tuple[str, ...] = ()  # other texts that match (a project's name inside "Start timer on …")


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _is_word_start(text: str, i: int) -> bool:
    return i == 0 or not text[i - 1].isalnum()


def _subsequence_score(q: str, t: str) -> float | None:
    """Every character of q in t in order (spaces in q may be skipped); None if not."""
    score = 0.0
    pos = 0
    prev = -2
    for ch in q:
        if ch == " ":
            continue
        i = t.find(ch, pos)
        if i < 0:
            return None
        if i == prev + 1:
            score += 6.0  # a run
        elif _is_word_start(t, i):
            score += 4.0
        else:
            score -= min(i - pos, 10) * 0.5  # a gap
        score += 1.0
        prev = i
        pos = i + 1
    return score


def match_score(query: str, text: str) -> float | None:
    """How well `query` matches `text` (higher is better), or None for no match."""
    q = _fold(query)
    t = _fold(text)
    if not q:
        return 0.0
    if t == q:
        return 1000.0
    if t.startswith(q):
        return 800.0 + 100.0 * len(q) / len(t)
    i = t.find(q)
    while i >= 0:
        if _is_word_start(t, i):
            return 600.0 + 100.0 * len(q) / len(t)
        i = t.find(q, i + 1)
    if q in t:
        return 400.0 + 100.0 * len(q) / len(t)
    fuzzy = _subsequence_score(q, t)
    if fuzzy is None:
        return None
    # Below every substring match; the best fuzzy matches use runs and word starts.
    return min(399.0, 100.0 + fuzzy * 10.0 / max(1, len(q.replace(" ", ""))))


def candidate_score(query: str, c: Candidate) -> float | None:
    scores = [s for s in (match_score(query, text) for text in (c.label, *c.also)) if s is not None]
    return max(scores) if scores else None


def rank(query: str, candidates: Iterable[Candidate], limit: int = DEFAULT_LIMIT) -> list[tuple[Candidate, float]]:
    """The best `limit` candidates for `query`, best first; an empty query keeps the
    given order (the caller lists what is most useful first)."""
    if not _fold(query):
        return [(c, 0.0) for c in list(candidates)[:limit]]
    scored: list[tuple[float, float, int, int, Candidate]] = []
    seen: set[str] = set()
    for order, c in enumerate(candidates):
        if c.key in seen:
            continue
        seen.add(c.key)
        s = candidate_score(query, c)
        if s is not None:
            scored.append((-(s + c.weight), float(len(c.label)), order, 0, c))
    scored.sort(key=lambda row: row[:3])
    return [(row[4], -row[0]) for row in scored[:limit]]


def entity_query(query: str, command_words: Iterable[str]) -> str:
    """The part of `query` that names a project, task or entry: leading words that
    begin a command word ("start", "timer", "on", "continue") are dropped, as long as
    something is left. "start atl" → "atl"; "start" → "start"."""
    words = _fold(query).split()
    commands = [w.casefold() for w in command_words]
    rest = list(words)
    while len(rest) > 1 and any(c.startswith(rest[0]) for c in commands):
        rest.pop(0)
    return " ".join(rest)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` as a subsequence of a lower-cased column
    (the database's cheap pre-filter for `match_score`): "atl" → "%a%t%l%"."""
    chars = [ch for ch in _fold(text) if ch != " "]
    escaped = [("\\" + ch) if ch in "%_\\" else ch for ch in chars]
    return "%" + "%".join(escaped) + "%" if escaped else "%"
