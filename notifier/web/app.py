"""The ASGI application served by ``notifier serve`` (Starlette under uvicorn)."""

from __future__ import annotations

import logging
from dataclasses import asdict

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from notifier.ledger.events import record_events
from notifier.ledger.store import NoticeLedger
from notifier.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookRejected,
    WebhookVerifier,
    parse_events,
)

log = logging.getLogger("notifier.web")
MAX_BODY = 5 * 1024 * 1024  # SendGrid batches are far smaller


def create_app(ledger: NoticeLedger, verifier: WebhookVerifier | None) -> Starlette:
    """The app; without a verifier the webhook refuses every request (never unverified)."""

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def sendgrid_events(request: Request) -> JSONResponse:
        if verifier is None:
            return JSONResponse({"error": "webhook verification key not configured"}, 503)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, 413)
        try:
            verifier.verify(
                body, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)
            )
            events, skipped = parse_events(body)
        except WebhookRejected as rejected:
            log.warning("webhook request refused: %s", rejected.what)
            return JSONResponse(
                {"error": rejected.what},
                401
                if "signature" in rejected.what
                or "unsigned" in rejected.what
                or "timestamp" in rejected.what
                else 400,
            )
        report = record_events(ledger, events)
        return JSONResponse({**asdict(report), "skipped": skipped})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/webhooks/sendgrid", sendgrid_events, methods=["POST"]),
        ]
    )
