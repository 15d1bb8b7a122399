"""batches hold ranges of queued deliveries; sending writes batches, not deliveries

Revision ID: 0004
Revises: 0003

Deliveries waiting to be sent become ``queued`` and are cut into batches of 1000 (per notice
and channel); the batches of earlier sends stay as they were. Run it with no sender at work: a
delivery claimed by a batch that never left goes back to the queue, one whose batch was on its
way is held as ``unknown`` (as ``notifier send --unknown hold`` would), for an operator to
settle with the Event Webhook. Resends counted on deliveries (``attempts``) move to their
batch's ``resent``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SETTLE_CLAIMED = (
    "UPDATE deliveries SET state = CASE WHEN (SELECT b.state FROM batches b "
    "WHERE b.id = deliveries.batch_id) = 'sending' THEN 'unknown' ELSE 'pending' END, "
    "error = CASE WHEN (SELECT b.state FROM batches b WHERE b.id = deliveries.batch_id) = "
    "'sending' THEN 'outcome unknown: the sender stopped during the request' ELSE error END "
    "WHERE state = 'claimed'"
)
_SETTLE_BATCHES = (
    "UPDATE batches SET state = CASE state WHEN 'sending' THEN 'unknown' ELSE 'released' END "
    "WHERE state IN ('claimed', 'sending')"
)
_LEGACY_BATCHES = (
    "UPDATE batches SET channel = (SELECT MIN(d.channel) FROM deliveries d "
    "WHERE d.batch_id = batches.id), resent = COALESCE((SELECT SUM(d.attempts - 1) "
    "FROM deliveries d WHERE d.batch_id = batches.id AND d.attempts > 1), 0)"
)
_CUT = (
    "INSERT INTO batches (notice_id, channel, first_id, last_id, size, state, resent) "
    "SELECT notice_id, channel, MIN(id), MAX(id), COUNT(*), 'pending', 0 FROM ("
    "SELECT id, notice_id, channel, "
    "(ROW_NUMBER() OVER (PARTITION BY notice_id, channel ORDER BY id) - 1) / 1000 AS number "
    "FROM deliveries WHERE state = 'pending') AS waiting "
    "GROUP BY notice_id, channel, number ORDER BY notice_id, channel, number"
)


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("first_id", Id, nullable=True))
        batch_op.add_column(sa.Column("last_id", Id, nullable=True))
        batch_op.add_column(sa.Column("provider", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("resent", sa.Integer(), nullable=False, server_default="0"))
        batch_op.alter_column("worker_id", existing_type=Id, nullable=True)
        batch_op.alter_column("claimed_at", existing_type=sa.DateTime(timezone=True), nullable=True)
    op.execute(_SETTLE_CLAIMED)
    op.execute(_SETTLE_BATCHES)
    op.execute(_LEGACY_BATCHES)
    op.execute(_CUT)
    op.execute("UPDATE deliveries SET state = 'queued' WHERE state = 'pending'")
    op.create_index(
        "ix_batches_queue", "batches", ["notice_id", "channel", "state", "id"], unique=False
    )
    op.create_index(
        "ix_batches_range", "batches", ["notice_id", "channel", "first_id"], unique=False
    )
    op.drop_index("ix_deliveries_pending", table_name="deliveries")
    op.drop_index("ix_deliveries_batch", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("batch_id")
        batch_op.drop_column("attempts")


def downgrade() -> None:
    # Deliveries sent since hold their state, message id and time in their batch only; writing
    # them back row by row is a job for a script that can be checked, not a silent downgrade.
    raise NotImplementedError("migration 0004 cannot be undone: restore a backup instead")
