"""Queueing recipients a chunk at a time, while the first batches are already being sent."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from sqlalchemy import func, select

from notifier.channels.base import BatchOutcome
from notifier.channels.outbox import OutboxChannel
from notifier.channels.render import EmailContent, Sender, render_email
from notifier.ledger.loading import LOAD_CHUNK, LoadReport
from notifier.ledger.queue import Batch
from notifier.ledger.schema import batches, deliveries
from notifier.ledger.store import NoticeLedger
from notifier.notices import Notice
from notifier.recipients import Recipient
from notifier.sending import SendOptions, SendReport, deliver, stage_recipients
from tests.test_ledger import NOTICE, load, people

SENDER = Sender("privacy@example.com", "Example")


def test_batches_stay_whole_across_chunks(ledger: NoticeLedger) -> None:
    """Each chunk cuts only whole batches; what is left waits for the next chunk, so a list of
    N valid recipients needs ceil(N / size) requests, whatever the chunks and the rejects."""
    crowd = people(2 * LOAD_CHUNK + 700)
    crowd[5] = Recipient("not-an-address", "bad")
    crowd[LOAD_CHUNK + 3] = Recipient(crowd[2].email.upper(), "same address as user 2")
    report = load(ledger, crowd, batch_size=300)
    queued = len(crowd) - 2
    assert report == LoadReport(read=len(crowd), queued=queued, duplicates=1, invalid=1)
    with ledger.engine.connect() as connection:
        sizes = connection.execute(select(batches.c.size).order_by(batches.c.id)).scalars().all()
        ranges = connection.execute(
            select(batches.c.first_id, batches.c.last_id).order_by(batches.c.id)
        ).all()
    assert sizes == [300] * (queued // 300) + [queued % 300]
    assert all(last < first for (_, last), (first, _) in itertools.pairwise(ranges))


def test_a_run_stopped_during_queueing_leaves_no_delivery_uncut(ledger: NoticeLedger) -> None:
    """A run stopped after its first chunk leaves the rest of that chunk queued but not cut into
    a batch; the next run cuts it, even with an empty list."""
    notice_id = ledger.save_notice(NOTICE)
    with ledger.intake(notice_id, "email", 300) as intake:
        stage_recipients(intake, people(LOAD_CHUNK + 100))
        intake.queue_next()  # then the run stops
    with ledger.intake(notice_id, "email", 300) as intake:
        stage_recipients(intake, [])
        while not intake.done:
            assert intake.queue_next() == LoadReport()
    with ledger.engine.connect() as connection:
        sizes = connection.execute(select(batches.c.size).order_by(batches.c.id)).scalars().all()
    assert sizes == [300] * (LOAD_CHUNK // 300) + [LOAD_CHUNK % 300]


class WatchingChannel(OutboxChannel):
    """The outbox, noting how many deliveries were queued when each batch left."""

    def __init__(self, folder: Path, ledger: NoticeLedger) -> None:
        super().__init__(folder, SENDER)
        self.ledger = ledger
        self.queued_at_send: list[int] = []

    def send(self, batch: Batch, notice: Notice, content: EmailContent) -> BatchOutcome:
        with self.ledger.engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(deliveries)).scalar_one()
        self.queued_at_send.append(count)
        return super().send(batch, notice, content)


def test_sending_starts_before_the_last_chunk_is_queued(
    ledger: NoticeLedger, tmp_path: Path
) -> None:
    crowd = people(5 * LOAD_CHUNK)
    channel = WatchingChannel(tmp_path / "outbox", ledger)
    report = SendReport(NOTICE.key, channel.name)
    options = SendOptions(batch_size=500, threads=2, lease=dt.timedelta(minutes=5))
    with ledger.intake(ledger.save_notice(NOTICE), "email", 500) as intake:
        stage_recipients(intake, crowd)
        with ledger.engine.connect() as connection:
            staged = connection.execute(select(func.count()).select_from(deliveries)).scalar_one()
        assert staged == 0, "staging queues nothing"
        assert intake.expected == len(crowd), "what the progress bar expects to send"
        deliver(
            ledger, NOTICE, render_email(NOTICE, SENDER), channel, options, report, None, intake
        )
        assert intake.done and intake.expected == len(crowd)
    assert report.loaded == LoadReport(read=len(crowd), queued=len(crowd))
    assert report.states == {"submitted": len(crowd)}
    assert report.batches == len(crowd) // 500 == len(channel.queued_at_send)
    assert min(channel.queued_at_send) < len(crowd), "the first batches left during queueing"
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == len(crowd)


def test_the_staged_rows_go_when_the_intake_closes(ledger: NoticeLedger) -> None:
    """The intake's connection goes back to the pool: its temporary table must not stay."""
    load(ledger, people(10))
    catalog = (
        "SELECT name FROM sqlite_temp_master"
        if ledger.dialect == "sqlite"
        else "SELECT tablename FROM pg_tables"  # every session's temporary tables too
    )
    with ledger.engine.connect() as connection:
        assert "staged_recipients" not in connection.exec_driver_sql(catalog).scalars().all()
