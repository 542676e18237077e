"""Labelled statements derived from breakdowns, for the checker's `conflict` rule.

Each breakdown total becomes a statement scoped by the fiscal year, each part a
statement scoped by its total (`part_scope`) that names the total in `part_of`;
labels are normalised and roles read by the rules of `pipeline.check.labels`,
so the same quantity gets the same label.
"""

from __future__ import annotations

import re

from pipeline.check.labels import label_role, part_role, statement_label
from schemas import Breakdown, Statement
from schemas.extraction import part_scope

#: A total labelled only by an aggregator (`共计`, `合计`): it names no particular quantity.
_UNNAMED_TOTAL = re.compile(r"(?:合计|共计|总计|累计|共|小计|总额)")


def statements_from_breakdowns(breakdowns: list[Breakdown], fiscal_year: int | None) -> list[Statement]:
    """Breakdown totals and parts as labelled statements; a part's scope is its total."""
    statements: list[Statement] = []
    scope = str(fiscal_year) if fiscal_year else None
    for breakdown in breakdowns:
        total_label = statement_label(breakdown.total.label, fiscal_year)
        if not total_label or _UNNAMED_TOTAL.fullmatch(total_label):
            continue  # `共计` alone names no quantity: two of them are not one quantity
        statements.append(
            Statement(
                label=total_label,
                scope=scope,
                amount=breakdown.total.amount,
                role=label_role(total_label),
            )
        )
        for part in breakdown.parts:
            label = statement_label(part.label, fiscal_year)
            if not label:
                continue
            statements.append(
                Statement(
                    label=label,
                    scope=part_scope(scope, total_label),
                    amount=part.amount,
                    role=part_role(label, total_label),
                    part_of=total_label,
                )
            )
    return statements
