"""Deleting an account reaches every table (app/db/ownership.py): the owned tables are
derived from the schema, so a new table with a user_id foreign key is covered."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, Table

from app.db.ownership import owned_tables, unowned_tables


def test_every_table_holds_rows_of_a_user_or_is_the_users_table() -> None:
    assert unowned_tables() == set(), (
        "a table nobody owns: give it a user_id foreign key, a foreign key to an owned table, "
        "or a column with info={'owner': 'table.column'}"
    )


def test_children_are_deleted_before_their_parents() -> None:
    order = [o.table.name for o in owned_tables()]
    for entry in owned_tables():
        for _, parent, _ in entry.links:
            assert order.index(entry.table.name) < order.index(parent.name), (entry.table.name, parent.name)
    assert order.index("time_entries") < order.index("tasks") < order.index("projects")
    assert order.index("goal_targets") < order.index("goals")
    assert order.index("import_staging") < order.index("import_jobs")


def test_a_new_table_is_found_through_its_foreign_keys() -> None:
    md = MetaData()
    Table("users", md, Column("id", Integer, primary_key=True))
    Table("boards", md, Column("id", Integer, primary_key=True), Column("owner", ForeignKey("users.id")))
    Table("cards", md, Column("id", Integer, primary_key=True), Column("board_id", ForeignKey("boards.id")))
    Table("card_log", md, Column("id", Integer, primary_key=True),
          Column("card", BigInteger, info={"owner": "cards.id"}))
    Table("lonely", md, Column("id", Integer, primary_key=True))
    names = [(o.table.name, o.depth) for o in owned_tables(md)]
    assert names == [("card_log", 3), ("cards", 2), ("boards", 1)]
    assert unowned_tables(md) == {"lonely"}
