"""The reviewer's side of the store: list and filter flags, show one in context, record decisions.

The read functions take the store's SQLite connection (`Store.connection`) and
query the tables described in `pipeline.store.migrations`; the only write is a
decision, through `Store.decide`. Decisions are written to `flag_decisions`, keyed by (document name,
`Flag.key`), so a later run raising the same flag with the same numbers keeps the
decision; the key holds the numbers, so changed numbers give a new, open flag.

The source text is not kept in the store: `load_source` re-reads the file with
`pipeline.ingest.read` and checks its sha256 against the one recorded for the run, so a
passage is never shown from a file that changed since.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ReconError, StoreError
from pipeline.ingest.read import ingest
from pipeline.review.flagtext import describe_subject
from pipeline.store import Store, stored_corrections
from schemas import Correction, Coverage, DocumentResult, Flag, ModelNote, SkippedCheck, Span
from schemas.flags import Rule, Severity
from schemas.stored import FlagDecision, FlagStatus, StoredFlag

#: Characters of context shown on each side of a number (never across a line break).
CONTEXT_CHARS = 60


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


_FLAG_COLUMNS = (
    'f.id, f.key, f.rule, f.severity, f.status, f.document, f.path, f.subject, f.message, f.equation, '
    'f."values", f.spans, f.first_run, f.run_id, f.created, '
    "d.status, d.decided_by, d.note, d.decided_at"
)


def _flag_from_row(row: tuple[Any, ...]) -> StoredFlag:
    (flag_id, key, rule, severity, status, document, path, subject, message, equation, values,
     spans, first_run, run_id, created, d_status, d_by, d_note, d_at) = row
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


def list_flags(conn: sqlite3.Connection, flag_filter: FlagFilter | None = None) -> list[StoredFlag]:
    """Flags matching `flag_filter`, newest first (by creation time, then id).

    `run_id` selects the flags that run raised, new or again (`flags.first_run` or
    `flags.run_id`); `document` matches the file name exactly.
    """
    flag_filter = flag_filter or FlagFilter()
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
    sql = (
        f"SELECT {_FLAG_COLUMNS} FROM flags f "
        "LEFT JOIN flag_decisions d ON d.document = f.document AND d.flag_key = f.key"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY f.created DESC, f.id DESC"
    try:
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read flags: {exc}") from exc
    return [_flag_from_row(tuple(row)) for row in rows]


def get_flag(conn: sqlite3.Connection, flag_id: int) -> StoredFlag:
    """The flag with this id; raises FlagNotFoundError."""
    try:
        row = conn.execute(
            f"SELECT {_FLAG_COLUMNS} FROM flags f "
            "LEFT JOIN flag_decisions d ON d.document = f.document AND d.flag_key = f.key "
            "WHERE f.id = ?",
            (flag_id,),
        ).fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read flag {flag_id}: {exc}") from exc
    if row is None:
        raise FlagNotFoundError(flag_id)
    return _flag_from_row(tuple(row))


def flag_as_dict(flag: StoredFlag) -> dict[str, Any]:
    """The JSON shape of `recon flags --json` (other tools read it: keep these keys)."""
    return {
        "id": flag.id,
        "rule": flag.rule.value,
        "severity": flag.severity.value,
        "status": flag.status.value,
        "document": flag.document,
        "path": flag.path,
        "subject": flag.subject,
        "message": flag.message,
        "equation": flag.equation,
        "values": list(flag.values),
        "spans": [{"start": s.start, "end": s.end} for s in flag.spans],
        "key": flag.key,
        "first_run": flag.first_run,
        "run_id": flag.run_id,
        "created": flag.created,
        "decided_by": flag.decision.by if flag.decision else None,
        "decided_at": flag.decision.at if flag.decision else None,
        "note": flag.decision.note if flag.decision else None,
    }


# --- source text and passages -------------------------------------------------------------


@dataclass(frozen=True)
class SourceText:
    """A document's original text as re-read now, or why it cannot be shown."""

    text: str | None
    problem: str | None = None


#: `SourceText.problem` when the file's content changed since the run.
SOURCE_CHANGED = "source changed since the run"

#: Re-reading a file a run already accepted: only the file system limits its size.
_NO_LIMIT = 2**62


def load_source(path: str, expected_sha256: str | None) -> SourceText:
    """Re-read `path` with `pipeline.ingest.read` and return its original text.

    When the file's sha256 differs from `expected_sha256` (the one recorded for
    the run) the text is withheld with "source changed since the run": spans from
    the run would point at the wrong characters.
    """
    try:
        # no size limit: a run already accepted this file (perhaps under a raised RECON_MAX_FILE_BYTES)
        document = ingest(Path(path), max_bytes=_NO_LIMIT)
    except ReconError as exc:
        return SourceText(None, f"cannot re-read the source: {exc}")
    except Exception as exc:  # a reader library's own error must not stop `show` or `report`
        return SourceText(None, f"cannot re-read the source: {type(exc).__name__}: {exc}")
    if expected_sha256 is not None and document.sha256 != expected_sha256:
        return SourceText(None, SOURCE_CHANGED)
    return SourceText(document.original_text)


@dataclass(frozen=True)
class Passage:
    """A stretch of the original text around some numbers.

    `start`/`end` are offsets in the original text; `highlights` are the
    numbers' spans relative to `start`.
    """

    start: int
    end: int
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)


def passages(text: str, spans: list[Span], radius: int = CONTEXT_CHARS) -> list[Passage]:
    """Passages of `text` around each span, merged where they overlap, in text order.

    Each passage reaches `radius` characters to each side of its numbers and
    stops at line breaks, so a passage is the sentence the numbers stand in; when
    it reaches back to the start of a line, the line before is included too (up
    to `radius` characters of it), since that is where a table row's or a
    wrapped sentence's label stands. Spans beyond the end of the text are ignored.
    """
    valid = sorted(
        {(s.start, s.end) for s in spans if s.end <= len(text) and s.start <= s.end},
    )
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    for start, end in valid:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        if line_end < 0:
            line_end = len(text)
        lo = max(line_start, start - radius)
        if lo == line_start and line_start > 0:  # the label may be on the line before
            previous_start = text.rfind("\n", 0, line_start - 1) + 1
            if text[previous_start : line_start - 1].strip():
                lo = max(previous_start, line_start - 1 - radius)
        hi = min(line_end, end + radius)
        if windows and lo <= windows[-1][1]:
            prev_lo, prev_hi, prev_spans = windows[-1]
            windows[-1] = (prev_lo, max(prev_hi, hi), [*prev_spans, (start, end)])
        else:
            windows.append((lo, hi, [(start, end)]))
    return [
        Passage(lo, hi, text[lo:hi], [(s - lo, e - lo) for s, e in group]) for lo, hi, group in windows
    ]


# --- one flag with its context --------------------------------------------------------------


@dataclass(frozen=True)
class StoredNumber:
    """A number of the flag as the store kept it (`facts`), shown when the source is unavailable."""

    subject: str
    key: str
    text: str
    span: Span


@dataclass(frozen=True)
class FlagView:
    """Everything `recon show` and the flag page show about one flag.

    `subject` is the flag's subject, made specific from the text when it is vague;
    `stored` holds the numbers as stored when the source cannot be shown.
    """

    flag: StoredFlag
    detail: Flag | None
    passages: list[Passage]
    source_problem: str | None
    skipped: list[SkippedCheck]
    coverage: Coverage | None = None
    subject: str = ""
    stored: list[StoredNumber] = field(default_factory=list)
    source_changed: bool = False
    #: what the model's re-read of this flag did (model backends; empty otherwise)
    corrections: list[Correction] = field(default_factory=list)
    #: the model's disagreements and proposals about this flag (`--llm-policy uncovered`)
    notes: list[ModelNote] = field(default_factory=list)


def document_result(conn: sqlite3.Connection, path: str, run_id: int | None) -> DocumentResult | None:
    """The stored DocumentResult of `path` in `run_id` (or its latest processed result)."""
    try:
        if run_id is not None:
            row = conn.execute(
                "SELECT result FROM results WHERE path = ? AND run_id = ? AND status != 'skipped'",
                (path, run_id),
            ).fetchone()
            if row is not None:
                return DocumentResult.model_validate_json(row[0])
        row = conn.execute(
            "SELECT result FROM results WHERE path = ? AND status != 'skipped' "
            "ORDER BY run_id DESC LIMIT 1",
            (path,),
        ).fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the result of {path}: {exc}") from exc
    return DocumentResult.model_validate_json(row[0]) if row is not None else None


def show_flag(conn: sqlite3.Connection, flag_id: int, radius: int = CONTEXT_CHARS) -> FlagView:
    """The flag, the source passages around its numbers, and the document's skipped checks."""
    flag = get_flag(conn, flag_id)
    try:
        row = conn.execute("SELECT flag FROM flags WHERE id = ?", (flag_id,)).fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read flag {flag_id}: {exc}") from exc
    detail = Flag.model_validate_json(row[0]) if row is not None else None
    result = document_result(conn, flag.path, flag.run_id)
    skipped = list(result.check.skipped) if result is not None and result.check is not None else []
    sha = result.sha256 if result is not None else None
    source = load_source(flag.path, sha)
    found = passages(source.text, flag.spans, radius) if source.text is not None else []
    coverage = result.extraction.coverage if result is not None and result.extraction is not None else None
    stored = stored_numbers(conn, sha, flag.spans) if source.text is None and sha is not None else []
    subject = describe_subject(flag.subject, source.text, flag.spans)
    notes = result.extraction.notes if result is not None and result.extraction is not None else []
    return FlagView(
        flag, detail, found, source.problem, skipped, coverage, subject, stored,
        source.problem == SOURCE_CHANGED, stored_corrections(conn, flag.path, flag.key),
        relevant_notes(flag, notes),
    )


def relevant_notes(flag: StoredFlag, notes: list[ModelNote]) -> list[ModelNote]:
    """A model's disagreements and proposals about the flag's numbers or its subject."""
    spans = {(s.start, s.end) for s in flag.spans}
    return [
        n
        for n in notes
        if (n.span.start, n.span.end) in spans
        or (flag.subject and (flag.subject in n.model_role or flag.subject in (n.rules_role or "")))
    ]


def stored_numbers(conn: sqlite3.Connection, document_sha: str, spans: list[Span]) -> list[StoredNumber]:
    """The stored facts of the document at `spans`, in span order (one per span, when stored)."""
    wanted = {(s.start, s.end) for s in spans}
    try:
        rows = conn.execute(
            "SELECT subject, key, text, span_start, span_end FROM facts WHERE document_sha = ? "
            "ORDER BY span_start, span_end",
            (document_sha,),
        ).fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the stored facts: {exc}") from exc
    found: dict[tuple[int, int], StoredNumber] = {}
    for subject, key, number_text, start, end in rows:
        if (start, end) in wanted and (start, end) not in found:
            found[(start, end)] = StoredNumber(subject, key, number_text, Span(start=start, end=end))
    return list(found.values())


def flag_details(conn: sqlite3.Connection) -> dict[int, Flag]:
    """The full `Flag` of every stored flag, by id (for messages built from its fields)."""
    try:
        rows = conn.execute("SELECT id, flag FROM flags").fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read flags: {exc}") from exc
    return {row[0]: Flag.model_validate_json(row[1]) for row in rows}


def relevant_skipped(view: FlagView) -> list[SkippedCheck]:
    """Skipped checks of the flag's document about the same subject or the same rule."""
    return [s for s in view.skipped if s.subject == view.flag.subject or s.rule == view.flag.rule]


# --- decisions --------------------------------------------------------------------------------


def reviewer_name(by: str | None = None) -> str:
    """Who decides: `--by`, else $RECON_REVIEWER, else the login user name."""
    if by:
        return by
    env = os.environ.get("RECON_REVIEWER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def record_decision(
    store: Store,
    flag_id: int,
    status: FlagStatus,
    *,
    by: str | None = None,
    note: str | None = None,
) -> StoredFlag:
    """Record a reviewer's decision on a flag (who: `reviewer_name(by)`, when: now, UTC).

    `Store.decide` writes it to `flag_decisions` keyed by (document, flag key), so
    it survives re-runs, and gives the current `flags` row the new status.
    Deciding `open` reopens a flag.
    """
    get_flag(store.connection, flag_id)  # FlagNotFoundError with a hint, before writing anything
    store.decide(flag_id, status, by=reviewer_name(by), note=note)
    return get_flag(store.connection, flag_id)
