"""Loading a chunk of recipients into a notice's queue, set-wise.

A chunk is first written to a temporary table (PostgreSQL: ``COPY``; SQLite: one
``executemany``), then set-wise statements do the work for the whole chunk: add or refresh the
recipients, queue a delivery for each valid address, record a failed delivery for each invalid
one (PostgreSQL: one statement; SQLite: three). Row by row, PostgreSQL costs a round trip per
statement and a million recipients take minutes; set-wise, the database's time is the index
work alone.

Duplicates resolve as a reader of the file expects: the first row of a user or address wins
(the chunk keeps file order in ``position``), and a user or address already queued for the
notice is skipped (``ON CONFLICT DO NOTHING``), counted as a duplicate.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from notifier.notices import ADDRESSED_CHANNELS
from notifier.recipients import Recipient, address_key, address_problem

_COLUMNS = "position, user_key, user_id, email, locale, address, address_key, problem"
_CREATE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS staged_recipients (position INTEGER NOT NULL, "
    "user_key VARCHAR(330) NOT NULL, user_id VARCHAR(200), email VARCHAR(320), "
    "locale VARCHAR(35), address VARCHAR(320), address_key VARCHAR(320), problem TEXT)"
)
# "WHERE true": SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT to parse it.
_UPSERT_RECIPIENTS = (
    "INSERT INTO recipients (user_key, user_id, email, locale, first_seen_at) "
    "SELECT user_key, NULLIF(user_id, ''), email, NULLIF(locale, ''), {now} "
    "FROM staged_recipients WHERE true "
    "ORDER BY position ON CONFLICT (user_key) DO UPDATE SET "
    "email = COALESCE(excluded.email, recipients.email), "
    "locale = COALESCE(excluded.locale, recipients.locale)"
)
_QUEUE = (
    "INSERT INTO deliveries (notice_id, recipient_id, channel, address, address_key, state, "
    "error, created_at, final_at) "
    "SELECT {notice}, r.id, {channel}, s.address, s.address_key, '{state}', {error}, {now}, "
    "{final} FROM staged_recipients s JOIN recipients r ON r.user_key = s.user_key "
    "WHERE s.problem {valid} '' ORDER BY s.position ON CONFLICT DO NOTHING"
)

# PostgreSQL does it in one statement: the deliveries join the recipients the upsert returns,
# not the recipients table, which the planner (its statistics as old as the load) would scan
# whole for every chunk, a million rows for the last chunks of a million.
_LOAD_POSTGRESQL = (
    "WITH r AS (" + _UPSERT_RECIPIENTS.format(now="%(now)s") + " RETURNING id, user_key), "
    "q AS (INSERT INTO deliveries (notice_id, recipient_id, channel, address, address_key, "
    "state, error, created_at, final_at) "
    "SELECT %(notice)s, r.id, %(channel)s, s.address, s.address_key, "
    "CASE WHEN s.problem = '' THEN 'queued' ELSE 'failed' END, "
    "'invalid address: ' || NULLIF(s.problem, ''), %(now)s, "
    "CASE WHEN s.problem = '' THEN NULL ELSE %(now)s END "
    "FROM staged_recipients s JOIN r ON r.user_key = s.user_key "
    "ORDER BY s.position ON CONFLICT DO NOTHING RETURNING state) "
    "SELECT COUNT(*) FILTER (WHERE state = 'queued'), COUNT(*) FILTER (WHERE state = 'failed') "
    "FROM q"
)

# Loaders of one notice and channel take turns (SQLite's writers always do), so that the ids a
# load queues come after every batch already cut for that notice and channel.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('queue ' || %s, %s))"
# The deliveries queued after the last batch cut, in id order, numbered into batches. ("+ 0":
# read them as a range of the primary key, not through an index on the notice, which would read
# all of the notice's deliveries and sort them.)
_CUT_BATCHES = (
    "INSERT INTO batches (notice_id, channel, first_id, last_id, size, state, resent) "
    "SELECT {m}, {m}, MIN(id), MAX(id), COUNT(*), 'pending', 0 FROM ("
    "SELECT d.id, (ROW_NUMBER() OVER (ORDER BY d.id) - 1) / {m} AS number FROM deliveries d "
    "WHERE d.id > (SELECT COALESCE(MAX(b.last_id), 0) FROM batches b "
    "WHERE b.notice_id = {m} AND b.channel = {m}) "
    "AND d.notice_id + 0 = {m} AND d.channel = {m} AND d.state = 'queued'"
    ") AS queued GROUP BY number ORDER BY number"
)


@dataclass(frozen=True)
class LoadReport:
    """What loading recipients for a notice did (a chunk, or the sum of chunks)."""

    read: int = 0
    queued: int = 0
    duplicates: int = 0
    invalid: int = 0

    def __add__(self, other: LoadReport) -> LoadReport:
        return LoadReport(
            self.read + other.read,
            self.queued + other.queued,
            self.duplicates + other.duplicates,
            self.invalid + other.invalid,
        )


def stage_row(position: int, person: Recipient, channel: str) -> tuple[Any, ...]:
    """A staged row: the recipient, and for an e-mail channel its address and any problem."""
    email = person.email.strip() or None
    address = key = None
    problem = ""
    if channel in ADDRESSED_CHANNELS:
        address = person.email.strip()
        problem = address_problem(person.email) or ""
        key = None if problem else address_key(person.email)
    # "" stands for "none" in the columns that are mostly empty: SQLite's driver looks each None
    # up among its adapters (raising and clearing two AttributeErrors), a few thousand
    # instructions per value; the statements read "" back as "none".
    user_id, locale = person.user_id or "", person.locale or ""
    return (position, person.user_key, user_id, email, locale, address, key, problem)


def driver_cursor(connection: Connection) -> closing[Any]:
    """The database driver's own cursor on ``connection``, closed after the block: bulk work
    goes through it, without the SQL layer's cost per statement and per row."""
    return closing(connection.connection.cursor())


def parameter_marker(dialect: str) -> str:
    """How the driver of ``dialect`` marks a parameter in a statement."""
    return "?" if dialect == "sqlite" else "%s"


class ChunkLoader:
    """Loads chunks on one connection of a ledger (``dialect``: ``sqlite`` or ``postgresql``)."""

    def __init__(self, connection: Connection, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect

    def lock(self, notice_id: int, channel: str) -> None:
        """Wait for any other load of this notice and channel to finish (PostgreSQL; SQLite's
        writers take turns anyway)."""
        if self.dialect != "postgresql":
            return
        with driver_cursor(self.connection) as cursor:
            cursor.execute(_LOCK, (channel, notice_id))

    def cut_batches(self, notice_id: int, channel: str, size: int) -> int:
        """Cut the deliveries queued since the last batch into batches of ``size``; how many."""
        statement = _CUT_BATCHES.format(m=self._marker)
        parameters = (notice_id, channel, size, notice_id, channel, notice_id, channel)
        with driver_cursor(self.connection) as cursor:
            return self._run(cursor, statement, parameters)

    def load(self, notice_id: int, channel: str, chunk: list[Recipient], now: Any) -> LoadReport:
        """Queue ``chunk`` for ``notice_id`` on ``channel``; ``now`` as the driver stores it."""
        first: dict[str, Recipient] = {}
        for person in chunk:
            first.setdefault(person.user_key, person)
        rows = [
            stage_row(position, person, channel) for position, person in enumerate(first.values())
        ]
        with driver_cursor(self.connection) as cursor:
            cursor.execute(_CREATE)
            self._stage(cursor, rows)
            queued, invalid = self._insert(cursor, notice_id, channel, now)
            # PostgreSQL: TRUNCATE, not DELETE, which would leave the rows dead in the table
            # (no vacuum visits temporary tables) for every later chunk to read through.
            empty = "TRUNCATE" if self.dialect == "postgresql" else "DELETE FROM"
            cursor.execute(f"{empty} staged_recipients")
        duplicates = len(chunk) - queued - invalid
        return LoadReport(len(chunk), queued, duplicates, invalid)

    @property
    def _marker(self) -> str:
        return parameter_marker(self.dialect)

    def _stage(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        if self.dialect == "postgresql":
            with cursor.copy(f"COPY staged_recipients ({_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        markers = ", ".join("?" * len(_COLUMNS.split(", ")))
        cursor.executemany(f"INSERT INTO staged_recipients ({_COLUMNS}) VALUES ({markers})", rows)

    def _insert(self, cursor: Any, notice_id: int, channel: str, now: Any) -> tuple[int, int]:
        """Add the staged recipients and queue their deliveries: (queued, invalid)."""
        if self.dialect == "postgresql":
            cursor.execute(_LOAD_POSTGRESQL, {"notice": notice_id, "channel": channel, "now": now})
            queued, invalid = cursor.fetchone()
            return int(queued), int(invalid)
        self._run(cursor, _UPSERT_RECIPIENTS.format(now="?"), (now,))
        queued = self._queue(cursor, notice_id, channel, now, valid=True)
        return queued, self._queue(cursor, notice_id, channel, now, valid=False)

    def _queue(self, cursor: Any, notice_id: int, channel: str, now: Any, *, valid: bool) -> int:
        marker = self._marker
        statement = _QUEUE.format(
            notice=marker,
            channel=marker,
            state="queued" if valid else "failed",
            error="NULL" if valid else "'invalid address: ' || s.problem",
            now=marker,
            final="NULL" if valid else marker,
            valid="=" if valid else "<>",
        )
        parameters = (notice_id, channel, now) if valid else (notice_id, channel, now, now)
        return self._run(cursor, statement, parameters)

    @staticmethod
    def _run(cursor: Any, statement: str, parameters: tuple[Any, ...]) -> int:
        cursor.execute(statement, parameters)
        return max(int(cursor.rowcount), 0)
