"""The server measured by ``bench_inapp``: the notice API and the static ``notices.json``,
served by the same process (configured from the environment)."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from notifier.ledger.store import NoticeLedger
from notifier.web.app import create_app
from notifier.web.notices_api import InAppSettings
from notifier.web.tokens import TokenSettings

_static = Path(os.environ["BENCH_NOTICES_JSON"]).read_bytes()


async def notices_json(_: Request) -> Response:
    return Response(_static, media_type="application/json")


app = create_app(
    NoticeLedger.open(os.environ["BENCH_LEDGER_URL"], migrate=False),
    None,
    InAppSettings(TokenSettings(os.environ["BENCH_SECRET"])),
)
app.router.routes.append(Route("/notices.json", notices_json))
