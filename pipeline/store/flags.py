"""The store's flags and reviewer decisions: the one flag reader, and the writes that keep decisions.

Flags are the current flags of each document, keyed by `(path, Flag.key)`;
decisions live in `flag_decisions` keyed by (document name, `Flag.key`), so a re-run
raising the same flag with the same numbers keeps its status. Every reader of flags
(`recon flags`, `show`, export, report, the review pages, tests) goes through
`FlagQueries.flags` / `get_flag`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ReconError
from pipeline.store.db import Database, utc_now
from schemas import DocumentResult, Flag, Severity, Span
from schemas.flags import Rule
from schemas.stored import FlagDecision, FlagStatus, StoredFlag


class FlagNotFoundError(ReconError):
    """No flag has this id (the CLI turns it into exit code 1 with the message)."""

    def __init__(self, flag_id: int) -> None:
        super().__init__(f"no flag with id {flag_id}; `recon flags` lists them")
        self.flag_id = flag_id


@dataclass(frozen=True)
class FlagFilter:
    """What `recon flags`/`recon export` select; every field None means "any"."""

    status: FlagStatus | None = None
    rule: Rule | None = None
    severity: Severity | None = None
    document: str | None = None
    run_id: int | None = None


@dataclass
class DocumentWrite:
    """What storing one document changed: flags raised, new flags by severity, facts."""

    flags: int = 0
    facts: int = 0
    new_by_severity: dict[Severity, int] = field(default_factory=dict)

    @property
    def new_flags(self) -> int:
        return sum(self.new_by_severity.values())


_FLAG_SELECT = (
    'SELECT f.id, f.key, f.rule, f.severity, f.status, f.document, f.path, f.subject, f.message, f.equation, '
    'f."values", f.spans, f.first_run, f.run_id, f.created, '
    "d.status, d.decided_by, d.note, d.decided_at FROM flags f "
    "LEFT JOIN flag_decisions d ON d.document = f.document AND d.flag_key = f.key"
)


def _stored_flag(row: Sequence[Any]) -> StoredFlag:
    (flag_id, key, rule, severity, status, document, path, subject, message, equation, values,
     spans, first_run, run_id, created, d_status, d_by, d_note, d_at) = tuple(row)
    decision = None
    if d_status is not None:
        decision = FlagDecision(status=FlagStatus(d_status), by=d_by, note=d_note, at=d_at)
    return StoredFlag(
        id=flag_id,
        key=key,
        rule=Rule(rule),
        severity=Severity(severity),
        status=FlagStatus(status),
        document=document,
        path=path,
        subject=subject,
        message=message,
        equation=equation,
        values=json.loads(values),
        spans=[Span.model_validate(s) for s in json.loads(spans)],
        first_run=first_run,
        run_id=run_id,
        created=created,
        decision=decision,
    )


class FlagQueries(Database):
    """Reads and writes of `flags` and `flag_decisions`."""

    def flags(
        self,
        flag_filter: FlagFilter | None = None,
        *,
        document: str | None = None,
        status: FlagStatus | None = None,
        run_id: int | None = None,
    ) -> list[StoredFlag]:
        """Flags matching `flag_filter` (or the keyword shorthands), newest first (creation time, then id).

        `run_id` selects the flags that run raised, new or again (`first_run` or
        `run_id`); `document` matches the document name exactly.
        """
        flag_filter = flag_filter or FlagFilter(status=status, document=document, run_id=run_id)
        where: list[str] = []
        params: list[Any] = []
        if flag_filter.status is not None:
            where.append("f.status = ?")
            params.append(flag_filter.status.value)
        if flag_filter.rule is not None:
            where.append("f.rule = ?")
            params.append(flag_filter.rule.value)
        if flag_filter.severity is not None:
            where.append("f.severity = ?")
            params.append(flag_filter.severity.value)
        if flag_filter.document is not None:
            where.append("f.document = ?")
            params.append(flag_filter.document)
        if flag_filter.run_id is not None:
            where.append("(f.run_id = ? OR f.first_run = ?)")
            params.extend([flag_filter.run_id, flag_filter.run_id])
        sql = _FLAG_SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY f.created DESC, f.id DESC"
        return [_stored_flag(row) for row in self._query(sql, params)]

    def get_flag(self, flag_id: int) -> StoredFlag:
        """The flag with this id; raises FlagNotFoundError."""
        rows = self._query(f"{_FLAG_SELECT} WHERE f.id = ?", (flag_id,))
        if not rows:
            raise FlagNotFoundError(flag_id)
        return _stored_flag(rows[0])

    def flag_detail(self, flag_id: int) -> Flag | None:
        """The full `Flag` the checker raised, as stored with the flag."""
        rows = self._query("SELECT flag FROM flags WHERE id = ?", (flag_id,))
        return Flag.model_validate_json(rows[0][0]) if rows else None

    def flag_details(self) -> dict[int, Flag]:
        """The full `Flag` of every stored flag, by id (for messages built from its fields)."""
        rows = self._query("SELECT id, flag FROM flags")
        return {int(row[0]): Flag.model_validate_json(row[1]) for row in rows}

    def flag_states(self) -> dict[tuple[str, str], tuple[int, str]]:
        """(flag id, status) of every current flag, by (path, flag key)."""
        rows = self._query("SELECT path, key, id, status FROM flags")
        return {(str(path), str(key)): (int(flag_id), str(status)) for path, key, flag_id, status in rows}

    def decisions(self) -> dict[tuple[str, str], FlagDecision]:
        """Every reviewer decision, by (document name, flag key)."""
        rows = self._query(
            "SELECT document, flag_key, status, decided_by, note, decided_at FROM flag_decisions"
        )
        return {
            (str(doc), str(key)): FlagDecision(status=FlagStatus(status), by=by, note=note, at=at)
            for doc, key, status, by, note, at in rows
        }

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

    @staticmethod
    def _replace_flags(
        conn: sqlite3.Connection,
        write: DocumentWrite,
        run_id: int,
        result: DocumentResult,
        flags: Sequence[Flag],
        now: str,
    ) -> None:
        """Inside `store_document`'s transaction: the document's flags become `flags`, decisions kept."""
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
