"""The recon store: SQLite (stdlib `sqlite3`) in WAL mode with numbered migrations.

Tables are described in `pipeline.store.migrations`. Writes of one document happen in
one transaction (`Store.store_document`), so a process killed at any point
leaves every document either fully stored or not at all. Facts are keyed by a
hash of the document's content and the fact's place in it, flags by
`(path, Flag.key)`, so re-runs never duplicate rows. Reviewer decisions are
kept in `flag_decisions` by document name and flag key (which contains the
numbers): a re-run that raises the same flag keeps its status; changed numbers
give a new key and an open flag.

`RunLock` is the one-run-at-a-time guard: an OS file lock (`fcntl.flock`) on
`<db>.lock`, released by the kernel when the holder dies, so a killed run never
leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pipeline.errors import StoreError
from pipeline.store.migrations import MIGRATIONS, migrate
from schemas import Accounting, Correction, DocumentExtraction, DocumentResult, DocumentStatus, Flag, Severity
from schemas.stored import (
    FlagDecision,
    FlagStatus,
    RunCounts,
    RunRecord,
    RunStatus,
    StoredDocument,
    StoredFlag,
)

#: Milliseconds a connection waits for another writer before giving up.
BUSY_TIMEOUT_MS = 30_000


def utc_now() -> str:
    """ISO-8601 UTC timestamp with seconds, as stored in every `*_at`/`created` column."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FactRow:
    """One stated number flattened for the `facts` table."""

    kind: str
    subject: str
    key: str
    value: str
    unit: str | None
    text: str
    span_start: int
    span_end: int
    source: str | None


@dataclass
class DocumentWrite:
    """What storing one document changed: flags raised, new flags by severity, facts."""

    flags: int = 0
    facts: int = 0
    new_by_severity: dict[Severity, int] = field(default_factory=dict)

    @property
    def new_flags(self) -> int:
        return sum(self.new_by_severity.values())


def extraction_facts(extraction: DocumentExtraction) -> list[FactRow]:
    """Every stated number of an extraction as `FactRow`s (projects, indicators, breakdowns, statements)."""
    rows: list[FactRow] = []
    for project in extraction.projects:
        for fact_key, numbers in project.facts.items():
            for number in numbers:
                rows.append(
                    FactRow(
                        "project",
                        project.name,
                        fact_key.value,
                        str(number.value),
                        number.unit,
                        number.text,
                        number.span.start,
                        number.span.end,
                        project.source,
                    )
                )
    for indicator in extraction.indicators:
        measures = (("target", indicator.target), ("actual", indicator.actual), ("rate", indicator.rate))
        for key, measure in measures:
            if measure is not None:
                rows.append(
                    FactRow(
                        "indicator",
                        indicator.name,
                        key,
                        str(measure.value),
                        measure.unit,
                        measure.text,
                        measure.span.start,
                        measure.span.end,
                        indicator.source,
                    )
                )
    for breakdown in extraction.breakdowns:
        items = [("total", breakdown.total)] + [(f"part:{item.label}", item) for item in breakdown.parts]
        for key, item in items:
            number = item.amount
            rows.append(
                FactRow(
                    "breakdown",
                    breakdown.total.label,
                    key,
                    str(number.value),
                    number.unit,
                    number.text,
                    number.span.start,
                    number.span.end,
                    breakdown.source,
                )
            )
    for statement in extraction.statements:
        number = statement.amount
        rows.append(
            FactRow(
                "statement",
                statement.label,
                statement.scope or "",
                str(number.value),
                number.unit,
                number.text,
                number.span.start,
                number.span.end,
                None,
            )
        )
    return rows


def fact_id(document_sha: str, row: FactRow) -> str:
    """Content-hash key of a fact: same document content and same place → same row."""
    raw = "|".join([document_sha, row.kind, row.subject, row.key, str(row.span_start), str(row.span_end)])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Store:
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

    # -- lifecycle -----------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection (autocommit, `sqlite3.Row` rows) for read queries."""
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def transaction(self) -> _Transaction:
        """`with store.transaction():` — BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception."""
        return _Transaction(self)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {self.db_path}: {exc}") from exc

    # -- ResponseCache -------------------------------------------------------------

    def get(self, key: str) -> str | None:
        """Cached model response for `key` (`ResponseCache` of `pipeline.extract.model.backend`)."""
        rows = self._query("SELECT value FROM llm_cache WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def put(self, key: str, value: str) -> None:
        """Store a model response; committed at once so a killed run keeps what it paid for."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO llm_cache (key, value, created) VALUES (?, ?, ?)",
                (key, value, utc_now()),
            )

    # -- runs ----------------------------------------------------------------------

    def begin_run(
        self, backend: str, model: str | None, prompt_version: str | None, argv: Sequence[str]
    ) -> int:
        """Record a new run; runs left `running` by a killed process are marked `aborted` first.

        Call it while holding the `RunLock`: then no other run can be live.
        """
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ? WHERE status = ?",
                (RunStatus.ABORTED.value, RunStatus.RUNNING.value),
            )
            cursor = conn.execute(
                "INSERT INTO runs (started, backend, model, prompt_version, status, pid, argv) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    utc_now(),
                    backend,
                    model,
                    prompt_version,
                    RunStatus.RUNNING.value,
                    os.getpid(),
                    json.dumps(list(argv), ensure_ascii=False),
                ),
            )
            run_id = cursor.lastrowid
        if run_id is None:  # pragma: no cover - sqlite always sets it after INSERT
            raise StoreError("could not record the run")
        return run_id

    def finish_run(self, run_id: int, counts: RunCounts, accounting: Accounting) -> RunRecord:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET finished = ?, status = ?, counts = ?, accounting = ? WHERE id = ?",
                (
                    utc_now(),
                    RunStatus.FINISHED.value,
                    counts.model_dump_json(),
                    accounting.model_dump_json(),
                    run_id,
                ),
            )
        return self.get_run(run_id)

    def abort_run(self, run_id: int, counts: RunCounts) -> None:
        """Mark a run `aborted` (interrupted); the documents it stored stay stored."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, counts = ? WHERE id = ?",
                (RunStatus.ABORTED.value, counts.model_dump_json(), run_id),
            )

    def get_run(self, run_id: int) -> RunRecord:
        rows = self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"no run {run_id} in {self.db_path}")
        return _run_record(rows[0])

    def runs(self) -> list[RunRecord]:
        return [_run_record(row) for row in self._query("SELECT * FROM runs ORDER BY id")]

    # -- documents -----------------------------------------------------------------

    def get_document(self, path: Path | str) -> StoredDocument | None:
        rows = self._query("SELECT * FROM documents WHERE path = ?", (str(path),))
        return StoredDocument(**dict(rows[0])) if rows else None

    def documents(self) -> list[StoredDocument]:
        return [
            StoredDocument(**dict(row)) for row in self._query("SELECT * FROM documents ORDER BY name, path")
        ]

    def last_result(self, path: Path | str) -> DocumentResult | None:
        """The most recent successful `DocumentResult` stored for `path`."""
        rows = self._query(
            "SELECT result FROM results WHERE path = ? AND status = ? ORDER BY run_id DESC LIMIT 1",
            (str(path), DocumentStatus.OK.value),
        )
        return DocumentResult.model_validate_json(rows[0][0]) if rows else None

    def store_document(
        self,
        run_id: int,
        result: DocumentResult,
        file_sha256: str | None,
        size: int | None,
        chunk_failures: Iterable[tuple[str, str]] = (),
    ) -> DocumentWrite:
        """Store one processed document in ONE transaction: row, result, facts, flags, chunk failures.

        A failed document updates its row and result only; facts and flags of its
        last good content stay.
        """
        write = DocumentWrite()
        now = utc_now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO documents (path, name, sha256, size, status, error, last_run, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET name = excluded.name, "
                "sha256 = excluded.sha256, size = excluded.size, status = excluded.status, "
                "error = excluded.error, last_run = excluded.last_run, updated = excluded.updated",
                (
                    result.path,
                    result.document,
                    result.sha256 or file_sha256,  # the content actually processed
                    size,
                    result.status.value,
                    result.error,
                    run_id,
                    now,
                ),
            )
            conn.execute(
                "INSERT OR REPLACE INTO results (run_id, path, name, sha256, status, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    result.path,
                    result.document,
                    result.sha256,
                    result.status.value,
                    result.model_dump_json(),
                ),
            )
            document_sha = result.sha256 or file_sha256
            if document_sha is not None:
                failures = list(chunk_failures)
                conn.execute("DELETE FROM chunk_failures WHERE document_sha = ?", (document_sha,))
                conn.executemany(
                    "INSERT OR REPLACE INTO chunk_failures (document_sha, chunk_id, reason, run_id) "
                    "VALUES (?, ?, ?, ?)",
                    [(document_sha, chunk_id, reason, run_id) for chunk_id, reason in failures],
                )
            if result.status is not DocumentStatus.OK:
                return write
            _replace_corrections(conn, run_id, result)
            if result.extraction is not None and document_sha is not None:
                write.facts = self._replace_facts(conn, document_sha, run_id, result.extraction)
            flags = result.check.flags if result.check is not None else []
            self._replace_flags(conn, write, run_id, result, flags, now)
        return write

    def _replace_facts(
        self, conn: sqlite3.Connection, document_sha: str, run_id: int, extraction: DocumentExtraction
    ) -> int:
        rows = extraction_facts(extraction)
        conn.execute("DELETE FROM facts WHERE document_sha = ?", (document_sha,))
        conn.executemany(
            "INSERT OR IGNORE INTO facts (id, document_sha, run_id, kind, subject, key, value, unit, text, "
            "span_start, span_end, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    fact_id(document_sha, row),
                    document_sha,
                    run_id,
                    row.kind,
                    row.subject,
                    row.key,
                    row.value,
                    row.unit,
                    row.text,
                    row.span_start,
                    row.span_end,
                    row.source,
                )
                for row in rows
            ],
        )
        count = conn.execute("SELECT COUNT(*) FROM facts WHERE document_sha = ?", (document_sha,)).fetchone()
        return int(count[0])

    def _replace_flags(
        self,
        conn: sqlite3.Connection,
        write: DocumentWrite,
        run_id: int,
        result: DocumentResult,
        flags: Sequence[Flag],
        now: str,
    ) -> None:
        existing = {
            str(row["key"]): int(row["id"])
            for row in conn.execute("SELECT id, key FROM flags WHERE path = ?", (result.path,))
        }
        seen: set[str] = set()
        for flag in flags:
            key = flag.key
            if key in seen:
                continue
            seen.add(key)
            decision = _decision(conn, result.document, key)
            status = str(decision[0]) if decision is not None else FlagStatus.OPEN.value
            values = (
                flag.rule.value,
                flag.severity.value,
                flag.subject,
                flag.message,
                flag.equation,
                json.dumps(flag.values, ensure_ascii=False),
                json.dumps([span.model_dump() for span in flag.spans]),
                flag.model_dump_json(),
                status,
            )
            if key in existing:
                conn.execute(
                    "UPDATE flags SET rule = ?, severity = ?, subject = ?, message = ?, equation = ?, "
                    '"values" = ?, spans = ?, flag = ?, status = ?, document = ?, run_id = ? WHERE id = ?',
                    (*values, result.document, run_id, existing[key]),
                )
            else:
                conn.execute(
                    'INSERT INTO flags (rule, severity, subject, message, equation, "values", spans, flag, '
                    "status, document, path, key, first_run, run_id, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, result.document, result.path, key, run_id, run_id, now),
                )
                if decision is None:
                    write.new_by_severity[flag.severity] = write.new_by_severity.get(flag.severity, 0) + 1
        write.flags = len(seen)
        stale = [flag_id for key, flag_id in existing.items() if key not in seen]
        conn.executemany("DELETE FROM flags WHERE id = ?", [(flag_id,) for flag_id in stale])

    def open_flag_counts(self, paths: Iterable[Path | str]) -> dict[Severity, int]:
        """Open flags (nobody confirmed or dismissed them) of the documents at `paths`, by severity."""
        wanted = {str(path) for path in paths}
        rows = self._query(
            "SELECT path, severity, COUNT(*) FROM flags WHERE status = ? GROUP BY path, severity",
            (FlagStatus.OPEN.value,),
        )
        counts: dict[Severity, int] = {}
        for path, severity, count in rows:
            if path in wanted:
                counts[Severity(severity)] = counts.get(Severity(severity), 0) + int(count)
        return counts

    def flag_count(self, path: Path | str) -> int:
        """Number of current flags of the document at `path`."""
        return int(self._query("SELECT COUNT(*) FROM flags WHERE path = ?", (str(path),))[0][0])

    def failed_chunks(self, document_sha: str) -> list[str]:
        """Chunk ids the model failed on last time for this content (to retry only those)."""
        rows = self._query(
            "SELECT chunk_id FROM chunk_failures WHERE document_sha = ? ORDER BY chunk_id", (document_sha,)
        )
        return [str(row[0]) for row in rows]

    # -- flags and decisions -------------------------------------------------------

    def flags(
        self, document: str | None = None, status: FlagStatus | None = None, run_id: int | None = None
    ) -> list[StoredFlag]:
        """Current flags, optionally of one document name, one status, or first raised by one run."""
        sql = (
            "SELECT f.*, d.status AS d_status, d.decided_by, d.note, d.decided_at FROM flags f "
            "LEFT JOIN flag_decisions d ON d.document = f.document AND d.flag_key = f.key WHERE 1 = 1"
        )
        params: list[Any] = []
        if document is not None:
            sql += " AND f.document = ?"
            params.append(document)
        if status is not None:
            sql += " AND f.status = ?"
            params.append(status.value)
        if run_id is not None:
            sql += " AND f.first_run = ?"
            params.append(run_id)
        sql += " ORDER BY f.document, f.id"
        return [_stored_flag(row) for row in self._query(sql, params)]

    def get_flag(self, flag_id: int) -> StoredFlag:
        rows = self._query(
            "SELECT f.*, d.status AS d_status, d.decided_by, d.note, d.decided_at FROM flags f "
            "LEFT JOIN flag_decisions d ON d.document = f.document AND d.flag_key = f.key WHERE f.id = ?",
            (flag_id,),
        )
        if not rows:
            raise StoreError(f"no flag {flag_id} in {self.db_path}")
        return _stored_flag(rows[0])

    def decide(
        self, flag_id: int, status: FlagStatus, by: str | None = None, note: str | None = None
    ) -> StoredFlag:
        """Record a decision on a flag; it applies to every later run raising the same flag."""
        flag = self.get_flag(flag_id)
        with self.transaction() as conn:
            conn.execute(
                'INSERT OR REPLACE INTO flag_decisions (document, flag_key, "values", status, decided_by, '
                "note, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    flag.document,
                    flag.key,
                    json.dumps(flag.values, ensure_ascii=False),
                    status.value,
                    by,
                    note,
                    utc_now(),
                ),
            )
            conn.execute(
                "UPDATE flags SET status = ? WHERE document = ? AND key = ?",
                (status.value, flag.document, flag.key),
            )
        return self.get_flag(flag_id)

    def count(self, table: str) -> int:
        """Row count of one of recon's tables (for reports and tests)."""
        if table not in {
            "documents",
            "runs",
            "results",
            "facts",
            "flags",
            "flag_decisions",
            "llm_cache",
            "chunk_failures",
            "corrections",
        }:
            raise StoreError(f"unknown table {table!r}")
        return int(self._query(f"SELECT COUNT(*) FROM {table}")[0][0])


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT on the store's connection, holding the store's thread lock."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> sqlite3.Connection:
        self._store._lock.acquire()
        try:
            self._store._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._store._lock.release()
            raise StoreError(f"cannot write to {self._store.db_path}: {exc}") from exc
        return self._store._conn

    def _rollback(self) -> None:
        """Roll back unless sqlite already did (SQLITE_FULL, IOERR end the transaction
        themselves, and a second ROLLBACK would hide the original error)."""
        if self._store._conn.in_transaction:
            self._store._conn.execute("ROLLBACK")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                try:
                    self._store._conn.execute("COMMIT")
                except sqlite3.Error as commit_exc:
                    self._rollback()
                    raise StoreError(f"cannot write to {self._store.db_path}: {commit_exc}") from commit_exc
            else:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"cannot write to {self._store.db_path}: {exc}") from exc
        finally:
            self._store._lock.release()


def _decision(conn: sqlite3.Connection, document: str, key: str) -> sqlite3.Row | None:
    """The decision on flag `key` of `document`. Decisions recorded when documents were known by
    their file name alone (before they were known by their path relative to the input folder)
    are adopted, copied under the document's path, the first time the document raises the flag."""
    query = "SELECT status FROM flag_decisions WHERE document = ? AND flag_key = ?"
    row: sqlite3.Row | None = conn.execute(query, (document, key)).fetchone()
    file_name = document.rsplit("/", 1)[-1]
    if row is not None or file_name == document:
        return row
    row = conn.execute(query, (file_name, key)).fetchone()
    if row is not None:
        conn.execute(
            'INSERT OR IGNORE INTO flag_decisions (document, flag_key, "values", status, decided_by, note, '
            'decided_at) SELECT ?, flag_key, "values", status, decided_by, note, decided_at '
            "FROM flag_decisions WHERE document = ? AND flag_key = ?",
            (document, file_name, key),
        )
    return row


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


def _replace_corrections(conn: sqlite3.Connection, run_id: int, result: DocumentResult) -> None:
    """The re-read corrections of this processing of the document replace the earlier ones."""
    conn.execute("DELETE FROM corrections WHERE path = ?", (result.path,))
    conn.executemany(
        "INSERT OR REPLACE INTO corrections (path, document, flag_key, run_id, chunk_id, subject, "
        "outcome, before, after, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                result.path,
                result.document,
                c.flag_key,
                run_id,
                c.chunk_id,
                c.subject,
                c.outcome,
                json.dumps(c.before, ensure_ascii=False),
                json.dumps(c.after, ensure_ascii=False),
                c.note,
            )
            for c in result.corrections
        ],
    )


def stored_corrections(conn: sqlite3.Connection, path: str, flag_key: str | None = None) -> list[Correction]:
    """The re-read corrections stored for the document at `path` (of one flag when `flag_key`)."""
    sql = "SELECT flag_key, chunk_id, subject, outcome, before, after, note FROM corrections WHERE path = ?"
    params: list[str] = [path]
    if flag_key is not None:
        sql += " AND flag_key = ?"
        params.append(flag_key)
    try:
        rows = conn.execute(sql + " ORDER BY rowid", params).fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the re-read corrections of {path}: {exc}") from exc
    return [
        Correction(
            flag_key=key,
            chunk_id=chunk_id,
            subject=subject,
            outcome=outcome,
            before=json.loads(before),
            after=json.loads(after),
            note=note,
        )
        for key, chunk_id, subject, outcome, before, after, note in rows
    ]


def _run_record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        started=row["started"],
        finished=row["finished"],
        backend=row["backend"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        status=RunStatus(row["status"]),
        pid=row["pid"],
        argv=json.loads(row["argv"]),
        counts=RunCounts.model_validate_json(row["counts"]),
    )


def _stored_flag(row: sqlite3.Row) -> StoredFlag:
    decision = None
    if row["d_status"] is not None:
        decision = FlagDecision(
            status=FlagStatus(row["d_status"]), by=row["decided_by"], note=row["note"], at=row["decided_at"]
        )
    return StoredFlag(
        id=row["id"],
        key=row["key"],
        rule=row["rule"],
        severity=row["severity"],
        status=FlagStatus(row["status"]),
        document=row["document"],
        path=row["path"],
        subject=row["subject"],
        message=row["message"],
        equation=row["equation"],
        values=json.loads(row["values"]),
        spans=json.loads(row["spans"]),
        first_run=row["first_run"],
        run_id=row["run_id"],
        created=row["created"],
        decision=decision,
    )


class RunLock:
    """One recon run per database: an exclusive `fcntl.flock` on `<db>.lock`.

    Non-blocking by default (raises StoreError naming the holder's pid and start
    time); `wait=True` blocks until the other run ends. The kernel drops the lock
    when the holding process exits, however it exits.
    """

    def __init__(self, db_path: Path, wait: bool = False) -> None:
        self.path = Path(f"{db_path}.lock")
        self.db_path = db_path
        self.wait = wait
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {self.path}: {exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = self.holder()
            handle.close()
            who = f"pid {holder.get('pid', '?')}"
            since = holder.get("since", "an unknown time")
            raise StoreError(
                f"another recon run ({who}) holds the lock on {self.db_path.name} since {since}; "
                "wait for it to finish or use --wait"
            ) from None
        except OSError as exc:
            handle.close()
            raise StoreError(f"cannot lock {self.path}: {exc}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "since": utc_now()}))
        handle.flush()
        self._handle = handle

    def holder(self) -> dict[str, Any]:
        """What the current holder wrote into the lock file (pid, since), or {}."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
