"""What the arithmetic checker reports: frozen flag records and skipped checks."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from schemas.numbers import Span


class Rule(str, Enum):
    """Rule families, named as in GOLD_FORMAT.md (`score` is the 自评表 arithmetic)."""

    FLOW_IDENTITY = "flow_identity"
    CHILDREN_SUM = "children_sum"
    BREAKDOWN_SUM = "breakdown_sum"
    RATIO = "ratio"
    UNIT = "unit"
    CONFLICT = "conflict"
    DATE = "date"
    SCORE = "score"


class Severity(str, Enum):
    """`error`: outside the rounding interval; `warning`: outside it but within
    2·10⁻ᵈ (a likely rounding habit); `info`: worth a look, not a failure."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class MatchMode(str, Enum):
    """How a stated percentage was compared with the recomputed ratio."""

    ROUND = "round"
    TRUNCATE = "truncate"


class Flag(BaseModel):
    """One relation that does not reconcile.

    `values` are the numbers as written (normalised), the stated total or rate
    first, as in gold `inconsistencies`. `equation` is written out with the
    stated numbers (`225 + 9.05 = 234.05 ≠ 228.65 + 5.4 = 234.05`).
    """

    model_config = ConfigDict(frozen=True)

    rule: Rule
    severity: Severity
    subject: str
    message: str
    equation: str
    values: list[str]
    stated: Decimal | None = None
    recomputed: Decimal | None = None
    difference: Decimal | None = None
    tolerance: Decimal | None = None
    unit: str | None = None
    spans: list[Span] = Field(default_factory=list)
    match_mode: MatchMode | None = None
    details: str | None = None
    #: `details` as a message key and its parameters, so a reader sees it in their language
    details_code: str | None = None
    details_params: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identity of the flag across runs: rule, subject and the numbers involved."""
        return "|".join([self.rule.value, self.subject, *self.values])


class SkippedCheck(BaseModel):
    """A relation that could not be tested, and why (shown by `recon show`).

    `reason` is in English (stable for other tools); `code` and `params` are the same
    reason as a message key and its parameters, rendered in the reader's language.
    """

    model_config = ConfigDict(frozen=True)

    rule: Rule
    subject: str
    reason: str
    code: str | None = None
    params: dict[str, str] = Field(default_factory=dict)


class CheckReport(BaseModel):
    """The checker's output for one document."""

    model_config = ConfigDict(frozen=True)

    flags: list[Flag] = Field(default_factory=list)
    skipped: list[SkippedCheck] = Field(default_factory=list)
    passed: int = Field(default=0, description="relations tested that reconcile")
