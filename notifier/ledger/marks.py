"""Reading users' in-app marks (seen, acknowledged) on the notice API's hot path.

Every page view of every signed-in user asks ``GET /v1/notices``, so this read is the API's cost.
Through SQLAlchemy and a worker thread it took 0.5 ms (SQLite) to 2.4 ms (PostgreSQL) a request,
nearly all of it outside the database. These readers talk to the driver directly:

* SQLite: one read-only connection used in the event loop itself. An indexed read takes about
  15 microseconds, less than handing the work to a thread would.
* PostgreSQL: psycopg's asynchronous connection, and the reads of requests that arrive while a
  query is on its way are coalesced into the next query (``user_key = ANY(...)``), so a busy
  server makes one round trip for many requests instead of one each.

Writes (the marks themselves) go through :mod:`notifier.ledger.inapp`; :func:`read_marks`
is the same read for synchronous callers, so the query is written once.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from typing import Protocol

import psycopg
from sqlalchemy import Connection, text

from notifier.ledger.store import LedgerError, NoticeLedger
from notifier.notices import INAPP

Marks = Mapping[int, frozenset[str]]  # notice id -> kinds of mark
NO_MARKS: Marks = {}

_QUERY = (
    "SELECT r.user_key, d.notice_id, e.kind FROM recipients r "
    "JOIN deliveries d ON d.recipient_id = r.id "
    "JOIN events e ON e.delivery_id = d.id "
    f"WHERE d.channel = '{INAPP}' AND r.user_key "
)


class MarkReader(Protocol):
    """Reads the marks of one user."""

    async def marks(self, user_key: str) -> Marks:
        """The user's marks per notice id."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


def open_mark_reader(ledger: NoticeLedger) -> MarkReader:
    """The reader that fits the ledger's database (connections are opened on first use, in
    the event loop that uses them)."""
    url = ledger.engine.url
    if ledger.dialect == "sqlite":
        return SqliteMarkReader(url.database or ":memory:")
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresMarkReader(conninfo, safe_name=url.render_as_string(hide_password=True))


def read_marks(connection: Connection, user_key: str) -> Marks:
    """The user's marks, through SQLAlchemy (for callers outside an event loop)."""
    rows = connection.execute(text(_QUERY + "= :user_key"), {"user_key": user_key}).all()
    return _group([(str(r[0]), int(r[1]), str(r[2])) for r in rows]).get(user_key, NO_MARKS)


def _group(rows: list[tuple[str, int, str]]) -> dict[str, Marks]:
    found: dict[str, dict[int, set[str]]] = {}
    for user_key, notice_id, kind in rows:
        found.setdefault(user_key, {}).setdefault(int(notice_id), set()).add(kind)
    return {
        user: {notice: frozenset(kinds) for notice, kinds in marks.items()}
        for user, marks in found.items()
    }


class SqliteMarkReader:
    """Reads in the event loop (see the module docstring) through a read-only connection."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.connection: sqlite3.Connection | None = None

    async def marks(self, user_key: str) -> Marks:
        try:
            rows = self._connect().execute(_QUERY + "= ?", (user_key,)).fetchall()
        except sqlite3.Error as exc:
            self.connection = None
            raise LedgerError(
                "cannot read the ledger", where=self.database, fix=f"Check the database ({exc})."
            ) from None
        return _group(rows).get(user_key, NO_MARKS)

    def _connect(self) -> sqlite3.Connection:
        if self.connection is None:
            # Autocommit: every read sees the marks committed so far by the API's writers.
            self.connection = sqlite3.connect(
                self.database, isolation_level=None, check_same_thread=False
            )
            self.connection.execute("PRAGMA query_only=1")
            self.connection.execute("PRAGMA busy_timeout=5000")
        return self.connection

    async def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class PostgresMarkReader:
    """One asynchronous connection; requests waiting together share a query."""

    def __init__(self, conninfo: str, *, safe_name: str) -> None:
        self.conninfo = conninfo
        self.safe_name = safe_name  # without the password, for messages
        self.connection: psycopg.AsyncConnection[tuple[str, int, str]] | None = None
        self.waiting: dict[str, list[asyncio.Future[Marks]]] = {}
        self.draining: asyncio.Task[None] | None = None

    async def marks(self, user_key: str) -> Marks:
        future: asyncio.Future[Marks] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(user_key, []).append(future)
        if self.draining is None or self.draining.done():
            self.draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, {}
            try:
                found = _group(await self._query(list(batch)))
            except (psycopg.Error, OSError) as exc:
                await self._discard_connection()
                _fail(batch, self._unreadable(exc))
                continue
            _settle(batch, found)

    def _unreadable(self, exc: Exception) -> LedgerError:
        return LedgerError(
            "cannot read the ledger",
            where=self.safe_name,
            fix=f"Check that PostgreSQL is reachable ({exc.__class__.__name__}).",
        )

    async def _query(self, users: list[str]) -> list[tuple[str, int, str]]:
        if self.connection is None or self.connection.closed:
            self.connection = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        cursor = await self.connection.execute(_QUERY + "= ANY(%s)", (users,), prepare=True)
        return await cursor.fetchall()

    async def _discard_connection(self) -> None:
        if self.connection is not None:
            try:
                await self.connection.close()
            finally:
                self.connection = None

    async def close(self) -> None:
        await self._discard_connection()


def _settle(batch: dict[str, list[asyncio.Future[Marks]]], found: dict[str, Marks]) -> None:
    for user, futures in batch.items():
        for future in futures:
            if not future.done():  # done: the request was cancelled (client gone)
                future.set_result(found.get(user, NO_MARKS))


def _fail(batch: dict[str, list[asyncio.Future[Marks]]], error: LedgerError) -> None:
    for futures in batch.values():
        for future in futures:
            if not future.done():
                future.set_exception(error)
