"""The candidate-id contract with the model: numbers are marked in the text, the model answers with ids.

Before a chunk goes to the model, code marks every usable number in it with a
short id (`225万元⟦7⟧`, `NumberCandidate`). The response models here refer to
numbers **only by id**; the number, its unit and its span always come from the
candidate, never from the model, so an invented number cannot exist.

`ChunkIds` validates an answer against the chunk's candidates when instructor
passes them as validation context (`{"candidates": {id: {"kind", "text"}}}`,
see `candidate_context`): an id that is not in the chunk, an id whose unit does
not fit its key (money for flows, % for rates) or one id filed under two keys
is refused with a message precise enough for the re-ask (`⟦31⟧ is not in this
chunk`; `⟦4⟧ is 87人次, not money`). Without a context (a cached answer being
re-read) only the shape is checked; grounding drops what does not fit.

Changing these models changes what the model is asked for:
`LLM_IDS_SCHEMA_VERSION` is part of the response cache key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from schemas.extraction import FactKey

#: Part of the cache key; bump when the response models below change.
LLM_IDS_SCHEMA_VERSION = "llm-ids/2"

CandidateKind = Literal["money", "percent", "count", "bare"]

#: The mark written after a number: `⟦7⟧`.
MARK_OPEN, MARK_CLOSE = "⟦", "⟧"

_ID_RE = re.compile(r"-?\d+")


def mark(candidate_id: int) -> str:
    """`⟦7⟧`."""
    return f"{MARK_OPEN}{candidate_id}{MARK_CLOSE}"


class NumberCandidate(BaseModel):
    """One number of the document that a model may refer to: its place, unit and kind.

    `start`/`end` are normalised-text offsets of the digits, `unit_end` the end
    of the unit written after them; `unit` may come from a table header
    (`(万元)`) for a bare cell. `text` is the number and its unit as written;
    `label` what the text calls it (the words before it, or its table row's
    label), used when a model gives a breakdown part without a label.
    """

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    unit_end: int
    unit: str | None
    kind: CandidateKind
    text: str
    label: str = ""


def _as_id(value: Any) -> int | None:
    """An id from what a model wrote: `7`, `"7"`, `"⟦7⟧"`; None for null or "not stated"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.lower() in ("", "null", "none", "-", "无"):
            return None
        match = _ID_RE.search(stripped)
        if match:
            return int(match.group(0))
    raise ValueError(f"expected a candidate id such as 7 (for ⟦7⟧), got {value!r}")


def _as_ids(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [found for item in items if (found := _as_id(item)) is not None]


class _Flat(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class IdProject(_Flat):
    """A project with its money facts as candidate ids: `{"budget_initial": 7, "supplement": [9, 12]}`."""

    name: str
    parent: str | None = None
    facts: dict[str, int | list[int]] = Field(default_factory=dict)

    @field_validator("parent", mode="before")
    @classmethod
    def _parent(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().lower() in ("", "null", "none") else value

    @field_validator("facts", mode="before")
    @classmethod
    def _facts(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return value
        facts: dict[str, int | list[int]] = {}
        for key, raw in value.items():
            ids = _as_ids(raw)
            if not ids:
                continue
            facts[str(key)] = ids if isinstance(raw, list) or len(ids) > 1 else ids[0]
        return facts

    def fact_ids(self) -> list[tuple[str, int]]:
        """(key, id) pairs in the order given."""
        return [
            (key, one) for key, ids in self.facts.items() for one in (ids if isinstance(ids, list) else [ids])
        ]


class IdIndicator(_Flat):
    """A performance indicator: target, actual and rate as candidate ids."""

    name: str
    target: int | None = None
    actual: int | None = None
    rate: int | None = None
    unit: str | None = None
    category: str | None = None

    @field_validator("target", "actual", "rate", mode="before")
    @classmethod
    def _id(cls, value: Any) -> int | None:
        return _as_id(value)


class IdBreakdown(_Flat):
    """A stated total and its parts as candidate ids; `labels[i]` names `parts[i]`.

    Labels are optional: the text already says what each number is, so code reads a label the
    model left out from the words before its number (`ground_ids`), and the model writes ids only.
    """

    total_label: str = ""
    total: int
    parts: list[int] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)

    @field_validator("total", mode="before")
    @classmethod
    def _total(cls, value: Any) -> int:
        found = _as_id(value)
        if found is None:
            raise ValueError("a breakdown needs the id of its total")
        return found

    @field_validator("parts", mode="before")
    @classmethod
    def _parts(cls, value: Any) -> list[int]:
        return [] if value is None else _as_ids(value)


#: Keys whose candidates must be money.
MONEY_KEYS = frozenset(key.value for key in FactKey if key is not FactKey.EXECUTION_RATE)


class ChunkIds(_Flat):
    """Everything the model found in one chunk, by candidate id."""

    projects: list[IdProject] = Field(default_factory=list)
    indicators: list[IdIndicator] = Field(default_factory=list)
    breakdowns: list[IdBreakdown] = Field(default_factory=list)

    @field_validator("projects", "indicators", "breakdowns", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="after")
    def _ids_fit_the_chunk(self, info: ValidationInfo) -> ChunkIds:
        context = info.context if isinstance(info.context, Mapping) else None
        candidates = context.get("candidates") if context else None
        if not isinstance(candidates, Mapping):
            return self
        problems = id_problems(self, candidates)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def candidate_context(candidates: Mapping[int, NumberCandidate]) -> dict[str, Any]:
    """The validation context instructor passes to `ChunkIds` for one chunk."""
    return {"candidates": {i: {"kind": c.kind, "text": c.text} for i, c in candidates.items()}}


def _describe(candidate: Mapping[str, Any]) -> str:
    return str(candidate.get("text", "?"))


def _counts_money(candidate: Mapping[str, Any]) -> bool | None:
    """True for money, False for counts and %, None for a bare number (fits either)."""
    kind = candidate["kind"]
    return None if kind == "bare" else kind == "money"


def id_problems(answer: ChunkIds, candidates: Mapping[int, Mapping[str, Any]]) -> list[str]:
    """Every way `answer` does not fit the chunk's candidates, each a message for the model."""
    problems: list[str] = []

    def known(candidate_id: int) -> Mapping[str, Any] | None:
        found = candidates.get(candidate_id)
        if found is None:
            problems.append(f"{mark(candidate_id)} is not in this chunk")
        return found

    owners: dict[int, str] = {}
    for project in answer.projects:
        for key, candidate_id in project.fact_ids():
            if key not in {k.value for k in FactKey}:
                allowed = ", ".join(k.value for k in FactKey)
                problems.append(f"{key!r} of {project.name} is not a fact key; use one of {allowed}")
                continue
            candidate = known(candidate_id)
            if candidate is None:
                continue
            if key in MONEY_KEYS and candidate["kind"] not in ("money", "bare"):
                problems.append(f"{mark(candidate_id)} is {_describe(candidate)}, not money ({key})")
            elif key not in MONEY_KEYS and candidate["kind"] != "percent":
                problems.append(f"{mark(candidate_id)} is {_describe(candidate)}, not a percentage ({key})")
            role = f"{key} of {project.name}"
            if candidate_id in owners and owners[candidate_id] != role:
                problems.append(
                    f"{mark(candidate_id)} is given as {owners[candidate_id]} and as {role}; "
                    "one number has one role"
                )
            owners.setdefault(candidate_id, role)
    for indicator in answer.indicators:
        for field in ("target", "actual", "rate"):
            candidate_id = getattr(indicator, field)
            if candidate_id is None:
                continue
            candidate = known(candidate_id)
            if candidate is not None and field == "rate" and candidate["kind"] != "percent":
                what = f"{mark(candidate_id)} is {_describe(candidate)}"
                problems.append(f"{what}, not a percentage (rate of {indicator.name})")
    for breakdown in answer.breakdowns:
        total = known(breakdown.total)
        if breakdown.labels and len(breakdown.labels) != len(breakdown.parts):
            name = breakdown.total_label or mark(breakdown.total)
            problems.append(
                f"breakdown {name}: {len(breakdown.parts)} parts but "
                f"{len(breakdown.labels)} labels; give one label per part"
            )
        for part_id in breakdown.parts:
            part = known(part_id)
            if part is None or total is None:
                continue
            part_money, total_money = _counts_money(part), _counts_money(total)
            if part_money is not None and total_money is not None and part_money != total_money:
                problems.append(
                    f"{mark(part_id)} is {_describe(part)} but the total {mark(breakdown.total)} is "
                    f"{_describe(total)}; parts must count what the total counts"
                )
    return list(dict.fromkeys(problems))


def ids_in(answer: ChunkIds) -> Sequence[int]:
    """Every id an answer uses (for accounting)."""
    found = [i for p in answer.projects for _, i in p.fact_ids()]
    found += [v for i in answer.indicators for v in (i.target, i.actual, i.rate) if v is not None]
    found += [v for b in answer.breakdowns for v in (b.total, *b.parts)]
    return found
