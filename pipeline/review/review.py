"""The reviewer's side of the store: list and filter flags, show one in context, record decisions.

The read functions take the `Store` and call its queries (flags are read by
`Store.flags`/`Store.get_flag` only); the only write is a decision, through
`Store.decide`. Decisions are written to `flag_decisions`, keyed by (document name,
`Flag.key`), so a later run raising the same flag with the same numbers keeps the
decision; the key holds the numbers, so changed numbers give a new, open flag.

The source text is not kept in the store: `load_source` re-reads the file with
`pipeline.ingest.read` and checks its sha256 against the one recorded for the run, so a
passage is never shown from a file that changed since.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ReconError
from pipeline.i18n import Lang, text
from pipeline.ingest.read import ingest
from pipeline.review.flagtext import describe_subject
from pipeline.store import FlagFilter, FlagNotFoundError, Store
from schemas import Correction, Coverage, Flag, ModelNote, SkippedCheck, Span
from schemas.stored import FlagStatus, StoredFlag

#: Characters of context shown on each side of a number (never across a line break).
CONTEXT_CHARS = 60

__all__ = [
    "CONTEXT_CHARS",
    "FlagFilter",
    "FlagNotFoundError",
    "FlagView",
    "Passage",
    "SourceText",
    "StoredNumber",
    "flag_as_dict",
    "load_source",
    "passages",
    "record_decision",
    "relevant_skipped",
    "reviewer_name",
    "show_flag",
    "stored_numbers",
]


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
    """A document's original text as re-read now, or why it cannot be shown.

    `problem` is the English reason; `problem_in` gives it in the reader's language.
    """

    text: str | None
    problem: str | None = None
    #: the error that stopped the re-read (None when the file changed or was read)
    error: ReconError | None = None

    def problem_in(self, lang: Lang) -> str | None:
        """Why the text cannot be shown, in `lang` (None when it can)."""
        if self.problem is None:
            return None
        if self.problem == SOURCE_CHANGED:
            return text("source.changed", lang)
        reason = self.error.in_lang(lang) if self.error is not None else self.problem.split(": ", 1)[-1]
        return text("source.unreadable", lang, reason=reason)


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
        return SourceText(None, f"cannot re-read the source: {exc}", exc)
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
    #: the source as re-read (its text, or why it cannot be shown, in either language)
    source: SourceText | None = None

    def source_problem_in(self, lang: Lang) -> str | None:
        """Why the source passages cannot be shown, in `lang` (None when they can)."""
        if self.source is not None:
            return self.source.problem_in(lang)
        return SourceText(None, self.source_problem).problem_in(lang)


def show_flag(store: Store, flag_id: int, radius: int = CONTEXT_CHARS) -> FlagView:
    """The flag, the source passages around its numbers, and the document's skipped checks."""
    flag = store.get_flag(flag_id)
    detail = store.flag_detail(flag_id)
    result = store.document_result(flag.path, flag.run_id)
    skipped = list(result.check.skipped) if result is not None and result.check is not None else []
    sha = result.sha256 if result is not None else None
    source = load_source(flag.path, sha)
    found = passages(source.text, flag.spans, radius) if source.text is not None else []
    coverage = result.extraction.coverage if result is not None and result.extraction is not None else None
    stored = (
        stored_numbers(store, flag.path, sha, flag.spans) if source.text is None and sha is not None else []
    )
    subject = describe_subject(flag.subject, source.text, flag.spans)
    notes = result.extraction.notes if result is not None and result.extraction is not None else []
    return FlagView(
        flag, detail, found, source.problem, skipped, coverage, subject, stored,
        source.problem == SOURCE_CHANGED, store.corrections(flag.path, flag.key),
        relevant_notes(flag, notes), source,
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


def stored_numbers(store: Store, path: str, document_sha: str, spans: list[Span]) -> list[StoredNumber]:
    """The stored facts of the document at `spans`, in span order (one per span, when stored)."""
    wanted = {(s.start, s.end) for s in spans}
    found: dict[tuple[int, int], StoredNumber] = {}
    for subject, key, number_text, start, end in store.facts_at(path, document_sha):
        if (start, end) in wanted and (start, end) not in found:
            found[(start, end)] = StoredNumber(subject, key, number_text, Span(start=start, end=end))
    return list(found.values())


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
    store.get_flag(flag_id)  # FlagNotFoundError with a hint, before writing anything
    return store.decide(flag_id, status, by=reviewer_name(by), note=note)
