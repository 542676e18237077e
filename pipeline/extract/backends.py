"""The extraction backends by name, and the two `Extractor`s behind them.

`open_extractor(settings)` gives the backend `settings.resolved_backend()` names, for as long as
the `with` block lasts: `rules` (the deterministic reader), `llm` (a configured OpenAI-compatible
model) or `local` (the llama.cpp server, started for the block and stopped after it). A new
backend is one `register_backend` call; nothing else tests a backend's name.

The model path is imported only when a model backend is opened (openai and instructor take
about 2 s to import), so a rules run never loads it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from pipeline.errors import ModelRefusedError
from pipeline.extract.extractor import Checker, Extracted, Extractor, Reread, ResponseCache
from pipeline.extract.merge import merge_extractions
from pipeline.extract.rules.extract import extract as extract_by_rules
from pipeline.settings import Settings
from prompts import extract_prompt
from schemas import CheckReport, Chunk, Document, DocumentExtraction

#: Opens a backend for the duration of a `with` block.
BackendOpener = Callable[[Settings], AbstractContextManager[Extractor]]

_BACKENDS: dict[str, BackendOpener] = {}


def register_backend(name: str, opener: BackendOpener) -> None:
    """Make `name` a backend; `opener(settings)` yields its `Extractor`."""
    _BACKENDS[name] = opener


def backend_names() -> list[str]:
    """The registered backends' names."""
    return list(_BACKENDS)


def open_extractor(settings: Settings) -> AbstractContextManager[Extractor]:
    """The backend `settings` chooses (`auto` resolved), ready for the `with` block.

    Raises ConfigError when a model backend is chosen but not configured."""
    return _BACKENDS[settings.resolved_backend()](settings)


class RulesExtractor:
    """The offline `rules` backend (`pipeline.extract.rules.extract`); it has nothing to re-read."""

    name = "rules"
    model: str | None = None
    prompt_version: str | None = None
    uses_cache = False

    def extract(self, document: Document, chunks: list[Chunk], cache: ResponseCache | None) -> Extracted:
        return Extracted(extract_by_rules(document, chunks))

    def reread(
        self,
        document: Document,
        chunks: list[Chunk],
        extraction: DocumentExtraction,
        report: CheckReport,
        check: Checker,
        cache: ResponseCache | None,
    ) -> Reread:
        return Reread(extraction)


_AMOUNT_IN_TEXT = re.compile(r"\d(?:\.\d+)?\s*(?:万元|亿元|元|%)")


def uncovered_chunks(chunks: Sequence[Chunk], by_rules: DocumentExtraction) -> set[str]:
    """Chunks that state amounts but in which the rules backend found nothing: the ones
    worth a model call under `--llm-policy uncovered`."""
    covered = {p.chunk_id for p in by_rules.projects}
    covered |= {i.chunk_id for i in by_rules.indicators}
    covered |= {b.chunk_id for b in by_rules.breakdowns}
    return {c.id for c in chunks if c.id not in covered and _AMOUNT_IN_TEXT.search(c.text)}


@dataclass(frozen=True)
class ModelExtractor:
    """The LLM path (`pipeline.extract.model.backend`) for `llm` and `local`.

    Under `--llm-policy uncovered` the rules backend reads the document first and the model
    only the chunks it left uncovered; the two extractions are merged. Under `all` the model
    reads every chunk. `extract` raises ModelRefusedError when the server refuses the key, URL
    or model (401/403/404): no other document could be read either.
    """

    settings: Settings
    name: str
    model: str | None
    prompt_version: str | None
    uses_cache = True

    def extract(self, document: Document, chunks: list[Chunk], cache: ResponseCache | None) -> Extracted:
        from pipeline.extract.model.backend import extract_document_detailed

        self.settings.require_llm()
        by_rules = None
        only_chunks = None
        if self.settings.llm_policy == "uncovered":
            by_rules = extract_by_rules(document, chunks)
            only_chunks = uncovered_chunks(chunks, by_rules)
        detailed = extract_document_detailed(document, chunks, self.settings, cache, only_chunks)
        if detailed.refused is not None:
            raise ModelRefusedError(detailed.refused)
        extraction = detailed.extraction
        if by_rules is not None:
            extraction = merge_extractions(document.name, [by_rules, extraction])
        return Extracted(extraction, detailed.accounting, list(detailed.failures))

    def reread(
        self,
        document: Document,
        chunks: list[Chunk],
        extraction: DocumentExtraction,
        report: CheckReport,
        check: Checker,
        cache: ResponseCache | None,
    ) -> Reread:
        from pipeline.extract.model.backend import reread_flagged

        reread, corrections, accounting = reread_flagged(
            document, chunks, extraction, report, self.settings, check, cache
        )
        return Reread(reread, corrections, accounting)


@contextlib.contextmanager
def _rules(settings: Settings) -> Iterator[Extractor]:
    yield RulesExtractor()


@contextlib.contextmanager
def _llm(settings: Settings) -> Iterator[Extractor]:
    settings.require_llm()
    yield ModelExtractor(settings, "llm", settings.model, extract_prompt().cache_identity)


@contextlib.contextmanager
def _local(settings: Settings) -> Iterator[Extractor]:
    from pipeline.extract.model.local_server import local_server, resolve_model_path

    model_name = resolve_model_path(settings).name
    with local_server(settings) as served:
        served = served.model_copy(update={"backend": "local"})
        yield ModelExtractor(served, "local", model_name, extract_prompt().cache_identity)


register_backend("rules", _rules)
register_backend("llm", _llm)
register_backend("local", _local)
