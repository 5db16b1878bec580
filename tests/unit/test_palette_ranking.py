"""The command palette's ranking (app/domain/workspace/palette.py): pure, no database."""

from __future__ import annotations

from app.domain.workspace.palette import Candidate, entity_query, like_pattern, match_score, rank
from app.domain.workspace.prefs import DEFAULT_KEYS, SHORTCUTS, shortcut_prefs, validate_shortcuts


def labels(query: str, *cands: Candidate, limit: int = 20) -> list[str]:
    return [c.label for c, _ in rank(query, cands, limit)]


def c(label: str, kind: str = "project", weight: float = 0.0, also: tuple[str, ...] = ()) -> Candidate:
    return Candidate(kind, f"{kind}:{label}", label, weight=weight, also=also)


def test_match_levels_exact_prefix_word_substring_fuzzy_none() -> None:
    exact = match_score("atlas", "Atlas")
    prefix = match_score("atl", "Atlas")
    word = match_score("sur", "Atlantic survey")
    inner = match_score("tla", "Atlas")
    fuzzy = match_score("atsv", "Atlantic survey")
    assert exact == 1000.0
    assert prefix is not None and word is not None and inner is not None and fuzzy is not None
    assert exact > prefix > word > inner > fuzzy > 0
    assert match_score("xyz", "Atlas") is None
    assert match_score("", "anything") == 0.0


def test_matching_ignores_case_and_extra_spaces_and_may_skip_spaces() -> None:
    assert match_score("  ATLAS  ", "atlas") == 1000.0
    assert match_score("websiteredesign", "Website redesign") is not None


def test_fuzzy_prefers_word_starts_and_runs() -> None:
    starts = match_score("wr", "Website redesign")
    scattered = match_score("wr", "Slow drawer")
    assert starts is not None and scattered is not None and starts > scattered


def test_rank_orders_by_score_then_weight_then_shorter_label() -> None:
    assert labels("atl", c("Atlantic survey"), c("Atlas"), c("Beacon")) == ["Atlas", "Atlantic survey"]
    assert labels("x", c("Box", weight=0.1), c("Fox", weight=0.4)) == ["Fox", "Box"]
    assert labels("ab", c("abc"), c("ab c d")) == ["abc", "ab c d"]


def test_rank_matches_other_texts_of_a_candidate() -> None:
    start = c("Start timer on Atlas", also=("Atlas",))
    assert labels("atlas", start, c("Continue notes about atlases")) == ["Start timer on Atlas",
                                                                          "Continue notes about atlases"]


def test_rank_keeps_the_given_order_for_an_empty_query_and_honours_the_limit() -> None:
    cands = [c(f"P{i}") for i in range(30)]
    assert labels("", *cands, limit=3) == ["P0", "P1", "P2"]
    assert len(rank("p", cands, 20)) == 20


def test_rank_drops_duplicate_keys() -> None:
    one = Candidate("page", "page:x", "Projects")
    assert len(rank("proj", [one, one])) == 1


def test_entity_query_drops_leading_command_words() -> None:
    words = ("start", "timer", "on", "continue")
    assert entity_query("start timer on atlas", words) == "atlas"
    assert entity_query("sta atl", words) == "atl"
    assert entity_query("start", words) == "start"
    assert entity_query("atlas start", words) == "atlas start"


def test_like_pattern_is_a_subsequence_pattern_with_wildcards_escaped() -> None:
    assert like_pattern("Atl") == "%a%t%l%"
    assert like_pattern("a b") == "%a%b%"
    assert like_pattern("5%_") == "%5%\\%%\\_%"
    assert like_pattern("") == "%"


def test_shortcut_list_has_every_contract_shortcut_once() -> None:
    keys = [s.keys for s in SHORTCUTS]
    for expected in ("?", "Ctrl+K", "s", "c", "n", "g h", "g d", "g e", "g p", "g o", "g n", "g s", "g i", "g x",
                     "Esc"):
        assert keys.count(expected) == 1, expected
    assert DEFAULT_KEYS == {"help": "?", "timer": "s", "continue": "c", "new_entry": "n"}


def test_stored_shortcuts_fall_back_to_defaults_when_invalid() -> None:
    prefs = shortcut_prefs({"enabled": True, "keys": {"timer": "gg", "continue": "", "help": "h", "bogus": "b"}})
    assert prefs.keys == {"help": "h", "timer": "s", "continue": "", "new_entry": "n"}
    assert shortcut_prefs(None).enabled is True
    assert validate_shortcuts(False, {"timer": " "}) == {"enabled": False, "keys": {**DEFAULT_KEYS, "timer": ""}}


def test_docs_keyboard_lists_every_shortcut() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "keyboard.md").read_text()
    for s in SHORTCUTS:
        assert f"| `{s.keys}`" in doc, s.keys
