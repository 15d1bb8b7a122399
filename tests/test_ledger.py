"""The ledger on real SQLite and PostgreSQL: queueing, claiming, recording, recovering."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from concurrent.futures import Future
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import event, select, update

from notifier.channels.base import Accepted, BatchOutcome, Refused
from notifier.channels.outbox import OutboxChannel
from notifier.channels.render import Sender
from notifier.ledger.loading import _CUT_BATCHES, LoadReport
from notifier.ledger.proof import notice_report, proof_rows
from notifier.ledger.queue import _MEMBERS, DeliveryQueue
from notifier.ledger.schema import batches, deliveries, recipients, workers
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


def load(ledger: NoticeLedger, people: list[Recipient], batch_size: int = 1000) -> LoadReport:
    return queue_recipients(ledger, ledger.save_notice(NOTICE), people, batch_size=batch_size)


def people(count: int, start: int = 0) -> list[Recipient]:
    return [Recipient(f"user{i}@example.com", str(i)) for i in range(start, start + count)]


def assert_proof_agrees(ledger: NoticeLedger, queue: DeliveryQueue) -> None:
    """The proof's state of each delivery (SQL) and the counts per state agree."""
    proved = Counter(row.state for row in proof_rows(ledger, notice="privacy/1.1"))
    assert dict(proved) == queue.counts()


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
    report = notice_report(ledger, "privacy/1.1")
    assert report.states["email"] == {"pending": 12000, "failed": 1}
    assert report.batches == {"pending": 12}, "cut into full batches, the invalid one left out"
    with ledger.engine.connect() as connection:
        sizes = connection.execute(select(batches.c.size)).scalars().all()
    assert sizes == [1000] * 12


def test_empty_values_are_stored_as_none(ledger: NoticeLedger) -> None:
    load(ledger, [Recipient("a@example.com"), Recipient("b@example.com", "7", locale="fr")])
    load(ledger, [Recipient("b@example.com", "7")])  # a later file without the locale keeps it
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            select(recipients.c.user_key, recipients.c.user_id, recipients.c.locale).order_by(
                recipients.c.id
            )
        ).all()
        errors = connection.execute(select(deliveries.c.error)).scalars().all()
    assert [tuple(row) for row in rows] == [("email:a@example.com", None, None), ("7", "7", "fr")]
    assert errors == [None, None]


def test_claim_submit_and_proof(ledger: NoticeLedger) -> None:
    load(ledger, people(2500))
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    batch = queue.claim()
    assert batch is not None and len(batch.items) == 1000
    assert batch.items[0].address == "user0@example.com"
    queue.mark_sending(batch)
    ids = [item.delivery_id for item in batch.items]
    queue.mark_submitted(batch, ids[:-1], provider="sendgrid", message_id="msg-1")
    queue.mark_failed(batch, ids[-1:], "SendGrid 400: Does not contain a valid address.")
    assert queue.counts() == {"submitted": 999, "failed": 1, "pending": 1500}
    assert_proof_agrees(ledger, queue)
    report = notice_report(ledger, "privacy/1.1")
    assert report.batches == {"partial": 1, "pending": 2}
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
    load(ledger, people(3000), batch_size=700)
    notice_id = ledger.notice_id("privacy/1.1")
    first, second = (
        DeliveryQueue(ledger, notice_id, "email"),
        DeliveryQueue(ledger, notice_id, "email"),
    )
    seen: set[int] = set()
    while True:
        claimed = [q.claim() for q in (first, second)]
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
    while (batch := queue.claim()) is not None:
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
    load(ledger, people(4000), batch_size=50)
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
    load(ledger, people(300), batch_size=100)
    notice_id = ledger.notice_id("privacy/1.1")
    crashed = DeliveryQueue(ledger, notice_id, "email")
    never_sent = crashed.claim()
    maybe_sent = crashed.claim()
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
        states = connection.execute(select(batches.c.state)).scalars().all()
    assert states == ["pending"] * 3
    assert notice_report(ledger, "privacy/1.1").resent == 100, "counted as maybe sent twice"
    again = [survivor.claim() for _ in range(4)]
    assert [len(batch.items) if batch else 0 for batch in again] == [100, 100, 100, 0]


def test_hold_keeps_unknown_outcomes_for_review(ledger: NoticeLedger) -> None:
    load(ledger, people(10))
    notice_id = ledger.notice_id("privacy/1.1")
    crashed = DeliveryQueue(ledger, notice_id, "email")
    batch = crashed.claim()
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
    assert_proof_agrees(ledger, survivor)
    report = notice_report(ledger, "privacy/1.1")
    assert report.failure_count == 10 and report.batches == {"unknown": 1}
    assert report.failures[0].error.startswith("outcome unknown")
    assert survivor.claim() is None, "held, not sent again"


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


def test_the_head_revision_is_the_last_migration(ledger: NoticeLedger) -> None:
    """A ledger at HEAD_REVISION is opened without loading Alembic: it must be the head."""
    from alembic.script import ScriptDirectory

    from notifier.ledger.migrations import HEAD_REVISION
    from notifier.ledger.store import _alembic_config

    assert ScriptDirectory.from_config(_alembic_config()).get_heads() == [HEAD_REVISION]
    assert ledger._revision() == HEAD_REVISION


def test_sending_reads_deliveries_by_ranges_of_their_key(tmp_path: Path) -> None:
    """SQLite's plans (PostgreSQL chooses by table statistics): a batch's deliveries, and the
    counts of queued ones, are read as ranges of the primary key, never by scanning the notice's
    deliveries and sorting them (a million rows per claim). (Counting the deliveries that have
    states of their own reads the notice's, once per run.)"""
    ledger = NoticeLedger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    load(ledger, people(50), batch_size=10)
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    statements: list[str] = []

    def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        own_states = "GROUP BY deliveries.channel" in statement
        if statement.lstrip().startswith("SELECT") and "deliveries" in statement and not own_states:
            statements.append(statement if not parameters else _inline(statement, parameters))

    event.listen(ledger.engine, "before_cursor_execute", keep)
    assert queue.claim() is not None and queue.counts() == {"claimed": 10, "pending": 40}
    event.remove(ledger.engine, "before_cursor_execute", keep)
    cut = _CUT_BATCHES.format(m="?", whole="")
    plans = [_plan(ledger, statement) for statement in statements]
    plans.append(_plan(ledger, _inline(cut, (1, "email", 10, 0, 50, 1, "email"))))
    plans.append(_plan(ledger, _inline(_MEMBERS.format(m="?"), (1, 10, 1, "email"))))
    ledger.close()
    assert len(plans) == 3
    for plan in plans:
        reads = [step for step in plan if " deliveries" in step or " d " in step + " "]
        assert reads and all("INTEGER PRIMARY KEY" in step for step in reads), plan


def _inline(statement: str, parameters: Any) -> str:
    for value in parameters:
        literal = f"'{value}'" if isinstance(value, str) else str(value)
        statement = statement.replace("?", literal, 1)
    return statement


def _plan(ledger: NoticeLedger, statement: str) -> list[str]:
    with ledger.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}").all()
    return [str(row[-1]) for row in rows]


def test_migration_0004_queues_what_was_waiting_and_settles_claims(ledger_url: str) -> None:
    """A ledger of the per-row schema (0003), with a send stopped half-way, upgraded."""
    ledger = NoticeLedger.open(ledger_url, migrate=False)
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("notifier.ledger").joinpath("migrations"))
    )
    with ledger.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        for statement in _LEDGER_0003:
            connection.exec_driver_sql(statement)
        if ledger.dialect == "postgresql":  # the rows above chose their ids
            for table in ("notices", "workers", "recipients", "batches", "deliveries"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100)"
                )
    ledger.close()
    ledger = NoticeLedger.open(ledger_url)
    queue = DeliveryQueue(ledger, 1, "email")
    assert queue.counts() == {"submitted": 1, "pending": 3, "unknown": 1, "delivered": 1}
    report = notice_report(ledger, "privacy/1.1")
    assert report.batches == {"accepted": 1, "released": 1, "unknown": 1, "pending": 1}
    assert report.resent == 1
    batch = queue.claim()
    assert batch is not None and [item.delivery_id for item in batch.items] == [3, 4, 6]
    queue.mark_submitted(batch, [3, 4, 6], provider="sendgrid", message_id="m9")
    assert_proof_agrees(ledger, queue)
    rows = {row.user_id: row for row in proof_rows(ledger, notice="privacy/1.1")}
    assert (rows["1"].state, rows["1"].provider_message_id) == ("submitted", "m1")
    assert (rows["2"].state, rows["2"].provider_message_id) == ("delivered", "m1")
    assert (rows["3"].state, rows["3"].provider_message_id) == ("submitted", "m9")
    assert (rows["5"].state, rows["5"].provider_message_id) == ("unknown", None), "not sent in m9"
    queue.stop()
    ledger.close()


_NOW = "'2026-11-01 10:00:00'"
_LEDGER_0003 = [
    "INSERT INTO notices (id, key, document, version, title, change_class, summary, "
    'effective_date, content_hash, text_url, redline_url, material_changes, "commit", '
    f"created_at) VALUES (1, 'privacy/1.1', 'privacy', '1.1', 'P', 'material', 'S', "
    f"'2026-12-26', 'h', 'u', 'r', '[]', 'c', {_NOW})",
    "INSERT INTO workers (id, host, pid, started_at, heartbeat_at) "
    f"VALUES (1, 'gone', 1, {_NOW}, {_NOW})",
    *(
        "INSERT INTO recipients (id, user_key, user_id, email, first_seen_at) "
        f"VALUES ({i}, '{i}', '{i}', 'user{i}@example.com', {_NOW})"
        for i in range(1, 7)
    ),
    # Batch 1 accepted (one delivery since delivered, one sent twice); 2 claimed, never sent;
    # 3 on its way when the sender died.
    "INSERT INTO batches (id, notice_id, worker_id, state, size, provider_message_id, "
    f"claimed_at) VALUES (1, 1, 1, 'accepted', 2, 'm1', {_NOW}), "
    f"(2, 1, 1, 'claimed', 1, NULL, {_NOW}), (3, 1, 1, 'sending', 1, NULL, {_NOW})",
    *(
        "INSERT INTO deliveries (id, notice_id, recipient_id, channel, address, address_key, "
        "state, batch_id, provider, provider_message_id, attempts, created_at) VALUES "
        f"({i}, 1, {i}, 'email', 'user{i}@example.com', 'user{i}@example.com', '{state}', "
        f"{batch}, {provider}, {message}, {attempts}, {_NOW})"
        for i, state, batch, provider, message, attempts in [
            (1, "submitted", 1, "'sendgrid'", "'m1'", 2),
            (2, "delivered", 1, "'sendgrid'", "'m1'", 1),
            (3, "pending", "NULL", "NULL", "NULL", 0),
            (4, "claimed", 2, "NULL", "NULL", 1),
            (5, "claimed", 3, "NULL", "NULL", 1),
            (6, "pending", "NULL", "NULL", "NULL", 0),
        ]
    ),
]


def test_answers_and_claims_share_one_transaction(ledger: NoticeLedger) -> None:
    load(ledger, people(30), batch_size=10)
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    first = queue.claim(sending=True)
    assert first is not None
    with pytest.raises(RuntimeError), queue.transaction():
        queue.mark_submitted(
            first, [item.delivery_id for item in first.items], provider="x", message_id="m"
        )
        assert queue.claim(sending=True) is not None
        raise RuntimeError("the worker stops before committing")
    # Nothing of the block was kept: the first batch is still on its way, the rest pending.
    assert queue.counts() == {"claimed": 10, "pending": 20}
    with ledger.engine.connect() as connection:
        states = connection.execute(select(batches.c.state).order_by(batches.c.id)).scalars()
        assert states.all() == ["sending", "pending", "pending"]
    assert_proof_agrees(ledger, queue)


def test_an_answer_recorded_twice_is_counted_once(ledger: NoticeLedger) -> None:
    """Ctrl-C just after a round's commit records its answers again: rows and counters agree."""
    load(ledger, people(10))
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    batch = queue.claim(sending=True)
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
