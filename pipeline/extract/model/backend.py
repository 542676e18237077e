"""LLM extraction of a document: chunks → model (cached, concurrent) → grounding → merge.

`extract_document` sends each chunk (or only those in `only_chunks`) to an
OpenAI-compatible model through `pipeline.extract.model.llm`, up to `settings.concurrency`
at once and within `settings.requests_per_minute`. Answers are validated
against `schemas.llm.ChunkFacts`, cached under a key made of the chunk's
text and heading path, the model, the prompt version, the response schema
version and the instructor mode — so re-running an unchanged document makes
no model call — then grounded in the text (`pipeline.extract.ground`) and merged
(`pipeline.extract.merge`).

A chunk that fails after all retries does not stop the run: it is logged
with its id, counted in `Accounting.failed_chunks` and listed in
`extract_document_detailed(...).failures`; since good answers are cached, a
re-run asks the model only for the failed chunks. An authentication error
(401/403/404) stops sending: every other chunk would fail alike; the result's
`refused` says why, and `pipeline.run` then stops the model calls of the whole run.

`reread_flagged` is the arithmetic-guided re-read: for a checker flag whose
numbers came from the model, the chunk is sent once more with the failing
equation and the quoted numbers (prompt `reread_v1`). A grounded answer that
reconciles replaces the old facts (`Correction(outcome="corrected")`); the
same numbers again confirm the flag (`"confirmed"`); anything else leaves the
facts as they were (`"unresolved"`).

Cache access happens on the calling thread only (the store's SQLite
connection need not be shared across threads); worker threads only talk to
the model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline.extract.extractor import Checker, ResponseCache
from pipeline.extract.ground import LLM_SOURCE, ground_chunk
from pipeline.extract.ground_ids import MarkedChunk, ground_ids, hint_lines, mark_chunk
from pipeline.extract.merge import merge_extractions, sighting_key
from pipeline.extract.model.llm import CallStats, LLMCallError, LLMClient
from pipeline.safe_text import redact
from pipeline.settings import Settings, public_url
from prompts import (
    CHUNK_PROMPT_VERSION,
    Prompt,
    chunk_prompt,
    extract_ids_prompt,
    extract_prompt,
    load_prompt,
    reread_ids_prompt,
    reread_prompt,
)
from schemas import (
    Accounting,
    Breakdown,
    CheckReport,
    Chunk,
    Document,
    DocumentExtraction,
    Flag,
    Indicator,
    Project,
    Severity,
    StatedNumber,
)
from schemas.llm import LLM_SCHEMA_VERSION, ChunkFacts, ChunkFailure, LLMExtractionResult
from schemas.llm_ids import LLM_IDS_SCHEMA_VERSION, ChunkIds, NumberCandidate, mark
from schemas.result import Correction

logger = logging.getLogger(__name__)


class MemoryCache:
    """A dict-backed `ResponseCache` (tests, one-off runs)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


def cache_key(
    chunk: Chunk,
    settings: Settings,
    prompt: Prompt,
    extra: str = "",
    *,
    schema: str = LLM_SCHEMA_VERSION,
    chunk_prompt_version: str = CHUNK_PROMPT_VERSION,
) -> str:
    """sha256 over the chunk text (+ heading path), model, prompt version, schema version, mode.

    The heading path is hashed with the text because it is part of what the
    model is shown. `extra` distinguishes re-read requests (their flags).
    """
    material = {
        "chunk_sha256": hashlib.sha256(chunk.text.encode("utf-8")).hexdigest(),
        "heading_path": chunk.heading_path,
        "model": settings.model,
        "model_identity": _model_identity(settings),
        "prompt": prompt.cache_identity,
        "chunk_prompt": load_prompt(chunk_prompt_version).cache_identity,
        "max_output_tokens": settings.max_output_tokens,
        "schema": schema,
        "mode": settings.instructor_mode,
        "extra": extra,
    }
    return hashlib.sha256(json.dumps(material, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _model_identity(settings: Settings) -> str | None:
    """What, beyond its name, tells one model from another: the GGUF file (name and size) for
    the local backend, whose server always calls its model by one alias; else the endpoint,
    since two servers may serve different models under one name."""
    if settings.model_path is not None:
        try:
            size = settings.model_path.stat().st_size
        except OSError:
            size = -1
        return f"gguf:{settings.model_path.name}:{size}"
    return public_url(settings.base_url)


def chunk_message(chunk: Chunk) -> str:
    """The user message: the chunk with its heading path as context, then the instruction."""
    path = " > ".join(chunk.heading_path) if chunk.heading_path else "(文档开头 / start of document)"
    # the instruction comes after the chunk: small models answer empty lists when it comes first
    instruction = chunk_prompt().text.strip()
    return f"章节路径 (heading path): {path}\n\n<chunk>\n{chunk.text}\n</chunk>\n\n{instruction}"


def build_messages(chunk: Chunk, prompt: Prompt, follow_up: str | None = None) -> list[dict[str, str]]:
    """A fresh message list for one call (instructor appends re-asks to the list it gets)."""
    messages = [
        {"role": "system", "content": prompt.text if follow_up is None else extract_prompt().text},
        {"role": "user", "content": chunk_message(chunk)},
    ]
    if follow_up is not None:
        messages.append({"role": "user", "content": f"{prompt.text}\n\n{follow_up}"})
    return messages


Answer = ChunkFacts | ChunkIds


@dataclass
class _Outcome:
    chunk: Chunk
    facts: Answer | None
    stats: CallStats
    failure: ChunkFailure | None = None
    fatal: bool = False


class Contract:
    """How chunks are shown to the model and its answers turned into facts: `copy` or `ids`.

    `copy`: the model copies numbers as written (`schemas.llm.ChunkFacts`) and
    `pipeline.extract.ground` finds them in the chunk. `ids`: every candidate number
    is marked `⟦n⟧` and the model answers with ids (`schemas.llm_ids.ChunkIds`),
    validated against the chunk's candidates; the numbers are the candidates' own.
    """

    name = "copy"
    schema = LLM_SCHEMA_VERSION
    chunk_prompt_version = CHUNK_PROMPT_VERSION
    response_model: type[BaseModel] = ChunkFacts

    def __init__(self, document: Document) -> None:
        self.document = document

    def prompt(self) -> Prompt:
        return extract_prompt()

    def reread_prompt(self) -> Prompt:
        return reread_prompt()

    def shown(self, chunk: Chunk) -> str:
        """The chunk as the model sees it (with hints, for `ids`)."""
        return chunk.text

    def context(self, chunk: Chunk) -> dict[str, Any] | None:
        return None

    def worth_asking(self, chunk: Chunk) -> bool:
        """False for a chunk the model can say nothing about in this contract."""
        return True

    def messages(self, chunk: Chunk, follow_up: str | None = None) -> list[dict[str, str]]:
        return build_messages(chunk, self.reread_prompt() if follow_up else self.prompt(), follow_up)

    def key(self, chunk: Chunk, settings: Settings, prompt: Prompt, extra: str = "") -> str:
        version = self.chunk_prompt_version
        return cache_key(chunk, settings, prompt, extra, schema=self.schema, chunk_prompt_version=version)

    def load(self, raw: str, chunk: Chunk) -> Answer:
        return ChunkFacts.model_validate_json(raw)

    def ground(self, chunk: Chunk, answer: Answer) -> DocumentExtraction:
        assert isinstance(answer, ChunkFacts)
        return ground_chunk(self.document, chunk, answer)

    def numbers_of(self, chunk: Chunk, item: Item) -> str:
        return ", ".join(_as_written(item))


class IdsContract(Contract):
    """The candidate-id contract (see `Contract`); `hints` maps a candidate's start to the rules' role."""

    name = "ids"
    schema = LLM_IDS_SCHEMA_VERSION
    chunk_prompt_version = "chunk_ids_v1"
    response_model = ChunkIds

    def __init__(
        self,
        document: Document,
        candidates: Sequence[NumberCandidate],
        hints: Mapping[int, str] | None = None,
    ) -> None:
        super().__init__(document)
        self.candidates = list(candidates)
        self.hints = dict(hints or {})
        self._marked: dict[str, MarkedChunk] = {}

    def marked(self, chunk: Chunk) -> MarkedChunk:
        if chunk.id not in self._marked:
            self._marked[chunk.id] = mark_chunk(chunk, self.candidates)
        return self._marked[chunk.id]

    def prompt(self) -> Prompt:
        return extract_ids_prompt()

    def reread_prompt(self) -> Prompt:
        return reread_ids_prompt()

    def shown(self, chunk: Chunk) -> str:
        marked = self.marked(chunk)
        hints = hint_lines(marked, self.hints)
        if not hints:
            return marked.text
        return marked.text + "\n</chunk>\n\n<rules_roles>\n" + "\n".join(hints) + "\n</rules_roles>"

    def context(self, chunk: Chunk) -> dict[str, Any] | None:
        return self.marked(chunk).context()

    def worth_asking(self, chunk: Chunk) -> bool:
        """A chunk without a marked number has nothing to refer to: no call."""
        return bool(self.marked(chunk).candidates)

    def messages(self, chunk: Chunk, follow_up: str | None = None) -> list[dict[str, str]]:
        path = " > ".join(chunk.heading_path) if chunk.heading_path else "(文档开头 / start of document)"
        shown = self.shown(chunk)
        body = shown if shown.endswith("</rules_roles>") else f"{shown}\n</chunk>"
        instruction = load_prompt(self.chunk_prompt_version).text.strip()
        messages = [
            {"role": "system", "content": self.prompt().text},
            {
                "role": "user",
                "content": f"章节路径 (heading path): {path}\n\n<chunk>\n{body}\n\n{instruction}",
            },
        ]
        if follow_up is not None:
            messages.append({"role": "user", "content": f"{self.reread_prompt().text}\n\n{follow_up}"})
        return messages

    def key(self, chunk: Chunk, settings: Settings, prompt: Prompt, extra: str = "") -> str:
        shown = hashlib.sha256(self.shown(chunk).encode()).hexdigest()
        return super().key(chunk, settings, prompt, f"{extra}|{shown}")

    def load(self, raw: str, chunk: Chunk) -> Answer:
        return ChunkIds.model_validate_json(raw, context=self.context(chunk))

    def ground(self, chunk: Chunk, answer: Answer) -> DocumentExtraction:
        assert isinstance(answer, ChunkIds)
        return ground_ids(self.document, self.marked(chunk), answer)

    def numbers_of(self, chunk: Chunk, item: Item) -> str:
        marked = self.marked(chunk)
        to_normalised = {
            self.document.offsets.original_span(c.start, c.end)[0]: c.start
            for c in marked.candidates.values()
        }
        quoted = []
        for field, number in _item_numbers(item):
            start = to_normalised.get(number.span.start)
            candidate_id = marked.id_of(start) if start is not None else None
            if candidate_id is not None:
                quoted.append(f"{field}={mark(candidate_id)}")
        return ", ".join(quoted)


def make_contract(
    document: Document,
    settings: Settings,
    candidates: Sequence[NumberCandidate] | None = None,
    hints: Mapping[int, str] | None = None,
) -> Contract:
    """The contract `settings.llm_contract` names; `ids` needs the document's candidates."""
    if settings.llm_contract == "copy":
        return Contract(document)
    if candidates is None:
        raise ValueError("the ids contract needs the document's candidates (pipeline.extract.evidence)")
    return IdsContract(document, candidates, hints if settings.llm_hints else None)


def _ask(
    client: LLMClient,
    chunk: Chunk,
    messages: list[dict[str, str]],
    response_model: type[BaseModel] = ChunkFacts,
    context: dict[str, Any] | None = None,
) -> _Outcome:
    try:
        answer = client.structured(messages, response_model, chunk_id=chunk.id, context=context)
    except LLMCallError as exc:
        salvaged = _salvage(exc, response_model) if context is not None else None
        if salvaged is not None:
            # the ids answer still has ids that do not fit after every re-ask: keep what fits
            logger.warning("chunk %s: kept the fitting part of an answer that failed validation", chunk.id)
            return _Outcome(chunk, salvaged, exc.stats)
        logger.error("chunk %s failed after %d attempt(s): %s", chunk.id, exc.attempts, exc.reason)
        return _Outcome(
            chunk,
            None,
            exc.stats,
            ChunkFailure(chunk_id=chunk.id, reason=exc.reason, attempts=exc.attempts),
            exc.fatal,
        )
    except Exception as exc:  # anything the client did not classify fails this chunk, not the document
        logger.exception("chunk %s failed unexpectedly", chunk.id)
        reason = redact(f"unexpected {type(exc).__name__}: {exc}")  # stored and printed: no echoed key
        return _Outcome(chunk, None, CallStats(), ChunkFailure(chunk_id=chunk.id, reason=reason, attempts=1))
    value = answer.value
    assert isinstance(value, ChunkFacts | ChunkIds)
    return _Outcome(chunk, value, answer.stats)


def _salvage(exc: LLMCallError, response_model: type[BaseModel]) -> ChunkIds | None:
    """An id answer that failed validation, read without the chunk's context (grounding drops the
    ids that do not fit), or None when it is not even the right shape."""
    if exc.last_answer is None or response_model is not ChunkIds:
        return None
    try:
        return ChunkIds.model_validate_json(exc.last_answer)
    except ValidationError:
        return None


def _cached(cache: ResponseCache | None, key: str, chunk: Chunk, contract: Contract) -> Answer | None:
    if cache is None:
        return None
    raw = cache.get(key)
    if raw is None:
        return None
    try:
        return contract.load(raw, chunk)
    except ValidationError:
        logger.warning("chunk %s: cached answer no longer fits the schema; asking again", chunk.id)
        return None


def _add_stats(accounting: Accounting, stats: CallStats) -> None:
    accounting.calls += stats.calls
    accounting.retries += stats.retries
    accounting.prompt_tokens += stats.prompt_tokens
    accounting.completion_tokens += stats.completion_tokens


def _run_requests(
    requests: list[tuple[Chunk, list[dict[str, str]]]],
    settings: Settings,
    contract: Contract | None = None,
) -> Iterator[_Outcome]:
    """Send requests, at most `settings.concurrency` at a time; yield outcomes on the calling thread.

    A request is submitted only when a worker is free, so after a fatal
    failure (bad key, unknown model) the requests not yet sent are not sent:
    each is reported as failed with the same reason.
    """
    if not requests:
        return
    workers = min(settings.concurrency, len(requests))
    queue = list(reversed(requests))
    with (
        LLMClient(settings) as client,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recon-llm") as pool,
    ):
        pending: set[Future[_Outcome]] = set()
        fatal_reason: str | None = None
        while queue or pending:
            while queue and fatal_reason is None and len(pending) < workers:
                chunk, messages = queue.pop()
                model = contract.response_model if contract else ChunkFacts
                context = contract.context(chunk) if contract else None
                pending.add(pool.submit(_ask, client, chunk, messages, model, context))
            if fatal_reason is not None:
                while queue:
                    chunk, _ = queue.pop()
                    failure = ChunkFailure(chunk_id=chunk.id, reason=f"not sent: {fatal_reason}")
                    yield _Outcome(chunk, None, CallStats(), failure)
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                if outcome.fatal and fatal_reason is None:
                    fatal_reason = outcome.failure.reason if outcome.failure else "fatal error"
                    logger.error("not sending further chunks: %s would fail for every chunk", fatal_reason)
                yield outcome


def extract_document_detailed(
    document: Document,
    chunks: list[Chunk],
    settings: Settings,
    cache: ResponseCache | None = None,
    only_chunks: set[str] | None = None,
    *,
    contract: Contract | None = None,
) -> LLMExtractionResult:
    """`extract_document` plus the failed chunks (ids and reasons) and the chunk ids sent.

    `contract` (default: the copy contract) says how chunks are shown and answers grounded;
    `make_contract` builds the one the settings name.
    """
    settings.require_llm()
    started = time.monotonic()
    contract = contract or Contract(document)
    prompt = contract.prompt()
    accounting = Accounting()
    selected = [
        c for c in chunks if (only_chunks is None or c.id in only_chunks) and contract.worth_asking(c)
    ]
    answers: dict[str, Answer] = {}
    keys: dict[str, str] = {}
    requests: list[tuple[Chunk, list[dict[str, str]]]] = []
    for chunk in selected:
        keys[chunk.id] = contract.key(chunk, settings, prompt)
        hit = _cached(cache, keys[chunk.id], chunk, contract)
        if hit is not None:
            accounting.cache_hits += 1
            answers[chunk.id] = hit
        else:
            requests.append((chunk, contract.messages(chunk)))
    failures: list[ChunkFailure] = []
    refused: str | None = None
    for outcome in _run_requests(requests, settings, contract):
        _add_stats(accounting, outcome.stats)
        if outcome.fatal and refused is None:
            refused = outcome.failure.reason if outcome.failure else "fatal error"
        if outcome.facts is None:
            failures.append(outcome.failure or ChunkFailure(chunk_id=outcome.chunk.id, reason="no answer"))
            continue
        answers[outcome.chunk.id] = outcome.facts
        if cache is not None:
            cache.put(keys[outcome.chunk.id], outcome.facts.model_dump_json())
    parts = [contract.ground(chunk, answers[chunk.id]) for chunk in selected if chunk.id in answers]
    extraction = merge_extractions(document.name, parts)
    accounting.ungrounded = extraction.ungrounded
    accounting.failed_chunks = len(failures)
    accounting.seconds = time.monotonic() - started
    failures.sort(key=lambda f: [c.id for c in selected].index(f.chunk_id))
    return LLMExtractionResult(
        extraction=extraction,
        accounting=accounting,
        failures=failures,
        sent_chunks=[c.id for c, _ in requests],
        refused=refused,
    )


def extract_document(
    document: Document,
    chunks: list[Chunk],
    settings: Settings,
    cache: ResponseCache | None = None,
    only_chunks: set[str] | None = None,
    *,
    contract: Contract | None = None,
) -> tuple[DocumentExtraction, Accounting]:
    """Extract projects, indicators and breakdowns from `chunks` with the configured model.

    Failed chunks do not raise (see `extract_document_detailed` for their ids and reasons).
    """
    result = extract_document_detailed(document, chunks, settings, cache, only_chunks, contract=contract)
    return result.extraction, result.accounting


# -- arithmetic-guided re-read ----------------------------------------------------------------------

Item = Project | Indicator | Breakdown


def _item_numbers(item: Item) -> list[tuple[str, StatedNumber]]:
    """(field, number) pairs of an item, in a stable order."""
    if isinstance(item, Project):
        return [(key.value, n) for key, numbers in sorted(item.facts.items()) for n in numbers]
    if isinstance(item, Indicator):
        return [(name, n) for name in ("target", "actual", "rate") if (n := getattr(item, name)) is not None]
    return [(item.total.label, item.total.amount), *((p.label, p.amount) for p in item.parts)]


def _item_name(item: Item) -> str:
    return item.total.label if isinstance(item, Breakdown) else item.name


def _signature(item: Item | None) -> list[tuple[str, str, int, int]]:
    if item is None:
        return []
    return sorted((field, n.normalized, n.span.start, n.span.end) for field, n in _item_numbers(item))


def _as_written(item: Item | None) -> list[str]:
    if item is None:
        return []
    return [f"{field}={n.normalized}{n.unit or ''}" for field, n in _item_numbers(item)]


def _model_items(extraction: DocumentExtraction) -> list[Item]:
    items: list[Item] = [*extraction.projects, *extraction.indicators, *extraction.breakdowns]
    return [item for item in items if LLM_SOURCE in item.source.split("+")]


def _flagged_item(flag: Flag, items: list[Item]) -> Item | None:
    """The model-derived item a flag is about: by the spans of its numbers, else by its subject."""
    flag_spans = {(s.start, s.end) for s in flag.spans}
    if flag_spans:
        for item in items:
            if any((n.span.start, n.span.end) in flag_spans for _, n in _item_numbers(item)):
                return item
    subject = sighting_key(flag.subject)
    return next((item for item in items if sighting_key(_item_name(item)) == subject), None)


def _same_kind(old: Item, new: Item) -> bool:
    return type(old) is type(new) and sighting_key(_item_name(old)) == sighting_key(_item_name(new))


def _replace(extraction: DocumentExtraction, old: Item, new: Item) -> DocumentExtraction:
    if isinstance(old, Project) and isinstance(new, Project):
        new = new.model_copy(update={"parent": new.parent or old.parent, "name": old.name})
        return extraction.model_copy(
            update={"projects": [new if p is old else p for p in extraction.projects]}
        )
    if isinstance(old, Indicator) and isinstance(new, Indicator):
        return extraction.model_copy(
            update={"indicators": [new if i is old else i for i in extraction.indicators]}
        )
    return extraction.model_copy(
        update={"breakdowns": [new if b is old else b for b in extraction.breakdowns]}
    )


def _follow_up(flags: list[Flag], items: dict[str, Item], contract: Contract, chunk: Chunk) -> str:
    lines = ["These relations do not reconcile with the numbers you gave (这些关系用你给出的数字算不平):"]
    for number, flag in enumerate(flags, 1):
        lines.append(f"{number}. [{flag.rule.value}] {flag.subject}: {flag.equation}")
        lines.append(f"   {flag.message}")
        item = items.get(flag.key)
        quoted = contract.numbers_of(chunk, item) if item is not None else ""
        if quoted:
            which = "ids you gave" if contract.name == "ids" else "numbers you quoted"
            lines.append(f"   {which}: {quoted}; re-check their roles")
    return "\n".join(lines)


def _live_flags(report: CheckReport) -> set[str]:
    return {f.key for f in report.flags if f.severity is not Severity.INFO}


def _decide(
    current: DocumentExtraction,
    flags: list[Flag],
    flagged: dict[str, Item],
    reread: DocumentExtraction | None,
    check: Checker,
    failure: str | None,
) -> tuple[DocumentExtraction, list[tuple[Flag, dict[str, Any]]]]:
    """Outcome per flag of one chunk's re-read, and the extraction to keep.

    The re-read's versions of the flagged items replace the old ones only if
    the check then shows fewer flags and no new one; flags that disappear are
    `corrected`, flags whose items came back unchanged are `confirmed`, the
    rest `unresolved`.
    """
    new_items: list[Item] = [*reread.projects, *reread.indicators, *reread.breakdowns] if reread else []
    replacements: list[tuple[Item, Item]] = []
    counterpart: dict[str, Item | None] = {}
    for flag in flags:
        old = flagged[flag.key]
        new = next((i for i in new_items if _same_kind(old, i)), None)
        counterpart[flag.key] = new
        if (
            new is not None
            and _signature(new) != _signature(old)
            and all(o is not old for o, _ in replacements)
        ):
            replacements.append((old, new))
    candidate = current
    for old, new in replacements:
        candidate = _replace(candidate, old, new)
    accepted = False
    remaining = _live_flags(check(current)) if replacements else set()
    if replacements:
        after = _live_flags(check(candidate))
        accepted = after < remaining
        if accepted:
            remaining = after
    decided: list[tuple[Flag, dict[str, Any]]] = []
    for flag in flags:
        old = flagged[flag.key]
        new = counterpart[flag.key]
        fields: dict[str, Any] = {"before": _as_written(old), "after": _as_written(new)}
        if accepted and flag.key not in remaining:
            fields.update(outcome="corrected", note="the re-read's grounded numbers reconcile")
        elif new is not None and _signature(new) == _signature(old):
            fields.update(outcome="confirmed", note="the re-read gave the same numbers")
        elif new is None:
            why = failure or "the re-read did not return this item with grounded numbers"
            fields.update(outcome="unresolved", note=why)
        else:
            fields.update(
                outcome="unresolved", note="the re-read gave other numbers that still do not reconcile"
            )
        decided.append((flag, fields))
    return (candidate if accepted else current), decided


def reread_flagged(
    document: Document,
    chunks: list[Chunk],
    extraction: DocumentExtraction,
    report: CheckReport,
    settings: Settings,
    check: Checker,
    cache: ResponseCache | None = None,
    *,
    contract: Contract | None = None,
) -> tuple[DocumentExtraction, list[Correction], Accounting]:
    """Ask the model once more about chunks whose model-read numbers fail a check.

    Returns the (possibly corrected) extraction, one `Correction` per flag
    re-read (outcome corrected / confirmed / unresolved, with the flag's key),
    and what the re-reads cost. Flags on rule-extracted numbers and `info`
    flags are left alone. `check` is the caller's checker (`pipeline.run` passes
    the checker after `complete`): this package does not import the checker.
    """
    started = time.monotonic()
    accounting = Accounting()
    items = _model_items(extraction)
    by_chunk: dict[str, list[Flag]] = {}
    flagged: dict[str, Item] = {}
    for flag in report.flags:
        if flag.severity is Severity.INFO:
            continue
        item = _flagged_item(flag, items)
        if item is None or item.chunk_id is None:
            continue
        flagged[flag.key] = item
        by_chunk.setdefault(item.chunk_id, []).append(flag)
    if not by_chunk:
        return extraction, [], accounting  # nothing the model read is flagged: no model needed
    settings.require_llm()
    contract = contract or Contract(document)
    prompt = contract.reread_prompt()
    chunk_by_id = {c.id: c for c in chunks}
    requests: list[tuple[Chunk, list[dict[str, str]]]] = []
    keys: dict[str, str] = {}
    answers: dict[str, Answer] = {}
    for chunk_id, flags in by_chunk.items():
        chunk = chunk_by_id.get(chunk_id)
        if chunk is None:
            logger.warning("re-read: chunk %s of a flagged item is not among the chunks given", chunk_id)
            continue
        follow_up = _follow_up(flags, flagged, contract, chunk)
        keys[chunk_id] = contract.key(
            chunk,
            settings,
            prompt,
            # The re-read is shown after the extract prompt: both prompts' identities are in the key.
            extra=f"{contract.prompt().cache_identity}|{hashlib.sha256(follow_up.encode()).hexdigest()}",
        )
        hit = _cached(cache, keys[chunk_id], chunk, contract)
        if hit is not None:
            accounting.cache_hits += 1
            answers[chunk_id] = hit
        else:
            requests.append((chunk, contract.messages(chunk, follow_up)))
    failed: dict[str, str] = {}
    for outcome in _run_requests(requests, settings, contract):
        _add_stats(accounting, outcome.stats)
        if outcome.facts is None:
            failed[outcome.chunk.id] = outcome.failure.reason if outcome.failure else "no answer"
            accounting.failed_chunks += 1
            continue
        answers[outcome.chunk.id] = outcome.facts
        if cache is not None:
            cache.put(keys[outcome.chunk.id], outcome.facts.model_dump_json())

    corrections: list[Correction] = []
    current = extraction
    for chunk_id, flags in by_chunk.items():
        chunk = chunk_by_id.get(chunk_id)
        if chunk is None:
            continue
        reread = contract.ground(chunk, answers[chunk_id]) if chunk_id in answers else None
        if reread is not None:
            accounting.ungrounded += reread.ungrounded
        current, decided = _decide(current, flags, flagged, reread, check, failed.get(chunk_id))
        corrections.extend(
            Correction(flag_key=flag.key, chunk_id=chunk_id, subject=flag.subject, **fields)
            for flag, fields in decided
        )
    accounting.seconds = time.monotonic() - started
    return current, corrections, accounting
