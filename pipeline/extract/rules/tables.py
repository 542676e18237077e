"""Stage 4 of the rules backend: forms and tables, however they were flattened.

A self-evaluation form reaches us as `|`-delimited rows, one cell per line,
tab-separated cells or a mix. This module turns any of these into one flat
sequence of cells and reads the two tables every form of this genre has:

- the money table: a header row of columns (年初预算数, 全年预算数, 全年执行数,
  执行率, 分值, 得分) under a `(万元)` unit, a 年度资金总额 row and the rows of its
  funding sources (其中：中央财政资金 …);
- the indicator table: 三级指标, 指标值, 实际完成值 (and 分值/得分, which are
  scores, never facts), with the 二级指标 (数量指标 …) carried down as category.

Glued cells whose boundaries are lost (OCR) are not split by guesswork.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.extract.rules.candidates import Candidate, Kind, find_candidates
from pipeline.extract.rules.lexicon import (
    INDICATOR_ACTUAL_COLUMN,
    INDICATOR_CATEGORY,
    INDICATOR_NAME_COLUMN,
    INDICATOR_TARGET_COLUMN,
    MONEY_COLUMNS,
    SOURCE_ROW,
    TOTAL_ROW,
)
from schemas import FactKey

_CELL_BREAK = re.compile(r"[|\t\n]")
_UNIT_HEADER = re.compile(r"[(（]\s*(万元|元|亿元)\s*[)）]|单位[:：]\s*(万元|元|亿元)")
_PLACEHOLDER = re.compile(r"^[—\-－/／]+$")
_VALUE = re.compile(r"^[=≥≤><＞＜]*=?\s*\d+(?:\.\d+)?\s*[\u4e00-\u9fff%％‰/*·]*$")
_TARGET_PREFIX = re.compile(r"^\s*(?:[=≥≤><＞＜]=?|不低于|不少于|不高于|不超过|达到|大于|小于)")


@dataclass(frozen=True)
class Cell:
    """One cell's text (stripped) at normalised `[start, end)`."""

    start: int
    end: int
    text: str


def cells(text: str, start: int = 0, end: int | None = None) -> list[Cell]:
    """The non-empty cells of `text[start:end]`, split at `|`, tabs and line ends."""
    stop = len(text) if end is None else end
    found: list[Cell] = []
    position = start
    for match in _CELL_BREAK.finditer(text, start, stop):
        _add_cell(text, position, match.start(), found)
        position = match.end()
    _add_cell(text, position, stop, found)
    return found


def _add_cell(text: str, start: int, end: int, found: list[Cell]) -> None:
    raw = text[start:end]
    stripped = raw.strip()
    if stripped:
        offset = start + (len(raw) - len(raw.lstrip()))
        found.append(Cell(offset, offset + len(stripped), stripped))


def is_value(cell: Cell) -> bool:
    """A cell that holds one number (with unit or comparison sign) or a placeholder dash."""
    return bool(_VALUE.match(cell.text) or _PLACEHOLDER.match(cell.text))


def cell_number(text: str, cell: Cell) -> Candidate | None:
    """The one usable number in a value cell, or None for a placeholder."""
    if _PLACEHOLDER.match(cell.text):
        return None
    found = [c for c in find_candidates(text, cell.start, cell.end) if c.excluded in (None, "score")]
    return found[0] if len(found) == 1 else None


# --- the money table ---------------------------------------------------------------------------


@dataclass
class MoneyRow:
    """A row of the money table: its label and one value per column (None: blank or dash)."""

    label: Cell
    values: list[Candidate | None]


@dataclass
class MoneyTable:
    """A money table: column keys (None for score columns), the unit, the total row, source rows."""

    columns: list[FactKey | None]
    unit: str
    total: MoneyRow | None = None
    sources: list[MoneyRow] = field(default_factory=list)
    start: int = 0
    end: int = 0


def _column_key(cell: Cell) -> tuple[bool, FactKey | None]:
    for pattern, key in MONEY_COLUMNS:
        if pattern.search(cell.text) and len(cell.text) <= 24:
            return True, key
    return False, None


def money_tables(text: str) -> list[MoneyTable]:
    """Every money table of a form in `text`."""
    all_cells = cells(text)
    tables: list[MoneyTable] = []
    index = 0
    while index < len(all_cells):
        header = _money_header(all_cells, index)
        if header is None:
            index += 1
            continue
        columns, after = header
        unit = _unit_near(text, all_cells[index].start)
        if unit is None or not any(key is not None for key in columns):
            index = after
            continue
        table = MoneyTable(columns=columns, unit=unit, start=all_cells[index].start)
        index = _money_rows(text, all_cells, after, table)
        table.end = all_cells[index - 1].end if index else 0
        if table.total is not None:
            tables.append(table)
    return tables


def _money_header(all_cells: list[Cell], index: int) -> tuple[list[FactKey | None], int] | None:
    columns: list[FactKey | None] = []
    position = index
    while position < len(all_cells):
        is_column, key = _column_key(all_cells[position])
        if not is_column:
            break
        columns.append(key)
        position += 1
    if len(columns) < 2:
        return None
    return columns, position


def _unit_near(text: str, position: int) -> str | None:
    window = text[max(0, position - 80) : position + 200]
    match = _UNIT_HEADER.search(window)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def _money_rows(text: str, all_cells: list[Cell], index: int, table: MoneyTable) -> int:
    rows = 0
    while index < len(all_cells) and rows < 8:
        label = all_cells[index]
        if is_value(label):
            index += 1
            continue
        is_total = bool(TOTAL_ROW.search(label.text)) and table.total is None
        is_source = table.total is not None and bool(SOURCE_ROW.search(label.text)) and len(label.text) <= 30
        if not (is_total or is_source):
            break
        index += 1
        values: list[Candidate | None] = []
        while index < len(all_cells) and is_value(all_cells[index]) and len(values) < len(table.columns):
            values.append(cell_number(text, all_cells[index]))
            index += 1
        row = MoneyRow(label, values + [None] * (len(table.columns) - len(values)))
        if is_total:
            table.total = row
        else:
            table.sources.append(row)
        rows += 1
    return index


def row_label(cell: Cell) -> str:
    """A row's label without the 其中 that introduces it and trailing colons."""
    return re.sub(r"^(?:其中)[:：]?", "", cell.text).strip(" ：:")


# --- the indicator table -----------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    """One row of an indicator table."""

    name: Cell
    target: Candidate | None
    actual: Candidate | None
    target_cell: Cell | None
    category: str | None


def indicator_rows(text: str) -> list[IndicatorRow]:
    """The quantitative rows of every indicator table in `text`."""
    all_cells = cells(text)
    rows: list[IndicatorRow] = []
    index = 0
    while index < len(all_cells):
        if not INDICATOR_NAME_COLUMN.search(all_cells[index].text) or len(all_cells[index].text) > 12:
            index += 1
            continue
        layout = _indicator_layout(all_cells, index)
        if layout is None:
            index += 1
            continue
        value_columns, index = layout
        index = _indicator_body(text, all_cells, index, value_columns, rows)
    return rows


def _indicator_layout(all_cells: list[Cell], index: int) -> tuple[list[str], int] | None:
    """Column roles after the name column: 'target', 'actual' or 'other'."""
    roles: list[str] = []
    position = index + 1
    while position < len(all_cells) and len(roles) < 6:
        text = all_cells[position].text
        if len(text) > 16:
            break
        if INDICATOR_TARGET_COLUMN.search(text):
            roles.append("target")
        elif INDICATOR_ACTUAL_COLUMN.search(text):
            roles.append("actual")
        elif re.search(r"分值|得分|权重|评分|自评", text):
            roles.append("other")
        elif re.search(r"偏差|原因|措施|备注|说明", text):
            roles.append("text")
        else:
            break
        position += 1
    if "target" not in roles and "actual" not in roles:
        return None
    while roles and roles[-1] == "text":
        roles.pop()  # trailing free-text columns: often blank, so never counted on
    return roles, position


def _indicator_body(
    text: str, all_cells: list[Cell], index: int, roles: list[str], rows: list[IndicatorRow]
) -> int:
    category: str | None = None
    misses = 0
    while index < len(all_cells) and misses < 6:
        cell = all_cells[index]
        if INDICATOR_NAME_COLUMN.search(cell.text) and len(cell.text) <= 12:
            return index
        if found := INDICATOR_CATEGORY.search(cell.text):
            category = re.sub(r"指标$", "", found.group(0))
            index += 1
            continue
        if (
            is_value(cell)
            or len(cell.text) > 40
            or re.search(r"一级指标|二级指标|指标$|指标[(（]", cell.text)
        ):
            index += 1
            continue
        if index + 1 < len(all_cells) and not _value_like(all_cells[index + 1]):
            index += 1  # free text (a reason, a note) between rows: no name without values after it
            continue
        values: list[Cell] = []
        for following in all_cells[index + 1 : index + 1 + len(roles)]:
            if not _value_like(following):
                break
            values.append(following)
        target = actual = None
        target_cell = None
        for role, value in zip(roles, values, strict=False):
            if role == "target" and _quantity(value):
                target, target_cell = cell_number(text, value), value
            elif role == "actual" and _quantity(value):
                actual = cell_number(text, value)
        if target is None and actual is None:
            misses += 1
            index += 1
            continue
        misses = 0
        rows.append(IndicatorRow(cell, target, actual, target_cell, category))
        index += 1 + len(values)
    return index


def _value_like(cell: Cell) -> bool:
    """A cell that can stand in a value column: a number, a dash or a short word (是, 及时)."""
    return is_value(cell) or (len(cell.text) <= 12 and not INDICATOR_CATEGORY.search(cell.text))


def _quantity(cell: Cell) -> bool:
    return bool(_VALUE.match(cell.text)) and not _PLACEHOLDER.match(cell.text)


def is_target_cell(cell: Cell | None) -> bool:
    return cell is not None and bool(_TARGET_PREFIX.match(cell.text))


def money_kind(candidate: Candidate | None) -> bool:
    return candidate is not None and candidate.kind in (Kind.MONEY, Kind.BARE)
