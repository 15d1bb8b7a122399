"""Queueing a notice's recipients, set-wise, while the first ones are already being sent.

The recipients are first read to the end into a temporary table (PostgreSQL: ``COPY``; SQLite:
``executemany``): a file that cannot be read to the end (a line that is not UTF-8, a failing
query) queues nothing. Then they are queued a chunk at a time, each chunk one transaction of a
few set-wise statements (add or refresh the recipients, queue a delivery for each valid address,
record a failed one for each invalid address, cut the new deliveries into batches), so that the
sender can claim the first batches while the database queues the next chunks. Row by row,
PostgreSQL costs a round trip per statement and a million recipients take minutes; set-wise,
the database's time is the index work alone.

Duplicates resolve as a reader of the file expects: the first row of a user or address wins
(the staged rows keep file order in ``position``), and a user or address already queued for the
notice is skipped (``ON CONFLICT DO NOTHING``), counted as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Connection

from notifier.notices import ADDRESSED_CHANNELS
from notifier.recipients import Recipient, address_key, address_problem

# Recipients per chunk: the unit of de-duplication in Python and of a queueing transaction.
LOAD_CHUNK = 2000
_COLUMNS = "position, user_key, user_id, email, locale, address, address_key, problem"
_DROP = "DROP TABLE IF EXISTS staged_recipients"
_CREATE = (
    "CREATE TEMPORARY TABLE staged_recipients (position INTEGER PRIMARY KEY, "
    "user_key VARCHAR(330) NOT NULL, user_id VARCHAR(200), email VARCHAR(320), "
    "locale VARCHAR(35), address VARCHAR(320), address_key VARCHAR(320), problem TEXT)"
)
_UPSERT_RECIPIENTS = (
    "INSERT INTO recipients (user_key, user_id, email, locale, first_seen_at) "
    "SELECT user_key, NULLIF(user_id, ''), email, NULLIF(locale, ''), {now} "
    "FROM staged_recipients WHERE position >= {first} AND position < {end} "
    "ORDER BY position ON CONFLICT (user_key) DO UPDATE SET "
    "email = COALESCE(excluded.email, recipients.email), "
    "locale = COALESCE(excluded.locale, recipients.locale)"
)
_QUEUE = (
    "INSERT INTO deliveries (notice_id, recipient_id, channel, address, address_key, state, "
    "error, created_at, final_at) "
    "SELECT {notice}, r.id, {channel}, s.address, s.address_key, '{state}', {error}, {now}, "
    "{final} FROM staged_recipients s JOIN recipients r ON r.user_key = s.user_key "
    "WHERE s.position >= {first} AND s.position < {end} AND s.problem {valid} '' "
    "ORDER BY s.position ON CONFLICT DO NOTHING"
)

# PostgreSQL does it in one statement: the deliveries join the recipients the upsert returns,
# not the recipients table, which the planner (its statistics as old as the load) would scan
# whole for every chunk, a million rows for the last chunks of a million.
_LOAD_POSTGRESQL = (
    "WITH r AS ("
    + _UPSERT_RECIPIENTS.format(now="%(now)s", first="%(first)s", end="%(end)s")
    + " RETURNING id, user_key), "
    "q AS (INSERT INTO deliveries (notice_id, recipient_id, channel, address, address_key, "
    "state, error, created_at, final_at) "
    "SELECT %(notice)s, r.id, %(channel)s, s.address, s.address_key, "
    "CASE WHEN s.problem = '' THEN 'queued' ELSE 'failed' END, "
    "'invalid address: ' || NULLIF(s.problem, ''), %(now)s, "
    "CASE WHEN s.problem = '' THEN NULL ELSE %(now)s END "
    "FROM staged_recipients s JOIN r ON r.user_key = s.user_key "
    "WHERE s.position >= %(first)s AND s.position < %(end)s "
    "ORDER BY s.position ON CONFLICT DO NOTHING RETURNING state) "
    "SELECT COUNT(*) FILTER (WHERE state = 'queued'), COUNT(*) FILTER (WHERE state = 'failed') "
    "FROM q"
)

# Loaders of one notice and channel take turns (SQLite's writers always do), so that the ids a
# load queues come after every batch already cut for that notice and channel.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('queue ' || %s, %s))"
# The deliveries queued after the last batch cut, in id order, numbered into batches. They are
# read as a range of the primary key, its bounds given as values: PostgreSQL, its statistics as
# old as the load, would otherwise read the whole table for every chunk ("+ 0": SQLite would
# read all of the notice's deliveries through the index on the notice, and sort them). Until
# the last chunk is queued, only full batches are cut ({whole}: "HAVING COUNT(*) = size"); the
# rest waits for the next chunk.
_CUT_RANGE = (
    "SELECT (SELECT COALESCE(MAX(b.last_id), 0) FROM batches b "
    "WHERE b.notice_id = {m} AND b.channel = {m}), (SELECT COALESCE(MAX(id), 0) FROM deliveries)"
)
_CUT_BATCHES = (
    "INSERT INTO batches (notice_id, channel, first_id, last_id, size, state, resent) "
    "SELECT {m}, {m}, MIN(id), MAX(id), COUNT(*), 'pending', 0 FROM ("
    "SELECT d.id, (ROW_NUMBER() OVER (ORDER BY d.id) - 1) / {m} AS number FROM deliveries d "
    "WHERE d.id > {m} AND d.id <= {m} "
    "AND d.notice_id + 0 = {m} AND d.channel = {m} AND d.state = 'queued'"
    ") AS queued GROUP BY number {whole} ORDER BY number"
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


@dataclass(frozen=True)
class _StagedChunk:
    first: int  # positions first..end-1
    end: int
    read: int  # rows of the file, duplicates of a user in the chunk included
    valid: int  # staged rows with a valid address


class RecipientIntake:
    """The recipients of one notice and channel, read to the end, then queued chunk by chunk.

    Holds its own connection (the staged rows are in a temporary table of its session): use it
    as a context manager. ``stage`` reads everything; ``queue_next`` queues the next chunk and
    commits it; ``done`` says when every chunk is queued.
    """

    def __init__(
        self,
        connection: Connection,
        notice_id: int,
        channel: str,
        batch_size: int,
        clock: Callable[[], Any],
    ) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.notice_id = notice_id
        self.channel = channel
        self.batch_size = batch_size
        self.clock = clock  # now, as the driver stores it
        self.batches_cut = 0
        self._chunks: list[_StagedChunk] = []
        self._next = 0
        self._queued = 0
        self._valid_left = 0  # valid staged rows of the chunks not yet queued

    def __enter__(self) -> RecipientIntake:
        return self

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        # The connection goes back to the pool: its session, and the temporary table with it,
        # would live on. After an error the session is discarded instead of cleaned.
        if error is None:
            with self.connection.begin():
                self.connection.exec_driver_sql(_DROP)
        else:
            self.connection.invalidate()
        self.connection.close()

    @property
    def done(self) -> bool:
        """Every staged chunk is queued (or nothing was staged yet)."""
        return self._next >= len(self._chunks)

    @property
    def expected(self) -> int:
        """Deliveries this intake queues: those of the chunks queued so far, and the valid
        staged rows of the others (an upper bound: some may turn out to be duplicates)."""
        return self._queued + self._valid_left

    def stage(self, people: Iterable[Recipient]) -> Iterator[int]:
        """Read ``people`` to the end into the temporary table, yielding how many were read so
        far after each chunk. Raises what reading raises, with nothing staged or queued."""
        self._chunks, self._next, self._valid_left = [], 0, 0
        source = iter(people)
        read = 0
        with self.connection.begin(), driver_cursor(self.connection) as cursor:
            cursor.execute(_DROP)
            cursor.execute(_CREATE)
            chunks: list[_StagedChunk] = []
            while chunk := list(islice(source, LOAD_CHUNK)):
                chunks.append(self._stage_chunk(cursor, len(chunks) * LOAD_CHUNK, chunk))
                read += len(chunk)
                yield read
        if not chunks:
            # An empty list still has a last chunk: its cut takes the deliveries that a stopped
            # run queued but left uncut (the rest of its last chunk).
            chunks.append(_StagedChunk(0, 0, 0, 0))
        self._chunks = chunks
        self._valid_left = sum(chunk.valid for chunk in chunks)

    def queue_next(self) -> LoadReport:
        """Queue the next staged chunk and cut its batches, in one committed transaction."""
        chunk = self._chunks[self._next]
        last = self._next == len(self._chunks) - 1
        with self.connection.begin(), driver_cursor(self.connection) as cursor:
            if self.dialect == "postgresql":
                # Loaders of one notice and channel take turns (SQLite's writers always do),
                # so that the ids a load queues come after every batch already cut for them.
                cursor.execute(_LOCK, (self.channel, self.notice_id))
            queued, invalid = self._insert(cursor, chunk.first, chunk.end, self.clock())
            cut = self._cut(cursor, whole_only=not last)
        self._next += 1
        self._queued += queued
        self._valid_left -= chunk.valid
        self.batches_cut += cut
        return LoadReport(chunk.read, queued, chunk.read - queued - invalid, invalid)

    def _stage_chunk(self, cursor: Any, first: int, chunk: list[Recipient]) -> _StagedChunk:
        by_user: dict[str, Recipient] = {}
        for person in chunk:
            by_user.setdefault(person.user_key, person)
        rows = [
            stage_row(first + offset, person, self.channel)
            for offset, person in enumerate(by_user.values())
        ]
        self._stage(cursor, rows)
        valid = sum(1 for row in rows if not row[-1])
        return _StagedChunk(first, first + len(rows), len(chunk), valid)

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

    def _insert(self, cursor: Any, first: int, end: int, now: Any) -> tuple[int, int]:
        """Add the staged recipients of positions first..end-1 and queue their deliveries:
        (queued, invalid)."""
        if self.dialect == "postgresql":
            values = {"notice": self.notice_id, "channel": self.channel, "now": now}
            cursor.execute(_LOAD_POSTGRESQL, {**values, "first": first, "end": end})
            queued, invalid = cursor.fetchone()
            return int(queued), int(invalid)
        upsert = _UPSERT_RECIPIENTS.format(now="?", first="?", end="?")
        self._run(cursor, upsert, (now, first, end))
        queued = self._queue(cursor, first, end, now, valid=True)
        return queued, self._queue(cursor, first, end, now, valid=False)

    def _queue(self, cursor: Any, first: int, end: int, now: Any, *, valid: bool) -> int:
        marker = self._marker
        statement = _QUEUE.format(
            notice=marker,
            channel=marker,
            state="queued" if valid else "failed",
            error="NULL" if valid else "'invalid address: ' || s.problem",
            now=marker,
            final="NULL" if valid else marker,
            first=marker,
            end=marker,
            valid="=" if valid else "<>",
        )
        stamps = (now,) if valid else (now, now)
        return self._run(cursor, statement, (self.notice_id, self.channel, *stamps, first, end))

    def _cut(self, cursor: Any, *, whole_only: bool) -> int:
        """Cut the deliveries queued since the last batch into batches; how many."""
        marker = self._marker
        notice, channel, size = self.notice_id, self.channel, self.batch_size
        cursor.execute(_CUT_RANGE.format(m=marker), (notice, channel))
        after, upto = cursor.fetchone()
        whole = f"HAVING COUNT(*) = {marker}" if whole_only else ""
        statement = _CUT_BATCHES.format(m=marker, whole=whole)
        parameters = (notice, channel, size, after, upto, notice, channel)
        return self._run(cursor, statement, parameters + ((size,) if whole_only else ()))

    @staticmethod
    def _run(cursor: Any, statement: str, parameters: tuple[Any, ...]) -> int:
        cursor.execute(statement, parameters)
        return max(int(cursor.rowcount), 0)
