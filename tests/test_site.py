"""The published site: real mkdocs builds over real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from .conftest import REPO_ROOT
from .site_repo import build_site_repo

ATOM = "{http://www.w3.org/2005/Atom}"


def mkdocs_build(
    project: Path, out: Path, today: str = "2026-11-26"
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", NOTIFIER_TODAY=today)
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    repo = build_site_repo(root / "repo")
    result = mkdocs_build(repo.path, root / "out")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    repo.repo.close()
    return root / "out"


def read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def test_every_release_has_a_stable_page_and_redline(site: Path) -> None:
    for path in [
        "privacy/index.html",
        "privacy/history/index.html",
        "privacy/compare/index.html",
        "privacy/1.0/index.html",
        "privacy/1.1/index.html",
        "privacy/2.0/index.html",
        "privacy/1.0/changes/index.html",
        "privacy/2.0/changes/index.html",
        "terms/1.0/index.html",
        "changes/index.html",
        "privacy/1.1/text.json",
    ]:
        assert (site / path).is_file(), path


def test_renamed_file_keeps_its_history(site: Path) -> None:
    history = read(site, "privacy/history/index.html")
    assert all(f'href="../{v}/"' in history for v in ("1.0", "1.1", "2.0"))


def test_current_page_shows_text_in_effect_and_upcoming_notice(site: Path) -> None:
    page = read(site, "privacy/index.html")
    assert "Version 1.1" in page
    assert "Retained for 30 days" in page
    assert "This policy changes on 1 January 2099" in page
    assert 'href="2.0/"' in page and 'href="2.0/changes/"' in page
    assert 'id="data-retention"' in page, "section anchors without numbering"


def test_archive_shows_hash_and_status(site: Path) -> None:
    page = read(site, "privacy/1.0/index.html")
    assert "This version is no longer in effect." in page
    assert "SHA-256 of this text" in page
    data = json.loads(read(site, "privacy/1.0/text.json"))
    assert len(data["content_hash"]) == 64
    assert data["content_hash"] in page


def test_redline_marks_insertions_and_deletions(site: Path) -> None:
    page = read(site, "privacy/2.0/changes/index.html")
    redline = page.split('<div class="redline">', 1)[1]
    assert "Retained for <del>30</del><ins>90</ins> days" in redline
    assert "Retained for 30 days" not in redline
    assert "retention period changed" in page
    assert 'class="only-changed-toggle"' in page
    assert 'class="redline-section unchanged"' in page


def test_hostile_html_is_inert(site: Path) -> None:
    for path in [
        "terms/index.html",
        "terms/1.0/index.html",
        "terms/1.0/changes/index.html",
        "changes/index.html",
        "terms/history/index.html",
        "index.html",
    ]:
        page = read(site, path)
        assert "<script>alert" not in page, path
        assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", ""), path
        assert 'href="javascript:' not in page, path
        assert "<b>of</b>" not in page, path
    assert "&lt;script&gt;alert" in read(site, "terms/index.html")


def test_feeds_are_atom_with_links_to_redlines(site: Path) -> None:
    feed = ET.fromstring((site / "feed.xml").read_bytes())
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 4
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert "https://policies.example.com/privacy/2.0/changes/" in links
    material = ET.fromstring((site / "feed-material.xml").read_bytes()).findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}category").get("term") for e in material] == ["material"]  # type: ignore[union-attr]


def test_notices_json_lists_current_and_upcoming(site: Path) -> None:
    data = json.loads(read(site, "notices.json"))
    notices = {n["id"]: n for n in data["notices"]}
    assert set(notices) == {"privacy/1.1", "privacy/2.0", "terms/1.0"}
    upcoming = notices["privacy/2.0"]
    assert upcoming["status"] == "upcoming"
    assert upcoming["class"] == "material"
    assert upcoming["acknowledgement_required"] is True
    assert upcoming["links"]["redline"] == "https://policies.example.com/privacy/2.0/changes/"
    assert len(upcoming["content_hash"]) == 64


def test_upcoming_release_becomes_current_on_its_date(tmp_path: Path) -> None:
    repo = build_site_repo(tmp_path / "repo")
    result = mkdocs_build(repo.path, tmp_path / "out", today="2099-01-01")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out/privacy/index.html").read_text(encoding="utf-8")
    assert "Version 2.0" in page and "This policy changes on" not in page
    assert "Retained for 90 days" in page


def test_home_page_lists_the_policies(site: Path) -> None:
    page = read(site, "index.html")
    assert 'href="privacy/"' in page and 'href="terms/"' in page


def test_this_repository_builds_strict(tmp_path: Path) -> None:
    result = mkdocs_build(REPO_ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site/privacy/1.0/changes/index.html").is_file()
    assert (tmp_path / "site/notices.json").is_file()
