"""``notifier init``: the files a new policy repository needs, in an existing folder.

Nothing is ever overwritten: if any of the files exists, nothing is written and the conflicts
are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from notifier.errors import UsageError

FILES = {
    "pyproject.toml": "pyproject.toml",
    "mkdocs.yml": "mkdocs.yml",
    "docs/index.md": "docs/index.md",
    "policy/privacy.md": "policy/privacy.md",
    ".github/workflows/policy-check.yml": "workflows/policy-check.yml",
    ".github/workflows/release.yml": "workflows/release.yml",
    ".github/workflows/daily.yml": "workflows/daily.yml",
    ".github/workflows/pages.yml": "workflows/pages.yml",
}


@dataclass(frozen=True)
class InitResult:
    """The files written (or that would be)."""

    folder: Path
    written: list[str]
    dry_run: bool


def init_repository(folder: Path, *, dry_run: bool = False) -> InitResult:
    """Write the starter files into ``folder``; refuse if any already exists."""
    if not folder.is_dir():
        raise UsageError(
            "folder not found",
            where=str(folder),
            fix="Create the folder (and `git init` it) first.",
        )
    conflicts = [target for target in FILES if (folder / target).exists()]
    if conflicts:
        raise UsageError(
            f"{len(conflicts)} file(s) already exist: {', '.join(conflicts)}",
            where=str(folder),
            fix="Nothing was written. Move them away, or add "
            "what you need from `notifier init --dry-run` in another folder.",
        )
    source = resources.files("notifier").joinpath("data/init")
    if not dry_run:
        for target, name in FILES.items():
            path = folder / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(source.joinpath(name).read_bytes())
    return InitResult(folder, list(FILES), dry_run)
