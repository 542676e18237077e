"""What extraction found in one document: projects, indicators, breakdowns.

Faithful to the text: a flow the text does not state is absent (never 0); a
number whose unit looks wrong keeps the unit as written. Judgement belongs to
the checker. Fact keys and their meaning are those of `shared/GOLD_FORMAT.md`.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.numbers import Span, StatedNumber


class FactKey(str, Enum):
    """Closed list of a project's money facts (GOLD_FORMAT.md)."""

    BUDGET_INITIAL = "budget_initial"
    CARRYOVER_IN = "carryover_in"
    TRANSFER_IN = "transfer_in"
    SUPPLEMENT = "supplement"
    TRANSFER_OUT = "transfer_out"
    REDUCTION = "reduction"
    BUDGET_TOTAL = "budget_total"
    SPENT = "spent"
    CARRYOVER_OUT = "carryover_out"
    EXECUTION_RATE = "execution_rate"


#: Flows that add to a project's sources in the flow identity.
SOURCE_KEYS: tuple[FactKey, ...] = (
    FactKey.BUDGET_INITIAL,
    FactKey.CARRYOVER_IN,
    FactKey.TRANSFER_IN,
    FactKey.SUPPLEMENT,
)
#: Flows subtracted from the sources.
DEDUCTION_KEYS: tuple[FactKey, ...] = (FactKey.TRANSFER_OUT, FactKey.REDUCTION)
#: The uses side.
USE_KEYS: tuple[FactKey, ...] = (FactKey.SPENT, FactKey.CARRYOVER_OUT)


class Project(BaseModel):
    """A budget project or numbered sub-project with the money flows stated for it.

    `facts[key]` is a list because a text may state several amounts of one kind
    (年中追加13.95万元 and 年中调整区级预算0.68万元 are both `supplement`); they add.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    parent: str | None = None
    unit: str | None = None
    facts: dict[FactKey, list[StatedNumber]] = Field(default_factory=dict)
    name_span: Span | None = None
    chunk_id: str | None = None
    source: str = "rules"


class Indicator(BaseModel):
    """A quantitative performance indicator (绩效指标)."""

    model_config = ConfigDict(frozen=True)

    name: str
    target: StatedNumber | None = None
    actual: StatedNumber | None = None
    rate: StatedNumber | None = None
    unit: str | None = None
    category: str | None = None
    name_span: Span | None = None
    chunk_id: str | None = None
    source: str = "rules"


class BreakdownItem(BaseModel):
    """A labelled amount: the total or one part of a breakdown."""

    model_config = ConfigDict(frozen=True)

    label: str
    amount: StatedNumber


class Breakdown(BaseModel):
    """A stated total with the stated parts that make it up (其中/包括/分别).

    `exhaustive` is True when the wording claims the parts make up the whole
    (其中 … and nothing else); a partial list ("包括…等") is False, and the
    checker then only flags parts exceeding the total.
    """

    model_config = ConfigDict(frozen=True)

    unit: str | None = None
    total: BreakdownItem
    parts: list[BreakdownItem]
    exhaustive: bool = True
    chunk_id: str | None = None
    source: str = "rules"


class Statement(BaseModel):
    """A labelled quantity stated in running text, for cross-statement checks.

    Two statements with the same `label` and `scope` (e.g. 总支出, 2023) are the
    same quantity; the checker flags them as `conflict` when they disagree.
    A breakdown part names its total in `part_of` and is scoped by it
    (`part_scope`); it is also the same quantity as a statement with its label
    in its total's scope when both have the same `role` (the kind of money:
    `budget`, `spent`, `income` …; None when unknown, never compared across).
    """

    model_config = ConfigDict(frozen=True)

    label: str
    scope: str | None = None
    amount: StatedNumber
    role: str | None = None
    part_of: str | None = None


def part_scope(scope: str | None, total_label: str) -> str:
    """The scope of a part of the total `total_label` stated in `scope` (`2023/总支出`)."""
    return f"{scope}/{total_label}" if scope else total_label


class StatedRatio(BaseModel):
    """A stated ratio with its numerator and denominator stated too.

    `鼠夹2936个，捕获鼠31只，鼠密度为0.10只/夹` → value 0.10, numerator 31,
    denominator 2936, scale 1; a percentage has scale 100.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    value: StatedNumber
    numerator: StatedNumber
    denominator: StatedNumber
    scale: int = 1


class ScoreLine(BaseModel):
    """One row of a 绩效自评表: an indicator's weight (分值) and the score given (得分).

    `rate` is the row's stated 执行率/完成率 when the row holds one (the 预算执行率 row
    is scored as min(执行率, 100%) × 分值)."""

    model_config = ConfigDict(frozen=True)

    label: str
    weight: StatedNumber | None = None
    score: StatedNumber | None = None
    rate: StatedNumber | None = None
    is_total: bool = False


class YearMention(BaseModel):
    """A year written in a project name or statement (`2033年`)."""

    model_config = ConfigDict(frozen=True)

    year: int
    subject: str
    span: Span


class Coverage(BaseModel):
    """How much of a document's money the extractor understood.

    `placed` counts money amounts given a role (a fact, a breakdown total or part)
    or recognised as not a fact (a date, a standard such as `1000元/生`, a score);
    `money_amounts` counts every money amount in the text. A low ratio on a
    document means its layout was not understood.
    """

    model_config = ConfigDict(frozen=True)

    money_amounts: int = Field(ge=0)
    placed: int = Field(ge=0)

    @property
    def ratio(self) -> float | None:
        """placed / money_amounts, or None for a text with no money amounts."""
        return self.placed / self.money_amounts if self.money_amounts else None


class ModelNote(BaseModel):
    """A model's reading the extraction did not take as fact, kept for review (`recon show`).

    `disagreement`: the model gave a number another role than the rules did (the rules'
    role stays). `proposal`: a role the rules did not give that the checker has something
    against (a relation it breaks, a new flag), so it is not stored as a fact.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["disagreement", "proposal"]
    chunk_id: str | None = None
    number: str
    span: Span
    model_role: str
    rules_role: str | None = None
    reason: str = ""


class DocumentExtraction(BaseModel):
    """Everything extracted from one document, before checking."""

    model_config = ConfigDict(frozen=True)

    document: str
    organization: str | None = None
    fiscal_year: int | None = None
    projects: list[Project] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    breakdowns: list[Breakdown] = Field(default_factory=list)
    statements: list[Statement] = Field(default_factory=list)
    years: list[YearMention] = Field(default_factory=list)
    ratios: list[StatedRatio] = Field(default_factory=list)
    scores: list[ScoreLine] = Field(default_factory=list)
    ungrounded: int = Field(default=0, description="numbers a model returned that are not in the text")
    coverage: Coverage | None = None
    notes: list[ModelNote] = Field(
        default_factory=list, description="model readings kept as disagreements or proposals, not facts"
    )
