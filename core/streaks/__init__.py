"""Accountability streaks: activity recorded with the zone in force when it happened, one rule deciding the streak."""
