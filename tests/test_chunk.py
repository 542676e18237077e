"""Chunking along the report's headings: coverage, size, and projects kept whole."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from pipeline.ingest.chunk import chunk_document, heading_level
from pipeline.ingest.read import ingest, ingest_text
from schemas import Document

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SEEDS = sorted(SAMPLES.glob("*.txt"))


def _document(text: str) -> Document:
    return ingest_text(text, "mem.txt")


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("一、项目支出概况", 1),
        ("（二）项目资金基本情况", 2),
        ("3、项目“业务用房修缮”年初预算金额0万元", 3),
        ("1.基层硬件设施需进一步完善", 3),
        ("（4）2022年石峰区医改项目支出1.24万元", 4),
        ("1.35万元用于运行", None),
        ("主要用于发放补助。", None),
    ],
    ids=["level1", "level2", "numbered", "numbered-dot", "sub-item", "decimal-not-heading", "body"],
)
def test_heading_levels(line: str, level: int | None) -> None:
    assert heading_level(line) == level


@pytest.mark.parametrize("max_chars", [300, 1000, 3000])
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_chunks_cover_the_text_in_order_within_the_limit(seed: Path, max_chars: int) -> None:
    document = ingest(seed)
    chunks = chunk_document(document, max_chars)
    assert chunks
    joined = "".join(document.text[c.start : c.end] for c in chunks)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", document.text)
    for previous, current in itertools.pairwise(chunks):
        assert previous.end <= current.start
    for chunk in chunks:
        assert chunk.end - chunk.start <= max_chars
        assert chunk.text == document.text[chunk.start : chunk.end]
    assert [c.index for c in chunks] == list(range(len(chunks)))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_no_project_header_is_separated_from_its_sub_items(seed: Path) -> None:
    """Every `N、项目“…”` header sits in the same chunk as the `（k）` items under it."""
    document = ingest(seed)
    chunks = chunk_document(document, 3000)
    text = document.text
    for header in re.finditer(r"^\d+、项目“[^”]+”.*$", text, re.MULTILINE):
        block_end = header.end()
        for line in re.finditer(r"\n（\d+）[^\n]*", text[header.end() :]):
            if line.start() != block_end - header.end():
                break
            block_end = header.end() + line.end()
        owner = [c for c in chunks if c.start <= header.start() < c.end]
        assert len(owner) == 1
        assert owner[0].end >= block_end, f"sub-items of {header.group()[:30]} cut off"


def test_an_oversized_section_is_split_between_children_with_its_heading_path() -> None:
    body = "".join(
        f"（{i}）子项目{i}支出{i}万元，其中年初预算{i}万元，结余结转0万元。\n" for i in range(1, 30)
    )
    text = "一、总体情况\n1、项目“大项目”年初预算10万元。\n" + body
    chunks = chunk_document(_document(text), 400)
    assert len(chunks) > 1
    assert all(c.end - c.start <= 400 for c in chunks)
    later = chunks[-1]
    assert later.heading_path and later.heading_path[-1].startswith("1、项目“大项目”")


def test_chunk_ids_are_stable_for_the_same_text() -> None:
    text = "一、情况\n（一）项目\n1、项目“甲”年初预算1万元。\n"
    first = chunk_document(_document(text), 3000)
    second = chunk_document(_document(text), 3000)
    assert [c.id for c in first] == [c.id for c in second]
    assert chunk_document(_document(""), 3000) == []
