"""The YAML front matter of a policy: its schema, and validation that names the line and key.

The YAML is composed into nodes rather than loaded into Python values, so every problem can name
the line of the key, and values keep the text the editor wrote (``version: 1.10`` stays ``1.10``
instead of becoming the float ``1.1``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, total_ordering

import yaml

from notifier.problems import Problem


class ChangeClass(StrEnum):
    """How much a release changes a policy; ``initial`` marks a document's first release."""

    NONE = "none"
    EDITORIAL = "editorial"
    MATERIAL = "material"
    INITIAL = "initial"

    @property
    def rank(self) -> int:
        """Order for comparisons: none < editorial < material (initial ranks as material)."""
        return {"none": 0, "editorial": 1, "material": 2, "initial": 2}[self.value]


@total_ordering
@dataclass(frozen=True)
class Version:
    """A policy version: dot-separated whole numbers (``1``, ``1.2``, ``2026.1.3``)."""

    text: str

    @cached_property
    def parts(self) -> tuple[int, ...]:
        """The numbers, for ordering (``1.10`` > ``1.9``)."""
        return tuple(int(part) for part in self.text.split("."))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return _padded(self.parts, other.parts) < _padded(other.parts, self.parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return _padded(self.parts, other.parts) == _padded(other.parts, self.parts)

    def __hash__(self) -> int:
        parts = list(self.parts)
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return hash(tuple(parts))

    def __str__(self) -> str:
        return self.text


def _padded(parts: tuple[int, ...], other: tuple[int, ...]) -> tuple[int, ...]:
    # 1.0 and 1 are the same version; pad with zeros to compare.
    return parts + (0,) * max(0, len(other) - len(parts))


# libyaml's parser is about ten times faster and reports the same line marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

VERSION_PATTERN = re.compile(r"^\d{1,9}(\.\d{1,9}){0,3}$")


@dataclass(frozen=True)
class FrontMatter:
    """The release data a policy declares about itself."""

    title: str
    version: Version
    effective_date: dt.date
    summary: str
    change: ChangeClass
    change_justification: str | None = None


@dataclass(frozen=True)
class Field:
    """One front-matter key: whether it is required and what it holds."""

    key: str
    required: bool
    doc: str


FIELDS: tuple[Field, ...] = (
    Field("title", True, "The policy's title, shown as its heading."),
    Field("version", True, "Dot-separated numbers (`1.0`, `1.1`, `2.0`); must increase."),
    Field("effective_date", True, "The date the text takes effect, as `YYYY-MM-DD`."),
    Field("summary", True, "One paragraph for readers: what changed in this release and why."),
    Field("change", True, "Declared class: `none`, `editorial`, `material`, or `initial`."),
    Field(
        "change_justification",
        False,
        "Why the declared class is lower than the detected one (shown in the check report).",
    ),
)
_KNOWN = {field.key for field in FIELDS}


@dataclass(frozen=True)
class FrontMatterResult:
    """The parsed front matter, or ``None`` with the problems that prevented it."""

    front_matter: FrontMatter | None
    problems: list[Problem]
    key_lines: dict[str, int]


def parse_front_matter(source: str, path: str, first_line: int) -> FrontMatterResult:
    """Validate YAML ``source`` that starts on file line ``first_line``; collect every problem."""
    reader = _Reader(path, first_line)
    try:
        node = yaml.compose(source, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark else first_line
        detail = getattr(exc, "problem", None) or str(exc)
        reader.add(
            "front-matter-yaml",
            f"front matter is not valid YAML: {detail}",
            "Fix the YAML syntax on this line (quote text containing ': ' or '#').",
            line,
        )
        return FrontMatterResult(None, reader.problems, {})
    if not isinstance(node, yaml.MappingNode):
        reader.add(
            "front-matter-not-mapping",
            "front matter must be a set of `key: value` lines",
            "Write one `key: value` per line between the two `---` lines.",
            first_line,
        )
        return FrontMatterResult(None, reader.problems, {})
    return FrontMatterResult(reader.read(node), reader.problems, reader.lines)


class _Reader:
    """Collects problems while turning a composed YAML mapping into :class:`FrontMatter`."""

    def __init__(self, path: str, first_line: int) -> None:
        self.path = path
        self.first_line = first_line
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}

    def add(self, code: str, message: str, fix: str, line: int, key: str | None = None) -> None:
        self.problems.append(Problem(code, self.path, message, fix, line, key))

    def read(self, node: yaml.MappingNode) -> FrontMatter | None:
        values = self._scalars(node)
        for field in FIELDS:
            if field.required and field.key not in values:
                self.add(
                    "front-matter-missing-key",
                    f"front matter has no '{field.key}'",
                    f"Add `{field.key}:` ({field.doc})",
                    self.first_line - 1,
                    field.key,
                )
        parsed = {
            "title": self._text(values, "title"),
            "version": self._version(values),
            "effective_date": self._date(values),
            "summary": self._text(values, "summary"),
            "change": self._change(values),
        }
        justification = self._text(values, "change_justification") or None
        if self.problems or any(value is None for value in parsed.values()):
            return None
        return FrontMatter(change_justification=justification, **parsed)  # type: ignore[arg-type]

    def _scalars(self, node: yaml.MappingNode) -> dict[str, str]:
        values: dict[str, str] = {}
        for key_node, value_node in node.value:
            key, line = str(key_node.value), self.first_line + key_node.start_mark.line
            if key in self.lines:
                self.add(
                    "front-matter-duplicate-key",
                    f"'{key}' is given twice",
                    f"Keep one '{key}' (the other is on line {self.lines[key]}).",
                    line,
                    key,
                )
            self.lines[key] = line
            if key not in _KNOWN:
                self._unknown(key, line)
            elif not isinstance(value_node, yaml.ScalarNode):
                self.add(
                    "front-matter-type",
                    f"'{key}' must be a single value, not a list or map",
                    f"Write `{key}: <value>` on one line.",
                    line,
                    key,
                )
            elif value_node.tag.endswith(":null") or not str(value_node.value).strip():
                self.add(
                    "front-matter-empty",
                    f"'{key}' is empty",
                    f"Give '{key}' a value or remove the line.",
                    line,
                    key,
                )
            else:
                values[key] = str(value_node.value).strip()
        return values

    def _unknown(self, key: str, line: int) -> None:
        close = difflib.get_close_matches(key, sorted(_KNOWN), n=1, cutoff=0.6)
        fix = (
            f"Did you mean '{close[0]}'?"
            if close
            else "Remove it; known keys: " + ", ".join(field.key for field in FIELDS)
        )
        self.add("front-matter-unknown-key", f"unknown key '{key}'", fix, line, key)

    def _text(self, values: dict[str, str], key: str) -> str | None:
        return values.get(key)

    def _version(self, values: dict[str, str]) -> Version | None:
        text = values.get("version")
        if text is None:
            return None
        if not VERSION_PATTERN.match(text):
            self.add(
                "front-matter-version",
                f"version '{text}' is not dot-separated numbers",
                "Use a version such as `1.0`, `1.1` or `2.0`.",
                self.lines["version"],
                "version",
            )
            return None
        return Version(text)

    def _date(self, values: dict[str, str]) -> dt.date | None:
        text = values.get("effective_date")
        if text is None:
            return None
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError("not in YYYY-MM-DD form")
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            self.add(
                "front-matter-date",
                f"effective_date '{text}' is not a valid date ({exc})",
                "Write the date as YYYY-MM-DD, e.g. `2026-03-01`.",
                self.lines["effective_date"],
                "effective_date",
            )
            return None

    def _change(self, values: dict[str, str]) -> ChangeClass | None:
        text = values.get("change")
        if text is None:
            return None
        try:
            return ChangeClass(text)
        except ValueError:
            names = [member.value for member in ChangeClass]
            close = difflib.get_close_matches(text.lower(), names, n=1)
            hint = f"Did you mean '{close[0]}'? " if close else ""
            self.add(
                "front-matter-change",
                f"change '{text}' is not a change class",
                f"{hint}Use one of: {', '.join(names)}.",
                self.lines["change"],
                "change",
            )
            return None
