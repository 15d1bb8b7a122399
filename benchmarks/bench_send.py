"""Send one notice to N recipients (default 1,000,000) from a CSV through the SendGrid channel
to the fake SendGrid server on 127.0.0.1, with the SQLite ledger, then with PostgreSQL.

Baseline, in the same run: the floor of the job, a bare pass that only reads the CSV, validates
the addresses and builds the same request payloads (no ledger, no HTTP), timed before and after
each send (the median is the floor).
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from notifier.channels.render import Sender, render_email
from notifier.channels.sendgrid import SendGridChannel, SendGridSettings
from notifier.ledger.queue import Batch, Outgoing
from notifier.recipients import address_problem, read_recipients
from tests.conftest import POSTGRES_URL, _drop_ledger
from tests.fake_sendgrid import API_KEY, fake_sendgrid
from tests.site_repo import build_site_repo
from tests.test_ledger import NOTICE

BATCH = 1000


def _csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("email,id\n")
        handle.writelines(f"user{i}@example.com,u{i}\n" for i in range(count))


def bare_pass(path: Path) -> int:
    """Read, validate and build every payload, nothing else: the dicts the channel builds in
    Python (a send has the database render the recipients of whole batches instead)."""
    sender = Sender("privacy@example.com", "Example")
    channel = SendGridChannel(SendGridSettings(api_key="unused"), sender)
    content = render_email(NOTICE, sender)
    pending: list[Outgoing] = []
    payloads = 0
    for number, person in enumerate(read_recipients(path)):
        if address_problem(person.email) is None:
            pending.append(Outgoing(number, person.email))
        if len(pending) == BATCH:
            channel.payload(pending, Batch(number, ()), NOTICE, content)
            payloads += 1
            pending = []
    if pending:
        channel.payload(pending, Batch(0, ()), NOTICE, content)
        payloads += 1
    return payloads


def _send(repo: Path, people: Path, url: str, ledger: str) -> tuple[float, float]:
    env = dict(
        os.environ, SENDGRID_API_KEY=API_KEY, SENDGRID_API_URL=url, NOTIFIER_DATABASE_URL=ledger
    )
    start = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "notifier",
            "send",
            "privacy@2.0",
            "--recipients",
            str(people),
            "--channel",
            "sendgrid",
            "--format",
            "json",
        ],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"notifier send failed: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    return elapsed, usage.ru_maxrss / 1024


def run(count: int = int(os.environ.get("BENCH_RECIPIENTS", "1000000"))) -> dict[str, float]:
    """Print throughput, requests and peak memory for SQLite and PostgreSQL, and the floor."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        people = root / "people.csv"
        _csv(people, count)
        floors = [_timed_bare_pass(people)]
        print(
            f"send: {count} recipients, batch {BATCH}; bare pass (read, validate, build "
            f"{math.ceil(count / BATCH)} payloads): {floors[0]:.1f} s"
        )
        results: dict[str, float] = {}
        runs: dict[str, tuple[float, float, int, int]] = {}
        for name, ledger in (
            ("sqlite", f"sqlite:///{root / 'ledger.sqlite3'}"),
            ("postgresql", POSTGRES_URL),
        ):
            repo = build_site_repo(root / f"repo-{name}")
            if name == "postgresql":
                _drop_ledger(POSTGRES_URL)
            with fake_sendgrid() as (url, state):
                state.count_only = True
                elapsed, peak = _send(repo.path, people, url, ledger)
            runs[name] = (elapsed, peak, state.requests, state.accepted_count)
            results[f"{name}_s"] = elapsed
            if name == "postgresql":
                _drop_ledger(POSTGRES_URL)
            # The floor again after each run: a shared machine's speed drifts within minutes.
            floors.append(_timed_bare_pass(people))
        floor = statistics.median(floors)
        print(f"  bare pass, median of {len(floors)} (before and after each run): {floor:.1f} s")
        for name, (elapsed, peak, requests, accepted) in runs.items():
            print(
                f"  {name:<10} {elapsed:6.1f} s  {count / elapsed:8,.0f} recipients/s  "
                f"{requests} requests (expected {math.ceil(count / BATCH)})  peak {peak:.0f} MB  "
                f"ratio to floor {elapsed / floor:.1f}x  accepted {accepted}"
            )
        results["floor_s"] = floor
        return results


def _timed_bare_pass(people: Path) -> float:
    start = time.perf_counter()
    bare_pass(people)
    return time.perf_counter() - start
