"""Internal links between and within policies: every ``#anchor`` and ``other.md`` must exist."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from notifier.model import DocumentModel
from notifier.parsing import parse_body
from notifier.policy import PolicyParse
from notifier.problems import Problem

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def check_links(parses: dict[str, PolicyParse]) -> list[Problem]:
    """Broken internal links in every parsed body (``parses`` maps repo paths to files)."""
    models = {path: parse_body(p.body) for path, p in parses.items() if p.body is not None}
    problems = []
    for path, model in models.items():
        offset = parses[path].body_line - 1
        for link in model.links:
            message = _broken(link.target, path, models)
            if message:
                problems.append(
                    Problem(
                        "broken-link",
                        path,
                        f"link '{link.text}' -> '{link.target}': {message}",
                        _fix(model, models),
                        link.line + offset,
                    )
                )
    return problems


def _broken(target: str, path: str, models: dict[str, DocumentModel]) -> str | None:
    if _SCHEME.match(target) or target.startswith(("/", "//")) or not target:
        return None
    file, _, anchor = target.partition("#")
    if file:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(file)))
        if resolved not in models:
            return f"there is no policy file {resolved}"
    else:
        resolved = path
    if anchor and unquote(anchor) not in models[resolved].anchors:
        return f"{resolved} has no section with anchor '#{anchor}'"
    return None


def _fix(own: DocumentModel, models: dict[str, DocumentModel]) -> str:
    anchors = ", ".join(f"#{a}" for a in sorted(own.anchors)[:6])
    files = ", ".join(posixpath.basename(p) for p in sorted(models))
    return f"Point it at an existing section or policy (sections here: {anchors}; files: {files})."
