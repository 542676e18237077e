"""Score extraction and the checker against gold files (`recon eval`).

The scoring functions are pure: gold and an extraction (plus the checker's
flags and the document's original text) in, pydantic score records out.
At the bottom, `pair_gold_with_documents` reads the gold files and
`evaluate_pairs` scores them, getting each document's extraction from an
`observe` callable (a fresh pipeline run or a stored run, see `pipeline.cli.eval`),
so this module never imports the extraction stages.

Alignment (projects, indicators, breakdown parts, flag subjects) pairs gold
and extracted items one-to-one by name:

* names are normalised (`normalize_name`): NFKC, quote marks “”「」『』‘’"'
  removed, whitespace removed, leading list numbers (`3、`, `（2）`, `(2)`,
  `一、`) stripped;
* similarity is 1.0 for equal normalised names; when one normalised name
  contains the other and the shorter has at least `CONTAINMENT_MIN_CHARS` (4)
  characters (a locality or recipient prefix, `芜湖市艺术剧院有限公司梨簧戏演出补助`
  for `梨簧戏演出补助`), it is 0.9 + 0.05 × Dice (`CONTAINMENT_SIMILARITY` plus a
  grade, so the closer of two containing names wins), or Dice itself when that
  is higher; else the character-bigram Dice coefficient (capped at 0.99). A
  containment match scores below 0.95 unless Dice alone is higher, so with the
  value tie-break it still loses to an exact name; pairs below
  `NAME_THRESHOLD` (0.5) are never aligned;
* a pair's weight is its similarity plus a tie-break of at most
  `VALUE_TIEBREAK` (0.05) for shared values, so two equally similar
  candidates are told apart by their numbers, never a better name by numbers;
* the assignment maximising total weight is found with the Hungarian method
  (`max_weight_assignment`, O(n²·m)).

Values compare as `Decimal`: money (元/万元/亿元) after exact conversion to 元,
anything else (%, 人, …) as written. A fact stated several times (a list)
compares by its sum. Overall figures are micro-averaged: counts are summed
over documents before dividing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from pipeline.check.run import stated_numbers as check_stated_numbers
from pipeline.errors import ConfigError, GoldFormatError
from pipeline.evaluation.gold import gold_files, gold_stem, gold_to_extraction, load_gold
from schemas import (
    MONEY_UNITS,
    Breakdown,
    BreakdownItem,
    CheckReport,
    DocumentExtraction,
    Flag,
    Indicator,
    Project,
    Severity,
    StatedNumber,
)
from schemas.gold import GoldDocument, GoldInconsistency

#: Pairs whose name similarity is below this are never aligned.
NAME_THRESHOLD = 0.5
#: Most a pair's shared values add to its name similarity (a tie-break only).
VALUE_TIEBREAK = 0.05
#: Shortest normalised name that matches by containment (`项目` inside every name must not).
CONTAINMENT_MIN_CHARS = 4
#: Least similarity of a containment match (graded up to 0.95 by Dice, so the value tie-break
#: never lifts it to an exact name's 1.0).
CONTAINMENT_SIMILARITY = 0.9
#: Width of the Dice grade above `CONTAINMENT_SIMILARITY` (at most 1 - it - `VALUE_TIEBREAK`).
CONTAINMENT_GRADE = 0.05
#: Document file suffixes scored when a gold file's stem matches.
DOCUMENT_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
#: Flags of these severities are scored against gold inconsistencies (info is "worth a look").
SCORED_SEVERITIES = frozenset({Severity.ERROR, Severity.WARNING})

ErrorKind = Literal["missed", "spurious", "wrong_value", "unit_mismatch", "ungrounded"]
Section = Literal[
    "projects", "parents", "indicators", "breakdowns", "flags", "check_gold", "grounding", "document"
]

# --- names and similarity ------------------------------------------------------------------------

_QUOTES = str.maketrans("", "", "“”「」『』‘’\"'")
_WHITESPACE = re.compile(r"\s+")
_LIST_NUMBER = re.compile(r"^(?:\([0-9一二三四五六七八九十]+\)|[0-9一二三四五六七八九十]+[、.])")


def normalize_name(name: str) -> str:
    """A name reduced for comparison: NFKC, no quote marks, no whitespace, no leading list number.

    >>> normalize_name("3、项目“2023年 基层医疗机构专项”")
    '项目2023年基层医疗机构专项'
    >>> normalize_name("（2）三支一扶")
    '三支一扶'
    """
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", name).translate(_QUOTES))
    text = unicodedata.normalize("NFKC", text)  # removing a quote can bring combining marks together
    while (match := _LIST_NUMBER.match(text)) and match.end() < len(text):
        text = text[match.end() :]
    return text


def _bigrams(text: str) -> Counter[str]:
    if len(text) < 2:
        return Counter([text])
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


def _dice_names(a: str, b: str) -> float:
    grams_a, grams_b = _bigrams(a), _bigrams(b)
    overlap = sum((grams_a & grams_b).values())
    return 2 * overlap / (sum(grams_a.values()) + sum(grams_b.values()))


def contains_name(a: str, b: str) -> bool:
    """One normalised name inside the other, the shorter at least `CONTAINMENT_MIN_CHARS` long."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= CONTAINMENT_MIN_CHARS and shorter in longer


def similarity(left: str, right: str) -> float:
    """How alike two names are, in [0, 1] (normalised first, see `normalize_name`).

    1.0 for equal names; when one contains the other (`contains_name`)
    0.9 + 0.05 × Dice or Dice, whichever is higher; else the bigram Dice
    coefficient. Never above 0.99 unless equal.

    >>> similarity("梨簧戏演出补助", "芜湖市艺术剧院有限公司梨簧戏演出补助") >= 0.9
    True
    >>> similarity("项目", "芜湖市艺术剧院有限公司项目") < 0.5
    True
    """
    a, b = normalize_name(left), normalize_name(right)
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    dice = min(0.99, _dice_names(a, b))
    if contains_name(a, b):
        return max(dice, CONTAINMENT_SIMILARITY + CONTAINMENT_GRADE * dice)
    return dice


# --- optimal assignment --------------------------------------------------------------------------


def max_weight_assignment(weights: Sequence[Sequence[float | None]]) -> list[tuple[int, int]]:
    """One-to-one pairs `(row, column)` maximising the total weight (Hungarian method).

    `weights[i][j]` is the gain of pairing row i with column j, or `None` when
    the pair is not allowed; only pairs with a positive weight are returned.
    Rectangular matrices are fine; O(n²·m) with n = min(rows, columns).
    """
    rows = len(weights)
    columns = len(weights[0]) if rows else 0
    if rows == 0 or columns == 0:
        return []
    transposed = rows > columns
    if transposed:
        matrix = [[weights[i][j] for i in range(rows)] for j in range(columns)]
        rows, columns = columns, rows
    else:
        matrix = [list(row) for row in weights]
    # cost = -gain; a forbidden pair costs 0, the same as leaving the row unpaired
    cost = [[-(w if w is not None and w > 0 else 0.0) for w in row] for row in matrix]
    infinity = float("inf")
    u = [0.0] * (rows + 1)
    v = [0.0] * (columns + 1)
    owner = [0] * (columns + 1)  # owner[j]: row (1-based) assigned to column j, 0 = free
    way = [0] * (columns + 1)
    for row in range(1, rows + 1):
        owner[0] = row
        column0 = 0
        min_value = [infinity] * (columns + 1)
        used = [False] * (columns + 1)
        while True:
            used[column0] = True
            row0 = owner[column0]
            delta = infinity
            column1 = 0
            for j in range(1, columns + 1):
                if not used[j]:
                    current = cost[row0 - 1][j - 1] - u[row0] - v[j]
                    if current < min_value[j]:
                        min_value[j] = current
                        way[j] = column0
                    if min_value[j] < delta:
                        delta = min_value[j]
                        column1 = j
            for j in range(columns + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    min_value[j] -= delta
            column0 = column1
            if owner[column0] == 0:
                break
        while column0:
            column1 = way[column0]
            owner[column0] = owner[column1]
            column0 = column1
    pairs: list[tuple[int, int]] = []
    for j in range(1, columns + 1):
        i = owner[j]
        if i == 0:
            continue
        gain = matrix[i - 1][j - 1]
        if gain is not None and gain > 0:
            pairs.append((j - 1, i - 1) if transposed else (i - 1, j - 1))
    return sorted(pairs)


def align_by_name(
    gold_names: Sequence[str],
    got_names: Sequence[str],
    shared: Callable[[int, int], float] | None = None,
    threshold: float = NAME_THRESHOLD,
) -> dict[int, int]:
    """Gold index -> extracted index, one-to-one, by name similarity (tie-break: `shared(i, j)` in [0, 1])."""
    weights: list[list[float | None]] = []
    for i, gold_name in enumerate(gold_names):
        row: list[float | None] = []
        for j, got_name in enumerate(got_names):
            score = similarity(gold_name, got_name)
            if score < threshold:
                row.append(None)
                continue
            row.append(score + (VALUE_TIEBREAK * shared(i, j) if shared else 0.0))
        weights.append(row)
    return dict(max_weight_assignment(weights))


# --- values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """A summed value as written (`value`, `unit`) and, when every part is money, exactly in 元."""

    value: Decimal
    unit: str | None
    yuan: Decimal | None

    @classmethod
    def of(cls, numbers: Sequence[StatedNumber]) -> Amount:
        """The sum of stated numbers (a list-valued fact compares by its sum)."""
        raw = sum((n.value for n in numbers), Decimal(0))
        units = {n.unit for n in numbers}
        unit = units.pop() if len(units) == 1 else None
        if numbers and all(n.unit in MONEY_UNITS for n in numbers):
            return cls(raw, unit, sum((n.in_yuan() for n in numbers), Decimal(0)))
        return cls(raw, unit, None)

    def same(self, other: Amount) -> bool:
        """Equal as Decimal: in 元 when both are money, else as written (units compared loosely)."""
        if self.yuan is not None and other.yuan is not None:
            return self.yuan == other.yuan
        return self.value == other.value

    def key(self) -> tuple[Decimal, bool]:
        """A hashable identity for value sets (normalised so 5.4 and 5.40 coincide)."""
        if self.yuan is not None:
            return (self.yuan.normalize(), True)
        return (self.value.normalize(), False)


def describe(numbers: Sequence[StatedNumber]) -> str:
    """Numbers as written with their units, `+`-joined (`13.95万元+0.68万元`)."""
    return "+".join(f"{n.normalized}{n.unit or ''}" for n in numbers)


def _dice(left: set[Any], right: set[Any]) -> float:
    return 2 * len(left & right) / (len(left) + len(right)) if left or right else 0.0


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# --- score records -------------------------------------------------------------------------------


class Score(BaseModel):
    """Precision/recall/F1 from counts; `per_key` splits them (fact key, indicator field, flag rule)."""

    correct: int = 0
    extracted: int = 0
    gold: int = 0
    per_key: dict[str, Score] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        """Correct / extracted; 1.0 when nothing was extracted and nothing was to be."""
        if self.extracted == 0:
            return 1.0 if self.gold == 0 else 0.0
        return self.correct / self.extracted

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        """Correct / gold; 1.0 when gold has nothing."""
        return self.correct / self.gold if self.gold else 1.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


class Accuracy(BaseModel):
    """Correct out of total; 1.0 when there is nothing to get right."""

    correct: int = 0
    total: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0


class Grounding(BaseModel):
    """Extracted numbers whose original-text span reads exactly as the number's `text`."""

    checked: int = 0
    grounded: int = 0
    measured: bool = True

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exact(self) -> float | None:
        """Grounded / checked (1.0 with nothing to check); None when the original text was unavailable."""
        if not self.measured:
            return None
        return self.grounded / self.checked if self.checked else 1.0


class Scores(BaseModel):
    """All figures for one document, or micro-averaged over all of them."""

    projects: Score = Field(default_factory=Score)
    parents: Accuracy = Field(default_factory=Accuracy)
    indicators: Score = Field(default_factory=Score)
    breakdowns: Score = Field(default_factory=Score)
    flags: Score = Field(default_factory=Score)
    grounding: Grounding = Field(default_factory=Grounding)
    check_gold: Score | None = Field(
        default=None, description="the checker run on the gold facts, scored against gold inconsistencies"
    )


class EvalError(BaseModel):
    """One difference between gold and what recon found (`unit_mismatch` and `ungrounded` are not scored)."""

    model_config = ConfigDict(frozen=True)

    kind: ErrorKind
    document: str
    section: Section
    what: str
    gold: str | None = None
    got: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        """Identity across runs, for `--compare`."""
        return (self.kind, self.document, self.section, self.what, self.gold or "", self.got or "")


class DocumentEvaluation(BaseModel):
    """One document's scores and the differences behind them."""

    document: str
    scores: Scores
    errors: list[EvalError] = Field(default_factory=list)


class EvalReport(BaseModel):
    """What `recon eval --json` writes."""

    overall: Scores
    documents: dict[str, Scores] = Field(default_factory=dict)
    errors: list[EvalError] = Field(default_factory=list)
    meta: dict[str, str] = Field(default_factory=dict)


# --- tallies -------------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Mutable counts while scoring; `score()` freezes them into a `Score`."""

    counts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, key: str, correct: int = 0, extracted: int = 0, gold: int = 0) -> None:
        entry = self.counts.setdefault(key, [0, 0, 0])
        entry[0] += correct
        entry[1] += extracted
        entry[2] += gold

    def score(self) -> Score:
        per_key = {
            key: Score(correct=c, extracted=e, gold=g) for key, (c, e, g) in sorted(self.counts.items())
        }
        return Score(
            correct=sum(s.correct for s in per_key.values()),
            extracted=sum(s.extracted for s in per_key.values()),
            gold=sum(s.gold for s in per_key.values()),
            per_key=per_key,
        )


@dataclass
class _Context:
    document: str
    errors: list[EvalError] = field(default_factory=list)

    def error(
        self, kind: ErrorKind, section: Section, what: str, gold: str | None = None, got: str | None = None
    ) -> None:
        self.errors.append(
            EvalError(kind=kind, document=self.document, section=section, what=what, gold=gold, got=got)
        )


def _compare_facts(
    context: _Context,
    tally: _Tally,
    section: Section,
    subject: str,
    gold_facts: dict[str, list[StatedNumber]],
    got_facts: dict[str, list[StatedNumber]],
) -> None:
    """Score one aligned pair's facts (key -> numbers, a list compares by its sum)."""
    for key in sorted(set(gold_facts) | set(got_facts)):
        gold_numbers, got_numbers = gold_facts.get(key, []), got_facts.get(key, [])
        what = f"{subject}.{key}"
        if gold_numbers and got_numbers:
            if Amount.of(gold_numbers).same(Amount.of(got_numbers)):
                tally.add(key, correct=1, extracted=1, gold=1)
            else:
                tally.add(key, extracted=1, gold=1)
                context.error("wrong_value", section, what, describe(gold_numbers), describe(got_numbers))
        elif gold_numbers:
            tally.add(key, gold=1)
            context.error("missed", section, what, gold=describe(gold_numbers))
        elif got_numbers:
            tally.add(key, extracted=1)
            context.error("spurious", section, what, got=describe(got_numbers))


def _value_keys(facts: dict[str, list[StatedNumber]]) -> set[tuple[Decimal, bool]]:
    return {Amount.of([n]).key() for numbers in facts.values() for n in numbers}


# --- projects and parents ------------------------------------------------------------------------


def _project_facts(project: Project) -> dict[str, list[StatedNumber]]:
    return {key.value: list(numbers) for key, numbers in project.facts.items() if numbers}


def align_projects(gold: Sequence[Project], got: Sequence[Project]) -> dict[int, int]:
    """Gold project index -> extracted project index (names, tie-break on shared fact values)."""
    gold_values = [_value_keys(_project_facts(p)) for p in gold]
    got_values = [_value_keys(_project_facts(p)) for p in got]
    return align_by_name(
        [p.name for p in gold], [p.name for p in got], lambda i, j: _dice(gold_values[i], got_values[j])
    )


def score_projects(
    context: _Context, gold: Sequence[Project], got: Sequence[Project]
) -> tuple[Score, Accuracy, dict[int, int]]:
    """Project facts P/R/F1 (per fact key) and parent-link accuracy."""
    alignment = align_projects(gold, got)
    tally = _Tally()
    aligned_got = set(alignment.values())
    for i, project in enumerate(gold):
        j = alignment.get(i)
        if j is None:
            context.error("missed", "projects", project.name, gold=project.name)
        got_facts = _project_facts(got[j]) if j is not None else {}
        _compare_facts(context, tally, "projects", project.name, _project_facts(project), got_facts)
    for j, project in enumerate(got):
        if j not in aligned_got:
            context.error("spurious", "projects", project.name, got=project.name)
            _compare_facts(context, tally, "projects", project.name, {}, _project_facts(project))
    return tally.score(), _score_parents(context, gold, got, alignment), alignment


def _score_parents(
    context: _Context, gold: Sequence[Project], got: Sequence[Project], alignment: dict[int, int]
) -> Accuracy:
    """Fraction of gold sub-projects whose aligned project names the project aligned to the gold parent."""
    index_by_name = {project.name: i for i, project in enumerate(gold)}
    correct = total = 0
    for i, project in enumerate(gold):
        if project.parent is None:
            continue
        total += 1
        what = f"parent of {project.name}"
        j = alignment.get(i)
        parent_index = index_by_name.get(project.parent)
        expected = alignment.get(parent_index) if parent_index is not None else None
        if j is None:
            context.error("missed", "parents", what, gold=project.parent)
            continue
        got_parent = got[j].parent
        if (
            expected is not None
            and got_parent is not None
            and normalize_name(got_parent) == normalize_name(got[expected].name)
        ):
            correct += 1
        else:
            context.error("wrong_value", "parents", what, gold=project.parent, got=got_parent)
    return Accuracy(correct=correct, total=total)


# --- indicators ----------------------------------------------------------------------------------

_INDICATOR_FIELDS = ("target", "actual", "rate")


def _indicator_facts(indicator: Indicator) -> dict[str, list[StatedNumber]]:
    facts: dict[str, list[StatedNumber]] = {}
    for name in _INDICATOR_FIELDS:
        number: StatedNumber | None = getattr(indicator, name)
        if number is not None:
            facts[name] = [number]
    return facts


def _unit_text(unit: str | None) -> str | None:
    return unicodedata.normalize("NFKC", unit).strip() if unit else None


def score_indicators(context: _Context, gold: Sequence[Indicator], got: Sequence[Indicator]) -> Score:
    """Indicator target/actual/rate as facts; a unit mismatch is reported, not scored."""
    gold_values = [_value_keys(_indicator_facts(x)) for x in gold]
    got_values = [_value_keys(_indicator_facts(x)) for x in got]
    alignment = align_by_name(
        [x.name for x in gold], [x.name for x in got], lambda i, j: _dice(gold_values[i], got_values[j])
    )
    tally = _Tally()
    for i, indicator in enumerate(gold):
        j = alignment.get(i)
        got_facts = _indicator_facts(got[j]) if j is not None else {}
        _compare_facts(context, tally, "indicators", indicator.name, _indicator_facts(indicator), got_facts)
        if j is not None:
            gold_unit, got_unit = _unit_text(indicator.unit), _unit_text(got[j].unit)
            if gold_unit and got_unit and gold_unit != got_unit:
                context.error("unit_mismatch", "indicators", indicator.name, gold_unit, got_unit)
    aligned_got = set(alignment.values())
    for j, indicator in enumerate(got):
        if j not in aligned_got:
            _compare_facts(context, tally, "indicators", indicator.name, {}, _indicator_facts(indicator))
    return tally.score()


# --- breakdowns ----------------------------------------------------------------------------------


def _breakdown_weight(gold: Breakdown, got: Breakdown) -> float | None:
    """Aligned when totals are equal or total labels are similar; parts' shared values break ties."""
    same_total = Amount.of([gold.total.amount]).same(Amount.of([got.total.amount]))
    label = similarity(gold.total.label, got.total.label)
    if not same_total and label < NAME_THRESHOLD:
        return None
    gold_parts = {Amount.of([p.amount]).key() for p in gold.parts}
    got_parts = {Amount.of([p.amount]).key() for p in got.parts}
    return (1.0 if same_total else 0.0) + label + VALUE_TIEBREAK * _dice(gold_parts, got_parts)


def _score_parts(
    context: _Context,
    tally: _Tally,
    subject: str,
    gold_parts: Sequence[BreakdownItem],
    got_parts: Sequence[BreakdownItem],
) -> None:
    """Parts of two aligned breakdowns, aligned by label (tie-break: equal value), scored as facts."""
    gold_amounts = [Amount.of([p.amount]) for p in gold_parts]
    got_amounts = [Amount.of([p.amount]) for p in got_parts]
    alignment = align_by_name(
        [p.label for p in gold_parts],
        [p.label for p in got_parts],
        lambda a, b: float(gold_amounts[a].same(got_amounts[b])),
    )
    for a, part in enumerate(gold_parts):
        b = alignment.get(a)
        got_part = {"part": [got_parts[b].amount]} if b is not None else {}
        _compare_facts(
            context, tally, "breakdowns", f"{subject}/{part.label}", {"part": [part.amount]}, got_part
        )
    aligned = set(alignment.values())
    for b, part in enumerate(got_parts):
        if b not in aligned:
            _compare_facts(
                context, tally, "breakdowns", f"{subject}/{part.label}", {}, {"part": [part.amount]}
            )


def score_breakdowns(context: _Context, gold: Sequence[Breakdown], got: Sequence[Breakdown]) -> Score:
    """Each breakdown's total is one fact and each part one fact (parts aligned by label).

    An unaligned gold breakdown counts all its facts missed; an unaligned
    extracted one, all spurious.
    """
    alignment = dict(max_weight_assignment([[_breakdown_weight(g, e) for e in got] for g in gold]))
    tally = _Tally()
    for i, breakdown in enumerate(gold):
        other = got[alignment[i]] if i in alignment else None
        subject = breakdown.total.label
        got_total = {"total": [other.total.amount]} if other is not None else {}
        _compare_facts(context, tally, "breakdowns", subject, {"total": [breakdown.total.amount]}, got_total)
        _score_parts(context, tally, subject, breakdown.parts, other.parts if other is not None else [])
    aligned_got = set(alignment.values())
    for j, breakdown in enumerate(got):
        if j not in aligned_got:
            subject = breakdown.total.label
            _compare_facts(context, tally, "breakdowns", subject, {}, {"total": [breakdown.total.amount]})
            _score_parts(context, tally, subject, [], breakdown.parts)
    return tally.score()


# --- flags ---------------------------------------------------------------------------------------


def scored_flags(flags: Iterable[Flag]) -> list[Flag]:
    """The flags that count against gold inconsistencies (severity error or warning)."""
    return [flag for flag in flags if flag.severity in SCORED_SEVERITIES]


def _flag_weight(gold: GoldInconsistency, flag: Flag) -> float | None:
    """Same rule, and the flag shares the value the gold entry lists first (as Decimal),
    or their subjects are similar. Sharing means being among the flag's values: a
    `conflict` has no natural first statement, so its order is not held against it;
    a flag that also lists it first weighs more."""
    if gold.rule is not flag.rule:
        return None
    gold_first = _decimal(gold.values[0]) if gold.values else None
    flag_values = [_decimal(value) for value in flag.values]
    shares_first = gold_first is not None and gold_first in flag_values
    same_first = shares_first and bool(flag_values) and flag_values[0] == gold_first
    subject = similarity(gold.subject, flag.subject)
    if not shares_first and subject < NAME_THRESHOLD:
        return None
    return 1.0 + (0.25 if shares_first else 0.0) + (0.25 if same_first else 0.0) + 0.5 * subject


def score_flags(
    context: _Context, gold: Sequence[GoldInconsistency], flags: Sequence[Flag], section: Section = "flags"
) -> Score:
    """Checker flags vs gold inconsistencies, one-to-one, per rule."""
    flags = scored_flags(flags)
    alignment = dict(max_weight_assignment([[_flag_weight(g, f) for f in flags] for g in gold]))
    tally = _Tally()
    for i, entry in enumerate(gold):
        matched = i in alignment
        tally.add(entry.rule.value, correct=int(matched), gold=1)
        if not matched:
            context.error(
                "missed", section, f"{entry.rule.value} {entry.subject}", gold=", ".join(entry.values)
            )
    matched_flags = set(alignment.values())
    for j, flag in enumerate(flags):
        tally.add(flag.rule.value, extracted=1)
        if j not in matched_flags:
            context.error("spurious", section, f"{flag.rule.value} {flag.subject}", got=flag.equation)
    return tally.score()


# --- grounding -----------------------------------------------------------------------------------


def stated_numbers(extraction: DocumentExtraction) -> list[StatedNumber]:
    """Every number an extraction states, in a stable order (the checker's own list)."""
    return [number for number, _ in check_stated_numbers(extraction)]


def score_grounding(
    context: _Context, extraction: DocumentExtraction, original_text: str | None
) -> Grounding:
    """Fraction of numbers with `original_text[span.start:span.end] == number.text`."""
    if original_text is None:
        return Grounding(measured=False)
    numbers = stated_numbers(extraction)
    grounded = 0
    for number in numbers:
        found = original_text[number.span.start : number.span.end]
        if found == number.text:
            grounded += 1
        else:
            where = f"[{number.span.start}:{number.span.end}]"
            context.error("ungrounded", "grounding", where, gold=number.text, got=found)
    return Grounding(checked=len(numbers), grounded=grounded)


# --- one document, many documents ----------------------------------------------------------------


def score_document(
    document: str,
    gold: GoldDocument,
    extraction: DocumentExtraction,
    check: CheckReport | None,
    original_text: str | None,
    gold_check: CheckReport | None = None,
) -> DocumentEvaluation:
    """All scores for one document.

    `check` is the checker's report on `extraction`; `gold_check` (optional)
    its report on `gold_to_extraction(gold)`, scored as `check_gold`.
    """
    context = _Context(document)
    expected = gold_to_extraction(gold)
    projects, parents, _ = score_projects(context, expected.projects, extraction.projects)
    indicators = score_indicators(context, expected.indicators, extraction.indicators)
    breakdowns = score_breakdowns(context, expected.breakdowns, extraction.breakdowns)
    flags = score_flags(context, gold.inconsistencies, check.flags if check else [])
    check_gold = (
        score_flags(context, gold.inconsistencies, gold_check.flags, "check_gold") if gold_check else None
    )
    grounding = score_grounding(context, extraction, original_text)
    scores = Scores(
        projects=projects,
        parents=parents,
        indicators=indicators,
        breakdowns=breakdowns,
        flags=flags,
        grounding=grounding,
        check_gold=check_gold,
    )
    return DocumentEvaluation(document=document, scores=scores, errors=context.errors)


def _sum_scores(scores: Sequence[Score]) -> Score:
    tally = _Tally()
    for score in scores:
        for key, part in score.per_key.items():
            tally.add(key, part.correct, part.extracted, part.gold)
    return tally.score()


def combine(scores: Sequence[Scores]) -> Scores:
    """Micro-average: counts summed over documents."""
    check_gold = [s.check_gold for s in scores if s.check_gold is not None]
    groundings = [s.grounding for s in scores]
    return Scores(
        projects=_sum_scores([s.projects for s in scores]),
        parents=Accuracy(
            correct=sum(s.parents.correct for s in scores), total=sum(s.parents.total for s in scores)
        ),
        indicators=_sum_scores([s.indicators for s in scores]),
        breakdowns=_sum_scores([s.breakdowns for s in scores]),
        flags=_sum_scores([s.flags for s in scores]),
        grounding=Grounding(
            checked=sum(g.checked for g in groundings),
            grounded=sum(g.grounded for g in groundings),
            measured=all(g.measured for g in groundings),
        ),
        check_gold=_sum_scores(check_gold) if check_gold else None,
    )


def build_report(evaluations: Sequence[DocumentEvaluation], meta: dict[str, str] | None = None) -> EvalReport:
    """The overall report from per-document evaluations."""
    return EvalReport(
        overall=combine([e.scores for e in evaluations]),
        documents={e.document: e.scores for e in evaluations},
        errors=[error for e in evaluations for error in e.errors],
        meta=meta or {},
    )


# --- floor and compare ---------------------------------------------------------------------------

#: Figures a floor file and `--compare` know, as dotted paths into a report's `overall`.
METRICS: tuple[str, ...] = (
    "projects.precision",
    "projects.recall",
    "projects.f1",
    "parents.accuracy",
    "indicators.precision",
    "indicators.recall",
    "indicators.f1",
    "breakdowns.precision",
    "breakdowns.recall",
    "breakdowns.f1",
    "flags.precision",
    "flags.recall",
    "flags.f1",
    "grounding.exact",
    "check_gold.precision",
    "check_gold.recall",
    "check_gold.f1",
)


def metric(scores: dict[str, Any], path: str) -> float | None:
    """The figure at a dotted path of a dumped `Scores` (None when absent)."""
    node: Any = scores
    for step in path.split("."):
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def floor_failures(report: EvalReport, floor: dict[str, Any]) -> list[str]:
    """One message per figure below its floor (a floor on an unmeasured figure fails too)."""
    overall = report.overall.model_dump(mode="json")
    failures: list[str] = []
    for path, minimum in sorted(floor.items()):
        if path.startswith("_"):
            continue  # comments
        if path not in METRICS or not isinstance(minimum, int | float):
            raise ConfigError(f"floor file: unknown figure or non-numeric floor {path!r}: {minimum!r}")
        value = metric(overall, path)
        if value is None:
            hint = " (run with --check-gold)" if path.startswith("check_gold") else ""
            failures.append(f"{path}: not measured (floor {minimum}){hint}")
        elif value < minimum:
            failures.append(f"{path}: {value:.4f} < floor {minimum}")
    return failures


class MetricChange(BaseModel):
    """One figure before and after."""

    metric: str
    old: float | None
    new: float | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def marker(self) -> str:
        """▲ better, ▼ worse, = unchanged, ? not comparable."""
        if self.old is None or self.new is None:
            return "?"
        if self.new > self.old:
            return "▲"
        if self.new < self.old:
            return "▼"
        return "="


class Comparison(BaseModel):
    """A report against an earlier `--json` file: figures old -> new, errors new and fixed."""

    metrics: list[MetricChange]
    new_errors: list[EvalError]
    fixed_errors: list[EvalError]


def compare_reports(old: dict[str, Any], new: EvalReport) -> Comparison:
    """Compare with an earlier report's JSON (read leniently: missing figures are `None`)."""
    new_overall = new.overall.model_dump(mode="json")
    old_overall = old.get("overall", {}) if isinstance(old.get("overall"), dict) else {}
    changes = [
        MetricChange(metric=path, old=metric(old_overall, path), new=metric(new_overall, path))
        for path in METRICS
        if metric(old_overall, path) is not None or metric(new_overall, path) is not None
    ]
    old_errors: list[EvalError] = []
    for raw in old.get("errors", []):
        try:
            old_errors.append(EvalError.model_validate(raw))
        except ValueError:
            continue  # an error kind this version does not know
    old_keys = {error.key for error in old_errors}
    new_keys = {error.key for error in new.errors}
    return Comparison(
        metrics=changes,
        new_errors=[error for error in new.errors if error.key not in old_keys],
        fixed_errors=[error for error in old_errors if error.key not in new_keys],
    )


# --- I/O: gold files, documents, the pipeline ----------------------------------------------------


@dataclass(frozen=True)
class GoldPair:
    """A gold file and one document it scores."""

    gold_path: Path
    gold: GoldDocument
    document_path: Path


def pair_gold_with_documents(gold_dir: Path, docs_dir: Path, allow_draft: bool = False) -> list[GoldPair]:
    """Each gold file with every document of the same stem (`x.txt`, `x.docx`, `x.pdf`…).

    A draft gold file is refused unless `allow_draft`; a gold file with no
    document is a `ConfigError` (a wrong `--docs` must not score as a perfect run).
    """
    if not docs_dir.is_dir():
        raise ConfigError(f"--docs {docs_dir} is not a directory")
    documents = sorted(p for p in docs_dir.iterdir() if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)
    paths = gold_files(gold_dir)
    if not paths:
        raise ConfigError(f"no *.gold.json files in {gold_dir}")
    pairs: list[GoldPair] = []
    orphans: list[str] = []
    for path in paths:
        gold = load_gold(path)
        if gold.draft and not allow_draft:
            raise GoldFormatError(str(path), "draft", "draft gold file (not yet checked); pass --allow-draft")
        matching = [doc for doc in documents if doc.stem == gold_stem(path)]
        if not matching:
            orphans.append(path.name)
        pairs.extend(GoldPair(path, gold, doc) for doc in matching)
    if orphans:
        raise ConfigError(f"no document in {docs_dir} for gold file(s): {', '.join(orphans)}")
    return pairs


@dataclass(frozen=True)
class Observed:
    """What the pipeline produced for one document (from a fresh run or a stored one)."""

    extraction: DocumentExtraction | None
    check: CheckReport | None
    original_text: str | None
    failure: str | None = None


def evaluate_pairs(
    pairs: Sequence[GoldPair],
    observe: Callable[[Path], Observed],
    checker: Callable[[DocumentExtraction], CheckReport] | None = None,
    check_gold: bool = False,
    meta: dict[str, str] | None = None,
) -> EvalReport:
    """Score every pair; `observe` runs (or loads) the pipeline for a document path (see `cli_eval`).

    A document the pipeline failed on scores as an empty extraction (all
    missed), and the failure is listed among the errors.
    """
    evaluations: list[DocumentEvaluation] = []
    for pair in pairs:
        name = pair.document_path.name
        observed = observe(pair.document_path)
        extraction = observed.extraction or DocumentExtraction(document=name)
        check = observed.check
        if check is None and observed.extraction is not None and checker is not None:
            check = checker(observed.extraction)
        gold_check = checker(gold_to_extraction(pair.gold)) if check_gold and checker is not None else None
        evaluation = score_document(name, pair.gold, extraction, check, observed.original_text, gold_check)
        if observed.failure:
            evaluation.errors.insert(
                0,
                EvalError(
                    kind="missed",
                    document=name,
                    section="document",
                    what="whole document",
                    got=observed.failure,
                ),
            )
        evaluations.append(evaluation)
    return build_report(evaluations, meta)
