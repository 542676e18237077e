"""Quick scorer for the rules indicator extractor against the gold set.

For each seed, extracted indicators are aligned to gold indicators by
normalised name (NFKC, quote marks removed) with a greedy best match on
difflib ratio >= 0.6; the `target`, `actual` and `rate` fields are the facts.
A fact is a true positive when an aligned pair states the same value for the
same field; every other extracted fact is a false positive and every other gold
fact a false negative. Spans are checked too: each number's span must slice
the original text back to the number's text.

    python -m bench.score_indicators [--seeds DIR] [--gold DIR] [--verbose] [--official]

`--official` also prints the indicator score `recon eval` reports
(`pipeline.evaluation.scorers.indicator_score`: bigram Dice names, Hungarian alignment).
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from pipeline.extract.rules.indicators import extract_indicators
from pipeline.ingest.read import ingest
from schemas import Document, Indicator

#: Defaults are the repository's own seeds and gold (copies of the shared set).
REPO = Path(__file__).resolve().parent.parent
FIELDS = ("target", "actual", "rate")
MIN_RATIO = 0.6
_QUOTES = "“”‘’\"'「」『』《》"


def sighting_key(name: str) -> str:
    """NFKC, quote marks removed, whitespace removed."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if ch not in _QUOTES and not ch.isspace())


def load_document(path: Path) -> Document:
    """The document as the pipeline reads it (`pipeline.ingest.read`)."""
    return ingest(path)


@dataclass
class Score:
    """Fact counts for one document (or the sum over documents)."""

    true_positives: int = 0
    extracted: int = 0
    gold: int = 0
    bad_spans: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def add(self, other: Score) -> None:
        self.true_positives += other.true_positives
        self.extracted += other.extracted
        self.gold += other.gold
        self.bad_spans += other.bad_spans


def _facts_of_extracted(indicator: Indicator) -> dict[str, str]:
    facts: dict[str, str] = {}
    for field_name in FIELDS:
        number = getattr(indicator, field_name)
        if number is not None:
            facts[field_name] = number.normalized
    return facts


def _facts_of_gold(entry: dict[str, Any]) -> dict[str, str]:
    return {field_name: str(entry[field_name]) for field_name in FIELDS if entry.get(field_name) is not None}


def align(extracted: list[Indicator], gold: list[dict[str, Any]]) -> list[tuple[int, int, float]]:
    """Greedy best-first pairs (extracted index, gold index, ratio) with ratio >= MIN_RATIO.

    Among equally similar names, a pair that agrees on more facts wins, so two
    gold entries named alike are not swapped.
    """
    candidates: list[tuple[float, int, int, int]] = []
    for i, indicator in enumerate(extracted):
        name = sighting_key(indicator.name)
        facts = _facts_of_extracted(indicator)
        for j, entry in enumerate(gold):
            ratio = SequenceMatcher(None, name, sighting_key(entry["name"])).ratio()
            if ratio >= MIN_RATIO:
                gold_facts = _facts_of_gold(entry)
                agree = sum(1 for key, value in facts.items() if gold_facts.get(key) == value)
                candidates.append((ratio, agree, i, j))
    candidates.sort(key=lambda item: (-item[1], -item[0]))
    used_extracted: set[int] = set()
    used_gold: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for ratio, _, i, j in candidates:
        if i in used_extracted or j in used_gold:
            continue
        used_extracted.add(i)
        used_gold.add(j)
        pairs.append((i, j, ratio))
    return pairs


def score_document(
    document: Document, extracted: list[Indicator], gold: list[dict[str, Any]], verbose: bool = False
) -> Score:
    """Fact-level score of `extracted` against `gold` for one document."""
    score = Score()
    for indicator in extracted:
        facts = _facts_of_extracted(indicator)
        score.extracted += len(facts)
        for field_name in FIELDS:
            number = getattr(indicator, field_name)
            if number is None:
                continue
            if document.original_text[number.span.start : number.span.end] != number.text:
                score.bad_spans += 1
    for entry in gold:
        score.gold += len(_facts_of_gold(entry))
    pairs = align(extracted, gold)
    matched_extracted = {i for i, _, _ in pairs}
    matched_gold = {j for _, j, _ in pairs}
    for i, j, ratio in pairs:
        facts = _facts_of_extracted(extracted[i])
        gold_facts = _facts_of_gold(gold[j])
        hits = sum(1 for key, value in facts.items() if gold_facts.get(key) == value)
        score.true_positives += hits
        if verbose and (hits != len(facts) or hits != len(gold_facts)):
            print(f"  ~ {extracted[i].name} {facts}  <->  {gold[j]['name']} {gold_facts}  ({ratio:.2f})")
    if verbose:
        for i, indicator in enumerate(extracted):
            if i not in matched_extracted:
                print(f"  + {indicator.name} {_facts_of_extracted(indicator)} {indicator.unit}")
        for j, entry in enumerate(gold):
            if j not in matched_gold:
                print(f"  - {entry['name']} {_facts_of_gold(entry)} {entry.get('unit')}")
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=REPO / "samples")
    parser.add_argument("--gold", type=Path, default=REPO / "eval" / "gold")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--official", action="store_true", help="also score with recon eval's scorer")
    args = parser.parse_args()
    total = Score()
    official = Score()
    print(f"{'document':<28} {'P':>6} {'R':>6} {'F1':>6}  tp/ext/gold  bad_spans")
    for gold_path in sorted(args.gold.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        document = load_document(args.seeds / gold["document"])
        extracted = extract_indicators(document, [])
        if args.verbose:
            print(f"== {gold['document']}")
        score = score_document(document, extracted, gold["indicators"], args.verbose)
        total.add(score)
        print(
            f"{gold['document']:<28} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f}"
            f"  {score.true_positives}/{score.extracted}/{score.gold}  {score.bad_spans}"
        )
        if args.official:
            official.add(_official_score(gold_path, extracted))
    print(
        f"{'overall':<28} {total.precision:6.3f} {total.recall:6.3f} {total.f1:6.3f}"
        f"  {total.true_positives}/{total.extracted}/{total.gold}  {total.bad_spans}"
    )
    if args.official:
        print(
            f"{'official (recon eval)':<28} {official.precision:6.3f} {official.recall:6.3f}"
            f" {official.f1:6.3f}  {official.true_positives}/{official.extracted}/{official.gold}"
        )


def _official_score(gold_path: Path, extracted: list[Indicator]) -> Score:
    """The indicator score of `pipeline.evaluation.evaluate` for one document, as fact counts."""
    from pipeline.evaluation import scorers
    from pipeline.evaluation.gold import gold_to_extraction, load_gold

    gold = load_gold(gold_path)
    result = scorers.indicator_score(gold_to_extraction(gold).indicators, extracted, gold_path.name)
    print(
        f"  official {gold_path.name[:3]}: P {result.precision:.3f} R {result.recall:.3f} F1 {result.f1:.3f}"
        f"  {result.correct}/{result.extracted}/{result.gold}"
    )
    return Score(true_positives=result.correct, extracted=result.extracted, gold=result.gold)


if __name__ == "__main__":
    main()
