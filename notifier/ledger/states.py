"""The state of a delivery: its own, or, while it is ``queued``, its batch's.

Sending a million recipients must not write a million rows three times (claimed, sending,
submitted): a delivery queued for sending keeps the state ``queued`` and follows its batch, the
queued deliveries of one notice and channel whose ids are in the batch's range. It gets a state
of its own only when something happens to it alone: an invalid address or a refusal
(``failed``), acceptance as a part of a split batch (``submitted``), a delivery event
(``delivered``, ``bounced``, ``dropped``). Readers ask this module, never the column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from notifier.ledger.schema import batches, deliveries

QUEUED = "queued"

# What a queued delivery's state is while its batch is in each state.
_FROM_BATCH = {
    "pending": "pending",
    "claimed": "claimed",
    "sending": "claimed",
    "accepted": "submitted",
    "unknown": "unknown",
}


# What a delivery event makes of a delivery's state (the others leave it as it is).
FINAL_STATES = {
    "delivered": "delivered",
    "bounce": "bounced",
    "dropped": "dropped",
    "blocked": "bounced",
}
_EVENT_STATES = tuple(sorted(set(FINAL_STATES.values())))  # states that delivery events give


def delivery_state(batch_state: str | None) -> str:
    """The state of a queued delivery whose batch is in ``batch_state``."""
    if batch_state is None:
        return "pending"  # not cut into a batch yet: the rest of a chunk, cut with the next one
    return _FROM_BATCH.get(batch_state, "unknown")


def in_range(delivery: Any = deliveries, batch: Any = batches) -> ColumnElement[bool]:
    """The join condition of a batch and the deliveries it holds (queued or not any more)."""
    return and_(
        delivery.c.id >= batch.c.first_id,
        delivery.c.id <= batch.c.last_id,
        # "+ 0": from each batch, read its range of the primary key, not the notice's index.
        delivery.c.notice_id + 0 == batch.c.notice_id,
        delivery.c.channel == batch.c.channel,
    )


def queued_in_batch(batch: Any = batches) -> Any:
    """How many deliveries of ``batch`` are queued (follow it), as a correlated subquery: a
    range of the primary key per batch, where a join may read each delivery once per batch."""
    return (
        select(func.count())
        .where(
            in_range(deliveries, batch),
            deliveries.c.state == QUEUED,
        )
        .scalar_subquery()
    )


def covering_batch(delivery: Any = deliveries) -> Any:
    """The id of the batch whose range covers ``delivery``, as a correlated subquery (a seek
    per delivery, where a range join would scan)."""
    covering = batches.alias("covering")  # not correlated with a query's own ``batches``
    return (
        select(covering.c.id)
        .where(
            covering.c.notice_id == delivery.c.notice_id,
            covering.c.channel == delivery.c.channel,
            covering.c.first_id <= delivery.c.id,
        )
        .order_by(covering.c.first_id.desc())
        .limit(1)
        .scalar_subquery()
    )


def join_batch(delivery: Any = deliveries, batch: Any = batches) -> ColumnElement[bool]:
    """The outer-join condition of a delivery and the batch that holds it (if any)."""
    return and_(batch.c.id == covering_batch(delivery), delivery.c.id <= batch.c.last_id)


def sent_by_batch(delivery: Any = deliveries, batch: Any = batches) -> ColumnElement[bool]:
    """Whether the delivery went out in its accepted batch, whose message id and time are its
    own (also once delivery events have given it a state of its own). Not so for a delivery in
    the batch's range that was never one of its members: an invalid address, or one held as
    unknown by migration 0004."""
    return and_(
        delivery.c.provider_message_id.is_(None),
        delivery.c.state.in_((QUEUED, *_EVENT_STATES)),
        batch.c.state == "accepted",
    )


def state_column(delivery: Any = deliveries, batch: Any = batches) -> ColumnElement[str]:
    """The delivery's state as SQL, ``batch`` being its covering batch (outer-joined)."""
    from_batch = case(
        *((batch.c.state == state, value) for state, value in _FROM_BATCH.items()),
        (batch.c.state.is_(None), "pending"),
        else_="unknown",  # as delivery_state() says
    )
    return case((delivery.c.state == QUEUED, from_batch), else_=delivery.c.state)


def state_counts(
    connection: Connection, notice_id: int, channel: str | None = None
) -> dict[str, dict[str, int]]:
    """Deliveries of a notice per channel and state (one channel when given)."""
    own = select(deliveries.c.channel, deliveries.c.state, func.count()).where(
        deliveries.c.notice_id == notice_id, deliveries.c.state != QUEUED
    )
    queued = select(batches.c.channel, batches.c.state, func.sum(queued_in_batch())).where(
        batches.c.notice_id == notice_id, batches.c.first_id.is_not(None)
    )
    if channel is not None:
        own = own.where(deliveries.c.channel == channel)
        queued = queued.where(batches.c.channel == channel)
    counts: dict[str, dict[str, int]] = {}
    for row in connection.execute(own.group_by(deliveries.c.channel, deliveries.c.state)):
        _add(counts, row[0], row[1], row[2])
    for row in connection.execute(queued.group_by(batches.c.channel, batches.c.state)):
        _add(counts, row[0], delivery_state(row[1]), row[2])
    return counts


def _add(counts: dict[str, dict[str, int]], channel: str, state: str, count: int) -> None:
    if not count:  # a batch whose deliveries all have states of their own
        return
    states = counts.setdefault(channel, {})
    states[state] = states.get(state, 0) + int(count)
