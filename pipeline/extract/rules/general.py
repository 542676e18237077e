"""The general stages of the rules backend, run together on one document.

candidates → tables → discourse (projects and their flows) → table breakdowns and
table indicators, turned into `schemas` objects with their spans in the original
text, plus the document's money coverage.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.check.labels import FACT_ROLES
from pipeline.extract.rules.candidates import Candidate, Kind, find_candidates, with_header_units
from pipeline.extract.rules.lexicon import FACT_WORDS
from pipeline.extract.rules.projects import BreakdownDraft, DiscourseReader, ProjectDraft, similar, sum_close
from pipeline.extract.rules.roles import clause_start, money_role
from pipeline.extract.rules.tables import (
    IndicatorRow,
    MoneyRow,
    MoneyTable,
    indicator_rows,
    money_tables,
    project_tables,
    row_label,
)
from pipeline.numbers import stated_number
from schemas import (
    Breakdown,
    BreakdownItem,
    Coverage,
    Document,
    FactKey,
    Indicator,
    Project,
    Span,
    StatedNumber,
    Statement,
)

#: Columns whose funding-source rows are a breakdown of the total row.
_BREAKDOWN_COLUMNS = {FactKey.BUDGET_TOTAL: "全年预算数", FactKey.SPENT: "全年执行数"}


@dataclass(frozen=True)
class GeneralResult:
    """What the general stages found in one document."""

    projects: list[Project]
    breakdowns: list[Breakdown]
    indicators: list[Indicator]
    placed: set[int]
    candidates: list[Candidate]
    restated: list[tuple[str, FactKey, StatedNumber, StatedNumber]] = field(default_factory=list)


#: The general stages, by the name `extract(disabled=…)` and `bench/ablation.py` use.
STAGES: tuple[str, ...] = (
    "money_tables",
    "lists",
    "prose",
    "trailing_totals",
    "indicator_tables",
    "text_indicators",
)


def read_general(
    document: Document, organization: str | None, taken: set[int], disabled: frozenset[str] = frozenset()
) -> GeneralResult:
    """Run the general stages; `taken` holds start offsets other passes already used."""
    text = document.text
    candidates = with_header_units(
        text, find_candidates(text), lambda start, floor: money_role(text, start, start, floor) is not None
    )
    tables = [] if "money_tables" in disabled else money_tables(text)
    _give_table_units(tables)
    listed = [] if "money_tables" in disabled else project_tables(text)
    for table in listed:
        table.rows = [_row_with_unit(row, table.columns, table.unit) for row in table.rows]
        if table.total is not None:
            table.total = _row_with_unit(table.total, table.columns, table.unit)
    result = DiscourseReader(text, candidates, tables, organization, taken, disabled, listed).read()
    projects = [_project(document, draft) for draft in result.projects]
    breakdowns = [b for table in tables for b in _table_breakdowns(document, table)]
    breakdowns += [_list_breakdown(document, draft) for draft in result.breakdowns]
    if "trailing_totals" not in disabled:
        known = {b.total.amount.span for b in breakdowns}
        for draft in trailing_totals(text, candidates):
            found_breakdown = _list_breakdown(document, draft)
            if found_breakdown.total.amount.span not in known:
                breakdowns.append(found_breakdown)
    placed = set(result.placed)
    for breakdown in breakdowns:
        placed.update(_start(document, item.amount) for item in (breakdown.total, *breakdown.parts))
    rows = [] if "indicator_tables" in disabled else indicator_rows(text)
    indicators = [_indicator(document, row) for row in rows]
    # a bare number in a money table is money too: count it with the unit of the table's header
    table_money = {
        value.start: value
        for table in tables
        for row in ([table.total] if table.total else []) + table.sources
        for value in row.values
        if value is not None and value.kind is Kind.MONEY
    }
    candidates = [table_money.get(c.start, c) for c in candidates]
    restated = [
        (r.project, r.key, _number(document, r.first), _number(document, r.again)) for r in result.restated
    ]
    found = [i for i in indicators if i is not None]
    return GeneralResult(projects, breakdowns, found, placed, candidates, restated)


def restated_statements(
    restated: list[tuple[str, FactKey, StatedNumber, StatedNumber]], fiscal_year: int | None
) -> list[Statement]:
    """A project's fact stated twice: both statements of one quantity, for the `conflict` rule."""
    scope = str(fiscal_year) if fiscal_year else None
    statements: list[Statement] = []
    for project, key, first, again in restated:
        if first.value == again.value and first.unit == again.unit:
            continue  # stated alike twice: nothing for the checker to compare
        label = f"{project}{FACT_WORDS.get(key, key.value)}"
        if key in FACT_ROLES:
            # the checker compares a statement naming a project's fund with the project's own
            # fact of that role (`pipeline.check.labels`): the second statement is enough
            statements.append(Statement(label=label, scope=scope, amount=again))
            continue
        statements += [
            Statement(label=label, scope=scope, amount=first),
            Statement(label=label, scope=scope, amount=again),
        ]
    return statements


def coverage(document: Document, candidates: list[Candidate], placed: set[int]) -> Coverage:
    """Money amounts placed (given a role, or known not to be a fact) over all money amounts."""
    money = [c for c in candidates if c.kind is Kind.MONEY]
    understood = sum(1 for c in money if c.start in placed or c.excluded is not None)
    return Coverage(money_amounts=len(money), placed=understood)


def cost_statements(
    projects: list[Project], indicators: list[Indicator], fiscal_year: int | None
) -> list[Statement]:
    """A cost indicator (成本指标) in money named after a project states what the project spent:
    it becomes a statement of that spending, which the checker compares with the project's."""
    statements: list[Statement] = []
    scope = str(fiscal_year) if fiscal_year else None
    for indicator in indicators:
        actual = indicator.actual
        if actual is None or not actual.is_money or indicator.category not in (None, "成本"):
            continue
        for project in projects:
            spent = project.facts.get(FactKey.SPENT, [])
            if not spent or similar(indicator.name, project.name) < 0.9:
                continue
            # the checker compares a statement naming a project's fund with the project's own
            # fact of the same role (`pipeline.check.labels`): the spending is stated once more
            statements.append(Statement(label=f"{project.name}实际支出", scope=scope, amount=actual))
    return statements


def _give_table_units(tables: list[MoneyTable]) -> None:
    """A bare number in a money table takes the unit of the table's header."""
    for table in tables:
        rows = [table.total, *table.sources] if table.total else table.sources
        for row in rows:
            if row is None:
                continue
            row.values = [
                None if key is None else _with_unit(value, table.unit, key is FactKey.EXECUTION_RATE)
                for key, value in zip(table.columns, row.values, strict=True)
            ]


def _row_with_unit(row: MoneyRow, columns: list[FactKey | None], unit: str) -> MoneyRow:
    values = [
        None if key is None else _with_unit(value, unit, key is FactKey.EXECUTION_RATE)
        for key, value in zip(columns, row.values, strict=True)
    ]
    return MoneyRow(row.label, values)


def _with_unit(value: Candidate | None, unit: str, is_rate: bool) -> Candidate | None:
    if value is None:
        return None
    if is_rate:
        return value if value.kind is Kind.PERCENT else None
    if value.kind is Kind.BARE and value.excluded in (None, "score"):
        return Candidate(value.start, value.end, unit, value.unit_end, Kind.MONEY)
    return value if value.kind is Kind.MONEY else None


def _number(document: Document, candidate: Candidate) -> StatedNumber:
    unit = candidate.unit if candidate.kind is not Kind.BARE else None
    return stated_number(document, candidate.start, candidate.end, unit)


def _start(document: Document, number: StatedNumber) -> int:
    # placed offsets are normalised; map the original span back by search in the offset map
    return _normalized_start(document, number.span.start)


def _normalized_start(document: Document, original: int) -> int:
    mapping = document.offsets.to_original
    lo, hi = 0, len(mapping) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if mapping[mid] < original:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _project(document: Document, draft: ProjectDraft) -> Project:
    facts = {key: [_number(document, c) for c in numbers] for key, numbers in draft.facts.items()}
    units = Counter(
        n.unit for key, numbers in facts.items() if key is not FactKey.EXECUTION_RATE for n in numbers
    )
    start, end = document.offsets.original_span(draft.name_start, draft.name_end)
    return Project(
        name=draft.name,
        parent=draft.parent,
        unit=units.most_common(1)[0][0] if units else None,
        facts=facts,
        name_span=Span(start=start, end=end),
        source="rules",
    )


def _table_breakdowns(document: Document, table: MoneyTable) -> list[Breakdown]:
    if table.total is None:
        return []
    found: list[Breakdown] = []
    for column, (key, value) in enumerate(zip(table.columns, table.total.values, strict=True)):
        if key not in _BREAKDOWN_COLUMNS or value is None:
            continue
        for group in table.groups:
            parts = [
                BreakdownItem(label=row_label(row.label), amount=_number(document, part))
                for row in group
                if (part := row.values[column]) is not None
            ]
            if not parts:
                continue
            label = f"{row_label(table.total.label)}({_BREAKDOWN_COLUMNS[key]})"
            found.append(
                Breakdown(
                    unit=table.unit,
                    total=BreakdownItem(label=label, amount=_number(document, value)),
                    parts=parts,
                    exhaustive=True,
                )
            )
    return found


#: A total written after its parts: an aggregator right before the amount (`…，共计237万元`).
_TRAILING_TOTAL = re.compile(r"(?:合计|共计|总计|累计|共)[为是]?$")
#: What may stand between two parts of a list: a short label and a list separator.
_PART_GAP = re.compile(r"^[^。；;！？\n]{0,16}$")


def trailing_totals(text: str, candidates: list[Candidate]) -> list[BreakdownDraft]:
    """Totals written after their parts (`分配A县93万元，B县52万元，…，共计237万元`): the
    contiguous run of same-unit amounts just before the total, when it adds up to it."""
    money = [c for c in candidates if c.kind is Kind.MONEY and c.usable]
    found: list[BreakdownDraft] = []
    for index, total in enumerate(money):
        if not _TRAILING_TOTAL.search(text[max(0, total.start - 4) : total.start]):
            continue
        parts: list[tuple[str, Candidate]] = []
        position = total.start
        for part in reversed(money[:index]):
            gap = re.sub(r"[（(][^（()）]*[）)]", "", text[part.unit_end : position])  # asides: 〔2023〕12号
            if part.unit != total.unit or not _PART_GAP.match(gap) or "其中" in gap:
                break
            parts.insert(0, ("", part))
            position = part.start
            if sum_close(text, total, [c for _, c in parts]):
                break
        if len(parts) < 2 or not sum_close(text, total, [c for _, c in parts]):
            continue
        labelled = []
        for i, (_, part) in enumerate(parts):
            floor = parts[i - 1][1].unit_end if i else clause_start(text, part.start)
            label = re.split(r"[，,、；;：:（(]", text[floor : part.start])[-1]
            label = re.sub(r"^(?:19|20)\d{2}年度?", "", label)
            label = re.sub(r"^(?:分配至|分配到|分配给|其中|用于|给予)", "", label).strip()
            labelled.append((label or "分项", part))
        head = re.split(r"[，,。；;：:]", text[max(0, total.start - 30) : total.start])[-1]
        found.append(BreakdownDraft(head.strip() or "合计", total, labelled))
    return found


def _list_breakdown(document: Document, draft: BreakdownDraft) -> Breakdown:
    total = _number(document, draft.total)
    return Breakdown(
        unit=total.unit,
        total=BreakdownItem(label=draft.label, amount=total),
        parts=[BreakdownItem(label=label, amount=_number(document, c)) for label, c in draft.parts],
        exhaustive=True,
    )


def _indicator(document: Document, row: IndicatorRow) -> Indicator | None:
    name = re.sub(r"^[★☆*]+|[(（][^)）]*\*\*[^)）]*[)）]|[(（]?[≥≤<>]=?\*\*.*$", "", row.name.text).strip()
    if len(name) < 2:
        return None
    target = _number(document, row.target) if row.target is not None else None
    actual = _number(document, row.actual) if row.actual is not None else None
    unit = (actual.unit if actual is not None else None) or (target.unit if target is not None else None)
    start, end = document.offsets.original_span(row.name.start, row.name.end)
    return Indicator(
        name=name,
        target=target,
        actual=actual,
        unit=unit,
        category=row.category,
        name_span=Span(start=start, end=end),
        source="rules",
    )


def table_units(text: str) -> dict[int, Candidate]:
    """Cells of money tables, by start offset, with the unit of their table's header (`(万元)`)."""
    tables = money_tables(text)
    _give_table_units(tables)
    found: dict[int, Candidate] = {}
    for table in tables:
        for row in [table.total, *table.sources]:
            if row is None:
                continue
            for value in row.values:
                if value is not None:
                    found[value.start] = value
    return found
