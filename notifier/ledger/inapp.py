"""In-app notices in the ledger: which notices a user should see, and their seen/acknowledge
marks, recorded as events on the user's in-app delivery row (the same proof as e-mail)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from notifier.ledger.marks import read_marks
from notifier.ledger.schema import deliveries, events, notices, recipients
from notifier.ledger.store import NoticeLedger, new_id, utcnow
from notifier.notices import INAPP

SEEN, ACKNOWLEDGED = "seen", "acknowledged"


@dataclass(frozen=True)
class UserNotice:
    """A notice as shown to one user."""

    key: str
    document: str
    title: str
    version: str
    change_class: str
    summary: str
    effective_date: dt.date
    text_url: str
    redline_url: str
    content_hash: str
    seen: bool
    acknowledged: bool
    notice_id: int = 0  # the ledger's id


def notices_for_user(
    ledger: NoticeLedger,
    user_id: str,
    *,
    classes: set[str],
    user_created_at: dt.datetime | None = None,
) -> list[UserNotice]:
    """Notices of the classes shown in the app that the user has not acknowledged, material
    first, newest first. A user who signed up after a release took effect is not shown it."""
    with ledger.engine.connect() as connection:
        marks = read_marks(connection, user_id)
    return shown_notices(notice_catalog(ledger.notice_rows(), classes), marks, user_created_at)


def notice_catalog(rows: list[dict[str, Any]], classes: Iterable[str]) -> tuple[UserNotice, ...]:
    """The notices of the classes shown in the app, in display order (material first, newest
    first), as an unmarked user sees them."""
    shown = [_user_notice(row) for row in rows if row["change_class"] in classes]
    shown.sort(key=lambda n: (n.change_class != "material", -n.effective_date.toordinal(), n.key))
    return tuple(shown)


def shown_notices(
    catalog: tuple[UserNotice, ...],
    marks: Mapping[int, Collection[str]],
    user_created_at: dt.datetime | None,
) -> list[UserNotice]:
    """What one user is shown of ``catalog``, given the user's marks per notice id."""
    joined = user_created_at.date() if user_created_at is not None else None
    shown = []
    for notice in catalog:
        if joined is not None and joined > notice.effective_date:
            continue
        kinds = marks.get(notice.notice_id, ())
        if ACKNOWLEDGED in kinds:
            continue
        shown.append(replace(notice, seen=True) if SEEN in kinds else notice)
    return shown


def _user_notice(row: dict[str, Any]) -> UserNotice:
    return UserNotice(
        row["key"],
        row["document"],
        row["title"],
        row["version"],
        row["change_class"],
        row["summary"],
        dt.date.fromisoformat(row["effective_date"]),
        row["text_url"],
        row["redline_url"],
        row["content_hash"],
        seen=False,
        acknowledged=False,
        notice_id=int(row["id"]),
    )


def record_mark(
    ledger: NoticeLedger,
    user_id: str,
    notice_key: str,
    kind: str,
    *,
    classes: set[str],
    ip: str | None,
    user_agent: str | None,
) -> bool:
    """Record that the user saw or acknowledged a notice; False if it was already recorded
    (the first mark is the proof and is never overwritten)."""
    try:
        return _record_mark(ledger, user_id, notice_key, kind, classes, ip, user_agent)
    except IntegrityError:
        # Two requests of the same user raced to create its rows; the other one won.
        return _record_mark(ledger, user_id, notice_key, kind, classes, ip, user_agent)


def _record_mark(
    ledger: NoticeLedger,
    user_id: str,
    notice_key: str,
    kind: str,
    classes: set[str],
    ip: str | None,
    user_agent: str | None,
) -> bool:
    now = utcnow()
    with ledger.engine.begin() as connection:
        notice_id = connection.scalar(
            select(notices.c.id).where(
                notices.c.key == notice_key, notices.c.change_class.in_(classes)
            )
        )
        if notice_id is None:
            raise KeyError(notice_key)
        delivery_id = _inapp_delivery(connection, ledger, int(notice_id), user_id, now)
        key = f"inapp:{delivery_id}:{kind}"
        if connection.scalar(select(events.c.id).where(events.c.dedupe_key == key)) is not None:
            return False
        detail = {k: v for k, v in {"ip": ip, "user_agent": (user_agent or "")[:300]}.items() if v}
        connection.execute(
            events.insert().values(
                delivery_id=delivery_id,
                kind=kind,
                source_id=None,
                dedupe_key=key,
                occurred_at=now,
                received_at=now,
                detail=json.dumps(detail) if detail else None,
            )
        )
        state = "acknowledged" if kind == ACKNOWLEDGED else "seen"
        allowed = ["published"] if kind == SEEN else ["published", "seen"]
        connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.state.in_(allowed))
            .values(state=state, final_at=now if kind == ACKNOWLEDGED else None)
        )
        return True


def _inapp_delivery(
    connection: Connection, ledger: NoticeLedger, notice_id: int, user_id: str, now: dt.datetime
) -> int:
    recipient = connection.scalar(select(recipients.c.id).where(recipients.c.user_key == user_id))
    if recipient is None:
        recipient = new_id(
            connection.execute(
                recipients.insert().values(
                    user_key=user_id, user_id=user_id, email=None, locale=None, first_seen_at=now
                )
            )
        )
    delivery = connection.scalar(
        select(deliveries.c.id).where(
            deliveries.c.notice_id == notice_id,
            deliveries.c.recipient_id == recipient,
            deliveries.c.channel == INAPP,
        )
    )
    if delivery is not None:
        return int(delivery)
    return new_id(
        connection.execute(
            deliveries.insert().values(
                notice_id=notice_id,
                recipient_id=recipient,
                channel=INAPP,
                state="published",
                created_at=now,
                submitted_at=now,
            )
        )
    )
