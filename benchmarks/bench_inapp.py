"""Load the in-app notice API: 100,000 users and 5 notices in the ledger, random users.

In the same run, the same server serves the static ``notices.json``. Reported, for SQLite and
PostgreSQL: saturation throughput with 64 connections for both, and p50/p99 latency of the API
at an offered rate of half its saturation throughput (open loop: requests are sent on schedule
whether or not earlier ones have answered).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp

from notifier.ledger.inapp import record_mark
from notifier.ledger.store import NoticeLedger
from notifier.web.tokens import mint_token
from tests.conftest import POSTGRES_URL, _drop_ledger
from tests.test_ledger import NOTICE

USERS = int(os.environ.get("BENCH_USERS", "100000"))
SECRET = "benchmark-secret-of-sufficient-length-0123456789"
CONNECTIONS = 64
SECONDS = 8.0
ROOT = Path(__file__).resolve().parent.parent


def _fill(url: str) -> None:
    ledger = NoticeLedger.open(url)
    for index in range(5):
        change = "material" if index % 2 == 0 else "editorial"
        ledger.save_notice(
            replace(
                NOTICE,
                key=f"doc{index}/1.{index}",
                document=f"doc{index}",
                change_class=change,
                effective_date=dt.date(2026, 1 + index, 1),
            )
        )
    now = dt.datetime.now(dt.UTC)
    with ledger.engine.begin() as connection:
        cursor = connection.connection.cursor()
        sql = (
            "INSERT INTO recipients (user_key, user_id, email, locale, first_seen_at) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        if ledger.dialect != "sqlite":
            sql = sql.replace("?", "%s")
        stamp = now if ledger.dialect != "sqlite" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
        cursor.executemany(
            sql, [(f"u{i}", f"u{i}", f"u{i}@example.com", None, stamp) for i in range(USERS)]
        )
    for i in range(0, USERS, 50):  # some users have already seen or acknowledged notices
        record_mark(
            ledger,
            f"u{i}",
            "doc0/1.0",
            "seen" if i % 100 else "acknowledged",
            classes={"material", "editorial"},
            ip="127.0.0.1",
            user_agent="bench",
        )
    ledger.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _closed_loop(url: str, tokens: list[str] | None) -> float:
    """Requests per second with CONNECTIONS requests always in flight."""
    done = 0
    deadline = time.perf_counter() + SECONDS
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                headers = {"Authorization": f"Bearer {random.choice(tokens)}"} if tokens else {}
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        return done / (time.perf_counter() - start)


async def _open_loop(url: str, tokens: list[str], rate: float) -> list[float]:
    """Latencies (ms) of requests sent at a fixed rate."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            start = time.perf_counter()
            headers = {"Authorization": f"Bearer {random.choice(tokens)}"}
            async with session.get(url, headers=headers) as response:
                await response.read()
            latencies.append((time.perf_counter() - start) * 1000)

        tasks = []
        start = time.perf_counter()
        count = int(rate * SECONDS)
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return latencies


def _measure(name: str, ledger_url: str, notices_json: Path) -> dict[str, float]:
    port = _free_port()
    env = dict(
        os.environ,
        BENCH_LEDGER_URL=ledger_url,
        BENCH_SECRET=SECRET,
        BENCH_NOTICES_JSON=str(notices_json),
        PYTHONPATH=str(ROOT),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.inapp_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        tokens = [
            mint_token(f"u{random.randrange(USERS)}", SECRET, lifetime=3600) for _ in range(2000)
        ]
        static = asyncio.run(_closed_loop(f"{base}/notices.json", None))
        dynamic = asyncio.run(_closed_loop(f"{base}/v1/notices", tokens))
        latencies = asyncio.run(_open_loop(f"{base}/v1/notices", tokens, dynamic / 2))
        p50 = statistics.median(latencies)
        p99 = statistics.quantiles(latencies, n=100)[98]
        print(
            f"  {name:<10} static {static:7.0f} req/s  API {dynamic:7.0f} req/s "
            f"({dynamic / static:.0%} of static)  at {dynamic / 2:.0f} req/s: p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms"
        )
        return {f"{name}_static": static, f"{name}_api": dynamic, f"{name}_p99": p99}
    finally:
        server.terminate()
        server.wait(timeout=10)


def run() -> dict[str, float]:
    """Fill both ledgers, then measure each."""
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        notices_json = Path(folder) / "notices.json"
        # A notices.json like the site's: five notices.
        notice = {
            "id": "doc0/1.0",
            "document": "doc0",
            "title": NOTICE.title,
            "version": "1.0",
            "effective_date": "2026-01-01",
            "class": "material",
            "status": "current",
            "summary": NOTICE.summary,
            "acknowledgement_required": True,
            "links": {
                "text": NOTICE.text_url,
                "redline": NOTICE.redline_url,
                "current": NOTICE.text_url,
            },
            "content_hash": NOTICE.content_hash,
        }
        notices_json.write_text(
            json.dumps({"schema_version": 1, "notices": [notice] * 5}), encoding="utf-8"
        )
        print(f"inapp: {USERS} users, 5 notices, {CONNECTIONS} connections, {SECONDS:.0f} s each")
        sqlite_url = f"sqlite:///{Path(folder) / 'ledger.sqlite3'}"
        _fill(sqlite_url)
        results |= _measure("sqlite", sqlite_url, notices_json)
        _drop_ledger(POSTGRES_URL)
        _fill(POSTGRES_URL)
        try:
            results |= _measure("postgresql", POSTGRES_URL, notices_json)
        finally:
            _drop_ledger(POSTGRES_URL)
    return results
