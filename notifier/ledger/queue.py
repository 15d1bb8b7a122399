"""The send queue: claiming batches of deliveries, recording answers, recovering after crashes.

A batch goes ``claimed`` (rows reserved for one worker) -> ``sending`` (committed just before
the request, so a crash after this point may have sent it) -> ``accepted`` | ``rejected``. On
PostgreSQL several workers claim with ``FOR UPDATE SKIP LOCKED``; on SQLite the claiming
statement is atomic and workers take turns.

The rule for a worker that died (its process is gone, or its heartbeat is older than the lease):
its ``claimed`` batches never left and go back to ``pending``; its ``sending`` batches have an
unknown outcome. SendGrid has no idempotency key, so they are either sent again (the default:
every recipient is notified at least once, and the few that may get it twice are counted) or,
with ``unknown="hold"``, kept as ``unknown`` for an operator to settle with the Event Webhook.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, literal_column, select, update

from notifier.ledger.schema import PENDING, batches, deliveries, recipients, workers
from notifier.ledger.store import NoticeLedger, new_id, utcnow


@dataclass(frozen=True)
class Outgoing:
    """One delivery in a claimed batch: what a channel needs to send it."""

    delivery_id: int
    address: str
    user_id: str | None
    locale: str | None


@dataclass(frozen=True)
class Batch:
    """Deliveries claimed together by one worker."""

    id: int
    items: tuple[Outgoing, ...]


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

    def claim(self, size: int, *, sending: bool = False) -> Batch | None:
        """Reserve up to ``size`` pending deliveries, or None when none are left.

        ``sending``: the batch goes out right after this commits, so it is recorded as
        ``sending`` at once (as :meth:`mark_sending` would), saving a commit.
        """
        now = utcnow()
        with self._begin() as connection:
            batch_id = new_id(
                connection.execute(
                    insert(batches).values(
                        notice_id=self.notice_id,
                        worker_id=self.worker_id,
                        state="sending" if sending else "claimed",
                        size=0,
                        claimed_at=now,
                        sent_at=now if sending else None,
                    )
                )
            )
            pending = (
                select(deliveries.c.id)
                .where(
                    deliveries.c.notice_id == self.notice_id,
                    deliveries.c.channel == self.channel,
                    # Written out, not bound: only then may the database use the partial
                    # index of pending deliveries.
                    deliveries.c.state == literal_column(PENDING),
                )
                .order_by(deliveries.c.id)
                .limit(size)
            )
            if self.ledger.dialect == "postgresql":
                pending = pending.with_for_update(skip_locked=True)
            # A CTE is evaluated once; PostgreSQL may evaluate a LIMIT subquery in a WHERE more
            # than once, claiming more rows than asked.
            picked = pending.cte("picked")
            claimed = (
                connection.execute(
                    update(deliveries)
                    .where(deliveries.c.id == picked.c.id, deliveries.c.state == "pending")
                    .values(state="claimed", batch_id=batch_id, attempts=deliveries.c.attempts + 1)
                    .returning(deliveries.c.id)
                )
                .scalars()
                .all()
            )
            if not claimed:
                connection.execute(batches.delete().where(batches.c.id == batch_id))
                return None
            connection.execute(
                update(batches).where(batches.c.id == batch_id).values(size=len(claimed))
            )
            rows = connection.execute(
                select(
                    deliveries.c.id, deliveries.c.address, recipients.c.user_id, recipients.c.locale
                )
                .join(recipients, recipients.c.id == deliveries.c.recipient_id)
                .where(deliveries.c.batch_id == batch_id)
                .order_by(deliveries.c.id)
            ).all()
        return Batch(batch_id, tuple(Outgoing(int(r[0]), r[1] or "", r[2], r[3]) for r in rows))

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
        """The provider accepted these deliveries of ``batch``; how many rows that changed (0
        when they were recorded already)."""
        now = utcnow()
        rows = _rows_of(batch, delivery_ids)
        with self._begin() as connection:
            changed = connection.execute(
                update(deliveries)
                .where(rows, deliveries.c.state == "claimed")
                .values(
                    state="submitted",
                    provider=provider,
                    provider_message_id=message_id,
                    submitted_at=now,
                    error=None,
                )
            ).rowcount
            connection.execute(
                update(batches)
                .where(batches.c.id == batch.id)
                .values(state="accepted", provider_message_id=message_id, answered_at=now)
            )
        return int(changed)

    def mark_failed(self, batch: Batch, delivery_ids: list[int], error: str) -> int:
        """These deliveries cannot be sent (the provider refused them): final. Returns how many
        rows that changed (0 when they were recorded already)."""
        now = utcnow()
        rows = _rows_of(batch, delivery_ids)
        with self._begin() as connection:
            changed = connection.execute(
                update(deliveries)
                .where(rows, deliveries.c.state == "claimed")
                .values(state="failed", error=error[:2000], final_at=now)
            ).rowcount
            # A batch split to isolate refused addresses may have had other parts accepted.
            state = case((batches.c.state == "accepted", "partial"), else_="rejected")
            connection.execute(
                update(batches).where(batches.c.id == batch.id).values(state=state, answered_at=now)
            )
        return int(changed)

    def release(self, batch: Batch) -> None:
        """Give a batch back to the queue: it was never sent (e.g. the API key was refused)."""
        with self._begin() as connection:
            connection.execute(
                update(deliveries)
                .where(deliveries.c.batch_id == batch.id, deliveries.c.state == "claimed")
                .values(state="pending", batch_id=None, attempts=deliveries.c.attempts - 1)
            )
            connection.execute(
                update(batches)
                .where(batches.c.id == batch.id)
                .values(state="released", answered_at=utcnow())
            )

    def release_unsent(self) -> None:
        """Release this worker's batches that were claimed but never marked as sending."""
        with self.engine.connect() as connection:
            ids = connection.scalars(
                select(batches.c.id).where(
                    batches.c.worker_id == self.worker_id, batches.c.state == "claimed"
                )
            ).all()
        for batch_id in ids:
            self.release(Batch(int(batch_id), ()))

    def recover(self, *, lease: dt.timedelta, unknown: str = "resend") -> Recovery:
        """Settle the batches of dead workers (see the module docstring for the rule)."""
        dead = self._dead_workers(lease)
        if not dead:
            return Recovery()
        released = unknown_rows = requeued = 0
        with self.engine.begin() as connection:
            stale = connection.execute(
                select(batches.c.id, batches.c.state).where(
                    batches.c.worker_id.in_(dead),
                    batches.c.notice_id == self.notice_id,
                    batches.c.state.in_(["claimed", "sending"]),
                )
            ).all()
            for batch_id, state in stale:
                rows = and_(deliveries.c.batch_id == batch_id, deliveries.c.state == "claimed")
                if state == "claimed":
                    released += connection.execute(
                        update(deliveries)
                        .where(rows)
                        .values(state="pending", batch_id=None, attempts=deliveries.c.attempts - 1)
                    ).rowcount
                    final = "released"
                else:
                    target = "pending" if unknown == "resend" else "unknown"
                    count = connection.execute(
                        update(deliveries)
                        .where(rows)
                        .values(
                            state=target,
                            error="outcome unknown: the sender stopped during the request",
                        )
                    ).rowcount
                    unknown_rows += count
                    requeued += count if unknown == "resend" else 0
                    final = "unknown"
                connection.execute(
                    update(batches)
                    .where(batches.c.id == batch_id)
                    .values(state=final, answered_at=utcnow())
                )
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
            rows = connection.execute(
                select(deliveries.c.state, func.count())
                .where(
                    deliveries.c.notice_id == self.notice_id, deliveries.c.channel == self.channel
                )
                .group_by(deliveries.c.state)
            ).all()
        return {state: int(count) for state, count in rows}


def _rows_of(batch: Batch, delivery_ids: list[int]) -> Any:
    """The claimed rows of ``batch`` among ``delivery_ids`` (all of it needs no id list)."""
    rows = deliveries.c.batch_id == batch.id
    if len(delivery_ids) != len(batch.items):  # a part of a batch split to isolate refusals
        rows = rows & deliveries.c.id.in_(delivery_ids)
    return rows


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
