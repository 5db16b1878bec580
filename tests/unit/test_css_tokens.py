"""Every colour of the style sheets is a token (CONTRACT section 7: a theme is only
tokens): outside custom-property definitions no rule names a colour literal, so a dark
theme can never leave a light-only colour behind (docs/ui.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "static" / "css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|\b(?:white|black)\b(?!-)")


def declarations(text: str) -> list[tuple[str, str]]:
    """(selector, declaration) for every declaration of every rule, comments removed."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = []
    for rule in re.finditer(r"([^{}]+)\{([^{}]*)\}", text):
        for declaration in rule.group(2).split(";"):
            declaration = declaration.strip()
            if declaration:
                out.append((rule.group(1).strip(), declaration))
    return out


@pytest.mark.parametrize("sheet", sorted(p.name for p in CSS.glob("*.css")))
def test_no_colour_literal_outside_the_tokens(sheet: str) -> None:
    found = [
        f"{selector} {{ {declaration} }}"
        for selector, declaration in declarations((CSS / sheet).read_text(encoding="utf-8"))
        if not declaration.startswith("--") and COLOUR.search(declaration.split(":", 1)[-1].replace("white-space", ""))
    ]
    assert found == [], f"{sheet}: colours must be tokens (var(--…)): {found}"


def test_the_check_sees_a_literal() -> None:
    rules = declarations(".a { color: #fff; --x: #000; white-space: nowrap } .b { background: rgb(0 0 0) }")
    flagged = [d for _s, d in rules if not d.startswith("--") and COLOUR.search(d.split(":", 1)[-1])]
    assert flagged == ["color: #fff", "background: rgb(0 0 0)"]
