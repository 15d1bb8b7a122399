"""``notifier init``: a new policy repository from nothing, never overwriting anything."""

from __future__ import annotations

from pathlib import Path

import git

from .conftest import run_cli
from .test_site import mkdocs_build


def test_init_creates_a_working_repository(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    repo = git.Repo.init(folder, initial_branch="main")
    dry = run_cli("init", "--dry-run", cwd=folder)
    assert dry.code == 0 and "would write policy/privacy.md" in dry.out
    assert list(folder.iterdir()) == [folder / ".git"]
    result = run_cli("init", cwd=folder)
    assert result.code == 0, result.err
    for name in (
        "pyproject.toml",
        "mkdocs.yml",
        "docs/index.md",
        "policy/privacy.md",
        ".github/workflows/policy-check.yml",
        ".github/workflows/release.yml",
        ".github/workflows/daily.yml",
        ".github/workflows/pages.yml",
    ):
        assert (folder / name).is_file(), name
    repo.git.add("-A")
    repo.git.commit(
        "-q",
        "-m",
        "Start",
        env={
            "GIT_AUTHOR_NAME": "L",
            "GIT_AUTHOR_EMAIL": "l@e.com",
            "GIT_COMMITTER_NAME": "L",
            "GIT_COMMITTER_EMAIL": "l@e.com",
        },
    )
    assert run_cli("check", cwd=folder, today="2026-11-26").code == 0
    build = mkdocs_build(folder, tmp_path / "site")
    assert build.returncode == 0, build.stderr
    assert (tmp_path / "site/privacy/1.0/index.html").is_file()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: mine\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path), cwd=tmp_path)
    assert result.code == 2
    assert "already exist: mkdocs.yml" in result.err and "Nothing was written" in result.err
    assert (tmp_path / "mkdocs.yml").read_text() == "site_name: mine\n"
    assert not (tmp_path / "policy").exists()
