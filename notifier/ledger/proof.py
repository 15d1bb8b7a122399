"""Reports and proof of notice, read from the ledger."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from notifier.ledger.schema import batches, deliveries, events, notices, recipients
from notifier.ledger.states import (
    QUEUED,
    in_range,
    join_batch,
    sent_by_batch,
    state_column,
    state_counts,
)
from notifier.ledger.store import NoticeLedger

FAILURES_SHOWN = 50
_FAILED = ("failed", "unknown", "bounced", "dropped")
_UNKNOWN = "outcome unknown: the sender stopped during the request"


@dataclass(frozen=True)
class Failure:
    """One delivery that did not go out, and why."""

    delivery_id: int
    channel: str
    address: str | None
    user_id: str | None
    error: str


@dataclass(frozen=True)
class NoticeReport:
    """The state of one notice's deliveries."""

    notice: str
    states: dict[str, dict[str, int]]  # channel -> state -> count
    batches: dict[str, int]
    resent: int  # sends repeated after an unknown outcome (an upper bound on duplicates)
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class ProofRow:
    """Who was notified of which version, when and how, with what happened next."""

    user_id: str | None
    address: str | None
    notice: str
    document: str
    version: str
    content_hash: str
    channel: str
    state: str
    submitted_at: str | None
    provider: str | None
    provider_message_id: str | None
    events: str  # "kind@time" separated by "; " (CSV-friendly)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


def notice_report(ledger: NoticeLedger, key: str) -> NoticeReport:
    """Counts per channel and state, batches per state, and the failures with reasons."""
    notice_id = ledger.notice_id(key)
    with ledger.engine.connect() as connection:
        states = state_counts(connection, notice_id)
        batch_states = {
            state: int(count)
            for state, count in connection.execute(
                select(batches.c.state, func.count())
                .where(batches.c.notice_id == notice_id)
                .group_by(batches.c.state)
            )
        }
        # Each send after an unknown outcome is one more notice the recipient may have got.
        resent = connection.scalar(
            select(func.coalesce(func.sum(batches.c.resent), 0)).where(
                batches.c.notice_id == notice_id
            )
        )
        failures = _failures(connection, notice_id)
    failure_count = sum(
        count for counts in states.values() for state, count in counts.items() if state in _FAILED
    )
    return NoticeReport(key, states, batch_states, int(resent or 0), failures, failure_count)


def _failures(connection: Any, notice_id: int) -> list[Failure]:
    """The first failures: deliveries failed on their own, and those of held batches."""
    first = (
        select(
            deliveries.c.id,
            deliveries.c.channel,
            deliveries.c.address,
            recipients.c.user_id,
            deliveries.c.error,
            deliveries.c.state,
        )
        .join(recipients, recipients.c.id == deliveries.c.recipient_id)
        .order_by(deliveries.c.id)
        .limit(FAILURES_SHOWN)
    )
    own = first.where(deliveries.c.notice_id == notice_id, deliveries.c.state.in_(_FAILED))
    held = first.join(batches, in_range()).where(
        batches.c.notice_id == notice_id,
        batches.c.state == "unknown",
        deliveries.c.state == QUEUED,
    )
    rows = sorted([*connection.execute(own), *connection.execute(held)], key=lambda r: r[0])
    return [
        Failure(int(r[0]), r[1], r[2], r[3], r[4] or (_UNKNOWN if r[5] == QUEUED else r[5]))
        for r in rows[:FAILURES_SHOWN]
    ]


def proof_rows(
    ledger: NoticeLedger, *, notice: str | None = None, user: str | None = None
) -> Iterator[ProofRow]:
    """Proof of notice, streamed: every delivery of a notice, or of a user, with its events.

    An unknown notice is an error (raised here, before anything is written), not an empty proof.
    """
    if notice:
        ledger.notice_id(notice)
    return _proof_rows(ledger, notice, user)


def _proof_rows(ledger: NoticeLedger, notice: str | None, user: str | None) -> Iterator[ProofRow]:
    by_batch = sent_by_batch()
    query = (
        select(
            deliveries.c.id,
            recipients.c.user_id,
            deliveries.c.address,
            notices.c.key,
            notices.c.document,
            notices.c.version,
            notices.c.content_hash,
            deliveries.c.channel,
            state_column(),
            case((by_batch, batches.c.answered_at), else_=deliveries.c.submitted_at),
            case((by_batch, batches.c.provider), else_=deliveries.c.provider),
            case((by_batch, batches.c.provider_message_id), else_=deliveries.c.provider_message_id),
        )
        .join(recipients, recipients.c.id == deliveries.c.recipient_id)
        .join(notices, notices.c.id == deliveries.c.notice_id)
        .outerjoin(batches, join_batch())
        .order_by(deliveries.c.id)
    )
    if notice:
        query = query.where(notices.c.key == notice)
    if user:
        query = query.where((recipients.c.user_id == user) | (deliveries.c.address == user))
    with ledger.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=2000).execute(query)
        for chunk in result.partitions():
            ids = [row[0] for row in chunk]
            history = _events(connection, ids)
            for row in chunk:
                yield ProofRow(
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[5],
                    row[6],
                    row[7],
                    row[8],
                    _iso(row[9]),
                    row[10],
                    row[11],
                    "; ".join(history.get(row[0], [])),
                )


def _events(connection: Any, delivery_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    rows = connection.execute(
        select(events.c.delivery_id, events.c.kind, events.c.occurred_at, events.c.detail)
        .where(events.c.delivery_id.in_(delivery_ids))
        .order_by(events.c.delivery_id, events.c.occurred_at)
    )
    for delivery_id, kind, occurred, detail in rows:
        extra = ""
        if detail:
            data = json.loads(detail)
            extra = "".join(
                f" {k}={data[k]}" for k in ("reason", "ip", "user_agent") if data.get(k)
            )
        found.setdefault(delivery_id, []).append(f"{kind}@{_iso(occurred)}{extra}")
    return found


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
