"""The in-app notice API: ``GET /v1/notices``, ``POST /v1/notices/{id}/seen`` and
``/acknowledge``, for the signed-in user named by a verified token."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from notifier.ledger.inapp import (
    ACKNOWLEDGED,
    SEEN,
    UserNotice,
    notice_catalog,
    record_mark,
    shown_notices,
)
from notifier.ledger.marks import MarkReader
from notifier.ledger.store import LedgerError, NoticeLedger
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


class NoticeBodies:
    """The notices in display order and the JSON of each, made once per change of the
    ledger's notices (a release), not once per request."""

    def __init__(self, ledger: NoticeLedger, settings: InAppSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self._rows: list[dict[str, Any]] | None = None
        self._catalog: tuple[UserNotice, ...] = ()
        self._json: dict[UserNotice, bytes] = {}

    async def catalog(self) -> tuple[UserNotice, ...]:
        """Every notice shown in the app, unmarked, in display order."""
        if self.ledger.notice_rows_stale():
            # A read through SQLAlchemy may have to reconnect: never in the event loop, where
            # it would hold up every request in flight.
            rows = await run_in_threadpool(self.ledger.notice_rows)
        else:
            rows = self.ledger.notice_rows()
        if rows is not self._rows:
            self._rows = rows
            self._catalog = notice_catalog(rows, self.settings.classes)
            self._json = {}
        return self._catalog

    def listing(self, shown: list[UserNotice]) -> bytes:
        """The body of ``GET /v1/notices``: ``{"notices": [...]}``."""
        return b'{"notices":[' + b",".join(self._one(notice) for notice in shown) + b"]}"

    def _one(self, notice: UserNotice) -> bytes:
        body = self._json.get(notice)
        if body is None:
            body = self._json[notice] = json.dumps(
                _json(notice, self.settings), ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8")
        return body


def routes(ledger: NoticeLedger, settings: InAppSettings, reader: MarkReader) -> list[Route]:
    """The API's routes; ``reader`` reads users' marks (see :mod:`notifier.ledger.marks`)."""
    bodies = NoticeBodies(ledger, settings)

    def user_of(request: Request) -> VerifiedUser:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else None
        return verify_token(token, settings.tokens)

    async def list_notices(request: Request) -> Response:
        try:
            user = user_of(request)
        except TokenRejected as rejected:
            return _unauthorized(rejected)
        try:
            marks = await reader.marks(user.user_id)
        except LedgerError as error:
            return JSONResponse({"error": error.what}, 503)
        shown = shown_notices(await bodies.catalog(), marks, user.created_at)
        return Response(
            bodies.listing(shown),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
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
