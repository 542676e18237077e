"""The contract every extraction backend keeps: `Extractor`.

`pipeline.run` drives any backend the same way: `extract` (facts read from the chunks), then
the backend-neutral `pipeline.extract.complete.complete`, then the checker, then `reread` with
that checker passed in. A backend that cannot re-read returns the extraction unchanged and no
corrections. Backends are chosen by name in `pipeline.extract.backends`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from schemas import Accounting, CheckReport, Chunk, Document, DocumentExtraction
from schemas.llm import ChunkFailure
from schemas.result import Correction

#: The checker as a backend sees it: an extraction in, its report out.
Checker = Callable[[DocumentExtraction], CheckReport]


class ResponseCache(Protocol):
    """Where model answers are kept between runs (the store implements it)."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


@dataclass
class Extracted:
    """What a backend read from one document, and what it cost."""

    extraction: DocumentExtraction
    accounting: Accounting = field(default_factory=Accounting)
    #: chunks the model failed on (stored, and retried by the next run)
    failures: list[ChunkFailure] = field(default_factory=list)
    #: chunks a model was asked about (sent or answered from the cache); None: every chunk
    asked: int | None = None


@dataclass
class Reread:
    """The extraction after a re-read of flagged items, one `Correction` per flag re-read."""

    extraction: DocumentExtraction
    corrections: list[Correction] = field(default_factory=list)
    accounting: Accounting = field(default_factory=Accounting)


class Extractor(Protocol):
    """A backend: reads facts from chunks, and may re-read what the checker flags."""

    @property
    def name(self) -> str:
        """The backend's name, recorded with each result (`rules`, `llm`, `local`)."""
        ...

    @property
    def model(self) -> str | None:
        """The model the run records (None without one)."""
        ...

    @property
    def prompt_version(self) -> str | None:
        """The prompt identity the run records (None without a model)."""
        ...

    @property
    def uses_cache(self) -> bool:
        """True when answers are worth keeping in a `ResponseCache` between runs."""
        ...

    def extract(self, document: Document, chunks: list[Chunk], cache: ResponseCache | None) -> Extracted:
        """Facts read from `chunks`, before `complete` and the checker.

        Raises ModelRefusedError when the model server refuses every request (the run then
        stops calling the backend); a chunk that fails otherwise is listed in `failures`.
        """
        ...

    def reread(
        self,
        document: Document,
        chunks: list[Chunk],
        extraction: DocumentExtraction,
        report: CheckReport,
        check: Checker,
        cache: ResponseCache | None,
    ) -> Reread:
        """Read the flagged items of `report` again; `check` judges whether a new reading is better."""
        ...
