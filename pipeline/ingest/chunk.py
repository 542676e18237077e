"""Cut a document into chunks along the report's own headings.

Reports in this genre number their structure 一、 → （一） → 1、 → （1）. The
text is parsed into a tree of heading lines; each chunk is a heading with its
whole subtree whenever that fits in `max_chars`, so a project's header sentence
(`3、项目“…”年初预算…`) and its numbered sub-items (`（1）…（2）…`) are read
together. A subtree too large for one chunk is cut between children, with
consecutive small siblings packed together; the heading path above a chunk
travels with it as context. Offsets are in `Document.text` (normalised).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from schemas import Chunk, Document

#: Heading patterns by level (1 is outermost). A line is a heading when it starts so.
_HEADING_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"[一二三四五六七八九十]{1,3}、")),
    (2, re.compile(r"[（(][一二三四五六七八九十]{1,3}[）)]")),
    (3, re.compile(r"\d{1,2}(?:、|\.(?!\d)|．)")),
    (4, re.compile(r"[（(]\d{1,2}[）)]")),
)


def heading_level(line: str) -> int | None:
    """The heading level of a line, or None for body text."""
    stripped = line.lstrip(" \t\u3000")
    for level, pattern in _HEADING_PATTERNS:
        if pattern.match(stripped):
            return level
    return None


@dataclass
class _Node:
    """A heading line and everything under it, as offsets in the normalised text."""

    level: int
    start: int
    end: int
    title: str
    body_end: int  # end of the node's own text, before its first child
    children: list[_Node] = field(default_factory=list)


def _parse_tree(text: str) -> _Node:
    root = _Node(level=0, start=0, end=len(text), title="", body_end=len(text))
    stack = [root]
    offset = 0
    for line in text.splitlines(keepends=True):
        level = heading_level(line)
        if level is not None:
            while stack[-1].level >= level:
                closed = stack.pop()
                closed.end = offset
            parent = stack[-1]
            if not parent.children:
                parent.body_end = offset
            title = line.strip()[:60]
            node = _Node(level=level, start=offset, end=len(text), title=title, body_end=len(text))
            parent.children.append(node)
            stack.append(node)
        offset += len(line)
    for node in stack:
        node.end = len(text)
    _close_body(root)
    return root


def _close_body(node: _Node) -> None:
    if not node.children:
        node.body_end = node.end
    for child in node.children:
        _close_body(child)


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut `[start, end)` into pieces of at most `max_chars`, at sentence ends where
    possible, else at a comma, else anywhere."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    while end - piece_start > max_chars:
        limit = piece_start + max_chars
        window = text[piece_start:limit]
        cut = max(window.rfind(mark) for mark in "。；！？\n") + 1
        if cut <= 0:
            cut = max(window.rfind(mark) for mark in "，、,") + 1
        if cut <= 0:
            cut = max_chars
        pieces.append((piece_start, piece_start + cut))
        piece_start += cut
    if end > piece_start:
        pieces.append((piece_start, end))
    return pieces


def _pack(node: _Node, path: list[str], text: str, max_chars: int) -> list[tuple[int, int, list[str]]]:
    """Chunks for `node`'s subtree as (start, end, heading path).

    The node's own text (its heading line and any paragraphs before its first
    child) and its children are packed greedily, in order, into chunks of at
    most `max_chars`; a child too large on its own is packed recursively.
    """
    if node.end - node.start <= max_chars:
        return [(node.start, node.end, path)]
    child_path = [*path, node.title] if node.title else path
    items: list[tuple[int, int, _Node | None]] = []
    own_end = node.body_end if node.children else node.end
    if own_end > node.start:
        items.append((node.start, own_end, None))
    items.extend((child.start, child.end, child) for child in node.children)

    spans: list[tuple[int, int, list[str]]] = []
    group: list[int] = []  # [start, end] of the open group
    group_has_heading = False

    def flush() -> None:
        nonlocal group, group_has_heading
        if group:
            spans.append((group[0], group[1], path if group_has_heading else child_path))
        group, group_has_heading = [], False

    for start, end, child in items:
        if end - start > max_chars:
            flush()
            if child is None:
                spans.extend((s, e, path) for s, e in _split_long(text, start, end, max_chars))
            else:
                spans.extend(_pack(child, child_path, text, max_chars))
            continue
        if group and end - group[0] <= max_chars:
            group[1] = end
            continue
        flush()
        group = [start, end]
        group_has_heading = child is None
    flush()
    return spans


def chunk_document(document: Document, max_chars: int = 3000) -> list[Chunk]:
    """Chunks covering all of `document.text`, in order, each at most `max_chars` long."""
    text = document.text
    if not text:
        return []
    root = _parse_tree(text)
    spans = _pack(root, [], text, max_chars)
    chunks: list[Chunk] = []
    for start, end, path in spans:
        if not text[start:end].strip():
            continue
        piece = text[start:end]
        digest = hashlib.sha256(piece.encode("utf-8")).hexdigest()[:12]
        chunks.append(
            Chunk(
                id=f"{digest}@{start}",
                document=document.name,
                index=len(chunks),
                start=start,
                end=end,
                heading_path=list(path),
                text=piece,
            )
        )
    return chunks


def chunk_at(chunks: list[Chunk], offset: int) -> Chunk | None:
    """The chunk containing normalised `offset`."""
    for chunk in chunks:
        if chunk.start <= offset < chunk.end:
            return chunk
    return None
