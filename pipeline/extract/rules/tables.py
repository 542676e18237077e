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
    GROUP_ROW,
    INDICATOR_ACTUAL_COLUMN,
    INDICATOR_CATEGORY,
    INDICATOR_NAME_COLUMN,
    INDICATOR_TARGET_COLUMN,
    MONEY_COLUMNS,
    SOURCE_ROW,
    TOTAL_ROW,
)
from pipeline.extract.rules.text import clean_label, label_before
from schemas import FactKey

#: Cell boundaries: `|`, tabs, line ends, and the spaces of a PDF row between a label and a number
#: or between two numbers (normalisation has already removed spaces inside Chinese text).
_CELL_BREAK = re.compile(
    r"[|\t\n]|[ \u3000]{2,}|(?<=[\d%万元])[ \u3000]+(?=[\d\-—－=≥≤<>])"
    r"|(?<=[\u4e00-\u9fff)）])[ \u3000]+(?=[\d\-—－])|(?<=[\d%])[ \u3000]+(?=[\u4e00-\u9fff(（])"
)
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
    """The non-empty cells of `text[start:end]` (see `_CELL_BREAK`)."""
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
    if not stripped:
        return
    offset = start + (len(raw) - len(raw.lstrip()))
    words = stripped.split()
    if len(words) >= 2 and sum(1 for w in words if _is_header_word(w)) >= 2:
        # a header row whose cells a PDF joined with single spaces: `项目名称 年初预算数 全年执行数`
        position = offset
        for word in words:
            at = text.index(word, position, offset + len(stripped))
            found.append(Cell(at, at + len(word), word))
            position = at + len(word)
        return
    cell = Cell(offset, offset + len(stripped), stripped)
    found.extend(_glued_header(cell) or [cell])


#: Header words a PDF may glue into one cell (`年初预算数全年执行数执行率`).
_GLUED_HEADER = re.compile(
    r"(?:项目名称|预算执行率|年初预算数?|全年预算数?|调整(?:后)?预算数?|全年执行数?|执行数|执行率|"
    r"实际支出数?|支出数|决算数|分值|得分)(?:[(（](?:[AB]|B/A[^)）]{0,12})[)）])?"
)
#: A row label glued to its first number (`基本公共卫生服务补助120`).
_GLUED_LABEL = re.compile(
    r"^(?P<label>.*[\u4e00-\u9fff)）])(?P<number>\d+(?:\.\d+)?(?:\s*(?:万元|元|万|%))?)$"
)


def _glued_header(cell: Cell) -> list[Cell] | None:
    """The header words of a cell made only of them, each as its own cell, else None."""
    words = list(_GLUED_HEADER.finditer(cell.text))
    if len(words) < 2 or "".join(w.group() for w in words) != cell.text:
        return None
    return [Cell(cell.start + w.start(), cell.start + w.end(), w.group()) for w in words]


def split_glued_label(cell: Cell) -> list[Cell]:
    """`基本公共卫生服务补助120` as a label cell and a value cell (a row whose spaces were lost)."""
    match = _GLUED_LABEL.match(cell.text)
    if match is None or len(match.group("label")) < 2:
        return [cell]
    cut = cell.start + match.start("number")
    return [Cell(cell.start, cut, match.group("label")), Cell(cut, cell.end, match.group("number"))]


def _is_header_word(word: str) -> bool:
    return len(word) <= 16 and any(pattern.search(word) for pattern, _ in MONEY_COLUMNS)


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
    #: the sources split by group rows (`按收入性质分` … `按支出性质分`): each group sums to the total
    groups: list[list[MoneyRow]] = field(default_factory=list)
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
    while index < len(all_cells) and rows < 12:
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
            table.groups = [[]]
        elif GROUP_ROW.search(label.text):
            table.groups.append([])  # the same total split another way
        else:
            table.sources.append(row)
            table.groups[-1].append(row)
        rows += 1
    return index


# --- a table of projects -----------------------------------------------------------------------

_NAME_HEADER = re.compile(r"^(?:项目名称|项目|名称|资金名称|项目内容|专项名称)$")


@dataclass
class ProjectRowTable:
    """A table with one project per row: `项目名称 | 年初预算 | 全年预算 | 执行数 | 执行率`."""

    columns: list[FactKey | None]
    unit: str
    rows: list[MoneyRow] = field(default_factory=list)
    total: MoneyRow | None = None
    start: int = 0
    end: int = 0


def project_tables(text: str) -> list[ProjectRowTable]:
    """Every table of projects in `text`, its values given the header's unit."""
    all_cells = cells(text)
    tables: list[ProjectRowTable] = []
    index = 0
    while index < len(all_cells):
        if not _NAME_HEADER.match(all_cells[index].text):
            index += 1
            continue
        header = _money_header(all_cells, index + 1)
        unit = _unit_near(text, all_cells[index].start)
        if header is None or unit is None or not any(k is not None for k in header[0]):
            index += 1
            continue
        columns, position = header
        table = ProjectRowTable(columns=columns, unit=unit, start=all_cells[index].start)
        all_cells = all_cells[:position] + [p for c in all_cells[position:] for p in split_glued_label(c)]
        while position < len(all_cells):
            label = all_cells[position]
            if is_value(label) or len(label.text) > 40:
                break
            width = 0
            while (
                position + 1 + width < len(all_cells)
                and width < len(columns)
                and is_value(all_cells[position + 1 + width])
            ):
                width += 1
            if width == 0:
                break
            values = [cell_number(text, c) for c in all_cells[position + 1 : position + 1 + width]]
            row = MoneyRow(label, values + [None] * (len(columns) - width))
            if TOTAL_ROW.search(label.text):
                table.total = row
            else:
                table.rows.append(row)
            position += 1 + width
        table.end = all_cells[position - 1].end
        if len(table.rows) >= 1:
            tables.append(table)
        index = position
    return tables


def row_label(cell: Cell) -> str:
    """A row's label without the 其中 that introduces it and trailing colons."""
    return re.sub(r"^(?:其中)[:：]?", "", cell.text).strip(" ：:")


def number_label(text: str, start: int, floor: int) -> str:
    """What the text calls the number at `start`: the words before it back to `floor` (the previous
    number) or a clause break; in a table, where a number's cell has no words before it, the
    nearest text cell before it (its row's label: `中央财政资金 | 342.07`)."""
    label = clean_label(label_before(text, start, floor)[0])
    if _CJK.search(label):
        return label
    for cell in reversed(cells(text, max(0, floor - _ROW_REACH), start)):
        if not is_value(cell) and _CJK.search(cell.text):
            return clean_label(row_label(cell))
    return ""


_CJK = re.compile(r"[\u4e00-\u9fff]")
#: How far back a table number looks for its row label.
_ROW_REACH = 200


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
