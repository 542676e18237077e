"""The store's documents, results and facts: what one document's processing left, written in one transaction.

Only each document's latest result is kept (and, while its latest one failed, its
last good one, whose flags and facts stay); facts are keyed by (path, seq), so one
document's rows are adjacent and a file's earlier contents leave nothing behind.
`documents.summary` holds the slim `DocumentSummary` of the last good processing:
a re-run skips an unchanged file by comparing hashes, never parsing a stored result.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.store.db import utc_now
from pipeline.store.flags import DocumentWrite, FlagQueries
from schemas import Correction, DocumentExtraction, DocumentResult, DocumentStatus, DocumentSummary
from schemas.stored import StoredDocument

_DOCUMENT_COLUMNS = "path, name, sha256, size, status, error, last_run, updated"


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


@dataclass(frozen=True)
class Unchanged:
    """What a run needs to skip a document: the content hash and summary of its last good processing."""

    sha256: str
    summary: DocumentSummary


#: Columns of `ResultQueries.fact_rows`, in order.
FACT_COLUMNS: tuple[str, ...] = (
    "document", "path", "kind", "subject", "key", "value", "unit", "text",
    "span_start", "span_end", "source", "run_id",
)


def extraction_facts(extraction: DocumentExtraction) -> list[FactRow]:
    """Every stated number of an extraction as `FactRow`s (projects, indicators, breakdowns, statements)."""
    rows: list[FactRow] = []
    for project in extraction.projects:
        for fact_key, numbers in project.facts.items():
            for number in numbers:
                rows.append(
                    FactRow(
                        "project", project.name, fact_key.value, str(number.value), number.unit,
                        number.text, number.span.start, number.span.end, project.source,
                    )
                )
    for indicator in extraction.indicators:
        measures = (("target", indicator.target), ("actual", indicator.actual), ("rate", indicator.rate))
        for key, measure in measures:
            if measure is not None:
                rows.append(
                    FactRow(
                        "indicator", indicator.name, key, str(measure.value), measure.unit,
                        measure.text, measure.span.start, measure.span.end, indicator.source,
                    )
                )
    for breakdown in extraction.breakdowns:
        items = [("total", breakdown.total)] + [(f"part:{item.label}", item) for item in breakdown.parts]
        for key, item in items:
            number = item.amount
            rows.append(
                FactRow(
                    "breakdown", breakdown.total.label, key, str(number.value), number.unit,
                    number.text, number.span.start, number.span.end, breakdown.source,
                )
            )
    for statement in extraction.statements:
        number = statement.amount
        rows.append(
            FactRow(
                "statement", statement.label, statement.scope or "", str(number.value), number.unit,
                number.text, number.span.start, number.span.end, None,
            )
        )
    return rows


def _unique_facts(rows: Iterable[FactRow]) -> list[FactRow]:
    """One row per (kind, subject, key, span), in text order: the same number read twice is one fact."""
    seen: set[tuple[str, str, str, int, int]] = set()
    unique: list[FactRow] = []
    for row in sorted(rows, key=lambda r: (r.span_start, r.span_end, r.kind, r.subject, r.key)):
        identity = (row.kind, row.subject, row.key, row.span_start, row.span_end)
        if identity not in seen:
            seen.add(identity)
            unique.append(row)
    return unique


class ResultQueries(FlagQueries):
    """`documents`, `results` and `facts`; `store_document` writes one document in one transaction."""

    # -- documents -------------------------------------------------------------------

    def get_document(self, path: Path | str) -> StoredDocument | None:
        rows = self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE path = ?", (str(path),))
        return StoredDocument(**dict(rows[0])) if rows else None

    def documents(self) -> list[StoredDocument]:
        rows = self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents ORDER BY name, path")
        return [StoredDocument(**dict(row)) for row in rows]

    def unchanged_candidates(self, backend: str) -> dict[str, Unchanged]:
        """Documents a run with `backend` may skip when their hash is unchanged, by path.

        Those whose last processing succeeded with `backend` and left no chunk for the
        model to retry. One query for the whole run; no stored result is parsed.
        """
        rows = self._query(
            "SELECT d.path, d.sha256, d.summary FROM documents d WHERE d.status = ? AND d.backend = ? "
            "AND d.sha256 IS NOT NULL AND d.summary IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM chunk_failures c WHERE c.document_sha = d.sha256)",
            (DocumentStatus.OK.value, backend),
        )
        return {
            str(path): Unchanged(str(sha), DocumentSummary.model_validate_json(summary))
            for path, sha, summary in rows
        }

    # -- results ---------------------------------------------------------------------

    def last_result(self, path: Path | str) -> DocumentResult | None:
        """The most recent successful `DocumentResult` stored for `path`."""
        rows = self._query(
            "SELECT result FROM results WHERE path = ? AND status = ? ORDER BY run_id DESC LIMIT 1",
            (str(path), DocumentStatus.OK.value),
        )
        return DocumentResult.model_validate_json(rows[0][0]) if rows else None

    def document_result(self, path: str, run_id: int | None = None) -> DocumentResult | None:
        """The stored result of `path` in `run_id`, else its latest stored result."""
        if run_id is not None:
            rows = self._query("SELECT result FROM results WHERE path = ? AND run_id = ?", (path, run_id))
            if rows:
                return DocumentResult.model_validate_json(rows[0][0])
        rows = self._query("SELECT result FROM results WHERE path = ? ORDER BY run_id DESC LIMIT 1", (path,))
        return DocumentResult.model_validate_json(rows[0][0]) if rows else None

    def result_keys_as_of(self, run_id: int) -> list[tuple[str, int]]:
        """(path, run id) of each document's result as of `run_id`, by document name.

        A document's result as of run N is the one run N stored, else (run N skipped
        it as unchanged) its latest good result before N. Only the latest results are
        kept, so for an old run a document processed again since is left out.
        """
        rows = self._query(
            "SELECT r.path, r.run_id FROM results r WHERE r.run_id = ("
            "  SELECT MAX(r2.run_id) FROM results r2 WHERE r2.path = r.path AND r2.run_id <= ? "
            "  AND (r2.run_id = ? OR r2.status = ?)) ORDER BY r.name, r.path",
            (run_id, run_id, DocumentStatus.OK.value),
        )
        return [(str(path), int(run)) for path, run in rows]

    def results_as_of(self, run_id: int) -> Iterator[DocumentResult]:
        """Each document's result as of `run_id` (see `result_keys_as_of`), parsed one at a time."""
        for path, run in self.result_keys_as_of(run_id):
            rows = self._query("SELECT result FROM results WHERE path = ? AND run_id = ?", (path, run))
            if rows:
                yield DocumentResult.model_validate_json(rows[0][0])

    def corrections(self, path: str, flag_key: str | None = None) -> list[Correction]:
        """The re-read corrections stored for the document at `path` (of one flag when `flag_key`)."""
        sql = (
            "SELECT flag_key, chunk_id, subject, outcome, before, after, note FROM corrections WHERE path = ?"
        )
        params: list[str] = [path]
        if flag_key is not None:
            sql += " AND flag_key = ?"
            params.append(flag_key)
        rows = self._query(sql + " ORDER BY rowid", params)
        return [
            Correction(
                flag_key=key, chunk_id=chunk_id, subject=subject, outcome=outcome,
                before=json.loads(before), after=json.loads(after), note=note,
            )
            for key, chunk_id, subject, outcome, before, after, note in rows
        ]

    # -- facts -----------------------------------------------------------------------

    def fact_rows(self, document: str | None = None, run_id: int | None = None) -> list[tuple[Any, ...]]:
        """Facts of the current documents (`FACT_COLUMNS`), optionally of one document name or
        extracted by one run, in document order then text order."""
        sql = (
            "SELECT d.name, d.path, f.kind, f.subject, f.key, f.value, f.unit, f.text, f.span_start, "
            "f.span_end, f.source, f.run_id FROM facts f JOIN documents d ON d.path = f.path"
        )
        where: list[str] = []
        params: list[Any] = []
        if document is not None:
            where.append("d.name = ?")
            params.append(document)
        if run_id is not None:
            where.append("f.run_id = ?")
            params.append(run_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY d.name, d.path, f.seq"
        return [tuple(row) for row in self._query(sql, params)]

    def facts_at(self, path: str, document_sha: str) -> list[tuple[str, str, str, int, int]]:
        """(subject, key, text, span_start, span_end) of the facts of `path` read from content
        `document_sha`, in span order."""
        rows = self._query(
            "SELECT subject, key, text, span_start, span_end FROM facts WHERE path = ? AND document_sha = ? "
            "ORDER BY seq",
            (path, document_sha),
        )
        return [(str(s), str(k), str(t), int(a), int(b)) for s, k, t, a, b in rows]

    # -- writing one document --------------------------------------------------------

    def store_document(
        self,
        run_id: int,
        result: DocumentResult,
        file_sha256: str | None,
        size: int | None,
        chunk_failures: Iterable[tuple[str, str]] = (),
    ) -> DocumentWrite:
        """Store one processed document in ONE transaction: row, result, facts, flags, chunk failures.

        A failed document updates its row and result only; facts, flags and the
        result of its last good content stay.
        """
        write = DocumentWrite()
        now = utc_now()
        ok = result.status is DocumentStatus.OK
        summary = DocumentSummary.of(result).model_dump_json() if ok else None
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO documents (path, name, sha256, size, status, error, last_run, updated, backend, "
                "summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
                "name = excluded.name, sha256 = excluded.sha256, size = excluded.size, "
                "status = excluded.status, error = excluded.error, last_run = excluded.last_run, "
                "updated = excluded.updated, backend = COALESCE(excluded.backend, documents.backend), "
                "summary = COALESCE(excluded.summary, documents.summary)",
                (
                    result.path,
                    result.document,
                    result.sha256 or file_sha256,  # the content actually processed
                    size,
                    result.status.value,
                    result.error,
                    run_id,
                    now,
                    result.backend if ok else None,
                    summary,
                ),
            )
            conn.execute(
                "INSERT OR REPLACE INTO results (run_id, path, name, sha256, status, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, result.path, result.document, result.sha256, result.status.value,
                 result.model_dump_json()),
            )
            self._prune_results(conn, result.path, run_id, ok)
            document_sha = result.sha256 or file_sha256
            if document_sha is not None:
                failures = list(chunk_failures)
                conn.execute("DELETE FROM chunk_failures WHERE document_sha = ?", (document_sha,))
                conn.executemany(
                    "INSERT OR REPLACE INTO chunk_failures (document_sha, chunk_id, reason, run_id) "
                    "VALUES (?, ?, ?, ?)",
                    [(document_sha, chunk_id, reason, run_id) for chunk_id, reason in failures],
                )
            if not ok:
                return write
            _replace_corrections(conn, run_id, result)
            if result.extraction is not None and document_sha is not None:
                write.facts = self._replace_facts(conn, result.path, document_sha, run_id, result.extraction)
            flags = result.check.flags if result.check is not None else []
            self._replace_flags(conn, write, run_id, result, flags, now)
        return write

    @staticmethod
    def _prune_results(conn: sqlite3.Connection, path: str, run_id: int, ok: bool) -> None:
        """Drop the older results of `path`; a failed one keeps the last good result beside it."""
        if ok:
            conn.execute("DELETE FROM results WHERE path = ? AND run_id != ?", (path, run_id))
            return
        conn.execute(
            "DELETE FROM results WHERE path = ? AND run_id != ? AND run_id IS NOT (SELECT MAX(run_id) "
            "FROM results WHERE path = ? AND status = ?)",
            (path, run_id, path, DocumentStatus.OK.value),
        )

    @staticmethod
    def _replace_facts(
        conn: sqlite3.Connection, path: str, document_sha: str, run_id: int, extraction: DocumentExtraction
    ) -> int:
        rows = _unique_facts(extraction_facts(extraction))
        conn.execute("DELETE FROM facts WHERE path = ?", (path,))
        conn.executemany(
            "INSERT INTO facts (path, seq, document_sha, run_id, kind, subject, key, value, unit, text, "
            "span_start, span_end, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (path, seq, document_sha, run_id, row.kind, row.subject, row.key, row.value, row.unit,
                 row.text, row.span_start, row.span_end, row.source)
                for seq, row in enumerate(rows)
            ],
        )
        return len(rows)


def _replace_corrections(conn: sqlite3.Connection, run_id: int, result: DocumentResult) -> None:
    """The re-read corrections of this processing of the document replace the earlier ones."""
    conn.execute("DELETE FROM corrections WHERE path = ?", (result.path,))
    conn.executemany(
        "INSERT OR REPLACE INTO corrections (path, document, flag_key, run_id, chunk_id, subject, "
        "outcome, before, after, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                result.path, result.document, c.flag_key, run_id, c.chunk_id, c.subject, c.outcome,
                json.dumps(c.before, ensure_ascii=False), json.dumps(c.after, ensure_ascii=False), c.note,
            )
            for c in result.corrections
        ],
    )
