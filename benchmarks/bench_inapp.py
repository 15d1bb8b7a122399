"""Load the in-app notice API: 100,000 users and 5 notices in the ledger, random users.

In the same run, the same server serves the static ``notices.json``. Reported, for SQLite and
PostgreSQL: saturation throughput with 64 connections for both (wrk, from Debian: a C load
generator leaves the server the CPU a Python one would take), and p50/p99 latency of the API
at an offered rate of half its saturation throughput (open loop: requests are sent on schedule
whether or not earlier ones have answered, and timed from their scheduled time).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

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
    # A ledger in service has planner statistics and is vacuumed; a freshly filled one is not:
    # PostgreSQL would plan the marks query as if the tables were empty, and autovacuum would
    # run during the measurement.
    command = "VACUUM ANALYZE" if ledger.dialect == "postgresql" else "ANALYZE"
    with ledger.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(command)
    ledger.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _saturation(url: str, tokens: Path | None) -> float:
    """Requests per second with CONNECTIONS connections always busy (wrk, 2 threads)."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS:.0f}s", "--latency", url]
    env = dict(os.environ)
    if tokens is not None:
        command[1:1] = ["-s", str(ROOT / "benchmarks" / "random_token.lua")]
        env["TOKENS_FILE"] = str(tokens)
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw failed requests:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


async def _open_loop(port: int, tokens: list[str], rate: float) -> list[float]:
    """Latencies (ms) of requests sent on schedule at ``rate`` (open loop), each measured from
    its scheduled time, so a stalled server is not hidden by requests sent late."""
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    requests = [
        f"GET /v1/notices HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\n\r\n".encode()
        for t in tokens
    ]
    latencies: list[float] = []

    async def one(scheduled: float) -> None:
        reader, writer = await idle.get()
        writer.write(random.choice(requests))
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head[:40]
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - scheduled) * 1000)
        idle.put_nowait((reader, writer))

    tasks = []
    start = time.perf_counter() + 0.1
    for index in range(int(rate * SECONDS)):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait()[1].close()
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
        token_file = notices_json.parent / "tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n", encoding="utf-8")
        static = _saturation(f"{base}/notices.json", None)
        dynamic = _saturation(f"{base}/v1/notices", token_file)
        # The generator's own garbage collection would stall its schedule and be counted as
        # the server's latency.
        gc.collect()
        gc.disable()
        try:
            latencies = asyncio.run(_open_loop(port, tokens, dynamic / 2))
        finally:
            gc.enable()
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
