"""Which rows belong to a user, derived from the schema (account deletion, docs/setup.md).

A table's rows belong to a user when the table

- has a foreign key to `users.id` (directly owned), or
- has a foreign key to a table whose rows belong to a user (children: goal targets of a
  goal), or
- has a column whose `info["owner"]` names such a table's column ("import_jobs.id") —
  for the few links kept without a foreign key (staged import rows).

Nothing here lists tables by name, so a new table with a `user_id` foreign key is deleted
with its account without anyone remembering to add it. `unowned_tables()` names every
table the rules do not reach; tests/unit/test_ownership.py keeps that set empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import ColumnElement, MetaData, Table, delete, false, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User

USERS = cast(Table, User.__table__).name


@dataclass
class _Owned:
    table: Table
    direct: list[str] = field(default_factory=list)  # columns that hold the user's id
    # (child columns, parent table, parent columns): the row belongs to the parent row's user
    links: list[tuple[list[str], Table, list[str]]] = field(default_factory=list)
    depth: int = 1


def _metadata() -> MetaData:
    return User.metadata


def _owner_links(table: Table, tables: dict[str, Table]) -> list[tuple[list[str], Table, list[str]]]:
    links: list[tuple[list[str], Table, list[str]]] = []
    for fk in table.foreign_key_constraints:
        parent = fk.referred_table
        if parent.name == USERS:
            continue
        links.append(([c.name for c in fk.columns], parent, [e.column.name for e in fk.elements]))
    for column in table.columns:
        owner = column.info.get("owner")
        if isinstance(owner, str):
            parent_name, _, parent_column = owner.partition(".")
            links.append(([column.name], tables[parent_name], [parent_column]))
    return links


def owned_tables(metadata: MetaData | None = None) -> list[_Owned]:
    """Every table whose rows belong to a user, deepest children first (the delete order)."""
    metadata = metadata or _metadata()
    tables = {t.name: t for t in metadata.sorted_tables}
    owned: dict[str, _Owned] = {}
    for table in tables.values():
        direct = [
            fk.columns[0].name
            for fk in table.foreign_key_constraints
            if fk.referred_table.name == USERS and len(fk.columns) == 1
        ]
        if direct and table.name != USERS:
            owned[table.name] = _Owned(table, direct=direct)
    for _ in range(len(tables) + 1):  # children of owned tables, to a fixed point (depth = longest chain)
        changed = False
        for table in tables.values():
            if table.name == USERS:
                continue
            links = [link for link in _owner_links(table, tables) if link[1].name in owned]
            if not links:
                continue
            depth = 1 + max(owned[parent.name].depth for _, parent, _ in links)
            entry = owned.get(table.name)
            if entry is None:
                owned[table.name] = _Owned(table, links=links, depth=depth)
                changed = True
            elif depth > entry.depth or len(links) != len(entry.links):
                entry.links, entry.depth = links, max(depth, entry.depth)
                changed = True
        if not changed:
            break
    return sorted(owned.values(), key=lambda o: (-o.depth, o.table.name))


def unowned_tables(metadata: MetaData | None = None) -> set[str]:
    """Tables that hold no user's rows by the rules above (should be none but `users`)."""
    metadata = metadata or _metadata()
    return {t.name for t in metadata.sorted_tables} - {o.table.name for o in owned_tables(metadata)} - {USERS}


def owner_condition(entry: _Owned, user_id: int, by_name: dict[str, _Owned]) -> ColumnElement[bool]:
    """SQL that is true for the rows of `entry.table` that belong to `user_id`."""
    table = entry.table
    if entry.direct:
        return or_(*(table.c[name] == user_id for name in entry.direct))
    paths: list[ColumnElement[bool]] = []
    for columns, parent, parent_columns in entry.links:
        parent_rows = select(*(parent.c[c] for c in parent_columns)).where(
            owner_condition(by_name[parent.name], user_id, by_name)
        )
        if len(columns) == 1:
            paths.append(table.c[columns[0]].in_(parent_rows))
        else:
            paths.append(tuple_(*(table.c[c] for c in columns)).in_(parent_rows))
    return or_(*paths) if paths else false()


async def delete_user_rows(db: AsyncSession, user_id: int) -> dict[str, int]:
    """Delete every row the user owns in every table, then the user; returns rows per table.

    Run inside the user's unit of work (app/db/uow.py), so no write of this user
    interleaves. Children go first, so no foreign key (cascading or not) is in the way.
    """
    entries = owned_tables()
    by_name = {o.table.name: o for o in entries}
    counts: dict[str, int] = {}
    for entry in entries:
        result = await db.execute(
            delete(entry.table)
            .where(owner_condition(entry, user_id, by_name))
            .execution_options(synchronize_session=False)
        )
        counts[entry.table.name] = int(getattr(result, "rowcount", 0) or 0)
    users = cast(Table, User.__table__)
    result = await db.execute(delete(users).where(users.c.id == user_id).execution_options(synchronize_session=False))
    counts[USERS] = int(getattr(result, "rowcount", 0) or 0)
    return counts
