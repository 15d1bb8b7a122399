"""The fast readers of users' in-app marks, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from notifier.ledger.inapp import ACKNOWLEDGED, SEEN, record_mark
from notifier.ledger.marks import PostgresMarkReader, open_mark_reader, read_marks
from notifier.ledger.store import LedgerError, NoticeLedger

from .test_ledger import NOTICE

CLASSES = {"material", "editorial"}


def _mark(ledger: NoticeLedger, user: str, kind: str) -> None:
    record_mark(ledger, user, NOTICE.key, kind, classes=CLASSES, ip=None, user_agent=None)


def test_concurrent_reads_each_get_their_own_users_marks(ledger_url: str) -> None:
    ledger = NoticeLedger.open(ledger_url)
    notice_id = ledger.save_notice(NOTICE)
    users = [f"user{i}" for i in range(60)]
    for index, user in enumerate(users):
        if index % 3 == 1:
            _mark(ledger, user, SEEN)
        elif index % 3 == 2:
            _mark(ledger, user, SEEN)
            _mark(ledger, user, ACKNOWLEDGED)
    reader = open_mark_reader(ledger)

    async def read_all() -> list[object]:
        # Every user twice and at once: on PostgreSQL, reads that wait together share a query.
        found = await asyncio.gather(*(reader.marks(user) for user in users + users))
        await reader.close()
        return list(found)

    found = asyncio.run(read_all())
    expected = [
        {},
        {notice_id: frozenset({SEEN})},
        {notice_id: frozenset({SEEN, ACKNOWLEDGED})},
    ]
    assert found == [expected[index % 3] for index in range(60)] * 2
    with ledger.engine.connect() as connection:  # the same read for synchronous callers
        assert [read_marks(connection, user) for user in users] == found[:60]
    ledger.close()


def test_a_ledger_marked_after_a_read_is_read_anew(ledger_url: str) -> None:
    ledger = NoticeLedger.open(ledger_url)
    notice_id = ledger.save_notice(NOTICE)
    reader = open_mark_reader(ledger)

    async def before_and_after() -> tuple[object, object]:
        before = await reader.marks("alice")
        _mark(ledger, "alice", ACKNOWLEDGED)
        after = await reader.marks("alice")
        await reader.close()
        return before, after

    assert asyncio.run(before_and_after()) == ({}, {notice_id: frozenset({ACKNOWLEDGED})})
    ledger.close()


def test_an_unreachable_database_is_a_ledger_error_without_the_password() -> None:
    reader = PostgresMarkReader(
        "postgresql://app:hunter2@127.0.0.1:1/test?connect_timeout=2",
        safe_name="postgresql://app:***@127.0.0.1:1/test",
    )

    async def read() -> None:
        try:
            await reader.marks("alice")
        finally:
            await reader.close()

    with pytest.raises(LedgerError) as caught:
        asyncio.run(read())
    assert "cannot read the ledger" in caught.value.message
    assert "hunter2" not in caught.value.message
