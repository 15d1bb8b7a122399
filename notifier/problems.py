"""What ``notifier check`` (and the history reader) report: a problem with its place and its fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PROBLEM_CODES: dict[str, str] = {
    "encoding": "The file is not UTF-8.",
    "file-name": "The file name cannot be a document id (URL and tag).",
    "empty-file": "The file is empty.",
    "front-matter-missing": "The file does not start with a front matter block.",
    "front-matter-unclosed": "The front matter block has no closing `---` line.",
    "front-matter-yaml": "The front matter is not valid YAML.",
    "front-matter-not-mapping": "The front matter is not a set of `key: value` lines.",
    "front-matter-missing-key": "A required key is missing.",
    "front-matter-unknown-key": "A key is not part of the format (often a typo).",
    "front-matter-duplicate-key": "A key is given twice.",
    "front-matter-type": "A key holds a list or map instead of one value.",
    "front-matter-empty": "A key has no value.",
    "front-matter-version": "The version is not dot-separated numbers.",
    "front-matter-date": "The effective date is not a valid YYYY-MM-DD date.",
    "front-matter-change": "The change class is not one of none, editorial, material, initial.",
    "no-policies": "The policy folder holds no policy.",
    "raw-html": "Raw HTML in the Markdown.",
    "unsafe-html": "A script, event handler or javascript: link in the Markdown.",
    "broken-link": "A link to a section or policy that does not exist.",
    "policy-deleted": "A released policy was deleted.",
    "version-not-raised": "The text changed but the version did not.",
    "released-front-matter-changed": "A published release's front matter was edited.",
    "version-backwards": "The version is lower than the last release's.",
    "duplicate-version": "The version was already released.",
    "first-release-class": "A policy's first release is not declared `initial`.",
    "initial-not-first": "`initial` is declared for a policy that was released before.",
    "effective-date-backwards": "The effective date is before the last release's.",
    "summary-not-updated": "The summary still describes the previous release.",
    "notice-period": "A material change takes effect before the notice period ends.",
    "declared-class-too-low": "The declared change class is lower than the detected one.",
    "class-override": "A lower class than the detected one is declared, with a justification.",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy file or its release, and how to fix it.

    ``path`` is relative to the repository root; ``line`` counts from 1 in the file as written;
    ``key`` names the front-matter key when the problem is about one; ``code`` is a stable
    identifier that programs reading the JSON report can rely on.
    """

    code: str
    path: str
    message: str
    fix: str
    line: int | None = None
    key: str | None = None
    severity: str = "error"  # "error" fails the check; "notice" is shown and passes

    def __post_init__(self) -> None:
        if self.code not in PROBLEM_CODES:
            raise ValueError(f"undocumented problem code {self.code!r}: add it to PROBLEM_CODES")

    @property
    def location(self) -> str:
        """``path:line`` (or just the path), as editors and CI annotations expect."""
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_dict(self) -> dict[str, Any]:
        """The problem as plain JSON-ready data."""
        return asdict(self)
