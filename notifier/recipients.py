"""Recipients, streamed from CSV, JSONL or an SQL query (never all in memory), and validated.

Addresses are checked for syntax only (no DNS): the WHATWG "valid e-mail address" grammar that
browsers use, plus RFC 5321 length limits. A library such as email-validator checks more, but is
too slow for ten million addresses; what this lets through, SendGrid rejects per request, and the
sender isolates and records it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from notifier.errors import UsageError

_ADDRESS = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$"
)
COLUMNS = ("email", "id", "name", "locale")


@dataclass(frozen=True)
class Recipient:
    """One person to notify: address, and the application's user id, name and locale if known."""

    email: str
    user_id: str | None = None
    name: str | None = None
    locale: str | None = None
    line: int = 0  # where it was read (for reports)

    @property
    def user_key(self) -> str:
        """The recipient's identity in the ledger: the user id, else the address."""
        return self.user_id if self.user_id else f"email:{address_key(self.email)}"


def address_key(email: str) -> str:
    """The form addresses are compared in (case-insensitive, as mail providers treat them)."""
    return email.strip().lower()


def address_problem(email: str) -> str | None:
    """Why ``email`` cannot be sent to, or None when it looks valid."""
    email = email.strip()
    if not email:
        return "no address"
    if len(email) > 254:
        return "address longer than 254 characters"
    local, _, domain = email.rpartition("@")
    if len(local) > 64:
        return "part before @ longer than 64 characters"
    if not _ADDRESS.match(email) or ".." in local or local.startswith(".") or local.endswith("."):
        return "not a valid e-mail address"
    if domain.rsplit(".", 1)[-1].isdigit():
        return "domain is not a name"
    return None


def read_recipients(path: Path) -> Iterator[Recipient]:
    """Stream recipients from a ``.csv`` or ``.jsonl`` file (``email`` column required)."""
    if not path.is_file():
        raise UsageError(
            "recipients file not found",
            where=str(path),
            fix="Give a CSV or JSONL file with an `email` column.",
        )
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    raise UsageError(
        "unknown recipients file type", where=str(path), fix="Use a .csv or .jsonl file."
    )


def _read_csv(path: Path) -> Iterator[Recipient]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        try:
            if not reader.fieldnames or "email" not in reader.fieldnames:
                raise UsageError(
                    "the CSV has no `email` column",
                    where=str(path),
                    fix="Name the address column `email` (optional: id, name, locale).",
                )
            for number, row in enumerate(reader, start=2):
                yield Recipient(
                    row.get("email") or "",
                    row.get("id") or None,
                    row.get("name") or None,
                    row.get("locale") or None,
                    number,
                )
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except csv.Error as exc:
            raise UsageError(
                f"the CSV cannot be read ({exc})",
                where=f"{path}:{reader.line_num}",
                fix="Check the quoting on that line: one recipient per row, fields such as "
                'email,id,name,locale, quoted with " when they hold a comma.',
            ) from None


def _read_jsonl(path: Path) -> Iterator[Recipient]:
    with path.open(encoding="utf-8") as handle:
        try:
            yield from _jsonl_rows(path, handle)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None


def _jsonl_rows(path: Path, handle: Iterable[str]) -> Iterator[Recipient]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"line is not JSON ({exc.msg})",
                where=f"{path}:{number}",
                fix="Write one JSON object per line.",
            ) from None
        if not isinstance(row, dict):
            raise UsageError(
                "line is not a JSON object",
                where=f"{path}:{number}",
                fix='Write objects such as {"email": "a@example.com"}.',
            )
        yield _from_mapping(row, number)


def _not_utf8(path: Path) -> UsageError:
    # The text layer decodes ahead in blocks, so the line is found again in the raw bytes.
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return UsageError(
                    f"the file is not UTF-8 text (byte {raw[exc.start]:#04x} in column "
                    f"{exc.start + 1})",
                    where=f"{path}:{number}",
                    fix="Save the recipients as UTF-8 (e.g. Excel's 'CSV UTF-8', or "
                    "`iconv -f latin1 -t utf-8`).",
                )
    return UsageError("the file is not UTF-8 text", where=str(path), fix="Save it as UTF-8.")


def _from_mapping(data: Mapping[str, object], number: int) -> Recipient:
    """A recipient from a JSON object or a query row (columns named like the CSV's)."""
    return Recipient(
        str(data.get("email") or ""),
        _text(data.get("id")),
        _text(data.get("name")),
        _text(data.get("locale")),
        number,
    )


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def query_recipients(source_url: str, query: str, *, chunk: int = 5000) -> Iterator[Recipient]:
    """Stream recipients from the application's database (columns named like the CSV's)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = create_engine(source_url)
    except (SQLAlchemyError, ValueError) as exc:
        raise UsageError(
            f"cannot use the source database URL ({exc})",
            where="--source-url",
            fix="Give an SQLAlchemy URL such as postgresql+psycopg://host/db.",
        ) from None
    try:
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=chunk).execute(
                text(query)
            )
            names = list(result.keys())
            if "email" not in names:
                raise UsageError(
                    "the query returns no `email` column",
                    where="--recipients-sql",
                    fix="Select the address AS email (optional: id, name, locale).",
                )
            for number, row in enumerate(result, start=1):
                yield _from_mapping(dict(zip(names, row, strict=True)), number)
    except SQLAlchemyError as exc:
        raise UsageError(
            f"the recipients query failed: {exc.__class__.__name__}",
            where="--recipients-sql",
            fix=str(exc).splitlines()[0],
        ) from None
    finally:
        engine.dispose()
