"""`Database.quick_read`: a search's short read on the event loop's thread (a SQLite file) reads what a pooled read
reads, and is the pooled read itself elsewhere."""

from __future__ import annotations

from sqlalchemy import insert, text

from core.storage.database import Database
from core.storage.schema import members

NAMES = "SELECT id FROM members WHERE id LIKE :prefix ORDER BY id"


async def test_it_reads_what_a_pooled_read_reads(database: str) -> None:
    db = await Database(database).open()
    try:
        await db.execute(insert(members), [{"id": f"console:q{i}", "created_at": "now"} for i in range(3)])
        quick = await db.quick_read(NAMES, {"prefix": "console:q%"})
        pooled = await db.fetchall(text(NAMES), {"prefix": "console:q%"})
        assert [dict(r) for r in pooled] == quick == [{"id": f"console:q{i}"} for i in range(3)]
        assert db.reads_inline == (db.dialect == "sqlite")
    finally:
        await db.close()


async def test_a_private_memory_database_reads_through_its_one_connection() -> None:
    db = await Database(":memory:").open()
    try:
        assert not db.reads_inline
        await db.execute(insert(members), {"id": "console:m", "created_at": "now"})
        assert await db.quick_read(NAMES, {"prefix": "console:%"}) == [{"id": "console:m"}]
    finally:
        await db.close()
