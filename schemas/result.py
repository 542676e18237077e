"""The result of processing one document, and of a whole run."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.extraction import Coverage, DocumentExtraction
from schemas.flags import CheckReport

#: Version of the result JSON (bumped when `DocumentResult` changes shape).
RESULT_SCHEMA_VERSION = "recon-result/1"


class DocumentStatus(str, Enum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"  # unchanged since the last successful run


class Accounting(BaseModel):
    """Model usage for a document or a run (all zero for the rules backend)."""

    calls: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    ungrounded: int = 0
    failed_chunks: int = 0
    seconds: float = 0.0

    def add(self, other: Accounting) -> None:
        self.calls += other.calls
        self.retries += other.retries
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cache_hits += other.cache_hits
        self.ungrounded += other.ungrounded
        self.failed_chunks += other.failed_chunks
        self.seconds += other.seconds


class Correction(BaseModel):
    """What an arithmetic-guided re-read did about one checker flag.

    `corrected`: the re-read gave grounded numbers that reconcile, and they
    replaced the old ones. `confirmed`: the model read the same numbers again,
    so the flag stands ("confirmed by re-read"). `unresolved`: the re-read
    failed or gave other numbers that still do not reconcile; the old facts stay.
    """

    model_config = ConfigDict(frozen=True)

    flag_key: str
    chunk_id: str
    subject: str
    outcome: Literal["corrected", "confirmed", "unresolved"]
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    note: str = ""


class DocumentResult(BaseModel):
    """One document's checked, traceable result (what `--out` writes as JSON)."""

    model_config = ConfigDict(frozen=True)

    schema_version: str = RESULT_SCHEMA_VERSION
    document: str = Field(
        description="the document's identity: its path relative to the input folder, '/'-separated "
        "(a file named on its own: its name)"
    )
    path: str
    sha256: str | None = None
    status: DocumentStatus
    error: str | None = None
    backend: str | None = None
    extraction: DocumentExtraction | None = None
    check: CheckReport | None = None
    accounting: Accounting = Field(default_factory=Accounting)
    warnings: list[str] = Field(
        default_factory=list,
        description="what the reader had to work around (replacement characters, unread pages, "
        "an unsupported script); the document was still processed",
    )
    #: what the re-read of the checker's flags did, one entry per flag re-read (model backends)
    corrections: list[Correction] = Field(default_factory=list)


class DocumentSummary(BaseModel):
    """What the run table and counts need of one document: counts, status, failure line.

    A run keeps these, not the full `DocumentResult`s, so its memory stays flat; the
    store keeps the summary of each document's last good processing, so a skipped
    document is reported without parsing its stored result.
    """

    model_config = ConfigDict(frozen=True)

    document: str
    path: str
    status: DocumentStatus
    error: str | None = None
    backend: str | None = None
    projects: int | None = None
    indicators: int | None = None
    breakdowns: int | None = None
    flags: int | None = None
    coverage: Coverage | None = None
    ungrounded: int | None = None
    warnings: list[str] = Field(default_factory=list)
    accounting: Accounting = Field(default_factory=Accounting)

    @classmethod
    def of(cls, result: DocumentResult) -> DocumentSummary:
        """The summary of a processed (or failed) document."""
        extraction = result.extraction
        return cls(
            document=result.document,
            path=result.path,
            status=result.status,
            error=result.error,
            backend=result.backend,
            projects=len(extraction.projects) if extraction else None,
            indicators=len(extraction.indicators) if extraction else None,
            breakdowns=len(extraction.breakdowns) if extraction else None,
            flags=len(result.check.flags) if result.check else None,
            coverage=extraction.coverage if extraction else None,
            ungrounded=extraction.ungrounded if extraction else None,
            warnings=list(result.warnings),
            accounting=result.accounting,
        )


class RunSummary(BaseModel):
    """What a run did, per document (slim summaries: a run's memory does not grow with its results)."""

    run_id: int | None = None
    backend: str
    model: str | None = None
    prompt_version: str | None = None
    started: str
    finished: str | None = None
    documents: list[DocumentSummary] = Field(default_factory=list)
    accounting: Accounting = Field(default_factory=Accounting)
    model_refused: str | None = Field(
        default=None,
        description="the model server refused the key, URL or model (401/403/404): the run made no "
        "further model call and the documents after it are failed as not sent",
    )
    not_sent: list[str] = Field(
        default_factory=list,
        description="the documents failed without a model call because the server had refused one "
        "(retried by the next run)",
    )

    @property
    def failed(self) -> list[DocumentSummary]:
        return [d for d in self.documents if d.status is DocumentStatus.FAILED]
