"""The schema scripts SQLite databases were built with before migrations moved to SQLAlchemy: tests build
such old files to show they upgrade in place."""

# The raw-SQL migrations 1–4 that SQLite databases made before the move to SQLAlchemy were built with (git show
# 96c02f1:core/storage/migrations.py), verbatim: a database someone has on disk today.
RAW_MIGRATIONS_1_TO_4 = [
    """
    CREATE TABLE communities (
        id                   TEXT PRIMARY KEY,
        name                 TEXT NOT NULL DEFAULT '',
        channel_id           TEXT,
        post_time            TEXT NOT NULL DEFAULT '09:00',
        timezone             TEXT NOT NULL DEFAULT 'UTC',
        reveal_delay_minutes INTEGER NOT NULL DEFAULT 720 CHECK (reveal_delay_minutes >= 0),
        tag_filter           TEXT NOT NULL DEFAULT '',
        admin_role           TEXT,
        created_at           TEXT NOT NULL
    );
    CREATE TABLE members (
        id           TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        timezone     TEXT,
        created_at   TEXT NOT NULL
    );
    CREATE TABLE questions (
        id           TEXT PRIMARY KEY,
        community_id TEXT,
        step         TEXT NOT NULL,
        system       TEXT NOT NULL,
        disciplines  TEXT NOT NULL,
        competency   TEXT NOT NULL,
        body         TEXT NOT NULL,
        imported_at  TEXT NOT NULL
    );
    CREATE INDEX questions_by_community ON questions (community_id);
    CREATE TABLE daily_posts (
        id           INTEGER PRIMARY KEY,
        community_id TEXT NOT NULL REFERENCES communities (id),
        local_date   TEXT NOT NULL,
        question_id  TEXT NOT NULL REFERENCES questions (id),
        cycle        INTEGER NOT NULL DEFAULT 0,
        scheduled_at TEXT NOT NULL,
        reveal_at    TEXT NOT NULL,
        immediate    INTEGER NOT NULL DEFAULT 0,
        announced_at TEXT,
        revealed_at  TEXT,
        UNIQUE (community_id, local_date)
    );
    CREATE TABLE answers (
        post_id     INTEGER NOT NULL REFERENCES daily_posts (id),
        member_id   TEXT NOT NULL,
        choice      TEXT NOT NULL CHECK (choice IN ('A', 'B', 'C', 'D', 'E')),
        correct     INTEGER NOT NULL,
        answered_at TEXT NOT NULL,
        PRIMARY KEY (post_id, member_id)
    );
    CREATE INDEX answers_by_member ON answers (member_id);
    """,
    """
    CREATE TABLE deliveries (
        key         TEXT PRIMARY KEY,
        received_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_by_time ON deliveries (received_at);
    """,
    """
    CREATE TABLE duties (
        id            INTEGER PRIMARY KEY,
        kind          TEXT NOT NULL,
        key           TEXT NOT NULL,
        scope         TEXT NOT NULL,
        platform      TEXT NOT NULL,
        due_at        TEXT NOT NULL,
        payload       TEXT NOT NULL DEFAULT '{}',
        claimed_by    TEXT,
        claimed_until TEXT,
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        outcome       TEXT,
        done_at       TEXT,
        UNIQUE (kind, key)
    );
    CREATE INDEX duties_due ON duties (due_at) WHERE done_at IS NULL;
    CREATE INDEX duties_by_scope ON duties (scope, kind);
    CREATE INDEX duties_done ON duties (done_at) WHERE done_at IS NOT NULL;
    """,
    """
    ALTER TABLE deliveries ADD COLUMN kind TEXT;
    ALTER TABLE deliveries ADD COLUMN body TEXT;
    ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
    ALTER TABLE deliveries ADD COLUMN outcome TEXT;
    ALTER TABLE deliveries ADD COLUMN done_at TEXT;
    UPDATE deliveries SET done_at = received_at, outcome = 'done';
    CREATE INDEX deliveries_unfinished ON deliveries (received_at) WHERE done_at IS NULL;
    """,
]
