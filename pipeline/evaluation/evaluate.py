"""The driver of `recon eval`: gold files paired with their documents, each scored.

`pair_gold_with_documents` reads the gold files and `evaluate_pairs` scores them,
getting each document's extraction from an `observe` callable (a fresh pipeline
run or a stored run, see `pipeline.cli.eval`), so this module never imports the
extraction stages. The jobs it drives live beside it: `align` (pairing by name),
`scorers` (figures and differences), `floors` (floor file and `--compare`); the
`--json` records are `schemas.evaluation`. Their public names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError, GoldFormatError
from pipeline.evaluation.align import align_by_name, max_weight_assignment, normalize_name, similarity
from pipeline.evaluation.floors import METRICS, compare_reports, floor_failures, metric
from pipeline.evaluation.gold import gold_files, gold_stem, gold_to_extraction, load_gold
from pipeline.evaluation.scorers import (
    align_projects,
    build_report,
    combine,
    score_breakdowns,
    score_document,
    score_flags,
    score_grounding,
    score_indicators,
    score_projects,
    scored_flags,
    stated_numbers,
)
from pipeline.i18n import phrase
from schemas import CheckReport, DocumentExtraction
from schemas.evaluation import (
    Accuracy,
    Comparison,
    DocumentEvaluation,
    EvalError,
    EvalReport,
    Grounding,
    MetricChange,
    Score,
    Scores,
)
from schemas.gold import GoldDocument

#: Document file suffixes scored when a gold file's stem matches.
DOCUMENT_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")

__all__ = [
    "METRICS",
    "Accuracy",
    "Comparison",
    "DocumentEvaluation",
    "EvalError",
    "EvalReport",
    "GoldPair",
    "Grounding",
    "MetricChange",
    "Observed",
    "Score",
    "Scores",
    "align_by_name",
    "align_projects",
    "build_report",
    "combine",
    "compare_reports",
    "evaluate_pairs",
    "floor_failures",
    "max_weight_assignment",
    "metric",
    "normalize_name",
    "pair_gold_with_documents",
    "score_breakdowns",
    "score_document",
    "score_flags",
    "score_grounding",
    "score_indicators",
    "score_projects",
    "scored_flags",
    "similarity",
    "stated_numbers",
]


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
        raise ConfigError(phrase("config.not_a_folder", path=docs_dir))
    documents = sorted(p for p in docs_dir.iterdir() if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)
    paths = gold_files(gold_dir)
    if not paths:
        raise ConfigError(phrase("config.no_gold", path=gold_dir))
    pairs: list[GoldPair] = []
    orphans: list[str] = []
    for path in paths:
        gold = load_gold(path)
        if gold.draft and not allow_draft:
            raise GoldFormatError(str(path), "draft", phrase("gold.draft"))
        matching = [doc for doc in documents if doc.stem == gold_stem(path)]
        if not matching:
            orphans.append(path.name)
        pairs.extend(GoldPair(path, gold, doc) for doc in matching)
    if orphans:
        raise ConfigError(phrase("config.gold_orphans", path=docs_dir, names=", ".join(orphans)))
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
