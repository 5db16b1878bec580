"""Pure validation helpers of accounts and tracking, and form datetime parsing (CONTRACT section 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.db.models import TimeEntry
from app.domain.accounts.hashing import hash_password, verify_password
from app.domain.accounts.validation import (
    validate_email,
    validate_password,
    validate_standard_hours,
    validate_streak_min,
    validate_timezone,
    validate_working_days,
)
from app.domain.goals import weekly as weekly_svc
from app.domain.tracking import entries as entry_svc
from app.domain.tracking import projects as project_svc
from app.domain.tracking import validation as checks
from app.domain.tracking.pages import parse_local_datetime, parse_tags
from app.lib.errors import ValidationError
from app.lib.htmx import safe_target
from app.lib.signing import sign, unsign

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def error_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> tuple[str | None, str]:
    return excinfo.value.field, excinfo.value.message


# ---------------------------------------------------------------- tracking: datetimes and intervals


def test_require_aware_converts_any_offset_to_utc() -> None:
    value = datetime(2026, 3, 11, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    result = checks.require_aware(value, "start_time")
    assert result == utc("2026-03-11 03:30")
    assert result.tzinfo is UTC


def test_require_aware_rejects_a_naive_datetime_naming_the_field() -> None:
    with pytest.raises(ValidationError) as exc:
        checks.require_aware(datetime(2026, 3, 11, 9, 0), "end_time")
    assert error_of(exc) == ("end_time", "must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)")


def test_check_interval_accepts_an_ordinary_entry() -> None:
    checks.check_interval(utc("2026-03-11 09:00"), utc("2026-03-11 10:00"), NOW)


def test_check_interval_accepts_a_running_timer_started_in_the_past() -> None:
    checks.check_interval(utc("2026-03-11 09:00"), None, NOW)


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2026-03-11 10:00", "2026-03-11 10:00", "end_time", "End must be after start"),
        ("2026-03-11 10:00", "2026-03-11 09:59:59", "end_time", "End must be after start"),
        ("2026-03-01 00:00", "2026-03-08 00:00:01", "end_time", "An entry can last at most 7 days"),
        ("2026-03-11 11:00", "2026-03-11 12:05:01", "end_time", "End cannot be more than 5 minutes in the future"),
        ("2026-03-11 12:06", "2026-03-11 12:07", "start_time", "Start cannot be in the future"),
    ],
    ids=["zero-length", "negative", "over-7-days", "end-too-far-ahead", "start-in-future"],
)
def test_check_interval_rejects(start: str, end: str, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        checks.check_interval(utc(start), utc(end), NOW)
    assert error_of(exc) == (field, message)


def test_check_interval_boundaries_are_inclusive() -> None:
    checks.check_interval(utc("2026-03-01 00:00"), utc("2026-03-08 00:00"), utc("2026-03-09 00:00"))  # 7 days
    checks.check_interval(utc("2026-03-11 11:00"), utc("2026-03-11 12:05"), NOW)  # now + 5 min


# ---------------------------------------------------------------- tracking: text, names, colours, tags


def test_clean_text_allows_2000_characters_and_rejects_2001() -> None:
    assert checks.clean_text("x" * 2000, "notes") == "x" * 2000
    with pytest.raises(ValidationError) as exc:
        checks.clean_text("x" * 2001, "outcome")
    assert error_of(exc) == ("outcome", "Outcome must be at most 2000 characters")


def test_clean_tags_strips_drops_empty_and_duplicates_keeping_order() -> None:
    assert checks.clean_tags([" b", "a", "", "b ", "  ", "c"]) == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (["x" * 41], "each tag must be at most 40 characters"),
        ([f"t{i}" for i in range(21)], "at most 20 tags"),
        (["ok", 3], "must be a list of strings"),
    ],
    ids=["long", "many", "not-a-string"],
)
def test_clean_tags_rejects(tags: list[object], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        checks.clean_tags(tags)  # type: ignore[arg-type]
    assert error_of(exc) == ("tags", message)


def test_clean_tags_accepts_20_tags_of_40_characters() -> None:
    tags = [f"{i:02d}" + "x" * 38 for i in range(20)]
    assert checks.clean_tags(tags) == tags


def test_clean_name_strips_and_bounds_the_length() -> None:
    assert checks.clean_name("  Deep work ") == "Deep work"
    assert checks.clean_name("x" * 120) == "x" * 120
    for bad in ("", "   ", "x" * 121):
        with pytest.raises(ValidationError) as exc:
            checks.clean_name(bad)
        assert error_of(exc) == ("name", "must be 1 to 120 characters")


def test_clean_color_lowercases_hex_and_rejects_other_forms() -> None:
    assert project_svc.clean_color("#A1B2C3") == "#a1b2c3"
    for bad in ("red", "#abc", "a1b2c3", "#a1b2c3d", "#g1b2c3"):
        with pytest.raises(ValidationError) as exc:
            project_svc.clean_color(bad)
        assert error_of(exc) == ("color", "must be a colour like #4f46e5")


# ---------------------------------------------------------------- tracking: weeks and cursors


def test_parse_week_start_accepts_a_monday() -> None:
    assert weekly_svc.parse_week_start("2026-03-09") == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-03-10", "must be a Monday"), ("2026-03-15", "must be a Monday"),
     ("09.03.2026", "must be a date YYYY-MM-DD"), ("2026-02-29", "must be a date YYYY-MM-DD")],
)
def test_parse_week_start_rejects(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        weekly_svc.parse_week_start(value)
    assert error_of(exc) == ("week_start", message)


def test_cursor_round_trips_start_time_and_id() -> None:
    entry = TimeEntry(id=42, start_time=datetime(2026, 3, 11, 9, 30, 15, tzinfo=timezone(timedelta(hours=1))))
    assert entry_svc.decode_cursor(entry_svc.encode_cursor(entry)) == (utc("2026-03-11 08:30:15"), 42)


@pytest.mark.parametrize("cursor", ["not base64 !", "bm9waXBl", "MjAyNi0wMy0xMVQwOTozMDoxNXw0Mg"])
def test_decode_cursor_rejects_garbage_and_naive_stamps(cursor: str) -> None:
    # The last one is a well-formed cursor of a naive stamp ("2026-03-11T09:30:15|42").
    with pytest.raises(ValidationError) as exc:
        entry_svc.decode_cursor(cursor)
    assert error_of(exc) == ("cursor", "is not a valid cursor")


# ---------------------------------------------------------------- forms: local datetimes


def test_parse_local_datetime_reads_the_users_wall_clock() -> None:
    assert parse_local_datetime("2026-07-01T09:00", "Europe/Berlin", "start_time") == utc("2026-07-01 07:00")
    assert parse_local_datetime("2026-01-05T09:00", "Europe/Berlin", "start_time") == utc("2026-01-05 08:00")


def test_parse_local_datetime_rejects_a_time_in_the_dst_gap() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_local_datetime("2026-03-08T02:30", "America/New_York", "start_time")
    assert error_of(exc) == (
        "start_time",
        "2026-03-08 02:30 does not exist in America/New_York (the clocks skip it at a daylight-saving change)",
    )


def test_parse_local_datetime_takes_the_first_of_an_ambiguous_time() -> None:
    assert parse_local_datetime("2026-11-01T01:30", "America/New_York", "end_time") == utc("2026-11-01 05:30")
    assert parse_local_datetime("2026-10-25T02:30", "Europe/Berlin", "end_time") == utc("2026-10-25 00:30")


def test_parse_local_datetime_keeps_an_explicit_offset() -> None:
    assert parse_local_datetime("2026-03-08T02:30-05:00", "America/New_York", "start_time") == utc(
        "2026-03-08 07:30")


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "End is required"), ("tomorrow", "End must be a date and time like 2026-03-11 09:30"),
     ("2026-02-30T09:00", "End must be a date and time like 2026-03-11 09:30")],
    ids=["empty", "word", "no-such-day"],
)
def test_parse_local_datetime_rejects_bad_input(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_local_datetime(value, "UTC", "end_time")
    assert error_of(exc) == ("end_time", message)


def test_parse_tags_splits_on_commas() -> None:
    assert parse_tags(" a, b ,,c ") == ["a", "b", "c"]
    assert parse_tags("") == []


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/entries?x=1", "/entries?x=1"), ("//evil.example", "/"), ("https://evil.example/", "/"), ("", "/")],
)
def test_safe_back_only_follows_local_paths(target: str, expected: str) -> None:
    assert safe_target(target) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/entries", "/entries"), (None, "/"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
     ("javascript:alert(1)", "/"), ("entries", "/")],
)
def test_safe_next_only_follows_local_paths(target: str | None, expected: str) -> None:
    assert safe_target(target) == expected


# ---------------------------------------------------------------- accounts


def test_validate_email_normalises_case_and_spaces() -> None:
    assert validate_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


@pytest.mark.parametrize("email", ["", "ada", "ada@", "@example.com", "ada@localhost", "ada lovelace@example.com",
                                   "a@" + "x" * 320 + ".com"])
def test_validate_email_rejects(email: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_email(email)
    assert error_of(exc) == ("email", "must be a valid email address")


def test_validate_password_bounds() -> None:
    assert validate_password("x" * 8) == "x" * 8
    assert validate_password("x" * 1024) == "x" * 1024
    with pytest.raises(ValidationError) as exc:
        validate_password("x" * 7)
    assert error_of(exc) == ("password", "must be at least 8 characters")
    with pytest.raises(ValidationError) as exc:
        validate_password("x" * 1025)
    assert error_of(exc) == ("password", "must be at most 1024 characters")


def test_validate_timezone() -> None:
    assert validate_timezone("America/New_York") == "America/New_York"
    assert validate_timezone(None) is None
    assert validate_timezone("") is None
    with pytest.raises(ValidationError) as exc:
        validate_timezone("", required=True)
    assert error_of(exc) == ("timezone", "is required")
    with pytest.raises(ValidationError) as exc:
        validate_timezone("Europe/Atlantis")
    assert error_of(exc) == ("timezone", "'Europe/Atlantis' is not an IANA time zone (e.g. Europe/Berlin)")


@pytest.mark.parametrize("hours", [0.25, 8, 24])
def test_validate_standard_hours_accepts(hours: float) -> None:
    assert validate_standard_hours(hours) == float(hours)


@pytest.mark.parametrize("hours", [0, -1, 24.01, True])
def test_validate_standard_hours_rejects(hours: float) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_standard_hours(hours)
    assert error_of(exc) == ("standard_hours_per_day", "must be more than 0 and at most 24")


def test_validate_working_days_sorts_and_deduplicates() -> None:
    assert validate_working_days([7, 1, 3, 1]) == [1, 3, 7]
    assert validate_working_days([]) == []


@pytest.mark.parametrize("days", [[0], [8], [1, True], [1.0]])
def test_validate_working_days_rejects(days: list[object]) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_working_days(days)  # type: ignore[arg-type]
    assert error_of(exc) == ("working_days", "must be ISO weekdays 1 (Monday) to 7 (Sunday)")


def test_validate_streak_min_bounds() -> None:
    assert validate_streak_min(0) == 0
    assert validate_streak_min(1440) == 1440
    for bad in (-1, 1441, True):
        with pytest.raises(ValidationError) as exc:
            validate_streak_min(bad)
        assert error_of(exc) == ("streak_min_minutes", "must be a whole number of minutes from 0 to 1440")


def test_passwords_are_hashed_with_argon2id_and_verified() -> None:
    digest = hash_password("correct horse")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "correct horse")
    assert not verify_password(digest, "wrong horse")
    assert not verify_password("not a hash", "correct horse")


def test_signed_session_values_round_trip_and_reject_tampering() -> None:
    signed = sign("k" * 32, "session-id")
    assert unsign("k" * 32, signed) == "session-id"
    assert unsign("other-key-000000", signed) is None
    assert unsign("k" * 32, "session-ie" + signed[len("session-id"):]) is None
    assert unsign("k" * 32, "no-signature") is None
