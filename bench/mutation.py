"""Mutation benchmark for the arithmetic checker: does it notice a changed number?

For each gold file, the gold facts become an extraction (every number gets a
span of its own so flags can be traced to it). Then, one number at a time, the
number is changed by a random amount that rounding cannot explain (seeded):
at least `(terms of its largest relation + 2)` units of the document's
precision for its unit (one unit for an exact count), and usually 1–30 % of
its value. The mutation counts
as detected when the checker raises a new error/warning flag that names the
mutated number's span.

Only numbers that take part in a relation the checker tests on the unmutated
facts count in the rate (a number in no relation cannot be caught by
arithmetic). Prints figures; it is a benchmark, not a test.

Run: `PYTHONPATH=. python bench/mutation.py [--seed N] [--trials N] [--gold DIR] [-v]`
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from pipeline.check.flows import TestedRelation
from pipeline.check.interval import PERCENT, unit_step
from pipeline.check.run import precision_of, run_checks
from pipeline.evaluation.gold import gold_files, gold_to_extraction, load_gold
from schemas import DocumentExtraction, FactKey, Severity, Span, StatedNumber

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold"


def map_numbers(
    extraction: DocumentExtraction, change: Callable[[StatedNumber, str | None], StatedNumber]
) -> DocumentExtraction:
    """A copy of `extraction` with every stated number passed through `change(number, effective unit)`."""
    projects = [
        project.model_copy(
            update={
                "facts": {
                    key: [
                        change(n, n.unit or (PERCENT if key is FactKey.EXECUTION_RATE else project.unit))
                        for n in numbers
                    ]
                    for key, numbers in project.facts.items()
                }
            }
        )
        for project in extraction.projects
    ]
    indicators = [
        indicator.model_copy(
            update={
                name: change(number, PERCENT if name == "rate" else number.unit or indicator.unit)
                for name in ("target", "actual", "rate")
                if (number := getattr(indicator, name)) is not None
            }
        )
        for indicator in extraction.indicators
    ]
    breakdowns = [
        breakdown.model_copy(
            update={
                "total": breakdown.total.model_copy(
                    update={
                        "amount": change(
                            breakdown.total.amount, breakdown.total.amount.unit or breakdown.unit
                        )
                    }
                ),
                "parts": [
                    part.model_copy(
                        update={"amount": change(part.amount, part.amount.unit or breakdown.unit)}
                    )
                    for part in breakdown.parts
                ],
            }
        )
        for breakdown in extraction.breakdowns
    ]
    statements = [
        statement.model_copy(update={"amount": change(statement.amount, statement.amount.unit)})
        for statement in extraction.statements
    ]
    ratios = [
        ratio.model_copy(
            update={
                name: change(getattr(ratio, name), getattr(ratio, name).unit)
                for name in ("value", "numerator", "denominator")
            }
        )
        for ratio in extraction.ratios
    ]
    return extraction.model_copy(
        update={
            "projects": projects,
            "indicators": indicators,
            "breakdowns": breakdowns,
            "statements": statements,
            "ratios": ratios,
        }
    )


def with_unique_spans(
    extraction: DocumentExtraction,
) -> tuple[DocumentExtraction, dict[int, tuple[StatedNumber, str | None]]]:
    """Give every number the span `[i, i+1)`; returns the numbers by span start.

    A number held by two containers (a breakdown total and the statement derived
    from it) is one number of the text: it keeps one span, and is mutated once."""
    numbers: dict[int, tuple[StatedNumber, str | None]] = {}
    seen: dict[int, StatedNumber] = {}

    def renumber(number: StatedNumber, unit: str | None) -> StatedNumber:
        if id(number) in seen:
            return seen[id(number)]
        start = len(numbers)
        renumbered = number.model_copy(update={"span": Span(start=start, end=start + 1)})
        numbers[start] = (renumbered, unit)
        seen[id(number)] = renumbered
        return renumbered

    return map_numbers(extraction, renumber), numbers


def replacing(start: int, replacement: StatedNumber) -> Callable[[StatedNumber, str | None], StatedNumber]:
    """A `map_numbers` change that swaps in `replacement` for the number spanning from `start`."""

    def change(number: StatedNumber, _unit: str | None) -> StatedNumber:
        return replacement if number.span.start == start else number

    return change


def mutated_text(number: StatedNumber, decimals: int, min_units: int, rng: random.Random) -> str:
    """A value off by a non-rounding amount, written to `decimals` places."""
    step = unit_step(decimals)
    relative = Decimal(rng.randint(1, 30)) / 100
    delta = max((abs(number.value) * relative).quantize(step), min_units * step)
    value = number.value - delta if rng.random() < 0.5 and number.value - delta >= 0 else number.value + delta
    return format(value.quantize(step), "f")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20231)
    parser.add_argument("--trials", type=int, default=3, help="mutations per number")
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    totals: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    by_rule_detected: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    missed: list[str] = []
    for path in gold_files(args.gold):
        extraction, numbers = with_unique_spans(gold_to_extraction(load_gold(path)))
        precision = precision_of(extraction)
        baseline, trace = run_checks(extraction)
        baseline_keys = {flag.key for flag in baseline.flags}
        relations_of: dict[int, list[TestedRelation]] = {}
        for relation in trace:
            for span in relation.spans:
                relations_of.setdefault(span.start, []).append(relation)
        totals["numbers"] += len(numbers)
        for start, (number, unit) in numbers.items():
            relations = relations_of.get(start, [])
            if not relations:
                continue
            totals["in_relation"] += 1
            rules = sorted({relation.rule.value for relation in relations})
            decimals = number.decimals if unit == PERCENT else precision.decimals_for(unit, number.decimals)
            # counts are exact: one unit is already more than rounding; rounded amounts need more
            # than the largest tolerance of their relations (half a unit per number)
            exact = unit != PERCENT and precision.is_exact_unit(unit)
            min_units = 1 if exact else max(len(relation.spans) for relation in relations) + 2
            for _ in range(args.trials):
                text = mutated_text(number, decimals, min_units, rng)
                replacement = number.model_copy(
                    update={"text": text, "normalized": text, "value": Decimal(text)}
                )
                mutant = map_numbers(extraction, replacing(start, replacement))
                report, _ = run_checks(mutant)
                caught = [
                    flag
                    for flag in report.flags
                    if flag.severity is not Severity.INFO
                    and flag.key not in baseline_keys
                    and any(span.start == start for span in flag.spans)
                ]
                totals["mutations"] += 1
                for rule in rules:
                    by_rule[rule] += 1
                if caught:
                    totals["detected"] += 1
                    for rule in rules:
                        by_rule_detected[rule] += 1
                    by_severity[f"{caught[0].rule.value}/{caught[0].severity.value}"] += 1
                else:
                    missed.append(
                        f"{path.name[:3]} {number.normalized}{unit or ''} -> {text} in "
                        + "; ".join(f"{r.rule.value}:{r.subject}" for r in relations)
                    )

    rate = totals["detected"] / totals["mutations"] if totals["mutations"] else 0.0
    print(f"seed {args.seed}, {args.trials} mutation(s) per number")
    print(f"stated numbers in gold facts:           {totals['numbers']}")
    print(f"numbers in a tested relation:           {totals['in_relation']}")
    print(f"mutations of those numbers:             {totals['mutations']}")
    print(f"mutations flagged:                      {totals['detected']}")
    print(f"detection rate:                         {rate:.3f}")
    print("by rule family the number takes part in (detected/mutated):")
    for rule in sorted(by_rule):
        print(f"  {rule:<14} {by_rule_detected[rule]}/{by_rule[rule]}")
    print("first new flag of detected mutations:", dict(sorted(by_severity.items())))
    if missed:
        print(f"missed ({len(missed)}):")
        for line in missed if args.verbose else missed[:15]:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
