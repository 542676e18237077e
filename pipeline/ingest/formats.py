"""Turn the bytes of one supported file format into plain text (before normalisation).

One function per format; each raises `IngestError` with a one-line reason a
user can act on, and never lets a library exception escape untyped.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import charset_normalizer

from pipeline.errors import IngestError
from pipeline.i18n import phrase

if TYPE_CHECKING:  # python-docx, pdfplumber and pypdfium2 load when a DOCX or PDF is read (start-up)
    import pypdfium2 as pdfium
    from docx.document import Document as DocxDocument
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.table import Table

#: Above this share of control/replacement/unassigned characters, decoded text is refused.
MAX_GARBAGE_RATIO = 0.20
#: At or below this share a strict UTF-8 or GB18030 decoding is taken without trying others
#: (Big5 bytes often decode as GB18030 too, but into private-use characters).
CLEAN_RATIO = 0.01
#: A text that is UTF-8 but for at most this share of bad bytes and control characters is read,
#: with U+FFFD in their place, and a warning.
MAX_REPLACED_RATIO = 0.01

#: Encodings charset-normalizer may choose among when neither UTF-8 nor GB18030 decodes.
#: Restricted on purpose: unrestricted, a short GBK text is easily taken for cp949.
CHINESE_ENCODINGS = ["big5", "big5hkscs", "cp950", "gb18030", "hz", "utf_16", "utf_16_le", "utf_16_be"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_GARBAGE_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
#: Control characters that no report text holds (tab, line and page breaks are kept).
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_MEGABYTE = 1_000_000

BINARY_REASON = phrase("ingest.binary")
NO_TEXT_LAYER_REASON = phrase("ingest.no_text_layer")


#: Characters that are certainly readable (ASCII, Latin, CJK, punctuation), skipped before the
#: per-character category check so that large files stay fast.
_COMMON_RE = re.compile(
    "[\t\n\r\f\v\u0020-\u007e\u00a0-\u024f\u2000-\u2064\u3000-\u303f"
    "\u3400-\u4dbf\u4e00-\u9fff\uff01-\uffbe]+"
)


def garbage_ratio(text: str) -> float:
    """Share of characters that no readable text contains (controls, U+FFFD, unassigned, private use)."""
    if not text:
        return 0.0
    rare = _COMMON_RE.sub("", text)
    bad = sum(
        1
        for char in rare
        if char == "\ufffd"
        or (char not in _ALLOWED_CONTROLS and unicodedata.category(char) in _GARBAGE_CATEGORIES)
    )
    return bad / len(text)


def refuse_garbage(path: str, text: str, what: str) -> None:
    """Raise if `text` is mostly control or replacement characters."""
    ratio = garbage_ratio(text)
    if ratio > MAX_GARBAGE_RATIO:
        raise IngestError(
            path,
            f"unreadable {what}: {ratio:.0%} control or replacement characters "
            f"(limit {MAX_GARBAGE_RATIO:.0%}; wrong encoding or damaged file?)",
        )


def _utf16_without_bom(data: bytes) -> str | None:
    """The codec for BOM-less UTF-16 whose NUL bytes all sit on one parity, else None."""
    if len(data) % 2:
        return None
    nul_at_even = data[0::2].count(0)
    nul_at_odd = data[1::2].count(0)
    if nul_at_odd and not nul_at_even:
        return "utf-16-le"
    if nul_at_even and not nul_at_odd:
        return "utf-16-be"
    return None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _replace_controls(text: str) -> tuple[str, int]:
    """`text` with control characters other than tab and line breaks (NUL, ESC, DEL …) replaced
    by U+FFFD one for one (offsets stay valid), and how many were replaced."""
    count = len(_CONTROL_RE.findall(text))
    return (_CONTROL_RE.sub("\ufffd", text), count) if count else (text, 0)


def _decoded(text: str, encoding: str, invalid: int = 0) -> tuple[str, str, list[str]]:
    """The decoding result: controls replaced, and a warning saying how many characters were replaced."""
    text, controls = _replace_controls(text)
    replaced = invalid + controls
    if not replaced:
        return text, encoding, []
    plural = "" if replaced == 1 else "s"
    what = f"bytes not valid {encoding}, or control characters"
    return text, encoding, [f"decoded with {replaced} replacement character{plural} ({what})"]


def _lenient_utf8(data: bytes) -> tuple[str, str, list[str]] | None:
    """UTF-8 with U+FFFD for what does not decode, when at least 99% of the text is clean
    (one bad byte, a NUL, a cp1252 quote), else None."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    controls = len(_CONTROL_RE.findall(text))
    if (invalid + controls) > MAX_REPLACED_RATIO * len(text):
        return None
    return _decoded(text, "utf-8", invalid)


def decode_text(path: str, data: bytes) -> tuple[str, str, list[str]]:
    """Decoded text, the encoding used and warnings: BOM, strict UTF-8, UTF-8 with at most 1%
    replacement characters, strict GB18030, then detection.

    A strict decoding that yields more than `CLEAN_RATIO` unreadable characters is
    only a candidate; the candidate with the fewest unreadable characters wins.
    Control characters other than tab and line breaks become U+FFFD (one for one).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom) :], encoding.removesuffix("-sig"))
            if text is None:
                raise IngestError(path, f"not a text file: invalid {encoding} after its byte-order mark")
            refuse_garbage(path, text, "text")
            return _decoded(text, encoding)
    if b"\x00" in data:
        encoding_guess = _utf16_without_bom(data)
        text = _strict(data, encoding_guess) if encoding_guess else None
        if text is not None and encoding_guess is not None and garbage_ratio(text) <= MAX_GARBAGE_RATIO:
            return _decoded(text, encoding_guess)
        lenient = _lenient_utf8(data)
        if lenient is None:
            raise IngestError(path, BINARY_REASON)
        return lenient
    candidates: list[tuple[float, int, str, str]] = []
    for encoding in ("utf-8", "gb18030"):
        text = _strict(data, encoding)
        if text is not None:
            ratio = garbage_ratio(text)
            if ratio <= CLEAN_RATIO:
                return _decoded(text, encoding)
            candidates.append((ratio, len(candidates), text, encoding))
        elif encoding == "utf-8" and (lenient := _lenient_utf8(data)) is not None:
            # before GB18030, which reads UTF-8 Chinese with one bad byte as plausible-looking mojibake
            return lenient
    best = charset_normalizer.from_bytes(data, cp_isolation=CHINESE_ENCODINGS).best()
    if best is not None and (text := _strict(data, best.encoding)) is not None:
        candidates.append((garbage_ratio(text), len(candidates), text, best.encoding))
    if not candidates:
        raise IngestError(path, BINARY_REASON)
    _, _, text, encoding = min(candidates)
    refuse_garbage(path, text, "text")
    return _decoded(text, encoding)


# --------------------------------------------------------------------------- script

#: Frequent characters that exist only in Traditional Chinese (their Simplified forms differ).
_TRADITIONAL_ONLY = frozenset(
    "們個這來對說會時國區縣單總計劃報設備購買費開發機關農業產衛醫療護養環運輸電網絡質檢測"
    "學術練職員級號門場廣傳營萬億點數據統結餘額轉專應響變務當處預績項經資財撥執標價實際與為"
)
_CJK_RE = re.compile("[\u4e00-\u9fff]")
#: A text is taken for Traditional Chinese above this share of Traditional-only characters
#: (a Traditional report has 15–25%; a Simplified one none, bar a quoted name).
TRADITIONAL_SHARE = 0.05
_TRADITIONAL_MIN_COUNT = 10

TRADITIONAL_WARNING = (
    "Traditional Chinese script: recon reads Simplified Chinese only, so few or no facts will be "
    "found; convert the file to Simplified first (for example with OpenCC t2s)"
)


def script_warning(text: str) -> str | None:
    """A warning when `text` is written in Traditional Chinese, which the extractors do not read."""
    cjk = len(_CJK_RE.findall(text))
    traditional = sum(1 for char in text if char in _TRADITIONAL_ONLY)
    if traditional >= _TRADITIONAL_MIN_COUNT and traditional > TRADITIONAL_SHARE * cjk:
        return TRADITIONAL_WARNING
    return None


# --------------------------------------------------------------------------- ZIP (DOCX)


@dataclass(frozen=True)
class ZipLimits:
    """What a zipped format (DOCX) may unpack to, checked from its directory before anything is
    decompressed. zipfile never inflates a member past its declared size (a member that lies
    fails its CRC check instead), so the declared sizes are safe to trust as upper bounds."""

    max_unzipped_bytes: int = 100_000_000
    max_ratio: int = 100
    max_members: int = 10_000


DEFAULT_ZIP_LIMITS = ZipLimits()
#: Members smaller than this are not held to `max_ratio` (small, repetitive XML parts compress well).
_RATIO_GRACE_BYTES = 1_000_000
NOT_A_DOCX_REASON = phrase("ingest.not_docx")


def check_zip(path: str, data: bytes, limits: ZipLimits, what: str = "DOCX") -> None:
    """Refuse a zip bomb before decompressing: member count, total unpacked size, per-member ratio."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise IngestError(path, NOT_A_DOCX_REASON) from exc
    if len(members) > limits.max_members:
        reason = f"refused {what}: {len(members)} parts (limit {limits.max_members}); a zip bomb?"
        raise IngestError(path, reason)
    total = sum(member.file_size for member in members)
    if total > limits.max_unzipped_bytes:
        raise IngestError(
            path,
            f"refused {what}: it would unpack to {total / _MEGABYTE:.0f} MB (limit "
            f"{limits.max_unzipped_bytes / _MEGABYTE:.0f} MB, RECON_MAX_UNZIPPED_BYTES); a zip bomb?",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_GRACE_BYTES and ratio > limits.max_ratio:
            raise IngestError(
                path,
                f"refused {what}: part {member.filename!r} is compressed {ratio:.0f}:1 (limit "
                f"{limits.max_ratio}:1, RECON_MAX_ZIP_RATIO); a zip bomb?",
            )


# --------------------------------------------------------------------------- DOCX

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_PARAGRAPH_TAG = f"{{{_W_NS}}}p"
_TABLE_TAG = f"{{{_W_NS}}}tbl"
_ROW_TAG = f"{{{_W_NS}}}tr"
_CELL_TAG = f"{{{_W_NS}}}tc"
_SDT_TAG = f"{{{_W_NS}}}sdt"
_SDT_CONTENT_TAG = f"{{{_W_NS}}}sdtContent"
#: Run content and the text it stands for (w:t carries its own text).
_RUN_CONTENT: dict[str, str] = {
    f"{{{_W_NS}}}tab": "\t",
    f"{{{_W_NS}}}br": "\n",
    f"{{{_W_NS}}}cr": "\n",
    f"{{{_W_NS}}}noBreakHyphen": "-",
}
_TEXT_TAG = f"{{{_W_NS}}}t"
#: Subtrees whose text is not part of the document as it reads (deleted or moved-away
#: revisions; the fallback copy of a text box that also appears in mc:Choice).
_SKIPPED_SUBTREES = frozenset({f"{{{_W_NS}}}del", f"{{{_W_NS}}}moveFrom", f"{{{_MC_NS}}}Fallback"})


def _inline_text(element: BaseOxmlElement) -> str:
    """Text of a paragraph, including what python-docx's `Paragraph.text` leaves out.

    `Paragraph.text` reads only direct `w:r`/`w:hyperlink` children, so the text of
    tracked insertions (`w:ins`), smart tags, simple fields and inline content
    controls would be lost; here every `w:t` below the paragraph counts, in order.
    """
    pieces: list[str] = []

    def visit(node: BaseOxmlElement) -> None:
        for child in node.iterchildren():
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIPPED_SUBTREES:
                continue
            if tag == _TEXT_TAG:
                pieces.append(child.text or "")
            elif tag in _RUN_CONTENT:
                pieces.append(_RUN_CONTENT[tag])
            else:
                visit(child)

    visit(element)
    return "".join(pieces)


def _cell_text(tc: BaseOxmlElement) -> str:
    """A table cell on one line: its paragraphs (and any nested table) joined by spaces."""
    parts: list[str] = []
    for child in tc.iterchildren():
        if child.tag == _PARAGRAPH_TAG:
            parts.append(_inline_text(child))
        elif child.tag == _TABLE_TAG:
            for row in child.iterchildren(_ROW_TAG):
                parts.extend(_cell_text(cell) for cell in row.iterchildren(_CELL_TAG))
        elif child.tag == _SDT_TAG:
            for content in child.iterchildren(_SDT_CONTENT_TAG):
                parts.append(_cell_text(content))
    return " ".join(part.replace("\n", " ") for part in parts if part)


def _table_lines(table: Table) -> list[str]:
    """One line per row, cells joined by a tab; a merged cell appears once."""
    lines: list[str] = []
    for row in table.rows:
        own_cells = set(row._tr.tc_lst)
        cells: list[str] = []
        previous_tc: object = None
        for cell in row.cells:
            tc = cell._tc
            if tc is previous_tc:
                continue  # horizontally merged: python-docx repeats the same cell
            previous_tc = tc
            # A vertically merged continuation is reported as the cell above it: leave it empty.
            cells.append(_cell_text(tc) if tc in own_cells else "")
        lines.append("\t".join(cells))
    return lines


def _block_lines(parent: BaseOxmlElement, document: DocxDocument) -> list[str]:
    from docx.table import Table

    lines: list[str] = []
    for child in parent.iterchildren():
        if child.tag == _PARAGRAPH_TAG:
            lines.append(_inline_text(child))
        elif child.tag == _TABLE_TAG:
            lines.extend(_table_lines(Table(child, document)))
        elif child.tag == _SDT_TAG:
            for content in child.iterchildren(_SDT_CONTENT_TAG):
                lines.extend(_block_lines(content, document))
    return lines


def docx_text(path: str, data: bytes, limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> str:
    """Paragraphs and table rows of the main document body, in document order
    (after `check_zip` has found nothing of a zip bomb)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_zip(path, data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = _block_lines(document.element.body, document)
    except PackageNotFoundError as exc:
        raise IngestError(path, NOT_A_DOCX_REASON) from exc
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, OSError) as exc:
        # lxml's XMLSyntaxError is a SyntaxError
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IngestError(path, phrase("ingest.corrupt_docx", detail=detail)) from exc
    return "\n".join(lines)


# --------------------------------------------------------------------------- PDF


#: A page needs at least this many vector paths (ruling lines) before pdfplumber looks for tables.
_MIN_PATHS_FOR_TABLES = 4
_WHITESPACE_RE = re.compile(r"\s+")


def _visible_chars(text: str) -> Counter[str]:
    return Counter(_WHITESPACE_RE.sub("", text))


def _bounded(textpage: pdfium.PdfTextPage, page_height: float, box: tuple[float, float, float, float]) -> str:
    """pdfium text inside a pdfplumber box `(x0, top, x1, bottom)` (top-left origin)."""
    x0, top, x1, bottom = box
    text: str = textpage.get_text_bounded(
        left=x0, bottom=page_height - bottom, right=x1, top=page_height - top
    )
    return text.replace("\r\n", "\n").strip()


def _table_lines_pdf(table: Any, textpage: pdfium.PdfTextPage, page_height: float) -> list[str]:
    """One line per table row, cells joined by a tab; a spanned (None) cell is not repeated."""
    lines: list[str] = []
    for row in table.rows:
        cells = [
            _WHITESPACE_RE.sub(" ", _bounded(textpage, page_height, cell))
            for cell in row.cells
            if cell is not None
        ]
        lines.append("\t".join(cells))
    return lines


def _page_text_with_tables(
    textpage: pdfium.PdfTextPage, plumber_page: Any, page_width: float, page_height: float
) -> str | None:
    """The page read in horizontal bands, ruled tables as tab-separated rows; None if no table.

    Text above, between and below tables is read as it is; text beside a table
    (left or right of it) follows the table's rows.
    """
    tables = [
        table
        for table in plumber_page.find_tables()
        if len(table.rows) >= 2 and max(len(row.cells) for row in table.rows) >= 2
    ]
    if not tables:
        return None
    tables.sort(key=lambda table: table.bbox[1])
    parts: list[str] = []
    previous_bottom = 0.0
    for table in tables:
        x0, top, x1, bottom = table.bbox
        if top < previous_bottom:
            return None  # side-by-side or overlapping tables: keep the plain text layer
        parts.append(_bounded(textpage, page_height, (0, previous_bottom, page_width, top)))
        parts.append(_bounded(textpage, page_height, (0, top, x0, bottom)))
        parts.extend(_table_lines_pdf(table, textpage, page_height))
        parts.append(_bounded(textpage, page_height, (x1, top, page_width, bottom)))
        previous_bottom = bottom
    parts.append(_bounded(textpage, page_height, (0, previous_bottom, page_width, page_height)))
    return "\n".join(part for part in parts if part)


def _ruled_paths(page: pdfium.PdfPage) -> int:
    import pypdfium2.raw as pdfium_raw

    count = 0
    for _ in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_PATH], max_depth=2):
        count += 1
        if count >= _MIN_PATHS_FOR_TABLES:
            break
    return count


class _TableReader:
    """Opens the PDF with pdfplumber only if some page has ruling lines, and only once."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pdf: Any = None

    def page(self, index: int) -> Any:
        if self.pdf is None:
            import pdfplumber

            self.pdf = pdfplumber.open(io.BytesIO(self.data))
        return self.pdf.pages[index]

    def release(self, page: Any) -> None:
        """Drop what pdfplumber cached for a page read (its characters, lines and layout):
        without it every page of a long PDF stays in memory until the end."""
        page.close()

    def close(self) -> None:
        if self.pdf is not None:
            self.pdf.close()


def _page_text(
    page: pdfium.PdfPage, index: int, tables: _TableReader, warnings: list[str]
) -> str:
    textpage = page.get_textpage()
    try:
        plain: str = textpage.get_text_range()
        if _ruled_paths(page) < _MIN_PATHS_FOR_TABLES:
            return plain
        width, height = page.get_size()
        plumber_page = None
        try:
            plumber_page = tables.page(index)
            banded = _page_text_with_tables(textpage, plumber_page, width, height)
        except Exception as exc:  # tables are only an enhancement: the text layer already read stands
            reason = type(exc).__name__
            warnings.append(f"page {index + 1}: table detection failed ({reason}); read as plain text")
            return plain
        finally:
            if plumber_page is not None:
                tables.release(plumber_page)
        if banded is None:
            return plain
        if _visible_chars(banded) != _visible_chars(plain):
            # Never lose or duplicate text for the sake of table layout.
            return plain
        return banded
    finally:
        textpage.close()


def pdf_text(path: str, data: bytes) -> tuple[str, list[str]]:
    """The text layer of every page, pages joined by a newline, and warnings.

    pypdfium2 reads the text layer. On a page with ruling lines, pdfplumber finds
    the tables, whose rows then become tab-separated lines (cell text still read
    by pdfium); that layout is used only when it has exactly the page's characters.
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "password" in detail.lower():
            raise IngestError(path, phrase("ingest.encrypted_pdf")) from exc
        raise IngestError(path, phrase("ingest.corrupt_pdf", detail=detail)) from exc
    pages: list[str] = []
    warnings: list[str] = []
    tables = _TableReader(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                pages.append(_page_text(page, index, tables, warnings))
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise IngestError(path, f"corrupt PDF: page {len(pages) + 1}: {exc}") from exc
    finally:
        tables.close()
        pdf.close()
    if not any(page.strip() for page in pages):
        raise IngestError(path, NO_TEXT_LAYER_REASON)
    refuse_garbage(path, "".join(pages), "PDF text layer")
    empty = [str(number) for number, page in enumerate(pages, start=1) if not page.strip()]
    if empty:
        warnings.append(f"pages without a text layer (scanned? not read): {', '.join(empty)}")
    return "\n".join(pages), warnings


# --------------------------------------------------------------------------- HTML

_HTML_SKIP = frozenset({"script", "style", "noscript", "template", "title"})
_HTML_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "ul",
        "body",
        "html",
    }
)
_HTML_WHITESPACE_RE = re.compile(r"[ \t\n\r\f]+")


class _HtmlTextParser(HTMLParser):
    """Collects visible text: blocks and <br> as line breaks, table rows as tab-separated lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skip_depth = 0
        self.cell_depth = 0
        self.pre_depth = 0
        self.row_has_cell: list[bool] = []

    def _break(self) -> None:
        self.pieces.append(" " if self.cell_depth else "\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self.skip_depth += 1
        elif tag == "tr":
            if self.cell_depth:
                self.pieces.append(" ")
            else:
                self.pieces.append("\n")
            self.row_has_cell.append(False)
        elif tag in ("td", "th"):
            if self.row_has_cell and self.cell_depth == 0:
                if self.row_has_cell[-1]:
                    self.pieces.append("\t")
                self.row_has_cell[-1] = True
            elif self.cell_depth:
                self.pieces.append(" ")
            self.cell_depth += 1
        elif tag == "br" or tag in _HTML_BLOCK:
            if tag == "pre":
                self.pre_depth += 1
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "tr":
            if self.row_has_cell:
                self.row_has_cell.pop()
            self._break()
        elif tag in ("td", "th"):
            self.cell_depth = max(0, self.cell_depth - 1)
        elif tag in _HTML_BLOCK:
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth and not self.cell_depth:
            self.pieces.append(data.replace("\r\n", "\n"))
        else:
            self.pieces.append(_HTML_WHITESPACE_RE.sub(" ", data))


def html_text(path: str, data: bytes) -> tuple[str, str, list[str]]:
    """Visible text of an HTML page, the encoding it was decoded with and decoding warnings."""
    source, encoding, warnings = decode_text(path, data)
    parser = _HtmlTextParser()
    try:
        parser.feed(source)
        parser.close()
    except (AssertionError, ValueError) as exc:  # html.parser is lenient; defensive only
        raise IngestError(path, f"corrupt HTML: {exc}") from exc
    lines = [line.strip(" ") for line in "".join(parser.pieces).split("\n")]
    lines = [re.sub(r" *\t *", "\t", line) for line in lines]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text, encoding, warnings
