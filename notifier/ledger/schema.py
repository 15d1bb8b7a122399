"""The ledger's tables (SQLAlchemy Core). Changes go through Alembic migrations in ``migrations``.

What is kept is what proof of notice needs, and no more: for a recipient, the application's user
id, the address notified and when the user was first known (for which notices concern them); no
name, and nothing of the message beyond the notice it carried.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Integer ids that are 64-bit on PostgreSQL and still "INTEGER PRIMARY KEY" (rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

notices = Table(
    "notices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # "<doc>/<version>"
    Column("document", String(100), nullable=False),
    Column("version", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("change_class", String(20), nullable=False),
    Column("summary", Text, nullable=False),
    Column("effective_date", String(10), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("text_url", Text, nullable=False),
    Column("redline_url", Text, nullable=False),
    Column("material_changes", Text, nullable=False),  # JSON list of reasons
    Column("commit", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

recipients = Table(
    "recipients",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The application's user id, or "email:<address>" for a recipient known by address only.
    Column("user_key", String(330), nullable=False, unique=True),
    Column("user_id", String(200), nullable=True),
    Column("email", String(320), nullable=True),  # the latest known address
    Column("locale", String(35), nullable=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("notice_id", Id, ForeignKey("notices.id"), nullable=False),
    Column("recipient_id", Id, ForeignKey("recipients.id"), nullable=False),
    Column("channel", String(20), nullable=False),  # "email" or "inapp"
    Column("address", String(320), nullable=True),  # the address this notice went to
    Column("address_key", String(320), nullable=True),  # lower-cased: one per notice and channel
    # "queued": the delivery is in the state of its batch (see notifier.ledger.states), so that
    # sending writes one row per batch, not per recipient. Its own state once it has one: failed
    # (an invalid address, or refused), submitted (a part of a split batch), then delivered,
    # bounced or dropped (delivery events); seen or acknowledged (in-app).
    Column("state", String(20), nullable=False),
    Column("provider", String(20), nullable=True),
    Column("provider_message_id", String(200), nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    Column("final_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("notice_id", "recipient_id", "channel", name="uq_delivery"),
    UniqueConstraint("notice_id", "channel", "address_key", name="uq_delivery_address"),
)
Index("ix_deliveries_recipient", deliveries.c.recipient_id)

batches = Table(
    "batches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("notice_id", Id, ForeignKey("notices.id"), nullable=False),
    # The batch is the queued deliveries of this notice and channel whose ids are in
    # first_id..last_id; it is cut when recipients are queued. (NULL in batches written before
    # migration 0004, whose deliveries name their batch.)
    Column("channel", String(20), nullable=True),
    Column("first_id", Id, nullable=True),
    Column("last_id", Id, nullable=True),
    Column("worker_id", Id, ForeignKey("workers.id"), nullable=True),
    # pending -> claimed -> sending (the request may be on its way) -> accepted | rejected |
    # partial (split to isolate refused addresses: its deliveries have their own states) |
    # unknown (its sender died during the request; held for an operator); a batch that never
    # left goes back to pending.
    Column("state", String(20), nullable=False),
    Column("size", Integer, nullable=False),
    Column("provider", String(20), nullable=True),
    Column("provider_message_id", String(200), nullable=True),
    # Deliveries queued again after an unknown outcome (each may have been notified twice).
    Column("resent", Integer, nullable=False, default=0),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
)
Index("ix_batches_queue", batches.c.notice_id, batches.c.channel, batches.c.state, batches.c.id)
Index("ix_batches_range", batches.c.notice_id, batches.c.channel, batches.c.first_id)

workers = Table(
    "workers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("stopped_at", DateTime(timezone=True), nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", Id, ForeignKey("deliveries.id"), nullable=False),
    # processed, delivered, deferred, bounce, dropped, spamreport (e-mail); seen, acknowledged
    Column("kind", String(30), nullable=False),
    Column("source_id", String(200), nullable=True),  # sg_event_id; None for our own events
    Column("dedupe_key", String(300), nullable=False, unique=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=True),  # JSON: reason, status, ip, user agent
)
Index("ix_events_delivery", events.c.delivery_id)

releases = Table(
    "releases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # "<doc>/<version>"
    Column("commit", String(40), nullable=False),
    # processed: its notices were created and sent; adopted: it predates the first release run
    Column("outcome", String(20), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)
