"""The LLM-facing view of a chunk's facts, and the records the LLM backend returns.

The response models here are what a model is asked to fill in: small and flat,
so that a 1.5B model can follow them. Every number comes back **as written**
in the chunk (`"9.05万元"`, `"100%"`), every name as written; code — not the
model — parses the numbers into `Decimal` + unit and locates them in the text
(`pipeline.extract.ground`). A number the text does not contain is dropped.

Fields carry no descriptions: the prompt explains every key once, and on a
CPU every schema token costs prompt-reading time. Changing these models
changes what the model is asked for, so
`LLM_SCHEMA_VERSION` is part of the response cache key: bump it with any
change of field names, types or descriptions.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.extraction import DocumentExtraction
from schemas.result import Accounting

#: Part of the cache key; bump when the response models below change.
LLM_SCHEMA_VERSION = "llm-schema/2"

#: Words a model writes for "not stated"; they become `None`, never zero.
_NOT_STATED = {"", "null", "none", "n/a", "na", "-", "—", "无", "未说明", "未提及", "不详", "/"}


def _as_written(value: Any) -> str | None:
    """A model's value as a string, or None for "not stated".

    Small models sometimes answer a JSON number (`9.05`) instead of the string
    as written; it is kept as its decimal text, and grounding then checks it
    against the chunk like any other answer.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        stripped = value.strip()
        return None if stripped.lower() in _NOT_STATED else stripped
    raise ValueError('expected the number as written in the text, e.g. "9.05万元"')


class _Flat(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class LLMProject(_Flat):
    """A budget project (项目) or numbered sub-project, with the money flows stated for it."""

    name: str
    parent: str | None = None
    budget_initial: str | None = None
    carryover_in: str | None = None
    transfer_in: str | None = None
    supplement: list[str] = Field(default_factory=list)
    transfer_out: str | None = None
    reduction: str | None = None
    budget_total: str | None = None
    spent: str | None = None
    carryover_out: str | None = None
    execution_rate: str | None = None

    @field_validator(
        "budget_initial",
        "carryover_in",
        "transfer_in",
        "transfer_out",
        "reduction",
        "budget_total",
        "spent",
        "carryover_out",
        "execution_rate",
        mode="before",
    )
    @classmethod
    def _one_amount(cls, value: Any) -> str | None:
        return _as_written(value)

    @field_validator("parent", mode="before")
    @classmethod
    def _parent(cls, value: Any) -> str | None:
        return _as_written(value)

    @field_validator("supplement", mode="before")
    @classmethod
    def _amounts(cls, value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return [text for item in items if (text := _as_written(item)) is not None]


class LLMIndicator(_Flat):
    """A quantitative performance indicator (绩效指标)."""

    name: str
    target: str | None = None
    actual: str | None = None
    rate: str | None = None
    unit: str | None = None
    category: str | None = None

    @field_validator("target", "actual", "rate", "unit", "category", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> str | None:
        return _as_written(value)


class LLMBreakdownPart(_Flat):
    label: str
    value: str

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any) -> str:
        text = _as_written(value)
        if text is None:
            raise ValueError("a part needs its amount as written")
        return text


class LLMBreakdown(_Flat):
    """A stated total with the stated parts that make it up (其中 / 包括 / 分别)."""

    total_label: str
    total: str
    parts: list[LLMBreakdownPart] = Field(default_factory=list)

    @field_validator("total", mode="before")
    @classmethod
    def _total(cls, value: Any) -> str:
        text = _as_written(value)
        if text is None:
            raise ValueError("a breakdown needs its total as written")
        return text


class ChunkFacts(_Flat):
    """Everything the model found in one chunk."""

    projects: list[LLMProject] = Field(default_factory=list)
    indicators: list[LLMIndicator] = Field(default_factory=list)
    breakdowns: list[LLMBreakdown] = Field(default_factory=list)

    @field_validator("projects", "indicators", "breakdowns", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class ChunkFailure(BaseModel):
    """A chunk the model could not answer after all retries (recorded, the run goes on)."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    reason: str
    attempts: int = 0


class LLMExtractionResult(BaseModel):
    """`extract_document_detailed`'s result: the extraction plus what went wrong where."""

    extraction: DocumentExtraction
    accounting: Accounting
    failures: list[ChunkFailure] = Field(default_factory=list)
    sent_chunks: list[str] = Field(default_factory=list)
    refused: str | None = Field(
        default=None,
        description="why the server refused a request as it would refuse every request (401/403/404: "
        "key, URL or model wrong); the run makes no further model call",
    )
