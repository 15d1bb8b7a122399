"""``NoticeLedger``: the database that proves who was notified of which version, when and how.

SQLite by default (a file in the repository's state folder), PostgreSQL by URL. The schema is
created and upgraded by Alembic migrations when the ledger is opened.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, inspect, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError, SQLAlchemyError

from notifier.errors import NotifierError, UsageError
from notifier.ledger.loading import RecipientIntake
from notifier.ledger.migrations import HEAD_REVISION
from notifier.ledger.schema import deliveries, notices
from notifier.notices import Notice

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_BATCH = 1000  # deliveries per batch: SendGrid takes at most 1000 personalizations
_MIGRATION_LOCK = 0x706F6C6963792D6E  # "policy-n": the advisory lock key of schema migrations
NOTICE_CACHE_SECONDS = 5.0


def new_id(result: Any) -> int:
    """The primary key of the row an INSERT created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def utcnow() -> dt.datetime:
    """Now, in UTC (the ledger stores UTC)."""
    return dt.datetime.now(dt.UTC)


class LedgerError(NotifierError):
    """The ledger database cannot be used."""


def default_url(state_dir: Path) -> str:
    """The SQLite ledger in the repository's state folder."""
    return f"sqlite:///{state_dir / 'ledger.sqlite3'}"


class NoticeLedger:
    """Notices, recipients, deliveries and their events, on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._notice_rows: tuple[float, list[dict[str, Any]]] = (0.0, [])

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> NoticeLedger:
        """Connect (creating or upgrading the schema) or raise a :class:`LedgerError`."""
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ValueError) as exc:
            raise UsageError(
                f"unusable ledger URL ({exc.__class__.__name__})",
                where="NOTIFIER_DATABASE_URL",
                fix="Use sqlite:///path/ledger.sqlite3 or postgresql+psycopg://user@host/db.",
            ) from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            database = engine.url.database
            if migrate and database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        ledger = cls(engine)
        if migrate:
            ledger.migrate()
        return ledger

    def migrate(self) -> None:
        """Bring the schema to the latest migration (one query when it is there already:
        Alembic, a third of a second to load, is only needed to change it)."""
        try:
            if self._revision() != HEAD_REVISION:
                self._upgrade(_alembic_config())
        except (OperationalError, DatabaseError) as exc:
            raise LedgerError(
                "cannot open the ledger database",
                where=_safe_url(self.engine),
                fix=f"Check that it is reachable, writable and a ledger ({exc.orig}).",
            ) from None

    def _revision(self) -> str | None:
        """The schema's migration, None for an empty database."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def _upgrade(self, config: Config) -> None:
        with self.engine.connect() as connection:
            sqlite = self.dialect == "sqlite"
            if sqlite:
                # SQLite alters a column by rebuilding its table, which the rows of other tables
                # that refer to it would forbid: enforcement is off for the migration (it only
                # changes outside a transaction), and the references are checked at its end.
                _foreign_keys(connection, on=False)
            try:
                with connection.begin():
                    self._upgrade_locked(connection, config)
            finally:
                if sqlite:
                    _foreign_keys(connection, on=True)

    def _upgrade_locked(self, connection: Connection, config: Config) -> None:
        # Workers started together would all create the tables: one migrates while the
        # others wait for its lock, then find the schema up to date. (SQLite's driver would
        # run the DDL outside any transaction; an immediate transaction takes the lock.)
        if self.dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        elif self.dialect == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        from alembic import command

        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if (
            self.dialect == "sqlite"
            and connection.exec_driver_sql("PRAGMA foreign_key_check").first()
        ):
            raise LedgerError(
                "the ledger's schema upgrade broke a reference between its tables",
                where=_safe_url(self.engine),
                fix="Nothing was changed. Report it with the output of PRAGMA foreign_key_check.",
            )

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> NoticeLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- notices ------------------------------------------------------------------------------

    def save_notice(self, notice: Notice) -> int:
        """Store a notice once (by its key) and return its id."""
        existing = self._stored_notice(notice.key)
        if existing is not None:
            return existing
        try:
            return self._insert_notice(notice)
        except IntegrityError:
            # Another worker, started at the same time, stored it first.
            existing = self._stored_notice(notice.key)
            if existing is None:
                raise
            return existing

    def _stored_notice(self, key: str) -> int | None:
        with self.engine.connect() as connection:
            existing = connection.scalar(select(notices.c.id).where(notices.c.key == key))
        return None if existing is None else int(existing)

    def _insert_notice(self, notice: Notice) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(notices).values(
                    key=notice.key,
                    document=notice.document,
                    version=notice.version,
                    title=notice.title,
                    change_class=notice.change_class,
                    summary=notice.summary,
                    effective_date=notice.effective_date.isoformat(),
                    content_hash=notice.content_hash,
                    text_url=notice.text_url,
                    redline_url=notice.redline_url,
                    material_changes=json.dumps(list(notice.material_changes)),
                    commit=notice.commit,
                    created_at=utcnow(),
                )
            )
            return new_id(result)

    def notice_rows(self, max_age: float = NOTICE_CACHE_SECONDS) -> list[dict[str, Any]]:
        """Every notice, as rows; cached for ``max_age`` seconds, since a notice is added only
        by a release and the in-app API reads them on every request."""
        loaded, rows = self._notice_rows
        if time.monotonic() - loaded > max_age:
            with self.engine.connect() as connection:
                rows = [dict(r) for r in connection.execute(select(notices)).mappings()]
            self._notice_rows = (time.monotonic(), rows)
        return rows

    def notice_rows_stale(self, max_age: float = NOTICE_CACHE_SECONDS) -> bool:
        """Whether :meth:`notice_rows` would read the database (rather than its cache)."""
        return time.monotonic() - self._notice_rows[0] > max_age

    def notice_id(self, key: str) -> int:
        """The id of a stored notice, or a usage error naming the known ones."""
        with self.engine.connect() as connection:
            found = connection.scalar(select(notices.c.id).where(notices.c.key == key))
            if found is None:
                known = connection.scalars(select(notices.c.key).order_by(notices.c.id)).all()
                raise UsageError(
                    f"no notice '{key}' in the ledger",
                    where=_safe_url(self.engine),
                    fix="Known notices: " + (", ".join(known) or "none yet") + ".",
                )
            return int(found)

    def load_notice(self, key: str) -> Notice:
        """A stored notice."""
        with self.engine.connect() as connection:
            row = connection.execute(select(notices).where(notices.c.key == key)).mappings().one()
        return Notice(
            key=row["key"],
            document=row["document"],
            version=row["version"],
            title=row["title"],
            change_class=row["change_class"],
            summary=row["summary"],
            effective_date=dt.date.fromisoformat(row["effective_date"]),
            content_hash=row["content_hash"],
            text_url=row["text_url"],
            redline_url=row["redline_url"],
            commit=row["commit"],
            material_changes=tuple(json.loads(row["material_changes"])),
        )

    # -- recipients ---------------------------------------------------------------------------

    def intake(
        self, notice_id: int, channel: str, batch_size: int = DEFAULT_BATCH
    ) -> RecipientIntake:
        """Recipients for a notice's queue on ``channel``: read them all with ``stage``, then
        queue them a chunk at a time with ``queue_next`` (see :mod:`notifier.ledger.loading`).

        Invalid addresses are recorded as ``failed`` with the reason; an address or user already
        queued for the notice is counted as a duplicate and not queued again. The queued
        deliveries are cut into batches of ``batch_size``, the unit of sending. If the
        recipients cannot be read to the end (a line that is not UTF-8, not JSON, a failing
        query), nothing is queued, so that the next run, with the file mended or another one,
        does not send to the first part of this one. Memory stays flat whatever the number of
        recipients.
        """
        return RecipientIntake(
            self.engine.connect(),
            notice_id,
            channel,
            batch_size,
            lambda: self.driver_timestamp(utcnow()),
        )

    def driver_timestamp(self, value: dt.datetime) -> Any:
        """A timestamp as this database's driver stores it for SQLAlchemy to read back (for
        the statements that bypass the SQL layer)."""
        dialect = self.engine.dialect
        processor = deliveries.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        return processor(value) if processor else value


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    location = resources.files("notifier.ledger").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (reports, the web app) work while a sender writes; NORMAL sync is safe
    # under WAL (a power cut may lose the last commits, never corrupt the file).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def _safe_url(engine: Engine) -> str:
    """The database URL without its password (secrets never reach messages or logs)."""
    return engine.url.render_as_string(hide_password=True)
