"""The store's connection: SQLite (stdlib `sqlite3`) in WAL mode, migrated on open, and its transactions.

`Database` is the base every query family of the store (`runs`, `results`, `flags`,
`cache`) builds on: one autocommit connection guarded by one re-entrant lock,
`transaction()` for `BEGIN IMMEDIATE … COMMIT`, and `_query` for reads that turn
sqlite errors into `StoreError`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from pipeline.errors import StoreError
from pipeline.store.migrations import MIGRATIONS, migrate

#: Milliseconds a connection waits for another writer before giving up.
BUSY_TIMEOUT_MS = 30_000

_D = TypeVar("_D", bound="Database")

#: recon's tables, for `Database.count`.
TABLES = frozenset(
    {
        "documents", "runs", "results", "facts", "flags", "flag_decisions", "llm_cache", "chunk_failures",
        "corrections",
    }
)


def utc_now() -> str:
    """ISO-8601 UTC timestamp with seconds, as stored in every `*_at`/`created` column."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Database:
    """A connection to the recon database, migrated on open. Use as a context manager.

    The connection is in autocommit mode; `transaction()` opens an explicit
    `BEGIN IMMEDIATE`. It may be shared with worker threads (the LLM cache):
    every access goes through one re-entrant lock.
    """

    def __init__(self, db_path: Path | str, *, read_only: bool = False) -> None:
        self.db_path = Path(db_path)
        self._lock = threading.RLock()
        self.migrations_applied: list[str] = []
        if read_only:
            self._conn = _open_read_only(self.db_path)
            return
        if str(db_path) != ":memory:":
            try:
                self.db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder of {self.db_path}: {exc}") from exc
        try:
            self._conn = sqlite3.connect(
                str(db_path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.db_path}: {exc}") from exc
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self.migrations_applied = migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.db_path} is not a usable recon database: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection (autocommit, `sqlite3.Row` rows); readers use the store's queries."""
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self: _D) -> _D:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def transaction(self) -> Transaction:
        """`with store.transaction():` — BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception."""
        return Transaction(self)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {self.db_path}: {exc}") from exc

    def count(self, table: str) -> int:
        """Row count of one of recon's tables (for reports and tests)."""
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}")
        return int(self._query(f"SELECT COUNT(*) FROM {table}")[0][0])


class Transaction:
    """BEGIN IMMEDIATE … COMMIT on the store's connection, holding the store's thread lock."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db._lock.acquire()
        try:
            self._db._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._db._lock.release()
            raise StoreError(f"cannot write to {self._db.db_path}: {exc}") from exc
        return self._db._conn

    def _rollback(self) -> None:
        """Roll back unless sqlite already did (SQLITE_FULL, IOERR end the transaction
        themselves, and a second ROLLBACK would hide the original error)."""
        if self._db._conn.in_transaction:
            self._db._conn.execute("ROLLBACK")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                try:
                    self._db._conn.execute("COMMIT")
                except sqlite3.Error as commit_exc:
                    self._rollback()
                    raise StoreError(f"cannot write to {self._db.db_path}: {commit_exc}") from commit_exc
            else:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"cannot write to {self._db.db_path}: {exc}") from exc
        finally:
            self._db._lock.release()


def _open_read_only(db_path: Path) -> sqlite3.Connection:
    """A read-only connection for the commands that only read (flags, show, export, report), which
    works in a read-only folder: nothing is migrated or created, and the database must be current.

    `mode=ro` first; where SQLite cannot set up the WAL index next to a read-only database it
    is opened `immutable` (no other process can write to that folder anyway)."""
    from urllib.parse import quote

    base = f"file:{quote(str(db_path.resolve()))}"
    problem: sqlite3.Error | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{base}?{options}", uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            problem = exc
            continue
        try:
            conn.row_factory = sqlite3.Row
            applied = {str(row[0]) for row in conn.execute("SELECT name FROM _migrations")}
        except sqlite3.DatabaseError as exc:
            conn.close()
            problem = exc
            continue
        pending = [fn.__name__ for fn in MIGRATIONS if fn.__name__ not in applied]
        unknown = applied - {fn.__name__ for fn in MIGRATIONS}
        if pending or unknown:
            conn.close()
            names = ", ".join(pending or sorted(unknown))
            raise StoreError(
                f"{db_path} was written by another version of recon ({names}); "
                "`recon run` with this version upgrades it"
            )
        return conn
    raise StoreError(f"cannot open {db_path} to read it: {problem}")
