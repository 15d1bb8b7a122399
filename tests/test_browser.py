"""What readers see: the built site in headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import REPO_ROOT
from .site_repo import build_site_repo
from .test_site import mkdocs_build

ARTIFACTS = REPO_ROOT / "test-artifacts"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    repo = build_site_repo(root / "repo")
    result = mkdocs_build(repo.path, root / "out")
    assert result.returncode == 0, result.stderr
    handler = functools.partial(_QuietHandler, directory=str(root / "out"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    opened = context.new_page()
    outside: list[str] = []
    dialogs: list[str] = []
    opened.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(base_url) else None
    )
    opened.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield opened
    context.close()
    assert outside == [], f"requests left the site: {outside}"
    assert dialogs == [], f"a script ran: {dialogs}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_current_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "privacy/")
    expect(page.locator("h1").first).to_have_text("Privacy Policy")
    expect(page.locator(".policy-meta")).to_contain_text("Version 1.1")
    expect(page.locator(".policy-upcoming")).to_contain_text(
        "This policy changes on 1 January 2099"
    )
    expect(page.locator("#data-retention")).to_be_visible()
    shot(page, "current-page")


def test_history(page: Page, base_url: str) -> None:
    page.goto(base_url + "privacy/history/")
    rows = page.locator("table.policy-history tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("2.0")
    shot(page, "history")


def test_redline_marks_words_visibly_and_can_hide_unchanged(page: Page, base_url: str) -> None:
    page.goto(base_url + "privacy/2.0/changes/")
    deleted = page.locator(".redline del", has_text="30").first
    inserted = page.locator(".redline ins", has_text="90").first
    expect(deleted).to_be_visible()
    expect(inserted).to_be_visible()
    # Marked by more than colour: struck through and underlined.
    assert "line-through" in deleted.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "underline" in inserted.evaluate("e => getComputedStyle(e).textDecorationLine")
    unchanged = page.locator(".redline-section.unchanged").first
    expect(unchanged).to_be_visible()
    shot(page, "redline")
    page.locator("label.only-changed-label").click()
    expect(unchanged).to_be_hidden()
    expect(inserted).to_be_visible()


def test_compare_any_two_releases_in_the_browser(page: Page, base_url: str) -> None:
    page.goto(base_url + "privacy/compare/")
    page.select_option("select[name=old]", "1.0")
    page.select_option("select[name=new]", "2.0")
    page.locator("button.compare-run").click()
    result = page.locator(".compare-result")
    expect(result.locator("ins", has_text="90").first).to_be_visible()
    expect(result.locator("del", has_text="We explain").first).to_be_visible()
    expect(result.locator("ins", has_text="This policy explains").first).to_be_visible()
    expect(result).to_contain_text("sections changed")
    shot(page, "compare")


def test_hostile_policy_is_shown_as_text(page: Page, base_url: str) -> None:
    page.goto(base_url + "terms/")
    expect(page.locator("article")).to_contain_text('<script>alert("x")</script>')
    assert page.locator("article script").count() == 0
    assert page.locator("article img").count() == 0
    shot(page, "hostile")


def test_search_finds_policy_text(page: Page, base_url: str) -> None:
    page.goto(base_url + "privacy/")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("purged", delay=50)
    expect(page.locator(".md-search-result__item").first).to_contain_text("purged", timeout=10000)
