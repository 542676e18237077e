"""Numbered SQLite migrations, recorded in `_migrations` (the simonw/llm pattern).

Each migration is a function registered with `@migration`; `migrate(conn)` runs
the ones not yet recorded, each in its own transaction together with its record,
so running it twice is a no-op. Never edit a released migration: add a new one.

Tables (the store's query modules `runs`, `results`, `flags` and `cache` are the only
code that holds SQL for them):

documents: one row per source file path.
    path TEXT PRIMARY KEY      absolute path of the file
    name TEXT                  file name (the document's key in results, gold, decisions)
    sha256 TEXT                sha256 of the file bytes when last processed (NULL if unreadable)
    size INTEGER               bytes
    status TEXT                'ok' | 'failed'
    error TEXT                 one-line error "<file>: <reason>" when failed
    last_run INTEGER           runs.id of the run that last processed it
    updated TEXT               ISO-8601 UTC
    backend TEXT               (m003) backend of its last good processing
    summary TEXT               (m003) `DocumentSummary` JSON of its last good processing

runs: one row per `recon run`.
    id INTEGER PRIMARY KEY AUTOINCREMENT
    started TEXT, finished TEXT   ISO-8601 UTC (finished NULL while running / when aborted)
    backend TEXT                  resolved backend: rules | llm | local
    model TEXT, prompt_version TEXT
    counts TEXT                   JSON: documents, ok, failed, skipped, flags, new_flags,
                                  new_error, new_warning, new_info, facts
    accounting TEXT               JSON of `schemas.Accounting` for the run
    status TEXT                   'running' | 'finished' | 'aborted' (killed; marked by the next run)
    pid INTEGER
    argv TEXT                     JSON list, secrets (--api-key values) replaced by '***'

results: the `DocumentResult` JSON of each document's latest processing (m003: older
    ones are deleted; while the latest failed, the last good one is kept beside it).
    run_id INTEGER REFERENCES runs(id), path TEXT, name TEXT, sha256 TEXT, status TEXT,
    result TEXT (DocumentResult JSON), PRIMARY KEY (run_id, path)

facts: one row per stated number of each document's latest good content (m003: keyed by
    path first, WITHOUT ROWID, so one document's rows are adjacent; replaced whole when
    the document is re-extracted).
    path TEXT, seq INTEGER        documents.path; the fact's place in text order; PRIMARY KEY
    document_sha TEXT             sha256 of the content the facts were read from
    run_id INTEGER                run that last extracted it
    kind TEXT                     'project' | 'indicator' | 'breakdown' | 'statement'
    subject TEXT                  project / indicator name, breakdown total label, statement label
    key TEXT                      project: FactKey value (budget_total, spent, …);
                                  indicator: target | actual | rate;
                                  breakdown: 'total' or 'part:<label>';
                                  statement: scope or ''
    value TEXT                    exact Decimal as text (never REAL)
    unit TEXT                     unit as written (万元, %, …) or NULL
    text TEXT                     the number as written in the original text
    span_start INTEGER, span_end INTEGER   offsets in the original text
    source TEXT                   extractor that produced it (rules, llm, …)

flags: the current flags of each document (rows for flags no longer raised are deleted
    when the document is re-processed; decisions live in flag_decisions and survive).
    id INTEGER PRIMARY KEY AUTOINCREMENT   stable while the same flag keeps being raised
    document TEXT                 document name
    path TEXT                     document path
    key TEXT                      `Flag.key` (rule|subject|values…)
    rule TEXT, severity TEXT, subject TEXT, message TEXT, equation TEXT
    "values" TEXT                 JSON list of the numbers as written
    spans TEXT                    JSON list of {"start", "end"}
    flag TEXT                     full `Flag` JSON
    status TEXT                   'open' | 'confirmed' | 'dismissed'
    first_run INTEGER             run that first raised it (new flags: first_run = that run)
    run_id INTEGER                run that last raised it
    created TEXT                  ISO-8601 UTC of first_run
    UNIQUE (path, key)

flag_decisions: a reviewer's decision on a flag, keyed by what the flag is (document
    name + Flag.key, which contains the numbers), so it survives re-runs; when the numbers
    change the key changes and the new flag is open.
    document TEXT, flag_key TEXT, "values" TEXT (JSON), status TEXT ('confirmed'|'dismissed'|'open'),
    decided_by TEXT, note TEXT, decided_at TEXT, PRIMARY KEY (document, flag_key)

llm_cache: responses of the model, the `ResponseCache` of `pipeline.extract.model.backend`.
    key TEXT PRIMARY KEY, value TEXT, created TEXT

chunk_failures: chunks the model could not extract, for retry.
    document_sha TEXT, chunk_id TEXT, reason TEXT, run_id INTEGER,
    PRIMARY KEY (document_sha, chunk_id)

corrections (m002): what the re-read of a flag did, the latest per document and flag
    (replaced when the document is re-processed, like flags).
    path TEXT, document TEXT, flag_key TEXT (`Flag.key`), run_id INTEGER,
    chunk_id TEXT, subject TEXT, outcome TEXT ('corrected' | 'confirmed' | 'unresolved'),
    before TEXT, after TEXT (JSON lists of the numbers as written), note TEXT,
    PRIMARY KEY (path, flag_key)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone

from pipeline.errors import StoreError

Migration = Callable[[sqlite3.Connection], None]

#: Registered migrations, in order. Names are recorded in `_migrations`.
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register `fn` as the next migration."""
    MIGRATIONS.append(fn)
    return fn


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names recorded in `_migrations`, oldest first."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied now (empty when up to date).

    `conn` must be in autocommit mode (`isolation_level=None`); each migration runs
    in its own `BEGIN IMMEDIATE` transaction so two processes never apply one twice.
    Raises StoreError when the database was written by a newer recon.
    """
    known = {fn.__name__ for fn in MIGRATIONS}
    applied_now: list[str] = []
    existing = applied_migrations(conn)
    unknown = [name for name in existing if name not in known]
    if unknown:
        raise StoreError(
            f"the database has migrations this recon does not know ({', '.join(unknown)}): "
            "it was written by a newer recon; upgrade recon or use another --db"
        )
    for fn in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (fn.__name__,)).fetchone()
            if done is None:
                fn(conn)
                conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, datetime.now(timezone.utc).isoformat(timespec="seconds")),
                )
                applied_now.append(fn.__name__)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return applied_now


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started TEXT NOT NULL,
            finished TEXT,
            backend TEXT NOT NULL,
            model TEXT,
            prompt_version TEXT,
            counts TEXT NOT NULL DEFAULT '{}',
            accounting TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'running',
            pid INTEGER,
            argv TEXT NOT NULL DEFAULT '[]'
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE documents (
            path TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            sha256 TEXT,
            size INTEGER,
            status TEXT NOT NULL,
            error TEXT,
            last_run INTEGER REFERENCES runs(id),
            updated TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX documents_name ON documents (name)")
    conn.execute("CREATE INDEX documents_sha256 ON documents (sha256)")
    conn.execute(
        """
        CREATE TABLE results (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            path TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT,
            status TEXT NOT NULL,
            result TEXT NOT NULL,
            PRIMARY KEY (run_id, path)
        )
        """
    )
    conn.execute("CREATE INDEX results_path ON results (path)")
    conn.execute(
        """
        CREATE TABLE facts (
            id TEXT PRIMARY KEY,
            document_sha TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            unit TEXT,
            text TEXT NOT NULL,
            span_start INTEGER NOT NULL,
            span_end INTEGER NOT NULL,
            source TEXT
        )
        """
    )
    conn.execute("CREATE INDEX facts_document_sha ON facts (document_sha)")
    conn.execute(
        """
        CREATE TABLE flags (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document TEXT NOT NULL,
            path TEXT NOT NULL,
            key TEXT NOT NULL,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            subject TEXT NOT NULL,
            message TEXT NOT NULL,
            equation TEXT NOT NULL,
            "values" TEXT NOT NULL,
            spans TEXT NOT NULL,
            flag TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            first_run INTEGER REFERENCES runs(id),
            run_id INTEGER REFERENCES runs(id),
            created TEXT NOT NULL,
            UNIQUE (path, key)
        )
        """
    )
    conn.execute("CREATE INDEX flags_document ON flags (document)")
    conn.execute("CREATE INDEX flags_status ON flags (status, severity)")
    conn.execute(
        """
        CREATE TABLE flag_decisions (
            document TEXT NOT NULL,
            flag_key TEXT NOT NULL,
            "values" TEXT NOT NULL,
            status TEXT NOT NULL,
            decided_by TEXT,
            note TEXT,
            decided_at TEXT NOT NULL,
            PRIMARY KEY (document, flag_key)
        )
        """
    )
    conn.execute("CREATE TABLE llm_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, created TEXT NOT NULL)")
    conn.execute(
        """
        CREATE TABLE chunk_failures (
            document_sha TEXT NOT NULL,
            chunk_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            PRIMARY KEY (document_sha, chunk_id)
        )
        """
    )


@migration
def m002_corrections(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE corrections (
            path TEXT NOT NULL,
            document TEXT NOT NULL,
            flag_key TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            chunk_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            outcome TEXT NOT NULL,
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            note TEXT NOT NULL,
            PRIMARY KEY (path, flag_key)
        )
        """
    )


@migration
def m003_latest_only(conn: sqlite3.Connection) -> None:
    """Keep each document's latest result and facts only, with its facts adjacent in the index.

    - `documents` gains `backend` (the backend of its last good processing) and
      `summary` (its slim `DocumentSummary` JSON), so a re-run decides to skip and
      reports a skipped document without parsing its stored result.
    - `results` keeps, per path, the latest result and, when that one failed, the
      latest good one (what `recon show` and the report read for the flags that stay).
    - `facts` is keyed by (path, seq) WITHOUT ROWID: one document's rows are
      adjacent, and the facts of a file's earlier contents are dropped.
    """
    conn.execute("ALTER TABLE documents ADD COLUMN backend TEXT")
    conn.execute("ALTER TABLE documents ADD COLUMN summary TEXT")
    conn.execute(
        "DELETE FROM results "
        "WHERE run_id != (SELECT MAX(r.run_id) FROM results r WHERE r.path = results.path) "
        "AND run_id IS NOT (SELECT MAX(r.run_id) FROM results r WHERE r.path = results.path "
        "AND r.status = 'ok')"
    )
    for path, result in conn.execute(
        "SELECT r.path, r.result FROM results r WHERE r.status = 'ok' AND r.run_id = "
        "(SELECT MAX(r2.run_id) FROM results r2 WHERE r2.path = r.path AND r2.status = 'ok')"
    ).fetchall():
        conn.execute(
            "UPDATE documents SET backend = ?, summary = ? WHERE path = ?",
            (*_summary_of(result), path),
        )
    conn.execute(
        """
        CREATE TABLE facts_by_path (
            path TEXT NOT NULL,
            seq INTEGER NOT NULL,
            document_sha TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            unit TEXT,
            text TEXT NOT NULL,
            span_start INTEGER NOT NULL,
            span_end INTEGER NOT NULL,
            source TEXT,
            PRIMARY KEY (path, seq)
        ) WITHOUT ROWID
        """
    )
    conn.execute(
        "INSERT INTO facts_by_path (path, seq, document_sha, run_id, kind, subject, key, value, unit, text, "
        "span_start, span_end, source) "
        "SELECT d.path, ROW_NUMBER() OVER (PARTITION BY d.path ORDER BY f.span_start, f.span_end, f.kind, "
        "f.subject, f.key) - 1, f.document_sha, f.run_id, f.kind, f.subject, f.key, f.value, f.unit, f.text, "
        "f.span_start, f.span_end, f.source FROM facts f JOIN documents d ON d.sha256 = f.document_sha"
    )
    conn.execute("DROP TABLE facts")
    conn.execute("ALTER TABLE facts_by_path RENAME TO facts")


def _summary_of(result_json: str) -> tuple[str | None, str]:
    """(backend, slim summary JSON) of a stored `DocumentResult` JSON, for `m003_latest_only`."""
    from schemas import DocumentResult, DocumentSummary

    result = DocumentResult.model_validate_json(result_json)
    return result.backend, DocumentSummary.of(result).model_dump_json()
