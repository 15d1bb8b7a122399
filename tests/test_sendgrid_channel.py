"""The SendGrid channel against a fake SendGrid API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifier.channels.base import StopSendingError
from notifier.channels.render import Sender, render_email
from notifier.channels.sendgrid import SendGridChannel, SendGridSettings
from notifier.ledger.queue import Batch, DeliveryQueue, Outgoing
from notifier.ledger.store import NoticeLedger
from notifier.recipients import Recipient

from .fake_sendgrid import API_KEY, FakeState, fake_sendgrid
from .test_ledger import NOTICE, load, people

SENDER = Sender("privacy@craftai.example", "CraftAI Platform")
CONTENT = render_email(NOTICE, SENDER)


@pytest.fixture
def server() -> Iterator[tuple[str, FakeState]]:
    with fake_sendgrid() as running:
        yield running


def channel(url: str, **options: object) -> SendGridChannel:
    settings = SendGridSettings(
        api_key=str(options.pop("api_key", API_KEY)),
        api_url=url,
        timeout=float(options.pop("timeout", 5.0)),
        backoff_base=0.01,
        **options,
    )  # type: ignore[arg-type]
    return SendGridChannel(settings, SENDER)


def batch(count: int, bad: tuple[int, ...] = ()) -> Batch:
    return Batch(
        7,
        tuple(
            Outgoing(i, f"bad{i}@example.com" if i in bad else f"user{i}@example.com")
            for i in range(1, count + 1)
        ),
    )


def test_payload_is_transactional_and_traceable(server: tuple[str, FakeState]) -> None:
    url, state = server
    outcome = channel(url, asm_group_id=42, sandbox=True).send(batch(3), NOTICE, CONTENT)
    assert [len(a.delivery_ids) for a in outcome.accepted] == [3]
    assert outcome.accepted[0].message_id
    payload = state.payloads[0]
    assert payload["tracking_settings"]["open_tracking"] == {"enable": False}
    assert payload["tracking_settings"]["click_tracking"]["enable"] is False
    assert payload["categories"] == ["policy-notice", "privacy"]
    assert payload["asm"] == {"group_id": 42}
    assert payload["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert [c["type"] for c in payload["content"]] == ["text/plain", "text/html"]
    assert payload["personalizations"][1]["custom_args"] == {"delivery": "2"}
    assert payload["custom_args"] == {"notice": "privacy/1.1", "batch": "7"}
    assert state.accepted[1].custom_args == {"notice": "privacy/1.1", "batch": "7", "delivery": "2"}
    assert payload["from"] == {"email": "privacy@craftai.example", "name": "CraftAI Platform"}


def test_a_full_batch_is_one_request(server: tuple[str, FakeState]) -> None:
    url, state = server
    outcome = channel(url).send(batch(1000), NOTICE, CONTENT)
    assert outcome.requests == 1 and state.requests == 1
    assert len(state.accepted) == 1000


def test_requests_of_a_thread_share_one_connection(server: tuple[str, FakeState]) -> None:
    url, state = server
    sending = channel(url)
    for _ in range(3):
        assert sending.send(batch(10), NOTICE, CONTENT).retries == 0
    assert state.requests == 3 and state.connections == 1


def test_a_connection_the_server_closed_is_replaced_before_use(
    server: tuple[str, FakeState],
) -> None:
    url, state = server
    state.close_after_answer = True
    sending = channel(url)
    for sent in range(1, 4):
        outcome = sending.send(batch(10), NOTICE, CONTENT)
        assert outcome.retries == 0 and len(outcome.accepted) == 1
        _wait_until(lambda: state.connections_ended == sent)  # noqa: B023
    assert state.requests == 3 and state.connections == 3


def test_requests_go_over_tls_and_share_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against an HTTPS server whose certificate the client trusts (``SSL_CERT_FILE``, as an
    operator behind an inspecting proxy would set it): verified, and one handshake."""
    context, certificate = _tls_server(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    with fake_sendgrid(tls=context) as (url, state):
        assert url.startswith("https://")
        sending = channel(url)
        for _ in range(3):
            assert sending.send(batch(10), NOTICE, CONTENT).retries == 0
    assert state.requests == 3 and state.connections == 1 and len(state.accepted) == 30


def test_requests_go_through_the_proxy_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context, certificate = _tls_server(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with fake_sendgrid(tls=context) as (url, state), _tunnelling_proxy() as (proxy, tunnels):
        monkeypatch.setenv("https_proxy", proxy)
        sending = channel(url)
        for _ in range(2):
            assert sending.send(batch(10), NOTICE, CONTENT).retries == 0
    assert tunnels == [url.removeprefix("https://")]  # one tunnel, kept open
    assert state.requests == 2 and len(state.accepted) == 20


@contextmanager
def _tunnelling_proxy() -> Iterator[tuple[str, list[str]]]:
    """An HTTP proxy on 127.0.0.1 that answers CONNECT and relays the bytes both ways."""
    tunnels: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def relay(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                head = b""
                while b"\r\n\r\n" not in head:
                    head += client.recv(1024)
                target = head.split()[1].decode()
                tunnels.append(target)
                host, port = target.rsplit(":", 1)
                upstream = socket.create_connection((host, int(port)))
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=relay, args=(a, b), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", tunnels
    finally:
        listener.close()


def test_a_certificate_the_client_does_not_trust_is_a_network_failure(
    tmp_path: Path,
) -> None:
    context, _ = _tls_server(tmp_path)
    with (
        fake_sendgrid(tls=context) as (url, state),
        pytest.raises(StopSendingError, match="not answering"),
    ):
        channel(url, max_retries=1).send(batch(3), NOTICE, CONTENT)
    assert state.requests == 0


def _tls_server(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a new self-signed certificate for 127.0.0.1, and that certificate
    (for a client to trust)."""
    certificate, key = _self_signed(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return context, certificate


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "server.pem", folder / "server.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
    time.sleep(0.05)  # the server closes the socket just after its handler ends


@pytest.mark.parametrize("faults", [["429"], ["500", "503"], ["drop"], ["500", "drop", "503"]])
def test_transient_failures_are_retried(server: tuple[str, FakeState], faults: list[str]) -> None:
    url, state = server
    state.faults = list(faults)
    outcome = channel(url).send(batch(5), NOTICE, CONTENT)
    assert sum(len(a.delivery_ids) for a in outcome.accepted) == 5
    assert outcome.retries == len(faults)
    assert sorted(state.addresses()) == sorted(f"user{i}@example.com" for i in range(1, 6))


def test_a_timeout_is_retried_and_may_deliver_twice(server: tuple[str, FakeState]) -> None:
    url, state = server
    state.faults = ["timeout:1.5"]
    outcome = channel(url, timeout=0.5).send(batch(2), NOTICE, CONTENT)
    assert outcome.retries == 1
    assert sum(len(a.delivery_ids) for a in outcome.accepted) == 2
    # The slow request was processed after the client gave up: SendGrid has no idempotency key.
    assert len(state.addresses()) in (2, 4)


def test_bad_addresses_are_isolated_and_refused(server: tuple[str, FakeState]) -> None:
    url, state = server
    outcome = channel(url).send(batch(64, bad=(5, 40)), NOTICE, CONTENT)
    refused = sorted(i for r in outcome.refused for i in r.delivery_ids)
    assert refused == [5, 40]
    assert all("Does not contain a valid address" in r.error for r in outcome.refused)
    assert sum(len(a.delivery_ids) for a in outcome.accepted) == 62
    assert len(set(state.addresses())) == 62
    assert outcome.requests <= 2 * 2 * 6 + 1, "halving, not one request per address"


def test_refused_key_stops_at_once(server: tuple[str, FakeState]) -> None:
    url, state = server
    with pytest.raises(StopSendingError, match="refused the API key") as caught:
        channel(url, api_key="SG.wrong").send(batch(3), NOTICE, CONTENT)
    assert "SG.wrong" not in caught.value.message
    assert state.accepted == []


def test_service_down_stops_after_retries(server: tuple[str, FakeState]) -> None:
    url, state = server
    state.faults = ["503"] * 10
    with pytest.raises(StopSendingError, match="not answering"):
        channel(url, max_retries=2).send(batch(3), NOTICE, CONTENT)
    assert state.accepted == []


def test_connection_refused_is_a_clear_stop() -> None:
    with pytest.raises(StopSendingError, match="network error"):
        channel("http://127.0.0.1:9", max_retries=1).send(batch(1), NOTICE, CONTENT)


def test_api_key_and_addresses_never_reach_the_logs(
    server: tuple[str, FakeState], caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = server
    caplog.set_level(logging.DEBUG)
    channel(url).send(batch(3), NOTICE, CONTENT)
    assert API_KEY not in caplog.text
    assert "user1@example.com" not in caplog.text


def test_the_database_renders_a_batch_as_the_channel_does(ledger: NoticeLedger) -> None:
    """A batch's personalizations rendered by the ledger's database (SQLite, PostgreSQL) are
    those the channel builds itself; a batch whose rows changed is left to the channel."""
    crowd = people(300)
    crowd[7] = Recipient("o'brien+notices@example.com", "7")  # characters JSON leaves alone
    load(ledger, crowd, batch_size=200)
    queue = DeliveryQueue(ledger, ledger.notice_id("privacy/1.1"), "email")
    sending = channel("http://127.0.0.1:9")
    item = sending.recipient_sql(ledger.dialect)
    assert item is not None
    for claimed in (queue.claim(), queue.claim()):
        assert claimed is not None
        rendered = queue.render(claimed, item)
        assert rendered is not None
        by_delivery = sorted(json.loads(rendered), key=lambda p: int(p["custom_args"]["delivery"]))
        built = sending.payload(list(claimed.items), claimed, NOTICE, CONTENT)
        assert by_delivery == built["personalizations"]
        body = json.loads(sending.body(list(claimed.items), claimed, NOTICE, CONTENT, rendered))
        assert {**body, "personalizations": by_delivery} == built
    gap = Batch(claimed.id, claimed.items[:5] + claimed.items[6:])  # not the database's rows
    assert queue.render(gap, item) is None
    assert queue.render(claimed, "no_such_function(id)") is None  # the database fails
