"""Rows of the recon store as the library returns them (see `pipeline.store.migrations` for tables)."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from schemas.flags import Rule, Severity
from schemas.numbers import Span


class RunStatus(str, Enum):
    RUNNING = "running"
    FINISHED = "finished"
    ABORTED = "aborted"  # the process died; the next run marks it


class FlagStatus(str, Enum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class RunCounts(BaseModel):
    """What a run did, as stored in `runs.counts`."""

    documents: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    flags: int = Field(default=0, description="flags raised by the documents processed in this run")
    new_flags: int = Field(default=0, description="flags first raised in this run and not yet decided")
    new_error: int = 0
    new_warning: int = 0
    new_info: int = 0
    facts: int = 0
    open_error: int = Field(
        default=0, description="open, undecided error flags of the run's documents (processed or unchanged)"
    )
    open_warning: int = 0
    open_info: int = 0

    def new_at_or_above(self, severity: Severity) -> int:
        """New flags of `severity` or worse (error > warning > info)."""
        if severity is Severity.ERROR:
            return self.new_error
        if severity is Severity.WARNING:
            return self.new_error + self.new_warning
        return self.new_flags

    def open_at_or_above(self, severity: Severity) -> int:
        """Open, undecided flags of `severity` or worse: what exit code 3 reports."""
        if severity is Severity.ERROR:
            return self.open_error
        if severity is Severity.WARNING:
            return self.open_error + self.open_warning
        return self.open_error + self.open_warning + self.open_info


class RunRecord(BaseModel):
    """One row of `runs`."""

    model_config = ConfigDict(frozen=True)

    id: int
    started: str
    finished: str | None = None
    backend: str
    model: str | None = None
    prompt_version: str | None = None
    status: RunStatus
    pid: int | None = None
    argv: list[str] = Field(default_factory=list)
    counts: RunCounts = Field(default_factory=RunCounts)


class StoredDocument(BaseModel):
    """One row of `documents`: a source file and how its last processing went."""

    model_config = ConfigDict(frozen=True)

    path: str
    name: str
    sha256: str | None = None
    size: int | None = None
    status: str
    error: str | None = None
    last_run: int | None = None
    updated: str


class FlagDecision(BaseModel):
    """A reviewer's decision, kept across re-runs while the flag's numbers stay the same."""

    model_config = ConfigDict(frozen=True)

    status: FlagStatus
    by: str | None = None
    note: str | None = None
    at: str


class StoredFlag(BaseModel):
    """One row of `flags` with its decision, if any."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    rule: Rule
    severity: Severity
    status: FlagStatus
    document: str
    path: str
    subject: str
    message: str
    equation: str
    values: list[str]
    spans: list[Span] = Field(default_factory=list)
    first_run: int | None = None
    run_id: int | None = None
    created: str
    decision: FlagDecision | None = None
