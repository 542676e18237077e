"""Normalise extracted text for the extractors while keeping a map back to the original.

Every change is either a one-for-one character fold or a deletion, so each
character of the normalised text comes from exactly one character of the
original, in order. `normalize` returns the normalised text and an `OffsetMap`
whose `to_original[i]` is that character's original offset (plus one final
entry, `len(original)`). Changes made, in order:

1. line breaks: `\\r\\n` and `\\r` (and form feed, line/paragraph separators) become `\\n`;
2. BOM and zero-width characters are removed (kept only where removing them
   would glue two parts of a number together);
3. a targeted fold (not NFKC, which would turn ① into 1 and ㎡ into m2):
   full-width digits, `．`, `％`, full-width Latin letters, the ideographic
   space and the no-break space; CJK punctuation （）、，。；：“” is kept;
4. conversion debris `[bookmark: …]` is removed;
5. thousands separators between digit groups of exactly three digits are removed
   (`1,234.56` → `1234.56`, `1，234` → `1234`);
6. spaces inside a number that PDF extraction inserted before its point
   (`9 . 05` → `9.05`), before `%`, and between CJK characters and digits
   (`2023 年` → `2023年`, `为 10万元` → `为10万元`), and inside `万 元`/`亿 元`, are removed;
7. a line break is dropped when the next line starts with an amount and a unit
   (`项目支出\\n6969.76万元` → `项目支出6969.76万元`) and the previous line
   does not end a sentence (。！？；) or with a digit;
8. spaces between two CJK ideographs are removed (`年初预   算` → `年初预算`);
9. a page number a document-sharing copy printed mid-sentence (`专项信\n2、息服务`)
   after a page-long line is removed;
10. for PDF text layers, and text that `looks_hard_wrapped` (a PDF copied line by
   line into a .txt), a line break that merely wraps a
   sentence at the page width is removed (not after 。！？；：, not before a
   heading, list number or table row, never between two digits).

Invariant relied on by `pipeline.numbers.stated_number`: a number matched in the
normalised text maps to an original slice that is the same number as written
(possibly with full-width digits, separators or spaces inside it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from schemas import OffsetMap
from schemas.units import LINE_CONTINUATION_UNITS

#: One-for-one folds; everything else is kept as is.
FOLD_TABLE: dict[int, str] = {
    **{0xFF10 + digit: str(digit) for digit in range(10)},
    **{0xFF21 + index: chr(ord("A") + index) for index in range(26)},
    **{0xFF41 + index: chr(ord("a") + index) for index in range(26)},
    ord("．"): ".",
    ord("％"): "%",
    0x3000: " ",  # ideographic space
    0x00A0: " ",  # no-break space (HTML &nbsp;, PDF)
    0x2028: "\n",
    0x2029: "\n",
    0x0B: "\n",
    0x0C: "\n",  # form feed (page break in some extractions)
    0x85: "\n",
    ord("\r"): "\n",  # a lone carriage return; \r\n is handled first
}

#: Characters that are removed outright (BOM, zero-width space/joiners, word joiner).
ZERO_WIDTH = "\ufeff\u200b\u200c\u200d\u2060"

#: Units that mark the start of a line as the continuation of a broken amount.
CONTINUATION_UNITS = LINE_CONTINUATION_UNITS

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\u201c\u201d"
_NUMBER_CHARS = frozenset("0123456789.,，０１２３４５６７８９．")

_FOLD_RE = re.compile("[" + re.escape("".join(chr(code) for code in FOLD_TABLE)) + "]")
_CRLF_RE = re.compile(r"\r(?=\n)")
_ZERO_WIDTH_RE = re.compile(f"[{ZERO_WIDTH}]+")
_DEBRIS_RE = re.compile(r"(?:\[bookmark:[^\]\n]*\])+")
_THOUSANDS_RE = re.compile(r"(?<![\d.,，])\d{1,3}(?:[,，]\d{3})+(?![,，]?\d)")
_POINT_SPACES_RE = re.compile(r"(?<=\d)( +)\.( *)(?=\d)")
_PERCENT_SPACES_RE = re.compile(r"(?<=\d) +(?=%)")
_CJK_DIGIT_SPACES_RE = re.compile(f"(?<=[{_CJK}]) +(?=\\d)|(?<=\\d) +(?=[{_CJK}])")
_UNIT_SPACES_RE = re.compile(r"(?<=[万亿]) +(?=元)")
_BROKEN_AMOUNT_RE = re.compile(
    r"(?<=[^。！？；\n\d.,，%\s]) *\n *(?=\d+(?:\.\d+)?(?:" + "|".join(CONTINUATION_UNITS) + "))"
)


_IDEOGRAPH = r"\u3400-\u4dbf\u4e00-\u9fff"
_CJK_CJK_SPACES_RE = re.compile(f"(?<=[{_IDEOGRAPH}])[ \u3000]+(?=[{_IDEOGRAPH}])")
#: A PDF line break inside a sentence: not after sentence-final punctuation, not
#: between two digits, not before a heading or list marker or a table row.
_SOFT_WRAP_RE = re.compile(
    r"(?<=[^。！？；：:\n\t])\n"
    r"(?![ \t]*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[）)]"
    r"|\d{1,2}[、.．](?!\d)|\n|$))"
    r"(?![^\n]*\t)"
)


#: A page number a document-sharing site printed into the text (`…新华社专项信\n2、息服务…`):
#: a line break, a small number and 、, in the middle of a long line's sentence.
_PAGE_MARKER_RE = re.compile(r"(?<=[^。！？；：:\n\t|])\n(\d{1,2})、(?=[^\s\d])")
#: How long the line before a page marker is (a page of text, not a list item).
PAGE_LINE_CHARS = 300


def _page_markers(tracked: _Tracked) -> Callable[[re.Match[str]], list[tuple[int, int]]]:
    """Remove a page marker only after a page-long line, so a list (`1、…\n2、…`) keeps its items."""

    def choose(match: re.Match[str]) -> list[tuple[int, int]]:
        line_start = tracked.text.rfind("\n", 0, match.start()) + 1
        if match.start() - line_start < PAGE_LINE_CHARS:
            return []
        return [match.span()]

    return choose


class _Tracked:
    """The text being normalised, with the original offset of each of its characters."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.text = original
        self.origins: list[int] = list(range(len(original)))

    def delete(self, ranges: list[tuple[int, int]]) -> None:
        """Remove the characters in `ranges` (sorted, non-overlapping `[start, end)` pairs)."""
        if not ranges:
            return
        text_parts: list[str] = []
        origins: list[int] = []
        kept_from = 0
        for start, end in ranges:
            text_parts.append(self.text[kept_from:start])
            origins.extend(self.origins[kept_from:start])
            kept_from = end
        text_parts.append(self.text[kept_from:])
        origins.extend(self.origins[kept_from:])
        self.text = "".join(text_parts)
        self.origins = origins

    def delete_matches(
        self,
        pattern: re.Pattern[str],
        group_filter: Callable[[re.Match[str]], list[tuple[int, int]]] | None = None,
    ) -> None:
        """Delete every match of `pattern` (or the ranges `group_filter` picks from it)."""
        ranges: list[tuple[int, int]] = []
        for match in pattern.finditer(self.text):
            chosen = group_filter(match) if group_filter else [match.span()]
            ranges.extend((start, end) for start, end in chosen if end > start)
        self.delete(ranges)

    def fold(self) -> None:
        # A regex touches only the few characters to fold; str.translate is slow on CJK text.
        self.text = _FOLD_RE.sub(lambda match: FOLD_TABLE[ord(match.group())], self.text)


def _not_gluing_numbers(tracked: _Tracked) -> Callable[[re.Match[str]], list[tuple[int, int]]]:
    """A filter that keeps a deletion only where it does not join two parts of a number."""

    def choose(match: re.Match[str]) -> list[tuple[int, int]]:
        start, end = match.span()
        if start == 0:
            return [(start, end)]
        before = tracked.text[start - 1]
        after = tracked.text[end : end + 1]
        if before in _NUMBER_CHARS and after in _NUMBER_CHARS:
            return []
        return [(start, end)]

    return choose


_DIGITS = "0123456789０１２３４５６７８９"


def _original_consists_of(tracked: _Tracked, start: int, end: int, allowed: str) -> bool:
    """True if the original text behind current `[start, end)` has only `allowed` characters.

    Guards the passes that join a number: nothing removed earlier (debris,
    zero-width characters) may end up inside the number's original span.
    """
    original = tracked.original[tracked.origins[start] : tracked.origins[end - 1] + 1]
    return all(char in allowed for char in original)


def _separators(tracked: _Tracked) -> Callable[[re.Match[str]], list[tuple[int, int]]]:
    """The thousands separators of a match whose original is only digits and separators."""

    def choose(match: re.Match[str]) -> list[tuple[int, int]]:
        if not _original_consists_of(tracked, match.start(), match.end(), _DIGITS + ",，"):
            return []
        return [
            (match.start() + offset, match.start() + offset + 1)
            for offset, char in enumerate(match.group())
            if char in ",，"
        ]

    return choose


def _ascii_spaces_only(tracked: _Tracked) -> Callable[[re.Match[str]], list[tuple[int, int]]]:
    """Delete the spaces around a number's point, but only if they were ASCII spaces originally."""

    def choose(match: re.Match[str]) -> list[tuple[int, int]]:
        if not _original_consists_of(tracked, match.start() - 1, match.end() + 1, _DIGITS + " .．"):
            return []
        return [match.span(1), match.span(2)]

    return choose


def _wrapped_lines(tracked: _Tracked) -> Callable[[re.Match[str]], list[tuple[int, int]]]:
    """Remove a line break only where the line before it is full (it reaches the page
    width: at least 80% of the longest lines), and never between two digits, so a
    short heading such as `2、内设科室` keeps its line."""
    lengths = sorted(len(line.strip()) for line in tracked.text.split("\n") if line.strip())
    full_width = lengths[int(len(lengths) * 0.9)] if lengths else 0

    def choose(match: re.Match[str]) -> list[tuple[int, int]]:
        line_start = tracked.text.rfind("\n", 0, match.start()) + 1
        line = tracked.text[line_start : match.start()].strip()
        before = tracked.text[match.start() - 1 : match.start()]
        after = tracked.text[match.end() : match.end() + 1]
        if (before.isdigit() and after.isdigit()) or len(line) < 0.8 * full_width:
            return []
        return [match.span()]

    return choose


#: Share of a text's lines that must look wrapped at a page width before its line breaks are
#: treated as soft wraps (a `.txt` or `.html` copied from a PDF keeps its hard line breaks).
HARD_WRAPPED_SHARE = 0.3


def looks_hard_wrapped(text: str) -> bool:
    """Most lines reach the same width and stop mid-sentence: a page's text copied line by line."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 5:
        return False
    lengths = sorted(len(line) for line in lines)
    full_width = lengths[int(len(lengths) * 0.9)]
    if full_width < 15:
        return False
    wrapped = [
        line for line in lines if len(line) >= 0.8 * full_width and line[-1] not in "。！？；：:.!?;|"
    ]
    return len(wrapped) >= max(4, HARD_WRAPPED_SHARE * len(lines))


def normalize(original: str, soft_wraps: bool = False) -> tuple[str, OffsetMap]:
    """The normalised text of `original` and the map from its offsets back to `original`.

    `soft_wraps` (PDF text layers) also removes line breaks that only wrap a
    sentence at the page width, so `参公\n编制实有14人` reads as one sentence.
    """
    tracked = _Tracked(original)
    tracked.delete_matches(_CRLF_RE)
    tracked.delete_matches(_ZERO_WIDTH_RE, _not_gluing_numbers(tracked))
    tracked.fold()
    tracked.delete_matches(_DEBRIS_RE, _not_gluing_numbers(tracked))
    tracked.delete_matches(_THOUSANDS_RE, _separators(tracked))
    tracked.delete_matches(_POINT_SPACES_RE, _ascii_spaces_only(tracked))
    tracked.delete_matches(_PERCENT_SPACES_RE)
    tracked.delete_matches(_CJK_DIGIT_SPACES_RE)
    tracked.delete_matches(_UNIT_SPACES_RE)
    tracked.delete_matches(_BROKEN_AMOUNT_RE)
    tracked.delete_matches(_CJK_CJK_SPACES_RE)
    tracked.delete_matches(_PAGE_MARKER_RE, _page_markers(tracked))
    if soft_wraps:
        tracked.delete_matches(_SOFT_WRAP_RE, _wrapped_lines(tracked))
    return tracked.text, OffsetMap(to_original=[*tracked.origins, len(original)])
