"""Security headers (CONTRACT section 6; app/lib/security_headers.py): every HTML response
carries the CSP and framing, sniffing and referrer headers; authenticated pages and
fragments are never stored; the templates hold no inline script, handler or style."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.lib.security_headers import CONTENT_SECURITY_POLICY

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def assert_html_headers(r: Any) -> None:
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == EXPECTED_CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"


def test_the_policy_is_the_documented_one_without_unsafe_inline() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/login", "/register", "/login?next=/entries"])
def test_public_pages_carry_every_header(anon_client: Any, path: str) -> None:
    r = anon_client.get(path)
    assert r.status_code == 200
    assert_html_headers(r)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/entries",
        "/projects",
        "/goals",
        "/rules",
        "/import",
        "/export",
        "/settings",
        "/dashboard/productivity?period=7",
        "/dashboard/productivity/fragments/summary?period=7",
        "/dashboard/productivity/fragments/heatmap?period=30",
    ],
)
def test_authenticated_pages_and_fragments_carry_every_header_and_no_store(make_user: Any, path: str) -> None:
    u = make_user()
    r = u.client.get(path, headers={"HX-Request": "true"} if "/fragments/" in path else {})
    assert r.status_code == 200, r.text[:300]
    assert_html_headers(r)


def test_error_pages_and_the_routers_own_404_carry_the_headers(make_user: Any, anon_client: Any) -> None:
    u = make_user()
    missing = u.client.get("/no-such-page")
    assert missing.status_code == 404
    assert_html_headers(missing)
    other = u.client.get("/entries/999999999/edit")
    assert other.status_code == 404
    assert_html_headers(other)


def test_a_redirect_to_login_is_not_cached_either(anon_client: Any) -> None:
    r = anon_client.get("/entries", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["x-content-type-options"] == "nosniff"


def test_json_with_credentials_is_no_store_and_nosniff(make_user: Any) -> None:
    u = make_user()
    r = u.api("GET", "/api/projects")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in r.headers  # not a document; only HTML needs it
    stats = u.api("GET", "/api/productivity/stats?period=7")
    assert stats.headers["cache-control"] == "no-store"  # replaces the handler's "private, no-store"


def test_static_files_keep_their_caching_and_get_nosniff(anon_client: Any) -> None:
    r = anon_client.get("/static/js/app.js")
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in r.headers.get("cache-control", "")


def test_csv_exports_are_no_store(make_user: Any) -> None:
    u = make_user()
    r = u.api("GET", "/api/export/entries.csv")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"


# ------------------------------------------------------------------ the templates themselves

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<style\b|\sstyle\s*=|\shx-on[:-]|javascript:", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.j2")))
def test_no_template_has_inline_script_handler_or_style(template: str) -> None:
    """The CSP allows no inline code or style; a JSON data block is not code."""
    text = (TEMPLATES / template).read_text()
    assert not INLINE_SCRIPT.findall(text)
    assert not HANDLER.findall(text)
    assert not STYLE.findall(text)


def test_htmx_is_told_not_to_inject_its_indicator_style() -> None:
    assert '"includeIndicatorStyles":false' in (TEMPLATES / "base.html.j2").read_text()
