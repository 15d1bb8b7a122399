"""The ASGI application served by ``notifier serve`` (Starlette under uvicorn)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from notifier.ledger.events import record_events
from notifier.ledger.marks import MarkReader, open_mark_reader
from notifier.ledger.store import LedgerError, NoticeLedger
from notifier.web import notices_api
from notifier.web.notices_api import InAppSettings
from notifier.web.openapi import OPENAPI
from notifier.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookRejected,
    WebhookVerifier,
    parse_events,
)

log = logging.getLogger("notifier.web")
MAX_BODY = 5 * 1024 * 1024  # SendGrid batches are far smaller


def create_app(
    ledger: NoticeLedger, verifier: WebhookVerifier | None, inapp: InAppSettings | None = None
) -> Starlette:
    """The app; without a verifier the webhook refuses every request (never unverified), and
    without in-app settings (a token secret) the notice API is not served."""

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
            return JSONResponse({"error": rejected.what}, rejected.status)
        try:
            # In a worker thread: an SQLite ledger may be busy for seconds (a sender queueing a
            # large list), and the event loop also serves the notice API.
            report = await run_in_threadpool(record_events, ledger, events)
        except (SQLAlchemyError, LedgerError) as error:
            log.warning("webhook events not kept: ledger unavailable (%s)", type(error).__name__)
            return JSONResponse({"error": "ledger unavailable, retry later"}, 503)
        return JSONResponse({**asdict(report), "skipped": skipped})

    async def openapi(_: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    routes = [
        Route("/healthz", healthz),
        Route("/openapi.json", openapi),
        Route("/webhooks/sendgrid", sendgrid_events, methods=["POST"]),
    ]
    middleware = []
    reader: MarkReader | None = None
    if inapp is not None:
        reader = open_mark_reader(ledger)
        routes += notices_api.routes(ledger, inapp, reader)
        # Browsers may call the API only from the configured application origins.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(inapp.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # The objects made at start-up live as long as the server: kept out of the garbage
        # collector's full passes, which would otherwise stall every request in flight.
        gc.collect()
        gc.freeze()
        yield
        if reader is not None:
            await reader.close()

    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
