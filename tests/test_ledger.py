"""The ledger on real SQLite and PostgreSQL: queueing, claiming, recording, recovering."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from notifier.channels.base import Accepted, BatchOutcome, Refused
from notifier.channels.outbox import OutboxChannel
from notifier.channels.render import Sender
from notifier.ledger.loading import LoadReport
from notifier.ledger.proof import notice_report, proof_rows
from notifier.ledger.queue import DeliveryQueue
from notifier.ledger.schema import batches, workers
from notifier.ledger.store import NoticeLedger
from notifier.notices import Notice
from notifier.recipients import Recipient
from notifier.sending import SendReport, _record, queue_recipients

NOTICE = Notice(
    "privacy/1.1",
    "privacy",
    "1.1",
    "Privacy Policy",
    "material",
    "Longer logs.",
    dt.date(2026, 12, 26),
    "a" * 64,
    "https://p.example/privacy/1.1/",
    "https://p.example/privacy/1.1/changes/",
    "c0ffee",
    ('4. Data Retention: "30 days" -> "90 days" (retention period changed)',),
)


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[NoticeLedger]:
    opened = NoticeLedger.open(ledger_url)
    yield opened
    opened.close()


def load(ledger: NoticeLedger, people: list[Recipient]) -> LoadReport:
    return queue_recipients(ledger, ledger.save_notice(NOTICE), people)


def people(count: int, start: int = 0) -> list[Recipient]:
    return [Recipient(f"user{i}@example.com", str(i)) for i in range(start, start + count)]


def test_notice_is_stored_once(ledger: NoticeLedger) -> None:
    assert ledger.save_notice(NOTICE) == ledger.save_notice(NOTICE)
    assert ledger.load_notice("privacy/1.1") == NOTICE


def test_queue_deduplicates_and_records_invalid_addresses(ledger: NoticeLedger) -> None:
    extra = [
        Recipient("not-an-address", "x"),
        Recipient("USER3@example.com", "other"),
        Recipient("user3@example.com", "3"),
    ]
    report = load(ledger, people(12000) + extra)
    assert report == LoadReport(read=12003, queued=12000, duplicates=2, invalid=1)
    again = load(ledger, people(10))
    assert again == LoadReport(read=10, queued=0, duplicates=10, invalid=0)
    states = notice_report(ledger, "privacy/1.1").states["email"]
    assert states == {"pending": 12000, "failed": 1}


def test_claim_submit_and_proof(ledger: NoticeLedger) -> None:
    load(ledger, people(2500))
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    batch = queue.claim(1000)
    assert batch is not None and len(batch.items) == 1000
    assert batch.items[0].address == "user0@example.com" and batch.items[0].user_id == "0"
    queue.mark_sending(batch)
    ids = [item.delivery_id for item in batch.items]
    queue.mark_submitted(batch, ids[:-1], provider="sendgrid", message_id="msg-1")
    queue.mark_failed(batch, ids[-1:], "SendGrid 400: Does not contain a valid address.")
    assert queue.counts() == {"submitted": 999, "failed": 1, "pending": 1500}
    report = notice_report(ledger, "privacy/1.1")
    assert report.batches == {"partial": 1}
    assert report.failures[0].address == "user999@example.com"
    rows = list(proof_rows(ledger, user="0"))
    assert len(rows) == 1
    assert (rows[0].notice, rows[0].content_hash, rows[0].provider_message_id) == (
        "privacy/1.1",
        "a" * 64,
        "msg-1",
    )
    queue.stop()


def test_claims_never_overlap(ledger: NoticeLedger) -> None:
    load(ledger, people(3000))
    notice_id = ledger.notice_id("privacy/1.1")
    first, second = (
        DeliveryQueue(ledger, notice_id, "email"),
        DeliveryQueue(ledger, notice_id, "email"),
    )
    seen: set[int] = set()
    while True:
        claimed = [q.claim(700) for q in (first, second)]
        batches_claimed = [b for b in claimed if b is not None]
        if not batches_claimed:
            break
        for batch in batches_claimed:
            ids = {item.delivery_id for item in batch.items}
            assert not ids & seen
            seen |= ids
    assert len(seen) == 3000


def _claim_all(url: str, result: multiprocessing.Queue, start: Any) -> None:  # type: ignore[type-arg]
    ledger = NoticeLedger.open(url, migrate=False)
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    start.wait(timeout=60)  # all workers begin together, as several `notifier send` would
    mine = []
    while (batch := queue.claim(50)) is not None:
        queue.mark_sending(batch)
        queue.mark_submitted(
            batch, [i.delivery_id for i in batch.items], provider="test", message_id=str(batch.id)
        )
        mine += [i.delivery_id for i in batch.items]
    queue.stop()
    ledger.close()
    result.put(mine)


def test_workers_in_several_processes_each_send_every_row_once(
    ledger: NoticeLedger, ledger_url: str
) -> None:
    load(ledger, people(4000))
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    start = context.Barrier(3)
    processes = [
        context.Process(target=_claim_all, args=(ledger_url, result, start)) for _ in range(3)
    ]
    for process in processes:
        process.start()
    claimed = [result.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    everything = [row for part in claimed for row in part]
    assert len(everything) == len(set(everything)) == 4000
    assert sum(1 for part in claimed if part) >= 2, "the work was shared"


def test_recovery_rule_for_dead_workers(ledger: NoticeLedger) -> None:
    load(ledger, people(300))
    notice_id = ledger.notice_id("privacy/1.1")
    crashed = DeliveryQueue(ledger, notice_id, "email")
    never_sent = crashed.claim(100)
    maybe_sent = crashed.claim(100)
    assert never_sent and maybe_sent
    crashed.mark_sending(maybe_sent)
    with ledger.engine.begin() as connection:  # the worker stops beating: it died
        connection.execute(
            update(workers)
            .where(workers.c.id == crashed.worker_id)
            .values(heartbeat_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
    survivor = DeliveryQueue(ledger, notice_id, "email")
    recovery = survivor.recover(lease=dt.timedelta(minutes=10))
    assert (recovery.released, recovery.unknown, recovery.requeued) == (100, 100, 100)
    assert survivor.counts() == {"pending": 300}
    with ledger.engine.connect() as connection:
        states = dict(connection.execute(select(batches.c.id, batches.c.state)).all())
    assert states == {never_sent.id: "released", maybe_sent.id: "unknown"}
    assert notice_report(ledger, "privacy/1.1").resent == 0
    again = survivor.claim(300)
    assert again is not None and len(again.items) == 300
    assert notice_report(ledger, "privacy/1.1").resent == 100, "counted as sent twice"


def test_hold_keeps_unknown_outcomes_for_review(ledger: NoticeLedger) -> None:
    load(ledger, people(10))
    notice_id = ledger.notice_id("privacy/1.1")
    crashed = DeliveryQueue(ledger, notice_id, "email")
    batch = crashed.claim(10)
    assert batch
    crashed.mark_sending(batch)
    with ledger.engine.begin() as connection:
        connection.execute(
            update(workers)
            .where(workers.c.id == crashed.worker_id)
            .values(stopped_at=dt.datetime.now(dt.UTC))
        )
    survivor = DeliveryQueue(ledger, notice_id, "email")
    survivor.recover(lease=dt.timedelta(minutes=10), unknown="hold")
    assert survivor.counts() == {"unknown": 10}
    assert notice_report(ledger, "privacy/1.1").failure_count == 10


def test_unreachable_database_is_a_clear_error() -> None:
    from notifier.errors import NotifierError

    with pytest.raises(NotifierError) as caught:
        NoticeLedger.open("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in caught.value.message
    assert "cannot open the ledger" in caught.value.message


def test_migrations_build_the_schema_the_code_declares(ledger: NoticeLedger) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from notifier.ledger.schema import metadata

    with ledger.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_claims_read_pending_deliveries_through_the_partial_index(tmp_path: Path) -> None:
    # SQLite's plan (PostgreSQL chooses by table statistics).
    ledger = NoticeLedger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    load(ledger, people(50))
    with ledger.engine.connect() as connection:
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE notice_id = 1 "
                "AND channel = 'email' AND state = 'pending' ORDER BY id LIMIT 10"
            )
        )
    ledger.close()
    assert "ix_deliveries_pending" in plan


def test_answers_and_claims_share_one_transaction(ledger: NoticeLedger) -> None:
    load(ledger, people(30))
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    first = queue.claim(10, sending=True)
    assert first is not None
    with pytest.raises(RuntimeError), queue.transaction():
        queue.mark_submitted(
            first, [item.delivery_id for item in first.items], provider="x", message_id="m"
        )
        assert queue.claim(10, sending=True) is not None
        raise RuntimeError("the worker stops before committing")
    # Nothing of the block was kept: the first batch is still on its way, the rest pending.
    assert queue.counts() == {"claimed": 10, "pending": 20}
    with ledger.engine.connect() as connection:
        assert connection.execute(select(batches.c.state)).scalars().all() == ["sending"]


def test_an_answer_recorded_twice_is_counted_once(ledger: NoticeLedger) -> None:
    """Ctrl-C just after a round's commit records its answers again: rows and counters agree."""
    load(ledger, people(10))
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    batch = queue.claim(10, sending=True)
    assert batch is not None
    ids = [item.delivery_id for item in batch.items]
    answer: Future[BatchOutcome] = Future()
    answer.set_result(BatchOutcome([Accepted(ids[:8], "m1")], [Refused(ids[8:], "bad")], 2, 1))
    report = SendReport("privacy/1.1", "test")
    channel = OutboxChannel(Path("unused"), Sender("privacy@example.com", "Example"))
    assert _record(queue, batch, answer, channel, report) == 10
    assert _record(queue, batch, answer, channel, report) == 0
    assert (report.submitted, report.refused, report.batches, report.requests) == (8, 2, 1, 2)
    assert queue.counts() == {"submitted": 8, "failed": 2}
