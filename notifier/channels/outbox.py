"""The default channel: every e-mail written as an RFC 5322 ``.eml`` file in a folder.

Everything works with no account: open the files in a mail client or a browser to see exactly
what recipients would get.
"""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage
from pathlib import Path

from notifier.channels.base import Accepted, BatchOutcome
from notifier.channels.render import EmailContent, Sender
from notifier.ledger.queue import Batch
from notifier.notices import Notice


class OutboxChannel:
    """Writes ``<outbox>/<doc>-<version>/<delivery id>.eml`` for each delivery."""

    name = "outbox"

    def __init__(self, folder: Path, sender: Sender) -> None:
        self.folder = folder
        self.sender = sender

    def recipient_sql(self, dialect: str) -> None:
        """The outbox writes one file per recipient: nothing for the database to render."""
        return

    def send(self, batch: Batch, notice: Notice, content: EmailContent) -> BatchOutcome:
        target = self.folder / notice.key.replace("/", "-")
        target.mkdir(parents=True, exist_ok=True)
        for item in batch.items:
            message = build_message(content, self.sender, item.address, notice, item.delivery_id)
            temporary = target / f".{item.delivery_id}.eml.tmp"
            temporary.write_bytes(message.as_bytes(policy=email.policy.SMTP))
            temporary.replace(target / f"{item.delivery_id}.eml")  # whole files only
        return BatchOutcome(
            [Accepted([i.delivery_id for i in batch.items], f"outbox-{batch.id}")], requests=0
        )


def build_message(
    content: EmailContent, sender: Sender, to: str, notice: Notice, delivery_id: int
) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML)."""
    message = EmailMessage()
    message["From"] = email.utils.formataddr((sender.name, sender.email))
    message["To"] = to
    message["Subject"] = content.subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(
        idstring=f"{delivery_id}", domain=sender.email.rpartition("@")[2]
    )
    message["X-Notifier-Notice"] = notice.key
    message["X-Notifier-Delivery"] = str(delivery_id)
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message
