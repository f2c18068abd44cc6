"""The streaks benchmark measures real data: its bulk seed writes exactly what StreakStore.record() writes for the same
activity (activity, folded streaks, tallies, value buckets), and boards read from it rank as the rows do."""

from __future__ import annotations

from pathlib import Path

from bench.streaks import check
from core.storage.database import Database


async def test_the_bulk_seed_is_what_record_writes_and_boards_rank_it_as_the_rows_do(tmp_path: Path):
    bulk, recorded = await Database(str(tmp_path / "bulk.db")).open(), await Database(str(tmp_path / "record.db")).open()
    try:
        said = await check(bulk, recorded, members=100, total=1000)  # raises, naming the differences, if any
    finally:
        await bulk.close()
        await recorded.close()
    assert "identical" in said
