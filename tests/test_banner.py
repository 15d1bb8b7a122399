"""The embeddable <policy-notice> banner in headless Chromium, on a host page with a strict
Content-Security-Policy, in API mode (against the real notice API) and in static mode."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from notifier.ledger.proof import proof_rows
from notifier.ledger.store import NoticeLedger
from notifier.web.app import create_app
from notifier.web.notices_api import InAppSettings
from notifier.web.tokens import TokenSettings, mint_token

from .asgi_server import serve
from .conftest import REPO_ROOT
from .test_browser import ARTIFACTS, shot
from .test_notices_api import EDITORIAL, NOTICE, SECRET

BANNER = REPO_ROOT / "notifier/site/assets/policy-notice.js"


class _HostHandler(http.server.SimpleHTTPRequestHandler):
    csp = ""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static host application on its own origin, sending a strict CSP."""
    folder = tmp_path / "host"
    folder.mkdir()
    (folder / "policy-notice.js").write_bytes(BANNER.read_bytes())
    (folder / "favicon.ico").write_bytes(b"")
    handler = type("Handler", (_HostHandler,), {})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield url, folder
    server.shutdown()


def host_page(folder: Path, element: str, script: str = "") -> None:
    (folder / "host.js").write_text(script, encoding="utf-8")
    (folder / "index.html").write_text(
        "<!doctype html><html><head><title>Host app</title>"
        '<script src="host.js"></script><script src="policy-notice.js" defer></script>'
        f"</head><body><h1>Host application</h1>{element}<p><a href='#'>after</a></p>"
        "</body></html>",
        encoding="utf-8",
    )


@pytest.fixture
def api(tmp_path: Path, host: tuple[str, Path]) -> Iterator[tuple[str, NoticeLedger]]:
    ledger = NoticeLedger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    for notice in (EDITORIAL, NOTICE):
        ledger.save_notice(notice)
    settings = InAppSettings(TokenSettings(SECRET), allowed_origins=(host[0],))
    with serve(create_app(ledger, None, settings)) as url:
        yield url, ledger
    ledger.close()


def open_host(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (problems.append("dialog " + d.message), d.dismiss()))
    page.goto(url)
    return page, problems


def test_api_mode_acknowledge_by_mouse_and_dismiss(
    browser: Browser,
    host: tuple[str, Path],
    api: tuple[str, NoticeLedger],
) -> None:
    host_url, folder = host
    api_url, ledger = api
    _HostHandler.csp = (
        f"default-src 'self'; script-src 'self'; connect-src {api_url}; style-src 'self'"
    )
    token = mint_token("alice", SECRET)
    host_page(
        folder,
        f'<policy-notice api="{api_url}" token-provider="getToken"></policy-notice>',
        f"window.getToken = function () {{ return Promise.resolve({json.dumps(token)}); }};",
    )
    page, problems = open_host(browser, host_url + "/")
    notices = page.locator("policy-notice section.notice")
    expect(notices).to_have_count(2)
    expect(notices.first).to_contain_text("Privacy Policy changes on")
    expect(notices.nth(1)).to_contain_text("Terms was updated on")
    editorial = page.locator('policy-notice section[data-notice="terms@2.0"]')
    expect(editorial.locator(".summary")).to_have_text("Clearer <b>wording</b>.")
    assert editorial.locator("b").count() == 0, "HTML in a summary is shown as text"
    shot(page, "banner-api")
    page.locator("policy-notice button.acknowledge").click()
    expect(page.locator('policy-notice section[data-notice="privacy@1.1"]')).to_have_count(0)
    editorial.locator("button.dismiss").click()
    expect(notices).to_have_count(0)
    rows = {r.notice: r for r in proof_rows(ledger, user="alice") if r.channel == "inapp"}
    assert rows["privacy/1.1"].state == "acknowledged"
    assert "HeadlessChrome" in rows["privacy/1.1"].events
    assert rows["terms/2.0"].state == "seen"
    assert problems == [], problems


def test_api_mode_blocking_dialog_acknowledged_by_keyboard(
    browser: Browser,
    host: tuple[str, Path],
    api: tuple[str, NoticeLedger],
) -> None:
    host_url, folder = host
    api_url, ledger = api
    _HostHandler.csp = f"default-src 'self'; connect-src {api_url}"
    token = mint_token("bob", SECRET)
    host_page(
        folder,
        f'<policy-notice blocking api="{api_url}" token-provider="getToken"></policy-notice>',
        f"window.getToken = function () {{ return {json.dumps(token)}; }};",
    )
    page, problems = open_host(browser, host_url + "/")
    dialog = page.locator('policy-notice [role="alertdialog"]')
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    shot(page, "banner-blocking")
    expect(page.locator("policy-notice button.acknowledge")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # focus stays inside the dialog
    expect(page.locator("policy-notice button.acknowledge")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    states = {r.notice: r.state for r in proof_rows(ledger, user="bob") if r.channel == "inapp"}
    assert states["privacy/1.1"] == "acknowledged"
    assert problems == [], problems


def test_static_mode_remembers_dismissal_in_the_browser(
    browser: Browser,
    host: tuple[str, Path],
) -> None:
    host_url, folder = host
    _HostHandler.csp = "default-src 'self'"
    notices = {
        "schema_version": 1,
        "notices": [
            {
                "id": "privacy/1.1",
                "document": "privacy",
                "title": "Privacy Policy",
                "version": "1.1",
                "class": "material",
                "status": "upcoming",
                "effective_date": "2026-12-26",
                "summary": "Logs <img src=x onerror=alert(1)> kept longer.",
                "acknowledgement_required": True,
                "links": {"redline": "https://policies.example.com/privacy/1.1/changes/"},
            },
            {
                "id": "privacy/1.0",
                "document": "privacy",
                "title": "Privacy Policy",
                "version": "1.0",
                "class": "initial",
                "status": "current",
                "effective_date": "2026-01-01",
                "summary": "First.",
                "acknowledgement_required": False,
                "links": {},
            },
        ],
    }
    (folder / "notices.json").write_text(json.dumps(notices), encoding="utf-8")
    host_page(folder, '<policy-notice src="notices.json"></policy-notice>')
    page, problems = open_host(browser, host_url + "/")
    cards = page.locator("policy-notice section.notice")
    expect(cards).to_have_count(1)
    expect(cards.first.locator(".summary")).to_have_text(
        "Logs <img src=x onerror=alert(1)> kept longer."
    )
    expect(cards.first.locator("a.redline")).to_have_attribute(
        "href", "https://policies.example.com/privacy/1.1/changes/"
    )
    shot(page, "banner-static")
    cards.first.locator("button").click()
    expect(cards).to_have_count(0)
    page.reload()
    page.wait_for_timeout(300)
    expect(page.locator("policy-notice section.notice")).to_have_count(0)
    assert problems == [], problems
    assert ARTIFACTS.is_dir()
