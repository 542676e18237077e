"""Ingest: discovery, every format from fixtures made at test time, bad inputs, bundled samples."""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import IngestError
from pipeline.ingest.read import discover, ingest, ingest_text
from pipeline.numbers import NUMBER_RE, stated_number
from schemas import DocumentFormat
from tests.conftest import SEEDS

SAMPLE_STEM = "004_9e87d6aa48146b78"
CHINESE = "本单位2023年度总支出7347.90万元，其中：项目支出6969.76万元。"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _ingest_error(path: Path, max_bytes: int = 20_000_000) -> IngestError:
    with pytest.raises(IngestError) as caught:
        ingest(path, max_bytes=max_bytes)
    error = caught.value
    assert error.path == str(path)
    assert "\n" not in error.reason
    return error


def _pdf_with_text(lines: list[str], blank_pages: int = 0) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    for line in lines:
        pdf.cell(w=0, h=8, text=line, new_x="LMARGIN", new_y="NEXT")
    for _ in range(blank_pages):
        pdf.add_page()
    return bytes(pdf.output())


# --------------------------------------------------------------------------- txt


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        pytest.param("utf-8", "utf-8", id="utf-8"),
        pytest.param("utf-8-sig", "utf-8-sig", id="utf-8-bom"),
        pytest.param("gbk", "gb18030", id="gbk-short"),
        pytest.param("gb18030", "gb18030", id="gb18030"),
        pytest.param("utf-16", "utf-16-le", id="utf-16-bom"),
        pytest.param("utf-16-be", "utf-16-be", id="utf-16-be-bom"),
    ],
)
def test_txt_encodings_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    data = CHINESE.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = _write(tmp_path / "report.txt", data)
    document = ingest(path)
    assert document.encoding == expected
    assert document.original_text == CHINESE
    assert document.format is DocumentFormat.TXT
    assert document.name == "report.txt"
    assert document.size == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_very_short_gbk_is_not_taken_for_korean(tmp_path: Path) -> None:
    path = _write(tmp_path / "short.txt", "项目支出".encode("gbk"))
    assert ingest(path).original_text == "项目支出"


def test_big5_falls_back_to_detection(tmp_path: Path) -> None:
    # These Big5 bytes also decode as GB18030, but into private-use characters.
    text = "預算執行率為百分之九十，項目支出情況良好。" * 3
    document = ingest(_write(tmp_path / "big5.txt", text.encode("big5")))
    assert document.original_text == text
    assert document.encoding is not None and document.encoding != "gb18030"


def test_utf16_without_bom_ascii_heavy(tmp_path: Path) -> None:
    text = "Budget 2023: 1234.56 wan yuan\n"
    document = ingest(_write(tmp_path / "u16.txt", text.encode("utf-16-le")))
    assert document.original_text == text
    assert document.encoding == "utf-16-le"


# --------------------------------------------------------------------------- docx


def _docx_with_merged_table(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("一、项目概况")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "项目名称（合并）"
    table.cell(0, 2).text = "金额"
    table.cell(1, 0).text = "基层医疗"
    table.cell(1, 1).text = "225万元"
    table.cell(1, 2).text = "备注甲"
    table.cell(2, 0).text = "公共卫生"
    table.cell(2, 1).text = "1,234.5万元"
    table.cell(1, 2).merge(table.cell(2, 2))  # vertical merge: text stays in row 1 only
    document.add_paragraph("二、结论：支出合计1459.5万元。")
    document.save(str(path))
    return path


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    document = ingest(_docx_with_merged_table(tmp_path / "report.docx"))
    lines = document.original_text.split("\n")
    assert lines == [
        "一、项目概况",
        "项目名称（合并）\t金额",
        "基层医疗\t225万元\t备注甲",
        "公共卫生\t1,234.5万元\t",
        "二、结论：支出合计1459.5万元。",
    ]
    assert document.original_text.count("项目名称（合并）") == 1
    assert document.original_text.count("备注甲") == 1
    assert "公共卫生\t1234.5万元" in document.text
    assert document.format is DocumentFormat.DOCX
    assert document.encoding is None


def test_docx_tracked_insertions_and_fields_count_deletions_do_not(tmp_path: Path) -> None:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    document = docx.Document()
    document.add_paragraph("placeholder")
    paragraph_xml = (
        f'<w:p xmlns:w="{w}"><w:r><w:t>年中追加</w:t></w:r>'
        '<w:ins w:id="1" w:author="a"><w:r><w:t>13.95万元</w:t></w:r></w:ins>'
        '<w:del w:id="2" w:author="a"><w:r><w:delText>99万元</w:delText></w:r></w:del>'
        '<w:smartTag w:uri="u" w:element="e"><w:r><w:t>，合计</w:t></w:r></w:smartTag>'
        '<w:fldSimple w:instr="PAGE"><w:r><w:t>7</w:t></w:r></w:fldSimple>'
        '<w:r><w:tab/><w:t>完</w:t></w:r></w:p>'
    )
    body = document.element.body
    body.replace(body[0], parse_xml(paragraph_xml))
    path = tmp_path / "revisions.docx"
    document.save(str(path))
    assert ingest(path).original_text == "年中追加13.95万元，合计7\t完"


# --------------------------------------------------------------------------- pdf


def test_pdf_text_layer(tmp_path: Path) -> None:
    path = _write(tmp_path / "report.pdf", _pdf_with_text(["Budget 1,234.56 total", "Rate 98.5 %"]))
    document = ingest(path)
    assert document.format is DocumentFormat.PDF
    assert "Budget 1234.56 total" in document.text
    assert "Rate 98.5%" in document.text
    match = re.search(r"1234\.56", document.text)
    assert match is not None
    assert stated_number(document, match.start(), match.end(), None).text == "1,234.56"
    assert document.warnings == []


def test_pdf_ruled_table_rows_become_tab_separated_lines(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.cell(w=0, h=8, text="Before the table: total 1,459.5", new_x="LMARGIN", new_y="NEXT")
    rows = [
        ("Project", "Budget", "Spent"),
        ("Clinic A with a rather long name that wraps onto a second line in its cell", "225", "228.65"),
        ("Clinic B", "1,234.5", "1,200"),
    ]
    with pdf.table(col_widths=(60, 30, 30)) as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.cell(w=0, h=8, text="After the table: rate 98.5 %", new_x="LMARGIN", new_y="NEXT")
    document = ingest(_write(tmp_path / "table.pdf", bytes(pdf.output())))
    assert document.original_text.split("\n") == [
        "Before the table: total 1,459.5",
        "Project\tBudget\tSpent",
        "Clinic A with a rather long name that wraps onto a second line in its cell\t225\t228.65",
        "Clinic B\t1,234.5\t1,200",
        "After the table: rate 98.5 %",
    ]
    assert "Clinic B\t1234.5\t1200" in document.text


def test_pdf_blank_page_is_a_warning(tmp_path: Path) -> None:
    document = ingest(_write(tmp_path / "mixed.pdf", _pdf_with_text(["Total 42"], blank_pages=1)))
    assert "Total 42" in document.text
    assert document.warnings and "2" in document.warnings[0]


# --------------------------------------------------------------------------- html


def test_html_table_entities_and_breaks(tmp_path: Path) -> None:
    html = """<!DOCTYPE html><html><head><title>标题不算正文</title>
<style>p { color: red }</style><script>var budget = 999;</script></head>
<body><h1>绩效自评&nbsp;报告</h1><p>支出&lt;合计&gt;&amp;说明：1,234.5 万元<br>第二行</p>
<table><tr><th>项目</th><th>金额</th></tr>
<tr><td>基层 &#x533B;疗</td><td>225万元</td></tr></table><div>结束</div></body></html>"""
    document = ingest(_write(tmp_path / "report.HTM", html.encode("utf-8")))
    lines = document.original_text.split("\n")
    assert document.format is DocumentFormat.HTML
    assert "var budget" not in document.original_text
    assert "color" not in document.original_text
    assert "标题不算正文" not in document.original_text
    assert "支出<合计>&说明：1,234.5 万元" in lines
    assert "第二行" in lines
    assert "项目\t金额" in lines
    assert "基层 医疗\t225万元" in lines
    assert lines.index("项目\t金额") < lines.index("结束")
    assert "支出<合计>&说明：1234.5万元" in document.text


def test_html_in_gbk(tmp_path: Path) -> None:
    html = '<html><meta charset="gbk"><body><p>项目支出6969.76万元</p></body></html>'
    document = ingest(_write(tmp_path / "gbk.html", html.encode("gbk")))
    assert document.original_text == "项目支出6969.76万元"


# --------------------------------------------------------------------------- bad input


def test_empty_file(tmp_path: Path) -> None:
    assert _ingest_error(_write(tmp_path / "empty.txt", b"")).reason == "empty file"


def test_whitespace_only_file(tmp_path: Path) -> None:
    assert "no text" in _ingest_error(_write(tmp_path / "blank.txt", b" \n\n\t ")).reason


def test_binary_renamed_txt(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    error = _ingest_error(_write(tmp_path / "image.txt", png))
    assert error.reason == "not a text file: binary content"


def test_mostly_garbage_text_refused(tmp_path: Path) -> None:
    data = ("项目" + "\x01\x02\x03\x04\x05\x06\x07\x08" * 4).encode("utf-8")
    error = _ingest_error(_write(tmp_path / "garbage.txt", data))
    assert error.reason.startswith("unreadable text:")
    assert "%" in error.reason


def test_corrupt_pdf(tmp_path: Path) -> None:
    error = _ingest_error(_write(tmp_path / "broken.pdf", b"%PDF-1.7\nthis is not really a pdf\n"))
    assert error.reason.startswith("corrupt PDF: ")


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    error = _ingest_error(_write(tmp_path / "scan.pdf", bytes(pdf.output())))
    assert error.reason == "no text layer — scanned? OCR is not supported"


def test_not_found(tmp_path: Path) -> None:
    assert _ingest_error(tmp_path / "missing.txt").reason == "not found"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "locked.txt", CHINESE.encode())

    def deny(name: object, *args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(name))

    monkeypatch.setattr(os, "open", deny)  # tests run as root, so chmod 000 would not stop reading
    assert _ingest_error(path).reason == "permission denied"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert "directory" in _ingest_error(folder).reason


def test_too_large_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 52,428,800 bytes on paper, nothing written

    def refuse(self: Path, *args: object, **kwargs: object) -> io.BufferedReader:
        raise AssertionError("the file was opened before its size was checked")

    monkeypatch.setattr(Path, "open", refuse)
    error = _ingest_error(path)
    assert error.reason == "file too large: 52.4 MB > limit 20.0 MB (raise RECON_MAX_FILE_BYTES)"


def test_max_bytes_is_honoured(tmp_path: Path) -> None:
    path = _write(tmp_path / "small.txt", CHINESE.encode())
    assert _ingest_error(path, max_bytes=10).reason.startswith("file too large:")
    assert ingest(path, max_bytes=len(CHINESE.encode())).original_text == CHINESE


def test_corrupt_docx_not_a_zip(tmp_path: Path) -> None:
    error = _ingest_error(_write(tmp_path / "old.docx", b"\xd0\xcf\x11\xe0 legacy word file"))
    assert error.reason.startswith("corrupt DOCX:")


def test_corrupt_docx_bad_xml(tmp_path: Path) -> None:
    source = _docx_with_merged_table(tmp_path / "good.docx")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(source) as good, zipfile.ZipFile(broken, "w") as bad:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            bad.writestr(item, data)
    assert _ingest_error(broken).reason.startswith("corrupt DOCX:")


def test_unsupported_suffix(tmp_path: Path) -> None:
    error = _ingest_error(_write(tmp_path / "data.csv", b"a,b"))
    assert error.reason.startswith("unsupported file type .csv")
    office = _ingest_error(_write(tmp_path / "sheet.xlsx", b"PK"))
    assert office.reason.startswith("spreadsheet .xlsx is not read")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".txt", ".docx", ".pdf", ".html"]))
def test_arbitrary_bytes_give_a_document_or_an_ingest_error(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = _write(tmp_path / f"fuzz{suffix}", data)
    try:
        document = ingest(path)
    except IngestError as error:
        assert error.reason and "\n" not in error.reason
    else:
        assert document.text.strip()
        assert len(document.offsets.to_original) == len(document.text) + 1


# --------------------------------------------------------------------------- discover


def test_discover(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    wanted = [
        _write(root / "a.txt", b"x"),
        _write(root / "B.TXT", b"x"),
        _write(root / "sub" / "c.docx", b"x"),
        _write(root / "sub" / "deeper" / "d.pdf", b"x"),
        _write(root / "sub" / "e.htm", b"x"),
        _write(root / "sub" / "f.Html", b"x"),
    ]
    _write(root / "notes.md", b"x")
    _write(root / "sub" / "table.xlsx", b"x")
    _write(root / ".hidden" / "g.txt", b"x")
    _write(root / "sub" / "~$c.docx", b"x")
    explicit_unsupported = _write(tmp_path / "data.csv", b"x")
    missing = tmp_path / "nope"
    files, errors = discover([root, root / "a.txt", missing, explicit_unsupported])
    assert [found.path for found in files] == sorted(wanted, key=str)
    assert [found.document for found in files] == [
        "B.TXT", "a.txt", "sub/c.docx", "sub/deeper/d.pdf", "sub/e.htm", "sub/f.Html"
    ]
    spreadsheet = root / "sub" / "table.xlsx"  # an Office format recon does not read: said once
    assert {error.path for error in errors} == {str(missing), str(explicit_unsupported), str(spreadsheet)}
    reasons = {error.path: error.reason for error in errors}
    assert reasons[str(missing)] == "not found"
    assert reasons[str(explicit_unsupported)].startswith("unsupported file type .csv")
    assert reasons[str(spreadsheet)].startswith("spreadsheet .xlsx is not read")


def test_discover_empty_input() -> None:
    assert discover([]) == ([], [])


# --------------------------------------------------------------------------- bundled samples


def _amounts_in_wan_yuan(text: str) -> Counter[str]:
    return Counter(match.group() for match in NUMBER_RE.finditer(text) if text.startswith("万元", match.end()))


@pytest.mark.parametrize("suffix", [".docx", ".pdf"])
def test_sample_formats_match_the_txt(suffix: str) -> None:
    reference = ingest(SEEDS / f"{SAMPLE_STEM}.txt")
    converted = ingest(SEEDS / f"{SAMPLE_STEM}{suffix}")
    expected = _amounts_in_wan_yuan(reference.text)
    assert sum(expected.values()) >= 30
    assert _amounts_in_wan_yuan(converted.text) == expected
    all_numbers = Counter(match.group() for match in NUMBER_RE.finditer(converted.text))
    assert all_numbers == Counter(match.group() for match in NUMBER_RE.finditer(reference.text))


def test_sample_docx_has_a_table() -> None:
    converted = ingest(SEEDS / f"{SAMPLE_STEM}.docx")
    assert "1、\t医卫体制改革持续深化。" in converted.original_text


@pytest.mark.parametrize(
    "path", sorted(p for p in SEEDS.glob("*.*") if p.suffix != ".md"), ids=lambda path: path.name
)
def test_every_bundled_sample_ingests(path: Path) -> None:
    document = ingest(path)
    assert document.name == path.name
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "bookmark:" not in document.text
    for match in NUMBER_RE.finditer(document.text):
        number = stated_number(document, match.start(), match.end(), None)
        assert number.normalized == match.group()


def test_file_size_limit_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.settings import load_settings

    monkeypatch.setenv("RECON_MAX_FILE_BYTES", "10")
    limit = load_settings().max_file_bytes
    assert limit == 10
    path = _write(tmp_path / "small.txt", CHINESE.encode())
    assert "(raise RECON_MAX_FILE_BYTES)" in _ingest_error(path, max_bytes=limit).reason


def test_pdf_soft_wraps_are_joined_but_headings_keep_their_lines() -> None:
    """The generated sample PDF wraps sentences at the page width; ingest rejoins them."""
    from pathlib import Path as _Path

    samples = _Path(__file__).resolve().parent.parent / "samples"
    pdf = ingest(samples / "004_9e87d6aa48146b78.pdf")
    txt = ingest(samples / "004_9e87d6aa48146b78.txt")
    sentence = "其中行政编制实有50人、机关工勤编制实有1人、参公编制实有14人、事业编制实有56人。"
    assert sentence in txt.text
    assert sentence in pdf.text
    assert "\n4、人员情况\n" in pdf.text


def test_ingest_text_normalizes_like_a_file(tmp_path: Path) -> None:
    text = "[bookmark: _GoBack]支出１,２３４.５ 万元"
    on_disk = tmp_path / "a.txt"
    on_disk.write_text(text, encoding="utf-8")
    from_file = ingest(on_disk)
    from_memory = ingest_text(text, "a.txt")
    assert from_memory.text == from_file.text == "支出1234.5万元"
    assert from_memory.sha256 == from_file.sha256
    assert from_memory.offsets == from_file.offsets
