"""A policy file: decoding, front matter, body, normalised text and content hash.

A policy is ``policy/<doc>.md``: a YAML front matter block between two ``---`` lines, then the
Markdown body. A UTF-8 byte-order mark and CRLF line endings are accepted and normalised away.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from notifier.errors import PolicyError
from notifier.frontmatter import FrontMatter, parse_front_matter
from notifier.problems import Problem

DOC_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_FENCE = "---"


@dataclass(frozen=True)
class PolicyDocument:
    """One version of one policy, as read from a file or from git."""

    doc_id: str
    path: str
    front_matter: FrontMatter
    body: str
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, key: str) -> int | None:
        """The file line of a front-matter key, for pointing problems at it."""
        return self.key_lines.get(key)

    @property
    def normalised_body(self) -> str:
        """The body with invisible differences removed (see :func:`normalise_text`)."""
        return normalise_text(self.body)

    @property
    def content_hash(self) -> str:
        """sha256 (hex) of the normalised body: what identifies the wording a reader saw."""
        return content_hash(self.body)


@dataclass(frozen=True)
class PolicyParse:
    """The result of reading a policy file: the document, or the problems that prevent it."""

    document: PolicyDocument | None
    problems: list[Problem]
    body: str | None = None
    body_line: int = 1


def doc_id_for(path: str) -> str:
    """The document id of a policy path: its file name without ``.md``."""
    return PurePosixPath(path).stem


def lf_line_ends(text: str) -> str:
    """``text`` without a byte-order mark, with LF line ends (CRLF and CR rewritten)."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:  # a one-character search is many times faster than replace's
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def normalise_text(text: str) -> str:
    """Text as published: no BOM, LF line ends, no trailing spaces, one final newline.

    The content hash is computed over this form, so anyone can recompute it from the file.
    """
    text = lf_line_ends(text)
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def content_hash(body: str) -> str:
    """sha256 hex digest of the normalised body."""
    return hashlib.sha256(normalise_text(body).encode("utf-8")).hexdigest()


def decode_policy(data: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """Decode file bytes as UTF-8 (BOM and CRLF accepted); report the line of a bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problem = Problem(
            "encoding",
            path,
            f"file is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be read",
            "Save the file as UTF-8 (most editors: 'Save with encoding' -> UTF-8).",
            line,
        )
        return None, [problem]
    return lf_line_ends(text), []


def parse_policy(data: bytes, path: str) -> PolicyParse:
    """Parse the bytes of policy file ``path`` (repository-relative); collect every problem."""
    text, problems = decode_policy(data, path)
    if text is None:
        return PolicyParse(None, problems)
    doc_id = doc_id_for(path)
    if not DOC_ID_PATTERN.match(doc_id):
        problems.append(
            Problem(
                "file-name",
                path,
                f"'{doc_id}' cannot be a document id (it becomes a URL and a tag)",
                "Rename the file to lower-case letters, digits and dashes, e.g. `privacy.md`.",
            )
        )
    if not text.strip():
        problems.append(
            Problem(
                "empty-file",
                path,
                "file is empty",
                "Start it with front matter; see docs/policy-format.md.",
                1,
            )
        )
        return PolicyParse(None, problems)
    split = split_front_matter(text)
    if split is None:
        problems.append(_missing_front_matter(text, path))
        return PolicyParse(None, problems)
    source, body, body_line = split
    result = parse_front_matter(source, path, first_line=2)
    problems += result.problems
    if result.front_matter is None or problems:
        return PolicyParse(None, problems, body, body_line)
    document = PolicyDocument(doc_id, path, result.front_matter, body, result.key_lines)
    return PolicyParse(document, problems, body, body_line)


def _missing_front_matter(text: str, path: str) -> Problem:
    if text.split("\n", 1)[0].rstrip() == _FENCE:
        return Problem(
            "front-matter-unclosed",
            path,
            "front matter is never closed",
            "End the front matter with a line holding only `---`.",
            1,
        )
    return Problem(
        "front-matter-missing",
        path,
        "no front matter: the file must start with a `---` line",
        "Add a front matter block (title, version, effective_date, summary, change) "
        "between two `---` lines at the top; see docs/policy-format.md.",
        1,
    )


def body_first_line(text: str) -> int:
    """The file line on which the body starts (for turning body lines into file lines)."""
    split = split_front_matter(text)
    return 1 if split is None else split[2]


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Front matter source, body, and the file line where the body starts (None: no front
    matter). ``text`` must already be decoded and normalised (no BOM, LF line ends)."""
    first_end = text.find("\n")
    if (text[:first_end] if first_end >= 0 else text).rstrip() != _FENCE:
        return None
    position = first_end + 1
    while 0 < position <= len(text):
        end = text.find("\n", position)
        line = text[position : end if end >= 0 else len(text)]
        if line.rstrip() in (_FENCE, "..."):
            body = text[end + 1 :] if end >= 0 else ""
            return text[first_end + 1 : position], body, text.count("\n", 0, position) + 2
        if end < 0:
            return None
        position = end + 1
    return None


def read_policy(data: bytes, path: str, where: str = "") -> PolicyDocument:
    """Parse a policy or raise :class:`~notifier.errors.PolicyError` naming the first problem."""
    parsed = parse_policy(data, path)
    if parsed.document is None:
        first = parsed.problems[0]
        more = f" and {len(parsed.problems) - 1} more" if len(parsed.problems) > 1 else ""
        raise PolicyError(
            f"{first.message}{more}",
            where=where or first.location,
            fix=first.fix + " Run `notifier check` to list every problem.",
        )
    return parsed.document
