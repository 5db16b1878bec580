"""The /rules page (placeholder)."""

from __future__ import annotations

from litestar import Controller


class RulesPages(Controller):
    include_in_schema = False
    path = "/rules"
