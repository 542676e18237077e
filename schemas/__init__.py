"""The contract between recon's stages and the LLM: pydantic models only.

`schemas` imports nothing from `pipeline`; every stage reads and writes these
objects, never bare dicts.
"""

from schemas.chunk import Chunk
from schemas.document import Document, DocumentFormat, OffsetMap
from schemas.extraction import (
    Breakdown,
    BreakdownItem,
    Coverage,
    DocumentExtraction,
    FactKey,
    Indicator,
    ModelNote,
    Project,
    ScoreLine,
    StatedRatio,
    Statement,
    YearMention,
)
from schemas.flags import CheckReport, Flag, MatchMode, Rule, Severity, SkippedCheck
from schemas.numbers import MONEY_UNITS, Span, StatedNumber
from schemas.result import Accounting, Correction, DocumentResult, DocumentStatus, DocumentSummary, RunSummary

__all__ = [
    "MONEY_UNITS",
    "Accounting",
    "Breakdown",
    "BreakdownItem",
    "CheckReport",
    "Chunk",
    "Correction",
    "Coverage",
    "Document",
    "DocumentExtraction",
    "DocumentFormat",
    "DocumentResult",
    "DocumentStatus",
    "DocumentSummary",
    "FactKey",
    "Flag",
    "Indicator",
    "MatchMode",
    "ModelNote",
    "OffsetMap",
    "Project",
    "Rule",
    "RunSummary",
    "ScoreLine",
    "Severity",
    "SkippedCheck",
    "Span",
    "StatedNumber",
    "StatedRatio",
    "Statement",
    "YearMention",
]
