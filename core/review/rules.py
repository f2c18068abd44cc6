"""When a question in a member's review queue comes back: FSRS (the `fsrs` package), set for a bot that asks one
question a day. The only place the package is used, so the rest of Rounds sees plain values it can store.

Why these settings, not the package's defaults:
- Learning and relearning steps of one day, not minutes. `/review` counts a card as due until the end of the
  member's day, so a step of ten minutes would bring a missed question straight back, to be answered from the
  explanation just read. A miss comes back the next day; a right answer then graduates to FSRS's own interval.
- No fuzzing: the same answers give the same schedule in every process and every test. Fuzz spreads cards that
  would fall due together; a queue fed at most a question a day is spread already.
Every rating takes its instant from the caller (the injected clock): the package reads the wall clock only for
arguments left out, and none is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler, State

STEP = timedelta(days=1)
SCHEDULER = Scheduler(learning_steps=(STEP,), relearning_steps=(STEP,), enable_fuzzing=False)
NEW = int(State.Learning)  # a card never rated is in FSRS's first learning step


@dataclass(frozen=True)
class Schedule:
    """A card's FSRS memory state and when it is due, as stored."""

    state: int  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: int | None  # the (re)learning step it is on; None in review
    stability: float | None  # None until first rated
    difficulty: float | None
    due: datetime
    last_review: datetime | None = None


def fresh(due: datetime) -> Schedule:
    """A card never rated, due at `due`."""
    return Schedule(NEW, 0, None, None, due)


def rated(schedule: Schedule, correct: bool, at: datetime) -> Schedule:
    """The schedule after an answer at `at`: wrong is Again (back after a step), right is Good (pushed out)."""
    card = Card(card_id=0, state=State(schedule.state), step=schedule.step, stability=schedule.stability,
                difficulty=schedule.difficulty, due=schedule.due, last_review=schedule.last_review)
    after, _ = SCHEDULER.review_card(card, Rating.Good if correct else Rating.Again, review_datetime=at)
    return Schedule(int(after.state), after.step, after.stability, after.difficulty, after.due, after.last_review)


def missed(at: datetime) -> Schedule:
    """A question answered wrong in the daily post at `at`: that answer is the card's first rating (Again)."""
    return rated(fresh(at), False, at)
