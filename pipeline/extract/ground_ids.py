"""The candidate-id contract's two ends: mark a chunk's numbers with ids, turn an id answer into facts.

`mark_chunk` writes `⟦n⟧` after every candidate number of a chunk (after its
unit: `225万元⟦7⟧`), numbering them 1, 2, … in text order, and keeps the map
from id to candidate. `hint_lines` renders the roles another reader (the rules
backend) gave those numbers, for the model to confirm, correct or complete.

`ground_ids` builds `Project`/`Indicator`/`Breakdown` records from a
`schemas.llm_ids.ChunkIds` answer. Every number is the candidate's own — value,
unit and span — so grounding is exact by construction; an id that does not fit
(not in the chunk, wrong unit, used twice: possible only for an answer that
skipped validation, such as an old cached one) is dropped and counted in
`ungrounded`. Names are located in the chunk as in the copy contract.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.extract.ground import LLM_SOURCE, ChunkGrounder, clean_name
from pipeline.numbers import stated_number
from schemas import (
    Breakdown,
    BreakdownItem,
    Chunk,
    Document,
    DocumentExtraction,
    FactKey,
    Indicator,
    Project,
    StatedNumber,
)
from schemas.llm_ids import (
    MONEY_KEYS,
    ChunkIds,
    IdBreakdown,
    IdIndicator,
    IdProject,
    NumberCandidate,
    candidate_context,
    id_problems,
    mark,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MarkedChunk:
    """A chunk whose numbers carry ids: the text shown to the model and the id → candidate map."""

    chunk: Chunk
    text: str
    candidates: Mapping[int, NumberCandidate]

    def id_of(self, normalised_start: int) -> int | None:
        """The id of the candidate whose digits start at `normalised_start`, if any."""
        for candidate_id, candidate in self.candidates.items():
            if candidate.start == normalised_start:
                return candidate_id
        return None

    def context(self) -> dict[str, object]:
        return candidate_context(self.candidates)


def mark_chunk(chunk: Chunk, candidates: Sequence[NumberCandidate]) -> MarkedChunk:
    """`chunk` with `⟦n⟧` after each candidate inside it (candidates in normalised document offsets)."""
    inside = sorted(
        (c for c in candidates if chunk.start <= c.start and c.unit_end <= chunk.end), key=lambda c: c.start
    )
    pieces: list[str] = []
    position = 0
    numbered: dict[int, NumberCandidate] = {}
    for candidate_id, candidate in enumerate(inside, 1):
        end = candidate.unit_end - chunk.start
        pieces.append(chunk.text[position:end])
        pieces.append(mark(candidate_id))
        position = end
        numbered[candidate_id] = candidate
    pieces.append(chunk.text[position:])
    return MarkedChunk(chunk=chunk, text="".join(pieces), candidates=numbered)


def hint_lines(marked: MarkedChunk, roles: Mapping[int, str]) -> list[str]:
    """`⟦7⟧ 项目A budget_initial?` for each candidate of the chunk another reader gave a role."""
    lines = []
    for candidate_id, candidate in marked.candidates.items():
        role = roles.get(candidate.start)
        if role:
            lines.append(f"{mark(candidate_id)} {role}?")
    return lines


def _number(document: Document, candidate: NumberCandidate) -> StatedNumber:
    unit = candidate.unit if candidate.kind != "bare" else None
    return stated_number(document, candidate.start, candidate.end, unit)


def _unit_or(number: StatedNumber, unit: str | None) -> StatedNumber:
    """A bare number (`结余0`) takes the unit of the amounts around it."""
    return number if number.unit is not None or unit is None else number.model_copy(update={"unit": unit})


def _start(number: StatedNumber) -> int:
    return number.span.start


@dataclass
class _IdGrounder:
    document: Document
    marked: MarkedChunk
    ungrounded: int = 0

    def __post_init__(self) -> None:
        self.names = ChunkGrounder(self.document, self.marked.chunk)
        self.context = {i: {"kind": c.kind, "text": c.text} for i, c in self.marked.candidates.items()}

    def fits(self, answer: ChunkIds) -> bool:
        problems = id_problems(answer, self.context)
        if problems:
            self.ungrounded += len(problems)
            logger.warning("chunk %s: dropped an answer item: %s", self.marked.chunk.id, "; ".join(problems))
        return not problems

    def number(self, candidate_id: int) -> StatedNumber:
        return _number(self.document, self.marked.candidates[candidate_id])

    def label_of(self, candidate_id: int) -> str:
        """What the text calls a number the model gave without a label (`NumberCandidate.label`)."""
        return clean_name(self.marked.candidates[candidate_id].label)

    def project(self, item: IdProject) -> Project | None:
        facts: dict[FactKey, list[StatedNumber]] = {}
        for key, candidate_id in item.fact_ids():
            facts.setdefault(FactKey(key), []).append(self.number(candidate_id))
        if not facts:
            return None
        units = Counter(n.unit for key, ns in facts.items() if key.value in MONEY_KEYS for n in ns if n.unit)
        unit = units.most_common(1)[0][0] if units else None
        return Project(
            name=clean_name(item.name),
            parent=clean_name(item.parent) if item.parent else None,
            unit=unit,
            facts={
                key: sorted((_unit_or(n, unit if key.value in MONEY_KEYS else "%") for n in ns), key=_start)
                for key, ns in facts.items()
            },
            name_span=self.names.name_span(item.name),
            chunk_id=self.marked.chunk.id,
            source=LLM_SOURCE,
        )

    def indicator(self, item: IdIndicator) -> Indicator | None:
        values = {
            field: self.number(candidate_id)
            for field in ("target", "actual", "rate")
            if (candidate_id := getattr(item, field)) is not None
        }
        if not values:
            return None
        given = [values[f] for f in ("actual", "target") if f in values]
        # the model's unit when the chunk writes it (`篇` for `12次（篇）`), else the numbers' own
        model_unit = item.unit if item.unit and item.unit in self.marked.chunk.text else None
        unit = model_unit or next((n.unit for n in given if n.unit), None)
        return Indicator(
            name=clean_name(item.name),
            target=values.get("target"),
            actual=values.get("actual"),
            rate=values.get("rate"),
            unit=unit,
            category=item.category,
            name_span=self.names.name_span(item.name),
            chunk_id=self.marked.chunk.id,
            source=LLM_SOURCE,
        )

    def breakdown(self, item: IdBreakdown) -> Breakdown | None:
        if not item.parts:
            return None
        labels = item.labels if len(item.labels) == len(item.parts) else [""] * len(item.parts)
        total = self.number(item.total)
        parts = [
            BreakdownItem(
                label=clean_name(label) or self.label_of(candidate_id), amount=self.number(candidate_id)
            )
            for label, candidate_id in zip(labels, item.parts, strict=True)
        ]
        total_label = clean_name(item.total_label) or self.label_of(item.total)
        units = Counter(n.unit for n in (total, *(p.amount for p in parts)) if n.unit and n.unit != "%")
        unit = units.most_common(1)[0][0] if units else None
        return Breakdown(
            unit=unit,
            total=BreakdownItem(label=total_label, amount=_unit_or(total, unit)),
            parts=[p.model_copy(update={"amount": _unit_or(p.amount, unit)}) for p in parts],
            exhaustive=True,
            chunk_id=self.marked.chunk.id,
            source=LLM_SOURCE,
        )


def ground_ids(document: Document, marked: MarkedChunk, answer: ChunkIds) -> DocumentExtraction:
    """One chunk's extraction from an id answer; items whose ids do not fit are dropped (`ungrounded`).

    A number two projects claim stays with the first; the later claim is dropped.
    """
    grounder = _IdGrounder(document, marked)
    owned: set[int] = set()
    projects: list[Project] = []
    for item in answer.projects:
        if not grounder.fits(ChunkIds(projects=[item])):
            continue
        claimed = [(key, i) for key, i in item.fact_ids() if i in owned]
        if claimed:
            grounder.ungrounded += len(claimed)
            logger.warning(
                "chunk %s: %s claims numbers of another project; dropped", marked.chunk.id, item.name
            )
        facts: dict[str, int | list[int]] = {}
        for key, candidate_id in item.fact_ids():
            if (key, candidate_id) in claimed:
                continue
            owned.add(candidate_id)
            have = facts.get(key)
            facts[key] = (
                candidate_id
                if have is None
                else [*(have if isinstance(have, list) else [have]), candidate_id]
            )
        project = grounder.project(item.model_copy(update={"facts": facts}))
        if project is not None:
            projects.append(project)
    indicators = [
        i
        for item in answer.indicators
        if grounder.fits(ChunkIds(indicators=[item])) and (i := grounder.indicator(item)) is not None
    ]
    breakdowns = [
        b
        for item in answer.breakdowns
        if grounder.fits(ChunkIds(breakdowns=[item])) and (b := grounder.breakdown(item)) is not None
    ]
    return DocumentExtraction(
        document=document.name,
        projects=projects,
        indicators=indicators,
        breakdowns=breakdowns,
        ungrounded=grounder.ungrounded,
    )
