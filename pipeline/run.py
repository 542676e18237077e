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
import functools
import hashlib
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.check.run import check
from pipeline.errors import (
    ConfigError,
    ExitCode,
    ExtractionError,
    IngestError,
    ModelRefusedError,
    ReconError,
    StoreError,
)
from pipeline.extract.backends import open_extractor
from pipeline.extract.complete import complete
from pipeline.extract.extractor import Extracted, Extractor, ResponseCache
from pipeline.i18n import text
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.formats import ZipLimits
from pipeline.ingest.read import Found, discover, identity_path, ingest, read_source
from pipeline.pool import WorkerFailure, WorkerPool, usable_cores
from pipeline.settings import Lang, Settings, public_url, redact_argv
from pipeline.store import RunLock, Store, Unchanged, utc_now
from schemas import (
    Accounting,
    CheckReport,
    Chunk,
    Document,
    DocumentExtraction,
    DocumentResult,
    DocumentStatus,
    DocumentSummary,
    RunSummary,
    Severity,
)
from schemas.llm import ChunkFailure
from schemas.result import Correction
from schemas.stored import RunCounts

logger = logging.getLogger(__name__)

#: Called after discovery with (0, total, None) and after each document with (done, total, summary).
Progress = Callable[[int, int, DocumentSummary | None], None]

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

    The backend is the one `settings` chooses (`pipeline.extract.backends`), opened for this
    file alone. Raises ConfigError when a model backend is chosen but not configured.
    """
    with open_extractor(settings) as extractor:
        result, _ = process_path_detailed(path, settings, extractor, cache, document=document)
    return result


def process_path_detailed(
    path: Path,
    settings: Settings,
    extractor: Extractor,
    cache: ResponseCache | None = None,
    *,
    document: str | None = None,
    data: bytes | None = None,
    sha256: str | None = None,
) -> tuple[DocumentResult, list[ChunkFailure]]:
    """`process_path` with an open backend, plus the chunks the model failed on (stored, and
    retried by the next run).

    `document` is the document's identity (its path relative to the input folder;
    default the file name); `data` the file's bytes when the caller already read them, and
    `sha256` their hash when it already computed it (each file is read and hashed once).
    """
    path = identity_path(path)
    name = document or path.name
    backend = extractor.name
    try:
        source = ingest(path, settings.max_file_bytes, zip_limits(settings), data, sha256=sha256)
    except IngestError as exc:
        return _failed(path, exc.reason, backend=backend, document=name), []
    except Exception as exc:  # a reader library's own error (zip method …) names this file only
        logger.exception("cannot read %s", path)
        reason = f"cannot read: {type(exc).__name__}: {exc}"
        return _failed(path, reason, backend=backend, document=name), []
    return _process_document(path, name, source, settings, extractor, cache)


def _process_document(
    path: Path,
    name: str,
    document: Document,
    settings: Settings,
    extractor: Extractor,
    cache: ResponseCache | None,
) -> tuple[DocumentResult, list[ChunkFailure]]:
    """Chunk, extract and check a document that was read.

    Every backend takes the same path: extract → `complete` → check → re-read of what the
    checker flags (the checker passed in, the corrections kept in the result) → check.
    """
    backend = extractor.name
    failures: list[ChunkFailure] = []
    try:
        chunks = chunk_document(document, settings.chunk_chars)
        extracted = extractor.extract(document, chunks, cache)
        failures = extracted.failures
        asked = len(chunks) if extracted.asked is None else extracted.asked
        if failures and len(failures) == asked:
            reason = f"the model failed on every chunk ({failures[0].reason})"
            return _failed(path, reason, document.sha256, backend, name), failures
        extraction, report, corrections = _complete_and_check(document, chunks, extracted, extractor, cache)
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
        accounting=extracted.accounting,
        warnings=list(document.warnings),
        corrections=corrections,
    )
    return result, failures


def _complete_and_check(
    document: Document,
    chunks: list[Chunk],
    extracted: Extracted,
    extractor: Extractor,
    cache: ResponseCache | None,
) -> tuple[DocumentExtraction, CheckReport, list[Correction]]:
    """`complete`, check, and one re-read of what the checker flags (`extracted.accounting`
    gains the re-read's cost)."""

    def checker(extraction: DocumentExtraction) -> CheckReport:
        return check(complete(extraction, document))

    extraction = complete(extracted.extraction, document)
    report = check(extraction)
    if not any(flag.severity is not Severity.INFO for flag in report.flags):
        return extraction, report, []
    reread = extractor.reread(document, chunks, extracted.extraction, report, checker, cache)
    reread.accounting.failed_chunks = 0  # a failed re-read leaves the first answer: not a chunk failure
    extracted.accounting.add(reread.accounting)
    if reread.extraction != extracted.extraction:
        extraction = complete(reread.extraction, document)
        report = check(extraction)
    return extraction, report, reread.corrections


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


def run(
    paths: Sequence[Path],
    settings: Settings,
    store: Store,
    progress: Progress | None = None,
    force: bool = False,
    *,
    wait: bool = False,
    argv: Sequence[str] | None = None,
    jobs: int | None = None,
) -> RunSummary:
    """Process every file under `paths` into `store` and `settings.out_dir`; see the module docstring.

    `jobs` worker processes (default: the usable cores) read, extract and check with
    the rules backend (`Workers`); this process is the single writer of the store.
    Raises StoreError when another run holds the lock (unless `wait`), ConfigError
    for a backend that is not configured. Per-file problems never raise: they are
    failed documents in the summary.
    """
    files, errors = discover_inputs(paths)
    with RunLock(store.db_path, wait=wait) as lock, open_extractor(settings) as extractor:
        workers = Workers(jobs or usable_cores(), close_fds=lock.filenos())
        return _run_locked(files, errors, settings, extractor, store, progress, force, argv, workers)


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
    settings: Settings,
    extractor: Extractor,
    store: Store,
    progress: Progress | None,
    force: bool,
    argv: Sequence[str] | None,
    workers: Workers,
) -> RunSummary:
    started = utc_now()
    command = redact_argv(sys.argv if argv is None else argv)
    run_id = store.begin_run(extractor.name, extractor.model, extractor.prompt_version, command)
    summary = RunSummary(
        run_id=run_id,
        backend=extractor.name,
        model=extractor.model,
        prompt_version=extractor.prompt_version,
        started=started,
    )
    counts = RunCounts(documents=len(files) + len(errors))
    if progress is not None:
        progress(0, counts.documents, None)
    try:
        _process_all(
            files, errors, settings, extractor, store, run_id, summary, counts, progress, force, workers
        )
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
    settings: Settings,
    extractor: Extractor,
    store: Store,
    run_id: int,
    summary: RunSummary,
    counts: RunCounts,
    progress: Progress | None,
    force: bool,
    workers: Workers,
) -> None:
    total = counts.documents
    done = 0
    for error in errors:
        failed = _failed(Path(error.path), error.reason, backend=extractor.name, document=error.path)
        row = DocumentSummary.of(failed)
        summary.documents.append(row)
        counts.failed += 1
        done += 1
        if progress is not None:
            progress(done, total, row)
    unchanged = {} if force else store.unchanged_candidates(extractor.name)
    tasks = []
    for found in files:
        path = identity_path(found.path)
        prior = unchanged.get(str(path))
        tasks.append(Task(path, found.document, prior.sha256 if prior is not None else None))
    processed: list[DocumentSummary] = []
    for read in workers.read_all(tasks, settings, extractor, store):
        if read.refusal is not None and summary.model_refused is None:
            logger.error("no further model calls in this run: %s", read.refusal)
            summary.model_refused = read.refusal
        elif read.refusal is not None:
            summary.not_sent.append(read.task.document)
        row = _record(read, settings, store, run_id, counts, unchanged)
        processed.append(row)
        summary.accounting.add(row.accounting)
        done += 1
        if progress is not None:
            progress(done, total, row)
    # completion order is the pool's; the table lists documents in path order whatever the jobs
    summary.documents += sorted(processed, key=lambda row: row.path)


def _record(
    read: Read,
    settings: Settings,
    store: Store,
    run_id: int,
    counts: RunCounts,
    unchanged: dict[str, Unchanged],
) -> DocumentSummary:
    """Store one document's outcome (the single writer, in this process) and count it."""
    path = read.task.path
    if read.result is None:  # unchanged: its bytes hash to those of its last good processing
        counts.skipped += 1
        counts.flags += store.flag_count(path)
        if not result_json_path(settings.out_dir, read.task.document).exists():
            last = store.last_result(path)  # parsed only to restore a deleted JSON file
            if last is not None:
                write_result_json(last.model_copy(update={"document": read.task.document}), settings.out_dir)
        return unchanged[str(path)].summary.model_copy(
            update={
                "document": read.task.document,
                "status": DocumentStatus.SKIPPED,
                "accounting": Accounting(),
            }
        )
    result = read.result
    failures = [(failure.chunk_id, failure.reason) for failure in read.failures]
    write = store.store_document(run_id, result, read.sha256, read.size, failures)
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
    return DocumentSummary.of(result)


# --- the worker layer: reading documents in worker processes ------------------------------------


@dataclass(frozen=True)
class Task:
    """One file to read as `document`; `unchanged_sha` the hash of its last good processing, when
    it may be skipped."""

    path: Path
    document: str
    unchanged_sha: str | None = None


@dataclass(frozen=True)
class Read:
    """What reading one file gave: `result` None when its bytes hash to `Task.unchanged_sha`."""

    task: Task
    sha256: str | None
    size: int | None
    result: DocumentResult | None
    failures: list[ChunkFailure] = field(default_factory=list)
    #: the model server's reason when it refused this document, or an earlier one (not sent)
    refusal: str | None = None


def read_one(settings: Settings, extractor: Extractor, cache: ResponseCache | None, task: Task) -> Read:
    """Read the file once, hash those bytes once, and unless unchanged ingest, extract and check them."""
    try:
        # type and size checked before a byte is read; the hash is of what is then extracted
        data = read_source(task.path, settings.max_file_bytes)
    except IngestError as exc:
        failed = _failed(task.path, exc.reason, backend=extractor.name, document=task.document)
        return Read(task, None, None, failed)
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == task.unchanged_sha:
        return Read(task, sha256, len(data), None)
    try:
        result, failures = process_path_detailed(
            task.path, settings, extractor, cache, document=task.document, data=data, sha256=sha256
        )
    except ModelRefusedError as exc:  # a wrong key, URL or model: this run sends nothing more
        failed = _failed(task.path, str(exc), sha256, extractor.name, task.document)
        return Read(task, sha256, len(data), failed, refusal=exc.reason)
    return Read(task, sha256, len(data), result, failures)


def _not_sent(settings: Settings, extractor: Extractor, task: Task, refusal: str) -> Read:
    """A document read after the model server refused the run: skipped when unchanged, else
    stored failed as not sent (the next run retries it)."""
    try:
        data = read_source(task.path, settings.max_file_bytes)
    except IngestError as exc:
        failed = _failed(task.path, exc.reason, backend=extractor.name, document=task.document)
        return Read(task, None, None, failed)
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == task.unchanged_sha:
        return Read(task, sha256, len(data), None)
    failed = _failed(task.path, f"not sent: {refusal}", sha256, extractor.name, task.document)
    return Read(task, sha256, len(data), failed, refusal=refusal)


@dataclass(frozen=True)
class Workers:
    """How documents are read: `jobs` worker processes for a backend that needs no cache (rules),
    else in this process (a model backend's requests run in parallel up to `--concurrency`, and
    its response cache is this process's store connection)."""

    jobs: int
    close_fds: tuple[int, ...] = ()

    def read_all(
        self, tasks: Sequence[Task], settings: Settings, extractor: Extractor, store: Store
    ) -> Iterator[Read]:
        """Each task's `Read`, in completion order; a worker that dies fails its one document."""
        jobs = min(self.jobs, len(tasks))
        if extractor.uses_cache or jobs <= 1:
            cache = store if extractor.uses_cache else None
            refused: str | None = None
            for task in tasks:
                read = (
                    _not_sent(settings, extractor, task, refused)
                    if refused is not None
                    else read_one(settings, extractor, cache, task)
                )
                refused = refused or read.refusal
                yield read
            return
        work = functools.partial(read_one, settings, extractor, None)
        with WorkerPool(work, jobs, close_fds=self.close_fds) as pool:
            for task, outcome in pool.imap_unordered(tasks):
                if isinstance(outcome, WorkerFailure):
                    reason = outcome.reason
                    failed = _failed(task.path, reason, backend=extractor.name, document=task.document)
                    yield Read(task, None, None, failed)
                else:
                    yield outcome
