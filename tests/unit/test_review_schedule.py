"""The review schedule (core.review.rules, FSRS): a wrong answer brings a question back within a day, a right one
pushes it out to days later, repeated right answers grow the interval, and a lapse brings a well-known question
back the next day again. Pure functions of the instants given: no database, no wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.review.rules import NEW, Schedule, fresh, missed, rated

AT = datetime(2026, 11, 24, 10, tzinfo=UTC)
DAY = timedelta(days=1)


def answered(schedule: Schedule, *correct: bool) -> tuple[Schedule, list[timedelta]]:
    """Answer each time the card falls due; the intervals each answer gave."""
    intervals = []
    for right in correct:
        at = schedule.due
        schedule = rated(schedule, right, at)
        intervals.append(schedule.due - at)
    return schedule, intervals


def test_a_missed_question_comes_back_the_next_day():
    card = missed(AT)
    assert card.due == AT + DAY and card.last_review == AT and card.stability is not None


def test_a_wrong_answer_in_review_brings_it_back_within_a_day():
    _, intervals = answered(missed(AT), False, False)
    assert intervals == [DAY, DAY]


def test_a_right_answer_pushes_it_out_to_days_later_and_repeated_right_answers_grow_the_interval():
    _, intervals = answered(missed(AT), True, True, True, True)
    assert intervals[0] >= 2 * DAY
    assert all(a < b for a, b in zip(intervals, intervals[1:], strict=False)), intervals
    assert intervals[-1] >= 14 * DAY


def test_a_lapse_of_a_well_known_question_brings_it_back_the_next_day_then_grows_again():
    known, _ = answered(missed(AT), True, True, True)
    lapsed, [back] = answered(known, False)
    assert back == DAY
    _, [after] = answered(lapsed, True)
    assert after > DAY


def test_a_card_never_rated_is_due_when_asked_and_a_first_right_answer_gives_days():
    card = fresh(AT)
    assert (card.state, card.due, card.stability) == (NEW, AT, None)
    assert rated(card, True, AT).due - AT >= 2 * DAY


def test_the_same_answers_give_the_same_schedule():
    """No fuzz: every process (and every test run) schedules alike."""
    assert answered(missed(AT), True, False, True) == answered(missed(AT), True, False, True)
