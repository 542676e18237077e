"""Generate samples/004_9e87d6aa48146b78.docx and .pdf with the same content as the .txt.

The DOCX has one paragraph per line of the text, except the seven numbered
performance goals (`1、医卫体制改革持续深化。` …), which are a two-column Word
table (number | goal) so that the sample exercises table extraction. The PDF
(fpdf2, WenQuanYi Micro Hei from Debian's fonts-wqy-microhei) has one line per
text line, wrapped to the page width but never inside an amount (digits, point,
unit), so that every `…万元` amount stays whole on one line. Both files are
byte-for-byte reproducible (fixed dates and zip timestamps).

Usage: `PYTHONPATH=. python scripts/make_samples.py [--font PATH]`.
"""

from __future__ import annotations

import argparse
import io
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.shared import Pt
from fpdf import FPDF

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
SOURCE = SAMPLES / "004_9e87d6aa48146b78.txt"
FIXED_DATE = datetime(2025, 1, 1, tzinfo=timezone.utc)
DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

#: Lines rendered as the rows of a two-column table in the DOCX.
GOAL_LINE_RE = re.compile(r"^([1-7]、)(\D.*)$")
GOALS_HEADING = "（三）预算资金绩效目标。"

#: A wrap may not fall between two of these characters (it would split an amount from its unit).
_KEEP_TOGETHER = set("0123456789.%万亿元年个人家")


def read_lines() -> list[str]:
    return SOURCE.read_text(encoding="utf-8").split("\n")


def make_docx(lines: list[str], target: Path) -> None:
    """Paragraph per line; the goal list after GOALS_HEADING as a 2-column table."""
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.size = Pt(10.5)
    index = 0
    while index < len(lines):
        line = lines[index]
        document.add_paragraph(line)
        index += 1
        if line.strip() == GOALS_HEADING:
            rows: list[tuple[str, str]] = []
            while index < len(lines) and (match := GOAL_LINE_RE.match(lines[index])):
                rows.append((match.group(1), match.group(2)))
                index += 1
            table = document.add_table(rows=len(rows), cols=2)
            table.style = "Table Grid"
            for row, (number, goal) in zip(table.rows, rows, strict=True):
                row.cells[0].text = number
                row.cells[1].text = goal
    document.core_properties.title = "衡阳市卫生健康委员会项目支出绩效自评报告"
    document.core_properties.created = FIXED_DATE.replace(tzinfo=None)
    document.core_properties.modified = FIXED_DATE.replace(tzinfo=None)
    buffer = io.BytesIO()
    document.save(buffer)
    target.write_bytes(_reproducible_zip(buffer.getvalue()))


def _reproducible_zip(data: bytes) -> bytes:
    """The same package with fixed entry timestamps, so re-running gives identical bytes."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
        for item in source.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(item.filename))
    return output.getvalue()


def wrap(pdf: FPDF, line: str, width: float) -> list[str]:
    """Greedy wrap of `line` to `width`, never between two characters of an amount."""
    pieces: list[str] = []
    rest = line
    while rest and pdf.get_string_width(rest) > width:
        cut = 1
        while cut < len(rest) and pdf.get_string_width(rest[: cut + 1]) <= width:
            cut += 1
        while cut > 1 and rest[cut - 1] in _KEEP_TOGETHER and rest[cut] in _KEEP_TOGETHER:
            cut -= 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def make_pdf(lines: list[str], target: Path, font: Path) -> None:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)  # reproducible bytes
    pdf.set_title("衡阳市卫生健康委员会项目支出绩效自评报告")
    pdf.add_font("wqy", fname=str(font), collection_font_number=0)
    pdf.set_font("wqy", size=10.5)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for line in lines:
        for piece in wrap(pdf, line, width):
            pdf.cell(w=width, h=6, text=piece, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(target))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", type=Path, default=DEFAULT_FONT, help="a TTF/TTC font with CJK glyphs")
    args = parser.parse_args()
    lines = read_lines()
    make_docx(lines, SOURCE.with_suffix(".docx"))
    make_pdf(lines, SOURCE.with_suffix(".pdf"), args.font)
    print(f"wrote {SOURCE.with_suffix('.docx')} and {SOURCE.with_suffix('.pdf')}")


if __name__ == "__main__":
    main()
