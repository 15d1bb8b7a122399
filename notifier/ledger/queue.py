"""The send queue: claiming batches of deliveries, recording answers, recovering after crashes.

Batches are cut when recipients are queued (a range of the queued deliveries' ids, see
:mod:`notifier.ledger.states`); sending writes the batch's row, not its deliveries'. A batch goes
``pending`` -> ``claimed`` (reserved for one worker) -> ``sending`` (committed just before the
request, so a crash after this point may have sent it) -> ``accepted`` | ``rejected`` |
``partial`` (split to isolate refused addresses; its deliveries then have states of their own).
On PostgreSQL several workers claim with ``FOR UPDATE SKIP LOCKED``; on SQLite the claiming
statement is atomic and workers take turns.

The rule for a worker that died (its process is gone, or its heartbeat is older than the lease):
its ``claimed`` batches never left and go back to ``pending``; its ``sending`` batches have an
unknown outcome. SendGrid has no idempotency key, so they are either sent again (the default:
every recipient is notified at least once, and the few that may get it twice are counted in the
batch's ``resent``) or,
with ``unknown="hold"``, kept as ``unknown`` for an operator to settle with the Event Webhook.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from notifier.ledger.loading import driver_cursor, parameter_marker
from notifier.ledger.schema import batches, deliveries, workers
from notifier.ledger.states import QUEUED, queued_in_batch, state_counts
from notifier.ledger.store import NoticeLedger, new_id, utcnow

# The deliveries of a batch that follow it. Read with the driver's cursor: a batch is a
# thousand rows, and a row through the SQL layer costs several times what the driver does.
# ("+ 0": read the range of the primary key, not the notice's index, which would read every
# delivery of the notice and sort them.)
_MEMBERS_OF = (
    "FROM deliveries d WHERE d.id BETWEEN {m} AND {m} AND d.notice_id + 0 = {m} "
    "AND d.channel = {m} AND d.state = '" + QUEUED + "'"
)
_MEMBERS = "SELECT d.id, d.address " + _MEMBERS_OF + " ORDER BY d.id"
# A batch's recipients rendered as a JSON array by the database ({item}: one recipient's JSON).
_RENDERED = {
    "sqlite": "SELECT json_group_array({item}), COUNT(*) " + _MEMBERS_OF,
    "postgresql": "SELECT CAST(json_agg({item}) AS TEXT), COUNT(*) " + _MEMBERS_OF,
}
_UNANSWERED = ("claimed", "sending")
# The two statements of every batch sent, through the driver: the SQL layer's cost per statement
# (building, caching, binding) was as much as the database's.
_PICK = (
    "UPDATE batches SET state = {m}, worker_id = {m}, claimed_at = {m}, sent_at = {m} "
    "WHERE id = (SELECT id FROM batches WHERE notice_id = {m} AND channel = {m} "
    "AND state = 'pending' ORDER BY id LIMIT 1{lock}) AND state = 'pending' "
    "RETURNING id, first_id, last_id"
)
_ACCEPTED = (
    "UPDATE batches SET state = 'accepted', provider = {m}, provider_message_id = {m}, "
    "answered_at = {m} WHERE id = {m} AND state IN ("
    + ", ".join(f"'{state}'" for state in _UNANSWERED)
    + ")"
)
# A batch that never left goes back to the queue as it was.
_RELEASED: dict[str, Any] = {
    "state": "pending",
    "worker_id": None,
    "claimed_at": None,
    "sent_at": None,
}


class Outgoing(NamedTuple):
    """One delivery in a claimed batch: what a channel needs to send it. (A named tuple: a
    claim makes a thousand of them, straight from the database's rows.)"""

    delivery_id: int
    address: str


@dataclass(frozen=True)
class Batch:
    """Deliveries claimed together by one worker; ``rendered``, when set, is its recipients as
    the database rendered them for the channel (see :meth:`DeliveryQueue.render`)."""

    id: int
    items: tuple[Outgoing, ...]
    rendered: str | None = None


@dataclass(frozen=True)
class Recovery:
    """What recovering from dead workers did."""

    released: int = 0  # rows of batches that never left: back to pending
    unknown: int = 0  # rows of batches that may have been sent
    requeued: int = 0  # of those, queued again (sent at least once, maybe twice)


class DeliveryQueue:
    """The queue of one notice on one channel, as seen by one worker."""

    def __init__(self, ledger: NoticeLedger, notice_id: int, channel: str) -> None:
        self.ledger = ledger
        self.engine = ledger.engine
        self.notice_id = notice_id
        self.channel = channel
        self.worker_id = self._register()
        self._shared: Connection | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the queue's writes inside this block as one transaction (one commit, which is
        what a batch costs most on SQLite)."""
        with self.engine.begin() as connection:
            self._shared = connection
            try:
                yield
            finally:
                self._shared = None

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        if self._shared is not None:
            yield self._shared
        else:
            with self.engine.begin() as connection:
                yield connection

    def _register(self) -> int:
        now = utcnow()
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(workers).values(
                    host=socket.gethostname(), pid=os.getpid(), started_at=now, heartbeat_at=now
                )
            )
            return new_id(result)

    def heartbeat(self) -> None:
        """Tell other workers this one is alive."""
        with self.engine.begin() as connection:
            connection.execute(
                update(workers).where(workers.c.id == self.worker_id).values(heartbeat_at=utcnow())
            )

    def stop(self) -> None:
        """Mark this worker as stopped (its unsent claims are released first)."""
        self.release_unsent()
        with self.engine.begin() as connection:
            connection.execute(
                update(workers).where(workers.c.id == self.worker_id).values(stopped_at=utcnow())
            )

    def claim(self, *, sending: bool = False) -> Batch | None:
        """Reserve the next pending batch, or None when none is left.

        ``sending``: the batch goes out right after this commits, so it is recorded as
        ``sending`` at once (as :meth:`mark_sending` would), saving a commit.
        """
        now = utcnow()
        with self._begin() as connection:
            while (picked := self._pick(connection, sending, now)) is not None:
                items = self._members(connection, picked[1], picked[2])
                if items:
                    return Batch(picked[0], items)
                # Each of its deliveries has a state of its own by now: nothing to send.
                connection.execute(
                    update(batches).where(batches.c.id == picked[0]).values(state="partial")
                )
        return None

    def _pick(self, connection: Connection, sending: bool, now: dt.datetime) -> Any:
        dialect = self.ledger.dialect
        lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
        statement = _PICK.format(m=parameter_marker(dialect), lock=lock)
        stamp = self.ledger.driver_timestamp(now)
        state = "sending" if sending else "claimed"
        parameters = (state, self.worker_id, stamp, stamp if sending else None)
        with driver_cursor(connection) as cursor:
            cursor.execute(statement, (*parameters, self.notice_id, self.channel))
            return cursor.fetchone()

    def _members(self, connection: Connection, first: int, last: int) -> tuple[Outgoing, ...]:
        statement = _MEMBERS.format(m=parameter_marker(self.ledger.dialect))
        with driver_cursor(connection) as cursor:
            cursor.execute(statement, (first, last, self.notice_id, self.channel))
            return tuple(map(Outgoing._make, cursor.fetchall()))

    def render(self, batch: Batch, item: str) -> str | None:
        """The batch's recipients as a JSON array (in no particular order), each rendered by the
        SQL expression ``item`` over the columns ``id`` and ``address``. The database does in C,
        without holding Python's lock, what would cost a sending thread a few microseconds of
        Python per recipient. None when the database cannot (then the channel renders them)."""
        if not batch.items or self.ledger.dialect not in _RENDERED:
            return None
        statement = _RENDERED[self.ledger.dialect].format(
            item=item, m=parameter_marker(self.ledger.dialect)
        )
        first, last = batch.items[0].delivery_id, batch.items[-1].delivery_id
        try:
            with self.engine.connect() as connection:
                rendered, count = connection.exec_driver_sql(
                    statement, (first, last, self.notice_id, self.channel)
                ).one()
        except SQLAlchemyError:  # a failing database, or no free connection in the pool
            return None  # the request has not left: the channel renders the items it holds
        return str(rendered) if count == len(batch.items) else None

    def mark_sending(self, batch: Batch) -> None:
        """Commit that the request is about to go out (after this, a crash means 'unknown')."""
        with self._begin() as connection:
            connection.execute(
                update(batches)
                .where(batches.c.id == batch.id)
                .values(state="sending", sent_at=utcnow())
            )

    def mark_submitted(
        self, batch: Batch, delivery_ids: list[int], *, provider: str, message_id: str | None
    ) -> int:
        """The provider accepted these deliveries of ``batch``; how many that recorded (0
        when they were recorded already)."""
        now = utcnow()
        with self._begin() as connection:
            if len(delivery_ids) == len(batch.items):  # the whole batch: one row to write
                statement = _ACCEPTED.format(m=parameter_marker(self.ledger.dialect))
                stamp = self.ledger.driver_timestamp(now)
                with driver_cursor(connection) as cursor:
                    cursor.execute(statement, (provider, message_id, stamp, batch.id))
                    return len(batch.items) if cursor.rowcount else 0
            # A part of a batch split to isolate refused addresses: its deliveries get their
            # own state and message id.
            changed = connection.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(delivery_ids), deliveries.c.state == QUEUED)
                .values(
                    state="submitted",
                    provider=provider,
                    provider_message_id=message_id,
                    submitted_at=now,
                )
            ).rowcount
            _settle(connection, batch, state="partial", answered_at=now)
        return int(changed)

    def mark_failed(self, batch: Batch, delivery_ids: list[int], error: str) -> int:
        """These deliveries cannot be sent (the provider refused them): final. Returns how many
        that recorded (0 when they were recorded already)."""
        now = utcnow()
        with self._begin() as connection:
            changed = connection.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(delivery_ids), deliveries.c.state == QUEUED)
                .values(state="failed", error=error[:2000], final_at=now)
            ).rowcount
            if len(delivery_ids) == len(batch.items):
                _settle(connection, batch, state="rejected", answered_at=now)
            else:
                _settle(connection, batch, state="partial", answered_at=now)
        return int(changed)

    def release(self, batch: Batch) -> None:
        """Give a batch back to the queue: it was never sent (e.g. the API key was refused)."""
        with self._begin() as connection:
            _settle(connection, batch, **_RELEASED)

    def release_unsent(self) -> None:
        """Release this worker's batches that were claimed but never marked as sending."""
        with self.engine.begin() as connection:
            connection.execute(
                update(batches)
                .where(batches.c.worker_id == self.worker_id, batches.c.state == "claimed")
                .values(**_RELEASED)
            )

    def recover(self, *, lease: dt.timedelta, unknown: str = "resend") -> Recovery:
        """Settle the batches of dead workers (see the module docstring for the rule)."""
        dead = self._dead_workers(lease)
        if not dead:
            return Recovery()
        released = unknown_rows = requeued = 0
        with self.engine.begin() as connection:
            stale = connection.execute(
                select(batches.c.id, batches.c.state, queued_in_batch()).where(
                    batches.c.worker_id.in_(dead),
                    batches.c.notice_id == self.notice_id,
                    batches.c.channel == self.channel,
                    batches.c.state.in_(_UNANSWERED),
                )
            ).all()
            for batch_id, state, count in stale:
                settle = update(batches).where(batches.c.id == batch_id)
                if state == "claimed":
                    released += count
                    connection.execute(settle.values(**_RELEASED))
                    continue
                unknown_rows += count
                if unknown == "resend":
                    requeued += count
                    connection.execute(settle.values(**_RELEASED, resent=batches.c.resent + count))
                else:
                    connection.execute(settle.values(state="unknown", answered_at=utcnow()))
            connection.execute(
                update(workers)
                .where(workers.c.id.in_(dead), workers.c.stopped_at.is_(None))
                .values(stopped_at=utcnow())
            )
        return Recovery(released, unknown_rows, requeued)

    def _dead_workers(self, lease: dt.timedelta) -> list[int]:
        host = socket.gethostname()
        cutoff = utcnow() - lease
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    workers.c.id,
                    workers.c.host,
                    workers.c.pid,
                    workers.c.heartbeat_at,
                    workers.c.stopped_at,
                ).where(workers.c.id != self.worker_id)
            ).all()
        dead = []
        for worker_id, worker_host, pid, heartbeat, stopped in rows:
            beat = heartbeat if heartbeat.tzinfo else heartbeat.replace(tzinfo=dt.UTC)
            if stopped is not None or beat < cutoff or (worker_host == host and not _alive(pid)):
                dead.append(int(worker_id))
        return dead

    def counts(self) -> dict[str, int]:
        """Deliveries of this notice and channel per state."""
        with self.engine.connect() as connection:
            return state_counts(connection, self.notice_id, self.channel).get(self.channel, {})


def _settle(connection: Connection, batch: Batch, **values: Any) -> None:
    """Set the columns of a batch still waiting for its answer (claimed or sending); a batch
    answered already (by a run before a Ctrl-C, say) is left as it is."""
    connection.execute(
        update(batches)
        .where(batches.c.id == batch.id, batches.c.state.in_(_UNANSWERED))
        .values(**values)
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
