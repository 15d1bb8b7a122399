"""SendGrid Event Webhook over real HTTP, with real ECDSA keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text

from notifier.ledger.proof import notice_report, proof_rows
from notifier.ledger.queue import DeliveryQueue
from notifier.ledger.store import NoticeLedger
from notifier.web.app import create_app
from notifier.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookVerifier

from .asgi_server import serve
from .test_ledger import NOTICE, load, people


def keypair() -> tuple[ec.EllipticCurvePrivateKey, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(public).decode()


def signed(
    private: ec.EllipticCurvePrivateKey,
    body: bytes,
    timestamp: int | None = None,
) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = private.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: stamp,
        "Content-Type": "application/json",
    }


@pytest.fixture
def setup(
    ledger_url: str,
) -> Iterator[tuple[str, NoticeLedger, ec.EllipticCurvePrivateKey, list[int]]]:
    ledger = NoticeLedger.open(ledger_url)
    load(ledger, people(5))
    queue = DeliveryQueue(ledger, ledger.notice_id(NOTICE.key), "email")
    batch = queue.claim()
    assert batch
    queue.mark_sending(batch)
    ids = [item.delivery_id for item in batch.items]
    queue.mark_submitted(batch, ids, provider="sendgrid", message_id="m1")
    private, public = keypair()
    with serve(create_app(ledger, WebhookVerifier(public))) as url:
        yield url, ledger, private, ids
    ledger.close()


def event(
    delivery: int, kind: str, timestamp: int = 1798000000, sg_id: str = "e1", **extra: object
) -> dict[str, object]:
    return {
        "email": "x@example.com",
        "timestamp": timestamp,
        "event": kind,
        "sg_event_id": sg_id,
        "sg_message_id": "m1.filter",
        "notice": NOTICE.key,
        "delivery": str(delivery),
        "batch": "1",
        **extra,
    }


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/webhooks/sendgrid", content=body, headers=headers, timeout=10)


def test_valid_events_update_the_ledger(setup) -> None:  # type: ignore[no-untyped-def]
    url, ledger, private, ids = setup
    body = json.dumps(
        [
            event(ids[0], "processed", sg_id="a"),
            event(ids[0], "delivered", sg_id="b"),
            event(ids[1], "bounce", sg_id="c", reason="550 mailbox unavailable"),
            event(ids[2], "dropped", sg_id="d", reason="Bounced Address"),
            {"event": "delivered", "timestamp": 1, "email": "other@example.com"},
        ]
    ).encode()
    response = post(url, body, signed(private, body))
    assert response.status_code == 200
    assert response.json() == {"recorded": 4, "duplicates": 0, "unmatched": 0, "skipped": 1}
    states = notice_report(ledger, NOTICE.key).states["email"]
    assert states == {"delivered": 1, "bounced": 1, "dropped": 1, "submitted": 2}
    row = next(r for r in proof_rows(ledger, notice=NOTICE.key) if r.state == "bounced")
    assert "bounce@" in row.events and "reason=550 mailbox unavailable" in row.events


def test_duplicates_are_recorded_once(setup) -> None:  # type: ignore[no-untyped-def]
    url, ledger, private, ids = setup
    first = json.dumps([event(ids[0], "delivered", sg_id="x1")]).encode()
    again_new_id = json.dumps([event(ids[0], "delivered", sg_id="x2")]).encode()
    assert post(url, first, signed(private, first)).json()["recorded"] == 1
    assert post(url, first, signed(private, first)).json()["duplicates"] == 1
    assert post(url, again_new_id, signed(private, again_new_id)).json()["duplicates"] == 1
    assert notice_report(ledger, NOTICE.key).states["email"]["delivered"] == 1


@pytest.mark.parametrize("case", ["unsigned", "forged", "tampered", "replayed", "future"])
def test_requests_that_are_not_genuine_and_fresh_are_refused(setup, case: str) -> None:  # type: ignore[no-untyped-def]
    url, ledger, private, ids = setup
    body = json.dumps([event(ids[0], "delivered")]).encode()
    headers = signed(private, body)
    if case == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif case == "forged":
        headers = signed(keypair()[0], body)
    elif case == "tampered":
        body = body.replace(b"delivered", b"bounce")
    elif case == "replayed":
        headers = signed(private, body, int(time.time()) - 3600)
    elif case == "future":
        headers = signed(private, body, int(time.time()) + 3600)
    response = post(url, body, headers)
    assert response.status_code == 401
    assert notice_report(ledger, NOTICE.key).states["email"] == {"submitted": 5}


def test_bad_bodies_are_refused(setup) -> None:  # type: ignore[no-untyped-def]
    url, _, private, _ = setup
    for body in (b"not json", b'{"event": "delivered"}'):
        assert post(url, body, signed(private, body)).status_code == 400


def test_health_and_unconfigured_webhook(ledger_url: str) -> None:
    ledger = NoticeLedger.open(ledger_url)
    with serve(create_app(ledger, None)) as url:
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        refused = httpx.post(f"{url}/webhooks/sendgrid", content=b"[]")
        assert refused.status_code == 503
    ledger.close()


def test_a_busy_sqlite_ledger_does_not_stall_the_server(tmp_path: Path) -> None:
    """Events wait for a sender's long write (queueing a large list) in a worker thread; the
    server goes on answering meanwhile, and records them once the write is committed."""
    path = tmp_path / "ledger.sqlite3"
    ledger = NoticeLedger.open(f"sqlite:///{path}")
    load(ledger, people(2))
    with ledger.engine.connect() as connection:
        delivery = int(connection.execute(text("SELECT min(id) FROM deliveries")).scalar_one())
    private, public = keypair()
    body = json.dumps([event(delivery, "delivered", sg_id="busy")]).encode()
    writer = sqlite3.connect(path, isolation_level=None)
    with serve(create_app(ledger, WebhookVerifier(public))) as url:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as a long queueing does
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(post, url, body, signed(private, body))
            time.sleep(0.5)
            assert not answer.done(), "the events wait for the lock"
            started = time.monotonic()
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
            assert time.monotonic() - started < 1.0
            writer.execute("ROLLBACK")
            assert answer.result(timeout=20).json()["recorded"] == 1
    writer.close()
    ledger.close()


def test_an_unreachable_ledger_answers_503_for_a_retry() -> None:
    unreachable = "postgresql+psycopg://notifier:s3cret@127.0.0.1:1/none"  # nothing on port 1
    ledger = NoticeLedger.open(unreachable, migrate=False)
    private, public = keypair()
    body = json.dumps([event(1, "delivered")]).encode()
    with serve(create_app(ledger, WebhookVerifier(public))) as url:
        response = post(url, body, signed(private, body))
    assert response.status_code == 503
    assert "s3cret" not in response.text and "retry" in response.json()["error"]
    ledger.close()
