"""What a channel is: something that sends one batch of one notice and says what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from notifier.channels.render import EmailContent
from notifier.errors import NotifierError
from notifier.ledger.queue import Batch
from notifier.notices import Notice


class StopSendingError(NotifierError):
    """Sending must stop now (refused credentials, service down); nothing was marked sent."""


@dataclass(frozen=True)
class Accepted:
    """Deliveries the provider accepted, with its message id."""

    delivery_ids: list[int]
    message_id: str | None


@dataclass(frozen=True)
class Refused:
    """Deliveries the provider refused for good, with its reason."""

    delivery_ids: list[int]
    error: str


@dataclass
class BatchOutcome:
    """What happened to one batch: accepted and refused parts, and how many requests it took."""

    accepted: list[Accepted] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    requests: int = 0
    retries: int = 0


class Channel(Protocol):
    """A way of delivering notices by e-mail."""

    name: str

    def recipient_sql(self, dialect: str) -> str | None:
        """An SQL expression of the ledger's ``dialect`` rendering one recipient (columns ``id``
        and ``address``) as this channel sends it, for the database to render the recipients
        of a batch into ``Batch.rendered``; None: the channel renders them itself."""
        ...

    def send(self, batch: Batch, notice: Notice, content: EmailContent) -> BatchOutcome:
        """Send one batch; raise :class:`StopSendingError` when nothing more can be sent."""
        ...
