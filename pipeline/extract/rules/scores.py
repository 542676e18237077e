"""Read the scoring columns of a 绩效自评表 (分值, 得分, 执行率) from table rows.

Tables reach the normalised text as one line per row with tab-separated cells
(DOCX, HTML and ruled PDF tables). A header row naming both 分值 and 得分 opens a
table; each following row with the same number of cells is a `ScoreLine`:
its label (the last text cell before 分值), its weight, its score and, where the
header has a 执行率/完成率 column, its rate. A row labelled 总分/合计 is the total.
Rows whose cells do not line up with the header (merged cells) are left out
rather than guessed.
"""

from __future__ import annotations

import re

from pipeline.numbers import stated_number
from schemas import Document, ScoreLine, StatedNumber

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_TOTAL = re.compile(r"总分|合计|总计")


def _cells(line: str, offset: int) -> list[tuple[str, int]]:
    """The row's cells with their offsets in the normalised text."""
    cells: list[tuple[str, int]] = []
    position = offset
    for cell in line.split("\t"):
        cells.append((cell, position))
        position += len(cell) + 1
    return cells


def _column(header: list[tuple[str, int]], *words: str) -> int | None:
    for index, (cell, _) in enumerate(header):
        if any(word in cell for word in words):
            return index
    return None


def _number_in(document: Document, cell: tuple[str, int], unit: str | None) -> StatedNumber | None:
    text, offset = cell
    match = _NUMBER.search(text)
    if match is None or _NUMBER.search(text, match.end()):
        return None  # an empty cell, or one holding prose with several numbers
    return stated_number(document, offset + match.start(), offset + match.end(), unit)


def extract_scores(document: Document) -> list[ScoreLine]:
    """Every scored row of every 自评表 in the document, in text order."""
    lines: list[ScoreLine] = []
    header: list[tuple[str, int]] | None = None
    columns: tuple[int, int, int | None] = (0, 0, None)
    offset = 0
    for line in document.text.split("\n"):
        cells = _cells(line, offset)
        offset += len(line) + 1
        if "\t" not in line:
            header = None
            continue
        weight_column = _column(cells, "分值")
        score_column = _column(cells, "得分")
        if weight_column is not None and score_column is not None:
            header = cells
            columns = (weight_column, score_column, _column(cells, "执行率", "完成率"))
            continue
        if header is None or len(cells) != len(header):
            continue
        weight_at, score_at, rate_at = columns
        texts = [cell.strip() for cell, _ in cells[:weight_at]]
        label_at = _column(header, "三级指标", "指标名称")
        named = texts[label_at] if label_at is not None and label_at < len(texts) else ""
        label = named or next((text for text in reversed(texts) if text and not re.search(r"\d", text)), "")
        weight = _number_in(document, cells[weight_at], None)
        score = _number_in(document, cells[score_at], None)
        rate = _number_in(document, cells[rate_at], "%") if rate_at is not None else None
        if weight is None and score is None:
            continue
        lines.append(
            ScoreLine(label=label, weight=weight, score=score, rate=rate, is_total=bool(_TOTAL.search(label)))
        )
    return lines
