"""One exception tree for everything the library raises on purpose.

Every error carries *what* went wrong, *where* (a file, line, key or ref) and *how to fix it*, so
the command line can print ``Error: <what> (<where>). <fix>`` and exit without a traceback.
"""

from __future__ import annotations


class NotifierError(Exception):
    """Root of all errors raised by policy-notifier."""

    exit_code = 1

    def __init__(self, what: str, *, where: str = "", fix: str = "") -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message shown to a user."""
        text = self.what
        if self.where:
            text += f" ({self.where})"
        text += "."
        if self.fix:
            text += f" {self.fix}"
        return text


class UsageError(NotifierError):
    """The command was called wrongly: a bad argument, path or option."""

    exit_code = 2


class ConfigError(NotifierError):
    """``[tool.notifier]`` is invalid; ``problems`` lists every invalid key at once."""

    def __init__(self, problems: list[str], *, where: str) -> None:
        self.problems = problems
        what = "invalid configuration: " + "; ".join(problems)
        super().__init__(what, where=where, fix="Correct the keys named above.")


class RepositoryError(NotifierError):
    """The git repository cannot be read as needed (no commits, shallow clone, bad ref)."""


class PolicyError(NotifierError):
    """A policy file cannot be read or parsed."""


class HistoryError(NotifierError):
    """The release history on the release branch is inconsistent."""
