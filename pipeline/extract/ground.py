"""Tie every number a model returned to its place in the text, or drop it.

The model answers with numbers as written (`"9.05万元"`, `"100%"`). For each
one this module finds the same digit string in the chunk's normalised text —
whole numbers only (digit boundaries: `5.4` never matches inside `15.4` or
`5.45`), allowing the model to drop trailing zeros (`"4.1"` for `4.10`) or the
unit. When the number occurs more than once, the occurrence nearest to its
subject's name wins (a number written after the subject's name and before
the next subject's name belongs to that subject; numbers after the name are
preferred to numbers before it, an occurrence
behind the wording of its fact key — 年初预算, 结余结转 … — gets a head
start, and one already used by the same subject is taken last). The unit is
read from the text right after the number where there is one: the text wins
over the model.

The result is a `StatedNumber` spanned in the ORIGINAL document
(`pipeline.numbers.stated_number` with the chunk's offset). A number that is
not in the chunk is rejected, counted in `ungrounded`, logged with the chunk
id, and never stored.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.numbers import NUMBER_RE, normalize_number, stated_number
from schemas import (
    Breakdown,
    BreakdownItem,
    Chunk,
    Document,
    DocumentExtraction,
    FactKey,
    Indicator,
    Project,
    Span,
    StatedNumber,
)
from schemas.llm import ChunkFacts, LLMBreakdown, LLMIndicator, LLMProject
from schemas.names import strip_quotes
from schemas.units import all_units

logger = logging.getLogger(__name__)

#: Provenance written on every item grounded from a model answer.
LLM_SOURCE = "llm"

#: Units read right after a number: the whole vocabulary, longest first (万元 before 元).
UNITS: tuple[str, ...] = all_units()
_UNIT_RE = re.compile(r"\s*(" + "|".join(re.escape(u) for u in UNITS) + ")")
#: A number as a model may write it: full-width digits, thousands separators, a sign.
_WRITTEN_NUMBER_RE = re.compile(r"-?[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?")
_LIST_NUMBER_RE = re.compile(
    r"^\s*(?:[（(]\s*[0-9一二三四五六七八九十]+\s*[)）]|[0-9一二三四五六七八九十]+\s*[、.．](?!\d))\s*"
)
_CLAUSE_BREAK_RE = re.compile(r"[，,。；;：:\n]")

#: Words in front of a number that say which fact it is (GOLD_FORMAT.md), and words that say it is not.
FACT_CUES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    FactKey.BUDGET_INITIAL.value: (("年初预算", "年初批复", "年初"), ()),
    FactKey.CARRYOVER_IN.value: (("上年结余", "上年结转"), ()),
    FactKey.TRANSFER_IN.value: (("转移支付", "上级补助", "上级"), ()),
    FactKey.SUPPLEMENT.value: (("追加", "调整区级", "调增"), ("上级",)),
    FactKey.TRANSFER_OUT.value: (("调剂",), ()),
    FactKey.REDUCTION.value: (("调减", "扣减"), ()),
    FactKey.BUDGET_TOTAL.value: (("全年预算", "调整后预算", "预算"), ("年初", "执行率")),
    FactKey.SPENT.value: (("支出", "决算"), ("支出率",)),
    FactKey.CARRYOVER_OUT.value: (("结余结转", "结转结余", "结余", "结转"), ("上年",)),
    FactKey.EXECUTION_RATE.value: (("执行率", "支出率", "完成预算"), ()),
    "target": (("指标值", "目标", "计划", "任务"), ()),
    "actual": (("完成值", "完成数", "实际完成", "完成", "实际"), ("完成率",)),
    "rate": (("完成率", "达成率", "率"), ()),
}

#: How far (characters) a number behind its fact's wording is preferred over a nearer one.
CUE_ADVANTAGE = 40
#: Numbers in front of the subject's name count this many times their distance.
BEFORE_NAME_PENALTY = 3


def split_as_written(raw: str) -> tuple[str, str | None] | None:
    """The first number in a model's value and the unit written after it.

    >>> split_as_written("9.05万元")
    ('9.05', '万元')
    >>> split_as_written("１００％")
    ('100', '%')
    >>> split_as_written("未说明") is None
    True
    """
    match = _WRITTEN_NUMBER_RE.search(raw)
    if match is None:
        return None
    try:
        normalized = normalize_number(match.group(0).replace("，", ","))
    except ValueError:
        return None
    rest = raw[match.end() :].replace("％", "%")
    unit_match = _UNIT_RE.match(rest)
    return normalized.lstrip("-"), unit_match.group(1).replace("％", "%") if unit_match else None


_QUOTED_PROJECT_RE = re.compile(r"^(?:项目)?[“\"「『‘](.+?)[”\"」』’]$")


def clean_name(name: str) -> str:
    """A name without quote marks, list numbers (`3、`, `（2）`) and surrounding space.

    `项目“医务人员临时性工作补助”` is the project `医务人员临时性工作补助`.
    """
    without_number = _LIST_NUMBER_RE.sub("", name.strip())
    quoted = _QUOTED_PROJECT_RE.match(without_number)
    if quoted:
        without_number = quoted.group(1)
    return strip_quotes(without_number).strip()


def _same_number(written_in_text: str, from_model: str) -> bool:
    """Equal digit strings, or the model dropped trailing zeros (`4.1` for `4.10`)."""
    if written_in_text == from_model:
        return True
    text_decimals = len(written_in_text.partition(".")[2])
    model_decimals = len(from_model.partition(".")[2])
    return text_decimals > model_decimals and Decimal(written_in_text) == Decimal(from_model)


@dataclass(frozen=True)
class _Occurrence:
    start: int  # in the chunk (normalised text)
    end: int
    normalized: str
    unit: str | None


@dataclass
class ChunkGrounder:
    """Locates a model's numbers and names in one chunk of one document."""

    document: Document
    chunk: Chunk
    ungrounded: int = 0
    rejected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = self.document.text[self.chunk.start : self.chunk.end]
        if self.text != self.chunk.text:
            logger.warning(
                "chunk %s: text differs from document.text[%d:%d]; grounding in the document's text",
                self.chunk.id,
                self.chunk.start,
                self.chunk.end,
            )
        # NUMBER_RE matches whole numbers, so `5.4` is never found inside `15.4` or `5.45`.
        self._occurrences = [
            _Occurrence(m.start(), m.end(), m.group(0), self._unit_after(m.end()))
            for m in NUMBER_RE.finditer(self.text)
        ]
        self._used: dict[str, set[int]] = {}
        self._anchors: list[tuple[int, int, str]] = []

    def register_subjects(self, names: Iterable[str]) -> None:
        """The names of all subjects in the chunk: a number belongs to the name written last before it.

        Report sentences name the project first and then its flows, so a number
        between project A's name and project B's is A's. Where one name is
        written inside another (`2023年` in `2023年三支一扶项目`) the longer one counts.
        """
        anchors = {
            (start, end, name)
            for name in dict.fromkeys(names)
            if name
            for start, end in self._name_positions(name)
        }
        ordered = sorted(anchors, key=lambda a: (a[0], -(a[1] - a[0])))
        self._anchors = [
            a for a in ordered if not any(o != a and o[0] <= a[0] and a[1] <= o[1] for o in ordered)
        ]

    def owner_of_original(self, original_start: int) -> str | None:
        """The subject owning the number that starts at `original_start` of the original text."""
        to_original = self.document.offsets.to_original
        for local in range(len(self.text)):
            if to_original[self.chunk.start + local] == original_start:
                return self._owner(local)
        return None

    def _owner(self, position: int) -> str | None:
        owner: str | None = None
        for _start, end, name in self._anchors:
            if end > position:
                break
            owner = name
        return owner

    def _unit_after(self, end: int) -> str | None:
        match = _UNIT_RE.match(self.text, end)
        return match.group(1).replace("％", "%") if match else None

    def _name_positions(self, name: str | None) -> list[tuple[int, int]]:
        if not name:
            return []
        for candidate in dict.fromkeys((name, clean_name(name))):
            if candidate:
                found = [(m.start(), m.end()) for m in re.finditer(re.escape(candidate), self.text)]
                if found:
                    return found
        return []

    def name_span(self, name: str | None) -> Span | None:
        """The first place the name is written, spanned in the original text."""
        positions = self._name_positions(name)
        if not positions:
            return None
        start, end = positions[0]
        original_start, original_end = self.document.offsets.original_span(
            self.chunk.start + start, self.chunk.start + end
        )
        return Span(start=original_start, end=original_end)

    def _cued(self, occurrence: _Occurrence, cue_key: str | None) -> bool:
        if cue_key is None or cue_key not in FACT_CUES:
            return False
        cues, anti_cues = FACT_CUES[cue_key]
        window_start = max(0, occurrence.start - 16)
        window = self.text[window_start : occurrence.start]
        breaks = list(_CLAUSE_BREAK_RE.finditer(window))
        if breaks:
            window = window[breaks[-1].end() :]
        return any(cue in window for cue in cues) and not any(anti in window for anti in anti_cues)

    def number(
        self,
        raw: str | None,
        *,
        subject: str | None,
        cue_key: str | None = None,
        default_unit: str | None = None,
    ) -> StatedNumber | None:
        """The stated number for a model's value, or None (counted as ungrounded) if the chunk lacks it."""
        if raw is None:
            return None
        parsed = split_as_written(raw)
        if parsed is None:
            self._reject(raw, subject, "no number in the answer")
            return None
        wanted, model_unit = parsed
        candidates = [o for o in self._occurrences if _same_number(o.normalized, wanted)]
        if not candidates:
            self._reject(raw, subject, "not in the chunk")
            return None
        names = self._name_positions(subject)
        used = self._used.setdefault(subject or "", set())

        anchored = any(name == subject for _, _, name in self._anchors)

        def score(occurrence: _Occurrence) -> tuple[int, int, int, int]:
            unit_clash = int(
                model_unit is not None and occurrence.unit is not None and occurrence.unit != model_unit
            )
            foreign = int(anchored and self._owner(occurrence.start) != subject)
            distance = 0
            if names:
                distance = min(
                    occurrence.start - end
                    if occurrence.start >= end
                    else (start - occurrence.end) * BEFORE_NAME_PENALTY
                    for start, end in names
                )
            if not self._cued(occurrence, cue_key):
                distance += CUE_ADVANTAGE
            return unit_clash, foreign, int(occurrence.start in used), distance

        best = min(candidates, key=score)
        used.add(best.start)
        unit = best.unit or model_unit or default_unit
        return stated_number(self.document, self.chunk.start + best.start, self.chunk.start + best.end, unit)

    def _reject(self, raw: str, subject: str | None, why: str) -> None:
        self.ungrounded += 1
        self.rejected.append(raw)
        logger.warning(
            "chunk %s: ungrounded number %r for %r (%s); dropped", self.chunk.id, raw, subject, why
        )


def _majority_unit(numbers: Iterable[StatedNumber], exclude: tuple[str, ...] = ("%",)) -> str | None:
    counts = Counter(n.unit for n in numbers if n.unit is not None and n.unit not in exclude)
    return counts.most_common(1)[0][0] if counts else None


def _with_unit(number: StatedNumber, unit: str | None) -> StatedNumber:
    return number if number.unit is not None or unit is None else number.model_copy(update={"unit": unit})


_SINGLE_KEYS: tuple[FactKey, ...] = tuple(k for k in FactKey if k is not FactKey.SUPPLEMENT)


def ground_project(grounder: ChunkGrounder, project: LLMProject) -> Project | None:
    """A `Project` with only the grounded facts; None if nothing about it is grounded."""
    name = clean_name(project.name)
    parent = clean_name(project.parent) if project.parent else None
    facts: dict[FactKey, list[StatedNumber]] = {}
    for key in _SINGLE_KEYS:
        raw: str | None = getattr(project, key.value)
        default = "%" if key is FactKey.EXECUTION_RATE else None
        found = grounder.number(raw, subject=name, cue_key=key.value, default_unit=default)
        if found is not None:
            facts[key] = [found]
    supplements = [
        n
        for raw in project.supplement
        if (n := grounder.number(raw, subject=name, cue_key=FactKey.SUPPLEMENT.value)) is not None
    ]
    if supplements:
        facts[FactKey.SUPPLEMENT] = supplements
    if not facts:
        return None
    unit = _majority_unit(n for numbers in facts.values() for n in numbers)
    facts = {
        key: [_with_unit(n, "%" if key is FactKey.EXECUTION_RATE else unit) for n in numbers]
        for key, numbers in facts.items()
    }
    return Project(
        name=name,
        parent=parent or None,
        unit=unit,
        facts=facts,
        name_span=grounder.name_span(project.name),
        chunk_id=grounder.chunk.id,
        source=LLM_SOURCE,
    )


def ground_indicator(grounder: ChunkGrounder, indicator: LLMIndicator) -> Indicator | None:
    """An `Indicator` with its grounded values; None if none of them is grounded."""
    name = clean_name(indicator.name)
    model_unit = split_as_written("0" + indicator.unit) if indicator.unit else None
    unit_hint = model_unit[1] if model_unit else indicator.unit
    target = grounder.number(indicator.target, subject=name, cue_key="target", default_unit=unit_hint)
    actual = grounder.number(indicator.actual, subject=name, cue_key="actual", default_unit=unit_hint)
    rate = grounder.number(indicator.rate, subject=name, cue_key="rate", default_unit="%")
    if target is None and actual is None and rate is None:
        return None
    unit = next((n.unit for n in (target, actual) if n is not None and n.unit), None) or unit_hint
    return Indicator(
        name=name,
        target=target,
        actual=actual,
        rate=rate,
        unit=unit,
        category=indicator.category,
        name_span=grounder.name_span(indicator.name),
        chunk_id=grounder.chunk.id,
        source=LLM_SOURCE,
    )


def ground_breakdown(grounder: ChunkGrounder, breakdown: LLMBreakdown) -> Breakdown | None:
    """A `Breakdown`, or None without a grounded total and part.

    When some part is not grounded the rest is kept with `exhaustive=False`, so
    the checker does not report a sum that only fails for the missing part.
    """
    label = clean_name(breakdown.total_label)
    total = grounder.number(breakdown.total, subject=label)
    parts: list[BreakdownItem] = []
    complete = True
    for part in breakdown.parts:
        part_label = clean_name(part.label)
        amount = grounder.number(part.value, subject=part_label)
        if amount is None:
            complete = False
            continue
        parts.append(BreakdownItem(label=part_label, amount=amount))
    if total is None or not parts:
        return None
    unit = _majority_unit([total, *(p.amount for p in parts)])
    return Breakdown(
        unit=unit,
        total=BreakdownItem(label=label, amount=_with_unit(total, unit)),
        parts=[BreakdownItem(label=p.label, amount=_with_unit(p.amount, unit)) for p in parts],
        exhaustive=complete and len(parts) == len(breakdown.parts),
        chunk_id=grounder.chunk.id,
        source=LLM_SOURCE,
    )


def _one_owner_per_number(grounder: ChunkGrounder, projects: list[Project]) -> list[Project]:
    """A number two projects claim stays with the one whose name is written last before it.

    Small models copy a neighbour's amount (`年中追加资金5.00万元` of the next
    project) into a project that has none; the text says whose it is. The
    dropped claim counts as ungrounded.
    """
    claims: dict[int, set[str]] = {}
    for project in projects:
        for numbers in project.facts.values():
            for number in numbers:
                claims.setdefault(number.span.start, set()).add(project.name)
    kept: list[Project] = []
    for project in projects:
        facts: dict[FactKey, list[StatedNumber]] = {}
        for key, numbers in project.facts.items():
            own: list[StatedNumber] = []
            for number in numbers:
                claimants = claims[number.span.start]
                owner = grounder.owner_of_original(number.span.start) if len(claimants) > 1 else None
                if owner is not None and owner in claimants and owner != project.name:
                    grounder.ungrounded += 1
                    logger.warning(
                        "chunk %s: %s %s of %r is %r's number; dropped",
                        grounder.chunk.id,
                        key.value,
                        number.normalized,
                        project.name,
                        owner,
                    )
                    continue
                own.append(number)
            if own:
                facts[key] = own
        if facts:
            kept.append(project.model_copy(update={"facts": facts}))
    return kept


def ground_chunk(document: Document, chunk: Chunk, facts: ChunkFacts) -> DocumentExtraction:
    """One chunk's grounded extraction (`ungrounded` counts the numbers dropped)."""
    grounder = ChunkGrounder(document, chunk)
    grounder.register_subjects(
        [clean_name(p.name) for p in facts.projects] + [clean_name(i.name) for i in facts.indicators]
    )
    projects = [p for item in facts.projects if (p := ground_project(grounder, item)) is not None]
    projects = _one_owner_per_number(grounder, projects)
    indicators = [i for item in facts.indicators if (i := ground_indicator(grounder, item)) is not None]
    breakdowns = [b for item in facts.breakdowns if (b := ground_breakdown(grounder, item)) is not None]
    return DocumentExtraction(
        document=document.name,
        projects=projects,
        indicators=indicators,
        breakdowns=breakdowns,
        ungrounded=grounder.ungrounded,
    )
