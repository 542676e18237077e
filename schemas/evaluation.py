"""What `recon eval --json` writes: scores per document and overall, the differences behind
them, and a comparison with an earlier report.

Pure records: the scorers that fill them live in `pipeline.evaluation.scorers`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

ErrorKind = Literal["missed", "spurious", "wrong_value", "unit_mismatch", "ungrounded"]
Section = Literal[
    "projects", "parents", "indicators", "breakdowns", "flags", "check_gold", "grounding", "document"
]


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
