"""Time comes only from the injected clock: no module outside core/clock.py reads the wall clock, so no date rule
can depend on the day a test happens to run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WALL_CLOCK = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|datetime\.today|date\.today|time\.time|utils\.utcnow)\s*\(")
ALLOWED = {ROOT / "core" / "clock.py"}


def test_only_the_clock_reads_the_wall_clock():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("core", "commands", "bots")
        for path in sorted((ROOT / folder).rglob("*.py")) if path not in ALLOWED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert offenders == [], "read the injected Clock instead:\n" + "\n".join(offenders)


def test_the_rule_catches_a_wall_clock_read():
    assert WALL_CLOCK.search("now = datetime.now(timezone.utc)")
    assert WALL_CLOCK.search("today = date.today()")
    assert WALL_CLOCK.search("age = discord.utils.utcnow() - created")
    assert not WALL_CLOCK.search("now = self.clock.now()")

