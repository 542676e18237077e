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
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.check.run import check
from pipeline.errors import ModelRefusedError
from pipeline.extract.complete import complete
from pipeline.extract.evidence import chunks_to_send, number_candidates, rules_roles
from pipeline.extract.extractor import Checker, Extracted, Extractor, Reread, ResponseCache
from pipeline.extract.referee import referee_merge
from pipeline.extract.rules.extract import extract as extract_by_rules
from pipeline.settings import Settings
from prompts import extract_ids_prompt, extract_prompt
from schemas import CheckReport, Chunk, Document, DocumentExtraction

if TYPE_CHECKING:  # the model path loads only when a model backend is opened
    from pipeline.extract.model.backend import Contract

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


@dataclass(frozen=True)
class ModelExtractor:
    """The LLM path (`pipeline.extract.model.backend`) for `llm` and `local`.

    The rules backend reads every document first: its candidate numbers are what the `ids`
    contract marks and its roles the hints (`pipeline.extract.evidence`). Under `--llm-policy
    uncovered` its coverage and the checker's flags choose the chunks the model reads, and the
    model's reading is merged into the rules' by number with the checker as referee
    (`pipeline.extract.referee`). Under `all` the model reads every chunk.
    `extract` raises ModelRefusedError when the server refuses the key, URL or model
    (401/403/404): no other document could be read either.
    """

    settings: Settings
    name: str
    model: str | None
    prompt_version: str | None
    uses_cache = True
    #: the contract each document was read with, for its re-read (by document sha256)
    _contracts: dict[str, Contract] = field(default_factory=dict, compare=False)

    def extract(self, document: Document, chunks: list[Chunk], cache: ResponseCache | None) -> Extracted:
        from pipeline.extract.model.backend import extract_document_detailed, make_contract

        self.settings.require_llm()
        by_rules = extract_by_rules(document, chunks)
        candidates = number_candidates(document)
        contract = make_contract(
            document, self.settings, candidates, rules_roles(document, by_rules, candidates)
        )
        self._contracts[document.sha256] = contract
        only_chunks = None
        if self.settings.llm_policy == "uncovered":
            only_chunks = chunks_to_send(document, chunks, by_rules, _checker(document)(by_rules), candidates)
        detailed = extract_document_detailed(
            document, chunks, self.settings, cache, only_chunks, contract=contract
        )
        if detailed.refused is not None:
            raise ModelRefusedError(detailed.refused)
        asked = len(detailed.sent_chunks) + detailed.accounting.cache_hits
        if only_chunks is None:
            return Extracted(detailed.extraction, detailed.accounting, list(detailed.failures), asked)
        merged = referee_merge(by_rules, detailed.extraction, _checker(document), self.settings.accept)
        return Extracted(merged, detailed.accounting, list(detailed.failures))

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
            document,
            chunks,
            extraction,
            report,
            self.settings,
            check,
            cache,
            contract=self._contracts.get(document.sha256),
        )
        return Reread(reread, corrections, accounting)


def _checker(document: Document) -> Checker:
    """The checker as `pipeline.run` applies it: after `complete`."""

    def checker(extraction: DocumentExtraction) -> CheckReport:
        return check(complete(extraction, document))

    return checker


def _prompt_version(settings: Settings) -> str:
    return (extract_prompt() if settings.llm_contract == "copy" else extract_ids_prompt()).cache_identity


@contextlib.contextmanager
def _rules(settings: Settings) -> Iterator[Extractor]:
    yield RulesExtractor()


@contextlib.contextmanager
def _llm(settings: Settings) -> Iterator[Extractor]:
    settings.require_llm()
    yield ModelExtractor(settings, "llm", settings.model, _prompt_version(settings))


@contextlib.contextmanager
def _local(settings: Settings) -> Iterator[Extractor]:
    from pipeline.extract.model.local_server import local_server, resolve_model_path

    model_name = resolve_model_path(settings).name
    with local_server(settings) as served:
        served = served.model_copy(update={"backend": "local"})
        yield ModelExtractor(served, "local", model_name, _prompt_version(served))


register_backend("rules", _rules)
register_backend("llm", _llm)
register_backend("local", _local)
