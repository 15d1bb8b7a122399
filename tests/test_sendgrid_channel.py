"""The SendGrid channel against a fake SendGrid API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from notifier.channels.base import StopSendingError
from notifier.channels.render import Sender, render_email
from notifier.channels.sendgrid import SendGridChannel, SendGridSettings
from notifier.ledger.queue import Batch, Outgoing

from .fake_sendgrid import API_KEY, FakeState, fake_sendgrid
from .test_ledger import NOTICE

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
