"""Benchmark: what each stage of the rules backend adds, on the samples and on the corpus.

Each row turns one pass or stage off, re-runs the rules backend on every gold
document and prints the overall F1 figures, next to the run with everything on.
A stage whose row equals the full run adds nothing on that gold set.

Run: `PYTHONPATH=. python bench/ablation.py [--corpus DIR] [--samples DIR]`
(defaults: the repository's samples/ with eval/gold/, and ../shared/corpus found
beside the repository).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from pipeline.check.run import check
from pipeline.evaluation.evaluate import EvalReport, Observed, evaluate_pairs, pair_gold_with_documents
from pipeline.extract.complete import complete
from pipeline.extract.rules.extract import TEMPLATE_PASSES, extract
from pipeline.extract.rules.general import STAGES
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.read import ingest

ROOT = Path(__file__).resolve().parent.parent
FIGURES = (
    ("projects", "f1"),
    ("parents", "accuracy"),
    ("indicators", "f1"),
    ("breakdowns", "f1"),
    ("flags", "f1"),
)


def observe(path: Path, disabled: frozenset[str]) -> Observed:
    document = ingest(path)
    extraction = complete(extract(document, chunk_document(document), disabled), document)
    return Observed(extraction, check(extraction), document.original_text)


def figures(report: EvalReport) -> list[str]:
    overall = report.overall.model_dump()
    out: list[str] = []
    for section, key in FIGURES:
        value = overall.get(section, {}).get(key)
        out.append("  —  " if value is None else f"{value:.3f}")
    return out


def score(gold: Path, docs: Path, disabled: frozenset[str]) -> list[str]:
    pairs = pair_gold_with_documents(gold, docs)
    return figures(evaluate_pairs(pairs, partial(observe, disabled=disabled)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=Path, default=ROOT / "samples")
    parser.add_argument("--samples-gold", type=Path, default=ROOT / "eval" / "gold")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    sets = [("samples", args.samples_gold, args.samples)]
    if (args.corpus / "gold").is_dir():
        sets.append(("corpus", args.corpus / "gold", args.corpus / "texts"))
    else:
        print(f"no corpus at {args.corpus}: samples only", file=sys.stderr)
    names = ("proj", "par", "ind", "bdn", "flag")
    print(" " * 28 + "".join(f"{name:<{7 * len(FIGURES)}}" for name, _, _ in sets))
    print("stage off".ljust(28) + "".join(f"{n:>7}" for _ in sets for n in names))
    rows = [("(none: everything on)", frozenset[str]())]
    rows += [(name, frozenset({name})) for name in (*TEMPLATE_PASSES, *STAGES)]
    for label, disabled in rows:
        cells = [cell for _, gold, docs in sets for cell in score(gold, docs, disabled)]
        print(label.ljust(28) + "".join(cell.rjust(7) for cell in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
