"""The in-app notice API: ``GET /v1/notices``, ``POST /v1/notices/{id}/seen`` and
``/acknowledge``, for the signed-in user named by a verified token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from notifier.ledger.inapp import ACKNOWLEDGED, SEEN, UserNotice, notices_for_user, record_mark
from notifier.ledger.store import NoticeLedger
from notifier.web.tokens import TokenRejected, TokenSettings, VerifiedUser, verify_token


@dataclass(frozen=True)
class InAppSettings:
    """Which notices the app shows, which need acknowledging, and how users are verified."""

    tokens: TokenSettings
    classes: frozenset[str] = frozenset({"material", "editorial"})
    acknowledge: frozenset[str] = frozenset({"material"})
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)


def notice_id(key: str) -> str:
    """``privacy/1.1`` -> ``privacy@1.1`` (a URL path segment)."""
    return key.replace("/", "@", 1)


def _json(notice: UserNotice, settings: InAppSettings) -> dict[str, Any]:
    return {
        "id": notice_id(notice.key),
        "document": notice.document,
        "title": notice.title,
        "version": notice.version,
        "class": notice.change_class,
        "summary": notice.summary,
        "effective_date": notice.effective_date.isoformat(),
        "links": {"text": notice.text_url, "redline": notice.redline_url},
        "acknowledgement_required": notice.change_class in settings.acknowledge,
        "seen": notice.seen,
        "content_hash": notice.content_hash,
    }


def routes(ledger: NoticeLedger, settings: InAppSettings) -> list[Route]:
    """The API's routes."""

    def user_of(request: Request) -> VerifiedUser:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else None
        return verify_token(token, settings.tokens)

    async def list_notices(request: Request) -> JSONResponse:
        try:
            user = user_of(request)
        except TokenRejected as rejected:
            return _unauthorized(rejected)
        found = await run_in_threadpool(
            notices_for_user,
            ledger,
            user.user_id,
            classes=set(settings.classes),
            user_created_at=user.created_at,
        )
        return JSONResponse(
            {"notices": [_json(n, settings) for n in found]}, headers={"Cache-Control": "no-store"}
        )

    def mark(kind: str) -> Any:
        async def handler(request: Request) -> JSONResponse:
            try:
                user = user_of(request)
            except TokenRejected as rejected:
                return _unauthorized(rejected)
            key = str(request.path_params["notice"]).replace("@", "/", 1)
            try:
                recorded = await run_in_threadpool(
                    record_mark,
                    ledger,
                    user.user_id,
                    key,
                    kind,
                    classes=set(settings.classes),
                    ip=request.client.host if request.client else None,
                    user_agent=request.headers.get("User-Agent"),
                )
            except KeyError:
                return JSONResponse({"error": "no such notice"}, 404)
            return JSONResponse({"id": notice_id(key), kind: True, "recorded": recorded})

        return handler

    return [
        Route("/v1/notices", list_notices, methods=["GET"]),
        Route("/v1/notices/{notice}/seen", mark(SEEN), methods=["POST"]),
        Route("/v1/notices/{notice}/acknowledge", mark(ACKNOWLEDGED), methods=["POST"]),
    ]


def _unauthorized(rejected: TokenRejected) -> JSONResponse:
    return JSONResponse(
        {"error": rejected.what},
        401,
        headers={"WWW-Authenticate": 'Bearer realm="policy-notifier"'},
    )
