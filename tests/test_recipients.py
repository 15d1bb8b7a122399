"""Reading and validating recipients."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from notifier.errors import UsageError
from notifier.recipients import address_problem, query_recipients, read_recipients


@pytest.mark.parametrize(
    "address", ["a@example.com", "First.Last+tag@Example.co.uk", "x_y@sub.example.org"]
)
def test_valid_addresses(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "plain",
        "a@b",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a b@example.com",
        "a@example.123",
        "x" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
    ],
)
def test_invalid_addresses(address: str) -> None:
    assert address_problem(address) is not None


def test_csv_with_bom_and_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "\ufeffemail,id,name,locale\na@example.com,1,Ann,en\nb@example.com,,,\n", encoding="utf-8"
    )
    people = list(read_recipients(path))
    assert [(p.email, p.user_id, p.name, p.locale, p.line) for p in people] == [
        ("a@example.com", "1", "Ann", "en", 2),
        ("b@example.com", None, None, None, 3),
    ]
    assert people[1].user_key == "email:b@example.com"


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        '{"email": "a@example.com", "id": 7}\n\n{"email": "B@example.com"}\n', encoding="utf-8"
    )
    assert [(p.email, p.user_id) for p in read_recipients(path)] == [
        ("a@example.com", "7"),
        ("B@example.com", None),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.csv", "address\nx@example.com\n", "no `email` column"),
        ("people.jsonl", '{"email": "a@example.com"}\nnot json\n', "line is not JSON"),
        ("people.jsonl", '["a@example.com"]\n', "not a JSON object"),
        ("people.txt", "a@example.com\n", "unknown recipients file type"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as caught:
        list(read_recipients(path))
    assert str(path) in caught.value.where


@pytest.mark.parametrize("name", ["people.csv", "people.jsonl"])
def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path, name: str) -> None:
    rows = [f"u{i}@example.com" for i in range(3000)]  # past the text layer's first block
    rows[2500] = "caf\xe9@example.com"
    jsonl = name.endswith(".jsonl")
    lines = [f'{{"email": "{row}"}}' for row in rows] if jsonl else ["email", *rows]
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(UsageError, match=r"not UTF-8 text \(byte 0xe9") as caught:
        list(read_recipients(path))
    assert caught.value.where == f"{path}:{2501 if jsonl else 2502}"
    assert "UTF-8" in caught.value.fix


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        read_recipients(tmp_path / "nope.csv")


def test_sql_source_streams_rows(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE users (uid INTEGER, mail TEXT, lang TEXT)")
        connection.executemany(
            "INSERT INTO users VALUES (?, ?, ?)",
            [(i, f"u{i}@example.com", "en") for i in range(12000)],
        )
    people = query_recipients(
        f"sqlite:///{database}",
        "SELECT uid AS id, mail AS email, lang AS locale FROM users ORDER BY uid",
    )
    first = next(people)
    assert (first.email, first.user_id, first.locale) == ("u0@example.com", "0", "en")
    assert sum(1 for _ in people) == 11999


def test_sql_source_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no `email` column"):
        list(query_recipients(f"sqlite:///{tmp_path / 'x.db'}", "SELECT 1 AS id"))
    with pytest.raises(UsageError, match="query failed"):
        list(query_recipients(f"sqlite:///{tmp_path / 'x.db'}", "SELECT * FROM missing"))
