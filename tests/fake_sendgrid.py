"""A fake SendGrid v3 API on 127.0.0.1: real HTTP, checked like SendGrid checks, with faults.

It validates each ``/v3/mail/send`` request as SendGrid would (API key, at most 1,000
personalizations, no address twice in one request, required fields, valid addresses), answers
202 with ``X-Message-Id``, records every recipient it accepted, and can be told to answer the next
requests with faults: ``429`` (with rate-limit headers), ``500``, ``503``, ``401``, ``slow:<s>``,
``timeout:<s>`` (answer only after the client gave up) and ``drop`` (close without answering).
Addresses starting with ``bad`` are refused like invalid addresses: the whole request gets 400.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "SG.test-key-never-logged"


@dataclass
class Accepted:
    """One recipient of one accepted request."""

    address: str
    custom_args: dict[str, str]
    message_id: str


@dataclass
class FakeState:
    """What the fake server saw and what it will do next."""

    api_key: str = API_KEY
    faults: list[str] = field(default_factory=list)
    accepted: list[Accepted] = field(default_factory=list)
    requests: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    keep_payloads: bool = True
    delay: float = 0.0  # seconds to wait before answering any request
    count_only: bool = False  # for benchmarks: count recipients instead of recording them
    accepted_count: int = 0
    connections: int = 0  # opened by clients
    connections_ended: int = 0
    close_after_answer: bool = False  # close each connection after its answer, unannounced
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> str | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def addresses(self) -> list[str]:
        return [a.address for a in self.accepted]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: FakeState

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle(self) -> None:
        with self.state.lock:
            self.state.connections += 1
        try:
            super().handle()
        finally:
            with self.state.lock:
                self.state.connections_ended += 1

    def end_headers(self) -> None:
        # As a server closing idle connections does: after the answer, without saying so.
        if self.state.close_after_answer:
            self.close_connection = True
        super().end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with self.state.lock:
            self.state.requests += 1
        if self.state.delay:
            time.sleep(self.state.delay)
        fault = self.state.next_fault()
        if fault == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault and fault.startswith(("slow:", "timeout:")):
            time.sleep(float(fault.split(":", 1)[1]))
            fault = None
        if self.path != "/v3/mail/send":
            self._answer(404, {"errors": [{"message": "not found"}]})
        elif fault in ("429", "500", "503", "401"):
            self._fault(int(fault))
        elif self.headers.get("Authorization") != f"Bearer {self.state.api_key}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            self._answer(401, {"errors": [{"message": message}]})
        else:
            problem, payload = self._validate(body)
            if problem:
                with self.state.lock:
                    self.state.rejected.append((400, problem))
                self._answer(400, {"errors": [{"message": problem, "field": None}]})
            else:
                self._accept(payload)

    def _validate(self, body: bytes) -> tuple[str | None, dict[str, Any]]:
        try:
            payload = json.loads(body)
        except ValueError:
            return "Bad Request", {}
        people = payload.get("personalizations")
        if not isinstance(people, list) or not 1 <= len(people) <= 1000:
            return "The personalizations field must have between 1 and 1000 items.", payload
        if not payload.get("from", {}).get("email") or not payload.get("subject"):
            return "The from address and the subject are required.", payload
        if not payload.get("content"):
            return (
                "Unless a valid template_id is provided, the content parameter is required.",
                payload,
            )
        seen: set[str] = set()
        for person in people:
            for to in person.get("to", []):
                address = str(to.get("email", "")).lower()
                if address.startswith("bad") or "@" not in address:
                    return "Does not contain a valid address.", payload
                if address in seen:
                    return (
                        "Each email address in the personalization block should be unique "
                        "between to, cc, and bcc."
                    ), payload
                seen.add(address)
        return None, payload

    def _accept(self, payload: dict[str, Any]) -> None:
        message_id = uuid.uuid4().hex[:22]
        with self.state.lock:
            self.state.accepted_count += len(payload["personalizations"])
            if self.state.count_only:
                self._send_accepted(message_id)
                return
            if self.state.keep_payloads:
                self.state.payloads.append(payload)
            shared = payload.get("custom_args", {})
            for person in payload["personalizations"]:
                # As SendGrid does: a personalization's custom_args over the message's.
                custom_args = {**shared, **person.get("custom_args", {})}
                for to in person["to"]:
                    self.state.accepted.append(Accepted(to["email"], custom_args, message_id))
        self._send_accepted(message_id)

    def _send_accepted(self, message_id: str) -> None:
        self.send_response(202)
        self.send_header("X-Message-Id", message_id)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _fault(self, status: int) -> None:
        headers = {}
        if status == 429:
            headers = {
                "X-RateLimit-Limit": "600",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + 1),
            }
        self._answer(status, {"errors": [{"message": f"fault {status}"}]}, headers)

    def _answer(
        self,
        status: int,
        data: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@contextmanager
def fake_sendgrid(
    state: FakeState | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[str, FakeState]]:
    """Run the fake API on a free port of 127.0.0.1 (over TLS with ``tls``, a server context);
    yields its base URL and its state."""
    state = state or FakeState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def serve_forever(port: int = 0) -> None:
    """Run the fake server in the foreground (``python -m tests.fake_sendgrid``)."""
    with fake_sendgrid() as (url, _state):
        print(url, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    serve_forever()
