"""Run orchestration: discover files, process each (ingest → chunk → extract → check), store.

`process_path` handles one file and never raises for a bad file: it returns a
`DocumentResult` with status `failed` and the one-line error `"<file>: <reason>"`.
Only configuration problems (`ConfigError`) and store problems (`StoreError`)
stop a run.

`run` is what `recon run` and the nightly job call. It takes the run lock
(`pipeline.store.RunLock`: a second run on the same database stops with a
message naming the holder), records the run, skips files whose sha256 is
unchanged since their last successful processing with the same backend,
retries files that failed (or had chunks the model failed on), stores each
document in one transaction and then writes `<out>/<file name>.json`. A run
killed at any point leaves each document fully stored or not at all; the next
run marks the killed run `aborted` and processes what was left.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipeline.check.run import check
from pipeline.errors import ConfigError, ExtractionError, IngestError, ReconError, StoreError
from pipeline.extract.rules.extract import extract
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.read import discover, ingest
from pipeline.review.messages import text
from pipeline.settings import Lang, Settings, public_url
from pipeline.store import RunLock, Store, utc_now
from prompts import extract_prompt
from schemas import (
    Accounting,
    CheckReport,
    Chunk,
    Document,
    DocumentExtraction,
    DocumentResult,
    DocumentStatus,
    RunSummary,
    Severity,
)
from schemas.llm import ChunkFailure
from schemas.stored import RunCounts

if TYPE_CHECKING:  # the LLM path (openai, instructor: ~2 s to import) loads only when a run uses it
    from pipeline.extract.model.backend import ResponseCache

logger = logging.getLogger(__name__)

#: Called after discovery with (0, total, None) and after each document with (done, total, result).
Progress = Callable[[int, int, DocumentResult | None], None]

FailOn = Literal["error", "warning", "never"]

#: Exit codes of `recon run` (for cron and systemd).
EXIT_OK = 0
EXIT_FAILED_FILES = 1
EXIT_USAGE = 2
EXIT_NEW_FLAGS = 3

_SECRET_OPTIONS = ("--api-key",)


def file_sha256(path: Path) -> str:
    """sha256 of the file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def redact_argv(argv: Sequence[str]) -> list[str]:
    """argv with the values of secret options (`--api-key X`, `--api-key=X`) replaced by `***`."""
    redacted: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            redacted.append("***")
            hide_next = False
            continue
        name, sep, _ = arg.partition("=")
        if name in _SECRET_OPTIONS:
            if sep:
                redacted.append(f"{name}=***")
            else:
                redacted.append(arg)
                hide_next = True
            continue
        redacted.append(arg)
    return redacted


def _failed(path: Path, reason: str, sha256: str | None = None, backend: str | None = None) -> DocumentResult:
    return DocumentResult(
        document=path.name,
        path=str(path),
        sha256=sha256,
        status=DocumentStatus.FAILED,
        error=f"{path.name}: {reason}",
        backend=backend,
    )


def process_path(path: Path, settings: Settings, cache: ResponseCache | None = None) -> DocumentResult:
    """Ingest, chunk, extract and check one file; a bad file gives status `failed`, never an exception.

    The backend is `settings.resolved_backend()`: `rules`, or the LLM path
    (`extract_document`) for `llm` and `local` (for `local`, `settings` must
    already point at the running server, as `run` arranges). Raises ConfigError
    when the LLM backend is chosen but not configured.
    """
    result, _ = process_path_detailed(path, settings, cache)
    return result


def process_path_detailed(
    path: Path, settings: Settings, cache: ResponseCache | None = None
) -> tuple[DocumentResult, list[ChunkFailure]]:
    """`process_path` plus the chunks the model failed on (stored, and retried by the next run)."""
    path = path.resolve()
    backend = settings.resolved_backend()
    if backend != "rules":
        settings.require_llm()
    try:
        document = ingest(path, settings.max_file_bytes)
    except IngestError as exc:
        return _failed(path, exc.reason, backend=backend), []
    except Exception as exc:  # a reader library's own error (zip method, zip bomb …) names this file only
        logger.exception("cannot read %s", path)
        return _failed(path, f"cannot read: {type(exc).__name__}: {exc}", backend=backend), []
    accounting = Accounting()
    failures: list[ChunkFailure] = []
    try:
        chunks = chunk_document(document, settings.chunk_chars)
        if backend == "rules":
            extraction = extract(document, chunks)
            report = check(extraction)
        else:
            extraction, report, accounting, failures = _extract_with_model(document, chunks, settings, cache)
            if chunks and len(failures) == len(chunks):
                reason = f"the model failed on every chunk ({failures[0].reason})"
                return _failed(path, reason, document.sha256, backend), failures
    except ConfigError:
        raise
    except ExtractionError as exc:
        return _failed(path, exc.reason, document.sha256, backend), failures
    except ReconError as exc:
        return _failed(path, str(exc), document.sha256, backend), failures
    except Exception as exc:  # a bug on one odd file must not stop the nightly run over the others
        logger.exception("internal error on %s", path)
        reason = f"internal error ({type(exc).__name__}: {exc})"
        return _failed(path, reason, document.sha256, backend), failures
    result = DocumentResult(
        document=document.name,
        path=str(path),
        sha256=document.sha256,
        status=DocumentStatus.OK,
        backend=backend,
        extraction=extraction,
        check=report,
        accounting=accounting,
    )
    return result, failures


def _extract_with_model(
    document: Document, chunks: list[Chunk], settings: Settings, cache: ResponseCache | None
) -> tuple[DocumentExtraction, CheckReport, Accounting, list[ChunkFailure]]:
    """Model extraction, check, then one arithmetic-guided re-read of what the model read wrong."""
    from pipeline.extract.merge import merge_extractions
    from pipeline.extract.model.backend import extract_document_detailed, reread_flagged

    by_rules = extract(document, chunks)
    only_chunks = uncovered_chunks(chunks, by_rules) if settings.llm_policy == "uncovered" else None
    detailed = extract_document_detailed(document, chunks, settings, cache, only_chunks)
    accounting = detailed.accounting
    if only_chunks is None:
        # the model reads everything; the report's year and organisation come from the rules reader
        extraction = detailed.extraction.model_copy(
            update={
                "organization": detailed.extraction.organization or by_rules.organization,
                "fiscal_year": detailed.extraction.fiscal_year or by_rules.fiscal_year,
            }
        )
    else:
        extraction = merge_extractions(document.name, [by_rules, detailed.extraction])
    report = check(extraction)
    if any(flag.severity is not Severity.INFO for flag in report.flags):
        extraction, _, reread_usage = reread_flagged(document, chunks, extraction, report, settings, cache)
        reread_usage.failed_chunks = 0  # a failed re-read leaves the first answer: not a chunk failure
        accounting.add(reread_usage)
        report = check(extraction)
    return extraction, report, accounting, list(detailed.failures)


_AMOUNT_IN_TEXT = re.compile(r"\d(?:\.\d+)?\s*(?:万元|亿元|元|%)")


def uncovered_chunks(chunks: Sequence[Chunk], by_rules: DocumentExtraction) -> set[str]:
    """Chunks that state amounts but in which the rules backend found nothing: the ones
    worth a model call under `--llm-policy uncovered`."""
    covered = {p.chunk_id for p in by_rules.projects}
    covered |= {i.chunk_id for i in by_rules.indicators}
    covered |= {b.chunk_id for b in by_rules.breakdowns}
    return {c.id for c in chunks if c.id not in covered and _AMOUNT_IN_TEXT.search(c.text)}


def exit_code(counts: RunCounts, fail_on: FailOn = "error") -> int:
    """0 all good, 1 some files failed, 3 new flags at or above `fail_on` (files failing win)."""
    if counts.failed:
        return EXIT_FAILED_FILES
    if fail_on != "never" and counts.new_at_or_above(Severity(fail_on)):
        return EXIT_NEW_FLAGS
    return EXIT_OK


def write_result_json(result: DocumentResult, out_dir: Path) -> Path:
    """Write `<out_dir>/<file name>.json` atomically (a reader never sees half a file)."""
    target = out_dir / f"{result.document}.json"
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        temporary.write_text(result.model_dump_json(indent=2), encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        raise StoreError(f"cannot write the result JSON to {out_dir}: {exc}") from exc
    return target


@dataclass(frozen=True)
class _Engine:
    """The settings documents are processed with, and what the run records about them."""

    settings: Settings
    backend: str
    model: str | None
    prompt_version: str | None


@contextlib.contextmanager
def _engine(settings: Settings) -> Iterator[_Engine]:
    """Resolve the backend once; for `local`, start the llama.cpp server for the run's duration."""
    backend = settings.resolved_backend()
    if backend == "rules":
        yield _Engine(settings, backend, None, None)
        return
    prompt_version = extract_prompt().cache_identity
    if backend == "llm":
        settings.require_llm()
        yield _Engine(settings, backend, settings.model, prompt_version)
        return
    from pipeline.extract.model.local_server import local_server, resolve_model_path

    model_name = resolve_model_path(settings).name
    with local_server(settings) as served:
        served = served.model_copy(update={"backend": "local"})
        yield _Engine(served, backend, model_name, prompt_version)


def backend_reason(settings: Settings, lang: Lang = "en") -> str:
    """Why the run uses the backend it uses, for the summary line (`auto` must say what it picked)."""
    backend = settings.resolved_backend()
    if settings.backend != "auto":
        return text("backend.fixed", lang, backend=backend)
    if backend == "llm":
        return text("backend.auto_llm", lang, model=settings.model, url=public_url(settings.base_url))
    if backend == "local":
        return text("backend.auto_local", lang, path=settings.model_path)
    return text("backend.auto_rules", lang)


def _skip_reason(store: Store, path: Path, sha256: str, backend: str) -> DocumentResult | None:
    """The last good result when `path` is unchanged since it was processed with `backend`, else None."""
    stored = store.get_document(path)
    if stored is None or stored.status != DocumentStatus.OK.value or stored.sha256 != sha256:
        return None
    if store.failed_chunks(sha256):
        return None
    last = store.last_result(path)
    if last is None or last.backend != backend:
        return None
    return last


def run(
    paths: Sequence[Path],
    settings: Settings,
    store: Store,
    progress: Progress | None = None,
    force: bool = False,
    *,
    wait: bool = False,
    argv: Sequence[str] | None = None,
) -> RunSummary:
    """Process every file under `paths` into `store` and `settings.out_dir`; see the module docstring.

    Raises StoreError when another run holds the lock (unless `wait`), ConfigError
    for a backend that is not configured. Per-file problems never raise: they are
    failed documents in the summary.
    """
    with RunLock(store.db_path, wait=wait), _engine(settings) as engine:
        return _run_locked(paths, engine, store, progress, force, argv)


def _run_locked(
    paths: Sequence[Path],
    engine: _Engine,
    store: Store,
    progress: Progress | None,
    force: bool,
    argv: Sequence[str] | None,
) -> RunSummary:
    files, errors = discover(list(paths))
    started = utc_now()
    run_id = store.begin_run(
        engine.backend, engine.model, engine.prompt_version, redact_argv(sys.argv if argv is None else argv)
    )
    summary = RunSummary(
        run_id=run_id,
        backend=engine.backend,
        model=engine.model,
        prompt_version=engine.prompt_version,
        started=started,
    )
    counts = RunCounts(documents=len(files) + len(errors))
    if progress is not None:
        progress(0, counts.documents, None)
    try:
        _process_all(files, errors, engine, store, run_id, summary, counts, progress, force)
    except BaseException:
        # Ctrl-C / SIGTERM-as-exception / a store error: what is stored stays; the run says so.
        with contextlib.suppress(StoreError, sqlite3.Error):
            store.abort_run(run_id, counts)
        raise
    summary.finished = utc_now()
    store.finish_run(run_id, counts, summary.accounting)
    return summary


def _process_all(
    files: Sequence[Path],
    errors: Sequence[IngestError],
    engine: _Engine,
    store: Store,
    run_id: int,
    summary: RunSummary,
    counts: RunCounts,
    progress: Progress | None,
    force: bool,
) -> None:
    total = counts.documents
    done = 0
    for error in errors:
        failed = _failed(Path(error.path), error.reason, backend=engine.backend)
        summary.documents.append(failed)
        counts.failed += 1
        done += 1
        if progress is not None:
            progress(done, total, failed)
    for path in files:
        result = _process_one(path.resolve(), engine, store, run_id, counts, force)
        summary.documents.append(result)
        summary.accounting.add(result.accounting)
        done += 1
        if progress is not None:
            progress(done, total, result)


def _process_one(
    path: Path, engine: _Engine, store: Store, run_id: int, counts: RunCounts, force: bool
) -> DocumentResult:
    settings = engine.settings
    failures: list[ChunkFailure] = []
    try:
        sha256: str | None = file_sha256(path)
        size: int | None = path.stat().st_size
    except OSError as exc:
        sha256, size = None, None
        result = _failed(path, exc.strerror or str(exc), backend=engine.backend)
    else:
        last = None if force or sha256 is None else _skip_reason(store, path, sha256, engine.backend)
        if last is not None:
            counts.skipped += 1
            counts.flags += store.flag_count(path)
            if not (settings.out_dir / f"{last.document}.json").exists():
                write_result_json(last, settings.out_dir)
            return last.model_copy(update={"status": DocumentStatus.SKIPPED, "accounting": Accounting()})
        cache = store if engine.backend != "rules" else None
        result, failures = process_path_detailed(path, settings, cache)
    write = store.store_document(
        run_id, result, sha256, size, [(failure.chunk_id, failure.reason) for failure in failures]
    )
    if result.status is DocumentStatus.OK:
        counts.ok += 1
        counts.flags += write.flags
        counts.facts += write.facts
        counts.new_flags += write.new_flags
        counts.new_error += write.new_by_severity.get(Severity.ERROR, 0)
        counts.new_warning += write.new_by_severity.get(Severity.WARNING, 0)
        counts.new_info += write.new_by_severity.get(Severity.INFO, 0)
    else:
        counts.failed += 1
    write_result_json(result, settings.out_dir)
    return result
