"""Labelled statements derived from breakdowns, for the checker's `conflict` rule.

A report often states one quantity in two places (2023年度总支出 7347.90 in one
section, 2023年支出 7343.64 in another). Each breakdown total becomes a statement
scoped by the fiscal year, each part a statement scoped by its total, with
labels normalised so the same quantity gets the same label.
"""

from __future__ import annotations

import re

from schemas import Breakdown, Statement


def statement_label(label: str) -> str:
    """`2023年度总支出` and `2023年支出` are the same quantity: drop 度 and a leading 总,
    keep the year (2022年… and 2023年… are different quantities)."""
    label = re.sub(r"((?:19|20)\d{2}年)度", r"\1", label)
    label = re.sub(r"((?:19|20)\d{2}年|^)总", r"\1", label)
    return label.strip()


def statements_from_breakdowns(breakdowns: list[Breakdown], fiscal_year: int | None) -> list[Statement]:
    """Breakdown totals and parts as labelled statements; a part's scope is its total."""
    statements: list[Statement] = []
    scope = str(fiscal_year) if fiscal_year else None
    for breakdown in breakdowns:
        total_label = statement_label(breakdown.total.label)
        if not total_label:
            continue
        statements.append(Statement(label=total_label, scope=scope, amount=breakdown.total.amount))
        for part in breakdown.parts:
            label = statement_label(part.label)
            if not label:
                continue
            part_scope = f"{scope}/{total_label}" if scope else total_label
            statements.append(Statement(label=label, scope=part_scope, amount=part.amount))
    return statements
