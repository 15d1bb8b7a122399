"""SendGrid's Event Webhook: verify the signature and the timestamp, then read the events.

SendGrid signs ``timestamp + raw body`` with ECDSA (P-256, SHA-256); the official library's
``EventWebhook`` checks the signature but not the timestamp's age, so a captured request could be
replayed: requests older (or newer) than the replay window are refused.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from sendgrid.helpers.eventwebhook import EventWebhook

from notifier.errors import NotifierError

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
REPLAY_WINDOW = 300  # seconds


class WebhookRejected(NotifierError):  # noqa: N818 - reads as what happened to the request
    """The request is not a genuine, fresh SendGrid event batch."""

    def __init__(self, what: str, *, where: str = "", fix: str = "", status: int = 401) -> None:
        super().__init__(what, where=where, fix=fix)
        self.status = status


@dataclass(frozen=True)
class DeliveryEvent:
    """One event about one delivery, as SendGrid reported it."""

    delivery_id: int
    notice: str
    kind: str
    occurred_at: dt.datetime
    source_id: str | None
    detail: dict[str, Any]

    @property
    def dedupe_key(self) -> str:
        """Same delivery, kind and time: the same event, even re-sent with a new id."""
        return f"{self.delivery_id}:{self.kind}:{int(self.occurred_at.timestamp())}"


class WebhookVerifier:
    """Checks signature and freshness with the public key shown in SendGrid's settings."""

    def __init__(self, public_key: str, *, window: int = REPLAY_WINDOW) -> None:
        try:
            self.helper = EventWebhook(public_key)
        except ValueError:
            raise NotifierError(
                "the webhook public key cannot be read",
                where="SENDGRID_WEBHOOK_PUBLIC_KEY",
                fix="Paste the verification key from SendGrid's Mail Settings "
                "(base64, without PEM header lines).",
            ) from None
        self.window = window

    def verify(
        self, body: bytes, signature: str | None, timestamp: str | None, now: float | None = None
    ) -> None:
        """Raise :class:`WebhookRejected` unless the request is signed, fresh and intact."""
        if not signature or not timestamp:
            raise WebhookRejected(
                "unsigned webhook request",
                where="headers",
                fix=f"Enable signed event webhooks; {SIGNATURE_HEADER} and "
                f"{TIMESTAMP_HEADER} are required.",
            )
        if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > self.window:
            raise WebhookRejected(
                "stale or invalid webhook timestamp",
                where=TIMESTAMP_HEADER,
                fix=f"Requests must be signed within {self.window} seconds.",
            )
        try:
            valid = self.helper.verify_signature(body.decode("utf-8"), signature, timestamp)
        except (ValueError, UnicodeDecodeError, InvalidSignature):
            valid = False
        if not valid:
            raise WebhookRejected(
                "invalid webhook signature",
                where=SIGNATURE_HEADER,
                fix="Check the public key configured for the webhook.",
            )


def parse_events(body: bytes) -> tuple[list[DeliveryEvent], int]:
    """Events that belong to notices (they carry our ``custom_args``), and how many did not."""
    try:
        items = json.loads(body)
    except ValueError:
        raise WebhookRejected(
            "webhook body is not JSON",
            where="body",
            fix="SendGrid posts a JSON array of events.",
            status=400,
        ) from None
    if not isinstance(items, list):
        raise WebhookRejected(
            "webhook body is not a list of events",
            where="body",
            fix="SendGrid posts a JSON array of events.",
            status=400,
        )
    events, skipped = [], 0
    for item in items:
        event = _event(item)
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return events, skipped


def _event(item: Any) -> DeliveryEvent | None:
    if not isinstance(item, dict):
        return None
    delivery, notice = item.get("delivery"), item.get("notice")
    timestamp = item.get("timestamp")
    if not str(delivery or "").isdigit() or not notice or not isinstance(timestamp, int):
        return None  # not one of ours (custom_args come back as top-level fields)
    detail = {
        key: item[key]
        for key in ("reason", "status", "response", "type", "attempt")
        if item.get(key) is not None
    }
    return DeliveryEvent(
        int(str(delivery)),
        str(notice),
        str(item.get("event", "unknown")),
        dt.datetime.fromtimestamp(timestamp, dt.UTC),
        str(item["sg_event_id"]) if item.get("sg_event_id") else None,
        detail,
    )
