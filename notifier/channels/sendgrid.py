"""The SendGrid channel, through the official ``sendgrid`` library.

One request per batch (at most 1,000 personalizations), with ``custom_args`` naming the notice
(for the message) and each recipient's delivery, so that Event Webhook events find their ledger
row. Open and
click tracking are off: a notice of changed terms is transactional, and an open proves nothing.

Answers: 202 -> accepted (``X-Message-Id``); 429 -> wait as ``X-RateLimit-Reset`` or
``Retry-After`` say, then retry; 5xx, timeouts, refused or dropped connections -> retry with
exponential backoff, then stop; 400 or 413 -> split the batch to isolate the addresses SendGrid
refuses, and record their error; 401 or 403 -> stop at once, marking nothing sent.
The API key is never logged and never appears in an error message. Each thread keeps its
connection open between requests (:mod:`notifier.channels.transport`), and has the ledger's
database render a whole batch's personalizations (:meth:`SendGridChannel.recipient_sql`).
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient

from notifier.channels.base import Accepted, BatchOutcome, Refused, StopSendingError
from notifier.channels.render import EmailContent, Sender
from notifier.channels.transport import KeepAliveClient
from notifier.ledger.queue import Batch, Outgoing
from notifier.notices import Notice

DEFAULT_API_URL = "https://api.sendgrid.com"
MAX_PERSONALIZATIONS = 1000
_JSON = "application/json; charset=utf-8"
# One personalization of payload(), built by the ledger's database from a delivery's row.
_PERSONALIZATION_SQL = {
    "sqlite": "json_object('to', json_array(json_object('email', address)), "
    "'custom_args', json_object('delivery', CAST(id AS TEXT)))",
    "postgresql": "json_build_object('to', json_build_array(json_build_object('email', address)), "
    "'custom_args', json_build_object('delivery', CAST(id AS TEXT)))",
}
_NETWORK_ERRORS = (
    urllib.error.URLError,
    TimeoutError,
    socket.timeout,
    ConnectionError,
    http.client.HTTPException,
    OSError,
)

# The HTTP client logs the Authorization header and every address at DEBUG level.
logging.getLogger("python_http_client").setLevel(logging.INFO)


@dataclass(frozen=True)
class SendGridSettings:
    """How to talk to SendGrid."""

    api_key: str
    api_url: str = DEFAULT_API_URL
    timeout: float = 30.0
    category: str = "policy-notice"
    asm_group_id: int | None = None
    sandbox: bool = False
    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_wait: float = 120.0


class SendGridChannel:
    """Sends batches with the official client; safe to use from several threads."""

    name = "sendgrid"

    def __init__(
        self,
        settings: SendGridSettings,
        sender: Sender,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.sender = sender
        self.sleep = sleep
        self._local = threading.local()

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = SendGridAPIClient(api_key=self.settings.api_key, host=self.settings.api_url)
            # The same requests, over a connection this thread keeps open (see transport).
            client.client = KeepAliveClient(
                host=client.client.host,
                # Bodies are JSON text already (see body): python_http_client sends them as they
                # are under any other type than bare "application/json", and encodes them again
                # under that one.
                request_headers={**client.client.request_headers, "Content-Type": _JSON},
                version=3,
                timeout=self.settings.timeout,
            )
            self._local.client = client
        return client

    def recipient_sql(self, dialect: str) -> str | None:
        """One personalization, as :meth:`payload` makes it, in the ledger's SQL."""
        return _PERSONALIZATION_SQL.get(dialect)

    def send(self, batch: Batch, notice: Notice, content: EmailContent) -> BatchOutcome:
        outcome = BatchOutcome()
        self._send_part(list(batch.items), batch, notice, content, outcome, batch.rendered)
        return outcome

    def _send_part(
        self,
        items: list[Outgoing],
        batch: Batch,
        notice: Notice,
        content: EmailContent,
        outcome: BatchOutcome,
        rendered: str | None = None,
    ) -> None:
        body = self.body(items, batch, notice, content, rendered)
        status, message_id, error = self._post_with_retries(body, outcome)
        ids = [item.delivery_id for item in items]
        if status == 202:
            outcome.accepted.append(Accepted(ids, message_id))
        elif status in (400, 413) and len(items) > 1:
            middle = len(items) // 2  # isolate the refused addresses by halving
            self._send_part(items[:middle], batch, notice, content, outcome)
            self._send_part(items[middle:], batch, notice, content, outcome)
        else:
            outcome.refused.append(Refused(ids, f"SendGrid {status}: {error}"))

    def _post_with_retries(self, body: str, outcome: BatchOutcome) -> tuple[int, str | None, str]:
        attempt = 0
        while True:
            outcome.requests += 1
            try:
                response = self._client().client.mail.send.post(request_body=body)
                return response.status_code, _header(response.headers, "X-Message-Id"), ""
            except http_errors.HTTPError as exc:
                status = int(getattr(exc, "status_code", 0) or 0)
                if status in (401, 403):
                    raise StopSendingError(
                        f"SendGrid refused the API key ({status})",
                        where=self.settings.api_url,
                        fix="Check SENDGRID_API_KEY and its 'Mail Send' "
                        "permission; nothing was marked sent.",
                    ) from None
                if status == 429:
                    self.sleep(self._rate_limit_wait(exc))
                    outcome.retries += 1
                    continue
                if status < 500:
                    return status, None, _error_text(exc)
                failure = f"SendGrid {status}"
            except _NETWORK_ERRORS as exc:
                failure = f"network error: {exc.__class__.__name__}"
            attempt += 1
            if attempt > self.settings.max_retries:
                raise StopSendingError(
                    f"SendGrid is not answering ({failure}) after "
                    f"{self.settings.max_retries} retries",
                    where=self.settings.api_url,
                    fix="Run `notifier send` again later: it resumes where it stopped.",
                )
            outcome.retries += 1
            self.sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    def _rate_limit_wait(self, error: http_errors.HTTPError) -> float:
        headers = getattr(error, "headers", None)
        retry_after = _header(headers, "Retry-After")
        reset = _header(headers, "X-RateLimit-Reset")
        wait = 1.0
        if retry_after and retry_after.strip().isdigit():
            wait = float(retry_after)
        elif reset and reset.strip().isdigit():
            wait = float(reset) - time.time()
        return min(max(wait, 0.05), self.settings.max_wait)

    def body(
        self,
        items: list[Outgoing],
        batch: Batch,
        notice: Notice,
        content: EmailContent,
        rendered: str | None = None,
    ) -> str:
        """The request body as JSON text: :meth:`payload`, its personalizations the ``rendered``
        JSON array when the database made them (the same objects, in another order)."""
        if rendered is None:
            return json.dumps(self.payload(items, batch, notice, content))
        rest = self.payload([], batch, notice, content)
        del rest["personalizations"]
        return '{"personalizations": ' + rendered + ", " + json.dumps(rest)[1:]

    def payload(
        self, items: list[Outgoing], batch: Batch, notice: Notice, content: EmailContent
    ) -> dict[str, Any]:
        """The v3 mail/send request body for ``items`` (built as a dict: fast for big batches)."""
        payload: dict[str, Any] = {
            # What all recipients share is said once, for the message: SendGrid merges it into
            # each personalization's custom_args (and each event). A thousand copies cost time
            # to build and to encode, and bytes on the wire.
            "personalizations": [
                {
                    "to": [{"email": item.address}],
                    "custom_args": {"delivery": str(item.delivery_id)},
                }
                for item in items
            ],
            "custom_args": {"notice": notice.key, "batch": str(batch.id)},
            "from": {
                "email": self.sender.email,
                **({"name": self.sender.name} if self.sender.name else {}),
            },
            "subject": content.subject,
            "content": [
                {"type": "text/plain", "value": content.text},
                {"type": "text/html", "value": content.html},
            ],
            "categories": [self.settings.category, notice.document],
            "tracking_settings": {
                "click_tracking": {"enable": False, "enable_text": False},
                "open_tracking": {"enable": False},
                "subscription_tracking": {"enable": False},
            },
        }
        if self.settings.asm_group_id is not None:
            payload["asm"] = {"group_id": self.settings.asm_group_id}
        if self.settings.sandbox:
            payload["mail_settings"] = {"sandbox_mode": {"enable": True}}
        return payload


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name) if hasattr(headers, "get") else None
    return str(value) if value is not None else None


def _error_text(error: http_errors.HTTPError) -> str:
    body = getattr(error, "body", b"") or b""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        messages = [e.get("message", "") for e in json.loads(text).get("errors", [])]
        return "; ".join(m for m in messages if m)[:500] or text[:500]
    except (ValueError, AttributeError):
        return text[:500]
