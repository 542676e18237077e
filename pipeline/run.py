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
from pipeline.errors import ConfigError, ExitCode, ExtractionError, IngestError, ReconError, StoreError
from pipeline.extract.rules.extract import extract
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.formats import ZipLimits
from pipeline.ingest.read import Found, discover, identity_path, ingest, read_source
from pipeline.review.messages import text
from pipeline.settings import Lang, Settings, public_url, redact_argv
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

def _failed(
    path: Path,
    reason: str,
    sha256: str | None = None,
    backend: str | None = None,
    document: str | None = None,
) -> DocumentResult:
    name = document or path.name
    return DocumentResult(
        document=name,
        path=str(path),
        sha256=sha256,
        status=DocumentStatus.FAILED,
        error=f"{name}: {reason}",
        backend=backend,
    )


def zip_limits(settings: Settings) -> ZipLimits:
    """The zip bomb guard's limits from the settings."""
    return ZipLimits(max_unzipped_bytes=settings.max_unzipped_bytes, max_ratio=settings.max_zip_ratio)


def process_path(
    path: Path, settings: Settings, cache: ResponseCache | None = None, *, document: str | None = None
) -> DocumentResult:
    """Ingest, chunk, extract and check one file; a bad file gives status `failed`, never an exception.

    The backend is `settings.resolved_backend()`: `rules`, or the LLM path
    (`extract_document`) for `llm` and `local` (for `local`, `settings` must
    already point at the running server, as `run` arranges). Raises ConfigError
    when the LLM backend is chosen but not configured.
    """
    result, _ = process_path_detailed(path, settings, cache, document=document)
    return result


def process_path_detailed(
    path: Path,
    settings: Settings,
    cache: ResponseCache | None = None,
    *,
    document: str | None = None,
    data: bytes | None = None,
) -> tuple[DocumentResult, list[ChunkFailure]]:
    """`process_path` plus the chunks the model failed on (stored, and retried by the next run).

    `document` is the document's identity (its path relative to the input folder;
    default the file name); `data` the file's bytes when the caller already read them.
    """
    path = identity_path(path)
    name = document or path.name
    backend = settings.resolved_backend()
    if backend != "rules":
        settings.require_llm()
    try:
        source = ingest(path, settings.max_file_bytes, zip_limits(settings), data)
    except IngestError as exc:
        return _failed(path, exc.reason, backend=backend, document=name), []
    except Exception as exc:  # a reader library's own error (zip method …) names this file only
        logger.exception("cannot read %s", path)
        reason = f"cannot read: {type(exc).__name__}: {exc}"
        return _failed(path, reason, backend=backend, document=name), []
    return _process_document(path, name, source, backend, settings, cache)


def _process_document(
    path: Path, name: str, document: Document, backend: str, settings: Settings, cache: ResponseCache | None
) -> tuple[DocumentResult, list[ChunkFailure]]:
    """Chunk, extract and check a document that was read."""
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
                return _failed(path, reason, document.sha256, backend, name), failures
    except ConfigError:
        raise
    except ExtractionError as exc:
        return _failed(path, exc.reason, document.sha256, backend, name), failures
    except ReconError as exc:
        return _failed(path, str(exc), document.sha256, backend, name), failures
    except Exception as exc:  # a bug on one odd file must not stop the nightly run over the others
        logger.exception("internal error on %s", path)
        reason = f"internal error ({type(exc).__name__}: {exc})"
        return _failed(path, reason, document.sha256, backend, name), failures
    result = DocumentResult(
        document=name,
        path=str(path),
        sha256=document.sha256,
        status=DocumentStatus.OK,
        backend=backend,
        extraction=extraction,
        check=report,
        accounting=accounting,
        warnings=list(document.warnings),
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


def exit_code(counts: RunCounts, fail_on: FailOn = "error") -> ExitCode:
    """OK; FAILURE when some files failed; OPEN_FLAGS for open flags at or above `fail_on` that
    nobody has decided on, among the documents of the run (processed or unchanged); files
    failing win.

    "Open and undecided", not "new in this run": a flag first raised by a run that
    failed or was killed still makes the next run exit 3 until someone decides on it.
    """
    if counts.failed:
        return ExitCode.FAILURE
    if fail_on != "never" and counts.open_at_or_above(Severity(fail_on)):
        return ExitCode.OPEN_FLAGS
    return ExitCode.OK


def result_json_path(out_dir: Path, document: str) -> Path:
    """`<out_dir>/<document>.json`, mirroring the input tree; a part that could leave `out_dir`
    (`..`, an absolute path's root) is made harmless."""
    parts = [part if part not in ("", ".", "..") else "_" for part in document.split("/")]
    if document.startswith("/"):
        parts = parts[1:]
    return out_dir.joinpath(*parts[:-1], f"{parts[-1]}.json")


def write_result_json(result: DocumentResult, out_dir: Path) -> Path:
    """Write `<out_dir>/<document>.json` atomically (a reader never sees half a file)."""
    target = result_json_path(out_dir, result.document)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
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
    files, errors = discover_inputs(paths)
    with RunLock(store.db_path, wait=wait), _engine(settings) as engine:
        return _run_locked(files, errors, engine, store, progress, force, argv)


def discover_inputs(paths: Sequence[Path]) -> tuple[list[Found], list[IngestError]]:
    """`discover`, with the usage errors a run stops on: a path that does not exist at all, or
    nothing to read (no supported file and no bad entry) under the paths given (ConfigError)."""
    missing = [path for path in paths if not os.path.lexists(path)]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder")
    files, errors = discover(list(paths))
    if not files and not errors:
        where = ", ".join(str(path) for path in paths) or "no path given"
        raise ConfigError(f"no .txt, .docx, .pdf or .html file to read in {where}")
    return files, errors


def _run_locked(
    files: Sequence[Found],
    errors: Sequence[IngestError],
    engine: _Engine,
    store: Store,
    progress: Progress | None,
    force: bool,
    argv: Sequence[str] | None,
) -> RunSummary:
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
    open_flags = store.open_flag_counts([Path(result.path) for result in summary.documents])
    counts.open_error = open_flags.get(Severity.ERROR, 0)
    counts.open_warning = open_flags.get(Severity.WARNING, 0)
    counts.open_info = open_flags.get(Severity.INFO, 0)
    store.finish_run(run_id, counts, summary.accounting)
    return summary


def _process_all(
    files: Sequence[Found],
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
        failed = _failed(Path(error.path), error.reason, backend=engine.backend, document=error.path)
        summary.documents.append(failed)
        counts.failed += 1
        done += 1
        if progress is not None:
            progress(done, total, failed)
    for found in files:
        result = _process_one(found, engine, store, run_id, counts, force)
        summary.documents.append(result)
        summary.accounting.add(result.accounting)
        done += 1
        if progress is not None:
            progress(done, total, result)


def _process_one(
    found: Found, engine: _Engine, store: Store, run_id: int, counts: RunCounts, force: bool
) -> DocumentResult:
    settings = engine.settings
    path = identity_path(found.path)
    failures: list[ChunkFailure] = []
    try:
        # type and size checked before a byte is read; the hash is of what is then extracted
        data = read_source(path, settings.max_file_bytes)
    except IngestError as exc:
        sha256: str | None = None
        size: int | None = None
        result = _failed(path, exc.reason, backend=engine.backend, document=found.document)
    else:
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
        last = None if force else _skip_reason(store, path, sha256, engine.backend)
        if last is not None:
            counts.skipped += 1
            counts.flags += store.flag_count(path)
            last = last.model_copy(
                update={
                    "document": found.document,
                    "status": DocumentStatus.SKIPPED,
                    "accounting": Accounting(),
                }
            )
            if not result_json_path(settings.out_dir, found.document).exists():
                write_result_json(last.model_copy(update={"status": DocumentStatus.OK}), settings.out_dir)
            return last
        cache = store if engine.backend != "rules" else None
        result, failures = process_path_detailed(path, settings, cache, document=found.document, data=data)
        del data
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
