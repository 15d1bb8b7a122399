"""Replay the versions of one real document of ``shared/corpus`` as commits of a policy repo.

Each corpus version becomes a release: our front matter (version = the corpus sequence number)
followed by the corpus text, whose own front matter (GitHub's) is set aside. Renames in the
publisher's repository are replayed as renames of the policy file (by base name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git
import yaml

from tests.conftest import CORPUS


@dataclass(frozen=True)
class ReplayedVersion:
    """What was committed for one corpus version."""

    seq: int
    path: str
    body: str
    data: bytes
    commit: str


def corpus_entries(collection: str, doc: str) -> list[dict[str, object]]:
    """Manifest entries of one document, oldest first."""
    manifest = json.loads((CORPUS / collection / "manifest.json").read_text(encoding="utf-8"))
    return sorted((e for e in manifest if e["doc"] == doc), key=lambda e: int(e["seq"]))


def corpus_body(text: str) -> str:
    """The corpus text without its own YAML front matter (if any)."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5 :]
    return text


def replay(
    collection: str, doc: str, repo: git.Repo, *, limit: int | None = None
) -> list[ReplayedVersion]:
    """Commit every version of ``doc`` into ``repo`` (which must have a working tree)."""
    root = Path(str(repo.working_tree_dir))
    replayed: list[ReplayedVersion] = []
    previous_path: str | None = None
    for entry in corpus_entries(collection, doc)[:limit]:
        text = (CORPUS / collection / str(entry["file"])).read_text(encoding="utf-8")
        path = f"policy/{PurePosixPath(str(entry['path_in_repo'])).name}"
        if previous_path and previous_path != path:
            repo.git.mv(previous_path, path)
        front = {
            "title": doc.replace("-", " ").title(),
            "version": str(entry["seq"]),
            "effective_date": str(entry["date"]),
            "summary": str(entry["subject"]) or "Update",
            "change": "initial" if entry["seq"] == 1 else "editorial",
        }
        body = corpus_body(text)
        data = (
            "---\n"
            + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
            + "---\n"
            + body
        ).encode("utf-8")
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        repo.git.add("-A")
        date = str(entry["commit_date"])
        env = {
            "GIT_AUTHOR_NAME": str(entry["author"]),
            "GIT_AUTHOR_EMAIL": "a@example.com",
            "GIT_COMMITTER_NAME": "replay",
            "GIT_COMMITTER_EMAIL": "r@example.com",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        repo.git.commit("-q", "--allow-empty", "-m", f"{doc} {entry['seq']}", env=env)
        replayed.append(
            ReplayedVersion(int(str(entry["seq"])), path, body, data, str(repo.head.commit.hexsha))
        )
        previous_path = path
    return replayed
