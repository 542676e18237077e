"""Benchmark: the checker on each gold file's own facts, against the gold `inconsistencies`.

A flag (error or warning; `info` is not a claim) matches a gold entry when the
rule is the same and either the first values or the subjects are equal. A gold
entry is *reachable* when the numbers it names (its `values`) all occur among
the gold facts of the same document; entries that rest on running text only
(statements gold does not record) are not.

Run: `PYTHONPATH=. python bench/check_gold.py [gold_dir] [-v]`
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.check.run import check
from pipeline.evaluation.gold import gold_files, gold_to_extraction, load_gold
from schemas import Flag, Severity
from schemas.gold import GoldDocument, GoldInconsistency

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold"


def matches(flag: Flag, entry: GoldInconsistency) -> bool:
    if flag.rule.value != str(getattr(entry.rule, "value", entry.rule)):
        return False
    same_first = bool(flag.values) and bool(entry.values) and flag.values[0] == entry.values[0]
    return same_first or flag.subject == entry.subject


def reachable(entry: GoldInconsistency, gold: GoldDocument) -> bool:
    """Could a rule see this entry from the gold facts alone (not from running text)?"""
    rule = str(getattr(entry.rule, "value", entry.rule))
    values = list(entry.values)
    if rule in ("flow_identity", "children_sum", "unit", "date"):
        return any(project.name == entry.subject for project in gold.projects)
    if rule == "breakdown_sum":
        return any(
            b.total.value == values[0] and sorted(p.value for p in b.parts) == sorted(values[1:])
            for b in gold.breakdowns
        )
    if rule == "ratio":
        return any(i.rate == values[0] and {i.actual, i.target} <= set(values[1:]) for i in gold.indicators)
    if rule == "conflict":
        names = [project.name for project in gold.projects]
        return names.count(entry.subject) > 1
    return False


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    directory = Path(args[0]) if args else DEFAULT_GOLD
    totals = {"gold": 0, "reachable": 0, "found": 0, "found_reachable": 0, "flags": 0, "true_flags": 0}
    for path in gold_files(directory):
        gold = load_gold(path)
        extraction = gold_to_extraction(gold)
        report = check(extraction)
        claims = [f for f in report.flags if f.severity is not Severity.INFO]
        print(f"== {path.name}: {len(claims)} flags, {report.passed} passed, {len(report.skipped)} skipped")
        for entry in gold.inconsistencies:
            is_reachable = reachable(entry, gold)
            found = any(matches(flag, entry) for flag in claims)
            totals["gold"] += 1
            totals["reachable"] += is_reachable
            totals["found"] += found
            totals["found_reachable"] += found and is_reachable
            mark = "FOUND " if found else "missed"
            print(
                f"  gold {mark} {'reachable  ' if is_reachable else 'unreachable'} "
                f"{entry.rule}: {entry.subject} {entry.values}"
            )
        for flag in claims:
            true = any(matches(flag, entry) for entry in gold.inconsistencies)
            totals["flags"] += 1
            totals["true_flags"] += true
            if verbose or not true:
                print(
                    f"  flag {'ok   ' if true else 'FALSE'} [{flag.severity.value}] "
                    f"{flag.rule.value}: {flag.subject}: {flag.equation}"
                )

    def ratio(a: int, b: int) -> str:
        return f"{a}/{b} = {a / b:.3f}" if b else f"{a}/0"

    print()
    print(f"recall (reachable from gold facts): {ratio(totals['found_reachable'], totals['reachable'])}")
    print(f"recall (all gold inconsistencies):  {ratio(totals['found'], totals['gold'])}")
    print(f"precision (flags matching gold):    {ratio(totals['true_flags'], totals['flags'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
