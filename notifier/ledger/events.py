"""Recording delivery events in the ledger, once each, moving deliveries to their final state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update

from notifier.ledger.schema import deliveries, events, notices
from notifier.ledger.states import FINAL_STATES
from notifier.ledger.store import NoticeLedger, utcnow
from notifier.webhook import DeliveryEvent

# A final state is not undone by an event that arrives late (SendGrid does not keep order),
# except that a bounce reported after "delivered" wins: the mailbox refused it after all.
_REPLACEABLE = {"queued", "pending", "claimed", "submitted", "unknown"}


@dataclass(frozen=True)
class EventReport:
    """What recording a batch of events did."""

    recorded: int = 0
    duplicates: int = 0
    unmatched: int = 0


def record_events(ledger: NoticeLedger, batch: Iterable[DeliveryEvent]) -> EventReport:
    """Store each event once and update its delivery's state; events of unknown deliveries
    (another system's, or a deleted ledger's) are counted and dropped."""
    recorded = duplicates = unmatched = 0
    now = utcnow()
    with ledger.engine.begin() as connection:
        for event in batch:
            found = connection.execute(
                select(deliveries.c.id, deliveries.c.state)
                .join(notices, notices.c.id == deliveries.c.notice_id)
                .where(deliveries.c.id == event.delivery_id, notices.c.key == event.notice)
            ).first()
            if found is None:
                unmatched += 1
                continue
            seen = connection.scalar(
                select(events.c.id).where(events.c.dedupe_key == event.dedupe_key)
            )
            if seen is not None:
                duplicates += 1
                continue
            connection.execute(
                events.insert().values(
                    delivery_id=event.delivery_id,
                    kind=event.kind,
                    source_id=event.source_id,
                    dedupe_key=event.dedupe_key,
                    occurred_at=event.occurred_at,
                    received_at=now,
                    detail=json.dumps(event.detail) if event.detail else None,
                )
            )
            recorded += 1
            final = FINAL_STATES.get(event.kind)
            current = found[1]
            if final and (
                current in _REPLACEABLE or (current == "delivered" and final == "bounced")
            ):
                connection.execute(
                    update(deliveries)
                    .where(deliveries.c.id == event.delivery_id)
                    .values(state=final, final_at=event.occurred_at)
                )
    return EventReport(recorded, duplicates, unmatched)
