"""The LLM-facing view of a chunk's facts, and the records the LLM backend returns.

The response models here are what a model is asked to fill in: small and flat,
so that a 1.5B model can follow them. Every number comes back **as written**
in the chunk (`"9.05万元"`, `"100%"`), every name as written; code — not the
model — parses the numbers into `Decimal` + unit and locates them in the text
(`pipeline.ground`). A number the text does not contain is dropped.

Changing these models changes what the model is asked for, so
`LLM_SCHEMA_VERSION` is part of the response cache key: bump it with any
change of field names, types or descriptions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.extraction import DocumentExtraction
from schemas.result import Accounting

#: Part of the cache key; bump when the response models below change.
LLM_SCHEMA_VERSION = "llm-schema/1"

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

    name: str = Field(description="project name as written, without quote marks and list numbers")
    parent: str | None = Field(default=None, description="name of the enclosing project for a sub-item")
    budget_initial: str | None = Field(default=None, description='年初预算, as written, e.g. "225万元"')
    carryover_in: str | None = Field(default=None, description="上年结余结转 / 上年结转")
    transfer_in: str | None = Field(default=None, description="年中调增上级转移支付 / 上级补助")
    supplement: list[str] = Field(default_factory=list, description="年中追加 / 追加 amounts, in text order")
    transfer_out: str | None = Field(default=None, description="调剂到其他单位 / 调剂拨付")
    reduction: str | None = Field(default=None, description="调减指标 / 扣减")
    budget_total: str | None = Field(default=None, description="全年预算数 / 调整后预算 (a total)")
    spent: str | None = Field(default=None, description="实际支出 / 支出决算")
    carryover_out: str | None = Field(default=None, description="年末结余结转")
    execution_rate: str | None = Field(default=None, description='预算执行率, e.g. "97.6%"')

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

    name: str = Field(description="indicator name as written")
    target: str | None = Field(default=None, description="指标值 / 目标值, as written")
    actual: str | None = Field(default=None, description="完成值 / 实际完成, as written")
    rate: str | None = Field(default=None, description='完成率, as written, e.g. "100.3%"')
    unit: str | None = Field(default=None, description="unit of target/actual: 人, 个, %, 万元 …")
    category: str | None = Field(default=None, description="产出 / 效益 / 满意度 / 数量 … when stated")

    @field_validator("target", "actual", "rate", "unit", "category", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> str | None:
        return _as_written(value)


class LLMBreakdownPart(_Flat):
    label: str
    value: str = Field(description='amount as written, e.g. "6969.76万元"')

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any) -> str:
        text = _as_written(value)
        if text is None:
            raise ValueError("a part needs its amount as written")
        return text


class LLMBreakdown(_Flat):
    """A stated total with the stated parts that make it up (其中 / 包括 / 分别)."""

    total_label: str = Field(description="e.g. 总支出")
    total: str = Field(description='the total as written, e.g. "7347.90万元"')
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


class Correction(BaseModel):
    """What an arithmetic-guided re-read did about one checker flag.

    `corrected`: the re-read gave grounded numbers that reconcile, and they
    replaced the old ones. `confirmed`: the model read the same numbers again,
    so the flag stands ("confirmed by re-read"). `unresolved`: the re-read
    failed or gave other numbers that still do not reconcile; the old facts stay.
    """

    model_config = ConfigDict(frozen=True)

    flag_key: str
    chunk_id: str
    subject: str
    outcome: Literal["corrected", "confirmed", "unresolved"]
    before: list[str] = Field(default_factory=list, description="numbers as written before the re-read")
    after: list[str] = Field(default_factory=list, description="numbers as written after the re-read")
    note: str = ""


class LLMExtractionResult(BaseModel):
    """`extract_document_detailed`'s result: the extraction plus what went wrong where."""

    extraction: DocumentExtraction
    accounting: Accounting
    failures: list[ChunkFailure] = Field(default_factory=list)
    sent_chunks: list[str] = Field(default_factory=list, description="chunk ids answered or attempted")
