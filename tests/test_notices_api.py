"""The in-app notice API over real HTTP (uvicorn), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import jwt
import pytest

from notifier.ledger.proof import proof_rows
from notifier.ledger.store import NoticeLedger
from notifier.web.app import create_app
from notifier.web.notices_api import InAppSettings
from notifier.web.tokens import TokenSettings, mint_token

from .asgi_server import serve
from .test_ledger import NOTICE

SECRET = "s3cret-shared-with-the-application-0123456789"
EDITORIAL = replace(
    NOTICE,
    key="terms/2.0",
    document="terms",
    version="2.0",
    title="Terms",
    change_class="editorial",
    summary="Clearer <b>wording</b>.",
    effective_date=dt.date(2026, 6, 1),
)
FIRST = replace(
    NOTICE, key="cookies/1.0", document="cookies", version="1.0", change_class="initial"
)
SETTINGS = InAppSettings(TokenSettings(SECRET), allowed_origins=("https://app.example.com",))


@pytest.fixture
def api(ledger_url: str) -> Iterator[tuple[str, NoticeLedger]]:
    ledger = NoticeLedger.open(ledger_url)
    for notice in (EDITORIAL, NOTICE, FIRST):
        ledger.save_notice(notice)
    with serve(create_app(ledger, None, SETTINGS)) as url:
        yield url, ledger
    ledger.close()


def auth(user: str = "alice", **options: object) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint_token(user, SECRET, **options)}",  # type: ignore[arg-type]
        "User-Agent": "pytest-agent",
    }


def get(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/v1/notices", headers=headers, timeout=10)


def test_notices_material_first_with_fields(api: tuple[str, NoticeLedger]) -> None:
    url, _ = api
    response = get(url, auth())
    assert response.status_code == 200
    notices = response.json()["notices"]
    assert [n["id"] for n in notices] == ["privacy@1.1", "terms@2.0"]
    first = notices[0]
    assert (
        first["acknowledgement_required"] is True
        and notices[1]["acknowledgement_required"] is False
    )
    assert first["links"]["redline"] == "https://p.example/privacy/1.1/changes/"
    assert first["effective_date"] == "2026-12-26" and first["seen"] is False
    assert notices[1]["summary"] == "Clearer <b>wording</b>.", "text, the banner escapes it"


def now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    "case",
    ["missing", "forged", "expired", "audience", "none-alg", "long-lived", "no-subject", "garbage"],
)
def test_bad_tokens_get_401(api: tuple[str, NoticeLedger], case: str) -> None:
    url, _ = api
    claims = {"sub": "alice", "aud": "policy-notifier", "iat": now(), "exp": now() + 300}
    token = {
        "missing": None,
        "forged": jwt.encode(
            claims, "another-secret-of-enough-length-0123456789", algorithm="HS256"
        ),
        "expired": jwt.encode(
            {**claims, "iat": now() - 900, "exp": now() - 600}, SECRET, algorithm="HS256"
        ),
        "audience": jwt.encode({**claims, "aud": "someone-else"}, SECRET, algorithm="HS256"),
        "none-alg": jwt.encode(claims, None, algorithm="none"),
        "long-lived": jwt.encode({**claims, "exp": now() + 86400 * 30}, SECRET, algorithm="HS256"),
        "no-subject": jwt.encode(
            {k: v for k, v in claims.items() if k != "sub"}, SECRET, algorithm="HS256"
        ),
        "garbage": "abc.def.ghi",
    }[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = get(url, headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    post = httpx.post(f"{url}/v1/notices/privacy@1.1/acknowledge", headers=headers)
    assert post.status_code == 401


def test_seen_and_acknowledge_are_idempotent_and_proven(api: tuple[str, NoticeLedger]) -> None:
    url, ledger = api
    seen = [
        httpx.post(f"{url}/v1/notices/privacy@1.1/seen", headers=auth()).json() for _ in range(2)
    ]
    assert [s["recorded"] for s in seen] == [True, False]
    assert get(url, auth()).json()["notices"][0]["seen"] is True
    acks = [
        httpx.post(f"{url}/v1/notices/privacy@1.1/acknowledge", headers=auth()).json()
        for _ in range(2)
    ]
    assert [a["recorded"] for a in acks] == [True, False]
    assert [n["id"] for n in get(url, auth()).json()["notices"]] == ["terms@2.0"]
    rows = [r for r in proof_rows(ledger, user="alice") if r.channel == "inapp"]
    assert len(rows) == 1 and rows[0].state == "acknowledged"
    assert "seen@" in rows[0].events and "acknowledged@" in rows[0].events
    assert "ip=127.0.0.1" in rows[0].events and "user_agent=pytest-agent" in rows[0].events


def test_a_user_cannot_touch_another_users_notices(api: tuple[str, NoticeLedger]) -> None:
    url, _ = api
    httpx.post(f"{url}/v1/notices/privacy@1.1/acknowledge", headers=auth("alice"))
    assert [n["id"] for n in get(url, auth("bob")).json()["notices"]] == [
        "privacy@1.1",
        "terms@2.0",
    ]


def test_new_users_do_not_see_notices_of_releases_before_them(
    api: tuple[str, NoticeLedger],
) -> None:
    url, _ = api
    joined = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    notices = get(url, auth("carol", user_created_at=joined)).json()["notices"]
    assert [n["id"] for n in notices] == ["privacy@1.1"], "terms 2.0 took effect before carol"


def test_unknown_and_hidden_notices_are_404(api: tuple[str, NoticeLedger]) -> None:
    url, _ = api
    assert httpx.post(f"{url}/v1/notices/privacy@9.9/seen", headers=auth()).status_code == 404
    hidden = httpx.post(f"{url}/v1/notices/cookies@1.0/acknowledge", headers=auth())
    assert hidden.status_code == 404, "initial releases are not in-app notices"


def test_cors_only_for_configured_origins(api: tuple[str, NoticeLedger]) -> None:
    url, _ = api
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = httpx.options(
        f"{url}/v1/notices", headers={**preflight, "Origin": "https://app.example.com"}
    )
    assert allowed.headers.get("access-control-allow-origin") == "https://app.example.com"
    other = httpx.options(
        f"{url}/v1/notices", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert other.headers.get("access-control-allow-origin") is None


def test_openapi_and_health(api: tuple[str, NoticeLedger]) -> None:
    url, _ = api
    document = httpx.get(f"{url}/openapi.json").json()
    assert set(document["paths"]) >= {
        "/v1/notices",
        "/v1/notices/{notice}/seen",
        "/v1/notices/{notice}/acknowledge",
    }
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}


def test_schema_driven_fuzzing_finds_no_server_error(
    api: tuple[str, NoticeLedger], tmp_path: Path
) -> None:
    """schemathesis against the OpenAPI document, with a valid token and without one."""
    import subprocess
    import sys

    url, _ = api
    token = mint_token("fuzzer", SECRET, lifetime=1800)
    for header in ([f"Authorization: Bearer {token}"], []):
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
        ]
        for value in header:
            command += ["-H", value]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
