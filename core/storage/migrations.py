"""Versioned schema migrations, the same on SQLite and PostgreSQL: each is a function of Alembic's operations, which
render the DDL in the dialect of the database being upgraded. The version is kept by the database (`user_version`
on SQLite, as before; the `rounds_schema` table on PostgreSQL) and every migration commits with its version bump.

Instants are UTC ISO-8601 text; flags are 0/1 integers. Platform ids are namespaced ('discord:…', 'slack:…',
'console:…') so one database serves every platform.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic.operations import Operations

from core.storage.schema import RowId, resource_document

Migration = Callable[[Operations], None]



def communities_members_questions_posts_answers(op: Operations) -> None:
    """1: communities, members, the question bank, daily posts and answers."""
    op.create_table(
        "communities",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("channel_id", sa.Text),
        sa.Column("post_time", sa.Text, nullable=False, server_default="09:00"),
        sa.Column("timezone", sa.Text, nullable=False, server_default="UTC"),
        sa.Column("reveal_delay_minutes", sa.Integer, nullable=False, server_default="720"),
        sa.Column("tag_filter", sa.Text, nullable=False, server_default=""),
        sa.Column("admin_role", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.CheckConstraint("reveal_delay_minutes >= 0"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("display_name", sa.Text, nullable=False, server_default=""),
        sa.Column("timezone", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("community_id", sa.Text),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("disciplines", sa.Text, nullable=False),
        sa.Column("competency", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("imported_at", sa.Text, nullable=False),
    )
    op.create_index("questions_by_community", "questions", ["community_id"])
    op.create_table(
        "daily_posts",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("local_date", sa.Text, nullable=False),
        sa.Column("question_id", sa.Text, sa.ForeignKey("questions.id"), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False, server_default="0"),
        sa.Column("scheduled_at", sa.Text, nullable=False),
        sa.Column("reveal_at", sa.Text, nullable=False),
        sa.Column("immediate", sa.Integer, nullable=False, server_default="0"),
        sa.Column("announced_at", sa.Text),
        sa.Column("revealed_at", sa.Text),
        sa.UniqueConstraint("community_id", "local_date"),
    )
    op.create_table(
        "answers",
        sa.Column("post_id", RowId, sa.ForeignKey("daily_posts.id"), primary_key=True),
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("choice", sa.Text, nullable=False),
        sa.Column("correct", sa.Integer, nullable=False),
        sa.Column("answered_at", sa.Text, nullable=False),
        sa.CheckConstraint("choice IN ('A', 'B', 'C', 'D', 'E')"),
    )
    op.create_index("answers_by_member", "answers", ["member_id"])


def deliveries(op: Operations) -> None:
    """2: inbound deliveries claimed once (a platform's retry of an event or interaction must never count twice)."""
    op.create_table(
        "deliveries",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("received_at", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("deliveries_by_time", "deliveries", ["received_at"])


def duties(op: Operations) -> None:
    """3: duties: every timed effect (a daily post, a reveal, a reminder) is a row with a due instant and a lease."""
    op.create_table(
        "duties",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("due_at", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_until", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("outcome", sa.Text),
        sa.Column("done_at", sa.Text),
        sa.UniqueConstraint("kind", "key"),
    )
    pending, done = sa.text("done_at IS NULL"), sa.text("done_at IS NOT NULL")
    op.create_index("duties_due", "duties", ["due_at"], sqlite_where=pending, postgresql_where=pending)
    op.create_index("duties_by_scope", "duties", ["scope", "kind"])
    op.create_index("duties_done", "duties", ["done_at"], sqlite_where=done, postgresql_where=done)


def deliveries_inbox(op: Operations) -> None:
    """4: the inbox: a delivery is recorded with what it takes to run it (its kind and body) before the platform gets
    its ack, and marked done once handled, so deliveries a crash interrupted can be run again at start-up. The lease
    says until when the process that took it is presumed at work on it. Claims recorded before this version were
    handled as they came: they are done."""
    for column in (sa.Column("kind", sa.Text), sa.Column("body", sa.Text),
                   sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
                   sa.Column("lease_until", sa.Text), sa.Column("outcome", sa.Text), sa.Column("done_at", sa.Text)):
        op.add_column("deliveries", column)
    op.execute("UPDATE deliveries SET done_at = received_at, outcome = 'done'")
    unfinished = sa.text("done_at IS NULL")
    op.create_index("deliveries_unfinished", "deliveries", ["received_at"], sqlite_where=unfinished,
                    postgresql_where=unfinished)


def answer_change_window(op: Operations) -> None:
    """5: a first answer may be changed for a few seconds (a mis-tap undone): `change_until` is when that window
    closes (answers from before have none: they stand), `changed_at` when the answer was last changed."""
    op.add_column("answers", sa.Column("change_until", sa.Text))
    op.add_column("answers", sa.Column("changed_at", sa.Text))


def question_reports(op: Operations) -> None:
    """6: members' reports of a problem with a question: at most one open report per member and question in a
    community (reporting again updates it); resolving closes them all, so a later report opens a new one."""
    op.create_table(
        "question_reports",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("question_id", sa.Text, nullable=False),
        sa.Column("post_id", RowId, sa.ForeignKey("daily_posts.id"), nullable=False),
        sa.Column("member_id", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("reported_at", sa.Text, nullable=False),
        sa.Column("resolved_at", sa.Text),
    )
    still_open = sa.text("resolved_at IS NULL")
    op.create_index("question_reports_open", "question_reports", ["community_id", "question_id", "member_id"],
                    unique=True, sqlite_where=still_open, postgresql_where=still_open)
    op.create_index("question_reports_by_community", "question_reports", ["community_id", "reported_at"],
                    sqlite_where=still_open, postgresql_where=still_open)


def ping_role(op: Operations) -> None:
    """7: a role to ping when the daily question posts (none: the post pings nobody)."""
    op.add_column("communities", sa.Column("ping_role", sa.Text))


def retired_questions(op: Operations) -> None:
    """8: a community's question removed after a daily post showed it is retired, not deleted: the post and its
    answers keep pointing at it, and it is never picked again."""
    op.add_column("questions", sa.Column("retired_at", sa.Text))


def streaks(op: Operations) -> None:
    """9: accountability streaks. Every activity keeps its instant, the zone in force then and the local day that
    made (the day never moves when the member later changes zone). `streaks` holds each member's folded streak and
    `tallies` their counts per period ('all', 'W2026-49', 'M2026-12'), so a leaderboard reads an index, never the
    activity: the board indexes are in its order (value descending, then member) and cover what it filters on; the
    streaks board holds only streaks with an expiry (writes clear the expiry of those that ran out). `streak_values`
    and `tally_values` count the members holding each value of a board, so a rank or a board's size adds up a few
    buckets instead of counting members. A member's rollover hour; a community's weekly recap; one live leaderboard
    message per community."""
    op.add_column("members", sa.Column("rollover_hour", sa.Integer, nullable=False, server_default="0"))
    op.add_column("communities", sa.Column("recap_weekday", sa.Integer, nullable=False, server_default="6"))
    op.add_column("communities", sa.Column("recap_time", sa.Text))  # None: no weekly recap
    op.create_table(
        "activity",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, nullable=False),
        sa.Column("member_id", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("zone", sa.Text, nullable=False),
        sa.Column("local_day", sa.Text, nullable=False),
        sa.Column("questions", sa.Integer, nullable=False, server_default="0"),
        sa.Column("minutes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("ref", sa.Text),  # what the activity was about, once ('post:12'); None: each one counts
    )
    op.create_index("activity_by_member", "activity", ["community_id", "member_id", "local_day"])
    has_ref = sa.text("ref IS NOT NULL")
    op.create_index("activity_once", "activity", ["community_id", "member_id", "source", "ref"], unique=True,
                    sqlite_where=has_ref, postgresql_where=has_ref)
    op.create_index("activity_by_day", "activity", ["community_id", "local_day"])
    op.create_table(
        "streaks",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("current", sa.Integer, nullable=False, server_default="0"),
        sa.Column("longest", sa.Integer, nullable=False, server_default="0"),
        sa.Column("freezes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_day", sa.Text),
        sa.Column("frozen", sa.Text, nullable=False, server_default=""),
        sa.Column("expires_at", sa.Text),
        sa.Column("nudge", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    expiring = sa.text("expires_at IS NOT NULL")  # a write clears the expiry of streaks that ran out
    op.create_index("streaks_board", "streaks",
                    ["community_id", sa.desc(sa.column("current")), "member_id", "expires_at"],
                    sqlite_where=expiring, postgresql_where=expiring)
    op.create_index("streaks_expiring", "streaks", ["community_id", "expires_at"],
                    sqlite_where=expiring, postgresql_where=expiring)
    op.create_table(
        "streak_values",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("expires_at", sa.Text, primary_key=True),
        sa.Column("current", sa.Integer, primary_key=True),
        sa.Column("members", sa.Integer, nullable=False),  # streaks of this length that run out at this instant
    )
    op.create_table(
        "tallies",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("tallies_by_days", "tallies",
                    ["community_id", "period", "source", sa.desc(sa.column("days")), "member_id"])
    op.create_index("tallies_by_count", "tallies",
                    ["community_id", "period", "source", sa.desc(sa.column("count")), "member_id"])
    op.create_table(
        "tally_values",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("metric", sa.Text, primary_key=True),  # the tally column counted: 'days' or 'count'
        sa.Column("value", sa.Integer, primary_key=True),
        sa.Column("members", sa.Integer, nullable=False),  # members whose tally has this value
    )
    op.create_table(
        "live_boards",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("channel_id", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("refreshed_at", sa.Text),
    )


def study_sessions(op: Operations) -> None:
    """10: study sessions. A session keeps its first start as an instant and as the author's wall time in their zone
    (a weekly one keeps that wall time across DST), the weeks cancelled alone, and `next_at`, the start of its
    occurrence now next or in progress (None once it is over or cancelled), which the sweep that plans the
    occurrences' duties reads by index. Its number counts up within its community (`#3`). One RSVP per member and
    session (a waiting member is on the waitlist, in the order they pressed); attendance per occurrence; a member's
    reminder lead time; the permissions an admin was told the bot lacks (told once)."""
    op.add_column("members", sa.Column("remind_minutes", sa.Integer))  # None: the default lead time
    op.create_table(
        "sessions",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("author_id", sa.Text, nullable=False),
        sa.Column("channel_id", sa.Text),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("starts_at", sa.Text, nullable=False),
        sa.Column("wall", sa.Text, nullable=False),
        sa.Column("zone", sa.Text, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("capacity", sa.Integer),
        sa.Column("link", sa.Text),
        sa.Column("weekly", sa.Integer, nullable=False, server_default="0"),
        sa.Column("excluded", sa.Text, nullable=False, server_default=""),
        sa.Column("next_at", sa.Text),
        sa.Column("message_id", sa.Text),
        sa.Column("thread_id", sa.Text),
        sa.Column("event_id", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("cancelled_at", sa.Text),
        sa.UniqueConstraint("community_id", "number"),
        sa.CheckConstraint("minutes BETWEEN 15 AND 480"),
    )
    op.create_index("sessions_next", "sessions", ["next_at"])
    op.create_index("sessions_upcoming", "sessions", ["community_id", "next_at"])
    op.create_table(
        "rsvps",
        sa.Column("session_id", RowId, sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("answered_at", sa.Text, nullable=False),
        sa.CheckConstraint("status IN ('going', 'maybe', 'cant', 'waiting')"),
    )
    op.create_index("rsvps_by_status", "rsvps", ["session_id", "status", "answered_at"])
    op.create_index("rsvps_by_member", "rsvps", ["member_id", "status"])
    op.create_table(
        "attendance",
        sa.Column("session_id", RowId, sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("occurrence", sa.Text, primary_key=True),
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
    )
    op.create_table(
        "permission_notices",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("permission", sa.Text, primary_key=True),
        sa.Column("told_at", sa.Text, nullable=False),
    )


def resource_library(op: Operations) -> None:
    """11: the resource library. Entries (bundled ones under community '' and each community's approved ones) with
    their words in four columns the full-text engine weighs: title, aliases, tags, answer; the words typos are
    corrected to; the digest of the bundled entries last synced; members' suggestions numbered per community; helpful
    marks (one per member and entry in a community); roadmap ticks. The full-text index is each engine's own: an
    FTS5 table kept in step by triggers on SQLite (and an FTS5 trigram table over the words), a GIN index on the
    weighted tsvector and a pg_trgm index on the words on PostgreSQL."""
    op.create_table(
        "resources",
        sa.Column("key", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, nullable=False),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("title_terms", sa.Text, nullable=False),
        sa.Column("alias_terms", sa.Text, nullable=False),
        sa.Column("tag_terms", sa.Text, nullable=False),
        sa.Column("answer_terms", sa.Text, nullable=False),
        sa.Column("author_id", sa.Text),
        sa.Column("added_at", sa.Text, nullable=False),
        sa.UniqueConstraint("community_id", "id"),
    )
    op.create_index("resources_by_author", "resources", ["author_id"])
    op.create_table(
        "resource_words",
        sa.Column("key", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, nullable=False),
        sa.Column("word", sa.Text, nullable=False),
        sa.UniqueConstraint("community_id", "word"),
    )
    op.create_table(
        "resource_library",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.Text, nullable=False),
    )
    op.create_table(
        "resource_suggestions",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("author_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.Text),
        sa.Column("resource_id", sa.Text),
        sa.UniqueConstraint("community_id", "number"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')"),
    )
    op.create_index("resource_suggestions_by_status", "resource_suggestions", ["community_id", "status", "number"])
    op.create_index("resource_suggestions_by_author", "resource_suggestions", ["author_id"])
    op.create_table(
        "resource_marks",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("resource_id", sa.Text, primary_key=True),
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("marked_at", sa.Text, nullable=False),
    )
    op.create_index("resource_marks_by_member", "resource_marks", ["member_id"])
    op.create_table(
        "roadmap_ticks",
        sa.Column("community_id", sa.Text, primary_key=True),
        sa.Column("member_id", sa.Text, primary_key=True),
        sa.Column("step", sa.Text, primary_key=True),
        sa.Column("ticked_at", sa.Text, nullable=False),
    )
    op.create_index("roadmap_ticks_by_member", "roadmap_ticks", ["member_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for statement in _POSTGRES_SEARCH:
            op.execute(statement)
        return
    for statement in _SQLITE_SEARCH:
        op.execute(statement)


_POSTGRES_SEARCH = (
    "CREATE TABLE resource_fts (key BIGINT PRIMARY KEY REFERENCES resources (key) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    "CREATE INDEX resource_fts_document ON resource_fts USING gin (document)",
    "CREATE FUNCTION resource_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"INSERT INTO resource_fts (key, document) VALUES (NEW.key, {resource_document('NEW')}) "
    "ON CONFLICT (key) DO UPDATE SET document = EXCLUDED.document; RETURN NULL; END $$",
    "CREATE TRIGGER resources_indexed AFTER INSERT OR UPDATE ON resources FOR EACH ROW "
    "EXECUTE FUNCTION resource_fts_sync()",
    "CREATE INDEX resource_words_trigrams ON resource_words USING gin (word gin_trgm_ops)",
)
_COLUMNS = "title_terms, alias_terms, tag_terms, answer_terms"
_SQLITE_SEARCH = (
    f"CREATE VIRTUAL TABLE resource_fts USING fts5({_COLUMNS}, content='resources', content_rowid='key', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER resources_indexed AFTER INSERT ON resources BEGIN "
    f"INSERT INTO resource_fts (rowid, {_COLUMNS}) VALUES (new.key, new.title_terms, new.alias_terms, new.tag_terms, "
    "new.answer_terms); END",
    f"CREATE TRIGGER resources_unindexed AFTER DELETE ON resources BEGIN "
    f"INSERT INTO resource_fts (resource_fts, rowid, {_COLUMNS}) VALUES ('delete', old.key, old.title_terms, "
    "old.alias_terms, old.tag_terms, old.answer_terms); END",
    f"CREATE TRIGGER resources_reindexed AFTER UPDATE ON resources BEGIN "
    f"INSERT INTO resource_fts (resource_fts, rowid, {_COLUMNS}) VALUES ('delete', old.key, old.title_terms, "
    "old.alias_terms, old.tag_terms, old.answer_terms); "
    f"INSERT INTO resource_fts (rowid, {_COLUMNS}) VALUES (new.key, new.title_terms, new.alias_terms, new.tag_terms, "
    "new.answer_terms); END",
    "CREATE VIRTUAL TABLE resource_fts_words USING fts5(word, content='resource_words', content_rowid='key', "
    "tokenize='trigram')",
    "CREATE TRIGGER resource_words_indexed AFTER INSERT ON resource_words BEGIN "
    "INSERT INTO resource_fts_words (rowid, word) VALUES (new.key, new.word); END",
    "CREATE TRIGGER resource_words_unindexed AFTER DELETE ON resource_words BEGIN "
    "INSERT INTO resource_fts_words (resource_fts_words, rowid, word) VALUES ('delete', old.key, old.word); END",
)


def review_cards(op: Operations) -> None:
    """12: each member's spaced-review queue, a card per (community, member, question) holding its FSRS state and
    due instant, indexed for "due before the end of my day". The wrong answers given before this version enter it
    as cards never rated, due from when they were given (once per question, however many posts showed it)."""
    op.create_table(
        "review_cards",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.Text, nullable=False),
        sa.Column("member_id", sa.Text, nullable=False),
        sa.Column("question_id", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("post_id", RowId),
        sa.Column("state", sa.Integer, nullable=False),
        sa.Column("step", sa.Integer),
        sa.Column("stability", sa.Float),
        sa.Column("difficulty", sa.Float),
        sa.Column("due_at", sa.Text, nullable=False),
        sa.Column("last_review_at", sa.Text),
        sa.Column("reviews", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lapses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("added_at", sa.Text, nullable=False),
        sa.UniqueConstraint("community_id", "member_id", "question_id"),
        sa.CheckConstraint("origin IN ('missed', 'asked')"),
    )
    op.create_index("review_cards_due", "review_cards", ["community_id", "member_id", "due_at"])
    op.create_index("review_cards_by_member", "review_cards", ["member_id"])
    op.execute(sa.text(
        "INSERT INTO review_cards (community_id, member_id, question_id, origin, post_id, state, step, due_at, "
        "reviews, lapses, added_at) "
        "SELECT p.community_id, a.member_id, p.question_id, 'missed', MIN(p.id), 1, 0, MIN(a.answered_at), 0, 0, "
        "MIN(a.answered_at) FROM answers a JOIN daily_posts p ON p.id = a.post_id "
        "WHERE a.correct = 0 AND a.member_id NOT LIKE 'erased:%' "
        "GROUP BY p.community_id, a.member_id, p.question_id"))


MIGRATIONS: list[Migration] = [
    communities_members_questions_posts_answers,
    deliveries,
    duties,
    deliveries_inbox,
    answer_change_window,
    question_reports,
    ping_role,
    retired_questions,
    streaks,
    study_sessions,
    resource_library,
    review_cards,
]
